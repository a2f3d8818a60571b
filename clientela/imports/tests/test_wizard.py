"""The import wizard as staff use it: upload, map the columns, follow the dry run made in
the background, read it, apply in the background with a progress bar, read the report;
and what each refusal looks like."""

import dataclasses
import html
import io
import os
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from clientela.core.background import sweeps_run
from clientela.core.heartbeat import beating
from clientela.customers.models import Customer
from clientela.customers.tests.factories import CustomerFactory
from clientela.imports.models import ImportRun, ImportState, SavedMapping
from clientela.imports.selectors import import_kinds
from clientela.imports.services import import_files_sweep
from clientela.imports.tasks import import_task, plan_task
from clientela.imports.tests.uploads import (
    HEADERS,
    ROWS,
    csv_upload,
    distinct_rows,
    xlsx_bytes,
    xlsx_rows,
    xlsx_upload,
)
from clientela.sheets.plan import CHUNK_ROWS
from clientela.sheets.registry import sheet_kind, sheet_kind_keys, sheet_kinds
from clientela.sheets.tests import FILES

pytestmark = pytest.mark.django_db

START = reverse("imports:start")
TASK_PATH = "clientela.imports.tasks.import_task"
PLAN_TASK_PATH = "clientela.imports.tasks.plan_task"


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    """Uploads go to a data folder of the test's own."""
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


@pytest.fixture
def catalog(owner):
    """Panadería Gómez (its tax id is in the file) and La Esperanza (a row looks like it)."""
    return {
        "gomez": CustomerFactory(actor=owner, name="Panadería Gómez", tax_id="GODE561231GR8"),
        "esperanza": CustomerFactory(
            actor=owner,
            name="Tortillería La Esperanza",
            addresses=[{"street": "Av. Juárez 10", "city": "Puebla", "postal_code": "72000"}],
        ),
    }


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _field_error(response, field_id: str) -> str:
    match = re.search(
        rf'<div[^>]* id="{field_id}_error"[^>]*>(.*?)</div>', response.content.decode(), re.S
    )
    return html.unescape(match.group(1)).strip() if match else ""


def _count(response, action: str) -> int:
    match = re.search(rf'data-count="{action}">(\d+)<', response.content.decode())
    assert match, f"no count of {action}"
    return int(match.group(1))


def _upload(client, upload, kind="customers"):
    return client.post(START, {"kind": kind, "file": upload})


def _uploaded(client, upload) -> ImportRun:
    response = _upload(client, upload)
    assert response.status_code == 302, _page(response)
    return ImportRun.objects.latest("pk")


def _mapping_post(client, run, columns: dict[int, str], **extra):
    data = {f"column_{index}": key for index, key in columns.items()}
    return client.post(reverse("imports:mapping", args=[run.pk]), {**data, **extra})


def _proposed(client, run) -> dict[int, str]:
    """The mapping the page proposes for ``run``."""
    page = _page(client.get(reverse("imports:mapping", args=[run.pk])))
    return {
        int(index): key
        for index, key in re.findall(
            r'name="column_(\d+)"[^>]*>.*?<option value="([^"]*)" selected', page, re.S
        )
    }


def _planned(client, upload) -> ImportRun:
    """Upload ``upload``, send the mapping the page proposes and let the worker make the
    dry run."""
    run = _uploaded(client, upload)
    response = _mapping_post(client, run, _proposed(client, run))
    assert response.status_code == 302, _page(response)
    _work()
    run.refresh_from_db()
    return run


def _work() -> None:
    """Run the enqueued dry runs and imports, as the background worker does."""
    tasks = {PLAN_TASK_PATH: plan_task, TASK_PATH: import_task}
    for result in DBTaskResult.objects.filter(task_path__in=tasks, status="READY"):
        arguments = result.args_kwargs
        tasks[result.task_path].call(*arguments["args"], **arguments["kwargs"])
        DBTaskResult.objects.filter(pk=result.pk).update(status="SUCCESSFUL")


def _files(data_dir) -> list[str]:
    folder = data_dir / "imports"
    return sorted(os.listdir(folder)) if folder.exists() else []


