"""The import wizard, under /imports/: upload → mapping → dry run in the background with
a progress bar → preview → apply in the background with a progress bar → report; the
templates to fill in; the refused rows to correct. Parse the request, call a selector or
a service, render."""

import tempfile
from itertools import islice
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from clientela.core.access import Capability
from clientela.imports import selectors, services, tasks
from clientela.imports.forms import ApplyForm, MappingForm, UploadForm
from clientela.imports.models import ImportRun, ImportState
from clientela.sheets.exporting import export_write, refused_rows
from clientela.sheets.plan import ACTIONS, SAMPLE_ROWS, Kind, Plan, Problem, row_text
from clientela.sheets.registry import sheet_kind, sheet_kind_keys, sheet_kinds
from clientela.sheets.table import SpreadsheetError
from clientela.sheets.template_files import TEMPLATE_FORMATS, template_content
from clientela.web.decorators import capability_required
from clientela.web.forms import form_add_service_error

# The refused rows a page lists; all of them are in the download.
PROBLEMS_SHOWN = 500
XLSX = TEMPLATE_FORMATS["xlsx"]
# The states whose page follows the background worker with a progress bar.
FOLLOWED = (ImportState.PLANNING, ImportState.RUNNING)


def _run(request, pk: int) -> ImportRun:
    """A run the user may see, or 404."""
    try:
        return selectors.import_run_get(user=request.user, pk=pk)
    except ImportRun.DoesNotExist as error:
        raise Http404 from error


def _kind(run: ImportRun) -> Kind:
    if run.kind not in sheet_kind_keys():
        raise Http404
    return sheet_kind(run.kind)


# --- upload ---------------------------------------------------------------------------


@capability_required(Capability.IMPORT_RUN)
def import_start(request):
    """Step 1: choose what the file holds and upload it; the templates; recent imports."""
    kinds = selectors.import_kinds(user=request.user)
    form = UploadForm(
        request.POST or None,
        request.FILES or None,
        kinds=kinds,
        initial={"kind": request.GET.get("kind")},
    )
    every = sheet_kinds()
    if request.method == "POST" and form.is_valid():
        try:
            run = services.import_run_upload(
                actor=request.user, kind=form.cleaned_data["kind"], upload=form.cleaned_data["file"]
            )
        except ValidationError as error:
            form_add_service_error(form, error)
        else:
            return redirect("imports:mapping", pk=run.pk)
    return render(
        request,
        "imports/start.html",
        {
            "form": form,
            "kinds": kinds,
            "formats": list(TEMPLATE_FORMATS),
            "runs": [
                (run, every[run.kind].label if run.kind in every else run.kind)
                for run in selectors.import_run_list(user=request.user)
            ],
        },
    )


@capability_required(Capability.IMPORT_RUN)
def template_download(request, kind: str, file_format: str):
    """A kind's template to fill in, headers in the user's language, one example row."""
    if kind not in sheet_kind_keys() or file_format not in TEMPLATE_FORMATS:
        raise Http404
    response = HttpResponse(
        template_content(sheet_kind(kind), file_format), content_type=TEMPLATE_FORMATS[file_format]
    )
    response["Content-Disposition"] = f'attachment; filename="clientela-{kind}.{file_format}"'
    return response


# --- mapping --------------------------------------------------------------------------


@capability_required(Capability.IMPORT_RUN)
def run_mapping(request, pk: int):
    """Step 2: which column holds which field (proposed from the headers or a saved
    mapping, or the one last sent), the sheet of a workbook; sent, the background worker
    makes the dry run."""
    run = _run(request, pk)
    kind = _kind(run)
    if run.state not in (ImportState.UPLOADED, ImportState.PLANNED):
        return redirect("imports:run", pk=run.pk)
    if not run.has_upload:
        messages.error(request, _("The uploaded file was removed; upload it again."))
        return redirect("imports:start")
    data = request.POST if request.method == "POST" else request.GET
    sheet = data.get("sheet", run.sheet)
    if sheet not in run.sheets:
        sheet = run.sheet
    context = {"run": run, "kind": kind, "sheet": sheet, "error": ""}
    try:
        with services.sheet_opened(run.upload_path, sheet or None) as table:
            headers = table.headers
            samples = [row_text(cells) for _number, cells in islice(table.rows, SAMPLE_ROWS)]
    except SpreadsheetError as error:
        context["error"] = str(error)
        return render(request, "imports/mapping.html", context)
    saved = None
    if request.method == "POST":
        form = MappingForm(request.POST, kind=kind, headers=headers)
        if form.is_valid():
            try:
                tasks.import_run_check(
                    actor=request.user,
                    run=run,
                    columns=form.columns(),
                    sheet=sheet,
                    save_mapping=form.cleaned_data["save_mapping"],
                )
            except ValidationError as error:
                form_add_service_error(form, error)
            else:
                if form.cleaned_data["save_mapping"]:
                    messages.success(
                        request, _("The mapping is saved for files with these columns.")
                    )
                return redirect("imports:run", pk=run.pk)
    else:
        if run.mapping and sheet == run.sheet:
            columns = run.columns
        else:
            columns, saved = selectors.columns_proposed(kind=kind, headers=headers)
        form = MappingForm(
            initial=MappingForm.initial_for(columns, sheet), kind=kind, headers=headers
        )
    context.update(
        {
            "form": form,
            "saved": saved,
            "columns": [
                {
                    "header": header,
                    "field": field,
                    "samples": [row[index] for row in samples if row[index]],
                }
                for index, (header, field) in enumerate(
                    zip(headers, form.column_fields(), strict=True)
                )
            ],
        }
    )
    return render(request, "imports/mapping.html", context)


