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

from collections.abc import Callable, Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.core.models import User
from clientela.imports.plan import Kind, Plan
from clientela.imports.reading import Sheet


class ImportRefused(ValidationError):
    """Rows were refused, so nothing was imported; ``plan`` says which and why."""

    def __init__(self, message: str, plan: Plan):
        super().__init__(message)
        self.plan = plan


def sheet_plan(kind: Kind, sheet: Sheet, columns: Mapping[int, str]) -> Plan:
    """The dry run of importing ``sheet`` as ``kind`` with ``columns`` (index → field
    key): what each row would do. Writes nothing."""
    plan = Plan(kind.key, sheet.headers)
    for rows in kind.plan_chunks(sheet, columns):
        plan.add(rows)
    return plan


@transaction.atomic
def sheet_import(
    *,
    kind: Kind,
    actor: User | None,
    sheet: Sheet,
    columns: Mapping[int, str],
    source: str,
    skip_invalid: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Plan:
    """Import ``sheet`` as ``kind`` (its ``columns`` mapped to fields) from the file
    named ``source``; the plan that was applied. ``progress`` is told the rows read so
    far after each chunk. Raises ``ImportRefused`` (and writes nothing) when rows are
    refused and ``skip_invalid`` is not set, ``ValidationError`` (naming the row) when a
    service refuses a row."""
    plan = Plan(kind.key, sheet.headers)
    reason = _("Imported from %(file)s") % {"file": source}
    done = 0
    for rows in kind.plan_chunks(sheet, columns):
        plan.add(rows)
        done += len(rows)
        if skip_invalid or not plan.refused:
            kind.apply(rows, actor, reason)
        if progress is not None:
            progress(done)
    if plan.refused and not skip_invalid:
        raise ImportRefused(
            ngettext(
                "%(count)d row was refused, so nothing was imported: correct it, or import "
                "the valid rows only.",
                "%(count)d rows were refused, so nothing was imported: correct them, or "
                "import the valid rows only.",
                plan.refused,
            )
            % {"count": plan.refused},
            plan,
        )
    return plan
