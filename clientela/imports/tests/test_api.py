"""The import API: the dry run of an uploaded spreadsheet as JSON, the import applied in
the background and its run; who may use them, and the 422s naming what is wrong."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tasks_db.models import DBTaskResult

from clientela.customers.models import Customer
from clientela.customers.tests.factories import CustomerFactory
from clientela.imports.models import ImportRun, ImportState
from clientela.imports.tasks import import_task
from clientela.imports.tests.uploads import HEADERS, ROWS, csv_upload, xlsx_upload
from clientela.sheets.tests import FILES

pytestmark = pytest.mark.django_db

DRY_RUN = "/api/v1/imports/customers/dry-run"
IMPORT = "/api/v1/imports/customers"


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


@pytest.fixture
def catalog(owner):
    return CustomerFactory(actor=owner, name="Panadería Gómez", tax_id="GODE561231GR8")


def _post(client, url, headers, upload=None, **data):
    if upload is not None:
        data["file"] = upload
    return client.post(url, data, headers=headers)


def _locations(response) -> dict[str, str]:
    """The 422's messages by the field they name."""
    assert response.status_code == 422, response.content
    return {entry["loc"][-1]: entry["msg"] for entry in response.json()["detail"]}


def _imported_files(data_dir) -> list:
    folder = data_dir / "imports"
    return list(folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("role", "status"), [("readonly", 403), ("support", 403), ("sales", 200), ("owner", 200)]
)
def test_who_may_ask_for_a_dry_run(client, api_headers, user_with_role, role, status):
    response = _post(client, DRY_RUN, api_headers(user_with_role(role)), csv_upload([HEADERS]))

    assert response.status_code == status


def test_anonymous_callers_are_asked_to_authenticate(client):
    for url in (DRY_RUN, IMPORT):
        response = _post(client, url, {}, csv_upload([HEADERS, ROWS[1]]))
        assert response.status_code == 401
    assert not ImportRun.objects.exists()


def test_a_kind_the_role_may_not_write_is_refused(client, api_headers, sales):
    from clientela.imports.selectors import import_kinds
    from clientela.sheets.registry import sheet_kinds

    refused = [key for key, kind in sheet_kinds().items() if kind not in import_kinds(user=sales)]
    for key in refused:
        response = _post(
            client, f"/api/v1/imports/{key}/dry-run", api_headers(sales), csv_upload([["A", "B"]])
        )
        assert response.status_code == 403


def test_the_dry_run_says_what_each_row_would_do_and_writes_nothing(
    client, api_headers, sales, catalog, data_dir
):
    response = _post(client, DRY_RUN, api_headers(sales), csv_upload([HEADERS, *ROWS]))

    assert response.status_code == 200
    body = response.json()
    assert body["counts"] == {"create": 2, "update": 1, "unchanged": 0, "refused": 1}
    assert body["columns"][:3] == [
        {"index": 0, "header": "RFC", "field": "tax_id"},
        {"index": 1, "header": "Nombre", "field": "name"},
        {"index": 2, "header": "Correo", "field": "email"},
    ]
    assert [sample["row"] for sample in body["samples"]["update"]] == [2]
    assert [(p["row"], p["column"], p["value"]) for p in body["problems"]] == [
        (4, "Correo", "hola@")
    ]
    assert body["problems"][0]["message"]
    assert [item["row"] for item in body["similar"]] == []
    assert Customer.objects.count() == 1
    assert not ImportRun.objects.exists() and _imported_files(data_dir) == []


@pytest.mark.parametrize("name", ["clientes-libreoffice.xls", "clientes-libreoffice.ods"])
def test_an_old_excel_or_a_libreoffice_workbook_gets_its_dry_run(client, api_headers, sales, name):
    upload = SimpleUploadedFile(name, (FILES / name).read_bytes())

    response = _post(client, DRY_RUN, api_headers(sales), upload)

    assert response.status_code == 200
    body = response.json()
    assert body["counts"] == {"create": 3, "update": 0, "unchanged": 0, "refused": 0}
    assert [column["field"] for column in body["columns"]][:4] == [
        "tax_id",
        "name",
        "phone",
        "email",
    ]


