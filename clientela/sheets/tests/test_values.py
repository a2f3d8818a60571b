from datetime import date, datetime
from decimal import Decimal

import pytest

from clientela.sheets.values import CellError, cell_date, cell_decimal, cell_text, excel_date


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (1, date(1900, 1, 1)),
        (59, date(1900, 2, 28)),
        (61, date(1900, 3, 1)),
        (45292, date(2024, 1, 1)),
        (45292.75, date(2024, 1, 1)),  # a time of day is dropped
        (2958465, date(9999, 12, 31)),
    ],
)
def test_excel_serials_count_like_excel(serial, expected):
    assert excel_date(serial) == expected


@pytest.mark.parametrize("serial", [0, 60, -5, 2958466])
def test_serials_excel_cannot_hold_are_refused(serial):
    with pytest.raises(CellError, match="not a date Excel can hold"):
        excel_date(serial)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (datetime(2024, 1, 3, 0, 0), date(2024, 1, 3)),
        (date(2024, 1, 3), date(2024, 1, 3)),
        (45294, date(2024, 1, 3)),
        ("45294", date(2024, 1, 3)),
        ("03/01/2024", date(2024, 1, 3)),
        (" 2024-01-03 ", date(2024, 1, 3)),
        ("03.01.2024 10:30", date(2024, 1, 3)),
    ],
)
def test_dates_come_from_dates_serials_and_text(cell, expected):
    assert cell_date(cell) == expected


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("31/02/2024", "“31/02/2024” is not a date"),
        ("mañana", "“mañana” is not a date"),
        (None, "Enter a date."),
        (True, "Enter a date."),
        ("31/12/2200", "Enter a date in the years 1900 to 2199."),
        (date(1899, 12, 31), "Enter a date in the years 1900 to 2199."),
        (2958465, "Enter a date in the years 1900 to 2199."),  # Excel's 9999-12-31
    ],
)
def test_what_is_not_a_date_says_so(cell, message):
    with pytest.raises(CellError, match=message):
        cell_date(cell)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (1500, Decimal("1500")),
        (1500.5, Decimal("1500.5")),
        (0.1, Decimal("0.1")),
        ("2.000,00", Decimal("2000.00")),
        ("1,234.56", Decimal("1234.56")),
        (" 12,5 ", Decimal("12.5")),
    ],
)
def test_amounts_come_exact_from_numbers_and_text(cell, expected):
    value = cell_decimal(cell)
    assert value == expected and str(value) == str(expected)


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("12 pesos", "“12 pesos” is not a number"),
        (None, "Enter a number."),
        (float("nan"), "Enter a number."),
    ],
)
def test_what_is_not_an_amount_says_so(cell, message):
    with pytest.raises(CellError, match=message):
        cell_decimal(cell)


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        (None, ""),
        (2225550101.0, "2225550101"),
        (12.5, "12.5"),
        (7, "7"),
        (datetime(2024, 1, 3), "2024-01-03"),
        (datetime(2024, 1, 3, 10, 30), "2024-01-03T10:30:00"),
        ("GODE561231GR8", "GODE561231GR8"),
    ],
)
def test_cells_as_text_keep_phones_and_ids_whole(cell, expected):
    assert cell_text(cell) == expected