# --- upload -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This file is not a spreadsheet"),
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + "EncryptedPackage".encode("utf-16-le")
            + b"\x00" * 512,
            "This workbook has a password",
        ),
        (b"PK\x03\x04" + b"\x00" * 64, "cannot be read: it may be damaged"),
    ],
    ids=["empty", "not a spreadsheet", "password", "corrupt"],
)
def test_a_file_that_cannot_be_read_is_refused_on_the_file_field_and_nothing_is_kept(
    client, sales, data_dir, content, message
):
    client.force_login(sales)

    response = _upload(client, SimpleUploadedFile("clientes.xlsx", content))

    assert response.status_code == 200
    assert message in _field_error(response, "id_file")
    assert not ImportRun.objects.exists()
    assert _files(data_dir) == []


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(client, sales, settings, data_dir):
    settings.CLIENTELA_IMPORT_MAX_MB = 1
    client.force_login(sales)
    big = csv_upload([HEADERS, *distinct_rows(30_000)])

    response = _upload(client, big)

    assert "files of up to 1 MB can be imported" in _field_error(response, "id_file")
    assert not ImportRun.objects.exists() and _files(data_dir) == []


def test_the_first_step_offers_the_kinds_with_their_templates_and_the_recent_imports(
    client, sales, owner
):
    mine = ImportRun.objects.create(created_by=sales, kind="customers", file_name="mine.csv")
    ImportRun.objects.create(created_by=owner, kind="customers", file_name="theirs.csv")
    client.force_login(sales)

    page = _page(client.get(START))

    assert f'data-run="{mine.pk}"' in page and "mine.csv" in page
    assert "theirs.csv" not in page
    # each kind the user may import, with its templates; the others not
    for key, kind in sheet_kinds().items():
        offered = kind in import_kinds(user=sales)
        assert (f'<option value="{key}"' in page) == offered
        for file_format in ("xlsx", "csv"):
            link = reverse("imports:template", args=[key, file_format])
            assert (link in page) == offered
    client.force_login(owner)
    page = _page(client.get(START))
    assert all(f'<option value="{key}"' in page for key in sheet_kind_keys())


# --- mapping ----------------------------------------------------------------------------


def test_the_mapping_shows_each_column_with_its_first_values_and_proposed_field(client, sales):
    client.force_login(sales)
    run = _uploaded(client, csv_upload([HEADERS, *ROWS]))

    response = client.get(reverse("imports:mapping", args=[run.pk]))

    page = _page(response)
    assert [header for header in HEADERS if header in page] == HEADERS
    assert "Café Olé" in page and "hola@cafeole.mx" in page
    assert re.search(r'name="column_0".*?<option value="tax_id" selected', page, re.S)
    assert re.search(r'name="column_2".*?<option value="email" selected', page, re.S)
    assert "— ignore this column —" in page
    assert run.state == ImportState.UPLOADED and run.plan is None


def test_a_column_mapped_twice_is_refused_naming_both_and_nothing_changes(client, sales):
    client.force_login(sales)
    run = _uploaded(client, csv_upload([HEADERS, *ROWS]))

    response = _mapping_post(client, run, {0: "tax_id", 1: "name", 2: "name"})

    assert response.status_code == 200
    assert "Columns “Nombre” and “Correo” are both mapped to Name." in _page(response)
    run.refresh_from_db()
    assert run.state == ImportState.UPLOADED and run.plan is None and run.mapping == {}
    assert not SavedMapping.objects.exists() and not DBTaskResult.objects.exists()


def test_a_saved_mapping_is_applied_to_the_next_file_with_the_same_headers(client, sales):
    headers = ["Negocio", "Zona", "Correo"]
    client.force_login(sales)
    first = _uploaded(client, csv_upload([headers, ["Café Olé", "Centro", "hola@cafeole.mx"]]))
    # "Negocio" and "Zona" are no field's names: the user maps them by hand and saves it
    page = _page(client.get(reverse("imports:mapping", args=[first.pk])))
    assert not re.search(r'name="column_1".*?<option value="tags" selected', page, re.S)
    response = _mapping_post(client, first, {0: "name", 1: "tags", 2: "email"}, save_mapping="on")
    assert response.status_code == 302

    # Another file with the same headers in another order
    second = _uploaded(client, csv_upload([["Correo", "ZONA", "Negocio"], ["a@b.mx", "Sur", "B"]]))
    response = client.get(reverse("imports:mapping", args=[second.pk]))

    page = _page(response)
    assert 'id="saved-mapping"' in page and str(sales) in page
    assert re.search(r'name="column_0".*?<option value="email" selected', page, re.S)
    assert re.search(r'name="column_1".*?<option value="tags" selected', page, re.S)
    assert re.search(r'name="column_2".*?<option value="name" selected', page, re.S)


