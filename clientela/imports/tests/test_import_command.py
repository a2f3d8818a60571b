"""`clientela import customers FILE`: the summary, the refused rows, the exit code."""

import json
import threading
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from clientela.core.locks import exclusive
from clientela.customers.models import Customer
from clientela.customers.tests.factories import CustomerFactory
from clientela.sheets.importing import IMPORT_LOCK
from clientela.sheets.tests import FILES

pytestmark = pytest.mark.django_db


def _file(tmp_path, rows, name="clientes.csv"):
    path = tmp_path / name
    lines = [["Nombre", "Correo", "Ruta"], *rows]
    path.write_text("\n".join(",".join(cells) for cells in lines) + "\n", encoding="utf-8")
    return path


def _run(*args):
    out = StringIO()
    try:
        call_command("import", *map(str, args), stdout=out)
    except SystemExit as exit_:
        return exit_.code, out.getvalue()
    return 0, out.getvalue()


def test_a_clean_file_is_imported_and_says_what_it_did(tmp_path, owner):
    path = _file(tmp_path, [["Café Olé", "hola@cafeole.mx", "Norte"]])

    code, printed = _run("customers", path, "--user", owner.username)

    assert code == 0
    assert "Columns: Nombre → name, Correo → email" in printed
    assert "1 created, 0 updated, 0 unchanged, 0 refused." in printed
    assert Customer.objects.get().name == "Café Olé"
    assert Customer.objects.get().history.get().history_user == owner


def test_a_dry_run_writes_nothing_and_a_refused_row_exits_with_1(tmp_path):
    path = _file(tmp_path, [["Café Olé", "hola@cafeole.mx", ""], ["Sin correo", "hola@", ""]])

    code, printed = _run("customers", path, "--dry-run")
    assert code == 1
    assert "1 to create, 0 to update, 0 unchanged, 1 refused." in printed
    assert "row 3, Correo “hola@”: Not a valid e-mail address" in printed
    assert not Customer.objects.exists()

    code, printed = _run("customers", path)
    assert (code, "Nothing was imported." in printed) == (1, True)
    assert not Customer.objects.exists()

    code, printed = _run("customers", path, "--skip-invalid")
    assert code == 1
    assert "1 created, 0 updated, 0 unchanged, 1 refused." in printed
    assert list(Customer.objects.values_list("name", flat=True)) == ["Café Olé"]


def test_a_saved_mapping_is_used(tmp_path):
    path = _file(tmp_path, [["Café Olé", "hola@cafeole.mx", "Reparto norte"]])
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"Nombre": "name", "Ruta": "notes"}), encoding="utf-8")

    code, _printed = _run("customers", path, "--mapping", mapping)

    assert code == 0
    customer = Customer.objects.get()
    assert (customer.notes, customer.emails.exists()) == ("Reparto norte", False)


@pytest.mark.parametrize(
    ("content", "message"),
    [(b"", "The file is empty."), (b"\x00\x01\x02", "not a spreadsheet")],
)
def test_a_file_that_cannot_be_read_is_a_clear_error(tmp_path, content, message):
    path = tmp_path / "clientes.xlsx"
    path.write_bytes(content)

    with pytest.raises(CommandError, match=message):
        call_command("import", "customers", str(path), stdout=StringIO())


@pytest.mark.parametrize("name", ["clientes-libreoffice.xls", "clientes-libreoffice.ods"])
def test_an_old_excel_or_a_libreoffice_workbook_is_imported(name):
    path = FILES / name

    code, printed = _run("customers", path)

    assert code == 0
    assert "3 created, 0 updated, 0 unchanged, 0 refused." in printed
    gomez = Customer.objects.get(tax_id="GODE561231GR8")
    assert gomez.phones.get().number == "+522225550101"  # typed as a number
    assert gomez.addresses.get().postal_code == "72000"


def test_the_refused_rows_come_out_to_be_corrected_and_imported_again(tmp_path):
    path = _file(
        tmp_path,
        [["Café Olé", "hola@cafeole.mx", "Norte"], ["=Malo", "hola@", "Sur"]],
    )
    refused = tmp_path / "rechazadas.csv"

    code, printed = _run("customers", path, "--dry-run", "--refused", refused)

    assert code == 1
    assert f"The refused rows are in {refused} (1)." in printed
    lines = refused.read_text(encoding="utf-8-sig").splitlines()
    assert lines == [
        "Nombre,Correo,Ruta,Problems",
        "'=Malo,hola@,Sur,Correo: Not a valid e-mail address: hola@.",
    ]
    # corrected, it imports (the problems column matches no field)
    refused.write_text(
        "Nombre,Correo,Ruta,Problems\n'=Malo,malo@cafeole.mx,Sur,\n", encoding="utf-8"
    )
    code, _printed = _run("customers", refused)
    assert code == 0
    assert Customer.objects.get().name == "=Malo"


def test_the_dry_run_points_at_customers_a_new_row_looks_like(tmp_path):
    shop = CustomerFactory(name="Café Olé", addresses=[{"street": "Juárez 10", "city": "Puebla"}])
    path = tmp_path / "c.csv"
    path.write_text("Nombre,Dirección,Ciudad\nCafe Ole,Juarez 10,Puebla\n", encoding="utf-8")

    code, printed = _run("customers", path, "--dry-run")

    assert code == 0
    assert f"row 2 looks like #{shop.pk}, Café Olé: see the duplicates." in printed


class _Announcing(StringIO):
    """The command's error stream, which sets ``said`` once the command writes to it."""

    def __init__(self, said: threading.Event):
        super().__init__()
        self.said = said

    def write(self, text: str) -> int:
        self.said.set()
        return super().write(text)


def test_an_import_waits_for_another_one_running_and_says_so(tmp_path):
    # given another import running (it holds the imports' lock until told to end)
    started, may_end = threading.Event(), threading.Event()

    def other_import():
        try:
            with exclusive(IMPORT_LOCK):
                started.set()
                may_end.wait(timeout=60)
        finally:
            connections.close_all()

    holder = threading.Thread(target=other_import)
    holder.start()
    assert started.wait(timeout=60)
    path = _file(tmp_path, [["Café Olé", "hola@cafeole.mx", "Norte"]])

    # when a second import starts; the other ends once the second has said it waits
    errors = _Announcing(may_end)
    out = StringIO()
    try:
        call_command("import", "customers", str(path), stdout=out, stderr=errors)
    finally:
        may_end.set()
        holder.join()

    # then it said it was waiting, and imported when the other had ended
    assert "Another import is running: this one starts when it ends." in errors.getvalue()
    assert "1 created, 0 updated, 0 unchanged, 0 refused." in out.getvalue()
    assert Customer.objects.get().name == "Café Olé"


def test_an_import_with_none_other_running_starts_at_once_without_a_word(tmp_path):
    path = _file(tmp_path, [["Café Olé", "hola@cafeole.mx", "Norte"]])
    errors = StringIO()

    call_command("import", "customers", str(path), stdout=StringIO(), stderr=errors)

    assert errors.getvalue() == ""
    assert Customer.objects.count() == 1


def test_names_from_a_file_keep_no_invisible_characters(tmp_path):
    path = _file(tmp_path, [["\u200bCafé \u202eOlé\ufeff", "hola@cafeole.mx", ""]])

    code, printed = _run("customers", path)

    assert code == 0, printed
    assert Customer.objects.get().name == "Café Olé"
