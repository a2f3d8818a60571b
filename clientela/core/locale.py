"""The one locale numbers, money, quantities and dates are written in.

A page's locale is the user's language with the business's country: Spanish in a
Mexican business is es-MX (``2,630,809.74``, ``$2,630,809.74 MXN``), in a Spanish one
es-ES (``2.630.809,74 €``); Russian is ru-RU, English en-US where CLDR knows no
English for the business's country. The country is ``CLIENTELA_DEFAULT_COUNTRY``,
where the business is (the country of new customers too).

Babel formats money, quantities and percentages in that locale (``money_text``,
``quantity_text``, ``percent_text``); Django's own localisation (``{{ value }}``,
``floatformat``, ``localize``, form fields with ``localize=True``, ``date`` filters)
reads the same locale through the format modules in ``clientela/core/formats/``, whose
separators come from Babel and whose date formats are Django's for the same country.
The API's JSON and the exports are not localised.
"""

import re
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache
from importlib import import_module
from types import ModuleType

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.languages import get_official_languages
from babel.numbers import (
    NumberFormatError,
    format_currency,
    format_decimal,
    format_percent,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    parse_decimal,
)
from django.conf import settings
from django.utils.translation import get_language

from clientela.core.parsing import fold

# Units whose quantities are measured, so may have decimals (2.5 kg); every other unit
# (pza, pieza, docena, paquete, шт…) counts whole things. Compared folded, without dots.
_MEASURES = """
kg kgs kilo kilos kilogramo kilogramos kilogram kilograms g gr grs gramo gramos gram grams mg
t ton tonelada toneladas lb lbs libra libras pound pounds oz onza onzas
l lt lts litro litros liter liters litre litres ml cl dl gal galon galones gallon gallons
m mt mts metro metros meter meters metre metres cm mm km m2 m3
кг килограмм килограмма г гр грамм грамма мг т тонна л литр литра мл м метр метра см мм
"""
MEASURED_UNITS = frozenset(_MEASURES.split())


def business_country() -> str:
    """The ISO code of the country the business is in (``CLIENTELA_DEFAULT_COUNTRY``)."""
    return settings.CLIENTELA_DEFAULT_COUNTRY.strip().upper()


def business_language() -> str:
    """The language the business's customers speak unless told otherwise: the first of
    Clientela's languages spoken in the business's country (MX → es, RU → ru, US → en),
    else ``CLIENTELA_LANGUAGE``."""
    offered = [code for code, _name in settings.LANGUAGES]
    for language in get_official_languages(business_country(), de_facto=True):
        if language in offered:
            return language
    return settings.LANGUAGE_CODE


def _base_language(language: str | None) -> str:
    """``"es-mx"``, ``"es_MX"`` or ``"es"`` → ``"es"``."""
    code = language or settings.LANGUAGE_CODE
    return re.split(r"[-_]", code, maxsplit=1)[0].lower()


@lru_cache(maxsize=64)
def _locale(language: str, country: str) -> Locale:
    try:
        return Locale.parse(f"{language}_{country}")
    except (UnknownLocaleError, ValueError):
        likely = get_global("likely_subtags").get(language, language)
        parsed = Locale.parse(likely)
        return Locale(parsed.language, parsed.territory)


def locale_for(language: str | None = None) -> Locale:
    """The Babel locale of ``language`` (the active one by default) with the business's
    country, or the language's usual country where CLDR has no such pair (ru in MX →
    ru_RU)."""
    return _locale(_base_language(language or get_language()), business_country())


def locale_tag(language: str | None = None) -> str:
    """The locale as a BCP 47 tag for browsers (Chart.js, ``Intl``): ``"es-MX"``."""
    locale = locale_for(language)
    return f"{locale.language}-{locale.territory}" if locale.territory else locale.language