def test_a_workbook_with_several_sheets_lets_the_user_pick_one(client, sales):
    content = {
        "Notas": [["Lista de precios 2024"]],
        "Clientes": [HEADERS, ROWS[1]],
        "Proveedores": [["Proveedor", "Producto"], ["Harinas del Sur", "Harina"]],
    }
    client.force_login(sales)
    run = _uploaded(client, xlsx_upload(content))
    url = reverse("imports:mapping", args=[run.pk])

    # the first sheet with a table is proposed
    first = _page(client.get(url))
    assert 'id="sheet-choice"' in first
    assert re.search(r'<option value="Clientes" selected>', first) and "Café Olé" in first

    notes = _page(client.get(url, {"sheet": "Notas"}))
    assert "No header row was found" in notes and 'id="mapping-form"' not in notes

    others = _page(client.get(url, {"sheet": "Proveedores"}))
    assert "Harinas del Sur" in others and "Café Olé" not in others

    response = _mapping_post(client, run, {0: "name"}, sheet="Proveedores")
    _work()

    assert response.status_code == 302
    run.refresh_from_db()
    assert run.sheet == "Proveedores" and run.counts["create"] == 1


@pytest.mark.parametrize("name", ["clientes-libreoffice.xls", "clientes-libreoffice.ods"])
def test_an_old_excel_or_a_libreoffice_workbook_is_imported_like_an_xlsx(client, sales, name):
    # given a salesperson with a workbook LibreOffice saved as .xls or .ods
    client.force_login(sales)
    content = (FILES / name).read_bytes()

    # when they upload it and pick its Russian sheet
    run = _uploaded(client, SimpleUploadedFile(name, content))
    url = reverse("imports:mapping", args=[run.pk])
    assert '<option value="Москва">' in _page(client.get(url))
    response = _mapping_post(client, run, {0: "tax_id", 1: "name", 2: "phone"}, sheet="Москва")
    _work()

    # then its dry run reads the rows as they are
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.counts == {"create": 2, "update": 0, "unchanged": 0, "refused": 0}


# --- the dry run ------------------------------------------------------------------------


def test_the_dry_run_shows_what_each_row_would_do_and_writes_nothing(client, sales, catalog):
    client.force_login(sales)
    run = _planned(client, csv_upload([HEADERS, *ROWS]))

    response = client.get(reverse("imports:run", args=[run.pk]))

    page = _page(response)
    assert run.state == ImportState.PLANNED
    assert [_count(response, a) for a in ("create", "update", "unchanged", "refused")] == [
        2,
        1,
        0,
        1,
    ]
    # every refused row, with its row, column, value and why
    problem = re.search(r'<tr data-problem-row="4">(.*?)</tr>', page, re.S).group(1)
    assert "Correo" in problem and "hola@" in problem and "e-mail" in problem.lower()
    # the samples of each action, by row number
    assert re.search(r'data-sample="update".*?<th scope="row">2</th>', page, re.S)
    assert re.search(r'data-sample="create".*?Café Olé', page, re.S)
    # the near-duplicate
    esperanza = catalog["esperanza"]
    assert f"Row 5 looks like #{esperanza.pk}, Tortillería La Esperanza." in page
    assert reverse("imports:refused", args=[run.pk]) in page
    # Import is disabled while rows are refused, and says why
    assert re.search(r'<button type="submit"[^>]*disabled[^>]*id="apply-button"', page)
    assert "1 row is refused" in page
    assert Customer.objects.count() == 2
    assert not catalog["gomez"].emails.exists()


def test_a_look_alikes_number_is_written_as_is_past_a_thousand(client, sales, catalog):
    """A customer's number is an id to look up: no thousands separator, in any language."""
    client.force_login(sales)
    run = _planned(client, csv_upload([HEADERS, *ROWS]))
    run.plan["similar"][0]["id"] = 12345  # as a book past its first thousand customers
    run.save(update_fields=["plan"])

    for language in ("en", "es", "ru"):
        page = _page(
            client.get(reverse("imports:run", args=[run.pk]), HTTP_ACCEPT_LANGUAGE=language)
        )

        assert re.search(r"[#№]12345, Tortillería La Esperanza", page), language


