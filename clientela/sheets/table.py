"""What every reader gives and every kind reads: a ``Sheet`` of ``Cell`` values, and the
``SpreadsheetError`` that says why a file cannot be one."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import gettext as _

# Text that a spreadsheet would run as a formula starts with one of these (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# An export puts an apostrophe before text starting with one of these (a formula's start,
# or an apostrophe, which keeps the apostrophe an export put apart from the text's own),
# and the import takes it off again: export → import gives back every text unchanged.
ESCAPED_STARTS = (*FORMULA_STARTS, "'")

Cell = str | int | float | date | datetime | None


class SpreadsheetError(ValueError):
    """A file that cannot be read as a spreadsheet, with the reason in the user's words."""


@dataclass
class Sheet:
    """One table of a file: where its header is, its column names, and its rows.

    ``rows`` yields ``(row number in the file, cells)`` after the header, lazily (an
    .xlsx is streamed); each row has as many cells as there are headers.
    """

    name: str
    header_row: int
    headers: list[str]
    rows: Iterator[tuple[int, list[Cell]]]


def clean(cell) -> Cell:
    """A cell as the import sees it: text without the spaces around it, nor NULs, nor the
    apostrophe an export put before it (``exporting.neutralised``); ``None`` for nothing.
    Each field tidies its text further as the catalog keeps it (``values.cell_line``,
    ``values.cell_block``)."""
    if isinstance(cell, str):
        cell = cell.replace("\x00", "").strip()  # a NUL means nothing; no database keeps it
        if cell[:1] == "'" and cell[1:2] and cell[1] in ESCAPED_STARTS:
            cell = cell[1:]
        return cell or None
    return cell


def no_such_sheet(sheet: str, names: list[str]) -> SpreadsheetError:
    """The refusal of a sheet the workbook does not have, naming those it has."""
    return SpreadsheetError(
        _("The workbook has no sheet “%(sheet)s”; its sheets are: %(names)s.")
        % {"sheet": sheet, "names": ", ".join(names)}
    )
