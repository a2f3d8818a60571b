"""Imports that write: a kind's plan applied through the domain's own services.

One pass over the file, in one transaction: each chunk of rows is planned against the
records as they are now (so earlier chunks' writes count) and, while no row has been
refused, written. A refused row stops the writing but not the planning, so the report
still names every refused row; at the end the transaction is undone and nothing stays —
unless ``skip_invalid``, which leaves the refused rows out and writes the others. A row
a service refuses undoes everything. Every change is recorded in the history as made by
the importing user, with the file's name as the reason.
"""

from __future__ import annotations

import gc
import pickle
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import closing, contextmanager
from typing import IO

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.core.locks import exclusive
from clientela.core.models import User
from clientela.sheets.plan import Kind, Plan, RowPlan
from clientela.sheets.table import Sheet

# The lock every import holds while it runs (see ``sheet_import``).
IMPORT_LOCK = "imports"


class ImportRefused(ValidationError):
    """Rows were refused, so nothing was imported; ``plan`` says which and why."""

    def __init__(self, message: str, plan: Plan):
        super().__init__(message)
        self.plan = plan


@contextmanager
def _collector_eased() -> Iterator[None]:
    """Python's cycle collector told to leave the objects already there alone, and to
    run less often, while a file is read: it otherwise walked the whole program's objects
    again and again, a seventh of an import's time."""
    thresholds = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(10_000, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        gc.unfreeze()


def sheet_plan(
    kind: Kind,
    sheet: Sheet,
    columns: Mapping[int, str],
    *,
    user: User | None,
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """The dry run of importing ``sheet`` as ``kind`` with ``columns`` (index → field
    key) by ``user`` (``None``: the system): what each row would do, refusing rows that
    match a customer the user may not see without naming it. ``progress`` is told the
    rows read so far after each chunk. Writes nothing."""
    plan = Plan(kind.key, sheet.headers)
    done = 0
    with _collector_eased(), closing(kind.plan_chunks(sheet, columns, user)) as chunks:
        for rows in chunks:
            if kind.review is not None:
                kind.review(rows, user)
            plan.add(rows)
            done += len(rows)
            if progress is not None:
                progress(done)
    return plan


def sheet_import(
    *,
    kind: Kind,
    actor: User | None,
    sheet: Sheet,
    columns: Mapping[int, str],
    source: str,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
    waiting: Callable[[], None] | None = None,
) -> Plan:
    """Import ``sheet`` as ``kind`` (its ``columns`` mapped to fields) from the file
    named ``source``; the plan that was applied. ``progress`` is told the rows read so
    far after each chunk. Raises ``ImportRefused`` (and writes nothing) when rows are
    refused and ``skip_invalid`` is not set, ``ValidationError`` (naming the row) when a
    service refuses a row.

    The whole file is read, planned and checked first, without holding the database's
    write lock (the planned chunks wait in a temporary file, so memory stays flat); then
    it is written in one transaction, all or nothing. Other users go on writing while it
    is read; should one of them change a record a row was planned on (``Kind.marker``,
    ``Kind.changed_since``), nothing is written and ``ImportOverrun`` says so.

    One import runs at a time, whoever starts it (the command line, the worker): a
    second waits for the first to end, so that it sees what the first wrote (two imports
    of one file would otherwise both create its customers); ``waiting`` is called first
    when it must wait."""
    with exclusive(IMPORT_LOCK, on_wait=waiting), tempfile.TemporaryFile() as planned:
        marker = kind.marker() if kind.marker is not None else None
        checked = _sheet_planned(kind, actor, sheet, columns, skip_invalid, progress, planned)
        if checked.refused and not skip_invalid:
            raise ImportRefused(
                ngettext(
                    "%(count)d row was refused, so nothing was imported: correct it, or "
                    "import the valid rows only.",
                    "%(count)d rows were refused, so nothing was imported: correct them, or "
                    "import the valid rows only.",
                    checked.refused,
                )
                % {"count": checked.refused},
                _sheet_reviewed(kind, actor, sheet, planned),
            )
        with transaction.atomic():
            return _sheet_written(kind, actor, sheet, source, marker, planned)


class ImportOverrun(ValidationError):
    """Someone changed records that rows were planned on while the file was read."""


def _sheet_planned(
    kind: Kind,
    actor: User | None,
    sheet: Sheet,
    columns: Mapping[int, str],
    skip_invalid: bool,
    progress: Callable[[int], None] | None,
    planned: IO[bytes],
) -> Plan:
    """Plan every row (and prepare those to write, unless rows are refused and the valid
    ones are not to be imported alone), each chunk pickled into ``planned``; the plan's
    counts (its look-alikes are flagged as it is written, or ``_sheet_reviewed``)."""
    plan = Plan(kind.key, sheet.headers)
    done = 0
    with _collector_eased(), closing(kind.plan_chunks(sheet, columns, actor)) as chunks:
        for rows in chunks:
            writing = skip_invalid or not (
                plan.refused or any(row.action == "refused" for row in rows)
            )
            if writing and kind.prepare is not None:
                kind.prepare(rows, actor)
            plan.add(rows)
            pickle.dump(rows, planned, protocol=pickle.HIGHEST_PROTOCOL)
            done += len(rows)
            if progress is not None:
                progress(done)
    return plan


def _spilled(planned: IO[bytes]) -> Iterator[list[RowPlan]]:
    """The chunks pickled into ``planned``, from the first."""
    planned.seek(0)
    while True:
        try:
            yield pickle.load(planned)
        except EOFError:
            return


def _sheet_reviewed(kind: Kind, actor: User | None, sheet: Sheet, planned: IO[bytes]) -> Plan:
    """The plan of an import refused for its refused rows, with the look-alikes the dry
    run shows (nothing was written for the services to flag them)."""
    plan = Plan(kind.key, sheet.headers)
    for rows in _spilled(planned):
        if kind.review is not None:
            kind.review(rows, actor)
        plan.add(rows)
    return plan


def _sheet_written(
    kind: Kind,
    actor: User | None,
    sheet: Sheet,
    source: str,
    marker: object,
    planned: IO[bytes],
) -> Plan:
    """Write the chunks ``_sheet_planned`` kept; the plan as written (with the look-alikes
    the services found). Raises ``ImportOverrun`` at the first row planned on a record
    changed since ``marker``."""
    changed = kind.changed_since(marker) if kind.changed_since is not None else set()
    plan = Plan(kind.key, sheet.headers)
    reason = _("Imported from %(file)s") % {"file": source}
    with _collector_eased():
        for rows in _spilled(planned):
            overrun = next((row for row in rows if changed.intersection(row.keys)), None)
            if overrun is not None:
                raise ImportOverrun(
                    _(
                        "While the file was being read, someone changed a record that row "
                        "%(row)s was matched to; nothing was imported: import the file again."
                    )
                    % {"row": overrun.row}
                )
            kind.apply(rows, actor, reason)
            plan.add(rows)
    return plan
