"""Per-customer purchase summaries from a transaction log (vectorised, no Django).

The definitions follow lifetimes' ``summary_data_from_transaction_data`` and
``calibration_and_holdout_data`` (which follow Fader, Hardie & Lee 2005):

- dates are cut into periods of the time unit (a day, or a Monday-to-Sunday week as
  pandas' ``W`` period); purchases in the same period collapse into one, their amounts
  summed;
- ``frequency`` (x): periods with a purchase after the first one (repeat purchases);
- ``recency`` (t_x): from the first to the last purchase period;
- ``T``: from the first purchase period to the period of the observation end;
- ``monetary_value``: the mean of the repeat periods' amounts (the first purchase is left
  out), 0 without repeat purchases.

Times are counted in periods and divided by ``unit_multiplier`` (lifetimes'
``freq_multiplier``): ``time_unit="day", unit_multiplier=7`` gives weeks measured to the day,
which is how the CDNOW data of Fader, Hardie & Lee are expressed.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

import numpy as np

TimeUnit = Literal["day", "week"]

# From this many rows on, two threads summarise half of the customers each.
_HALVES_ROWS = 200_000

# 1970-01-05, day 4 of the epoch, is a Monday: weeks run Monday to Sunday (pandas' "W").
_FIRST_MONDAY = 4


@dataclass(frozen=True, eq=False)
class TransactionSummary:
    """One row per customer with a purchase up to the observation end (sorted by id).

    ``monetary_value`` and ``total_amount`` (all amounts, first purchase included) are
    ``None`` when no amounts were given. ``repeated_rows`` counts the rows that repeat an
    earlier one of the same customer and period exactly (the same amount, when there are
    amounts); ``None`` for a summary not made from rows.
    """

    customer_ids: np.ndarray
    frequency: np.ndarray
    recency: np.ndarray
    T: np.ndarray
    monetary_value: np.ndarray | None
    total_amount: np.ndarray | None
    observation_end: np.datetime64
    time_unit: TimeUnit
    unit_multiplier: float
    repeated_rows: int | None = None


@dataclass(frozen=True, eq=False)
class CalibrationHoldoutSummary:
    """The calibration summary and, for the same customers, what they did in the holdout.

    As in lifetimes: ``frequency_holdout`` counts holdout periods with a purchase,
    ``monetary_value_holdout`` is the mean amount of the holdout transactions (per
    transaction, not per period) and ``duration_holdout`` is the holdout's length in the
    time unit. Customers whose first purchase falls in the holdout are left out.
    """

    calibration: TransactionSummary
    frequency_holdout: np.ndarray
    monetary_value_holdout: np.ndarray | None
    duration_holdout: float


def _days(dates) -> np.ndarray:
    """Day numbers (days since 1970-01-01); whole numbers are taken as day numbers
    already, without a copy."""
    array = np.asarray(dates)
    if array.dtype.kind in "iu":
        return array.ravel()
    return np.asarray(dates, dtype="datetime64[D]").view(np.int64).ravel()


def _day(date) -> int:
    return int(np.datetime64(date, "D").astype(np.int64))


def _period(days: np.ndarray | int, time_unit: TimeUnit):
    if time_unit == "day":
        return days
    if time_unit == "week":
        return (days - _FIRST_MONDAY) // 7
    raise ValueError(f"unknown time unit {time_unit!r}")


def by_customer_and_period(
    codes: np.ndarray, periods: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The rows sorted by customer, then period, then position: the order (what
    ``np.lexsort((periods, codes))`` returns) and the codes and periods in it. Whole
    numbers in a range that fits are packed with the row number into one int64 key, which
    numpy's vectorised sort orders several times faster than an argsort, and from which
    the sorted codes and periods are read back without gathering them."""
    size = codes.size
    if size and codes.dtype.kind in "iu" and periods.dtype.kind in "iu":
        first_code, first_period = int(codes.min()), int(periods.min())
        period_span = int(periods.max()) - first_period + 1
        row_bits = (size - 1).bit_length()
        if (int(codes.max()) - first_code + 1) * period_span < 1 << (63 - row_bits):
            # Fresh memory is costly: the row numbers' array becomes the order, and the
            # key the sorted codes.
            key = codes.astype(np.int64)
            key -= first_code
            key *= period_span
            key += periods
            key -= first_period
            key <<= row_bits
            order = np.arange(size, dtype=np.int64)
            key |= order
            key.sort()
            np.bitwise_and(key, (1 << row_bits) - 1, out=order)
            key >>= row_bits
            sorted_periods = np.empty_like(key)
            np.divmod(key, period_span, out=(key, sorted_periods))
            key += first_code
            sorted_periods += first_period
            return order, key, sorted_periods
    order = np.lexsort((periods, codes))
    return order, codes[order], periods[order]