# --- the run: preview, progress, report ----------------------------------------------


def _report(data: dict | None) -> dict | None:
    """A plan's JSON as the page shows it."""
    if not data:
        return None
    return {
        "counts": data["counts"],
        "headers": data["headers"],
        "samples": [
            (action, data["samples"][action]) for action in ACTIONS if data["samples"][action]
        ],
        "problems": data["problems"][:PROBLEMS_SHOWN],
        "problems_hidden": max(len(data["problems"]) - PROBLEMS_SHOWN, 0),
        "similar": data["similar"],
    }


@capability_required(Capability.IMPORT_RUN)
def run_detail(request, pk: int):
    """A run as far as it has got: the progress of its dry run, why its dry run stopped,
    its dry run and Apply, the progress of its import, or its report."""
    run = _run(request, pk)
    if run.state == ImportState.UPLOADED and not run.error:
        return redirect("imports:mapping", pk=run.pk)
    kind = _kind(run)
    labels = {field.key: field.label for field in kind.fields}
    context = {
        "run": run,
        "kind": kind,
        "mapped": [
            (run.headers[index] if index < len(run.headers) else "", labels.get(key, key))
            for index, key in sorted(run.columns.items())
        ],
    }
    if run.state == ImportState.PLANNED:
        context["report"] = _report(run.plan)
        context["apply_form"] = ApplyForm()
    elif run.state in FOLLOWED:
        context["progress"] = _progress(run)
    elif run.ended:
        context["report"] = _report(run.report)
    return render(request, "imports/run.html", context)


def _progress(run: ImportRun) -> dict:
    """Whether the worker has begun, the rows read and, for an import (whose dry run
    counted them), of how many."""
    done = selectors.import_run_rows_done(run)
    if run.state == ImportState.PLANNING:
        return {"started": run.plan_started_at is not None, "done": done}
    total = max(run.rows_total, 1)
    return {
        "started": run.started_at is not None,
        "done": done,
        "total": run.rows_total,
        "percent": min(100, done * 100 // total),
    }


@capability_required(Capability.IMPORT_RUN)
def run_progress(request, pk: int):
    """The progress bar of a dry run or an import (polled by htmx); once it has ended the
    page reloads to show the dry run or the report."""
    run = _run(request, pk)
    if request.htmx and run.state not in FOLLOWED:
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "imports/_progress.html", {"run": run, "progress": _progress(run)})


@capability_required(Capability.IMPORT_RUN)
def run_apply(request, pk: int):
    """Step 4: have the background worker apply the dry run (POST); the Apply form again,
    enabled or not by the "skip" box (GET, htmx)."""
    run = _run(request, pk)
    form = ApplyForm(request.POST if request.method == "POST" else request.GET)
    form.is_valid()
    skip_invalid = form.cleaned_data.get("skip_invalid", False)
    if request.method != "POST":
        if run.state != ImportState.PLANNED:
            raise Http404
        return render(request, "imports/_apply.html", {"run": run, "apply_form": form})
    try:
        tasks.import_run_start(actor=request.user, run=run, skip_invalid=skip_invalid)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The import runs in the background; this page follows it."))
    return redirect("imports:run", pk=run.pk)


def _problems_plan(run: ImportRun, data: dict) -> Plan:
    return Plan(
        run.kind, data["headers"], problems=[Problem(**problem) for problem in data["problems"]]
    )


@capability_required(Capability.IMPORT_RUN)
def run_refused(request, pk: int):
    """The refused rows as an .xlsx, with their problems in a last column: corrected,
    the file imports again."""
    run = _run(request, pk)
    name = f"{Path(run.file_name).stem}-refused.xlsx"
    if run.has_refused_file:
        return FileResponse(
            run.refused_path.open("rb"), as_attachment=True, filename=name, content_type=XLSX
        )
    if run.state != ImportState.PLANNED or not run.has_upload or not run.counts.get("refused"):
        raise Http404
    # Deleted when closed, which FileResponse does once it is sent.
    handle = tempfile.NamedTemporaryFile(suffix=".xlsx", dir=settings.FILE_UPLOAD_TEMP_DIR)  # noqa: SIM115
    with services.sheet_opened(run.upload_path, run.sheet or None) as table:
        export_write(refused_rows(table, _problems_plan(run, run.plan)), handle.name)
    handle.seek(0)
    return FileResponse(handle, as_attachment=True, filename=name, content_type=XLSX)
