"""The web wizard's runs (see ``models``): a file uploaded and kept, its columns mapped
(and the mapping saved for its headers), its dry run made and its import applied in the
background worker through ``clientela.sheets.importing``, the run kept to follow and its
files swept when they are old; the API's dry run of an upload."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.core.access import AccessDenied, Capability
from clientela.core.heartbeat import LOST_AFTER, beat_lost, beating
from clientela.core.models import User
from clientela.core.services import actor_check
from clientela.imports.models import (
    FILES_KEPT,
    ImportRun,
    ImportState,
    SavedMapping,
    headers_signature,
    imports_dir,
)
from clientela.imports.selectors import columns_proposed
from clientela.sheets.exporting import export_write, refused_rows
from clientela.sheets.importing import ImportRefused, sheet_import, sheet_plan
from clientela.sheets.mapping import (
    MappingError,
    mapping_check,
    mapping_from_json,
    mapping_to_json,
)
from clientela.sheets.plan import Kind, Plan
from clientela.sheets.reading import open_sheet, sheet_names
from clientela.sheets.registry import sheet_kind, sheet_kind_keys
from clientela.sheets.table import Sheet, SpreadsheetError


def import_kind(key: str) -> Kind:
    """The kind named ``key``; raises ``ValidationError`` (on ``kind``) for another."""
    if key not in sheet_kind_keys():
        raise ValidationError(
            {
                "kind": _("There is no kind “%(kind)s” to import; the kinds are: %(kinds)s.")
                % {"kind": key, "kinds": ", ".join(sheet_kind_keys())}
            }
        )
    return sheet_kind(key)


def import_kind_check(actor: User | None, kind: Kind) -> None:
    """Raise ``AccessDenied`` unless ``actor`` may import rows of ``kind``."""
    actor_check(actor, Capability.IMPORT_RUN)
    actor_check(actor, kind.capability)


def _upload_store(upload: UploadedFile, path: Path) -> None:
    limit = settings.CLIENTELA_IMPORT_MAX_MB
    if upload.size is not None and upload.size > limit * 1024 * 1024:
        raise ValidationError(
            {
                "file": _("The file is %(size)s MB; files of up to %(limit)s MB can be imported.")
                % {"size": number_format(upload.size / 1024 / 1024, 1), "limit": limit}
            }
        )
    with path.open("wb") as file:
        for chunk in upload.chunks():
            file.write(chunk)


@contextmanager
def sheet_opened(path: Path, sheet: str | None = None) -> Iterator[Sheet]:
    """``open_sheet`` whose file is closed however far its rows were read."""
    table = open_sheet(path, sheet=sheet)
    try:
        yield table
    finally:
        close = getattr(table.rows, "close", None)
        if close is not None:
            close()


def _upload_suffix(name: str) -> str:
    suffix = Path(name).suffix.lower()
    return suffix if suffix in (".xlsx", ".csv") else ""


def _first_table(path: Path, sheets: list[str]) -> tuple[str, list[str]]:
    """The first sheet of ``sheets`` with a header row ("" for a CSV), and its headers;
    raises the first sheet's ``SpreadsheetError`` when none has one."""
    errors = []
    for sheet in sheets or [""]:
        try:
            with sheet_opened(path, sheet or None) as table:
                return sheet, table.headers
        except SpreadsheetError as error:
            errors.append(error)
    raise errors[0]


def import_run_upload(*, actor: User | None, kind: str, upload: UploadedFile) -> ImportRun:
    """Keep an uploaded spreadsheet for the wizard; the new run, its headers read. A file
    that cannot be read is refused on ``file`` and nothing is kept."""
    found = import_kind(kind)
    import_kind_check(actor, found)
    import_files_sweep()
    name = Path(upload.name or "").name or _("upload")
    run = ImportRun(
        created_by=actor,
        kind=found.key,
        file_name=name[:255],
        suffix=_upload_suffix(name),
        language=translation.get_language() or settings.LANGUAGE_CODE,
    )
    path = run.upload_path
    try:
        _upload_store(upload, path)
        sheets = sheet_names(path)
        run.sheets = [] if sheets == [path.stem] else sheets  # a CSV has no sheets to choose
        run.sheet, run.headers = _first_table(path, run.sheets)
    except SpreadsheetError as error:
        path.unlink(missing_ok=True)
        raise ValidationError({"file": str(error)}) from error
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    run.has_upload = True
    run.save()
    return run


def _mapping_applied(mapping: Mapping[str, str], headers: list[str]) -> dict[int, str]:
    """``mapping_from_json``, its refusal a ``ValidationError`` on ``mapping``."""
    try:
        return mapping_from_json(mapping, headers)
    except MappingError as error:
        raise ValidationError({"mapping": error.problems}) from error


