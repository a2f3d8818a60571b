"""The analysis run as background work: enqueued by the owner (the API and the page's
button) and once a day by ``clientela schedule``, never two at once.

``analysis_enqueue`` is what a button calls; ``analysis_task`` is what the worker runs;
``analysis_due`` decides whether the daily run should be enqueued now.
"""

import logging
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import TaskResult, task
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.models import DBTaskResult

from clientela.analytics import selectors, services
from clientela.analytics.models import AnalysisRun
from clientela.core.access import AccessDenied, Capability
from clientela.core.models import User
from clientela.core.services import actor_check

logger = logging.getLogger(__name__)

# A run whose process vanished is given up when its sign of life stops (core.heartbeat);
# as a last resort, one still marked running after this long, or a task waiting this
# long, is not counted as going on. A run of a million customers takes about a minute.
RUN_TIMEOUT = timedelta(minutes=60)


class AnalysisBusy(Exception):
    """An analysis is already running or waiting for the worker."""

    def __init__(self, run: AnalysisRun | None = None):
        self.run = run
        super().__init__(
            _("An analysis is already running; wait for it to finish.")
            if run is not None
            else _("An analysis is already waiting for the background worker.")
        )


def analysis_running(*, now: datetime | None = None) -> AnalysisRun | None:
    """The run going on now, if any; runs whose process vanished are marked failed
    first."""
    now = now or timezone.now()
    services.analysis_runs_vanished_sweep(now=now)
    started_after = now - RUN_TIMEOUT
    return selectors.analysis_run_running(since=started_after)


def analysis_queued(*, now: datetime | None = None, within: timedelta | None = RUN_TIMEOUT) -> bool:
    """Whether an analysis task waits for the worker, enqueued less than ``within`` ago
    (None: however long ago; with a task backend other than the database's, never)."""
    if not isinstance(analysis_task.get_backend(), DatabaseBackend):
        return False
    queued = DBTaskResult.objects.ready().filter(task_path=analysis_task.module_path)
    if within is not None:
        queued = queued.filter(enqueued_at__gte=(now or timezone.now()) - within)
    return queued.exists()


def analysis_enqueue(*, actor: User | None) -> TaskResult:
    """Have the background worker run the analysis (the owner, or the system with
    ``actor=None``). Raises ``AccessDenied``, or ``AnalysisBusy`` when one is already
    running or waiting."""
    actor_check(actor, Capability.ANALYTICS_RUN)
    running = analysis_running()
    if running is not None or analysis_queued():
        raise AnalysisBusy(running)
    return analysis_task.enqueue(actor_id=actor.pk if actor is not None else None)


@task(queue_name="analyses")
def analysis_task(run_id: int | None = None, actor_id: int | None = None) -> None:
    """Score every customer as of today (``services.analysis_run``), as ``actor_id`` or
    as the system. Skipped when another run is going on, or when the user who asked
    for it can no longer run it. ``run_id`` is accepted and ignored: the run records
    itself when it starts."""
    actor = None
    if actor_id is not None:
        actor = User.objects.filter(pk=actor_id, is_active=True).first()
        if actor is None:
            logger.warning("analysis not run: user %s is gone or inactive", actor_id)
            return
    running = analysis_running()
    if running is not None:
        logger.info("analysis not run: run %s is still going", running.pk)
        return
    try:
        run = services.analysis_run(actor=actor)
    except AccessDenied:
        logger.warning("analysis not run: user %s may not run it", actor_id)
        return
    logger.info("analysis run %s as of %s: %s", run.pk, run.as_of, run.status)


# --- the daily schedule ----------------------------------------------------------------


def daily_at_parse(value: str) -> time | None:
    """``CLIENTELA_ANALYTICS_DAILY_AT`` ("HH:MM", local time) as a time; empty: None
    (no daily run). Raises ImproperlyConfigured for anything else."""
    value = (value or "").strip()
    if not value:
        return None
    try:
        hours, minutes = value.split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise ImproperlyConfigured(
            _("CLIENTELA_ANALYTICS_DAILY_AT must be a time like 03:00, or empty; not “%(value)s”.")
            % {"value": value}
        ) from None


def analysis_due(
    *, now: datetime, daily_at: time | None, last_finished_on: date | None, busy: bool
) -> bool:
    """Whether the daily analysis should be enqueued at ``now`` (local time): it is
    past ``daily_at``, no run finished today (done or failed: a failing run is not
    retried until tomorrow) and none is running or waiting."""
    if daily_at is None or busy:
        return False
    if last_finished_on is not None and last_finished_on >= now.date():
        return False
    return now.time() >= daily_at


def analysis_schedule_tick(*, now: datetime | None = None) -> bool:
    """Enqueue the daily analysis if it is due; whether it was enqueued."""
    daily_at = daily_at_parse(settings.CLIENTELA_ANALYTICS_DAILY_AT)
    if daily_at is None:
        return False
    now = timezone.localtime(now)
    last = AnalysisRun.objects.filter(finished_at__isnull=False).order_by("-finished_at").first()
    last_finished_on = timezone.localdate(last.finished_at) if last is not None else None
    # One waiting however long (no worker running?) is enough: the schedule adds no more.
    busy = analysis_running(now=now) is not None or analysis_queued(within=None)
    if not analysis_due(now=now, daily_at=daily_at, last_finished_on=last_finished_on, busy=busy):
        return False
    analysis_task.enqueue()
    return True
