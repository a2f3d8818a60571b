"""Offline analysis: the statistics engine on a CSV export of transactions, no database.

``analyze_file`` reads a file (``read_transactions``), summarises it and scores every
customer with the pipeline the database run shares (``stats.scoring.score``, in
``analyze_transactions``) and writes ``model.json`` and ``customers.csv``
(``write_results``), telling a ``progress`` callback each stage as it starts.
``clientela analyze --transactions`` is its command line.

Rules:

- the file is found out as the spreadsheet import finds out a CSV file
  (``sheets.reading.csv_layout``): UTF-8 with or without a BOM, else Windows-1251
  (Cyrillic) or Windows-1252; commas, semicolons or tabs; the header is the first row
  that looks like one (a title above it is skipped); rows are numbered as in a
  spreadsheet, blank ones counted;
- the columns are read by Apache Arrow (decision 0011), only those named; a row with
  fewer cells than the header has empty ones, cells beyond the header's are ignored, and
  a row whose customer, date and amount are all empty is skipped;
- columns are found by their header name: exactly, else ignoring case;
- dates are read as YYYY-MM-DD (also YYYY/MM/DD, YYYYMMDD) or day first as DD/MM/YYYY
  (also DD.MM.YYYY, DD-MM-YYYY); a time after the date is ignored;
- amounts have a decimal point or a decimal comma and may group thousands with the other
  mark or spaces (1,234.56 · 1.234,56 · 1 234,56); a single mark is the decimal one
  (1,234 is 1.234). Negative amounts (refunds) net against the same day's purchases;
- an empty or unreadable value stops the analysis with its row, column and value;
- the time unit is a day, or a week of 7 days counted to the day (as Fader, Hardie & Lee
  express the CDNOW data); either way the purchases of one day are one purchase;
- only the models asked for are fitted (``CLIENTELA_ANALYTICS_MODELS`` or ``--models``),
  on the transactions up to the observation end; the purchase model asked for
  (``CLIENTELA_ANALYTICS_PURCHASE_MODEL``) scores the customers, the other one if it
  cannot. With a calibration end they are fitted again on the calibration data, and
  their predictions for the holdout period are compared with what the customers did;
- a model is skipped, with the reason, when the data cannot support it (a purchase
  model needs ``MINIMUM_CUSTOMERS`` customers and a repeat buyer, Gamma-Gamma
  ``MINIMUM_CUSTOMERS`` repeat buyers of positive value); one that does not converge is
  reported and not used for the scores;
- expected purchases and lifetime value look ``months`` ahead; the Pareto classes are
  made on the revenue up to the observation end;
- results are computed in full before anything is written, then written to temporary
  files in the output folder and renamed, so an error leaves the folder as it was.
"""

from __future__ import annotations

import csv
import functools
import io
import itertools
import json
import math
import os
import threading
import uuid
from collections.abc import Callable, Collection, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clientela.analytics.stats import PURCHASE_MODELS, UNIT_DAYS
from clientela.analytics.stats.pareto import CLASSES
from clientela.analytics.stats.summary import (
    TimeUnit,
    TransactionSummary,
    calibration_holdout_summary,
    transaction_summary,
)
from clientela.analytics.wording import MODEL_NAMES, fit_reason, fit_warning
from clientela.core.parsing import parse_amount, parse_date
from clientela.sheets.reading import CsvLayout, csv_layout
from clientela.sheets.table import SpreadsheetError

if TYPE_CHECKING:
    from clientela.analytics.stats.scoring import FitOutcome, Scored, ScoringOptions

# The models need this many customers (Gamma-Gamma: repeat buyers) before they are fitted.
MINIMUM_CUSTOMERS = 10

CUSTOMER_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "first_purchase",
    "last_purchase",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "probability_alive",
    "expected_purchases",
    "expected_average_spend",
    "clv",
    "recency_score",
    "frequency_score",
    "monetary_score",
    "rfm_segment",
    "pareto_class",
    "revenue",
)

FORMAT_VERSION = 1

_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab"}
# Arrow reads UTF-8 itself (a BOM is in the header row, which it skips); other encodings
# through Python's codecs.
_ARROW_ENCODINGS = {"utf-8-sig": "utf8"}
_BLOCK_BYTES = 1 << 20
# From this many rows on, customer ids are encoded in two halves at once.
_SPLIT_ENCODING_ROWS = 200_000
# The low n bytes of a 64-bit number, for n = 0 to 8.
_BYTE_MASKS = np.array([(1 << (8 * n)) - 1 for n in range(9)], dtype=np.uint64)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SHOWN_VALUE_LENGTH = 60

# Told each stage of the analysis as it starts (a line for the terminal).
Progress = Callable[[str], None]


class OfflineAnalysisError(Exception):
    """Bad input or options for the offline analysis; the message names the file, column,
    row and value at fault, for the user."""


@dataclass(frozen=True, eq=False)
class Transactions:
    """The rows of a transactions file as arrays, one entry per row.

    ``customer_codes`` index ``customer_ids`` (in order of first appearance); ``days`` count
    days since 1970-01-01; ``amounts`` is ``None`` without an amount column.
    """

    customer_ids: pa.Array
    customer_codes: np.ndarray
    days: np.ndarray
    amounts: np.ndarray | None
    source: str
    delimiter: str
    encoding: str
    columns: dict[str, str | None]


@dataclass(frozen=True, eq=False)
class OfflineAnalysis:
    """What ``analyze_transactions`` found: ``report`` is the content of model.json,
    ``customers`` the columns of customers.csv (``CUSTOMER_COLUMNS``; ``None`` or NaN for
    an empty cell)."""

    report: dict[str, Any]
    customers: dict[str, Any]