def _mapping_checked(kind: Kind, columns: Mapping[int, str], headers: list[str]) -> None:
    if not columns:
        raise ValidationError({"mapping": _("Choose the field of at least one column.")})
    if any(index >= len(headers) for index in columns):
        raise ValidationError({"mapping": _("The mapping names a column the sheet has not.")})
    try:
        mapping_check(columns, headers, kind.fields)
    except MappingError as error:
        raise ValidationError({"mapping": error.problems}) from error


def import_run_map(
    *,
    actor: User | None,
    run: ImportRun,
    columns: Mapping[int, str] | None = None,
    mapping: Mapping[str, str] | None = None,
    sheet: str = "",
    save_mapping: bool = False,
) -> ImportRun:
    """Keep the mapping of ``run``'s file, of its ``sheet``: ``columns`` (index → field
    key), else ``mapping`` (header → field key), else the mapping proposed for its
    headers; the run then waits for its dry run (``import_run_plan_execute``). With
    ``save_mapping`` the mapping is offered again for files with the same headers. A
    mapping that cannot be used is refused (on ``mapping``, ``sheet`` or ``file``) and
    nothing changes. Reads only the headers."""
    kind = import_kind(run.kind)
    import_kind_check(actor, kind)
    if run.state not in (ImportState.UPLOADED, ImportState.PLANNED):
        raise ValidationError(_("This import has already been started."))
    if not run.has_upload:
        raise ValidationError({"file": _("The uploaded file was removed; upload it again.")})
    if sheet and sheet not in run.sheets:
        raise ValidationError(
            {"sheet": _("The workbook has no sheet “%(sheet)s”.") % {"sheet": sheet}}
        )
    try:
        with sheet_opened(run.upload_path, sheet or None) as table:
            headers = table.headers
    except SpreadsheetError as error:
        raise ValidationError({"file": str(error)}) from error
    if columns is None and mapping is not None:
        columns = _mapping_applied(mapping, headers)
    elif columns is None:
        columns, _saved = columns_proposed(kind=kind, headers=headers)
    columns = dict(sorted(columns.items()))
    _mapping_checked(kind, columns, headers)
    queued = ImportRun.objects.filter(
        pk=run.pk, state__in=(ImportState.UPLOADED, ImportState.PLANNED)
    ).update(
        state=ImportState.PLANNING,
        sheet=sheet,
        headers=headers,
        mapping={str(index): key for index, key in columns.items()},
        plan=None,
        counts={},
        rows_total=0,
        rows_done=0,
        error="",
        plan_started_at=None,
        planned_at=None,
        updated_at=timezone.now(),
    )
    if not queued:
        raise ValidationError(_("This import has already been started."))
    if save_mapping:
        saved_mapping_save(actor=actor, kind=kind, headers=headers, columns=columns)
    run.refresh_from_db()
    return run


def import_run_plan_execute(*, run_id: int) -> ImportRun | None:
    """Make the dry run of a run waiting for it (what the background worker does), the
    rows read so far in its progress file: its report kept, the run is then ready to
    apply; or, when the file cannot be read to its end, back to its mapping with the
    ``error``. Writes nothing else. None when there is no such run waiting."""
    claimed = ImportRun.objects.filter(
        pk=run_id, state=ImportState.PLANNING, plan_started_at__isnull=True
    ).update(plan_started_at=timezone.now())
    if not claimed:
        return None
    run = ImportRun.objects.select_related("created_by").get(pk=run_id)
    try:
        actor = run.created_by
        if actor is None or not actor.is_active:
            raise ValidationError(_("The user who uploaded this file can no longer import."))
        kind = import_kind(run.kind)
        import_kind_check(actor, kind)
        with beating(run.beat_name), sheet_opened(run.upload_path, run.sheet or None) as table:
            plan = sheet_plan(
                kind,
                table,
                run.columns,
                user=actor,
                progress=lambda done: _progress_write(run.progress_path, done),
            )
    except (SpreadsheetError, ValidationError, AccessDenied) as error:
        return _plan_end(run, None, _run_error(error))
    except Exception:
        _plan_end(run, None, _("The check stopped on an unexpected error; nothing was written."))
        raise
    return _plan_end(run, plan, "")


def _plan_end(run: ImportRun, plan: Plan | None, error: str) -> ImportRun:
    """Record how ``run``'s dry run ended: planned with ``plan``, else back to its mapping
    with ``error``; unless the run was given up meanwhile (``import_files_sweep``) or
    mapped again."""
    run.progress_path.unlink(missing_ok=True)
    now = timezone.now()
    if plan is not None:
        outcome = {
            "state": ImportState.PLANNED,
            "headers": plan.headers,
            "plan": plan.to_json(),
            "counts": plan.counts,
            "rows_total": sum(plan.counts.values()),
            "planned_at": now,
        }
    else:
        outcome = {"state": ImportState.UPLOADED, "error": error, "plan_started_at": None}
    ImportRun.objects.filter(
        pk=run.pk, state=ImportState.PLANNING, plan_started_at=run.plan_started_at
    ).update(**outcome, updated_at=now)
    run.refresh_from_db()
    return run


