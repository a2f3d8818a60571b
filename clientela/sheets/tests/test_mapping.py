import pytest

from clientela.customers.sheet import CUSTOMER_FIELDS
from clientela.sheets.mapping import (
    MappingError,
    header_key,
    mapping_check,
    mapping_from_json,
    mapping_to_json,
    match_columns,
)


@pytest.mark.parametrize(
    ("header", "key"),
    [
        ("Razón social", "razon social"),
        ("  RAZON   SOCIAL. ", "razon social"),
        ("Tel.", "tel"),
        ("R.F.C.", "rfc"),
        ("Correo-electrónico", "correo electronico"),
        ("Наименование", "наименование"),
        ("ИНН", "инн"),
        ("Ёлка", "елка"),
    ],
)
def test_headers_compare_without_accents_case_or_punctuation(header, key):
    assert header_key(header) == key


def _matched(headers):
    return {headers[index]: key for index, key in match_columns(headers, CUSTOMER_FIELDS).items()}


def test_spanish_headers_as_a_bakery_writes_them():
    headers = [
        "RFC",
        "Razón social",
        "Nombre",
        "Teléfono",
        "Tel.",
        "Correo electrónico",
        "Dirección de entrega",
        "Colonia",
        "C.P.",
        "Notas",
        "Ruta de reparto",
    ]

    assert _matched(headers) == {
        "RFC": "tax_id",
        "Razón social": "legal_name",
        "Nombre": "name",
        "Teléfono": "phone",
        "Tel.": "phone",  # phones may take several columns
        "Correo electrónico": "email",
        "Dirección de entrega": "address_street",
        "Colonia": "address_neighborhood",
        "C.P.": "address_postal_code",
        "Notas": "notes",
    }  # "Ruta de reparto" names no field: left for the person to map or ignore


def test_russian_and_english_headers():
    assert _matched(["ИНН", "Наименование", "Телефон", "Email", "Адрес", "Город"]) == {
        "ИНН": "tax_id",
        "Наименование": "name",
        "Телефон": "phone",
        "Email": "email",
        "Адрес": "address_street",
        "Город": "address_city",
    }
    assert _matched(["Customer name", "Phone", "ZIP", "Country"]) == {
        "Customer name": "name",
        "Phone": "phone",
        "ZIP": "address_postal_code",
        "Country": "country",
    }


def test_a_header_that_starts_with_a_name_matches_and_exact_names_come_first():
    assert _matched(["Teléfono celular", "Nombre de contacto", "Nombre comercial", "Nombre"]) == {
        "Teléfono celular": "phone",
        "Nombre de contacto": "contact_name",
        "Nombre": "name",  # the exact header takes the field; the other is left alone
    }


def test_a_field_mapped_twice_or_an_unknown_field_is_refused_naming_the_columns():
    headers = ["Nombre", "Cliente", "Ruta"]

    with pytest.raises(MappingError) as refused:
        mapping_check({0: "name", 1: "name", 2: "route"}, headers, CUSTOMER_FIELDS)

    assert refused.value.problems == [
        "Columns “Nombre” and “Cliente” are both mapped to Name.",
        "Column “Ruta” is mapped to “route”, which is not a field here.",
    ]
    mapping_check({0: "name", 1: "notes"}, headers, CUSTOMER_FIELDS)  # fine


def test_a_saved_mapping_applies_to_the_same_headers_in_another_order():
    saved = mapping_to_json({0: "name", 2: "phone"}, ["Cliente", "Ruta", "Tel. casa"])

    assert saved == {"Cliente": "name", "Tel. casa": "phone"}
    assert mapping_from_json(saved, ["TEL CASA", "Otra", "cliente"]) == {0: "phone", 2: "name"}


def test_a_header_goes_to_the_field_with_the_longest_name_it_starts_with():
    from clientela.orders.sheet.orders import ORDER_FIELDS

    headers = ["Folio", "Fecha de entrega prometida", "Fecha del pedido (dd/mm)"]

    matched = match_columns(headers, ORDER_FIELDS)

    assert [matched.get(index) for index in range(3)] == ["reference", "due_date", "order_date"]
