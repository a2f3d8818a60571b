"""Files made to break the reader: each is refused saying what is wrong (a 422 on the
``file`` field in the API, the file field's error in the wizard, the command's error),
never a server error, and nothing is kept."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import Workbook

from clientela.customers.models import Customer
from clientela.imports.models import ImportRun
from clientela.imports.tests.test_wizard import _field_error
from clientela.sheets.reading import open_sheet
from clientela.sheets.table import SpreadsheetError

pytestmark = pytest.mark.django_db

DRY_RUN = "/api/v1/imports/customers/dry-run"


@pytest.fixture(autouse=True)
def data_dir(settings, tmp_path):
    settings.DATA_DIR = tmp_path / "data"
    return settings.DATA_DIR


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def _workbook_with_entity(declarations: bytes, entity: bytes) -> bytes:
    """A real .xlsx whose sheet declares ``declarations`` and holds ``entity`` in A1."""
    workbook = Workbook()
    workbook.active.append(["Nombre", "Correo"])
    workbook.active.append(["Café Olé", "hola@cafeole.mx"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    parts = {name: source.read(name) for name in source.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"]
    body = sheet.split(b"?>", 1)[1] if sheet.startswith(b"<?xml") else sheet
    parts["xl/worksheets/sheet1.xml"] = (
        b'<?xml version="1.0"?><!DOCTYPE worksheet ['
        + declarations
        + b"]>"
        + body.replace(b"<t>Nombre</t>", b"<t>" + entity + b"</t>")
    )
    return _zip(parts)


_LAUGHS = b'<!ENTITY lol "lol">' + b"".join(
    b'<!ENTITY lol%d "%s">'
    % (level, (b"&lol%s;" % (b"" if level == 1 else b"%d" % (level - 1))) * 10)
    for level in range(1, 9)
)

# (file name, content, what the refusal says)
HOSTILE = {
    "a zip that is not a workbook": (
        "clientes.xlsx",
        _zip({"a.txt": b"a"}),
        "is a ZIP archive but not a workbook",
    ),
    "a zip cut short": ("clientes.zip", b"PK\x03\x04", "cannot be read"),
    "an xlsx with many laughs": (
        "clientes.xlsx",
        _workbook_with_entity(_LAUGHS, b"&lol8;"),
        "declarations (DTD)",
    ),
    "an xlsx with one entity": (
        "clientes.xlsx",
        _workbook_with_entity(b'<!ENTITY name "Nombre">', b"&name;"),
        "declarations (DTD)",
    ),
    "an xlsx with an external entity": (
        "clientes.xlsx",
        _workbook_with_entity(b'<!ENTITY secret SYSTEM "file:///etc/passwd">', b"&secret;"),
        "declarations (DTD)",
    ),
    "cp1251 with a byte it does not define": (
        "clientes.csv",
        "Имя;Почта\nОльга;olga@example.ru\n".encode("cp1251") + b"\x98\n",
        "byte 0x98",
    ),
    "cp1252 with a byte it does not define": (
        "clientes.csv",
        "Nombre,Correo\nJosé,jose@example.mx\n".encode("cp1252") + b"\x81,x\n",
        "byte 0x81",
    ),
    "a cell over 128 KB": (
        "clientes.csv",
        b"Nombre,Correo\n" + b"A" * 200_000 + b",a@example.mx\n",
        "row 2",
    ),
}


@pytest.mark.parametrize(("name", "content", "message"), HOSTILE.values(), ids=HOSTILE.keys())
def test_the_reader_refuses_a_hostile_file_saying_why(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(SpreadsheetError) as refusal:
        list(open_sheet(path).rows)

    assert message in str(refusal.value)


@pytest.mark.parametrize(("name", "content", "message"), HOSTILE.values(), ids=HOSTILE.keys())
def test_the_api_refuses_a_hostile_file_on_its_field(
    client, api_headers, sales, name, content, message
):
    response = client.post(
        DRY_RUN, {"file": SimpleUploadedFile(name, content)}, headers=api_headers(sales)
    )

    assert response.status_code == 422, response.content
    (entry,) = response.json()["detail"]
    assert entry["loc"] == ["body", "file"]
    assert message in entry["msg"]


@pytest.mark.parametrize(("name", "content", "message"), HOSTILE.values(), ids=HOSTILE.keys())
def test_the_wizard_refuses_a_hostile_file_on_its_field(client, sales, name, content, message):
    client.force_login(sales)

    response = client.post(
        reverse("imports:start"), {"kind": "customers", "file": SimpleUploadedFile(name, content)}
    )

    assert response.status_code == 200
    assert message in _field_error(response, "id_file")
    assert not ImportRun.objects.exists()


@pytest.mark.parametrize(("name", "content", "message"), HOSTILE.values(), ids=HOSTILE.keys())
def test_the_import_command_refuses_a_hostile_file(tmp_path, data_dir, name, content, message):
    data_dir.mkdir(parents=True)
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(CommandError, match=message.replace("(", r"\(").replace(")", r"\)")):
        call_command("import", "customers", str(path))

    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "mapping",
    ['{"Nombre": {"field": "name"}}', '[["Nombre", "name"]]', '{"Nombre": ["name"]}', '"name"'],
    ids=["nested object", "list", "list value", "text"],
)
def test_a_mapping_file_that_is_not_flat_is_refused_by_the_command(tmp_path, data_dir, mapping):
    data_dir.mkdir(parents=True)
    sheet = tmp_path / "clientes.csv"
    sheet.write_text("Nombre,Correo\nCafé Olé,hola@cafeole.mx\n", encoding="utf-8")
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(mapping, encoding="utf-8")

    with pytest.raises(CommandError, match="a JSON object of header → field key"):
        call_command("import", "customers", str(sheet), "--mapping", str(mapping_file))

    assert not Customer.objects.exists()


@pytest.mark.parametrize(
    "mapping",
    ['{"Nombre": {"field": "name"}}', '[["Nombre", "name"]]', '{"Nombre": ["name"]}'],
    ids=["nested object", "list", "list value"],
)
@pytest.mark.parametrize("url", [DRY_RUN, DRY_RUN.removesuffix("/dry-run")])
def test_a_mapping_that_is_not_flat_is_a_422_on_the_mapping(
    client, api_headers, sales, data_dir, mapping, url
):
    upload = SimpleUploadedFile("clientes.csv", b"Nombre,Correo\nCafe,hola@cafeole.mx\n")

    response = client.post(url, {"file": upload, "mapping": mapping}, headers=api_headers(sales))

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "mapping"]
    assert "a JSON object of header → field key" in response.json()["detail"][0]["msg"]


def test_a_nul_in_a_csv_cell_is_dropped_not_kept(tmp_path):
    path = tmp_path / "clientes.csv"
    path.write_bytes(b"Nombre,Correo\n" + b"x" * 70_000 + b",a@b.mx\nCaf\x00e,hola@cafe.mx\n")

    rows = [cells for _number, cells in open_sheet(path).rows]

    assert rows[-1] == ["Cafe", "hola@cafe.mx"]