def money_text(amount, currency: str = "") -> str:
    """An amount with its currency the local way, to the currency's decimals:
    ``$2,630,809.74 MXN`` (es-MX), ``2.630.809,74 €`` (es-ES), ``1 234,50 ₽`` (ru-RU).

    A bare "$" is read as US dollars by many, so a peso or another dollar printed with
    it is followed by its ISO code; a symbol that ends in a letter is kept apart from
    the digits (``USD 12.00``, but ``MX$12.00``).
    """
    currency = (currency or settings.CLIENTELA_CURRENCY).upper()
    locale = locale_for()
    text = format_currency(Decimal(str(amount)), currency, locale=locale)
    symbol = get_currency_symbol(currency, locale)
    if symbol == "$" and currency != "USD":
        return f"{text}\xa0{currency}"
    if symbol[-1:].isalpha():  # CLDR's currency spacing, which Babel leaves out
        text = re.sub(rf"{re.escape(symbol)}(?=\d)", f"{symbol}\xa0", text)
    if symbol[:1].isalpha():
        text = re.sub(rf"(?<=\d){re.escape(symbol)}", f"\xa0{symbol}", text)
    return text


def unit_is_counted(unit: str) -> bool:
    """Whether quantities in ``unit`` are whole things (pza, docena, paquete, шт) rather
    than measures (kg, l, m), which may have decimals. No unit: not known to be counted."""
    folded = fold(unit or "").replace(" ", "").rstrip(".")
    return bool(folded) and folded not in MEASURED_UNITS


def quantity_text(value, unit: str = "") -> str:
    """A quantity the local way, without trailing zeros: 12.000 → "12", 2.500 kg →
    "2.5" (or "2,5"); in a counted unit, to the nearest whole one (420.603 pza → "421")."""
    number = Decimal(str(value))
    if unit_is_counted(unit):
        number = number.quantize(Decimal(1), ROUND_HALF_UP)
    return format_decimal(number, locale=locale_for())


def percent_text(share, pattern: str | None = None) -> str:
    """A 0–1 share as a percentage the local way: 0.914 → "91%" (es-MX) or "91 %" (ru-RU);
    ``pattern`` is a CLDR pattern such as ``"#,##0.#%"`` for one decimal."""
    return format_percent(share, format=pattern, locale=locale_for())


# Spaces people type between thousands, where the locale groups with a no-break one.
_SPACES = (" ", "\u202f", "\xa0")


def decimal_from_text(text: str) -> Decimal:
    """A number typed the local way (``1,234.56`` in es-MX, ``1.234,56`` in es-ES,
    ``1 234,56`` in ru-RU; without thousands separators too) as a Decimal. Raises
    ValueError for anything else, a misplaced separator included (``1,5`` in es-MX is
    not fifteen)."""
    locale = locale_for()
    text = text.strip()
    group = get_group_symbol(locale)
    if group in _SPACES:
        for space in _SPACES:
            text = text.replace(space, group)
    try:
        number = parse_decimal(text, locale=locale, strict=True)
    except NumberFormatError as error:
        raise ValueError(str(error)) from error
    if not number.is_finite():
        raise ValueError(text)
    return number


# --- Django's format modules --------------------------------------------------------


def _grouping(locale: Locale) -> int | tuple[int, ...]:
    """CLDR's grouping as Django's NUMBER_GROUPING: 3, or (3, 2, 0) for 12,34,567."""
    primary, secondary = locale.decimal_formats[None].grouping
    return primary if primary == secondary else (primary, secondary, 0)


def _django_regional_formats(language: str, country: str) -> ModuleType | None:
    try:
        return import_module(f"django.conf.locale.{language}_{country}.formats")
    except ImportError:
        return None


def django_format(language: str, name: str):
    """The value of Django's format setting ``name`` for ``language`` in the business's
    country: the number separators and grouping from Babel (so both agree), the date
    formats from Django's module for the country (es_MX…) when it has one. Raises
    AttributeError otherwise, and Django reads its module for the language."""
    locale = _locale(language, business_country())
    if name == "DECIMAL_SEPARATOR":
        return get_decimal_symbol(locale)
    if name == "THOUSAND_SEPARATOR":
        return get_group_symbol(locale)
    if name == "NUMBER_GROUPING":
        return _grouping(locale)
    module = _django_regional_formats(language, locale.territory) if locale.territory else None
    value = getattr(module, name, None)
    if value is None:
        raise AttributeError(name)
    return value
