"""Cells as typed values: what a spreadsheet cell holds, read as text, a date, a date and
time, or an amount.

An .xlsx gives numbers and dates as such (a date may also be an Excel serial number, or
text); a CSV gives text. Numbers stored as text, decimal commas and day-first dates are
read by ``clientela.core.parsing``. A refused cell raises ``CellError`` with a message
for the person who typed it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from clientela.core.parsing import fold, one_line, parse_date, parse_decimal, text_block
from clientela.core.validators import business_date_check
from clientela.sheets.table import Cell

# Excel's 1900 date system: serial 1 is 1900-01-01 and 60 the 29 February 1900 that
# never was (kept for Lotus 1-2-3), so from 61 on the days count from 1899-12-30.
_EXCEL_BEFORE_LEAP = date(1899, 12, 31)
_EXCEL_AFTER_LEAP = date(1899, 12, 30)
_EXCEL_LAST = 2_958_465  # 9999-12-31


class CellError(ValueError):
    """A cell that does not hold what its column needs; the message says why."""


def _shown(cell: Cell) -> str:
    text = cell.isoformat() if isinstance(cell, date) else str(cell)
    return text if len(text) <= 40 else text[:39] + "…"


def excel_date(serial: float) -> date:
    """The day of an Excel serial number (its time of day is dropped)."""
    whole = math.floor(serial)
    if not 1 <= whole <= _EXCEL_LAST or whole == 60:
        raise CellError(_("%(value)s is not a date Excel can hold.") % {"value": _shown(serial)})
    base = _EXCEL_BEFORE_LEAP if whole < 60 else _EXCEL_AFTER_LEAP
    return base + timedelta(days=whole)


def cell_text(cell: Cell) -> str:
    """A cell as text: empty for nothing, whole numbers without ".0" (phones and ids
    typed as numbers), dates in ISO form."""
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


def cell_line(cell: Cell) -> str:
    """A cell as a name or an id is kept (``core.parsing.one_line``)."""
    return one_line(cell_text(cell))


def cell_block(cell: Cell) -> str:
    """A cell as notes are kept, line breaks and all (``core.parsing.text_block``)."""
    return text_block(cell_text(cell))


def cell_date(cell: Cell) -> date:
    """A cell as a date: a date or date-time, an Excel serial (a number, or digits as
    text), or text year first or day first; in the years business dates may have
    (``business_date_check``)."""
    value = _cell_date(cell)
    try:
        business_date_check(value)
    except ValidationError as error:
        raise CellError(" ".join(error.messages)) from None
    return value


def _cell_date(cell: Cell) -> date:
    if isinstance(cell, datetime):
        return cell.date()
    if isinstance(cell, date):
        return cell
    if isinstance(cell, bool) or cell is None:
        raise CellError(_("Enter a date."))
    if isinstance(cell, int | float):
        return excel_date(cell)
    text = cell.strip()
    if text.isdigit() and len(text) <= 5:
        return excel_date(int(text))
    try:
        return parse_date(text)
    except ValueError:
        raise CellError(
            _("“%(value)s” is not a date: write it as DD/MM/YYYY or YYYY-MM-DD.")
            % {"value": _shown(text)}
        ) from None


# A time of day after a date: 14:30, 14:30:15, 2:30 pm, 14.30.
_CLOCK = re.compile(
    r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2})(?:[.,]\d+)?)?\s*([ap])?\.?\s*(?:m\.?)?", re.I
)


def cell_moment(cell: Cell) -> datetime:
    """A cell as an aware date and time: a date-time, a date (its start), an Excel
    serial with its fraction of a day, ISO 8601 text (with or without its offset), or a
    date as ``cell_date`` reads it followed by a time of day (``14:30``, ``2:30 pm``).
    A time without an offset is the site's local time."""
    value = _cell_moment(cell)
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    try:
        business_date_check(timezone.localtime(value).date())
    except ValidationError as error:
        raise CellError(" ".join(error.messages)) from None
    return value


def _cell_moment(cell: Cell) -> datetime:
    if isinstance(cell, datetime):
        return cell
    if isinstance(cell, date):
        return datetime.combine(cell, time())
    if isinstance(cell, int | float) and not isinstance(cell, bool):
        day = excel_date(cell)
        seconds = round((cell - math.floor(cell)) * 86400)
        return datetime.combine(day, time()) + timedelta(seconds=seconds)
    if not isinstance(cell, str):
        raise CellError(_("Enter a date and time."))
    text = cell.strip()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    day_text, _space, clock_text = text.partition(" ") if "T" not in text else text.partition("T")
    day = _cell_date(day_text)
    clock_text = clock_text.strip()
    if not clock_text:
        return datetime.combine(day, time())
    match = _CLOCK.fullmatch(clock_text)
    hour = int(match.group(1)) if match else -1
    if match and match.group(4):
        if not 1 <= hour <= 12:
            hour = -1
        else:
            hour = hour % 12 + (12 if match.group(4).lower() == "p" else 0)
    if match is None or not 0 <= hour <= 23 or int(match.group(2)) > 59:
        raise CellError(
            _(
                "“%(value)s” is not a date and time: write it as DD/MM/YYYY HH:MM or YYYY-MM-DD HH:MM."
            )
            % {"value": _shown(text)}
        )
    seconds = int(match.group(3) or 0)
    return datetime.combine(day, time(hour, int(match.group(2)), min(seconds, 59)))


def cell_decimal(cell: Cell) -> Decimal:
    """A cell as an exact amount: a number, or text with a decimal point or comma and
    thousands grouped (see ``clientela.core.parsing``)."""
    if isinstance(cell, bool) or cell is None or isinstance(cell, date):
        raise CellError(_("Enter a number."))
    if isinstance(cell, int):
        return Decimal(cell)
    if isinstance(cell, float):
        if not math.isfinite(cell):
            raise CellError(_("Enter a number."))
        return Decimal(repr(cell))  # the shortest form that reads back: 1500.5, not 1500.5000…
    try:
        return parse_decimal(cell)
    except ValueError:
        raise CellError(
            _("“%(value)s” is not a number: write it like 1234.50 or 1.234,50.")
            % {"value": _shown(cell)}
        ) from None


def decimal_text(value: Decimal) -> str:
    """A stored amount or quantity as plain text an import reads back: ``12.5``, ``3``."""
    return format(value.normalize(), "f")


def choice_words(
    choices: Sequence[tuple[str, Any]], synonyms: Mapping[str, Sequence[str]]
) -> dict[str, str]:
    """Folded text → code for a set of choices: the codes, their labels in every language
    of the site, and ``synonyms`` (code → words)."""
    words: dict[str, str] = {}
    for code, label in choices:
        words[fold(code)] = words[fold(code.replace("_", " "))] = code
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                words[fold(str(label))] = code
    for code, names in synonyms.items():
        for name in names:
            words[fold(name)] = code
    return words


def choice_read(text: str, words: Mapping[str, str], choices) -> str:
    """The code ``text`` names, or ``CellError`` listing the labels."""
    code = words.get(fold(text))
    if code is None:
        raise CellError(
            _("“%(value)s” is not one of: %(choices)s.")
            % {"value": text[:40], "choices": ", ".join(str(label) for _code, label in choices)}
        )
    return code
