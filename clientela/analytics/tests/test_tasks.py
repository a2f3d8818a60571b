"""The analysis as background work: the task, the guard against two runs at once, and
the daily schedule's decision."""

import os
from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clientela.analytics.models import AnalysisRun, CustomerScore, RunStatus
from clientela.analytics.tasks import (
    AnalysisBusy,
    analysis_due,
    analysis_enqueue,
    analysis_running,
    analysis_schedule_tick,
    analysis_task,
    daily_at_parse,
)
from clientela.analytics.tests.factories import every, purchases_create
from clientela.core.access import AccessDenied
from clientela.core.heartbeat import LOST_AFTER, beat_path, beating
from clientela.customers.tests.factories import CustomerFactory
from clientela.webhooks.tasks import webhook_deliver

MEXICO = ZoneInfo("America/Mexico_City")


@pytest.fixture
def book(db):
    regular = CustomerFactory(name="Regular")
    purchases_create(regular, [(d, 500) for d in every(7, date.today() - timedelta(days=100), 10)])
    CustomerFactory(name="Feria", source="event")


def running_run(minutes_ago: float) -> AnalysisRun:
    return AnalysisRun.objects.create(
        as_of=date.today(),
        status=RunStatus.RUNNING,
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


# --- the task -------------------------------------------------------------------------------


def test_the_task_runs_the_analysis_as_the_owner(book, owner):
    analysis_task.call(actor_id=owner.pk)

    run = AnalysisRun.objects.get()
    assert run.status == RunStatus.DONE and run.started_by == owner
    assert run.as_of == timezone.localdate()
    assert CustomerScore.objects.filter(as_of=run.as_of).count() == 2


def test_the_scheduled_task_runs_as_the_system(book):
    analysis_task.call()

    run = AnalysisRun.objects.get()
    assert run.status == RunStatus.DONE and run.started_by is None


def test_the_task_is_skipped_while_another_run_is_going(book):
    going = running_run(minutes_ago=5)

    with beating(going.beat_name):  # its process is alive
        analysis_task.call()

    assert list(AnalysisRun.objects.all()) == [going]
    assert not CustomerScore.objects.exists()


def test_a_run_whose_process_vanished_is_marked_failed_and_another_starts(book):
    dead = running_run(minutes_ago=2)  # no sign of life since it started

    analysis_task.call()

    dead.refresh_from_db()
    assert dead.status == RunStatus.FAILED and dead.finished_at is not None
    assert "without finishing" in dead.error
    assert AnalysisRun.objects.filter(status=RunStatus.DONE).count() == 1


@pytest.mark.parametrize("who", ["sales", "inactive owner", "deleted user"])
def test_the_task_does_nothing_for_a_user_who_may_no_longer_run_it(book, who, sales, owner):
    if who == "sales":
        actor_id = sales.pk
    elif who == "inactive owner":
        owner.is_active = False
        owner.save(update_fields=["is_active"])
        actor_id = owner.pk
    else:
        actor_id = 999999

    analysis_task.call(actor_id=actor_id)

    assert not AnalysisRun.objects.exists()


def test_enqueue_queues_one_task_and_refuses_a_second_or_a_non_owner(db, owner, sales):
    result = analysis_enqueue(actor=owner)

    queued = DBTaskResult.objects.get()
    assert str(queued.id) == str(result.id)
    assert queued.args_kwargs["kwargs"] == {"actor_id": owner.pk}
    with pytest.raises(AnalysisBusy):
        analysis_enqueue(actor=owner)
    with pytest.raises(AccessDenied):
        analysis_enqueue(actor=sales)
    assert DBTaskResult.objects.count() == 1


def test_enqueue_is_refused_while_a_run_is_going_but_not_for_a_dead_one(db, owner):
    going = running_run(minutes_ago=5)
    with beating(going.beat_name), pytest.raises(AnalysisBusy) as refused:
        analysis_enqueue(actor=owner)
    assert refused.value.run == going

    # Its process stopped a minute ago: it shows no sign of life any more
    beat_path(going.beat_name).touch()
    past = (timezone.now() - LOST_AFTER - timedelta(seconds=5)).timestamp()
    os.utime(beat_path(going.beat_name), (past, past))
    analysis_enqueue(actor=None)

    assert analysis_running() is None
    assert DBTaskResult.objects.count() == 1


# --- the daily schedule ---------------------------------------------------------------------

AT_THREE = time(3, 0)
DAY = date(2025, 3, 10)


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=MEXICO)


