"""Validation and normalisation of tax ids, phones, e-mails, countries and dates.

Each function returns the normalised value or raises ``ValidationError`` with a
translated message; the caller attaches it to the field it came from.
"""

import importlib
import importlib.util
import pkgutil
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache, wraps
from types import ModuleType
from typing import TypeVar

import phonenumbers
import stdnum
from babel import Locale
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from email_validator import EmailNotValidError, validate_email
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.util import get_module_name

from clientela.core.parsing import fold

T = TypeVar("T")

# The dates a business record may hold (an order, a payment, an event, a customer's
# first day...): wide enough for any real one, narrow enough that every page's date
# arithmetic (an event's last day, a week or a month after) stays within Python's dates.
FIRST_BUSINESS_YEAR, LAST_BUSINESS_YEAR = 1900, 2199


def business_date_check(value: date | None) -> None:
    """Refuse a date outside the years ``FIRST_BUSINESS_YEAR``–``LAST_BUSINESS_YEAR``
    (a model field's validator: the services' ``full_clean`` runs it)."""
    if value is not None and not FIRST_BUSINESS_YEAR <= value.year <= LAST_BUSINESS_YEAR:
        raise ValidationError(
            _("Enter a date in the years %(first)d to %(last)d."),
            code="date_range",
            params={"first": FIRST_BUSINESS_YEAR, "last": LAST_BUSINESS_YEAR},
        )


# The largest whole number a database column holds (a signed 64-bit integer): the bound
# of every id, version and count a form or the API reads.
LARGEST_WHOLE_NUMBER = 2**63 - 1

# The longest free text (notes, reasons) a record keeps: a page of writing many times
# over, and a bound on what one request may make the server store, index and show.
TEXT_MAX_LENGTH = 10_000
text_length_check = MaxLengthValidator(TEXT_MAX_LENGTH)


# Normal forms recently given, by value and context: an import checks each value when it
# reads a row and again when it writes it (then in its normal form).
_REMEMBERED = 8192
_UNKNOWN = object()
# Each remembering normaliser's answers, by its name; and, inside ``normal_forms_noted``,
# the normal forms given there: (name, (normal form, *context), answer).
_answers: dict[str, dict[tuple, object]] = {}
_noted: list[tuple[str, tuple, object]] | None = None


def _remember(answers: dict[tuple, object], key: tuple, answer: object) -> None:
    if len(answers) >= _REMEMBERED:
        answers.clear()
    answers[key] = answer


def _remembering(normalize: Callable[..., T]) -> Callable[..., T]:
    """``normalize(value, *context)`` keeping its latest answers, for the value given and
    for the normal form it gave (which normalises to itself); refusals are not kept."""
    name = normalize.__qualname__
    answers = _answers.setdefault(name, {})

    @wraps(normalize)
    def remembered(value: str, *context: str) -> T:
        answer = answers.get((value, *context), _UNKNOWN)
        if answer is _UNKNOWN:
            answer = normalize(value, *context)
            normal = (answer[0] if isinstance(answer, tuple) else answer, *context)
            _remember(answers, (value, *context), answer)
            _remember(answers, normal, answer)
            if _noted is not None:
                _noted.append((name, normal, answer))
        return answer  # type: ignore[return-value]

    return remembered


@contextmanager
def normal_forms_noted() -> Iterator[list[tuple[str, tuple, object]]]:
    """A list of the normal forms the validators give inside the block (a sheet reader
    process's), for ``normal_forms_learn`` in the process that writes the rows; whoever
    hands them on empties it."""
    global _noted
    _noted = []
    try:
        yield _noted
    finally:
        _noted = None


def normal_forms_learn(noted: Iterable[tuple[str, tuple, object]]) -> None:
    """Remember normal forms another process's validators gave (``normal_forms_noted``):
    checking them again here costs nothing."""
    for name, key, answer in noted:
        _remember(_answers[name], key, answer)


@dataclass(frozen=True)
class TaxIdType:
    code: str  # e.g. "mx.rfc": the python-stdnum module under stdnum.
    label: str  # the name people use: "RFC", "NIF", "ИНН"


# National tax and personal ids by country, most usual first; other countries fall
# back to their VAT number as python-stdnum knows it.
TAX_ID_TYPES: dict[str, tuple[TaxIdType, ...]] = {
    "MX": (TaxIdType("mx.rfc", "RFC"), TaxIdType("mx.curp", "CURP")),
    "ES": (TaxIdType("es.nif", "NIF"), TaxIdType("es.nie", "NIE")),
    "RU": (TaxIdType("ru.inn", "ИНН"),),
    "AR": (TaxIdType("ar.cuit", "CUIT"), TaxIdType("ar.dni", "DNI")),
    "PE": (TaxIdType("pe.ruc", "RUC"),),
    "CO": (TaxIdType("co.nit", "NIT"),),
    "CL": (TaxIdType("cl.rut", "RUT"),),
    "EC": (TaxIdType("ec.ruc", "RUC"), TaxIdType("ec.ci", "CI")),
    "GT": (TaxIdType("gt.nit", "NIT"),),
    "UY": (TaxIdType("uy.rut", "RUT"),),
    "VE": (TaxIdType("ve.rif", "RIF"),),
    "PY": (TaxIdType("py.ruc", "RUC"),),
    "DO": (TaxIdType("do.rnc", "RNC"),),
    "SV": (TaxIdType("sv.nit", "NIT"),),
    "CR": (TaxIdType("cr.cpj", "CPJ"),),
    "BR": (TaxIdType("br.cnpj", "CNPJ"), TaxIdType("br.cpf", "CPF")),
    "BY": (TaxIdType("by.unp", "УНП"),),
}