def test_ticking_skip_enables_import(client, sales, catalog):
    client.force_login(sales)
    run = _planned(client, csv_upload([HEADERS, *ROWS]))
    url = reverse("imports:apply", args=[run.pk])

    ticked = _page(client.get(url, {"skip_invalid": "on"}, headers={"HX-Request": "true"}))
    unticked = _page(client.get(url, headers={"HX-Request": "true"}))

    assert not re.search(r"disabled[^>]*id=\"apply-button\"", ticked)
    assert "The refused rows are left out" in ticked
    assert re.search(r"disabled[^>]*id=\"apply-button\"", unticked)


def test_the_refused_rows_download_imports_again_once_corrected(client, sales, catalog):
    client.force_login(sales)
    run = _planned(client, csv_upload([HEADERS, *ROWS]))

    response = client.get(reverse("imports:refused", args=[run.pk]))

    assert response["Content-Disposition"].startswith('attachment; filename="clientes-refused')
    rows = xlsx_rows(b"".join(response.streaming_content))
    assert rows[0] == [*HEADERS, "Problems"]
    assert [row[:3] for row in rows[1:]] == [["", "Sin correo válido", "hola@"]]
    assert "Correo:" in rows[1][-1]

    # When the e-mail is corrected and the file uploaded again
    workbook = load_workbook(io.BytesIO(xlsx_bytes({"Refused": rows})))
    workbook.active["C2"] = "hola@sincorreo.mx"
    corrected = io.BytesIO()
    workbook.save(corrected)

    again = _planned(client, SimpleUploadedFile("clientes-refused.xlsx", corrected.getvalue()))

    assert again.counts == {"create": 1, "update": 0, "unchanged": 0, "refused": 0}


def test_the_dry_run_is_made_in_the_background_and_the_page_follows_it(
    client, sales, monkeypatch, data_dir
):
    client.force_login(sales)
    run = _uploaded(client, csv_upload([HEADERS, *distinct_rows(CHUNK_ROWS + 1)]))
    proposed = _proposed(client, run)
    progress = reverse("imports:progress", args=[run.pk])
    # what the progress bar says after each chunk the worker has checked
    followed = []
    customers = sheet_kind("customers")

    def chunks_followed(sheet, columns, user):
        for rows in customers.plan_chunks(sheet, columns, user):
            yield rows
            followed.append(_page(client.get(progress, headers={"HX-Request": "true"})))

    monkeypatch.setattr(
        "clientela.customers.sheet.CUSTOMERS",
        dataclasses.replace(customers, plan_chunks=chunks_followed),
    )

    response = _mapping_post(client, run, proposed)

    # Then the mapping is kept, the check waits for the worker, and the page follows it
    assert response.status_code == 302
    assert response.url == reverse("imports:run", args=[run.pk])
    run.refresh_from_db()
    assert run.state == ImportState.PLANNING and run.plan is None
    assert run.columns == proposed
    task = DBTaskResult.objects.get(task_path=PLAN_TASK_PATH)
    assert task.args_kwargs["kwargs"] == {"run_id": run.pk}
    page = _page(client.get(response.url))
    assert 'id="import-progress"' in page and "check is waiting for the background worker" in page

    _work()

    assert [f"{CHUNK_ROWS:,} rows checked so far" in page for page in followed] == [True, False]
    assert f"{CHUNK_ROWS + 1:,} rows checked so far" in followed[1]
    run.refresh_from_db()
    assert run.state == ImportState.PLANNED and run.counts["create"] == CHUNK_ROWS + 1
    assert _files(data_dir) == [f"{run.token}.csv"]
    done = client.get(progress, headers={"HX-Request": "true"})
    assert done.status_code == 204 and done["HX-Refresh"] == "true"
    preview = _page(client.get(reverse("imports:run", args=[run.pk])))
    assert "What the import would do" in preview
    assert f'data-count="create">{CHUNK_ROWS + 1:,}<' in preview
    assert not Customer.objects.exists()


def test_a_mapping_error_on_a_checked_file_is_shown_at_once_and_its_dry_run_stays(
    client, sales, catalog
):
    client.force_login(sales)
    run = _planned(client, csv_upload([HEADERS, *ROWS]))
    checked = (run.mapping, run.plan)

    response = _mapping_post(client, run, {0: "tax_id", 1: "name", 2: "tax_id"})

    assert response.status_code == 200
    assert "Columns “RFC” and “Correo” are both mapped to" in _page(response)
    run.refresh_from_db()
    assert run.state == ImportState.PLANNED and (run.mapping, run.plan) == checked
    assert not DBTaskResult.objects.filter(status="READY").exists()