def test_a_mapping_sent_is_used_and_one_mapping_a_field_twice_is_refused(
    client, api_headers, sales
):
    upload = csv_upload([["Negocio", "Correo"], ["Café Olé", "hola@cafeole.mx"]])
    mapping = json.dumps({"Negocio": "name", "Correo": "email"})

    response = _post(client, DRY_RUN, api_headers(sales), upload, mapping=mapping)

    assert response.json()["columns"] == [
        {"index": 0, "header": "Negocio", "field": "name"},
        {"index": 1, "header": "Correo", "field": "email"},
    ]
    assert response.json()["counts"]["create"] == 1

    twice = json.dumps({"Negocio": "name", "Correo": "name"})
    upload = csv_upload([["Negocio", "Correo"], ["Café Olé", "hola@cafeole.mx"]])
    refused = _post(client, DRY_RUN, api_headers(sales), upload, mapping=twice)

    assert _locations(refused) == {
        "mapping": "Columns “Negocio” and “Correo” are both mapped to Name."
    }


@pytest.mark.parametrize(
    ("upload", "data", "field", "message"),
    [
        (SimpleUploadedFile("a.xlsx", b""), {}, "file", "The file is empty."),
        (SimpleUploadedFile("a.png", b"\x89PNG\x00\x00"), {}, "file", "not a spreadsheet"),
        (None, {}, "file", "This field is required."),
        (csv_upload([HEADERS]), {"mapping": "[1, 2]"}, "mapping", "a JSON object"),
        (csv_upload([HEADERS]), {"mapping": '{"RFC": "shoe_size"}'}, "mapping", "not a field"),
        (xlsx_upload({"Clientes": [HEADERS]}), {"sheet": "Otra"}, "sheet", "no sheet “Otra”"),
    ],
    ids=[
        "empty",
        "not a spreadsheet",
        "no file",
        "mapping not an object",
        "unknown field",
        "sheet",
    ],
)
def test_bad_input_is_a_422_naming_the_field(
    client, api_headers, sales, upload, data, field, message
):
    response = _post(client, DRY_RUN, api_headers(sales), upload, **data)

    assert message in _locations(response)[field]


def test_an_unknown_kind_is_a_422_naming_the_kind(client, api_headers, sales):
    response = _post(
        client, "/api/v1/imports/suppliers/dry-run", api_headers(sales), csv_upload([HEADERS])
    )

    assert "customers" in _locations(response)["kind"]


def test_an_import_is_applied_in_the_background_and_followed_by_its_run(
    client, api_headers, sales, catalog
):
    headers = api_headers(sales)

    response = _post(client, IMPORT, headers, csv_upload([HEADERS, *ROWS]), skip_invalid="true")

    assert response.status_code == 202
    run = response.json()
    assert run["state"] == ImportState.RUNNING and run["rows_total"] == 4
    assert run["report"]["counts"]["refused"] == 1
    task = DBTaskResult.objects.get()
    assert task.args_kwargs["kwargs"] == {"run_id": run["id"]}

    import_task.call(run_id=run["id"])
    followed = client.get(f"/api/v1/imports/runs/{run['id']}", headers=headers).json()

    assert followed["state"] == ImportState.DONE and followed["rows_done"] == 4
    assert followed["counts"] == {"create": 2, "update": 1, "unchanged": 0, "refused": 1}
    assert Customer.objects.count() == 3


def test_an_import_with_refused_rows_and_no_skip_is_a_422_and_keeps_nothing(
    client, api_headers, sales, catalog, data_dir
):
    response = _post(client, IMPORT, api_headers(sales), csv_upload([HEADERS, *ROWS]))

    assert "1 row is refused" in _locations(response)["skip_invalid"]
    assert not ImportRun.objects.exists() and not DBTaskResult.objects.exists()
    assert _imported_files(data_dir) == []


def test_a_run_is_seen_by_who_started_it_and_the_owner(client, api_headers, sales, owner):
    run = ImportRun.objects.create(created_by=owner, kind="customers", file_name="a.csv")
    url = f"/api/v1/imports/runs/{run.pk}"

    assert client.get(url, headers=api_headers(sales)).status_code == 404
    assert client.get(url, headers=api_headers(owner)).json()["file_name"] == "a.csv"
