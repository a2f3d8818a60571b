"""The analysis run that scores every customer as of a date.

``analysis_run`` records the run, reads the order book as of the date (``reading``),
scores it with the pipeline the offline analysis shares (``stats.scoring.score``,
beside it the ladder: ``scoring``), and stores one ``CustomerScore`` per live customer
with the stage changes (``saving``) and what the run reports (``report``);
``analysis_runs_vanished_sweep`` gives up the runs whose process ended. How each figure
is made (times in days):

- **Summary** (frequency, recency, T, mean repeat spend): computed by the database, see
  ``selectors.customer_summary_sql``.
- **Models**: BG/NBD and Pareto/NBD for the purchases, Gamma-Gamma for the spend, each
  fitted by maximum likelihood on every customer with a purchase (Gamma-Gamma on those
  with a repeat purchase of positive value). With fewer than
  ``CLIENTELA_ANALYTICS_MIN_REPEAT_BUYERS`` repeat buyers (of positive value, for
  Gamma-Gamma) a model is skipped, and one that fails or does not converge is reported
  in the run and not used. A fit whose optimum lies at the edge of the parameters
  (``FitResult.boundary``: everyone leaves with the same chance, or nobody leaves) is
  used: it is recorded as ``boundary`` with the limiting model's parameters.
  ``CLIENTELA_ANALYTICS_PURCHASE_MODEL`` picks the purchase model that scores the
  customers (the other one if it cannot be used).
- **Warnings** (``figures["warnings"]``, shown at the top of the dashboard and in the
  API): a model that failed or did not converge, the scoring model replaced by the
  other one, no purchase model at all, and a scoring model other than the previous
  run's (with both mean lifetime values, ``figures["previous"]``).
- **Per customer** (``stats.scoring``): probability alive, expected purchases over the
  next ``CLIENTELA_ANALYTICS_HORIZON_DAYS``, expected spend per purchase (Gamma-Gamma's,
  from the repeat purchases; the average customer's without any), and the lifetime
  value over ``CLIENTELA_ANALYTICS_CLV_MONTHS`` months of 30 days discounted at
  ``CLIENTELA_ANALYTICS_MONTHLY_DISCOUNT_RATE`` a month; empty without usable models.
- **RFM**: recency = days since the last purchase, frequency = purchase days, monetary
  = revenue of all time; scores and segments of ``stats/rfm.py``.
- **Pareto classes** over the revenue of the last ``CLIENTELA_ANALYTICS_PARETO_MONTHS``
  months (to ``as_of`` inclusive); customers without purchases have no class.
- **Ladder**: ``stats/ladder.py`` with the ``CLIENTELA_ANALYTICS_*`` thresholds; a
  customer without purchases is *potential* when they came from one of
  ``CLIENTELA_ANALYTICS_PROSPECT_SOURCES``, were referred by someone, or have an order
  that was never bought (a quote); the share of wallet is the latest recorded up to
  ``as_of``. A stage set by hand wins over the rules (both are stored).
- **Lost and at risk by the model**: probability alive below
  ``CLIENTELA_ANALYTICS_LOST_ALIVE`` is lost; below ``CLIENTELA_ANALYTICS_AT_RISK_ALIVE``
  (and not lost) at risk.
- **Lost and at risk by rule**: silent for more than ``CLIENTELA_ANALYTICS_LOST_INTERVALS``
  times their usual interval (the mean gap between their purchase days) is lost, for
  more than ``CLIENTELA_ANALYTICS_AT_RISK_INTERVALS`` times (and not lost) at risk.
  Customers with a single purchase are measured against the median usual interval of
  the customers who bought again.
- **Value at stake**: the yearly value a customer brings while they keep buying: their
  expected spend over the lifetime-value horizon if still alive (the lifetime value
  without the probability of having left) when the models are usable, else their
  revenue per year since the first purchase (counting at least a year).
"""

import logging
import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.analytics import selectors
from clientela.analytics.models import (
    AnalysisRun,
    CustomerScore,
    LadderTransition,
    RunStatus,
    RunStep,
)
from clientela.analytics.services.options import AnalysisOptions
from clientela.analytics.services.progress import _Progress
from clientela.analytics.services.reading import _book_read
from clientela.analytics.services.report import _figures, _fit_records, _previous_run, _warnings
from clientela.analytics.services.saving import (
    _large_sqlite_cache,
    _scores_save,
    _statistics_refresh,
    scores_thin,
)
from clientela.analytics.services.scoring import _customers_score
from clientela.analytics.stats import PURCHASE_MODELS
from clientela.core.access import Capability
from clientela.core.heartbeat import LOST_AFTER, beat_lost, beating
from clientela.core.models import User
from clientela.core.services import actor_check