def test_a_file_that_cannot_be_read_to_its_end_stops_the_check_and_leads_back_to_the_columns(
    client, sales, data_dir
):
    rows = [HEADERS, *distinct_rows(12)]
    rows[9] = [*rows[9], "", "sobra"]  # row 10 has a value beyond the last named column
    client.force_login(sales)
    run = _uploaded(client, csv_upload(rows))
    # the user leaves the phone column out; the mapping page reads the first rows only
    chosen = {**_proposed(client, run), 3: ""}
    _mapping_post(client, run, chosen)

    _work()

    run.refresh_from_db()
    assert run.state == ImportState.UPLOADED and run.plan is None
    assert run.error == "Row 10 has values beyond the last named column."
    assert _files(data_dir) == [f"{run.token}.csv"]
    page = _page(client.get(reverse("imports:run", args=[run.pk])))
    assert "The check stopped; nothing was written." in page
    assert "Row 10 has values beyond the last named column." in page
    assert f'href="{reverse("imports:mapping", args=[run.pk])}" id="back-to-mapping"' in page
    # back on the columns, the mapping sent is the one offered
    assert _proposed(client, run) == chosen
    assert not Customer.objects.exists()
    assert not DBTaskResult.objects.filter(task_path=TASK_PATH).exists()


def test_a_check_whose_worker_stopped_leads_back_to_the_columns_and_can_be_sent_again(
    client, sales, data_dir
):
    client.force_login(sales)
    stalled = _uploaded(client, csv_upload([HEADERS, ROWS[1]]))
    going = _uploaded(client, csv_upload([HEADERS, ROWS[1]]))
    for run in (stalled, going):
        _mapping_post(client, run, _proposed(client, run))
    # Both started checking two minutes ago; one worker lives, the other vanished
    for run in (stalled, going):
        ImportRun.objects.filter(pk=run.pk).update(
            plan_started_at=timezone.now() - timedelta(minutes=2)
        )

    with beating(going.beat_name):
        sweeps_run()

    stalled.refresh_from_db()
    going.refresh_from_db()
    assert stalled.state == ImportState.UPLOADED and stalled.has_upload
    assert "was the background worker stopped?" in stalled.error
    assert going.state == ImportState.PLANNING and not going.error
    page = _page(client.get(reverse("imports:run", args=[stalled.pk])))
    assert "was the background worker stopped?" in page and 'id="back-to-mapping"' in page
    # the stopped worker's task, run late, changes nothing; the mapping sent again is checked
    _work()
    stalled.refresh_from_db()
    assert stalled.state == ImportState.UPLOADED

    _mapping_post(client, stalled, _proposed(client, stalled))
    _work()

    stalled.refresh_from_db()
    assert stalled.state == ImportState.PLANNED and stalled.counts["create"] == 1
    assert not stalled.error


def test_an_import_whose_worker_vanished_is_marked_failed_and_its_upload_removed(
    client, sales, data_dir
):
    client.force_login(sales)
    killed = _planned(client, csv_upload([HEADERS, ROWS[1]]))
    alive = _planned(client, csv_upload([HEADERS, ROWS[1]]))
    for run in (killed, alive):
        client.post(reverse("imports:apply", args=[run.pk]))
        # a worker took it two minutes ago and read 1 row
        ImportRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - timedelta(minutes=2))
        run.progress_path.write_text("1")

    with beating(alive.beat_name):
        assert sweeps_run() == 1

    killed.refresh_from_db()
    alive.refresh_from_db()
    assert killed.state == ImportState.FAILED and killed.finished_at is not None
    assert "nothing was imported" in killed.error
    assert not killed.has_upload and not killed.upload_path.exists()
    assert alive.state == ImportState.RUNNING and alive.upload_path.exists()
    page = _page(client.get(reverse("imports:run", args=[killed.pk])))
    assert "was the background worker stopped?" in page


# --- apply, progress, report ------------------------------------------------------------