def _together(*work: Callable[[], Any]) -> list[Any]:
    """The results of ``work``, run at the same time in threads (numpy, scipy and Arrow
    let go of Python's lock in their loops, so two cores share them), each in the
    caller's language; the first exception raised is raised here."""
    language = translation.get_language()

    def speaking(task: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            with translation.override(language):
                return task()

        return run

    with ThreadPoolExecutor(max_workers=len(work)) as pool:
        futures = [pool.submit(speaking(task)) for task in work]
        return [future.result() for future in futures]


# --- between Arrow and numpy ------------------------------------------------------------
# Arrow's ``to_numpy`` and ``pa.array`` of a numpy array look for pandas first, and import
# it where it is installed: longer than reading the columns of a million customers. The
# columns go between the two through their memory instead.


def _numbers(array: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """The values of an Arrow array of fixed-width numbers without nulls, in numpy (a
    chunked array joined first)."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    dtype = np.dtype(array.type.to_pandas_dtype())
    return np.frombuffer(
        array.buffers()[1], dtype=dtype, count=len(array), offset=array.offset * dtype.itemsize
    )


def _arrow(values: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    """A one-dimensional numpy array of numbers or days in Arrow, null where ``valid`` is
    false."""
    if values.dtype == np.dtype("datetime64[D]"):
        return _arrow(values.view(np.int64).astype(np.int32), valid).view(pa.date32())
    values = np.ascontiguousarray(values)
    bitmap = None if valid is None else pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(
        pa.from_numpy_dtype(values.dtype),
        len(values),
        [bitmap, pa.py_buffer(values)],
        null_count=-1 if valid is not None else 0,
    )


def _texts(values: Collection[str]) -> pa.StringArray:
    """Python strings in Arrow."""
    encoded = [value.encode() for value in values]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int32)
    np.cumsum([len(value) for value in encoded], out=offsets[1:])
    return pa.StringArray.from_buffers(
        len(encoded), pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))
    )


# --- reading ----------------------------------------------------------------------------


def _day_number(value: date | str) -> int:
    if isinstance(value, str):
        value = parse_date(value)
    return value.toordinal() - _EPOCH_ORDINAL


def _iso(day: int) -> str:
    return date.fromordinal(day + _EPOCH_ORDINAL).isoformat()


def _shown(value: str) -> str:
    value = value.strip()
    if len(value) > _SHOWN_VALUE_LENGTH:
        return value[: _SHOWN_VALUE_LENGTH - 1] + "…"
    return value


def _column_index(header: list[str], name: str, source: Path) -> int:
    wanted = name.strip()
    if wanted in header:
        return header.index(wanted)
    folded = [column.casefold() for column in header]
    if wanted.casefold() in folded:
        return folded.index(wanted.casefold())
    raise OfflineAnalysisError(
        _("There is no column “%(column)s” in %(file)s; its columns are: %(columns)s.")
        % {
            "column": name,
            "file": source,
            "columns": ", ".join(f"“{column}”" for column in header),
        }
    )


def _empty_value(source: Path, row: int, column: str) -> OfflineAnalysisError:
    return OfflineAnalysisError(
        _("Row %(row)d of %(file)s: column “%(column)s” is empty.")
        % {"row": row, "file": source, "column": column}
    )


def _bad_date(source: Path, row: int, value: str, column: str) -> OfflineAnalysisError:
    return OfflineAnalysisError(
        _(
            "Row %(row)d of %(file)s: the date “%(value)s” in column “%(column)s” could not "
            "be read; write dates as YYYY-MM-DD or DD/MM/YYYY."
        )
        % {"row": row, "file": source, "value": _shown(value), "column": column}
    )


def _bad_amount(source: Path, row: int, value: str, column: str) -> OfflineAnalysisError:
    return OfflineAnalysisError(
        _(
            "Row %(row)d of %(file)s: the amount “%(value)s” in column “%(column)s” could not "
            "be read; write amounts like 1234.56 or 1234,56."
        )
        % {"row": row, "file": source, "value": _shown(value), "column": column}
    )


def _cannot_read(source: Path, error: OSError) -> OfflineAnalysisError:
    return OfflineAnalysisError(
        _("Cannot read %(file)s: %(reason)s.") % {"file": source, "reason": error.strerror or error}
    )


def _is_blank(source: Path) -> bool:
    """Whether the file holds nothing but white space."""
    with open(source, "rb") as binary:
        while block := binary.read(_BLOCK_BYTES):
            if block.strip():
                return False
    return True


def _layout(source: Path) -> CsvLayout:
    """The file's encoding, delimiter and header, as the spreadsheet import finds them."""
    try:
        if _is_blank(source):
            raise OfflineAnalysisError(_("%(file)s is empty.") % {"file": source})
        return csv_layout(source)
    except OSError as error:
        raise _cannot_read(source, error) from error
    except SpreadsheetError as error:
        raise OfflineAnalysisError(
            _("%(file)s cannot be read: %(reason)s") % {"file": source, "reason": error}
        ) from error


def _records(stream, layout: CsvLayout) -> Iterator[tuple[int, list[str]]]:
    """The rows below the header, numbered as in a spreadsheet, from the Python reader."""
    reader = csv.reader(stream, delimiter=layout.delimiter)
    return itertools.islice(enumerate(reader, start=1), layout.header_row, None)


def _header_width(source: Path, layout: CsvLayout) -> int:
    """How many cells the header row has, empty ones at its end included."""
    with open(source, encoding=layout.encoding, newline="") as stream:
        reader = csv.reader(stream, delimiter=layout.delimiter)
        return len(next(itertools.islice(reader, layout.header_row - 1, None)))


def _arrow_table(
    source: Path, layout: CsvLayout, indexes: dict[str, int], *, typed: bool
) -> pa.Table | None:
    """The columns ``indexes`` names (role → index in the header), read by Arrow: as
    text, or ``typed`` (dates written YYYY-MM-DD and plain numbers converted as they are
    read, an empty cell null; Arrow raises ``ArrowInvalid`` for a value it cannot
    convert).

    A row with more or fewer cells than the header goes to Python's reader instead
    (padded with empty cells, or cut) and its values are added at the end as text; a
    typed reading meeting one gives ``None``."""
    width = _header_width(source, layout)
    names = [f"column {index}" for index in range(width)]
    odd_rows: list[list[str]] = []

    def odd_row(row: pacsv.InvalidRow) -> str:
        cells = next(csv.reader(io.StringIO(row.text), delimiter=layout.delimiter), [])
        cells += [""] * (width - len(cells))
        odd_rows.append([cells[index] for index in indexes.values()])
        return "skip"

    types = {role: pa.string() for role in indexes}
    if typed:
        types |= {"date": pa.date32(), "amount": pa.float64()}
    read = pacsv.read_csv(
        source,
        read_options=pacsv.ReadOptions(
            column_names=names,
            skip_rows=layout.header_row,
            encoding=_ARROW_ENCODINGS.get(layout.encoding, layout.encoding),
        ),
        parse_options=pacsv.ParseOptions(
            delimiter=layout.delimiter,
            # A cell holding a line break is quoted: without quotes below the header,
            # the rows are found at every line break, faster.
            newlines_in_values=layout.quoted_below,
            invalid_row_handler=odd_row,
        ),
        convert_options=pacsv.ConvertOptions(
            include_columns=sorted({names[index] for index in indexes.values()}),
            column_types={names[index]: types[role] for role, index in indexes.items()},
            null_values=[""],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
            # The whole file was found to be UTF-8, or Arrow turns it into UTF-8.
            check_utf8=False,
        ),
    )
    table = pa.table({role: read[names[index]] for role, index in indexes.items()})
    if odd_rows:
        if typed:
            return None
        extra = pa.table(dict(zip(indexes, map(_texts, zip(*odd_rows, strict=True)), strict=True)))
        table = pa.concat_tables([table, extra])
    return table


def _read_table(source: Path, layout: CsvLayout, indexes: dict[str, int]) -> pa.Table:
    """The columns ``indexes`` names: typed if every value converts, else as text."""
    try:
        table = _arrow_table(source, layout, indexes, typed=True)
    except pa.ArrowInvalid:
        table = None
    return table or _arrow_table(source, layout, indexes, typed=False)


def _first_bad_row(
    source: Path, layout: CsvLayout, indexes: dict[str, int], columns: dict[str, str | None]
) -> OfflineAnalysisError | None:
    """The error of the first row with a missing or unreadable value, found again row by
    row with Python's reader: the columnar reading tells that a value is bad, not where."""
    width = max(indexes.values()) + 1
    with open(source, encoding=layout.encoding, newline="") as stream:
        records = _records(stream, layout)
        row = layout.header_row
        try:
            for row, fields in records:
                fields += [""] * (width - len(fields))
                cells = {role: fields[index] for role, index in indexes.items()}
                if not any(cell.strip() for cell in cells.values()):
                    continue  # a blank row
                if not cells["customer"].strip():
                    return _empty_value(source, row, columns["customer"])
                for role, parse, bad in (
                    ("date", parse_date, _bad_date),
                    ("amount", parse_amount, _bad_amount),
                ):
                    if role not in cells:
                        continue
                    try:
                        parse(cells[role])
                    except ValueError:
                        if not cells[role].strip():
                            return _empty_value(source, row, columns[role])
                        return bad(source, row, cells[role], columns[role])
        except csv.Error as error:
            return OfflineAnalysisError(
                _("Row %(row)d of %(file)s cannot be read as CSV: %(reason)s.")
                % {"row": row + 1, "file": source, "reason": error}
            )
    return None


def _day_numbers(texts: pa.ChunkedArray) -> np.ndarray | None:
    """The day number of each date, or ``None`` if one cannot be read (or, for dates
    read as dates, is empty). Dates all written YYYY-MM-DD are read by Arrow; otherwise
    each different date (without a time after it) is read once, by ``parse_date``."""
    if texts.type == pa.date32():
        return None if texts.null_count else _numbers(texts.cast(pa.int32()))
    try:
        return _numbers(pc.cast(pc.cast(texts, pa.date32()), pa.int32()))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    encoded = pc.dictionary_encode(texts).combine_chunks()
    # "2024-01-31 10:30" and "2024-01-31T09:00" are the same day: one read for both.
    dates = pc.dictionary_encode(
        pc.replace_substring_regex(
            pc.utf8_trim_whitespace(encoded.dictionary), pattern=r"(?s)[T\s].*", replacement=""
        )
    )
    days = np.empty(len(dates.dictionary), dtype=np.int32)
    for position, text in enumerate(dates.dictionary.to_pylist()):
        try:
            days[position] = _day_number(parse_date(text))
        except ValueError:
            return None
    return days[_numbers(dates.indices)][_numbers(encoded.indices)]


def _amount_values(texts: pa.ChunkedArray) -> np.ndarray | None:
    """The amounts as floats, or ``None`` if one cannot be read. Arrow converts plain
    numbers (1234.56, and 1234,56 with its decimal comma made a point); what it cannot,
    ``parse_amount`` reads, once for each different text. Amounts read as numbers are
    taken as they are (``None`` if one is empty)."""
    if texts.type == pa.float64():
        values = None if texts.null_count else _numbers(texts)
        return values if values is not None and np.isfinite(values).all() else None
    trimmed = pc.utf8_trim_whitespace(texts)
    candidates = (
        lambda: trimmed,
        lambda: pc.replace_substring_regex(
            trimmed, pattern=r"^([+-]?\d+),(\d+)$", replacement=r"\1.\2"
        ),
    )
    for candidate in candidates:
        try:
            values = _numbers(pc.cast(candidate(), pa.float64()))
            break
        except pa.ArrowInvalid:
            continue
    else:
        encoded = pc.dictionary_encode(texts).combine_chunks()
        distinct = np.empty(len(encoded.dictionary))
        for position, text in enumerate(encoded.dictionary.to_pylist()):
            try:
                distinct[position] = parse_amount(text)
            except ValueError:
                return None
        values = distinct[_numbers(encoded.indices)]
    return values if np.isfinite(values).all() else None


def _without_blank_rows(table: pa.Table) -> pa.Table:
    """The table without the rows whose cells are all empty (or only spaces): null in a
    typed column."""
    blank = [
        pc.equal(pc.binary_length(pc.utf8_trim_whitespace(column)), 0)
        if column.type == pa.string()
        else pc.is_null(column)
        for column in table.columns
    ]
    return table.filter(pc.invert(functools.reduce(pc.and_, blank)))


def _first_appearances(codes: np.ndarray) -> np.ndarray:
    """Where each code first appears, for codes numbered in order of first appearance."""
    highest = np.maximum.accumulate(codes)
    return np.flatnonzero(np.concatenate(([True], highest[1:] > highest[:-1])))


def _side(texts: pa.StringArray) -> np.ndarray:
    """0 or 1 for each value: the parity of the sum of its last two bytes (a shorter
    value counts 0 for each byte it lacks), read from Arrow's buffers."""
    data = np.frombuffer(texts.buffers()[2] or b"", dtype=np.uint8)
    if data.size == 0:  # only empty values
        return np.zeros(len(texts), dtype=np.int32)
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int32)
    offsets = offsets[texts.offset : texts.offset + len(texts) + 1]
    ends, lengths = offsets[1:], np.diff(offsets)
    last = np.where(lengths >= 1, data[np.clip(ends - 1, 0, None)], 0)
    before = np.where(lengths >= 2, data[np.clip(ends - 2, 0, None)], 0)
    return (last.astype(np.int32) + before) & 1


def _packed(texts: pa.ChunkedArray) -> np.ndarray | None:
    """Each value's bytes as one 64-bit number (the first byte lowest), read from Arrow's
    buffers a chunk at a time; ``None`` unless every value fits in 8 bytes and none holds
    a zero byte (so two different values never make the same number)."""
    numbers = np.empty(len(texts), dtype=np.uint64)
    done = 0
    for chunk in texts.chunks:
        data = np.frombuffer(chunk.buffers()[2] or b"", dtype=np.uint8)
        offsets = np.frombuffer(chunk.buffers()[1], dtype=np.int32)
        offsets = offsets[chunk.offset : chunk.offset + len(chunk) + 1]
        data = data[offsets[0] : offsets[-1]]
        starts, lengths = offsets[:-1] - offsets[0], np.diff(offsets)
        if lengths.max(initial=0) > 8 or not data.all():
            return None
        out = numbers[done : done + len(chunk)]
        # Every 8 bytes from each place on, as numbers: one read per value; the last
        # values, within 8 bytes of the end, are read from a copy padded with zeros.
        inside = int(np.searchsorted(starts, data.size - 7))
        if inside:
            windows = np.ndarray((data.size - 7,), dtype="<u8", buffer=data, strides=(1,))
            np.take(windows, starts[:inside], out=out[:inside])
        if inside < len(chunk):
            tail = np.zeros(data.size - starts[inside] + 8, dtype=np.uint8)
            tail[: data.size - starts[inside]] = data[starts[inside] :]
            windows = np.ndarray((tail.size - 7,), dtype="<u8", buffer=tail, strides=(1,))
            np.take(windows, starts[inside:] - starts[inside], out=out[inside:])
        out &= _BYTE_MASKS[lengths]
        done += len(chunk)
    return numbers


def _unpacked(numbers: np.ndarray) -> pa.StringArray:
    """The texts ``_packed`` made these numbers of: each one's bytes up to its first zero
    byte (a text holds none)."""
    data = numbers.view(np.uint8).reshape(-1, 8)
    kept = data != 0
    offsets = np.zeros(len(numbers) + 1, dtype=np.int32)
    np.cumsum(kept.sum(axis=1, dtype=np.int32), out=offsets[1:])
    return pa.StringArray.from_buffers(
        len(numbers), pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(data[kept]))
    )