def import_run_plan(
    *,
    actor: User | None,
    run: ImportRun,
    columns: Mapping[int, str] | None = None,
    mapping: Mapping[str, str] | None = None,
    sheet: str = "",
    save_mapping: bool = False,
) -> ImportRun:
    """``import_run_map`` and the dry run made at once, in this process (the API's
    import); a file that cannot be read to its end is refused on ``file``."""
    import_run_map(
        actor=actor,
        run=run,
        columns=columns,
        mapping=mapping,
        sheet=sheet,
        save_mapping=save_mapping,
    )
    import_run_plan_execute(run_id=run.pk)
    run.refresh_from_db()
    if run.state != ImportState.PLANNED:
        raise ValidationError({"file": run.error})
    return run


def import_run_discard(*, run: ImportRun) -> None:
    """Forget a run that will not be applied, and its files."""
    run.upload_path.unlink(missing_ok=True)
    run.refused_path.unlink(missing_ok=True)
    run.delete()


def saved_mapping_save(
    *, actor: User | None, kind: Kind, headers: list[str], columns: Mapping[int, str]
) -> SavedMapping:
    """Keep ``columns`` for ``kind``'s files with these headers (replacing the one kept)."""
    import_kind_check(actor, kind)
    saved, _created = SavedMapping.objects.update_or_create(
        kind=kind.key,
        signature=headers_signature(headers),
        defaults={
            "headers": headers,
            "mapping": mapping_to_json(columns, headers),
            "saved_by": actor,
        },
    )
    return saved


def import_run_queue(*, actor: User | None, run: ImportRun, skip_invalid: bool) -> ImportRun:
    """Mark a planned run to be applied by the background worker. Refused when rows are
    refused and ``skip_invalid`` is not set (on ``skip_invalid``), or when it was
    applied already."""
    import_kind_check(actor, import_kind(run.kind))
    refused = (run.counts or {}).get("refused", 0)
    if run.state == ImportState.PLANNED and refused and not skip_invalid:
        raise ValidationError(
            {
                "skip_invalid": ngettext(
                    "%(count)d row is refused: correct the file and upload it again, or "
                    "import the valid rows only.",
                    "%(count)d rows are refused: correct the file and upload it again, or "
                    "import the valid rows only.",
                    refused,
                )
                % {"count": refused}
            }
        )
    started = ImportRun.objects.filter(pk=run.pk, state=ImportState.PLANNED).update(
        state=ImportState.RUNNING, skip_invalid=skip_invalid, rows_done=0
    )
    if not started:
        raise ValidationError(_("This import has already been started."))
    run.refresh_from_db()
    return run


def _progress_write(path: Path, done: int) -> None:
    partial = path.with_suffix(".progress-new")
    partial.write_text(str(done))
    os.replace(partial, path)


def _run_error(error: BaseException) -> str:
    if isinstance(error, AccessDenied):
        capability = error.args[0] if error.args else ""
        if capability in Capability.values:
            return _("Your role does not allow you to %(action)s.") % {
                "action": Capability(capability).label
            }
        return _("Your role does not allow this.")
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    return str(error)


def import_run_execute(*, run_id: int) -> ImportRun | None:
    """Apply a run marked to be applied (what the background worker does): one
    transaction, the rows read so far in its progress file; then done, refused or failed,
    with its report, its refused rows kept to download and its upload deleted. None when
    there is no such run waiting."""
    run = (
        ImportRun.objects.select_related("created_by")
        .filter(pk=run_id, state=ImportState.RUNNING, started_at__isnull=True)
        .first()
    )
    if run is None:
        return None
    run.started_at = timezone.now()
    run.save(update_fields=["started_at", "updated_at"])
    plan: Plan | None = None
    try:
        actor = run.created_by
        if actor is None or not actor.is_active:
            raise ValidationError(_("The user who started this import can no longer import."))
        kind = import_kind(run.kind)
        with beating(run.beat_name), sheet_opened(run.upload_path, run.sheet or None) as table:
            plan = sheet_import(
                kind=kind,
                actor=actor,
                sheet=table,
                columns=run.columns,
                source=run.file_name,
                skip_invalid=run.skip_invalid,
                progress=lambda done: _progress_write(run.progress_path, done),
            )
        run.state = ImportState.DONE
    except ImportRefused as refusal:
        plan = refusal.plan
        run.state, run.error = ImportState.REFUSED, str(refusal.message)
    except (SpreadsheetError, ValidationError, AccessDenied) as error:
        run.state, run.error = ImportState.FAILED, _run_error(error)
    except Exception:
        run.state = ImportState.FAILED
        run.error = _("The import stopped on an unexpected error; nothing was imported.")
        _run_end(run, plan)
        raise
    _run_end(run, plan)
    return run


