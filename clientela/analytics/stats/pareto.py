"""Pareto (ABC) classification of customers by revenue, and the Pareto curve (no Django).

Customers are ranked by revenue, highest first; ties are broken by ``tie_breaker`` (e.g.
the customer ids, ascending) and then by input position, so the result is deterministic.
Class A is the shortest run of top customers whose revenue reaches ``a_share`` (80%) of
the total; class B continues the run until ``b_share`` (95%) is reached; the rest are C.
Customers with zero (or negative) revenue are always C, and shares are of the positive
revenue.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Cumulative shares are compared with this relative slack, so that a run that reaches a
# threshold exactly (e.g. 8 customers of 1.0 out of 10) is not pushed one customer on by
# rounding in the sum.
_SHARE_SLACK = 1e-12

CLASSES: tuple[str, ...] = ("A", "B", "C")


@dataclass(frozen=True, eq=False)
class ParetoResult:
    """Classes (``"A"``, ``"B"``, ``"C"``) in input order, also as their place in
    ``CLASSES`` (``class_index``), the ranking, and the curve.

    ``customer_share[k]`` and ``revenue_share[k]`` are the cumulative shares of the top k
    customers (k = 0..n), both starting at 0. ``top_share`` is the share of revenue made
    by the top ``top_customer_share`` (20%) of customers, read off the curve by linear
    interpolation (exact when n × 20% is a whole number).
    """

    classes: np.ndarray
    class_index: np.ndarray
    rank_order: np.ndarray
    customer_share: np.ndarray
    revenue_share: np.ndarray
    top_customer_share: float
    top_share: float
    class_counts: dict[str, int]
    class_revenue: dict[str, float]


def pareto_classes(
    revenue,
    *,
    tie_breaker=None,
    a_share: float = 0.80,
    b_share: float = 0.95,
    top_customer_share: float = 0.20,
) -> ParetoResult:
    """A/B/C classes over per-customer ``revenue`` and the Pareto curve."""
    if not 0 < a_share <= b_share <= 1:
        raise ValueError("need 0 < a_share <= b_share <= 1")
    if not 0 <= top_customer_share <= 1:
        raise ValueError("top_customer_share must lie between 0 and 1")
    values = np.asarray(revenue, dtype=float).ravel()
    if not np.isfinite(values).all():
        raise ValueError("revenue must be finite")
    n = values.size
    positive = np.where(values > 0, values, 0.0)
    keys: list[np.ndarray] = [np.arange(n)]
    if tie_breaker is not None:
        ties = np.asarray(tie_breaker).ravel()
        if ties.shape != values.shape:
            raise ValueError("tie_breaker must have one value per customer")
        keys.append(ties)
    # lexsort's last key is the primary one: revenue, then the tie-breaker, then position.
    order = np.lexsort((*keys, -positive))
    ranked = positive[order]
    total = float(ranked.sum())
    cumulative = np.cumsum(ranked)
    a, b, c = range(len(CLASSES))
    ranked_index = np.full(n, c, dtype=np.int8)
    if total > 0:
        slack = _SHARE_SLACK * total
        # The first position whose cumulative revenue reaches each threshold closes it.
        a_end = int(np.searchsorted(cumulative, a_share * total - slack, side="left")) + 1
        b_end = int(np.searchsorted(cumulative, b_share * total - slack, side="left")) + 1
        ranked_index[: min(a_end, n)] = a
        ranked_index[min(a_end, n) : min(b_end, n)] = b
        ranked_index[ranked <= 0] = c
    class_index = np.empty(n, dtype=np.int8)
    class_index[order] = ranked_index
    classes = np.asarray(CLASSES)[class_index]

    customer_share = np.arange(n + 1) / max(n, 1)
    revenue_share = np.concatenate([[0.0], cumulative / total if total > 0 else np.zeros(n)])
    if n:
        revenue_share[-1] = 1.0 if total > 0 else 0.0
    top_share = float(np.interp(top_customer_share, customer_share, revenue_share))
    counts = np.bincount(class_index, minlength=len(CLASSES))
    revenues = np.bincount(class_index, weights=positive, minlength=len(CLASSES))
    class_counts = {name: int(count) for name, count in zip(CLASSES, counts, strict=True)}
    class_revenue = {name: float(value) for name, value in zip(CLASSES, revenues, strict=True)}
    for array in (classes, class_index, order, customer_share, revenue_share):
        array.setflags(write=False)
    return ParetoResult(
        classes=classes,
        class_index=class_index,
        rank_order=order,
        customer_share=customer_share,
        revenue_share=revenue_share,
        top_customer_share=top_customer_share,
        top_share=top_share,
        class_counts=class_counts,
        class_revenue=class_revenue,
    )