def _dictionary_encoded(texts: pa.ChunkedArray) -> pa.DictionaryArray:
    """``texts`` dictionary-encoded, the different values in order of first appearance.

    Looking a million different ids up one by one is the longest step of reading a big
    file. Ids of up to 8 bytes (numbers, short codes) are looked up as 64-bit numbers,
    several times faster than as text. Otherwise a long column is cut in two by a bit of
    each value's last two bytes: the halves share no value, two threads encode them at
    once, and the two dictionaries are put back in order of first appearance."""
    numbers = _packed(texts) if len(texts) else None
    if numbers is not None:
        encoded = pc.dictionary_encode(_arrow(numbers.view(np.int64)))
        return pa.DictionaryArray.from_arrays(
            encoded.indices, _unpacked(_numbers(encoded.dictionary))
        )
    if len(texts) < _SPLIT_ENCODING_ROWS or texts.nbytes >= 2**31:
        return pc.dictionary_encode(texts).combine_chunks()
    side = np.concatenate([_side(chunk) for chunk in texts.chunks])
    rows = [np.flatnonzero(side == half) for half in (0, 1)]
    halves = _together(
        *(
            lambda taken=taken: pc.dictionary_encode(texts.take(_arrow(taken))).combine_chunks()
            for taken in rows
        )
    )
    one, other = (_numbers(half.indices) for half in halves)
    # Each half's values are in order of their first appearance in the half; ordering
    # the two lists' first rows orders them in the whole column.
    first_rows = np.concatenate(
        (rows[0][_first_appearances(one)], rows[1][_first_appearances(other)])
    )
    # Sorted as one packed key (row, place), several times faster than an argsort.
    bits = first_rows.size.bit_length()
    key = first_rows.astype(np.int64) << bits
    key |= np.arange(first_rows.size, dtype=np.int64)
    key.sort()
    in_order = key & ((1 << bits) - 1)
    place = np.empty(in_order.size, dtype=np.int32)
    place[in_order] = np.arange(in_order.size, dtype=np.int32)
    codes = np.empty(len(texts), dtype=np.int32)
    codes[rows[0]] = place[one]
    codes[rows[1]] = place[other + len(halves[0].dictionary)]
    values = pa.concat_arrays([half.dictionary for half in halves]).take(_arrow(in_order))
    return pa.DictionaryArray.from_arrays(_arrow(codes), values)