# Checks python-stdnum leaves off by default that we want: a mistyped RFC is caught by
# its check digit.
STRICT_OPTIONS: dict[str, dict[str, bool]] = {"mx.rfc": {"validate_check_digits": True}}


# Ids a tax office gives many people at once, by type: Mexico's RFC of the general public
# (XAXX010101000) and of foreigners without one (XEXX010101000). Real invoices and
# customer lists carry them; they are valid, but they say nothing of who a customer is.
SHARED_TAX_IDS: dict[str, frozenset[str]] = {
    "mx.rfc": frozenset({"XAXX010101000", "XEXX010101000"}),
}


def tax_id_tells_apart(value: str) -> bool:
    """Whether two customers with the normalised tax id ``value`` may be the same one:
    not when it is empty or one that many people share (``SHARED_TAX_IDS``)."""
    return bool(value) and not any(value in shared for shared in SHARED_TAX_IDS.values())


def _tax_id_types(country: str) -> tuple[TaxIdType, ...]:
    if country in TAX_ID_TYPES:
        return TAX_ID_TYPES[country]
    try:
        importlib.import_module(f"stdnum.{country.lower()}.vat")
    except ImportError:
        return ()
    return (TaxIdType(f"{country.lower()}.vat", "VAT"),)


@cache
def _module(code: str) -> ModuleType:
    return importlib.import_module(f"stdnum.{code}")


def tax_id_label(country: str, code: str) -> str:
    """The usual name of a tax id type ("RFC"), or the code if unknown."""
    return next((t.label for t in _tax_id_types(country) if t.code == code), code)


@_remembering
def normalize_tax_id(value: str, country: str) -> tuple[str, str]:
    """Validate a tax id for the country; return (compact form, type code).

    Raises ValidationError naming the id type and what is wrong with it.
    """
    types = _tax_id_types(country)
    if not types:
        raise ValidationError(
            _("Tax ids of %(country)s cannot be checked; leave it empty or pick another country."),
            code="unsupported_country",
            params={"country": country},
        )
    errors = []
    for tax_type in types:
        module = _module(tax_type.code)
        shared = SHARED_TAX_IDS.get(tax_type.code, frozenset())
        if shared and module.compact(value) in shared:
            return module.compact(value), tax_type.code
        options = STRICT_OPTIONS.get(tax_type.code, {})
        try:
            return module.validate(value, **options), tax_type.code
        except (InvalidFormat, InvalidLength, InvalidChecksum, InvalidComponent) as error:
            errors.append((tax_type, error))
    tax_type, error = _most_telling(errors, value)
    labels = " / ".join(t.label for t in types)
    reason = {
        InvalidChecksum: _("its check digit is wrong"),
        InvalidLength: _("it has the wrong number of characters"),
        InvalidComponent: _("a part of it (such as the date) is not valid"),
    }.get(type(error), _("it does not have the right format"))
    raise ValidationError(
        _("Not a valid %(label)s (%(country)s): %(reason)s."),
        code="invalid_tax_id",
        params={
            "label": labels if isinstance(error, InvalidLength) else tax_type.label,
            "country": country_name(country),
            "reason": reason,
        },
    )


# Names of tax ids that every country has: they say nothing of the country.
_GENERIC_TAX_ID_NAMES = frozenset({"vat", "tin"})


@cache
def _tax_id_names() -> dict[str, tuple[str, ...]]:
    """The folded names of national tax ids → the countries whose ids they are: the
    labels above and the abbreviations python-stdnum gives its modules ("NIF", "ИНН",
    "RUC") for each country's ids that Clientela checks."""
    countries = [*TAX_ID_TYPES]
    countries += sorted(
        package.name.upper()
        for package in pkgutil.iter_modules(stdnum.__path__)
        if package.ispkg
        and len(package.name) == 2
        and package.name.upper() not in TAX_ID_TYPES
        and importlib.util.find_spec(f"stdnum.{package.name}.vat") is not None
    )
    names: dict[str, list[str]] = {}
    for country in countries:
        for tax_type in _tax_id_types(country):
            described = get_module_name(_module(tax_type.code)).split(" (")[0]
            for name in (tax_type.label, *re.split(r",|/| or ", described)):
                key = fold(name.replace(".", ""))
                if key and key not in _GENERIC_TAX_ID_NAMES and country not in names.get(key, ()):
                    names.setdefault(key, []).append(country)
    return {name: tuple(found) for name, found in names.items()}