def _run_end(run: ImportRun, plan: Plan | None) -> None:
    """Record how ``run`` ended: its report, its refused rows to download; its upload and
    progress files deleted."""
    if plan is not None:
        run.report = plan.to_json()
        run.counts = plan.counts
        run.rows_done = sum(plan.counts.values())
        if plan.refused and run.has_upload:
            with sheet_opened(run.upload_path, run.sheet or None) as table:
                export_write(refused_rows(table, plan), run.refused_path)
            run.has_refused_file = True
    run.upload_path.unlink(missing_ok=True)
    run.progress_path.unlink(missing_ok=True)
    run.has_upload = False
    run.finished_at = timezone.now()
    run.save()


def import_files_sweep(*, now: datetime | None = None) -> int:
    """Delete the files kept longer than ``FILES_KEPT`` (uploads never applied, refused
    rows); send back to their mapping the dry runs whose worker stopped and mark failed
    the imports whose worker stopped; how many runs were swept."""
    now = now or timezone.now()
    swept = 0
    old = ImportRun.objects.filter(created_at__lt=now - FILES_KEPT).filter(
        Q(has_upload=True, state__in=(ImportState.UPLOADED, ImportState.PLANNED))
        | Q(has_refused_file=True)
    )
    for run in old:
        run.upload_path.unlink(missing_ok=True)
        run.refused_path.unlink(missing_ok=True)
        ImportRun.objects.filter(pk=run.pk).update(has_upload=False, has_refused_file=False)
        swept += 1
    return swept + import_runs_vanished_sweep(now=now)


def import_runs_vanished_sweep(*, now: datetime | None = None) -> int:
    """Give up the runs whose worker vanished (no sign of life for ``LOST_AFTER``, see
    ``core.heartbeat``): a dry run goes back to its mapping, an import is marked failed
    (its transaction died with its process) and its upload deleted. How many."""
    now = now or timezone.now()
    swept = 0
    planning = ImportRun.objects.filter(
        state=ImportState.PLANNING, plan_started_at__lt=now - LOST_AFTER
    ).only("pk", "token", "suffix", "plan_started_at")
    for run in planning:
        assert run.plan_started_at is not None  # planning since then (the filter above)
        if beat_lost(run.beat_name, since=run.plan_started_at, now=now):
            run.progress_path.unlink(missing_ok=True)
            swept += ImportRun.objects.filter(
                pk=run.pk, state=ImportState.PLANNING, plan_started_at=run.plan_started_at
            ).update(
                state=ImportState.UPLOADED,
                plan_started_at=None,
                error=_(
                    "The check stopped before it finished (was the background worker "
                    "stopped?). Nothing was written: check the file again."
                ),
            )
    going = ImportRun.objects.filter(
        state=ImportState.RUNNING, started_at__lt=now - LOST_AFTER
    ).only("pk", "token", "suffix", "started_at")
    for run in going:
        assert run.started_at is not None  # running since then (the filter above)
        if beat_lost(run.beat_name, since=run.started_at, now=now):
            run.upload_path.unlink(missing_ok=True)
            run.progress_path.unlink(missing_ok=True)
            swept += ImportRun.objects.filter(pk=run.pk, state=ImportState.RUNNING).update(
                state=ImportState.FAILED,
                has_upload=False,
                finished_at=now,
                error=_(
                    "The import stopped before it finished (was the background worker "
                    "stopped?); nothing was imported."
                ),
            )
    return swept


def upload_dry_run(
    *,
    actor: User | None,
    kind: str,
    upload: UploadedFile,
    sheet: str = "",
    mapping: Mapping[str, str] | None = None,
) -> tuple[Plan, dict[int, str]]:
    """The dry run of an uploaded file (the API's), with ``mapping`` (header → field key;
    by default the saved one for its headers, else the matched columns): the plan and the
    columns used. Writes nothing; the file is not kept."""
    found = import_kind(kind)
    import_kind_check(actor, found)
    path = imports_dir() / f"{uuid.uuid4()}{_upload_suffix(upload.name or '')}"
    names: list[str] = []
    try:
        _upload_store(upload, path)
        try:
            names = sheet_names(path)
            with sheet_opened(path, sheet or None) as table:
                if mapping is not None:
                    columns = _mapping_applied(mapping, table.headers)
                else:
                    columns, _saved = columns_proposed(kind=found, headers=table.headers)
                _mapping_checked(found, columns, table.headers)
                return sheet_plan(found, table, columns, user=actor), columns
        except SpreadsheetError as error:
            field = "sheet" if sheet and names and sheet not in names else "file"
            raise ValidationError({field: str(error)}) from error
    finally:
        path.unlink(missing_ok=True)