def _customer_codes(texts: pa.ChunkedArray) -> pa.DictionaryArray | None:
    """The customers' ids, without spaces around them, coded in order of first
    appearance; ``None`` if one is empty. The spaces are trimmed from each different id,
    not from every row."""
    encoded = _dictionary_encoded(texts)
    trimmed = pc.utf8_trim_whitespace(encoded.dictionary)
    if len(trimmed) == 0 or pc.min(pc.binary_length(trimmed)).as_py() == 0:
        return None
    if not pc.all(pc.equal(trimmed, encoded.dictionary)).as_py():
        again = pc.dictionary_encode(trimmed)
        encoded = pa.DictionaryArray.from_arrays(
            again.indices.take(encoded.indices), again.dictionary
        )
    return encoded


def _coded_columns(
    table: pa.Table,
) -> tuple[pa.DictionaryArray | None, np.ndarray | None, np.ndarray | None]:
    """The customers coded, the day numbers and the amounts of ``table``, worked out at
    the same time; ``None`` for a column with an empty or unreadable value (amounts:
    also without an amount column)."""
    return tuple(
        _together(
            lambda: _customer_codes(table["customer"]),
            lambda: _day_numbers(table["date"]),
            lambda: None if "amount" not in table.column_names else _amount_values(table["amount"]),
        )
    )