def test_import_runs_in_the_background_and_the_report_shows_what_was_done(
    client, sales, catalog, data_dir
):
    client.force_login(sales)
    run = _planned(client, csv_upload([HEADERS, *ROWS]))

    response = client.post(reverse("imports:apply", args=[run.pk]), {"skip_invalid": "on"})

    # Then it waits for the worker, and the page follows it
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.state == ImportState.RUNNING and run.skip_invalid
    assert DBTaskResult.objects.filter(task_path=TASK_PATH).count() == 1
    page = _page(client.get(reverse("imports:run", args=[run.pk])))
    assert 'id="import-progress"' in page and "waiting for the background worker" in page
    assert Customer.objects.count() == 2

    _work()

    run.refresh_from_db()
    assert run.state == ImportState.DONE
    assert run.counts == {"create": 2, "update": 1, "unchanged": 0, "refused": 1}
    assert run.rows_done == run.rows_total == 4
    assert set(Customer.objects.values_list("name", flat=True)) == {
        "Panadería Gómez",
        "Tortillería La Esperanza",
        "Café Olé",
        "Tortilleria La Esperanza",
    }
    gomez = catalog["gomez"]
    last = gomez.history.latest("history_date")
    assert (last.history_user, last.history_change_reason) == (sales, "Imported from clientes.csv")
    # the upload is gone; the refused rows are kept to download
    assert _files(data_dir) == [f"{run.token}-refused.xlsx"]

    report = client.get(reverse("imports:run", args=[run.pk]))

    page = _page(report)
    assert "Imported: 2 created, 1 updated, 0 unchanged." in page
    assert "1 refused row was left out." in page
    assert [_count(report, a) for a in ("create", "update", "refused")] == [2, 1, 1]
    assert 'data-problem-row="4"' in page
    download = client.get(reverse("imports:refused", args=[run.pk]))
    assert xlsx_rows(b"".join(download.streaming_content))[1][1] == "Sin correo válido"


def test_apply_twice_starts_one_import(client, sales):
    client.force_login(sales)
    run = _planned(client, csv_upload([HEADERS, ROWS[1]]))
    url = reverse("imports:apply", args=[run.pk])

    client.post(url)
    again = _page(client.post(url, follow=True))

    assert "already been started" in again
    assert DBTaskResult.objects.filter(task_path=TASK_PATH).count() == 1


def test_import_without_skip_is_refused_while_rows_are_refused(client, sales, catalog):
    client.force_login(sales)
    run = _planned(client, csv_upload([HEADERS, *ROWS]))

    page = _page(client.post(reverse("imports:apply", args=[run.pk]), follow=True))

    assert "1 row is refused" in page
    run.refresh_from_db()
    assert run.state == ImportState.PLANNED
    assert not DBTaskResult.objects.filter(task_path=TASK_PATH).exists()


def test_the_progress_bar_follows_the_rows_and_the_page_reloads_when_done(client, sales):
    client.force_login(sales)
    run = _planned(client, csv_upload([HEADERS, *distinct_rows(4)]))
    client.post(reverse("imports:apply", args=[run.pk]))
    run.refresh_from_db()
    url = reverse("imports:progress", args=[run.pk])
    # the worker has started it and read 1 row of 4
    run.started_at = timezone.now()
    run.save()
    run.progress_path.write_text("1")

    going = _page(client.get(url, headers={"HX-Request": "true"}))

    assert 'data-progress="25"' in going and "1 of 4 rows read (25%)" in going
    assert 'hx-trigger="every 1s"' in going

    ImportRun.objects.filter(pk=run.pk).update(state=ImportState.DONE)
    done = client.get(url, headers={"HX-Request": "true"})

    assert done.status_code == 204 and done["HX-Refresh"] == "true"


def test_rows_refused_when_applied_leave_everything_as_it_was(client, sales, catalog):
    client.force_login(sales)
    rows = [HEADERS, ROWS[0], ROWS[1]]
    run = _planned(client, csv_upload(rows))
    assert run.counts["refused"] == 0
    client.post(reverse("imports:apply", args=[run.pk]))
    # Meanwhile someone gives another customer the e-mail row 2 brings to Panadería
    # Gómez: row 2 now matches two customers
    CustomerFactory(name="Otro", emails=["pedidos@gomez.mx"])

    _work()

    run.refresh_from_db()
    assert run.state == ImportState.REFUSED
    assert "nothing was imported" in run.error
    page = _page(client.get(reverse("imports:run", args=[run.pk])))
    assert "Nothing was imported." in page and 'data-problem-row="2"' in page
    assert not Customer.objects.filter(name="Café Olé").exists()
    assert not catalog["gomez"].emails.exists()


