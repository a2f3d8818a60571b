"""What a run reports on its row besides the scores: each model's outcome
(``fitted_models``), and its totals for the dashboard, the previous run's scoring model
and mean lifetime value, and the warnings about the models (``figures``)."""

import logging
import math

import numpy as np

from clientela.analytics import wording
from clientela.analytics.models import AnalysisRun, RunStatus
from clientela.analytics.services.options import AnalysisOptions
from clientela.analytics.services.reading import _Book
from clientela.analytics.services.scoring import _Scores
from clientela.analytics.stats import PURCHASE_MODELS, ladder, rfm, scoring

logger = logging.getLogger(__name__)

# Statuses of a fit that should have been usable.
BROKEN = ("failed", "not_converged", "unusable")


def _finite(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def _fit_record(model: str, outcome: scoring.FitOutcome) -> dict:
    """A model's outcome as the run records it: its status and reason, and a fit's
    parameters (``FitResult.reported``), likelihood and time."""
    reason = wording.fit_reason(outcome)
    if outcome.error is not None:
        logger.warning("fitting %s failed: %s", model, outcome.error)
    fit = outcome.fit
    if fit is None:
        return {"status": outcome.status, "reason": reason}
    parameters, errors = fit.reported()
    return {
        "status": outcome.status,
        "reason": reason,
        "boundary": fit.boundary.kind if fit.boundary is not None else "",
        "parameters": {name: _finite(value) for name, value in parameters.items()},
        "standard_errors": {name: _finite(value) for name, value in errors.items()},
        "log_likelihood": _finite(fit.log_likelihood),
        "customers": fit.n_customers,
        "converged": fit.converged,
        "iterations": fit.iterations,
        "seconds": round(outcome.seconds, 3),
    }


def _fit_records(fits: scoring.ModelFits, records: dict | None = None) -> dict:
    """Each model's record, in ``scoring.MODELS``' order (``None`` for a comparison still
    being fitted): those of ``records`` kept, the others made."""
    records = records or {}
    return {
        name: records.get(name) or (None if outcome is None else _fit_record(name, outcome))
        for name, outcome in fits.outcomes.items()
    }


def _counts(keys: np.ndarray, names) -> dict[str, int]:
    unique, counts = np.unique(np.asarray(keys, dtype=str), return_counts=True)
    found = dict(zip(unique.tolist(), counts.tolist(), strict=True))
    return {name: int(found.get(name, 0)) for name in names}


def _warnings(
    records: dict, fits: scoring.ModelFits, options: AnalysisOptions, previous: dict | None
) -> list[dict]:
    """What went wrong with the models, as codes (``wording.run_warnings`` words them):
    ``model_failed`` (a model failed, did not converge or is unusable), ``model_switched``
    (the chosen purchase model broke and the other one scores), ``no_purchase_model``,
    and ``scoring_model_changed`` (another purchase model than the previous run's)."""
    warnings = [
        {"code": "model_failed", "model": name, "status": record["status"]}
        for name, record in records.items()
        if record and record.get("status") in BROKEN
    ]
    chosen = records.get(options.purchase_model) or {}
    if fits.purchase_name is None:
        if any((records.get(name) or {}).get("status") in BROKEN for name in PURCHASE_MODELS):
            warnings.append({"code": "no_purchase_model"})
    elif fits.purchase_name != options.purchase_model and chosen.get("status") in BROKEN:
        warnings.append(
            {"code": "model_switched", "from": options.purchase_model, "to": fits.purchase_name}
        )
    if previous and previous["purchase_model"] not in (None, fits.purchase_name):
        warnings.append(
            {
                "code": "scoring_model_changed",
                "from": previous["purchase_model"],
                "to": fits.purchase_name,
                "previous_as_of": previous["as_of"],
            }
        )
    return warnings


def _previous_run(run: AnalysisRun) -> dict | None:
    """The scoring model and mean lifetime value of the last run finished before this
    one (for the warnings and the dashboard's comparison)."""
    previous = (
        AnalysisRun.objects.filter(status=RunStatus.DONE)
        .exclude(pk=run.pk)
        .order_by("-finished_at", "-id")
        .values("as_of", "figures")
        .first()
    )
    if previous is None:
        return None
    figures = previous["figures"] or {}
    return {
        "as_of": previous["as_of"].isoformat(),
        "purchase_model": figures.get("purchase_model"),
        "mean_clv": figures.get("mean_clv"),
    }


def _figures(book: _Book, scores: _Scores, transitions: int, seconds: dict) -> dict:
    """The run's totals, for the dashboard."""
    summary = book.summary
    customers, churn = scores.customers, scores.churn
    curve = customers.pareto
    assert curve is not None  # the book has amounts
    points = np.linspace(0, 1, 101)
    revenue_share = np.interp(points, curve.customer_share, curve.revenue_share)
    flagged_at_risk = (churn.at_risk_by_model | churn.at_risk_by_rule) & ~(
        churn.lost_by_model | churn.lost_by_rule
    )
    return {
        "customers": book.size,
        "buyers": int(summary.customer_ids.size),
        "repeat_buyers": int((summary.frequency > 0).sum()),
        "purchase_model": scores.fits.purchase_name,
        "time_unit": "day",
        "period_start": book.period_start.isoformat(),
        "period_revenue": _finite(summary.period_revenue.sum()),
        "total_revenue": _finite(summary.total_amount.sum()),
        "stages": _counts(ladder.stage_keys(scores.stage), ladder.STAGES),
        "segments": _counts(customers.rfm.segment, [*rfm.SEGMENT_NAMES, rfm.UNSEGMENTED]),
        "classes": {name: int(count) for name, count in curve.class_counts.items()},
        "pareto": {
            "top_customer_share": curve.top_customer_share,
            "top_share": _finite(curve.top_share),
            "class_revenue": {name: _finite(value) for name, value in curve.class_revenue.items()},
            "curve": [[_finite(a), _finite(b)] for a, b in zip(points, revenue_share, strict=True)],
        },
        "at_risk": int(flagged_at_risk.sum()),
        "lost": int((churn.lost_by_model | churn.lost_by_rule).sum()),
        "at_risk_by_model": int(churn.at_risk_by_model.sum()),
        "lost_by_model": int(churn.lost_by_model.sum()),
        "at_risk_by_rule": int(churn.at_risk_by_rule.sum()),
        "lost_by_rule": int(churn.lost_by_rule.sum()),
        "mean_clv": None
        if customers.clv is None or not customers.clv.size
        else _finite(customers.clv.mean()),
        "transitions": transitions,
        "seconds": seconds,
    }