def tax_id_countries(header: str) -> tuple[str, ...]:
    """The countries whose national tax id a column header names ("ИНН" → RU, "NIF/CIF"
    → ES and PT, "RUC" → EC, PE, PY), the most usual first; none for "Tax id" or "VAT"."""
    words = f" {fold(header.replace('.', ''))} "
    found: list[str] = []
    for name, countries in _tax_id_names().items():
        if f" {name} " in words:
            found += [country for country in countries if country not in found]
    order = list(TAX_ID_TYPES)
    return tuple(sorted(found, key=lambda c: (order.index(c) if c in order else len(order), c)))


def tax_id_country(value: str, *, named: Sequence[str], default: str) -> str:
    """The country to check the tax id ``value`` as: the one country ``named`` (by its
    column's header), else of those (of every country with national ids above when none
    is named) the default when its ids take it, else the only one whose ids take it,
    else the default (or the first named when the default is not)."""
    if len(named) == 1:
        return named[0]
    candidates = list(named or TAX_ID_TYPES)
    fallback = default if default in candidates or not named else candidates[0]
    if fallback == default and _valid_tax_id(value, default):
        return default
    valid = [c for c in candidates if c != default and _valid_tax_id(value, c)]
    return valid[0] if len(valid) == 1 else fallback


def _valid_tax_id(value: str, country: str) -> bool:
    try:
        normalize_tax_id(value, country)
    except ValidationError:
        return False
    return True


def _most_telling(errors, value):
    """Of several types' errors, the one from a type whose length the value has."""
    for tax_type, error in errors:
        if not isinstance(error, InvalidLength):
            return tax_type, error
    return errors[0]


@lru_cache(maxsize=4096)  # lists print the same ids page after page
def format_tax_id(value: str, code: str) -> str:
    """The tax id in its usual printed form."""
    module = _module(code)
    return module.format(value) if hasattr(module, "format") else value


def normalize_phone(value: str, region: str | None = None) -> str:
    """A phone number in E.164 (+525512345678); national numbers use the default region."""
    return _normal_phone(value, region or settings.CLIENTELA_PHONE_REGION)


@_remembering
def _normal_phone(value: str, region: str) -> str:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as error:
        raise ValidationError(
            _("Not a valid phone number: %(value)s."), code="invalid_phone", params={"value": value}
        ) from error
    national = str(number.national_number)
    valid = phonenumbers.is_valid_number(number)
    if number.country_code == 52 and not valid:
        # Mexican mobiles were dialled as +52 1 …, 044 … or 045 … until 2020; people
        # still write them so.
        for prefix in ("1", "44", "45"):
            if national.startswith(prefix) and len(national) == 10 + len(prefix):
                legacy = phonenumbers.PhoneNumber(52, int(national[len(prefix) :]))
                if phonenumbers.is_valid_number(legacy):
                    number, valid = legacy, True
                    break
    if not valid:
        raise ValidationError(
            _("Not a valid phone number: %(value)s."), code="invalid_phone", params={"value": value}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@lru_cache(maxsize=4096)
def format_phone(e164: str) -> str:
    """An E.164 number written the way people of its country write it."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


@_remembering
def normalize_email(value: str) -> str:
    """A syntactically valid e-mail address, domain lower-cased; no DNS look-up."""
    try:
        result = validate_email(value.strip(), check_deliverability=False)
    except EmailNotValidError as error:
        raise ValidationError(
            _("Not a valid e-mail address: %(value)s."),
            code="invalid_email",
            params={"value": value},
        ) from error
    return result.normalized.lower()


@cache
def _territories(language: str) -> dict[str, str]:
    locale = Locale.parse(language or "en", sep="-")
    return {
        code: name
        for code, name in locale.territories.items()
        if len(code) == 2 and code.isalpha() and code not in {"ZZ", "EU", "EZ", "UN", "QO"}
    }


def country_choices() -> list[tuple[str, str]]:
    """(ISO code, name in the current language) for every country, sorted by name."""
    names = _territories(get_language() or "en")
    return sorted(names.items(), key=lambda item: item[1])


def country_name(code: str) -> str:
    """A country's name in the current language."""
    return _territories(get_language() or "en").get(code, code)


def normalize_country(value: str) -> str:
    """An ISO 3166-1 alpha-2 country code, upper case, from the code or the country's
    name in a language Clientela speaks ("México", "Mexico", "Мексика")."""
    text = (value or "").strip()
    code = (
        text.upper() if text.upper() in _territories("en") else _countries_named().get(fold(text))
    )
    if code is None:
        raise ValidationError(
            _("Unknown country: %(value)s."), code="invalid_country", params={"value": value}
        )
    return code


@cache
def _countries_named() -> dict[str, str]:
    """Country names in the site's languages, folded, → ISO code."""
    names: dict[str, str] = {}
    for language, _name in settings.LANGUAGES:
        for code, name in _territories(language).items():
            names.setdefault(fold(name), code)
    return names
