"""Reading the order book as of a date: the live customers (sorted by id), which are
prospects, the buyers' purchase summary computed by the database, and beside it the
referred buyers, shares of wallet and stages set by hand, each put in customer order."""

import dataclasses
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from clientela.analytics import selectors
from clientela.analytics.services.options import AnalysisOptions


@dataclass(frozen=True, eq=False)
class _Book:
    """What the run reads: live customers (sorted by id) and the buyers among them."""

    as_of: date
    period_start: date
    customer_ids: np.ndarray
    prospect: np.ndarray
    buyer_index: np.ndarray  # positions of the buyers in customer_ids
    summary: selectors.CustomerSummary  # the buyers' summary, in customer order
    referred_buyers: np.ndarray
    share_of_wallet: np.ndarray  # percent, NaN where unknown
    overrides: np.ndarray  # stage codes set by hand, -1 where none

    @property
    def size(self) -> int:
        return int(self.customer_ids.size)


def _positions(customer_ids: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of ``wanted`` ids in the sorted ``customer_ids``, and which were found."""
    if customer_ids.size == 0:
        return np.zeros(wanted.size, dtype=np.int64), np.zeros(wanted.size, dtype=bool)
    positions = np.searchsorted(customer_ids, wanted)
    clipped = np.minimum(positions, customer_ids.size - 1)
    found = (positions < customer_ids.size) & (customer_ids[clipped] == wanted)
    return clipped, found


def _months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the month's last day when it is shorter)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    following = date(year + (month + 1) // 12, (month + 1) % 12 + 1, 1)
    return date(year, month + 1, min(day.day, (following - timedelta(days=1)).day))


def _book_read(as_of: date, options: AnalysisOptions) -> _Book:
    period_start = _months_before(as_of, options.pareto_months) + timedelta(days=1)
    window_start = as_of - timedelta(days=options.ladder.window_days - 1)
    customer_ids, prospect = selectors.live_customer_rows(prospect_sources=options.prospect_sources)
    quoted = selectors.quoted_customer_ids(as_of=as_of)
    prospect = prospect | np.isin(customer_ids, quoted)

    summary = selectors.customer_summary_sql(
        as_of=as_of, period_start=period_start, window_start=window_start
    )
    positions, live = _positions(customer_ids, summary.customer_ids)
    if not live.all():
        summary = dataclasses.replace(
            summary,
            **{
                field.name: getattr(summary, field.name)[live]
                for field in dataclasses.fields(summary)
                if field.name != "as_of"
            },
        )
        positions = positions[live]

    referred = np.zeros(customer_ids.size, dtype=np.int64)
    referrers, counts = selectors.referred_buyer_counts(as_of=as_of)
    where, found = _positions(customer_ids, referrers)
    referred[where[found]] = counts[found]

    share = np.full(customer_ids.size, np.nan)
    wallet_ids, shares = selectors.wallet_shares(as_of=as_of)
    where, found = _positions(customer_ids, wallet_ids)
    share[where[found]] = shares[found]

    overrides = np.full(customer_ids.size, -1, dtype=np.int8)
    override_ids, override_stages = selectors.ladder_override_rows()
    where, found = _positions(customer_ids, override_ids)
    overrides[where[found]] = override_stages[found]
    return _Book(
        as_of=as_of,
        period_start=period_start,
        customer_ids=customer_ids,
        prospect=prospect,
        buyer_index=positions,
        summary=summary,
        referred_buyers=referred,
        share_of_wallet=share,
        overrides=overrides,
    )
