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

# From this many rows on, two threads sort half of the (customer, period) pairs each.
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


def _sorted(keys: np.ndarray) -> None:
    """Sort ``keys`` in place; from ``_HALVES_ROWS`` on, two threads sort a half each
    (numpy lets go of Python's lock) and a stable sort, which merges sorted runs in one
    pass, joins them."""
    if keys.size < _HALVES_ROWS:
        keys.sort()
        return
    half = keys.size // 2
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(np.ndarray.sort, (keys[:half], keys[half:])))
    keys.sort(kind="stable")


def _pairs_in_order(
    codes: np.ndarray, periods: np.ndarray, customers: int
) -> tuple[np.ndarray, np.ndarray, int, int]:
    """The rows' (customer, period) pairs, each as one number ``code * span + period -
    first``, sorted, and the rows in that order (in their own order within a pair); and
    ``span`` and ``first``. Where the row numbers fit beside the pairs, each row's pair
    and number are packed into one int64 and sorted as numbers, several times faster than
    an argsort, and the rows are read back from them."""
    first = int(periods.min())
    span = int(periods.max()) - first + 1
    row_bits = (codes.size - 1).bit_length()
    if customers * span >= 1 << (63 - row_bits):
        order = np.lexsort((periods, codes))
        pairs = codes[order].astype(np.int64)
        pairs *= span
        pairs += periods[order] - first
        return pairs, order, span, first
    pairs = codes.astype(np.int64)
    pairs *= span
    pairs -= first
    pairs += periods
    pairs <<= row_bits
    order = np.arange(codes.size, dtype=np.int64)
    pairs |= order
    _sorted(pairs)
    np.bitwise_and(pairs, (1 << row_bits) - 1, out=order)
    pairs >>= row_bits
    return pairs, order, span, first


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

    Only the rows' (customer, period) pairs are sorted; the amounts are summed per
    customer by code."""
    if codes.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        customer_codes, frequency, first, last, repeated_rows = empty, empty, empty, empty, 0
    else:
        pairs, order, span, first_period = _pairs_in_order(codes, periods, keys.size)
        new = np.ones(pairs.size, dtype=bool)
        np.not_equal(pairs[1:], pairs[:-1], out=new[1:])
        repeated_rows = _repeated_rows(pairs, order, new, values)
        pair_codes, pair_periods = np.divmod(pairs[new], span)
        del pairs, order, new
        pair_periods += first_period
        new_customer = np.ones(pair_codes.size, dtype=bool)
        np.not_equal(pair_codes[1:], pair_codes[:-1], out=new_customer[1:])
        customer_starts = np.flatnonzero(new_customer)
        customer_ends = np.append(customer_starts[1:], pair_codes.size) - 1
        customer_codes = pair_codes[customer_starts].astype(np.int64)
        frequency = (customer_ends - customer_starts).astype(np.int64)
        first = pair_periods[customer_starts]
        last = pair_periods[customer_ends]

    monetary_value = total_amount = None
    if values is not None:
        # A customer's first period's amounts are not repeat spend.
        first_by_code = np.zeros(keys.size, dtype=first.dtype)
        first_by_code[customer_codes] = first
        repeat = np.where(periods == first_by_code[codes], 0.0, values)
        repeat_total = np.bincount(codes, weights=repeat, minlength=keys.size)[customer_codes]
        del repeat
        total_amount = np.bincount(codes, weights=values, minlength=keys.size)[customer_codes]
        with np.errstate(invalid="ignore", divide="ignore"):
            monetary_value = np.where(frequency > 0, repeat_total / frequency, 0.0)
    recency = ((last - first) / unit_multiplier).astype(float)
    age = ((end_period - first) / unit_multiplier).astype(float)
    summary = TransactionSummary(
        customer_ids=keys[customer_codes],
        frequency=frequency,
        recency=recency,
        T=age,
        monetary_value=monetary_value,
        total_amount=total_amount,
        observation_end=observation_end,
        time_unit=time_unit,
        unit_multiplier=float(unit_multiplier),
        repeated_rows=repeated_rows,
    )
    _readonly(frequency, recency, age, monetary_value, total_amount, summary.customer_ids)
    return summary, customer_codes


def _repeated_rows(
    pairs: np.ndarray, order: np.ndarray, new: np.ndarray, values: np.ndarray | None
) -> int:
    """How many rows repeat an earlier one of the same customer, period and value, from
    the rows' sorted pairs, their ``order`` and ``new`` marking each pair's first row.
    Only the rows of pairs with more than one row are sorted again, by value."""
    if values is None:
        return int(new.size - np.count_nonzero(new))
    shared = ~new
    shared[:-1] |= ~new[1:]
    rows = np.flatnonzero(shared)
    pairs, values = pairs[rows], values[order[rows]]
    within = np.lexsort((values, pairs))
    pairs, values = pairs[within], values[within]
    return int(np.count_nonzero((pairs[1:] == pairs[:-1]) & (values[1:] == values[:-1])))


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
    keys: np.ndarray
    codes: np.ndarray
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
