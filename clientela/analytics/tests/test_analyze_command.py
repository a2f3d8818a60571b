"""`clientela analyze` on the database: it scores the customers and reports the models,
and a failing run is a command error."""

from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from clientela.analytics.models import AnalysisRun, CustomerScore, RunStatus
from clientela.analytics.services import reading
from clientela.analytics.stats import btyd
from clientela.analytics.tests.factories import customers_bulk_create, every, purchases_create

pytestmark = pytest.mark.django_db

AS_OF = date(2024, 12, 31)


@pytest.fixture
def book():
    """Thirty customers buying at their own pace, and two who never bought."""
    customers = customers_bulk_create(32)
    for index, customer in enumerate(customers[:30]):
        purchases_create(
            customer, [(d, 100 + index) for d in every(15 + index, "2024-01-10", 2 + index % 6)]
        )
    return customers


def test_analyze_scores_every_customer_and_reports_the_models(book):
    out, err = StringIO(), StringIO()

    call_command("analyze", "--as-of", "2024-12-31", stdout=out, stderr=err)

    run = AnalysisRun.objects.get()
    assert run.status == RunStatus.DONE and run.as_of == AS_OF and run.started_by is None
    assert CustomerScore.objects.filter(as_of=AS_OF).count() == 32
    output = out.getvalue()
    assert "Scored 32 customers as of 2024-12-31." in output
    assert "BG/NBD" in output and "Gamma-Gamma" in output
    assert "100% Finished" in err.getvalue()


def test_analyze_without_a_date_scores_as_of_today(book):
    call_command("analyze", stdout=StringIO(), stderr=StringIO())

    run = AnalysisRun.objects.get()
    assert run.status == RunStatus.DONE and run.customers_scored == 32
    assert CustomerScore.objects.filter(as_of=run.as_of).count() == 32


def test_a_failing_run_is_a_command_error_and_the_old_scores_stay(book, monkeypatch):
    call_command("analyze", "--as-of", "2024-12-31", stdout=StringIO(), stderr=StringIO())

    def broken(**kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(reading.selectors, "customer_summary_sql", broken)

    with pytest.raises(CommandError, match="The analysis failed: RuntimeError: the disk is full"):
        call_command("analyze", "--as-of", "2024-12-31", stdout=StringIO(), stderr=StringIO())

    failed = AnalysisRun.objects.get(status=RunStatus.FAILED)
    assert failed.error == "RuntimeError: the disk is full"
    assert CustomerScore.objects.filter(as_of=AS_OF).count() == 32


def test_file_options_without_a_file_are_refused(db):
    with pytest.raises(CommandError, match="--out"):
        call_command("analyze", "--out", "somewhere")


def test_a_scoring_model_that_fails_is_a_warning_on_the_command_line(book, monkeypatch):
    def broken(*args, **kwargs):
        raise FloatingPointError("overflow")

    monkeypatch.setattr(btyd.bgnbd, "fit", broken)
    err = StringIO()

    call_command("analyze", "--as-of", "2024-12-31", stdout=StringIO(), stderr=err)

    assert "Warning: BG/NBD could not be used: The fit failed: overflow" in err.getvalue()