@pytest.mark.parametrize(
    ("now", "daily_at", "last_finished_on", "busy", "due"),
    [
        (at(3, 0), AT_THREE, None, False, True),  # the first ever
        (at(3, 0), AT_THREE, DAY - timedelta(days=1), False, True),  # yesterday's done
        (at(14, 30), AT_THREE, DAY - timedelta(days=3), False, True),  # catching up
        (at(2, 59), AT_THREE, DAY - timedelta(days=1), False, False),  # not yet
        (at(3, 1), AT_THREE, DAY, False, False),  # already ran today
        (at(23, 59), AT_THREE, DAY, False, False),
        (at(3, 0), AT_THREE, DAY - timedelta(days=1), True, False),  # one is going
        (at(3, 0), None, None, False, False),  # switched off
        (at(0, 0), time(0, 0), DAY - timedelta(days=1), False, True),  # at midnight
    ],
)
def test_the_daily_analysis_is_due_once_a_day_after_its_time(
    now, daily_at, last_finished_on, busy, due
):
    assert (
        analysis_due(now=now, daily_at=daily_at, last_finished_on=last_finished_on, busy=busy)
        is due
    )


@pytest.mark.parametrize(
    ("value", "parsed"),
    [("03:00", time(3, 0)), (" 23:45 ", time(23, 45)), ("7:05", time(7, 5)), ("", None)],
)
def test_the_daily_time_is_read_from_the_setting(value, parsed):
    assert daily_at_parse(value) == parsed


@pytest.mark.parametrize("value", ["3", "25:00", "03:60", "three", "03:00:00"])
def test_a_bad_daily_time_is_refused_clearly(value):
    with pytest.raises(ImproperlyConfigured, match="CLIENTELA_ANALYTICS_DAILY_AT"):
        daily_at_parse(value)


def test_a_tick_enqueues_the_daily_run_once(db, settings):
    settings.CLIENTELA_ANALYTICS_DAILY_AT = "03:00"
    now = at(4, 0)

    assert analysis_schedule_tick(now=now) is True
    assert analysis_schedule_tick(now=now) is False  # it waits for the worker

    queued = DBTaskResult.objects.get()
    assert queued.task_path.endswith("analysis_task")
    assert queued.args_kwargs == {"args": [], "kwargs": {}}


def test_a_tick_does_nothing_after_todays_run_or_when_switched_off(db, settings):
    settings.CLIENTELA_ANALYTICS_DAILY_AT = "03:00"
    now = timezone.now()
    AnalysisRun.objects.create(
        as_of=timezone.localdate(now), status=RunStatus.FAILED, started_at=now, finished_at=now
    )

    assert analysis_schedule_tick(now=now) is False
    settings.CLIENTELA_ANALYTICS_DAILY_AT = ""
    assert analysis_schedule_tick(now=now + timedelta(days=1)) is False
    assert not DBTaskResult.objects.exists()


def test_the_schedule_command_checks_once_or_says_it_is_switched_off(db, settings):
    settings.CLIENTELA_BACKUP_KEEP = 0  # no daily backup (clientela/core/tests/test_backup.py)
    settings.CLIENTELA_ANALYTICS_DAILY_AT = "00:00"
    out = StringIO()

    call_command("schedule", "--once", stdout=out)

    assert "Queued the daily customer analysis" in out.getvalue()
    assert DBTaskResult.objects.count() == 1

    settings.CLIENTELA_ANALYTICS_DAILY_AT = ""
    out = StringIO()
    call_command("schedule", "--once", stdout=out)
    assert "no daily analysis" in out.getvalue()
    assert DBTaskResult.objects.count() == 1

    settings.CLIENTELA_ANALYTICS_DAILY_AT = "noon"
    with pytest.raises(CommandError, match="CLIENTELA_ANALYTICS_DAILY_AT"):
        call_command("schedule", "--once")


def test_a_tick_adds_no_run_while_one_waits_for_a_worker_however_long(db, settings, owner):
    settings.CLIENTELA_ANALYTICS_DAILY_AT = "03:00"
    analysis_enqueue(actor=owner)
    DBTaskResult.objects.update(enqueued_at=timezone.now() - timedelta(days=2))

    assert analysis_schedule_tick(now=at(4, 0)) is False
    assert DBTaskResult.objects.count() == 1
    analysis_enqueue(actor=owner)  # the owner's button is not blocked by a forgotten one
    assert DBTaskResult.objects.count() == 2


@pytest.mark.django_db(transaction=True)  # the worker commits as it goes
def test_an_analysis_does_not_wait_behind_webhook_retries(book, owner):
    # Thousands of webhook attempts are waiting in their own queue
    for delivery_id in range(300):
        webhook_deliver.enqueue(delivery_id)
    analysis_enqueue(actor=owner)

    call_command("db_worker", queue_name="analyses", batch=True, startup_delay=False)

    assert AnalysisRun.objects.get().status == RunStatus.DONE
    assert DBTaskResult.objects.filter(task_path=webhook_deliver.module_path).count() == 300
    assert not DBTaskResult.objects.ready().filter(task_path=analysis_task.module_path).exists()
