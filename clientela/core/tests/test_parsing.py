from datetime import date
from decimal import Decimal

import pytest

from clientela.core.parsing import parse_amount, parse_date, parse_decimal


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-01-31", date(2024, 1, 31)),
        ("2024/1/5", date(2024, 1, 5)),
        ("20240131", date(2024, 1, 31)),
        ("31/01/2024", date(2024, 1, 31)),
        ("5.1.2024", date(2024, 1, 5)),
        ("31-01-2024", date(2024, 1, 31)),
        (" 2024-01-31T23:59:00Z ", date(2024, 1, 31)),
        ("31/01/2024 10:30", date(2024, 1, 31)),
    ],
)
def test_dates_are_read_year_first_or_day_first(text, expected):
    assert parse_date(text) == expected


@pytest.mark.parametrize("text", ["", "01/31/2024", "2024-02-30", "31/01/24", "yesterday"])
def test_other_dates_are_refused(text):
    with pytest.raises(ValueError):
        parse_date(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", 12.0),
        ("-12.5", -12.5),
        ("12,5", 12.5),
        ("1,234", 1.234),
        ("1,234.56", 1234.56),
        ("1.234,56", 1234.56),
        ("1.234.567", 1234567.0),
        ("1 234,56", 1234.56),
        ("1\u00a0234,56", 1234.56),
    ],
)
def test_amounts_are_read_with_a_decimal_point_or_comma(text, expected):
    assert parse_amount(text) == pytest.approx(expected)


@pytest.mark.parametrize("text", ["", "12 pesos", "1,2,3.4,5", "nan", "inf", "$12"])
def test_other_amounts_are_refused(text):
    with pytest.raises(ValueError):
        parse_amount(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12", Decimal("12")),
        ("-12.50", Decimal("-12.50")),
        ("12,5", Decimal("12.5")),
        ("1,234.56", Decimal("1234.56")),
        ("1.234,56", Decimal("1234.56")),
        ("1 234 567,89", Decimal("1234567.89")),
        ("0.1", Decimal("0.1")),
    ],
)
def test_exact_amounts_keep_every_digit(text, expected):
    value = parse_decimal(text)
    assert value == expected and str(value) == str(expected)


@pytest.mark.parametrize("text", ["", "12 pesos", "1,2,3.4,5", "nan", "inf", "1e5", "$12"])
def test_other_exact_amounts_are_refused(text):
    with pytest.raises(ValueError):
        parse_decimal(text)