def read_transactions(
    path: str | os.PathLike,
    *,
    customer_column: str,
    date_column: str,
    amount_column: str | None = None,
) -> Transactions:
    """Read (customer, date[, amount]) from a CSV file into arrays, column by column.

    Raises ``OfflineAnalysisError`` for a file that cannot be read, an empty file or one
    without a header row, a file without rows below the header, a missing column
    (listing the columns found), or an empty or unreadable value (naming its row, column
    and value).
    """
    source = Path(path)
    layout = _layout(source)
    names = {"customer": customer_column, "date": date_column, "amount": amount_column}
    indexes = {
        role: _column_index(layout.headers, name, source)
        for role, name in names.items()
        if name is not None
    }
    columns = {role: layout.headers[indexes[role]] if role in indexes else None for role in names}
    try:
        table = _read_table(source, layout, indexes)
    except OSError as error:
        raise _cannot_read(source, error) from error
    except pa.ArrowInvalid as error:
        bad_row = _first_bad_row(source, layout, indexes, columns)
        raise bad_row or OfflineAnalysisError(
            _("%(file)s cannot be read as CSV: %(reason)s.") % {"file": source, "reason": error}
        ) from error
    no_rows = OfflineAnalysisError(
        _("%(file)s has a header but no transactions below it.") % {"file": source}
    )
    if table.num_rows == 0:
        raise no_rows
    # An empty customer is a blank row to leave out, or a missing id: looked for before
    # the columns are coded (cheaply), and once more if an id was only spaces.
    for tried in range(2):
        if tried or pc.min(pc.binary_length(table["customer"])).as_py() == 0:
            table = _without_blank_rows(table)
            if table.num_rows == 0:
                raise no_rows
        customers, days, amounts = _coded_columns(table)
        if customers is not None:
            break
    if customers is None or days is None or ("amount" in indexes and amounts is None):
        raise _first_bad_row(source, layout, indexes, columns) or OfflineAnalysisError(
            _("%(file)s has a value that cannot be read.") % {"file": source}
        )
    return Transactions(
        customer_ids=customers.dictionary,
        customer_codes=_numbers(customers.indices),
        days=days,
        amounts=amounts,
        source=str(source),
        delimiter=layout.delimiter,
        encoding=layout.encoding,
        columns=columns,
    )


# --- the models -------------------------------------------------------------------------


def _scoring() -> ModuleType:
    """The scoring pipeline (``stats.scoring``, with the models of ``stats.btyd``).
    Loading scipy takes a third of a second, so ``analyze_file`` has a thread load it
    while Arrow parses the file (it lets go of Python's lock; the ids' lookup that
    follows holds it often enough to slow an import beside it down); this waits for it
    (Python's import lock)."""
    from clientela.analytics.stats import scoring

    return scoring


def _scoring_options(
    *,
    models: Collection[str],
    purchase_model: str,
    time_unit: TimeUnit,
    months: int,
    monthly_discount_rate: float,
) -> ScoringOptions:
    """The pipeline's options: expected purchases and lifetime value ``months`` ahead;
    a purchase model needs ``MINIMUM_CUSTOMERS`` customers and one repeat buyer,
    Gamma-Gamma ``MINIMUM_CUSTOMERS`` repeat buyers of positive value."""
    scoring = _scoring()
    return scoring.ScoringOptions(
        models=tuple(models),
        purchase_model=purchase_model,
        time_unit=time_unit,
        horizon=months * scoring.btyd.UNITS_PER_MONTH[time_unit],
        clv_months=months,
        monthly_discount_rate=monthly_discount_rate,
        min_customers=MINIMUM_CUSTOMERS,
        min_repeat_buyers=1,
        min_spenders=MINIMUM_CUSTOMERS,
    )


def _announcer(stage: Progress, customers: int = 0) -> Callable[[str], None]:
    """Tells ``stage`` each step of the pipeline as it starts (``scoring``'s
    announcements): each model's fit, then the scores of ``customers``."""

    def announce(step: str) -> None:
        if step in MODEL_NAMES:
            stage(_("fitting %(model)s") % {"model": MODEL_NAMES[step]})
        elif step == "scores":
            stage(
                ngettext("scoring %(count)d customer", "scoring %(count)d customers", customers)
                % {"count": customers}
            )

    return announce


def _number(value: float) -> float | None:
    """A float for JSON: ``None`` for NaN and infinities (not valid JSON)."""
    value = float(value)
    return value if math.isfinite(value) else None


