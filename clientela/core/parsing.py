"""Dates, amounts and words as people write them in spreadsheets and exports.

Dates: year first (2024-01-31, 2024/01/31, 2024.01.31, 20240131) or day first
(31/01/2024, 31.01.2024, 31-01-2024), optionally followed by a time, which is ignored;
never month first. Amounts: a decimal point or comma; thousands grouped by the other
mark, spaces or apostrophes; a single mark is the decimal one (1,234 is 1.234).
"""

import math
import re
import unicodedata
from datetime import date
from decimal import Decimal, InvalidOperation

_YEAR_FIRST = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})")
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_DAY_FIRST = re.compile(r"(\d{1,2})([-/.])(\d{1,2})\2(\d{4})")
_TIME_OF_DAY = re.compile(r"[T\s]")
_PLAIN_AMOUNT = re.compile(r"[+-]?\d+(?:[.,]\d+)?")
_POINT_DECIMAL_AMOUNT = re.compile(r"[+-]?\d{1,3}(?:,\d{3})+(?:\.\d+)?")
_COMMA_DECIMAL_AMOUNT = re.compile(r"[+-]?\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_THOUSANDS_SPACING = re.compile(r"[\s']")


def parse_date(text: str) -> date:
    """A date year first or day first (see the module). Raises ``ValueError`` for
    anything else, or a day that does not exist."""
    value = _TIME_OF_DAY.split(text.strip(), maxsplit=1)[0]
    if match := _YEAR_FIRST.fullmatch(value):
        year, month, day = match.group(1, 3, 4)
    elif match := _COMPACT.fullmatch(value):
        year, month, day = match.group(1, 2, 3)
    elif match := _DAY_FIRST.fullmatch(value):
        day, month, year = match.group(1, 3, 4)
    else:
        raise ValueError(f"not a date: {text!r}")
    return date(int(year), int(month), int(day))


def _plain_number(text: str) -> str:
    """``text`` as a number with a decimal point and no grouping, or ``ValueError``."""
    text = text.strip()
    if "," not in text and _PLAIN_AMOUNT.fullmatch(text):
        return text
    if "." not in text and text.count(",") == 1 and _PLAIN_AMOUNT.fullmatch(text):
        return text.replace(",", ".")  # a lone decimal comma
    compact = _THOUSANDS_SPACING.sub("", text)
    if _PLAIN_AMOUNT.fullmatch(compact):
        return compact.replace(",", ".")
    if _POINT_DECIMAL_AMOUNT.fullmatch(compact):
        return compact.replace(",", "")
    if _COMMA_DECIMAL_AMOUNT.fullmatch(compact):
        return compact.replace(".", "").replace(",", ".")
    raise ValueError(f"not an amount: {text!r}")


def parse_amount(text: str) -> float:
    """An amount (see the module) as a float. Raises ``ValueError`` for anything else,
    including infinities and NaN."""
    try:
        value = float(text)  # the common form first: 1234.56
    except ValueError:
        value = float(_plain_number(text))
    if not math.isfinite(value):
        raise ValueError(f"not a finite amount: {text!r}")
    return value


def parse_decimal(text: str) -> Decimal:
    """An amount (see the module) exactly, as a ``Decimal``. Raises ``ValueError`` for
    anything else."""
    try:
        return Decimal(_plain_number(text))
    except InvalidOperation as error:
        raise ValueError(f"not an amount: {text!r}") from error


_INVISIBLE = frozenset({"Cc", "Cf", "Cs"})
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def unstorable_character(text: str) -> str | None:
    """The first character of ``text`` that no record can keep, as ``U+0000``: a NUL
    (PostgreSQL refuses it in text) or a lone surrogate (half of a character, which no
    encoding writes); None when there is none."""
    match = _UNSTORABLE.search(text)
    return f"U+{ord(match.group()):04X}" if match else None


def visible(text: str) -> str:
    """``text`` without the characters that show nothing yet change how it reads or
    compares: control characters other than tabs and line breaks (NUL among them), format
    characters (zero-width spaces and joiners, bidirectional overrides, the byte-order
    mark) and lone surrogates."""
    if text.isprintable():
        return text
    return "".join(c for c in text if c in "\t\n\r" or unicodedata.category(c) not in _INVISIBLE)


def one_line(text: str | None) -> str:
    """``text`` as a name or an id is kept: ``visible``, on one line, its spaces collapsed
    (empty for ``None``)."""
    return " ".join(visible(text or "").split())


def text_block(text: str | None) -> str:
    """``text`` as notes are kept: ``visible``, its line breaks as ``\\n`` (a browser sends
    ``\\r\\n``, a workbook keeps only ``\\n``), without spaces around it."""
    return "\n".join(visible(text or "").splitlines()).strip()


def split_list(value: str, separators: str = ",;\n") -> list[str]:
    """Split text typed as a list ("a, b" or one per line) into its stripped, non-empty items."""
    pattern = "|".join(re.escape(s) for s in separators)
    return [item.strip() for item in re.split(pattern, value or "") if item.strip()]


def fold(text: str) -> str:
    """Lower case, accents removed (á→a, ñ→n, ё→е), punctuation to spaces, single-spaced."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w]+", " ", stripped).split())
