"""REST endpoints of the import: the dry run of an uploaded spreadsheet as JSON, the
import itself (applied by the background worker) and its run to follow.

Mounted at ``/api/v1/imports`` by the composition root.
"""

import json
from datetime import datetime
from typing import Any, Literal

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Router, Schema
from ninja.files import UploadedFile

from clientela.core.access import Capability, require
from clientela.core.api import Whole
from clientela.imports import selectors, services, tasks
from clientela.imports.models import ImportRun
from clientela.sheets.registry import sheet_kind_keys

router = Router(tags=["imports"])

KindKey = Literal[tuple(sheet_kind_keys())]  # type: ignore[valid-type]


# --- schemas ------------------------------------------------------------------------


class DryRunForm(Schema):
    sheet: str = Field("", description="The sheet of a workbook; default the first.")
    mapping: str = Field(
        "",
        description=(
            "Which column holds which field: a JSON object of header → field key (the "
            "headers not named are ignored). Default: the mapping saved for these headers, "
            "else the columns matched from the headers in Spanish, Russian or English."
        ),
    )


class ImportForm(DryRunForm):
    skip_invalid: bool = Field(
        False, description="Import the valid rows and leave the refused ones out."
    )


class ColumnOut(Schema):
    index: int = Field(description="The column's position, from 0.")
    header: str
    field: str = Field(description="The key of the field it fills.")


class CountsOut(Schema):
    create: int
    update: int
    unchanged: int
    refused: int


class SampleOut(Schema):
    row: int = Field(description="The row's number in the file.")
    cells: list[str]


class ProblemOut(Schema):
    row: int
    column: str
    value: str
    message: str


class SimilarOut(Schema):
    row: int
    id: int = Field(description="The existing record the new one looks like.")
    name: str


class DryRunOut(Schema):
    """What importing the file would do, writing nothing: the rows to create, update,
    leave unchanged or refuse (``counts``), the first rows of each (``samples``), every
    refused row's problems and every new record that looks like an existing one."""

    kind: str
    headers: list[str]
    columns: list[ColumnOut]
    counts: CountsOut
    samples: dict[str, list[SampleOut]]
    problems: list[ProblemOut]
    similar: list[SimilarOut]


class ImportRunOut(Schema):
    """An import applied by the background worker: ``state`` is running (``rows_done``
    of ``rows_total``), then done, refused (nothing was imported) or failed (``error``;
    nothing was imported). ``report`` is the dry run while it waits, then what was done.
    A run started in the web wizard may also be uploaded, planning (its dry run being
    made, ``rows_done`` read so far) or planned."""

    id: int
    kind: str
    file_name: str
    sheet: str
    state: str
    skip_invalid: bool
    rows_done: int
    rows_total: int
    counts: dict[str, int]
    error: str
    columns: list[ColumnOut]
    report: dict[str, Any] | None
    created_by: str | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None

    @staticmethod
    def resolve_rows_done(obj: ImportRun) -> int:
        return selectors.import_run_rows_done(obj)

    @staticmethod
    def resolve_columns(obj: ImportRun) -> list[dict]:
        return _columns(obj.columns, obj.headers)

    @staticmethod
    def resolve_report(obj: ImportRun) -> dict | None:
        return obj.report if obj.ended else obj.plan

    @staticmethod
    def resolve_created_by(obj: ImportRun) -> str | None:
        return obj.created_by.get_username() if obj.created_by else None


# --- helpers ------------------------------------------------------------------------


def _columns(columns: dict[int, str], headers: list[str]) -> list[dict]:
    return [
        {"index": index, "header": headers[index], "field": key}
        for index, key in sorted(columns.items())
        if index < len(headers)
    ]


def _mapping(text: str) -> Any:
    """The ``mapping`` form field read as JSON (header → field key); None when not sent."""
    if not text.strip():
        return None
    try:
        return json.loads(text)  # its shape is checked where it is used (mapping_from_json)
    except ValueError as error:
        raise ValidationError(
            {"mapping": _("Send the mapping as a JSON object of header → field key.")}
        ) from error


# --- endpoints ------------------------------------------------------------------------


@router.post("/{kind}/dry-run", response=DryRunOut)
def dry_run(
    request: HttpRequest, kind: KindKey, file: File[UploadedFile], form: Form[DryRunForm]
) -> dict[str, Any]:
    """The dry run of importing a spreadsheet (a multipart upload of ``file``: .xlsx, .xls,
    .ods, .csv, or .vcf for customers): writes nothing and keeps no file. 422 naming ``file`` (unreadable, empty, too
    large…), ``sheet`` or ``mapping`` (a column mapped twice, an unknown field…)."""
    require(request.auth, Capability.IMPORT_RUN)
    plan, columns = services.upload_dry_run(
        actor=request.auth,
        kind=kind,
        upload=file,
        sheet=form.sheet,
        mapping=_mapping(form.mapping),
    )
    return {**plan.to_json(), "columns": _columns(columns, plan.headers)}


@router.post("/{kind}", response={202: ImportRunOut})
def import_start(
    request: HttpRequest, kind: KindKey, file: File[UploadedFile], form: Form[ImportForm]
) -> ImportRun:
    """Import a spreadsheet (a multipart upload of ``file``): it is checked now (the dry
    run) and applied by the background worker, all its rows in one transaction; follow
    it with ``GET /imports/runs/{id}``. 422 as the dry run, and on ``skip_invalid`` when
    rows are refused and ``skip_invalid`` is not set (nothing is imported then)."""
    require(request.auth, Capability.IMPORT_RUN)
    saved = _mapping(form.mapping)
    run = services.import_run_upload(actor=request.auth, kind=kind, upload=file)
    try:
        services.import_run_plan(actor=request.auth, run=run, mapping=saved, sheet=form.sheet)
        tasks.import_run_start(actor=request.auth, run=run, skip_invalid=form.skip_invalid)
    except ValidationError:
        services.import_run_discard(run=run)
        raise
    run.refresh_from_db()
    return run


@router.get("/runs/{int:run_id}", response=ImportRunOut)
def run_get(request: HttpRequest, run_id: Whole) -> ImportRun:
    """An import as far as it has got (your own; the owner sees everyone's)."""
    require(request.auth, Capability.IMPORT_RUN)
    return selectors.import_run_get(user=request.auth, pk=run_id)
