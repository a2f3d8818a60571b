"""Reads of the import wizard: which kinds a user may import, their runs, a saved
mapping for a file's headers, and how far a dry run or an import has got."""

from __future__ import annotations

from django.db.models import QuerySet

from clientela.core.access import Capability, user_can
from clientela.core.models import Role, User
from clientela.imports.models import ImportRun, ImportState, SavedMapping, headers_signature
from clientela.sheets.mapping import mapping_from_json, match_columns
from clientela.sheets.plan import Kind
from clientela.sheets.registry import sheet_kinds

RECENT_RUNS = 20


def import_kinds(*, user: User) -> list[Kind]:
    """The kinds ``user`` may import, in the registry's order."""
    if not user_can(user, Capability.IMPORT_RUN):
        return []
    return [kind for kind in sheet_kinds().values() if user_can(user, kind.capability)]


def import_run_list(*, user: User) -> QuerySet[ImportRun]:
    """The latest runs ``user`` may see (the owner sees everyone's), the newest first."""
    runs = ImportRun.objects.select_related("created_by").defer("plan", "report", "headers")
    if user.role != Role.OWNER:
        runs = runs.filter(created_by=user)
    return runs[:RECENT_RUNS]


def import_run_get(*, user: User, pk: int) -> ImportRun:
    """A run ``user`` may see (their own; the owner's any); raises ``DoesNotExist``."""
    runs = ImportRun.objects.select_related("created_by")
    if user.role != Role.OWNER:
        runs = runs.filter(created_by=user)
    return runs.get(pk=pk)


def saved_mapping_find(*, kind: Kind, headers: list[str]) -> SavedMapping | None:
    """The mapping saved for ``kind``'s files with these headers, if one was."""
    return (
        SavedMapping.objects.select_related("saved_by")
        .filter(kind=kind.key, signature=headers_signature(headers))
        .first()
    )


def columns_proposed(
    *, kind: Kind, headers: list[str]
) -> tuple[dict[int, str], SavedMapping | None]:
    """The mapping to offer for these headers: the one saved for them if any (and it),
    else the columns matched from the headers."""
    saved = saved_mapping_find(kind=kind, headers=headers)
    if saved is not None:
        return mapping_from_json(saved.mapping, headers), saved
    return match_columns(headers, kind.fields), None


def import_run_rows_done(run: ImportRun) -> int:
    """The rows read so far: while the run is planned or applied, as its progress file
    says."""
    if run.state not in (ImportState.PLANNING, ImportState.RUNNING):
        return run.rows_done
    try:
        return int(run.progress_path.read_text() or 0)
    except (OSError, ValueError):
        return run.rows_done
