"""The customer ladder of seed 001, inferred from the records by rules (no Django).

A customer climbs seven rungs, from someone who does not know the business yet to one
who recommends it ("Escalones del consumidor"). Each customer is placed on the highest
rung whose rule they meet:

0. ``possible`` (cliente posible): in our market, probably does not know us; a record
   with no purchase and no sign of interest.
1. ``potential`` (cliente potencial, a prospect): no purchase yet, but a sign of interest
   (the caller says which: came through a referral, walked in, asked for a quote…).
2. ``buyer`` (comprador): exactly one purchase.
3. ``occasional`` (cliente eventual): bought more than once, but not regularly.
4. ``regular`` (cliente habitual): at least ``regular_min_purchases`` purchases in the
   last ``window_days``, at regular intervals (the coefficient of variation of the gaps
   between them is at most ``regular_max_variation``), and not silent for longer than
   ``regular_max_silence`` times their mean gap.
5. ``exclusive`` (cliente exclusivo): regular, and buys from us at least
   ``exclusive_min_share`` of what they buy of our kind of products (their share of
   wallet, as a salesperson recorded it; unknown means not exclusive).
6. ``advocate`` (propagandista): has bought at least ``advocate_min_purchases`` times
   and referred at least ``advocate_min_referrals`` customers who became buyers.

Definitions used by the rules, all in days:

- a *purchase* is a day with a purchase (several orders on one day are one purchase);
- the *window* is the last ``window_days`` days up to the observation end, inclusive;
- the *gaps in the window* are the days between consecutive purchases, for each
  purchase in the window after the customer's first one (so the gap that leads into
  the window counts);
- the *coefficient of variation* of the gaps is their population standard deviation
  over their mean (0 for a single gap);
- the *silence* is the days from the last purchase to the observation end.

Stages are returned as integer codes indexing ``STAGES``; ``STAGE_NAMES`` holds English
display names for the caller to translate.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from clientela.analytics.stats.summary import by_customer_and_period

STAGES: tuple[str, ...] = (
    "possible",
    "potential",
    "buyer",
    "occasional",
    "regular",
    "exclusive",
    "advocate",
)
POSSIBLE, POTENTIAL, BUYER, OCCASIONAL, REGULAR, EXCLUSIVE, ADVOCATE = range(len(STAGES))

STAGE_NAMES: Mapping[str, str] = {
    "possible": "Possible",
    "potential": "Potential",
    "buyer": "Buyer",
    "occasional": "Occasional",
    "regular": "Regular",
    "exclusive": "Exclusive",
    "advocate": "Advocate",
}


@dataclass(frozen=True)
class LadderRules:
    """The thresholds of the ladder's rules (see the module).

    ``regular_max_silence=None`` drops the silence condition; shares are fractions
    (0.9 = 90%).
    """

    window_days: int = 365
    regular_min_purchases: int = 4
    regular_max_variation: float = 0.5
    regular_max_silence: float | None = 3.0
    exclusive_min_share: float = 0.9
    advocate_min_referrals: int = 1
    advocate_min_purchases: int = 1

    def __post_init__(self) -> None:
        if self.window_days < 1:
            raise ValueError("window_days must be at least 1")
        if self.regular_min_purchases < 2:
            raise ValueError("regular_min_purchases must be at least 2")
        if not self.regular_max_variation >= 0:
            raise ValueError("regular_max_variation must be non-negative")
        if self.regular_max_silence is not None and not self.regular_max_silence > 0:
            raise ValueError("regular_max_silence must be positive")
        if not 0 < self.exclusive_min_share <= 1:
            raise ValueError("exclusive_min_share must lie in (0, 1]")
        if self.advocate_min_referrals < 1:
            raise ValueError("advocate_min_referrals must be at least 1")
        if self.advocate_min_purchases < 0:
            raise ValueError("advocate_min_purchases must be non-negative")


@dataclass(frozen=True, eq=False)
class PurchaseRegularity:
    """Per customer (sorted by id): the ladder's inputs read from a transaction log.

    ``purchases`` counts purchase days up to the observation end, ``recent_purchases``
    those in the window; ``gap_count``, ``gap_sum`` and ``gap_square_sum`` describe the
    gaps in the window; ``days_since_last`` is the silence.
    """

    customer_ids: np.ndarray
    purchases: np.ndarray
    recent_purchases: np.ndarray
    gap_count: np.ndarray
    gap_sum: np.ndarray
    gap_square_sum: np.ndarray
    days_since_last: np.ndarray


def _day_numbers(dates) -> np.ndarray:
    return np.asarray(dates, dtype="datetime64[D]").astype(np.int64).ravel()


def purchase_regularity(
    customer_ids, dates, *, observation_end, window_days: int = 365
) -> PurchaseRegularity:
    """The ladder's purchase inputs from (customer, date) rows, vectorised.

    Rows after ``observation_end`` are ignored; several rows of a customer on one day
    are one purchase. The window is ``window_days`` days ending on ``observation_end``.
    """
    if window_days < 1:
        raise ValueError("window_days must be at least 1")
    ids = np.asarray(customer_ids).ravel()
    days = _day_numbers(dates)
    if ids.shape != days.shape:
        raise ValueError("customer_ids and dates must have the same length")
    end = int(np.datetime64(observation_end, "D").astype(np.int64))
    window_start = end - window_days + 1
    keep = days <= end
    keys, codes = np.unique(ids[keep], return_inverse=True)
    codes, days = codes.ravel(), days[keep]
    _, codes, days = by_customer_and_period(codes, days)
    distinct = np.ones(codes.size, dtype=bool)
    distinct[1:] = (codes[1:] != codes[:-1]) | (days[1:] != days[:-1])
    codes, days = codes[distinct], days[distinct]

    size = keys.size
    purchases = np.bincount(codes, minlength=size)
    recent = days >= window_start
    recent_purchases = np.bincount(codes[recent], minlength=size)
    has_previous = np.zeros(codes.size, dtype=bool)
    has_previous[1:] = codes[1:] == codes[:-1]
    gaps = np.zeros(codes.size, dtype=np.int64)
    gaps[1:] = days[1:] - days[:-1]
    counted = has_previous & recent
    gap_count = np.bincount(codes[counted], minlength=size)
    gap_sum = np.bincount(codes[counted], weights=gaps[counted], minlength=size)
    gap_square_sum = np.bincount(
        codes[counted], weights=gaps[counted].astype(float) ** 2, minlength=size
    )
    last = np.full(size, np.iinfo(np.int64).min)
    np.maximum.at(last, codes, days)
    result = PurchaseRegularity(
        customer_ids=keys,
        purchases=purchases.astype(np.int64),
        recent_purchases=recent_purchases.astype(np.int64),
        gap_count=gap_count.astype(np.int64),
        gap_sum=gap_sum,
        gap_square_sum=gap_square_sum,
        days_since_last=(end - last).astype(np.int64),
    )
    for array in (
        result.customer_ids,
        result.purchases,
        result.recent_purchases,
        result.gap_count,
        result.gap_sum,
        result.gap_square_sum,
        result.days_since_last,
    ):
        array.setflags(write=False)
    return result


def interval_variation(gap_count, gap_sum, gap_square_sum) -> np.ndarray:
    """Coefficient of variation of each customer's gaps from their count, sum and sum of
    squares (population standard deviation over the mean); NaN without gaps or with a
    zero mean."""
    count = np.asarray(gap_count, dtype=float).ravel()
    total = np.asarray(gap_sum, dtype=float).ravel()
    squares = np.asarray(gap_square_sum, dtype=float).ravel()
    if not count.shape == total.shape == squares.shape:
        raise ValueError("gap_count, gap_sum and gap_square_sum must have the same length")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = total / count
        variance = np.maximum(squares / count - mean**2, 0.0)
        variation = np.sqrt(variance) / mean
    return np.where((count > 0) & (mean > 0), variation, np.nan)


def mean_interval(gap_count, gap_sum) -> np.ndarray:
    """Mean gap in days (NaN without gaps)."""
    count = np.asarray(gap_count, dtype=float).ravel()
    total = np.asarray(gap_sum, dtype=float).ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _column(values, size: int, name: str, *, default: float | None = None) -> np.ndarray:
    if values is None:
        if default is None:
            raise ValueError(f"{name} is required")
        return np.full(size, default, dtype=float)
    array = np.asarray(values, dtype=float).ravel()
    if array.size == 1 and size != 1:
        array = np.full(size, float(array[0]))
    if array.shape != (size,):
        raise ValueError(f"{name} must have one value per customer")
    return array


def ladder_stages(
    *,
    purchases,
    recent_purchases,
    gap_count,
    gap_sum,
    gap_square_sum,
    days_since_last,
    referred_buyers=None,
    share_of_wallet=None,
    prospect=None,
    rules: LadderRules | None = None,
) -> np.ndarray:
    """Each customer's rung (an index into ``STAGES``) by the rules of the module.

    ``purchases``/``recent_purchases``: purchase days ever and in the window; the gap
    figures describe the gaps in the window (see ``purchase_regularity``);
    ``days_since_last``: the silence (anything, e.g. NaN, for customers who never
    bought); ``referred_buyers``: customers they referred who bought (default 0);
    ``share_of_wallet``: fraction 0–1, NaN where unknown (default unknown);
    ``prospect``: whether a customer without purchases showed interest (default no).
    """
    rules = rules or LadderRules()
    bought = np.asarray(purchases, dtype=float).ravel()
    size = bought.size
    if not np.isfinite(bought).all() or (bought < 0).any():
        raise ValueError("purchases must be non-negative counts")
    recent = _column(recent_purchases, size, "recent_purchases")
    count = _column(gap_count, size, "gap_count")
    total = _column(gap_sum, size, "gap_sum")
    squares = _column(gap_square_sum, size, "gap_square_sum")
    silence = _column(days_since_last, size, "days_since_last")
    referred = _column(referred_buyers, size, "referred_buyers", default=0.0)
    share = _column(share_of_wallet, size, "share_of_wallet", default=math.nan)
    interested = (
        np.zeros(size, dtype=bool)
        if prospect is None
        else np.broadcast_to(np.asarray(prospect, dtype=bool).ravel(), (size,))
    )

    variation = interval_variation(count, total, squares)
    with np.errstate(invalid="ignore"):
        regular = (
            (bought >= 2)
            & (recent >= rules.regular_min_purchases)
            & (variation <= rules.regular_max_variation)
        )
        if rules.regular_max_silence is not None:
            regular &= silence <= rules.regular_max_silence * mean_interval(count, total)
        exclusive = regular & (share >= rules.exclusive_min_share)
        advocate = (referred >= rules.advocate_min_referrals) & (
            bought >= rules.advocate_min_purchases
        )

    stage = np.where(interested, POTENTIAL, POSSIBLE).astype(np.int8)
    stage[bought >= 1] = BUYER
    stage[bought >= 2] = OCCASIONAL
    stage[regular] = REGULAR
    stage[exclusive] = EXCLUSIVE
    stage[advocate] = ADVOCATE
    return stage


def stage_keys(codes) -> np.ndarray:
    """The stage keys of integer stage codes."""
    return np.asarray(STAGES)[np.asarray(codes, dtype=np.int64)]


def stage_codes(keys) -> np.ndarray:
    """Integer codes of stage keys (-1 for anything that is not a stage, e.g. "")."""
    lookup = {key: index for index, key in enumerate(STAGES)}
    unique, inverse = np.unique(np.asarray(keys, dtype=str).ravel(), return_inverse=True)
    codes = np.asarray([lookup.get(key, -1) for key in unique.tolist()], dtype=np.int8)
    return codes[inverse.ravel()] if unique.size else np.zeros(0, dtype=np.int8)
