"""What an import would do, row by row, whatever the kind: the dry run's vocabulary.

A kind plans a sheet a chunk of rows at a time (``RowPlan`` per row); a ``Plan`` gathers
them as they come and keeps only what the report needs — the count of each action, the
first rows of each as a sample, every refused row's problems and every near-duplicate —
so that a million-row file is planned (and imported) in flat memory.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from clientela.core.models import User
from clientela.imports.mapping import Field
from clientela.imports.reading import Cell, Sheet
from clientela.imports.values import cell_text

CHUNK_ROWS = 1000
SAMPLE_ROWS = 5
ACTIONS = ("create", "update", "unchanged", "refused")


@dataclass(frozen=True)
class Problem:
    """Why a row is refused: its row number, the column and value (if one), a message."""

    row: int
    column: str
    value: str
    message: str


@dataclass
class RowPlan:
    """What one row would do. ``target`` is the record it updates (its id);
    ``changes`` the fields it sets (all of them for a new record); ``cells`` the row as
    the file has it (text), for the report's samples."""

    row: int
    cells: list[str] = field(default_factory=list)
    action: str = "create"
    target: int | None = None
    changes: dict = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    # A new record that looks like existing ones: (id, name) of each, for review.
    similar: list[tuple[int, str]] = field(default_factory=list)

    def refuse(self, column: str, value: str, message: str) -> None:
        """Refuse the row, saying why (a row may collect several problems)."""
        self.action = "refused"
        self.problems.append(Problem(self.row, column, value, message))


@dataclass(frozen=True)
class Similar:
    """A new record of row ``row`` that looks like the existing record ``target``."""

    row: int
    target: int
    name: str


@dataclass
class Plan:
    """The dry run of a whole sheet, gathered chunk by chunk (see the module)."""

    kind: str
    headers: list[str]
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIONS, 0))
    samples: dict[str, list[RowPlan]] = field(
        default_factory=lambda: {action: [] for action in ACTIONS}
    )
    problems: list[Problem] = field(default_factory=list)
    similar: list[Similar] = field(default_factory=list)

    def add(self, rows: Iterable[RowPlan]) -> None:
        """Count a chunk of planned rows and keep what the report needs of them."""
        for row in rows:
            self.counts[row.action] += 1
            if len(self.samples[row.action]) < SAMPLE_ROWS:
                self.samples[row.action].append(row)
            self.problems += row.problems
            self.similar += [Similar(row.row, pk, name) for pk, name in row.similar]

    @property
    def refused(self) -> int:
        """How many rows are refused."""
        return self.counts["refused"]

    def to_json(self) -> dict:
        """The report as plain data (the API's answer and what the wizard keeps)."""
        return {
            "kind": self.kind,
            "headers": self.headers,
            "counts": self.counts,
            "samples": {
                action: [{"row": row.row, "cells": row.cells} for row in rows]
                for action, rows in self.samples.items()
            },
            "problems": [
                {"row": p.row, "column": p.column, "value": p.value, "message": p.message}
                for p in self.problems
            ],
            "similar": [{"row": s.row, "id": s.target, "name": s.name} for s in self.similar],
        }


@dataclass(frozen=True)
class Kind:
    """What a file can hold (customers, products…): the capability importing it needs, its
    fields, how a chunk of its rows is planned, how a chunk of planned rows is written.

    ``plan_chunks(sheet, columns)`` yields lists of ``RowPlan`` and never writes;
    ``apply(rows, actor, reason)`` writes the rows to create or update (through the
    domain's services), each inside ``row_writing``, so a service's refusal names the
    row. ``review(rows)``, where a kind has one, flags the new records of a chunk that
    look like existing ones (``RowPlan.similar``) when it is not written; when it is,
    ``apply`` flags them from what the services found as they wrote.
    """

    key: str
    label: str | Promise
    # What writing its rows needs beyond importing at all (the services check it again).
    capability: str
    fields: tuple[Field, ...]
    plan_chunks: Callable[[Sheet, Mapping[int, str]], Iterator[list[RowPlan]]]
    apply: Callable[[list[RowPlan], User | None, str], None]
    review: Callable[[list[RowPlan]], None] | None = None


def sheet_chunks(sheet: Sheet) -> Iterator[list[tuple[int, list[Cell]]]]:
    """The rows of ``sheet``, ``CHUNK_ROWS`` at a time."""
    chunk = []
    for item in sheet.rows:
        chunk.append(item)
        if len(chunk) == CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def row_text(cells: list[Cell]) -> list[str]:
    """A row's cells as text, as the report shows them."""
    return [cell_text(cell) for cell in cells]


@contextmanager
def row_writing(row: RowPlan) -> Iterator[None]:
    """Write one planned row: a ``ValidationError`` raised inside says which row."""
    try:
        yield
    except ValidationError as error:
        raise ValidationError(
            _("Row %(row)s: %(problem)s") % {"row": row.row, "problem": " ".join(error.messages)}
        ) from error