def _model_report(outcome: FitOutcome) -> dict[str, Any]:
    """A model's entry in model.json: its status, why, and its fit."""
    entry: dict[str, Any] = {"status": outcome.status}
    if reason := fit_reason(outcome):
        entry["reason"] = reason
    if warning := fit_warning(outcome):
        entry["warning"] = warning
    fit = outcome.fit
    if fit is not None:
        parameters, errors = fit.reported()
        if fit.boundary is not None:
            entry["boundary"] = fit.boundary.kind
        entry.update(
            parameters={k: _number(v) for k, v in parameters.items()},
            standard_errors={k: _number(v) for k, v in errors.items()},
            log_likelihood=_number(fit.log_likelihood),
            n_customers=fit.n_customers,
            converged=fit.converged,
            iterations=fit.iterations,
        )
    return entry


# --- scores -----------------------------------------------------------------------------


def _categories(index: np.ndarray, names: tuple[str, ...]) -> pa.DictionaryArray:
    """A column of a few different texts, as each one's place among ``names``."""
    return pa.DictionaryArray.from_arrays(_arrow(index), _texts(names))


def _customer_columns(
    transactions: Transactions,
    summary: TransactionSummary,
    scored: Scored,
    options: ScoringOptions,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """customers.csv's columns and the report's description of the scores."""
    count = summary.frequency.size
    x, t_x, age = summary.frequency, summary.recency, summary.T
    unit_days = UNIT_DAYS[options.time_unit]
    end_day = int(summary.observation_end.astype(np.int64))
    first_day = end_day - np.rint(age * unit_days).astype(np.int64)
    last_day = first_day + np.rint(t_x * unit_days).astype(np.int64)
    revenue = summary.total_amount
    scores = scored.customers
    rfm, pareto = scores.rfm, scores.pareto
    segment_counts = np.bincount(rfm.segment_index, minlength=len(rfm.segment_keys))
    columns: dict[str, Any] = {
        "customer_id": transactions.customer_ids.take(_arrow(summary.customer_ids)),
        "first_purchase": first_day.astype("datetime64[D]"),
        "last_purchase": last_day.astype("datetime64[D]"),
        "frequency": x,
        "recency": t_x,
        "T": age,
        "monetary_value": summary.monetary_value,
        "probability_alive": scores.probability_alive,
        "expected_purchases": scores.expected_purchases,
        "expected_average_spend": scores.expected_spend,
        "clv": scores.clv,
        "recency_score": rfm.recency_score,
        "frequency_score": rfm.frequency_score,
        "monetary_score": None if revenue is None else rfm.monetary_score,
        "rfm_segment": _categories(rfm.segment_index, rfm.segment_keys),
        "pareto_class": None if pareto is None else _categories(pareto.class_index, CLASSES),
        "revenue": revenue,
    }
    description: dict[str, Any] = {
        "purchase_model": scored.fits.purchase_name,
        "spend_model": "gammagamma" if scored.fits.spend is not None else None,
        "horizon_months": options.clv_months,
        "horizon": options.horizon,
        "monthly_discount_rate": options.monthly_discount_rate,
        "rfm_monetary": "revenue" if revenue is not None else "frequency",
        "rfm_segments": dict(
            sorted(
                (key, int(count))
                for key, count in zip(rfm.segment_keys, segment_counts, strict=True)
                if count
            )
        ),
        "pareto": None
        if pareto is None
        else {
            "period_start": _iso(int(first_day.min())) if count else None,
            "period_end": _iso(end_day),
            "class_counts": pareto.class_counts,
            "class_revenue": {k: _number(v) for k, v in pareto.class_revenue.items()},
            "top_20_percent_share": _number(pareto.top_share),
        },
    }
    return columns, description


# --- holdout ----------------------------------------------------------------------------


def _correlation(predicted: np.ndarray, actual: np.ndarray) -> float | None:
    if predicted.size < 2 or predicted.std() == 0 or actual.std() == 0:
        return None
    return _number(np.corrcoef(predicted, actual)[0, 1])


def _purchase_comparison(predicted: np.ndarray, actual: np.ndarray, x: np.ndarray) -> dict:
    error = predicted - actual
    groups = []
    for low, high, label in [(k, k, str(k)) for k in range(7)] + [(7, np.inf, "7+")]:
        members = (x >= low) & (x <= high)
        if members.any():
            groups.append(
                {
                    "calibration_frequency": label,
                    "customers": int(members.sum()),
                    "predicted_mean": _number(predicted[members].mean()),
                    "actual_mean": _number(actual[members].mean()),
                }
            )
    return {
        "predicted_total": _number(predicted.sum()),
        "actual_total": _number(actual.sum()),
        "mean_absolute_error": _number(np.abs(error).mean()),
        "root_mean_squared_error": _number(np.sqrt((error**2).mean())),
        "correlation": _correlation(predicted, actual),
        "by_calibration_frequency": groups,
    }


def _holdout_report(
    transactions: Transactions,
    full: TransactionSummary,
    *,
    calibration_day: int,
    end_day: int,
    options: ScoringOptions,
    stage: Progress,
) -> dict[str, Any]:
    """The models fitted on the calibration data, and how their predictions for the
    holdout compare with what the customers did in it."""
    scoring = _scoring()
    unit_days = UNIT_DAYS[options.time_unit]
    stage(
        _("summarising the calibration data up to %(end)s and the holdout after it")
        % {"end": _iso(calibration_day)}
    )
    split = calibration_holdout_summary(
        transactions.customer_codes,
        transactions.days,
        transactions.amounts,
        calibration_end=np.datetime64(calibration_day, "D"),
        observation_end=np.datetime64(end_day, "D"),
        time_unit="day",
        unit_multiplier=unit_days,
    )
    calibration = split.calibration
    first_days = end_day - np.rint(full.T * unit_days)
    fits = scoring.models_fit(calibration, options, together=_together, announce=_announcer(stage))
    outcomes = fits.outcomes
    models = {name: _model_report(outcome) for name, outcome in outcomes.items()}
    x, t_x, age = calibration.frequency, calibration.recency, calibration.T
    actual = split.frequency_holdout.astype(float)
    with np.errstate(all="ignore"):
        for name in PURCHASE_MODELS:
            if outcomes[name].usable:
                predicted = scoring.btyd.conditional_expected_purchases(
                    outcomes[name].fit.parameters, split.duration_holdout, x, t_x, age
                )
                models[name]["holdout"] = _purchase_comparison(predicted, actual, x)
        if fits.spend is not None and split.monetary_value_holdout is not None:
            # Compared: the customers whose spend the model reads, or who had no repeat
            # purchase, and who bought in the holdout.
            monetary = calibration.monetary_value
            compared = ((x == 0) | (monetary > 0)) & (split.frequency_holdout > 0)
            predicted = scoring.expected_spend(
                fits.spend.parameters, x[compared], monetary[compared]
            )
            observed = split.monetary_value_holdout[compared]
            models["gammagamma"]["holdout"] = {
                "customers": int(compared.sum()),
                "predicted_mean_spend": _number(predicted.mean()) if predicted.size else None,
                "actual_mean_spend": _number(observed.mean()) if observed.size else None,
                "mean_absolute_error": _number(np.abs(predicted - observed).mean())
                if predicted.size
                else None,
            }
    return {
        "calibration_end": _iso(calibration_day),
        "holdout_start": _iso(calibration_day + 1),
        "holdout_end": _iso(end_day),
        "holdout_length": split.duration_holdout,
        "customers": int(x.size),
        "customers_first_buying_in_holdout": int((first_days > calibration_day).sum()),
        "models": models,
    }


# --- the analysis -----------------------------------------------------------------------


def _silent(stage: str) -> None:
    """The progress callback when there is none."""


def _checked_models(models: Collection[str], purchase_model: str) -> None:
    unknown = [name for name in models if name not in MODEL_NAMES]
    if unknown or purchase_model not in PURCHASE_MODELS:
        raise OfflineAnalysisError(
            _("Unknown model “%(model)s”; the models are %(models)s.")
            % {
                "model": (unknown or [purchase_model])[0],
                "models": ", ".join(MODEL_NAMES),
            }
        )


def analyze_transactions(
    transactions: Transactions,
    *,
    time_unit: TimeUnit = "day",
    calibration_end: date | str | None = None,
    observation_end: date | str | None = None,
    months: int = 12,
    monthly_discount_rate: float = 0.01,
    models: Collection[str] = tuple(MODEL_NAMES),
    purchase_model: str = "bgnbd",
    progress: Progress | None = None,
) -> OfflineAnalysis:
    """Summarise, fit and score the customers of ``transactions``.

    ``observation_end`` defaults to the last date; later transactions are ignored.
    ``calibration_end`` adds the holdout comparison. Expected purchases and CLV look
    ``months`` ahead (CLV discounted by ``monthly_discount_rate``). Only ``models`` are
    fitted; ``purchase_model`` scores, the other purchase model if it cannot. Raises
    ``OfflineAnalysisError`` for dates outside the data or in the wrong order, or an
    unknown model.
    """
    stage = progress or _silent
    _checked_models(models, purchase_model)
    if time_unit not in UNIT_DAYS:
        raise OfflineAnalysisError(
            _("The time unit must be day or week, not “%(unit)s”.") % {"unit": time_unit}
        )
    days = transactions.days
    first_day, last_day = int(days.min()), int(days.max())
    end_day = last_day if observation_end is None else _day_number(observation_end)
    if end_day < first_day:
        raise OfflineAnalysisError(
            _("The observation end %(end)s is before the first transaction, on %(first)s.")
            % {"end": _iso(end_day), "first": _iso(first_day)}
        )
    calibration_day = None
    if calibration_end is not None:
        calibration_day = _day_number(calibration_end)
        if calibration_day < first_day:
            raise OfflineAnalysisError(
                _("The calibration end %(end)s is before the first transaction, on %(first)s.")
                % {"end": _iso(calibration_day), "first": _iso(first_day)}
            )
        if calibration_day >= end_day:
            raise OfflineAnalysisError(
                _(
                    "The calibration end %(calibration)s must be before the observation end "
                    "%(end)s, to leave a holdout period to compare with."
                )
                % {"calibration": _iso(calibration_day), "end": _iso(end_day)}
            )

    stage(
        ngettext(
            "summarising %(rows)d transaction of %(customers)d customers",
            "summarising %(rows)d transactions of %(customers)d customers",
            days.size,
        )
        % {"rows": days.size, "customers": len(transactions.customer_ids)}
    )
    summary = transaction_summary(
        transactions.customer_codes,
        days,
        transactions.amounts,
        observation_end=np.datetime64(end_day, "D"),
        time_unit="day",
        unit_multiplier=UNIT_DAYS[time_unit],
        coded=True,
    )
    options = _scoring_options(
        models=models,
        purchase_model=purchase_model,
        time_unit=time_unit,
        months=months,
        monthly_discount_rate=monthly_discount_rate,
    )
    announce = _announcer(stage, summary.frequency.size)
    scored = _scoring().score(summary, options, together=_together, announce=announce)
    customers, scores = _customer_columns(transactions, summary, scored, options)
    report: dict[str, Any] = {
        "format": FORMAT_VERSION,
        "input": _input_report(transactions, end_day, summary.repeated_rows),
        "options": {
            "time_unit": time_unit,
            "unit_days": UNIT_DAYS[time_unit],
            "observation_end": _iso(end_day),
            "calibration_end": None if calibration_day is None else _iso(calibration_day),
            "months": months,
            "monthly_discount_rate": monthly_discount_rate,
            "models": [name for name in MODEL_NAMES if name in models],
            "purchase_model": purchase_model,
        },
        "customers": int(summary.frequency.size),
        "models": {name: _model_report(outcome) for name, outcome in scored.fits.outcomes.items()},
        "scores": scores,
        "holdout": None
        if calibration_day is None
        else _holdout_report(
            transactions,
            summary,
            calibration_day=calibration_day,
            end_day=end_day,
            options=options,
            stage=stage,
        ),
    }
    return OfflineAnalysis(report=report, customers=customers)


def _input_report(transactions: Transactions, end_day: int, duplicates: int) -> dict[str, Any]:
    codes, days, amounts = transactions.customer_codes, transactions.days, transactions.amounts
    return {
        "file": transactions.source,
        "encoding": transactions.encoding,
        "delimiter": _DELIMITERS[transactions.delimiter],
        "columns": transactions.columns,
        "rows": int(codes.size),
        "customers": len(transactions.customer_ids),
        "first_date": _iso(int(days.min())),
        "last_date": _iso(int(days.max())),
        "rows_after_observation_end": int((days > end_day).sum()),
        "duplicate_rows": duplicates,
        "negative_amount_rows": None if amounts is None else int((amounts < 0).sum()),
    }


# --- writing ----------------------------------------------------------------------------


def _arrow_column(values: Any, count: int) -> pa.Array:
    """A column of customers.csv: floats rounded to 6 decimals, null (an empty cell) for
    NaN and for a column without values. Floats that are all whole numbers (recency and T
    in days) are written as integers: the same text, written faster."""
    if values is None:
        return pa.nulls(count)
    if isinstance(values, pa.Array):
        return values
    array = np.asarray(values)
    if array.dtype.kind == "f":
        finite = np.isfinite(array)
        if finite.all() and (np.abs(array) < 2**53).all() and (array == np.rint(array)).all():
            return _arrow(array.astype(np.int64))
        return _arrow(np.round(array, 6), valid=finite)
    return _arrow(array)


def _write_csv(table: pa.Table, stream: io.BufferedWriter) -> None:
    """``table`` as CSV into ``stream``: its two halves are formatted at once by two
    threads (Arrow's writer lets go of Python's lock), the first straight into the file,
    the second into memory and then after it."""
    half = (table.num_rows + 1) // 2
    rest = io.BytesIO()
    _together(
        lambda: pacsv.write_csv(
            table.slice(0, half), stream, pacsv.WriteOptions(quoting_style="needed")
        ),
        lambda: pacsv.write_csv(
            table.slice(half),
            rest,
            pacsv.WriteOptions(quoting_style="needed", include_header=False),
        ),
    )
    stream.write(rest.getbuffer())


def write_results(analysis: OfflineAnalysis, out_dir: str | os.PathLike) -> tuple[Path, Path]:
    """Write ``model.json`` and ``customers.csv`` into ``out_dir`` (created if needed)
    through temporary files renamed at the end; returns their paths. Raises
    ``OfflineAnalysisError`` if they cannot be written, leaving the folder as it was."""
    folder = Path(out_dir)
    created = not folder.exists()
    targets = (folder / "model.json", folder / "customers.csv")
    temporaries = [folder / f".{target.name}.{uuid.uuid4().hex}.tmp" for target in targets]
    count = len(analysis.customers["customer_id"])
    table = pa.table(
        {name: _arrow_column(analysis.customers[name], count) for name in CUSTOMER_COLUMNS}
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(temporaries[0], "x", encoding="utf-8") as model_file:
            json.dump(analysis.report, model_file, ensure_ascii=False, indent=2, allow_nan=False)
            model_file.write("\n")
        with open(temporaries[1], "xb") as customers_file:
            _write_csv(table, customers_file)
        for temporary, target in zip(temporaries, targets, strict=True):
            os.replace(temporary, target)
    except OSError as error:
        for temporary in temporaries:
            temporary.unlink(missing_ok=True)
        if created and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
        raise OfflineAnalysisError(
            _("Cannot write the results to %(folder)s: %(reason)s.")
            % {"folder": folder, "reason": error.strerror or error}
        ) from error
    return targets


def _memory_given_back() -> None:
    """Arrow's allocator keeps the memory of freed arrays for later ones unless told:
    between stages the file's text and the scores' working arrays are not needed."""
    pa.default_memory_pool().release_unused()


def analyze_file(
    path: str | os.PathLike,
    out_dir: str | os.PathLike,
    *,
    customer_column: str,
    date_column: str,
    amount_column: str | None = None,
    time_unit: TimeUnit = "day",
    calibration_end: date | str | None = None,
    observation_end: date | str | None = None,
    months: int = 12,
    monthly_discount_rate: float = 0.01,
    models: Collection[str] = tuple(MODEL_NAMES),
    purchase_model: str = "bgnbd",
    progress: Progress | None = None,
) -> OfflineAnalysis:
    """Read a transactions CSV, analyse it and write ``out_dir/model.json`` and
    ``out_dir/customers.csv``, telling ``progress`` each stage as it starts; nothing is
    written if any step raises ``OfflineAnalysisError``."""
    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise OfflineAnalysisError(
            _("%(folder)s is a file; give a folder for the results.") % {"folder": folder}
        )
    _checked_models(models, purchase_model)
    stage = progress or _silent
    stage(_("reading %(file)s") % {"file": path})
    threading.Thread(target=_scoring, daemon=True).start()
    transactions = read_transactions(
        path,
        customer_column=customer_column,
        date_column=date_column,
        amount_column=amount_column,
    )
    _memory_given_back()
    analysis = analyze_transactions(
        transactions,
        time_unit=time_unit,
        calibration_end=calibration_end,
        observation_end=observation_end,
        months=months,
        monthly_discount_rate=monthly_discount_rate,
        models=models,
        purchase_model=purchase_model,
        progress=progress,
    )
    del transactions  # the rows: only the customers are written
    _memory_given_back()
    stage(_("writing %(folder)s") % {"folder": folder})
    write_results(analysis, folder)
    return analysis