def test_an_error_while_writing_undoes_everything_and_the_report_says_so(
    client, sales, catalog, monkeypatch, data_dir
):
    customers = sheet_kind("customers")

    def apply_then_fail(rows, actor, reason):
        customers.apply(rows, actor, reason)
        raise ValidationError(f"Row {rows[-1].row}: the server refused it.")

    monkeypatch.setattr(
        "clientela.customers.sheet.CUSTOMERS", dataclasses.replace(customers, apply=apply_then_fail)
    )
    client.force_login(sales)
    run = _planned(client, csv_upload([HEADERS, ROWS[0], ROWS[1]]))
    client.post(reverse("imports:apply", args=[run.pk]))

    _work()

    run.refresh_from_db()
    assert run.state == ImportState.FAILED and run.error == "Row 3: the server refused it."
    page = _page(client.get(reverse("imports:run", args=[run.pk])))
    assert "Nothing was imported." in page and "Row 3: the server refused it." in page
    assert Customer.objects.count() == 2 and not catalog["gomez"].emails.exists()
    assert _files(data_dir) == []


# --- who may, and files kept ----------------------------------------------------------


def test_read_only_and_support_users_may_not_import(client, readonly, support, sales):
    run = ImportRun.objects.create(created_by=sales, kind="customers", file_name="a.csv")
    for user in (readonly, support):
        client.force_login(user)
        assert client.get(START).status_code == 403
        assert _upload(client, csv_upload([HEADERS, ROWS[1]])).status_code == 403
        assert client.get(reverse("imports:template", args=["customers", "csv"])).status_code == 403
        assert client.get(reverse("imports:run", args=[run.pk])).status_code == 403
    assert ImportRun.objects.count() == 1


def test_a_user_sees_only_their_own_imports_and_the_owner_sees_all(client, sales, owner):
    run = ImportRun.objects.create(
        created_by=owner, kind="customers", file_name="a.csv", state=ImportState.FAILED
    )
    client.force_login(sales)
    assert client.get(reverse("imports:run", args=[run.pk])).status_code == 404

    client.force_login(owner)
    assert client.get(reverse("imports:run", args=[run.pk])).status_code == 200


def test_uploads_never_applied_are_deleted_after_a_day_and_stalled_runs_fail(
    client, sales, data_dir
):
    client.force_login(sales)
    left = _planned(client, csv_upload([HEADERS, ROWS[1]]))
    stalled = _planned(client, csv_upload([HEADERS, ROWS[1]]))
    client.post(reverse("imports:apply", args=[stalled.pk]))
    ImportRun.objects.filter(pk=stalled.pk).update(started_at=timezone.now() - timedelta(hours=2))
    assert len(_files(data_dir)) == 2

    import_files_sweep(now=timezone.now() + timedelta(days=1, minutes=1))

    left.refresh_from_db()
    stalled.refresh_from_db()
    assert not left.has_upload and _files(data_dir) == []
    assert stalled.state == ImportState.FAILED and "nothing was imported" in stalled.error
    page = _page(client.get(reverse("imports:mapping", args=[left.pk]), follow=True))
    assert "The uploaded file was removed; upload it again." in page


def test_the_background_dry_run_speaks_the_language_of_who_uploaded(client, sales):
    # given a salesperson using the wizard in Spanish
    client.force_login(sales)
    client.cookies["django_language"] = "es"
    upload = csv_upload([["Nombre", "Correo"], ["Café Olé", "hola@"]])

    run = _uploaded(client, upload)
    assert _mapping_post(client, run, _proposed(client, run)).status_code == 302

    # when the worker, which runs in English, makes the dry run
    with translation.override("en"):
        _work()
    run.refresh_from_db()

    # then the refused row's reason is in Spanish, as on the page
    (problem,) = run.plan["problems"]
    assert problem["message"] == "Dirección de correo electrónico no válida: hola@."

    # and the page counts the rows as rows, in Spanish ("filas rechazadas")
    page = _page(client.get(reverse("imports:run", args=[run.pk])))
    assert re.search(r'data-count="refused">1</div><div class="small">rechazadas<', page)
