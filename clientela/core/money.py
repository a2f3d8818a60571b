"""Money: Decimal amounts with a currency, checked against the currency's minor unit."""

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision, is_currency
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


def normalize_currency(value: str) -> str:
    """A currency's ISO 4217 code (``mxn`` → ``MXN``); raises ValidationError for text
    that is not one."""
    code = value.strip().upper()
    if not is_currency(code):
        raise ValidationError(
            _("“%(value)s” is not a currency code: write it like MXN, USD or EUR."),
            code="invalid_currency",
            params={"value": value.strip()[:40]},
        )
    return code


def currency_decimals(currency: str) -> int:
    """How many decimals the currency's amounts have (MXN 2, JPY 0, KWD 3)."""
    return get_currency_precision(currency)


# The largest amount kept: twelve digits before the decimal mark.
LARGEST_AMOUNT = Decimal(10) ** 12


def money_check(amount: Decimal, currency: str) -> None:
    """Raise ValidationError when ``amount`` is not a finite number under
    ``LARGEST_AMOUNT``, or has more decimals than ``currency`` allows."""
    if not amount.is_finite() or abs(amount) >= LARGEST_AMOUNT:
        raise ValidationError(
            _("Enter an amount under %(largest)s."),
            code="too_large",
            params={"largest": f"{LARGEST_AMOUNT:,.0f}"},
        )
    decimals = currency_decimals(currency)
    if amount != amount.quantize(Decimal(1).scaleb(-decimals)):
        raise ValidationError(
            _("%(currency)s amounts have at most %(decimals)d decimals."),
            code="too_many_decimals",
            params={"currency": currency, "decimals": decimals},
        )


def money_round(amount: Decimal, currency: str) -> Decimal:
    """``amount`` rounded half-up to the currency's minor unit."""
    return amount.quantize(Decimal(1).scaleb(-currency_decimals(currency)), ROUND_HALF_UP)
