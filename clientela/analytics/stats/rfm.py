"""RFM: recency, frequency and monetary scores and the named segments (no Django).

Scores: each measure is cut into ``bins`` (default 5) scores by rank. A customer's score
is ``1 + floor(bins × share of customers with a strictly worse value)``, so:

- ties always share one score (the one their group starts in), and the result does not
  depend on the order of the input;
- with distinct values every score holds n/bins customers (±1);
- for recency (time since the last purchase) smaller is better; for frequency and
  monetary value larger is better.

Segments: the frequency and monetary scores are combined into an FM score,
``ceil((F + M) / 2)``, and an ordered rules table maps (R, FM) to a segment key; the first
matching rule wins. The default table is the common R × FM grid (Champions, Loyal,
Potential loyalist, New, Promising, Need attention, About to sleep, At risk, Can't lose,
Hibernating, Lost). Keys are stable identifiers; display names (``SEGMENT_NAMES``, in
English) are for the caller to translate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

SEGMENT_NAMES: Mapping[str, str] = {
    "champions": "Champions",
    "loyal": "Loyal",
    "potential_loyalist": "Potential loyalist",
    "new": "New",
    "promising": "Promising",
    "need_attention": "Need attention",
    "about_to_sleep": "About to sleep",
    "at_risk": "At risk",
    "cant_lose": "Can't lose",
    "hibernating": "Hibernating",
    "lost": "Lost",
}

UNSEGMENTED = "other"


@dataclass(frozen=True)
class SegmentRule:
    """``key`` applies when each given score lies in its inclusive (low, high) range;
    a range left as ``None`` matches any score."""

    key: str
    recency: tuple[int, int] | None = None
    frequency_monetary: tuple[int, int] | None = None
    frequency: tuple[int, int] | None = None
    monetary: tuple[int, int] | None = None


# The R × FM grid (rows: recency score 5 → 1; columns: FM score 1 → 5):
#   R5: new | potential_loyalist ×2 | champions ×2
#   R4: promising | potential_loyalist ×2 | loyal ×2
#   R3: about_to_sleep ×2 | need_attention | loyal ×2
#   R2: hibernating ×2 | at_risk ×2 | cant_lose
#   R1: lost ×2 | at_risk ×2 | cant_lose
DEFAULT_RULES: tuple[SegmentRule, ...] = (
    SegmentRule("champions", recency=(5, 5), frequency_monetary=(4, 5)),
    SegmentRule("loyal", recency=(3, 4), frequency_monetary=(4, 5)),
    SegmentRule("potential_loyalist", recency=(4, 5), frequency_monetary=(2, 3)),
    SegmentRule("new", recency=(5, 5), frequency_monetary=(1, 1)),
    SegmentRule("promising", recency=(4, 4), frequency_monetary=(1, 1)),
    SegmentRule("need_attention", recency=(3, 3), frequency_monetary=(3, 3)),
    SegmentRule("about_to_sleep", recency=(3, 3), frequency_monetary=(1, 2)),
    SegmentRule("cant_lose", recency=(1, 2), frequency_monetary=(5, 5)),
    SegmentRule("at_risk", recency=(1, 2), frequency_monetary=(3, 4)),
    SegmentRule("hibernating", recency=(2, 2), frequency_monetary=(1, 2)),
    SegmentRule("lost", recency=(1, 1), frequency_monetary=(1, 2)),
)


@dataclass(frozen=True, eq=False)
class RFMResult:
    """Per-customer scores (1..bins) and segment keys, in the order of the input; each
    key also as its place in ``segment_keys`` (``segment_index``)."""

    recency_score: np.ndarray
    frequency_score: np.ndarray
    monetary_score: np.ndarray
    frequency_monetary_score: np.ndarray
    segment: np.ndarray
    segment_index: np.ndarray
    segment_keys: tuple[str, ...]
    bins: int


def rank_scores(values, *, bins: int = 5, higher_is_better: bool = True) -> np.ndarray:
    """Scores 1..``bins``: 1 + floor(bins × share of customers with a strictly worse
    value). Ties share a score; the input order does not matter."""
    if bins < 1:
        raise ValueError("bins must be at least 1")
    data = np.asarray(values, dtype=float).ravel()
    if not np.isfinite(data).all():
        raise ValueError("scores need finite values")
    if data.size == 0:
        return np.zeros(0, dtype=np.int64)
    oriented = data if higher_is_better else -data
    # A score passes k when at least ceil(k·n/bins) customers are worse, that is when the
    # value beats the one at that place in order: bins - 1 order statistics, no sort.
    places = [-(-k * data.size // bins) - 1 for k in range(1, bins)]
    scores = np.ones(data.size, dtype=np.int64)
    if places:
        for threshold in np.partition(oriented, places)[places]:
            scores += oriented > threshold
    return scores


def _matches(scores: np.ndarray, bounds: tuple[int, int] | None) -> np.ndarray | bool:
    if bounds is None:
        return True
    low, high = bounds
    return (scores >= low) & (scores <= high)


def segment(
    recency_score,
    frequency_score,
    monetary_score,
    *,
    rules: Sequence[SegmentRule] = DEFAULT_RULES,
    default: str = UNSEGMENTED,
) -> np.ndarray:
    """Segment keys from scores by the first matching rule (``default`` if none)."""
    index = segment_index(recency_score, frequency_score, monetary_score, rules=rules)
    return np.asarray([rule.key for rule in rules] + [default])[index]


def segment_index(
    recency_score,
    frequency_score,
    monetary_score,
    *,
    rules: Sequence[SegmentRule] = DEFAULT_RULES,
) -> np.ndarray:
    """The place of each customer's first matching rule in ``rules``; ``len(rules)``
    where none matches."""
    recency = np.asarray(recency_score, dtype=np.int64).ravel()
    frequency = np.asarray(frequency_score, dtype=np.int64).ravel()
    monetary = np.asarray(monetary_score, dtype=np.int64).ravel()
    frequency_monetary = (frequency + monetary + 1) // 2
    result = np.full(recency.shape, len(rules), dtype=np.int8)
    for index in range(len(rules) - 1, -1, -1):
        rule = rules[index]
        hit = (
            _matches(recency, rule.recency)
            & _matches(frequency_monetary, rule.frequency_monetary)
            & _matches(frequency, rule.frequency)
            & _matches(monetary, rule.monetary)
        )
        result[hit] = index
    return result


def rfm(
    recency,
    frequency,
    monetary,
    *,
    bins: int = 5,
    rules: Sequence[SegmentRule] = DEFAULT_RULES,
    default: str = UNSEGMENTED,
) -> RFMResult:
    """RFM scores and segment keys.

    ``recency``: time since the last purchase (smaller is better); ``frequency``: number
    of purchases; ``monetary``: spend (total or mean, the caller's choice). The default
    rules expect ``bins=5``.
    """
    recency_score = rank_scores(recency, bins=bins, higher_is_better=False)
    frequency_score = rank_scores(frequency, bins=bins)
    monetary_score = rank_scores(monetary, bins=bins)
    if not recency_score.shape == frequency_score.shape == monetary_score.shape:
        raise ValueError("recency, frequency and monetary must have the same length")
    index = segment_index(recency_score, frequency_score, monetary_score, rules=rules)
    keys = (*(rule.key for rule in rules), default)
    result = RFMResult(
        recency_score=recency_score,
        frequency_score=frequency_score,
        monetary_score=monetary_score,
        frequency_monetary_score=(frequency_score + monetary_score + 1) // 2,
        segment=np.asarray(keys)[index],
        segment_index=index,
        segment_keys=keys,
        bins=bins,
    )
    for array in (
        result.recency_score,
        result.frequency_score,
        result.monetary_score,
        result.frequency_monetary_score,
        result.segment,
        result.segment_index,
    ):
        array.setflags(write=False)
    return result


def segment_names(keys, names: Mapping[str, str] = SEGMENT_NAMES) -> np.ndarray:
    """Display names for segment keys (a key without a name is shown as itself)."""
    unique_keys, inverse = np.unique(np.asarray(keys, dtype=str).ravel(), return_inverse=True)
    return np.asarray([names.get(key, key) for key in unique_keys.tolist()])[inverse.ravel()]
