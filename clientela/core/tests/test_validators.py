"""Tax ids, phones, e-mails and countries are checked and stored in one normal form."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from clientela.core.validators import (
    country_choices,
    format_phone,
    normalize_country,
    normalize_email,
    normalize_phone,
    normalize_tax_id,
    tax_id_countries,
    tax_id_country,
    tax_id_tells_apart,
)

VALID_TAX_IDS = [
    # (country, as typed, stored, type)
    ("MX", "gode-561231-gr8", "GODE561231GR8", "mx.rfc"),  # person RFC, 13 characters
    ("MX", "PLE 990101 AB7", "PLE990101AB7", "mx.rfc"),  # company RFC, 12 characters
    ("MX", "BOXW310820HNERXN09", "BOXW310820HNERXN09", "mx.curp"),
    ("ES", "12345678-z", "12345678Z", "es.nif"),  # DNI
    ("ES", "B58378431", "B58378431", "es.nif"),  # CIF
    ("ES", "x1234567l", "X1234567L", "es.nif"),  # NIE
    ("RU", "7707083893", "7707083893", "ru.inn"),  # organisation
    ("RU", "500100732259", "500100732259", "ru.inn"),  # person
    ("AR", "20-26756539-3", "20267565393", "ar.cuit"),
    ("PE", "20512333797", "20512333797", "pe.ruc"),
    ("CO", "213.123.432-1", "2131234321", "co.nit"),
    ("CL", "76.086.428-5", "760864285", "cl.rut"),
]

INVALID_TAX_IDS = [
    # (country, value, words the message must contain)
    ("MX", "GODE561231GR9", "check digit"),
    ("MX", "ABC123", "number of characters"),
    ("MX", "GODE561331GR8", "RFC"),  # month 13
    ("MX", "BOXW310820HNERXN08", "check digit"),  # CURP
    ("ES", "12345678A", "check digit"),
    ("ES", "X1234567A", "check digit"),
    ("RU", "7707083894", "check digit"),
    ("RU", "77070838", "number of characters"),
    ("AR", "20-26756539-4", "check digit"),
    ("PE", "20512333798", "check digit"),
    ("CO", "213.123.432-2", "check digit"),
    ("CL", "76.086.428-4", "check digit"),
]


@pytest.mark.parametrize(("country", "typed", "stored", "kind"), VALID_TAX_IDS)
def test_valid_tax_ids_are_stored_compact_with_their_type(country, typed, stored, kind):
    assert normalize_tax_id(typed, country) == (stored, kind)


@pytest.mark.parametrize(
    ("typed", "stored"), [("XAXX010101000", "XAXX010101000"), ("xexx-010101-000", "XEXX010101000")]
)
def test_the_rfcs_many_people_share_are_valid_and_known_as_shared(typed, stored):
    # the RFC of the general public and of foreigners fail the check digit, yet the tax
    # office gives them to everyone who has none
    assert normalize_tax_id(typed, "MX") == (stored, "mx.rfc")
    assert not tax_id_tells_apart(stored)
    assert tax_id_country(typed, named=[], default="ES") == "MX"
    assert tax_id_tells_apart("GODE561231GR8")


@pytest.mark.parametrize(("country", "value", "words"), INVALID_TAX_IDS)
def test_invalid_tax_ids_are_refused_with_the_reason(country, value, words):
    with pytest.raises(ValidationError) as error:
        normalize_tax_id(value, country)
    assert words in error.value.messages[0]


def test_invalid_rfc_names_the_id_type_in_spanish():
    with translation.override("es"):
        with pytest.raises(ValidationError) as error:
            normalize_tax_id("GODE561231GR9", "MX")
        message = error.value.messages[0]  # lazy: rendered in the language of the moment
    assert "RFC" in message
    assert "dígito verificador" in message


@pytest.mark.parametrize(
    ("language", "country", "value", "message"),
    [
        ("en", "MX", "GODE561231GR9", "Not a valid RFC (Mexico): its check digit is wrong."),
        ("es", "ES", "12345678A", "No es válido como NIF (España): su dígito verificador"),
        ("ru", "RU", "7707083894", "Недопустимое значение ИНН (Россия): неверная контрольная"),
    ],
)
def test_a_refused_tax_id_names_the_country_it_was_checked_as(language, country, value, message):
    with translation.override(language):
        with pytest.raises(ValidationError) as error:
            normalize_tax_id(value, country)
        assert error.value.messages[0].startswith(message)


@pytest.mark.parametrize(
    ("header", "countries"),
    [
        ("RFC", ("MX",)),
        ("R.F.C. del cliente", ("MX",)),
        ("CURP", ("MX",)),
        ("ИНН", ("RU",)),
        ("NIF / NIE / CIF", ("ES",)),
        ("CUIT", ("AR",)),
        ("RUT", ("CL", "UY")),
        ("NIT", ("CO", "GT", "SV")),
        ("RUC", ("PE", "EC", "PY")),
        ("Tax id", ()),
        ("VAT", ()),
        ("Identificación fiscal", ()),
    ],
)
def test_a_header_names_the_countries_of_its_national_id(header, countries):
    assert tax_id_countries(header) == countries


def test_a_tax_id_without_a_named_country_takes_the_one_whose_form_it_has():
    # the default's form first; else the only country whose ids take it; else the default
    assert tax_id_country("GODE561231GR8", named=(), default="MX") == "MX"
    assert tax_id_country("500100732259", named=(), default="MX") == "RU"
    assert tax_id_country("20-26756539-3", named=(), default="MX") == "AR"
    assert tax_id_country("nonsense", named=(), default="MX") == "MX"
    # of several named, the default when it is one, else the one whose ids take it
    assert tax_id_country("76.086.428-5", named=("CL", "UY"), default="CL") == "CL"
    assert tax_id_country("76.086.428-5", named=("CL", "UY"), default="MX") == "CL"


def test_tax_id_of_a_country_without_known_ids_is_refused():
    with pytest.raises(ValidationError, match="cannot be checked"):
        normalize_tax_id("123", "AQ")


@pytest.mark.parametrize(
    ("typed", "region", "stored"),
    [
        ("55 1234 5678", "MX", "+525512345678"),
        ("(55) 1234-5678", "MX", "+525512345678"),
        ("+52 1 55 1234 5678", "MX", "+525512345678"),
        ("044 55 1234 5678", "MX", "+525512345678"),
        ("045 33 1234 5678", "MX", "+523312345678"),
        ("01 55 1234 5678", "MX", "+525512345678"),
        ("912 345 678", "ES", "+34912345678"),
        ("8 (495) 123-45-67", "RU", "+74951234567"),
    ],
)
def test_phones_are_stored_as_e164(typed, region, stored):
    assert normalize_phone(typed, region) == stored


@pytest.mark.parametrize("value", ["12", "abc", "55 1234", "+52 00 0000 0000"])
def test_bad_phones_are_refused(value):
    with pytest.raises(ValidationError, match="Not a valid phone number"):
        normalize_phone(value, "MX")


def test_phone_is_shown_in_international_format():
    assert format_phone("+525512345678") == "+52 55 1234 5678"


def test_emails_are_checked_without_dns_and_lower_cased():
    assert normalize_email(" Ventas@Espiga.MX ") == "ventas@espiga.mx"
    for bad in ["ventas@", "@espiga.mx", "ventas espiga@mx", "a@b"]:
        with pytest.raises(ValidationError, match="Not a valid e-mail address"):
            normalize_email(bad)


def test_countries_are_iso_codes_with_local_names():
    assert normalize_country(" mx ") == "MX"
    # a spreadsheet's country column names it, in any language Clientela speaks
    assert [normalize_country(name) for name in ("México", "MEXICO", "Мексика", "España")] == [
        "MX",
        "MX",
        "MX",
        "ES",
    ]
    for unknown in ("XX", "Narnia"):
        with pytest.raises(ValidationError, match=f"Unknown country: {unknown}"):
            normalize_country(unknown)
    with translation.override("ru"):
        assert ("RU", "Россия") in country_choices()
    with translation.override("es"):
        assert ("MX", "México") in country_choices()
