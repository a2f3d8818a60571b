"""Rows out to a file, streamed, in a form the import reads back unchanged.

A kind's export rows (its ``Kind.export``, written by the app that owns it) are read a
chunk of records at a time (``chunks_by_id``), so memory stays flat however many there
are. A .csv is UTF-8 with a BOM (so Excel opens it as such); an .xlsx is written in
openpyxl's write-only mode. A cell that starts with ``=``, ``+``, ``-`` or ``@`` is
written with a leading apostrophe, so a spreadsheet never runs it as a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from clientela.sheets.plan import Plan
from clientela.sheets.table import ESCAPED_STARTS, FORMULA_STARTS, Sheet
from clientela.sheets.values import cell_text

CHUNK = 2000


def neutralised(value: str) -> str:
    """``value`` safe from formula injection: a leading apostrophe when it starts like a
    formula, or with an apostrophe followed by what ``reading.clean`` would take for one
    an export put (so that the import gives back every value as it was)."""
    if value.startswith(FORMULA_STARTS) or (value[:1] == "'" and value[1:2] in ESCAPED_STARTS):
        return "'" + value
    return value


def chunks_by_id(queryset: QuerySet, size: int = CHUNK) -> Iterator[list]:
    """The rows of ``queryset`` by id, ``size`` at a time, each chunk read from the last
    id of the one before (so a million rows read in flat memory, each chunk as fast as
    the first). A row is a model instance, or a ``values_list`` tuple that starts with
    the id."""
    last = 0
    while True:
        chunk = list(queryset.filter(pk__gt=last).order_by("pk")[:size])
        if not chunk:
            return
        yield chunk
        last = chunk[-1][0] if isinstance(chunk[-1], tuple) else chunk[-1].pk


def refused_rows(sheet: Sheet, plan: Plan) -> Iterator[list[str]]:
    """The refused rows of a dry run as they were in the file, with their problems in a
    last column: corrected, the file imports again (that column matches no field)."""
    problems: dict[int, list[str]] = {}
    for problem in plan.problems:
        where = f"{problem.column}: " if problem.column else ""
        problems.setdefault(problem.row, []).append(where + problem.message)
    yield [*sheet.headers, _("Problems")]
    for number, cells in sheet.rows:
        if number in problems:
            yield [cell_text(cell) for cell in cells] + ["; ".join(problems[number])]


def export_write(rows: Iterator[list[str]], path: str | Path) -> int:
    """Write ``rows`` to ``path`` (.csv or .xlsx by its suffix), every text
    ``neutralised``; the data rows written."""
    path = Path(path)
    count = -1
    if path.suffix.lower() == ".xlsx":
        from openpyxl import Workbook
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        for count, row in enumerate(rows):  # noqa: B007 (the count is the result)
            sheet.append([ILLEGAL_CHARACTERS_RE.sub("", neutralised(value)) for value in row])
        workbook.save(path)
    else:
        with path.open("w", encoding="utf-8-sig", newline="") as file:
            writer = csv.writer(file)
            for count, row in enumerate(rows):  # noqa: B007
                writer.writerow([neutralised(value) for value in row])
    return max(count, 0)
