"""The .xlsx reader of ``reading``: a workbook streamed by openpyxl, a row at a time.

Loaded only when a workbook is read: openpyxl takes a tenth of a second to import, which
commands that read CSV files (``clientela analyze --transactions``) need not wait for.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path

from django.utils.translation import gettext as _
from openpyxl.reader.excel import ExcelReader
from openpyxl.xml.constants import SHARED_STRINGS, SHEET_MAIN_NS
from openpyxl.xml.functions import iterparse

from clientela.imports.reading import Cell, SpreadsheetError, clean, no_such_sheet

_SI, _T, _R = (f"{{{SHEET_MAIN_NS}}}{tag}" for tag in ("si", "t", "r"))


def _shared_strings(source) -> list[str]:
    """The shared strings as openpyxl reads them (text without its formatting or
    phonetic guide), without a formatted-text object for each: most of a workbook's
    text is here, and those objects took a third of the time of reading a large one."""
    strings = []
    for _event, node in iterparse(source):
        if node.tag == _SI:
            runs = (run.findtext(_T) or "" for run in node.iter(_R))
            strings.append(((node.findtext(_T) or "") + "".join(runs)).replace("x005F_", ""))
            node.clear()
    return strings


class _ExcelReader(ExcelReader):
    def read_strings(self) -> None:
        part = self.package.find(SHARED_STRINGS)
        if part is not None:
            with self.archive.open(part.PartName[1:]) as source:
                self.shared_strings = _shared_strings(source)


def xlsx_workbook(path: Path):
    """The workbook, opened by openpyxl to be streamed (read-only, values only)."""
    try:
        reader = _ExcelReader(path, read_only=True, data_only=True)
        reader.read()
        return reader.wb
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise SpreadsheetError(
            _("This file looks like an Excel workbook but cannot be read: it may be damaged.")
        ) from error


def xlsx_rows(path: Path, sheet: str | None) -> tuple[str, Iterator[tuple[int, list[Cell]]]]:
    """The name of the sheet ``sheet`` (the first by default) and its rows, streamed."""
    workbook = xlsx_workbook(path)
    names = list(workbook.sheetnames)
    if sheet is not None and sheet not in names:
        workbook.close()
        raise no_such_sheet(sheet, names)
    worksheet = workbook[sheet or names[0]]

    def rows() -> Iterator[tuple[int, list[Cell]]]:
        number = 0
        try:
            for number, row in enumerate(worksheet.iter_rows(values_only=True), start=1):
                yield number, [clean(cell) for cell in row]
        except (zipfile.BadZipFile, KeyError, ValueError) as error:
            raise SpreadsheetError(
                _("This workbook cannot be read past row %(row)s: it may be damaged.")
                % {"row": number}
            ) from error
        finally:
            workbook.close()

    return worksheet.title, rows()
