"""Customer sheets as businesses really keep them: one column for the name and the legal
name, national ids whose country the file says."""

import pytest

from clientela.customers.models import Customer
from clientela.customers.sheet import CUSTOMER_FIELDS, CUSTOMERS
from clientela.customers.tests.sheet_files import customers_file_import
from clientela.sheets.importing import sheet_plan
from clientela.sheets.mapping import match_columns
from clientela.sheets.reading import open_sheet

pytestmark = pytest.mark.django_db


def _sheet(tmp_path, lines, *, encoding="utf-8", delimiter=";"):
    path = tmp_path / "clientes.csv"
    text = "\r\n".join(delimiter.join(cells) for cells in lines) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


def _mapped(path):
    sheet = open_sheet(path)
    return sheet, match_columns(sheet.headers, CUSTOMER_FIELDS)


@pytest.mark.parametrize(
    "header",
    [
        "Razón social / Nombre",
        "Nombre o razón social",
        "Razón social o nombre",
        "Nombre / Razón social",
        "Наименование организации",
        "Наименование или полное наименование",
        "Company name",
        "Legal name / Name",
    ],
)
def test_a_column_naming_the_name_and_the_legal_name_is_the_name(tmp_path, owner, header):
    # given a sheet whose only name column names both
    path = _sheet(
        tmp_path, [[header, "Correo"], ["Hoteles Casa Azul, S.A. de C.V.", "hola@casazul.mx"]]
    )

    # when it is imported
    _sheet_read, columns = _mapped(path)
    assert columns[0] == "name"
    plan = customers_file_import(path, owner)

    # then every row is a new customer of that name
    assert plan.counts["create"] == 1
    assert Customer.objects.get().name == "Hoteles Casa Azul, S.A. de C.V."


def test_a_sheet_with_only_a_legal_name_names_its_new_customers_by_it(tmp_path, owner):
    path = _sheet(
        tmp_path,
        [
            ["Razón social", "Correo"],
            ["Hoteles Casa Azul, S.A. de C.V.", "hola@casazul.mx"],
            ["", "nadie@ejemplo.mx"],
        ],
    )
    sheet, columns = _mapped(path)
    assert columns[0] == "legal_name"

    plan = sheet_plan(CUSTOMERS, sheet, columns, user=None)

    assert plan.counts["create"] == 1
    assert [p.message for p in plan.problems] == ["A new customer needs a name or a legal name."]
    customers_file_import(path, owner, columns=columns, skip_invalid=True)
    customer = Customer.objects.get()
    assert (customer.name, customer.legal_name) == ("Hoteles Casa Azul, S.A. de C.V.",) * 2


# Valid INNs: of Sberbank, Gazprom (10 digits, companies) and of a person (12 digits).
RUSSIAN_ROWS = [
    ["ИНН", "Наименование", "Телефон", "Email"],
    ["7707083893", "ПАО Сбербанк", "8 (495) 500-55-50", "info@sberbank.ru"],
    ["7736050003", "ПАО Газпром", "+7 495 719-30-01", "gazprom@gazprom.ru"],
    ["500100732259", "ИП Иванов Иван Иванович", "8 916 123-45-67", "ivanov@mail.ru"],
    ["", "Пекарня «Колосок»", "8 (812) 555-12-34", "kolosok@mail.ru"],
]


@pytest.mark.parametrize("encoding", ["cp1251", "utf-8"])
def test_a_russian_file_is_read_as_russian_on_a_mexican_install(
    tmp_path, owner, settings, encoding
):
    # given a Mexican install and a Russian customer list saved from Excel
    settings.CLIENTELA_DEFAULT_COUNTRY = settings.CLIENTELA_PHONE_REGION = "MX"
    path = _sheet(tmp_path, RUSSIAN_ROWS, encoding=encoding)

    # when it is imported
    plan = customers_file_import(path, owner)

    # then the INNs are checked as Russia's and the national phones read as Russian,
    # even in the row without an INN
    assert plan.counts == {"create": 4, "update": 0, "unchanged": 0, "refused": 0}
    customers = {c.name: c for c in Customer.objects.prefetch_related("phones")}
    sber = customers["ПАО Сбербанк"]
    assert (sber.country, sber.tax_id, sber.tax_id_type) == ("RU", "7707083893", "ru.inn")
    assert [p.number for p in sber.phones.all()] == ["+74955005550"]
    kolosok = customers["Пекарня «Колосок»"]
    assert kolosok.country == "RU"
    assert [p.number for p in kolosok.phones.all()] == ["+78125551234"]


def test_a_wrong_inn_is_refused_naming_the_country_it_was_checked_as(tmp_path, settings):
    settings.CLIENTELA_DEFAULT_COUNTRY = "MX"
    path = _sheet(tmp_path, [RUSSIAN_ROWS[0], ["7707083894", "ПАО Сбербанк", "", ""]])

    plan = sheet_plan(CUSTOMERS, *_mapped(path), user=None)

    (problem,) = plan.problems
    assert (problem.column, problem.value) == ("ИНН", "7707083894")
    assert problem.message == "Not a valid ИНН (Russia): its check digit is wrong."


def test_a_spanish_nif_file_and_a_country_column_and_the_numbers_own_form(
    tmp_path, owner, settings
):
    settings.CLIENTELA_DEFAULT_COUNTRY = settings.CLIENTELA_PHONE_REGION = "MX"
    # a Spanish file: NIF (a person's and a company's CIF) and Spanish phones
    spanish = _sheet(
        tmp_path,
        [
            ["NIF/CIF", "Nombre", "Teléfono"],
            ["12345678Z", "Juan Pérez", "612 34 56 78"],
            ["B12345674", "Panadería Sol, S.L.", "91 123 45 67"],
        ],
    )
    plan = customers_file_import(spanish, owner)
    assert plan.counts["create"] == 2
    juan = Customer.objects.get(name="Juan Pérez")
    assert (juan.country, juan.tax_id_type) == ("ES", "es.nif")
    assert juan.phones.get().number == "+34612345678"

    # a generic header: a country column decides, else the form only one country's ids
    # have, else the default
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    path = _sheet(
        mixed,
        [
            ["Tax id", "Nombre", "País"],
            ["20-12345678-6", "Panadería Porteña", ""],
            ["GODE561231GR8", "Panadería Gómez", ""],
            ["X1234567L", "Pastelería Lisboa", "España"],
        ],
    )
    plan = customers_file_import(path, owner)
    assert plan.counts["create"] == 3
    countries = dict(Customer.objects.values_list("name", "country"))
    assert countries["Panadería Porteña"] == "AR"
    assert countries["Panadería Gómez"] == "MX"
    assert countries["Pastelería Lisboa"] == "ES"


def test_a_header_naming_several_countries_ids_takes_the_default_when_it_is_one(tmp_path, settings):
    # "NIT" is Colombia's, Guatemala's and El Salvador's: on a Colombian install, a NIT
    # that is not valid is refused as Colombia's
    settings.CLIENTELA_DEFAULT_COUNTRY = "CO"
    path = _sheet(tmp_path, [["NIT", "Nombre"], ["900123456-1", "Panadería Bogotá"]])

    plan = sheet_plan(CUSTOMERS, *_mapped(path), user=None)

    assert plan.problems[0].message.endswith("(Colombia): its check digit is wrong.")
