"""Lists and exports as downloads, in flat memory however many rows they have.

- A .csv is streamed as it is made: UTF-8 with a BOM (so Excel opens it as such),
  comma-separated, dates in ISO form and numbers with a decimal point (as the import
  reads them back).
- An .xlsx is written in openpyxl's write-only mode to a temporary file, then streamed
  back; numbers and dates stay numbers and dates, text loses the control characters
  Excel refuses.
- vCards are streamed as they are made.
- Text that a spreadsheet would run as a formula is neutralised (``neutralised``).
- Rows are made in the language of the request that asked for them, even when they are
  streamed after the view has returned.

A list's own columns are ``Column``s; ``column_rows`` turns records into rows, and
``records`` reads a queryset in its order a chunk at a time, with its prefetches.
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import islice
from typing import Any

from django.db.models import Model, QuerySet
from django.http import FileResponse, Http404, StreamingHttpResponse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from clientela.sheets.exporting import neutralised

CHUNK = 1000  # records read from the database at a time
CSV_BATCH = 500  # rows sent at a time
TABLE_FORMATS = ("csv", "xlsx")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

Value = str | int | float | Decimal | date | datetime | None


@dataclass(frozen=True)
class Column:
    """A column of a list: its header and what it shows of a record."""

    label: str | Promise
    value: Callable[[Any], Value]


def column_rows(columns: Sequence[Column], rows: Iterable[Any]) -> Iterator[list[Value]]:
    """The header row (the columns' labels), then one row per record of ``rows``."""
    yield [str(column.label) for column in columns]
    for record in rows:
        yield [column.value(record) for column in columns]


def records(queryset: QuerySet[Model], size: int = CHUNK) -> Iterator[Model]:
    """The records of ``queryset`` in its order, read ``size`` at a time with its
    ``prefetch_related`` (so memory and the number of queries per record stay flat)."""
    return queryset.iterator(chunk_size=size)


def file_name(name: str, suffix: str) -> str:
    """``<name>-<today>.<suffix>``: what a download is saved as."""
    return f"{name}-{timezone.localdate().isoformat()}.{suffix}"


def table_download(
    rows: Iterable[Sequence[Value]], *, name: str, file_format: str
) -> StreamingHttpResponse | FileResponse:
    """``rows`` (the first one the headers) as a .csv or .xlsx download; a 404 for any
    other format."""
    if file_format == "csv":
        return csv_download(rows, name=name)
    if file_format == "xlsx":
        return xlsx_download(rows, name=name)
    raise Http404


def csv_download(rows: Iterable[Sequence[Value]], *, name: str) -> StreamingHttpResponse:
    """``rows`` as a streamed .csv download."""
    response = StreamingHttpResponse(
        _csv_text(rows, translation.get_language()), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=file_name(name, "csv")
    )
    return response


def xlsx_download(rows: Iterable[Sequence[Value]], *, name: str) -> FileResponse:
    """``rows`` as an .xlsx download, written to a temporary file first."""
    file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (the response closes it)
    try:
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        for row in rows:
            sheet.append([_xlsx_cell(value) for value in row])
        workbook.save(file)
        file.seek(0)
    except BaseException:
        file.close()
        raise
    return FileResponse(
        file, as_attachment=True, filename=file_name(name, "xlsx"), content_type=XLSX_TYPE
    )


def vcard_download(cards: Iterable[str], *, name: str) -> StreamingHttpResponse:
    """vCards (text each) as a streamed .vcf download."""
    response = StreamingHttpResponse(_batches(cards), content_type="text/vcard; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(
        as_attachment=True, filename=file_name(name, "vcf")
    )
    return response


def _batches(cards: Iterable[str]) -> Iterator[str]:
    iterator = iter(cards)
    while batch := "".join(islice(iterator, CSV_BATCH)):
        yield batch


def _csv_text(rows: Iterable[Sequence[Value]], language: str | None) -> Iterator[str]:
    """The CSV text of ``rows``, a batch of rows at a time, made in ``language``."""
    yield "\ufeff"
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    iterator = iter(rows)
    while True:
        with translation.override(language):
            batch = list(islice(iterator, CSV_BATCH))
        if not batch:
            return
        writer.writerows([_csv_cell(value) for value in row] for row in batch)
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()


def _csv_cell(value: Value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return neutralised(value)
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(sep=" ", timespec="minutes")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def _xlsx_cell(value: Value) -> Value:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", neutralised(value))
    if isinstance(value, datetime) and timezone.is_aware(value):
        return timezone.make_naive(value)
    return value
