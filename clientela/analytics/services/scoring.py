"""Scoring a run's book: the pipeline of ``stats.scoring`` on the buyers' summary (the
comparison model fitted aside), churn warnings and value at stake, then every
customer's stage on the ladder, a stage set by hand winning over the rules."""

from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np

from clientela.analytics.models import RunStep
from clientela.analytics.services.options import AnalysisOptions
from clientela.analytics.services.progress import _Progress
from clientela.analytics.services.reading import _Book
from clientela.analytics.stats import ladder, scoring


@dataclass(frozen=True, eq=False)
class _Scores:
    """The models, the buyers' scores (in the order of ``book.summary``: the pipeline's,
    their value at stake, churn warnings and variation of their intervals) and every
    customer's stages (codes)."""

    fits: scoring.ModelFits
    customers: scoring.CustomerScores
    value_at_stake: np.ndarray
    churn: scoring.Churn
    interval_variation: np.ndarray
    inferred_stage: np.ndarray
    stage: np.ndarray


def _customers_score(
    book: _Book, options: AnalysisOptions, aside: Executor | None, reporter: _Progress
) -> _Scores:
    """Score the book: the pipeline on the buyers' summary (the comparison model fitted
    ``aside``), then the ladder of every customer."""
    summary = book.summary
    purchases = summary.as_transaction_summary()

    def announce(step: str) -> None:
        if step == "scores":
            reporter(60, RunStep.SCORING)

    scored = scoring.score(
        purchases,
        options.scoring_options(),
        pareto_revenue=summary.period_revenue,
        aside=aside,
        announce=announce,
    )
    churn = scoring.churn_flags(
        purchases, scored.customers.probability_alive, options.churn_rules()
    )
    size = book.size
    at = book.buyer_index

    def spread(values, fill):
        column = np.full(size, fill, dtype=np.asarray(values).dtype)
        column[at] = values
        return column

    inferred = ladder.ladder_stages(
        purchases=spread(summary.purchases, 0),
        recent_purchases=spread(summary.recent_purchases, 0),
        gap_count=spread(summary.gap_count, 0),
        gap_sum=spread(summary.gap_sum, 0.0),
        gap_square_sum=spread(summary.gap_square_sum, 0.0),
        days_since_last=spread(summary.days_since_last.astype(float), np.nan),
        referred_buyers=book.referred_buyers,
        share_of_wallet=book.share_of_wallet / 100,
        prospect=book.prospect,
        rules=options.ladder,
    )
    return _Scores(
        fits=scored.fits,
        customers=scored.customers,
        value_at_stake=scoring.value_at_stake(purchases, scored.customers),
        churn=churn,
        interval_variation=ladder.interval_variation(
            summary.gap_count, summary.gap_sum, summary.gap_square_sum
        ),
        inferred_stage=inferred,
        stage=np.where(book.overrides >= 0, book.overrides, inferred).astype(np.int8),
    )