def _segment_sums(values: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sums of ``values`` over the consecutive segments beginning at ``starts``."""
    if starts.size == 0:
        return np.zeros(0)
    return np.add.reduceat(values, starts)


def _readonly(*arrays: np.ndarray | None) -> None:
    for array in arrays:
        if array is not None:
            array.setflags(write=False)


def _inputs(customer_ids, dates, amounts):
    ids = np.asarray(customer_ids).ravel()
    days = _days(dates)
    if ids.shape != days.shape:
        raise ValueError("customer_ids and dates must have the same length")
    values = None
    if amounts is not None:
        values = np.asarray(amounts, dtype=float).ravel()
        if values.shape != days.shape:
            raise ValueError("amounts must have the same length as dates")
        if not np.isfinite(values).all():
            raise ValueError("amounts must be finite")
    return ids, days, values


def _summarise(
    keys: np.ndarray,
    codes: np.ndarray,
    periods: np.ndarray,
    values: np.ndarray | None,
    end_period: int,
    *,
    observation_end: np.datetime64,
    time_unit: TimeUnit,
    unit_multiplier: float,
) -> tuple[TransactionSummary, np.ndarray]:
    """The summary of transactions already coded by customer (``codes`` index ``keys``)
    and cut into periods; also returns each summary row's customer code.

    From ``_HALVES_ROWS`` rows on, the customers with the lower codes and the others are
    summarised at once by two threads (numpy lets go of Python's lock in its loops), and
    the two summaries, each in code order, put one after the other."""

    def part(rows: np.ndarray | None) -> tuple[dict[str, np.ndarray | None], int]:
        if rows is None:
            return _summarise_rows(codes, periods, values, end_period, unit_multiplier)
        return _summarise_rows(
            codes[rows],
            periods[rows],
            None if values is None else values[rows],
            end_period,
            unit_multiplier,
        )

    if codes.size < _HALVES_ROWS:
        columns, repeated_rows = part(None)
    else:
        lower = codes < keys.size // 2
        with ThreadPoolExecutor(max_workers=2) as pool:
            (columns, repeated_rows), (more, more_repeated) = pool.map(part, (lower, ~lower))
        columns = {
            name: None if value is None else np.concatenate([value, more[name]])
            for name, value in columns.items()
        }
        repeated_rows += more_repeated
    customer_codes = columns.pop("customer_codes")
    summary = TransactionSummary(
        customer_ids=keys[customer_codes],
        **columns,
        observation_end=observation_end,
        time_unit=time_unit,
        unit_multiplier=float(unit_multiplier),
        repeated_rows=repeated_rows,
    )
    _readonly(*(columns.values()), summary.customer_ids)
    return summary, customer_codes


def _summarise_rows(
    codes: np.ndarray,
    periods: np.ndarray,
    values: np.ndarray | None,
    end_period: int,
    unit_multiplier: float,
) -> tuple[dict[str, np.ndarray | None], int]:
    """``_summarise``'s work on the rows of some customers: each one's code
    (``customer_codes``) and the summary's columns, and the rows repeated."""
    order, codes, periods = by_customer_and_period(codes, periods)
    new_period = np.ones(codes.size, dtype=bool)
    new_period[1:] = (codes[1:] != codes[:-1]) | (periods[1:] != periods[:-1])
    period_starts = np.flatnonzero(new_period)
    repeated_rows = _repeated_rows(codes, periods, new_period, values, order)
    period_codes = codes[period_starts]
    period_numbers = periods[period_starts]

    new_customer = np.ones(period_codes.size, dtype=bool)
    new_customer[1:] = period_codes[1:] != period_codes[:-1]
    customer_starts = np.flatnonzero(new_customer)
    purchase_periods = np.diff(np.append(customer_starts, period_codes.size))
    first = period_numbers[customer_starts]
    last = period_numbers[customer_starts + purchase_periods - 1]

    frequency = (purchase_periods - 1).astype(np.int64)
    recency = (last - first) / unit_multiplier
    age = (end_period - first) / unit_multiplier

    monetary_value = total_amount = None
    if values is not None:
        period_amounts = _segment_sums(values[order], period_starts)
        total_amount = _segment_sums(period_amounts, customer_starts)
        repeat_amounts = period_amounts.copy()
        repeat_amounts[customer_starts] = 0.0
        repeat_total = _segment_sums(repeat_amounts, customer_starts)
        with np.errstate(invalid="ignore", divide="ignore"):
            monetary_value = np.where(frequency > 0, repeat_total / frequency, 0.0)
    columns = {
        "customer_codes": period_codes[customer_starts],
        "frequency": frequency,
        "recency": recency.astype(float),
        "T": age.astype(float),
        "monetary_value": monetary_value,
        "total_amount": total_amount,
    }
    return columns, repeated_rows


def _repeated_rows(
    codes: np.ndarray,
    periods: np.ndarray,
    new_period: np.ndarray,
    values: np.ndarray | None,
    order: np.ndarray,
) -> int:
    """How many rows, sorted by customer and period (``new_period`` marking each one's
    first row), repeat an earlier one of the same customer, period and value. Only the
    periods with more than one row are sorted again, by value."""
    if values is None:
        return int(codes.size - np.count_nonzero(new_period))
    shared = ~new_period
    shared[:-1] |= ~new_period[1:]
    rows = np.flatnonzero(shared)
    codes, periods, values = codes[rows], periods[rows], values[order[rows]]
    within = np.lexsort((values, periods, codes))
    codes, periods, values = codes[within], periods[within], values[within]
    same = (codes[1:] == codes[:-1]) & (periods[1:] == periods[:-1]) & (values[1:] == values[:-1])
    return int(np.count_nonzero(same))


def transaction_summary(
    customer_ids,
    dates,
    amounts=None,
    *,
    observation_end=None,
    time_unit: TimeUnit = "day",
    unit_multiplier: float = 1.0,
    coded: bool = False,
) -> TransactionSummary:
    """Frequency, recency, T and mean repeat spend per customer from (customer, date,
    amount) arrays, as lifetimes' ``summary_data_from_transaction_data``.

    ``dates`` are anything numpy reads as ``datetime64`` (finer resolutions are floored to
    the day). ``observation_end`` defaults to the last date; transactions in periods after
    its period are ignored. ``coded``: the customers are already numbered 0, 1, 2… (the
    codes of a dictionary encoding), so the sort that would number them is skipped.
    """
    ids, days, values = _inputs(customer_ids, dates, amounts)
    if observation_end is None:
        if days.size == 0:
            raise ValueError("observation_end is needed when there are no transactions")
        end_day = int(days.max())
    else:
        end_day = _day(observation_end)
    periods = _period(days, time_unit)
    end_period = int(_period(end_day, time_unit))
    keep = periods <= end_period
    if not keep.all():
        ids, periods = ids[keep], periods[keep]
        values = None if values is None else values[keep]
    if coded:
        keys, codes = np.arange(int(ids.max(initial=-1)) + 1), ids
    else:
        keys, codes = np.unique(ids, return_inverse=True)
    summary, _ = _summarise(
        keys,
        codes.ravel(),
        periods,
        values,
        end_period,
        observation_end=np.datetime64(end_day, "D"),
        time_unit=time_unit,
        unit_multiplier=unit_multiplier,
    )
    return summary


def calibration_holdout_summary(
    customer_ids,
    dates,
    amounts=None,
    *,
    calibration_end,
    observation_end=None,
    time_unit: TimeUnit = "day",
    unit_multiplier: float = 1.0,
) -> CalibrationHoldoutSummary:
    """A calibration summary up to ``calibration_end`` (inclusive) and each of its
    customers' holdout purchases after it up to ``observation_end`` (default: the last
    date), as lifetimes' ``calibration_and_holdout_data``."""
    ids, days, values = _inputs(customer_ids, dates, amounts)
    calibration_day = _day(calibration_end)
    if observation_end is None:
        if days.size == 0:
            raise ValueError("observation_end is needed when there are no transactions")
        end_day = int(days.max())
    else:
        end_day = _day(observation_end)
    if end_day < calibration_day:
        raise ValueError("observation_end is before calibration_end")
    keys, codes = np.unique(ids, return_inverse=True)
    codes = codes.ravel()
    periods = _period(days, time_unit)
    in_calibration = days <= calibration_day
    calibration, customer_codes = _summarise(
        keys,
        codes[in_calibration],
        periods[in_calibration],
        None if values is None else values[in_calibration],
        int(_period(calibration_day, time_unit)),
        observation_end=np.datetime64(calibration_day, "D"),
        time_unit=time_unit,
        unit_multiplier=unit_multiplier,
    )

    in_holdout = (days > calibration_day) & (days <= end_day)
    holdout_codes = codes[in_holdout]
    holdout_periods = periods[in_holdout]
    _, sorted_codes, sorted_periods = by_customer_and_period(holdout_codes, holdout_periods)
    new_period = np.ones(sorted_codes.size, dtype=bool)
    new_period[1:] = (sorted_codes[1:] != sorted_codes[:-1]) | (
        sorted_periods[1:] != sorted_periods[:-1]
    )
    periods_bought = np.bincount(sorted_codes[new_period], minlength=keys.size)
    frequency_holdout = periods_bought[customer_codes].astype(np.int64)

    monetary_value_holdout = None
    if values is not None:
        count = np.bincount(holdout_codes, minlength=keys.size)
        total = np.bincount(holdout_codes, weights=values[in_holdout], minlength=keys.size)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, total / np.maximum(count, 1), 0.0)
        monetary_value_holdout = mean[customer_codes]
    _readonly(frequency_holdout, monetary_value_holdout)
    end_period = int(_period(end_day, time_unit))
    duration = (end_period - int(_period(calibration_day, time_unit))) / unit_multiplier
    return CalibrationHoldoutSummary(
        calibration=calibration,
        frequency_holdout=frequency_holdout,
        monetary_value_holdout=monetary_value_holdout,
        duration_holdout=float(duration),
    )
