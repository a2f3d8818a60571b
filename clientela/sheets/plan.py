"""What an import would do, row by row, whatever the kind: the dry run's vocabulary.

A kind plans a sheet a chunk of rows at a time (``RowPlan`` per row); a ``Plan`` gathers
them as they come and keeps only what the report needs — the count of each action, the
first rows of each as a sample, every refused row's problems and every near-duplicate —
so that a million-row file is planned (and imported) in flat memory.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from clientela.core.models import User
from clientela.core.validators import normal_forms_learn, normal_forms_noted
from clientela.sheets.mapping import Field
from clientela.sheets.table import Cell, Sheet
from clientela.sheets.values import cell_text

CHUNK_ROWS = 1000
SAMPLE_ROWS = 5
ACTIONS = ("create", "update", "unchanged", "refused")
R = TypeVar("R")
# How a sheet reader starts: a fork of this process (no fork on Windows: read in turn).
_FORK = (
    multiprocessing.get_context("fork")
    if "fork" in multiprocessing.get_all_start_methods()
    else None
)


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
    # What the plan relied on, as (kind, value) pairs: the keys a record was matched by
    # and the record matched; an import refuses to write a row whose keys others changed
    # after it was planned (``Kind.changed_since``).
    keys: tuple[tuple[str, str], ...] = ()
    # What the kind's ``prepare`` checked and built for writing the row, if it has one.
    prepared: object = None

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

    ``plan_chunks(sheet, columns, user)`` yields lists of ``RowPlan`` and never
    writes; it plans as ``user`` may (``None``: the system): a row matching a customer
    the user may not see is refused without naming it (``customers.sheet.hidden_customer``).
    ``apply(rows, actor, reason)`` writes the rows to create or update (through the
    domain's services), each inside ``row_writing``, so a service's refusal names the
    row. ``export()`` gives the header row, then a row per record, as the import reads
    them back. ``review(rows, user)``, where a kind has one, flags the new records of a chunk
    that look like existing ones the user may see (``RowPlan.similar``) when it is not
    written; when it is, ``apply`` flags them from what the services found as they wrote.

    An import plans the whole file before it writes (see ``importing.sheet_import``).
    Where a kind has them: ``prepare(rows, actor)`` checks and builds, before writing,
    what ``apply`` will write (``RowPlan.prepared``), so that the write is short;
    ``marker()`` notes where the records' history stands when planning starts, and
    ``changed_since(marker)`` gives the keys (``RowPlan.keys``) of the records changed
    since, so that a row planned on what changed meanwhile is not written.
    """

    key: str
    label: str | Promise
    # What writing its rows needs beyond importing at all (the services check it again).
    capability: str
    fields: tuple[Field, ...]
    plan_chunks: Callable[
        [Sheet, Mapping[int, str], User | None], Generator[list[RowPlan], None, None]
    ]
    apply: Callable[[list[RowPlan], User | None, str], None]
    export: Callable[[], Iterator[list[str]]]
    review: Callable[[list[RowPlan], User | None], None] | None = None
    prepare: Callable[[list[RowPlan], User | None], None] | None = None
    marker: Callable[[], object] | None = None
    changed_since: Callable[[object], set[tuple[str, str]]] | None = None


def sheet_chunks(sheet: Sheet, read: Callable[[int, list[Cell]], R]) -> Iterator[list[R]]:
    """The rows of ``sheet``, ``CHUNK_ROWS`` at a time, each as ``read(row number, cells)``
    makes it. Where the system can fork (Linux, macOS), the file is read and ``read`` run
    in a second process, a chunk or two ahead, while the caller looks up and writes the
    chunk before: an import's parsing and value checks then take none of its own time.
    ``read`` must not touch the database. An error reading the file is raised here, after
    the chunks before it; closing the iterator stops the reader."""
    if _FORK is None:
        yield from _chunks_read(sheet, read)
        return
    receiving, sending = _FORK.Pipe(duplex=False)
    reader = _FORK.Process(
        target=_reader, args=(sheet, read, sending, receiving), name="sheet reader"
    )
    reader.start()
    sending.close()
    try:
        while True:
            try:
                what, payload = receiving.recv()
            except EOFError as error:
                reader.join()
                message = f"The sheet reader stopped (exit code {reader.exitcode})."
                raise RuntimeError(message) from error
            if what == "end":
                return
            if what == "error":
                raise payload
            rows, noted = payload
            normal_forms_learn(noted)  # the values checked there are not checked again
            yield rows
    finally:
        if reader.is_alive():
            reader.kill()
        reader.join()
        receiving.close()


def _chunks_read(sheet: Sheet, read: Callable[[int, list[Cell]], R]) -> Iterator[list[R]]:
    chunk = []
    for number, cells in sheet.rows:
        chunk.append(read(number, cells))
        if len(chunk) == CHUNK_ROWS:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _reader(
    sheet: Sheet, read: Callable[[int, list[Cell]], R], sending: Connection, receiving: Connection
) -> None:
    """The sheet reader process: sends each chunk, then the end or the error it met."""
    receiving.close()  # the importing process's end: a send fails once that process is gone
    try:
        with normal_forms_noted() as noted:
            for chunk in _chunks_read(sheet, read):
                sending.send(("rows", (chunk, noted[:])))
                noted.clear()
        sending.send(("end", None))
    except BrokenPipeError:
        return  # the importing process is gone
    except BaseException as error:  # the caller raises it, whatever it is
        try:
            sending.send(("error", error))
        except Exception:  # an error that cannot be pickled: its text
            sending.send(("error", RuntimeError(traceback.format_exc())))


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