logger = logging.getLogger(__name__)

# From this many customer rows a comparison model is fitted in another process.
PROCESS_FIT_ROWS = 100_000


def analysis_run(
    *,
    actor: User | None,
    as_of: date | None = None,
    progress: Callable[[int, str], None] | None = None,
) -> AnalysisRun:
    """Score every live customer as of ``as_of`` (default: today) and store the scores.

    Unlike other services this is not one transaction: the run is recorded at once and
    its ``progress`` (0–100) and ``step`` are committed as it goes, so another request
    can show them; ``progress(percent, step label)`` is also called. The purchases are
    read in one transaction and the scores of the date replaced in another at the end.
    A failure does not raise: the run comes back ``failed`` with the error, and the
    scores stored before stay as they were (only ``AccessDenied`` is raised, before
    anything is recorded). Two runs for the same date at once: the second to save fails.
    Only the owner (or the system, ``actor=None``) may run it.
    """
    actor_check(actor, Capability.ANALYTICS_RUN)
    as_of = as_of or timezone.localdate()
    run = AnalysisRun.objects.create(as_of=as_of, started_by=actor, status=RunStatus.RUNNING)
    with beating(run.beat_name):
        return _analysis_run(run, as_of, progress)


def _analysis_run(
    run: AnalysisRun, as_of: date, progress: Callable[[int, str], None] | None
) -> AnalysisRun:
    reporter = _Progress(run, progress)
    scores = None
    aside = None
    try:
        options = AnalysisOptions.from_settings()
        run.options = options.as_json()
        reporter(2, RunStep.READING)
        with transaction.atomic():
            book = _book_read(as_of, options)
        reporter(20, RunStep.FITTING)
        if sum(model in options.models for model in PURCHASE_MODELS) > 1:
            aside = _comparison_executor(book.summary.customer_ids.size)
        scores = _customers_score(book, options, aside, reporter)
        run.fitted_models = _fit_records(scores.fits)
        reporter(75, RunStep.SAVING)
        with _large_sqlite_cache(), transaction.atomic():
            transitions = _scores_save(run, book, scores)
            scores_thin(as_of=as_of)
            _statistics_refresh(CustomerScore, LadderTransition)
            dashboard = selectors.dashboard_kept(as_of=as_of)
            scores.fits.settle()
            run.fitted_models = _fit_records(scores.fits, run.fitted_models)
            reporter(100, RunStep.FINISHED)
            run.status = RunStatus.DONE
            run.finished_at = timezone.now()
            run.customers_scored = book.size
            run.figures = _figures(book, scores, transitions, reporter.seconds)
            run.figures["dashboard"] = dashboard
            run.figures["previous"] = _previous_run(run)
            run.figures["warnings"] = _warnings(
                run.fitted_models, scores.fits, options, run.figures["previous"]
            )
            run.save()
    except Exception as error:
        logger.exception("analysis run %s as of %s failed", run.pk, as_of)
        if scores is not None:
            scores.fits.settle()
            run.fitted_models = _fit_records(scores.fits, run.fitted_models)
        run.refresh_from_db(fields=["progress", "step"])
        run.status = RunStatus.FAILED
        run.finished_at = timezone.now()
        run.error = f"{type(error).__name__}: {error}"
        run.save(update_fields=["status", "finished_at", "error", "options", "fitted_models"])
    finally:
        if aside is not None:
            aside.shutdown()
    return run


def _comparison_executor(rows: int) -> Executor:
    """Where a comparison model is fitted while the scores are saved: a process of its
    own for a large book (the fit and the saving would share one interpreter lock in a
    thread), a thread for a small one (cheaper than starting Python)."""
    if rows >= PROCESS_FIT_ROWS:
        return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    return ThreadPoolExecutor(max_workers=1)


def analysis_runs_vanished_sweep(*, now: datetime | None = None) -> int:
    """Mark failed the runs still marked running whose process vanished (no sign of life
    for ``LOST_AFTER``, see ``core.heartbeat``; a run records its end even when it
    fails). How many there were."""
    now = now or timezone.now()
    vanished = [
        run.pk
        for run in AnalysisRun.objects.filter(
            status=RunStatus.RUNNING, started_at__lt=now - LOST_AFTER
        ).only("pk", "started_at")
        if beat_lost(run.beat_name, since=run.started_at, now=now)
    ]
    return AnalysisRun.objects.filter(pk__in=vanished, status=RunStatus.RUNNING).update(
        status=RunStatus.FAILED,
        finished_at=now,
        error=_("The run stopped without finishing (its process ended); it was given up."),
    )
