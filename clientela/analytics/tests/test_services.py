"""The analysis run: scores on a hand-built book, reruns, ladder transitions, stages set
by hand, models on enough data and on too little, failures."""

import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import numpy as np
import pytest
from django.core.exceptions import ValidationError

from clientela.analytics.models import (
    AnalysisRun,
    CustomerScore,
    LadderStage,
    LadderTransition,
    RFMSegment,
    RunStatus,
    TransitionSource,
)
from clientela.analytics.selectors import (
    customer_summary_sql,
    dashboard_figures,
    ladder_stage_current,
)
from clientela.analytics.services import (
    analysis_run,
    customer_wallet_record,
    ladder_override,
    ladder_override_clear,
    reading,
    saving,
)
from clientela.analytics.services import run as run_module
from clientela.analytics.stats import btyd, ladder, rfm
from clientela.analytics.tests.factories import (
    every,
    purchases_create,
    simulated_book_create,
)
from clientela.core.access import AccessDenied
from clientela.core.models import Role
from clientela.customers.models import Customer
from clientela.customers.services import customers_merge
from clientela.customers.tests.factories import CustomerFactory, UserFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2024, 12, 31)


def _scores(as_of=AS_OF) -> dict[str, CustomerScore]:
    return {
        score.customer.name: score
        for score in CustomerScore.objects.filter(as_of=as_of).select_related("customer")
    }


@pytest.fixture
def book(owner):
    """A bakery's customers, one per rung of the ladder, and a lost one."""
    customers = {}

    def customer(name, **fields):
        customers[name] = CustomerFactory(name=name, **fields)
        return customers[name]

    purchases_create(customer("Regular"), [(d, 500) for d in every(7, "2024-08-16", 20)])
    purchases_create(customer("Exclusiva"), [(d, 400) for d in every(7, "2024-08-19", 20)])
    customer_wallet_record(
        actor=owner, customer=customers["Exclusiva"], share_percent=95, recorded_on=date(2024, 9, 1)
    )
    purchases_create(
        customer("Ocasional"), [("2024-02-01", 100), ("2024-02-03", 100), ("2024-09-15", 100)]
    )
    purchases_create(customer("Comprador"), [("2024-12-01", 50)])
    purchases_create(customer("Propagandista"), [("2024-10-01", 150), ("2024-12-15", 150)])
    referred = customer("Referida", referred_by=customers["Propagandista"])
    purchases_create(referred, [("2024-11-20", 80)])
    purchases_create(
        customer("Perdida"),
        [("2024-01-05", 200), ("2024-02-05", 200), ("2024-03-05", 200), ("2024-04-05", 200)],
    )
    customer("Feria", source="event")
    customer("Directorio", source="directory")
    purchases_create(customer("Cotizada"), [("2024-12-10", 900)], status="draft")
    return customers


def test_a_run_scores_every_customer_of_a_hand_built_book(book, owner):
    # when the owner runs the analysis
    run = analysis_run(actor=owner, as_of=AS_OF)

    # then the run is done and every live customer has a score for the date
    assert (run.status, run.progress, run.step, run.error) == (RunStatus.DONE, 100, "finished", "")
    assert run.started_by == owner and run.finished_at is not None
    assert run.customers_scored == 10
    scores = _scores()
    assert set(scores) == set(book)

    # each is on the rung of the ladder their records earn
    assert {name: score.ladder_stage for name, score in scores.items()} == {
        "Regular": "regular",
        "Exclusiva": "exclusive",
        "Ocasional": "occasional",
        "Comprador": "buyer",
        "Propagandista": "advocate",
        "Referida": "buyer",
        "Perdida": "occasional",
        "Feria": "potential",
        "Directorio": "possible",
        "Cotizada": "potential",
    }
    # Pareto over 2024: the two weekly customers make 80%, the lost one reaches 95%
    assert {n for n, s in scores.items() if s.pareto_class == "A"} == {"Regular", "Exclusiva"}
    assert {n for n, s in scores.items() if s.pareto_class == "B"} == {"Perdida"}
    assert scores["Directorio"].pareto_class == ""
    # RFM segments
    assert scores["Exclusiva"].rfm_segment == RFMSegment.CHAMPIONS
    assert scores["Regular"].rfm_segment == RFMSegment.LOYAL
    assert scores["Perdida"].rfm_segment == RFMSegment.AT_RISK
    assert scores["Feria"].rfm_segment == ""
    # the summary
    regular = scores["Regular"]
    assert (regular.purchases, regular.frequency, regular.recency_days) == (20, 19, 133)
    assert regular.first_purchase_on == date(2024, 8, 16)
    assert regular.last_purchase_on == date(2024, 12, 27)
    assert (regular.age_days, regular.days_since_last) == (137, 4)
    assert regular.total_revenue == Decimal("10000.00")
    assert regular.monetary_value == Decimal("500.00")
    assert regular.usual_interval_days == 7.0
    assert regular.interval_variation == 0.0
    assert scores["Exclusiva"].share_of_wallet == Decimal("95.00")
    assert scores["Propagandista"].referred_buyers == 1
    assert scores["Feria"].purchases == 0 and scores["Feria"].days_since_last is None
    # lost by the rule: silent 270 days after buying monthly
    perdida = scores["Perdida"]
    assert (perdida.lost_by_rule, perdida.at_risk_by_rule) == (True, False)
    assert [n for n, s in scores.items() if s.lost or s.at_risk] == ["Perdida"]
    # too few repeat buyers for the models: no model figures, a yearly value at stake
    assert perdida.probability_alive is None and perdida.clv is None
    assert not perdida.lost_by_model
    assert perdida.value_at_stake == Decimal("800.00")
    assert scores["Regular"].value_at_stake == Decimal("10000.00")


def test_a_run_with_too_little_data_skips_the_models_and_says_why(book, owner):
    run = analysis_run(actor=owner, as_of=AS_OF)

    assert run.status == RunStatus.DONE
    for name in ("bgnbd", "paretonbd", "gammagamma"):
        assert run.fitted_models[name]["status"] == "skipped"
        assert "5 customers bought more than once" in run.fitted_models[name]["reason"]
    assert run.figures["purchase_model"] is None
    assert run.figures["stages"]["potential"] == 2
    assert run.figures["classes"] == {"A": 2, "B": 1, "C": 4}
    assert run.figures["lost"] == 1
    assert run.figures["pareto"]["curve"][0] == [0.0, 0.0]
    assert run.figures["pareto"]["curve"][-1] == [1.0, 1.0]


def test_old_daily_scores_are_thinned_to_one_date_a_month(book, owner, settings):
    settings.CLIENTELA_ANALYTICS_KEEP_DAILY_DAYS = 10
    days = ["2025-01-05", "2025-01-20", "2025-01-31", "2025-02-10", "2025-02-25"]
    for day in [*days, "2025-03-20", "2025-03-25"]:
        run = analysis_run(actor=owner, as_of=date.fromisoformat(day))
        assert run.status == RunStatus.DONE, run.error

    kept = sorted(set(CustomerScore.objects.values_list("as_of", flat=True)))
    # within 10 days of the last run every date; before, each month's last
    assert [day.isoformat() for day in kept] == [
        "2025-01-31",
        "2025-02-25",
        "2025-03-20",
        "2025-03-25",
    ]
    assert AnalysisRun.objects.count() == 7  # the runs themselves stay
    assert CustomerScore.objects.filter(as_of=date(2025, 3, 25)).count() == len(book)


def test_an_empty_book_runs_too(owner):
    run = analysis_run(actor=owner, as_of=AS_OF)

    assert run.status == RunStatus.DONE
    assert run.customers_scored == 0


def test_a_rerun_of_the_same_date_replaces_its_scores(book, owner):
    # given a run, then a new purchase dated that same day
    first = analysis_run(actor=owner, as_of=AS_OF)
    purchases_create(book["Comprador"], [(AS_OF, 70)])

    # when the date is run again
    second = analysis_run(actor=owner, as_of=AS_OF)

    # then the date holds one score per customer, from the new run
    assert second.status == RunStatus.DONE and second.pk != first.pk
    assert CustomerScore.objects.filter(as_of=AS_OF).count() == len(book)
    comprador = _scores()["Comprador"]
    assert (comprador.purchases, comprador.ladder_stage) == (2, "occasional")


def test_stage_changes_are_recorded_with_their_dates(book, owner):
    # given a run on the last day of November and a purchase in December
    november = date(2024, 11, 30)
    analysis_run(actor=owner, as_of=november)
    assert LadderTransition.objects.count() == 0  # first stages are read from the scores

    # when December is run
    run = analysis_run(actor=owner, as_of=AS_OF)

    # then each change of stage is a transition dated December's run
    changes = {
        (t.customer.name, t.from_stage, t.to_stage, t.on, t.source, t.run_id)
        for t in LadderTransition.objects.select_related("customer")
    }
    inferred = TransitionSource.INFERRED
    assert changes == {
        ("Comprador", "possible", "buyer", AS_OF, inferred, run.pk),
        ("Cotizada", "possible", "potential", AS_OF, inferred, run.pk),
    }
    assert _scores(november)["Comprador"].ladder_stage == "possible"

    # and a rerun of the date replaces them, without duplicates
    analysis_run(actor=owner, as_of=AS_OF)
    assert LadderTransition.objects.count() == len(changes)


def test_a_run_for_an_earlier_date_leaves_the_transitions_alone(book, owner):
    analysis_run(actor=owner, as_of=date(2024, 11, 30))
    analysis_run(actor=owner, as_of=AS_OF)
    count = LadderTransition.objects.count()

    run = analysis_run(actor=owner, as_of=date(2024, 6, 30))

    assert run.status == RunStatus.DONE
    assert CustomerScore.objects.filter(as_of=date(2024, 6, 30)).exists()
    assert LadderTransition.objects.count() == count


def test_a_stage_set_by_hand_is_kept_by_the_runs_and_recorded(book, owner, sales):
    # given a run that sees "Ocasional" as occasional
    analysis_run(actor=owner, as_of=date(2024, 12, 1))
    customer = book["Ocasional"]

    # when a salesperson says she is a regular customer
    override = ladder_override(
        actor=sales, customer=customer, stage="regular", reason="Compra cada semana en feria"
    )

    # then the change is a manual transition with who, when and why
    manual = LadderTransition.objects.get(customer=customer)
    assert (manual.from_stage, manual.to_stage, manual.source) == (
        "occasional",
        "regular",
        TransitionSource.MANUAL,
    )
    assert (manual.changed_by, manual.reason) == (sales, "Compra cada semana en feria")
    assert (override.set_by, override.stage) == (sales, "regular")
    assert ladder_stage_current(customer=customer) == "regular"

    # and the next run keeps her there, storing what the rules say beside it,
    # without recording the change a second time
    analysis_run(actor=owner, as_of=AS_OF)
    score = _scores()["Ocasional"]
    assert (score.ladder_stage, score.inferred_stage) == ("regular", "occasional")
    assert LadderTransition.objects.filter(customer=customer).count() == 1

    # when the stage is handed back to the rules, that is recorded too
    ladder_override_clear(actor=sales, customer=customer, reason="Ya no viene")
    back = LadderTransition.objects.filter(customer=customer).last()
    assert (back.from_stage, back.to_stage, back.source) == ("regular", "occasional", "manual")
    assert ladder_stage_current(customer=customer) == "occasional"
    analysis_run(actor=owner, as_of=AS_OF + timedelta(days=1))
    assert LadderTransition.objects.filter(customer=customer).count() == 2


def test_a_stage_set_by_hand_needs_a_reason_a_stage_and_the_right(book, sales, readonly):
    customer = book["Comprador"]

    with pytest.raises(ValidationError) as error:
        ladder_override(actor=sales, customer=customer, stage="king", reason="  ")
    assert set(error.value.message_dict) == {"stage", "reason"}
    with pytest.raises(AccessDenied):
        ladder_override(actor=readonly, customer=customer, stage="regular", reason="porque sí")
    assert not LadderTransition.objects.exists()


def test_a_limited_salesperson_moves_only_own_customers(book, sales, settings):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True

    with pytest.raises(AccessDenied):
        ladder_override(actor=sales, customer=book["Comprador"], stage="regular", reason="x")


def test_only_the_owner_runs_the_analysis(sales, readonly):
    for user in (sales, readonly):
        with pytest.raises(AccessDenied):
            analysis_run(actor=user, as_of=AS_OF)
    assert not AnalysisRun.objects.exists()


def test_share_of_wallet_is_checked(book, sales):
    with pytest.raises(ValidationError) as error:
        customer_wallet_record(actor=sales, customer=book["Regular"], share_percent=120)
    assert "share_percent" in error.value.message_dict


def test_the_run_reports_its_progress(book, owner):
    seen = []

    run = analysis_run(actor=owner, as_of=AS_OF, progress=lambda p, s: seen.append((p, s)))

    percents = [percent for percent, _ in seen]
    assert percents == sorted(percents) and percents[-1] == 100
    assert [label for _, label in seen][:2] == ["Reading purchases", "Fitting the models"]
    assert set(run.figures["seconds"]) >= {"reading", "fitting", "scoring", "saving"}


def test_a_failing_run_is_marked_failed_with_the_error(book, owner, monkeypatch):
    # given a previous good run
    analysis_run(actor=owner, as_of=AS_OF)

    def broken(**kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(reading.selectors, "customer_summary_sql", broken)

    # when a run fails
    run = analysis_run(actor=owner, as_of=AS_OF)

    # then it says so and the scores of the date are untouched
    run.refresh_from_db()
    assert run.status == RunStatus.FAILED
    assert run.error == "RuntimeError: the disk is full"
    assert run.finished_at is not None and run.step == "reading"
    assert CustomerScore.objects.filter(as_of=AS_OF).count() == len(book)


def test_a_failure_while_saving_keeps_the_old_scores(book, owner, monkeypatch):
    analysis_run(actor=owner, as_of=AS_OF)
    purchases_create(book["Comprador"], [(AS_OF, 70)])

    def broken(*args, **kwargs):
        raise ValueError("no space left")

    monkeypatch.setattr(saving, "columns_insert", broken)
    run = analysis_run(actor=owner, as_of=AS_OF)

    assert run.status == RunStatus.FAILED
    assert _scores()["Comprador"].purchases == 1


def test_bad_settings_fail_the_run(book, owner, settings):
    settings.CLIENTELA_ANALYTICS_PURCHASE_MODEL = "magic"

    run = analysis_run(actor=owner, as_of=AS_OF)

    assert run.status == RunStatus.FAILED
    assert "purchase model" in run.error


# --- with enough data for the models --------------------------------------------------


@pytest.fixture
def simulated_book():
    """180 customers drawn from known BG/NBD and Gamma-Gamma parameters (in days)."""
    return simulated_book_create(btyd.BGNBDParameters(r=0.8, alpha=40.0, a=0.6, b=3.0))


def test_a_run_with_enough_data_fits_every_model(simulated_book, owner, settings):
    settings.CLIENTELA_ANALYTICS_CLV_MONTHS = 6

    run = analysis_run(actor=owner, as_of=AS_OF)

    assert run.status == RunStatus.DONE, run.error
    for name in ("bgnbd", "paretonbd", "gammagamma"):
        record = run.fitted_models[name]
        assert record["status"] == "fitted", record
        assert record["log_likelihood"] < 0
        assert all(value > 0 for value in record["parameters"].values())
        assert set(record["standard_errors"]) == set(record["parameters"])
    assert run.fitted_models["bgnbd"]["customers"] == 180
    assert run.figures["purchase_model"] == "bgnbd"

    # the stored figures are those of the statistics library on the SQL summary
    summary = customer_summary_sql(as_of=AS_OF)
    parameters = btyd.BGNBDParameters(**run.fitted_models["bgnbd"]["parameters"])
    spend = btyd.GammaGammaParameters(**run.fitted_models["gammagamma"]["parameters"])
    x, t_x, age = summary.frequency, summary.recency, summary.T
    clv = btyd.customer_lifetime_value(
        parameters, spend, x, t_x, age, summary.monetary_value, months=6, time_unit="day"
    )
    alive = btyd.probability_alive(parameters, x, t_x, age)
    expected = btyd.conditional_expected_purchases(parameters, 90, x, t_x, age)
    stored = CustomerScore.objects.filter(as_of=AS_OF).order_by("customer_id")
    rows = list(stored.values_list("clv", "probability_alive", "expected_purchases"))
    np.testing.assert_allclose([float(r[0]) for r in rows], clv, atol=0.006)
    np.testing.assert_allclose([r[1] for r in rows], alive, rtol=1e-9)
    np.testing.assert_allclose([r[2] for r in rows], expected, rtol=1e-9)
    # the value at stake is the value if still alive, never below the lifetime value
    assert all(score.value_at_stake >= score.clv for score in stored)
    lost = stored.filter(lost_by_model=True)
    assert lost.exists() and all(score.probability_alive < 0.2 for score in lost)
    assert all(0.2 <= s.probability_alive < 0.5 for s in stored.filter(at_risk_by_model=True))


def test_a_large_book_fits_the_comparison_model_in_another_process(
    simulated_book, owner, monkeypatch
):
    monkeypatch.setattr(run_module, "PROCESS_FIT_ROWS", 1)  # as if the book were large

    run = analysis_run(actor=owner, as_of=AS_OF)

    assert run.status == RunStatus.DONE, run.error
    summary = customer_summary_sql(as_of=AS_OF)
    direct = btyd.paretonbd.fit(summary.frequency, summary.recency, summary.T)
    record = run.fitted_models["paretonbd"]
    assert record["status"] == "fitted"
    assert record["parameters"] == pytest.approx(dataclasses.asdict(direct.parameters), rel=1e-12)


def test_a_run_keeps_the_dashboard_figures_that_counting_gives(
    simulated_book, owner, sales, settings, django_assert_num_queries
):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    mine = simulated_book[:30]
    Customer.objects.filter(pk__in=[c.pk for c in mine]).update(owner=sales)
    run = analysis_run(actor=owner, as_of=AS_OF)
    run.refresh_from_db()

    with django_assert_num_queries(0):
        kept = dashboard_figures(user=owner, run=run)
    assert kept[0].customers == 180 and kept[1]
    del run.figures["dashboard"]  # as a run from before they were kept
    assert dashboard_figures(user=owner, run=run) == kept

    overview, _cohorts = dashboard_figures(user=sales, run=run)  # counted, their own
    assert overview.customers == 30
    assert overview.buyers == sum(1 for c in mine if c.orders.exists())


def test_a_model_that_is_not_wanted_is_skipped(simulated_book, owner, settings):
    settings.CLIENTELA_ANALYTICS_MODELS = ["paretonbd", "gammagamma"]

    run = analysis_run(actor=owner, as_of=AS_OF)

    assert run.fitted_models["bgnbd"]["status"] == "skipped"
    assert run.fitted_models["paretonbd"]["status"] == "fitted"
    assert run.figures["purchase_model"] == "paretonbd"
    assert CustomerScore.objects.filter(as_of=AS_OF, clv__isnull=True).count() == 0


def test_a_model_that_fails_is_reported_and_not_used(simulated_book, owner, monkeypatch):
    def broken(*args, **kwargs):
        raise FloatingPointError("overflow")

    monkeypatch.setattr(btyd.bgnbd, "fit", broken)

    run = analysis_run(actor=owner, as_of=AS_OF)

    assert run.status == RunStatus.DONE
    assert run.fitted_models["bgnbd"]["status"] == "failed"
    assert "overflow" in run.fitted_models["bgnbd"]["reason"]
    assert run.figures["purchase_model"] == "paretonbd"


def test_a_comparison_model_that_fails_while_the_scores_are_saved_is_reported(
    simulated_book, owner, monkeypatch
):
    def broken(*args, **kwargs):
        raise FloatingPointError("overflow")

    monkeypatch.setattr(btyd.paretonbd, "fit", broken)

    run = analysis_run(actor=owner, as_of=AS_OF)

    assert run.status == RunStatus.DONE
    assert list(run.fitted_models) == ["bgnbd", "paretonbd", "gammagamma"]
    assert run.fitted_models["paretonbd"]["status"] == "failed"
    assert "overflow" in run.fitted_models["paretonbd"]["reason"]
    run.refresh_from_db()
    assert run.fitted_models["paretonbd"]["status"] == "failed"
    assert run.figures["purchase_model"] == "bgnbd"
    assert CustomerScore.objects.filter(as_of=AS_OF, clv__isnull=True).count() == 0


def test_the_ladder_and_segment_choices_match_the_statistics():
    assert tuple(LadderStage.values) == ladder.STAGES
    assert set(RFMSegment.values) == {*rfm.SEGMENT_NAMES, rfm.UNSEGMENTED}


def test_merging_scored_customers_keeps_the_survivors_scores(book, owner):
    # given two scored customers on the same date, one of them set on a stage by hand
    analysis_run(actor=owner, as_of=AS_OF)
    survivor, duplicate = book["Comprador"], book["Referida"]
    ladder_override(actor=owner, customer=duplicate, stage="regular", reason="Cliente de años")

    # when they are merged
    customers_merge(actor=owner, survivor=survivor, duplicate=duplicate)

    # then the survivor keeps one score for the date and takes the stage set by hand
    assert CustomerScore.objects.filter(customer=survivor, as_of=AS_OF).count() == 1
    assert not CustomerScore.objects.filter(customer=duplicate).exists()
    assert ladder_stage_current(customer=survivor) == "regular"
    # and the next run scores the live customers only
    analysis_run(actor=owner, as_of=AS_OF)
    assert CustomerScore.objects.filter(as_of=AS_OF).count() == len(book) - 1


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2024, 12, 31), 12, date(2023, 12, 31)),
        (date(2024, 3, 31), 1, date(2024, 2, 29)),
        (date(2024, 1, 15), 2, date(2023, 11, 15)),
    ],
)
def test_the_pareto_period_counts_calendar_months(day, months, expected):
    assert reading._months_before(day, months) == expected


def test_a_fit_at_the_edge_of_the_model_scores_the_customers(owner, client):
    # given customers who all leave with the same 5 % chance after each purchase, whose
    # BG/NBD optimum lies at a, b → ∞
    simulated_book_create(btyd.BGNBDParameters(r=0.8, alpha=40.0, a=0.05e9, b=0.95e9))

    run = analysis_run(actor=owner, as_of=AS_OF)

    # then BG/NBD is used as its limit, recorded with the limit's parameters
    record = run.fitted_models["bgnbd"]
    assert record["status"] == "boundary" and record["boundary"] == "same_dropout"
    assert set(record["parameters"]) == {"r", "alpha", "p"}
    assert 0 < record["parameters"]["p"] < 0.2
    assert run.figures["purchase_model"] == "bgnbd"
    assert run.figures["warnings"] == []
    assert CustomerScore.objects.filter(as_of=AS_OF, clv__isnull=True).count() == 0
    # and the dashboard says so in words, with no warning at the top
    client.force_login(owner)
    page = client.get("/analytics/").content.decode()
    assert "Fitted at the edge" in page
    assert "every customer has the same" in page
    assert 'id="analytics-warnings"' not in page


def test_a_scoring_model_that_fails_is_loud(simulated_book, owner, client, monkeypatch, settings):
    # given a first run scored with BG/NBD
    first = analysis_run(actor=owner, as_of=AS_OF - timedelta(days=1))
    assert first.figures["purchase_model"] == "bgnbd" and first.figures["warnings"] == []

    # when BG/NBD fails in the next one
    def broken(*args, **kwargs):
        raise FloatingPointError("overflow")

    monkeypatch.setattr(btyd.bgnbd, "fit", broken)
    run = analysis_run(actor=owner, as_of=AS_OF)

    # then the run records the failure, the switch and the change since the last run
    codes = [warning["code"] for warning in run.figures["warnings"]]
    assert codes == ["model_failed", "model_switched", "scoring_model_changed"]
    assert run.figures["warnings"][1] == {
        "code": "model_switched",
        "from": "bgnbd",
        "to": "paretonbd",
    }
    assert run.figures["previous"]["mean_clv"] == first.figures["mean_clv"]
    # and the dashboard shows it at the top, saying what it changes
    client.force_login(owner)
    page = client.get("/analytics/").content.decode()
    warnings = page[page.index('id="analytics-warnings"') : page.index('id="analytics-kpis"')]
    assert "BG/NBD could not be used: The fit failed: overflow" in warnings
    assert "scored with Pareto/NBD instead of BG/NBD" in warnings
    assert "lifetime value" in warnings and "Mean lifetime value went from" in warnings
    assert page.index('id="analytics-warnings"') < page.index('id="analytics-kpis"')
    # a salesperson limited to their own customers reads the same warnings, without the
    # business's mean lifetime value
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    client.force_login(UserFactory(role=Role.SALES))
    page = client.get("/analytics/").content.decode()
    warnings = page[page.index('id="analytics-warnings"') : page.index('id="analytics-kpis"')]
    assert "scored with Pareto/NBD instead of BG/NBD" in warnings
    assert "Mean lifetime value went from" not in warnings
    assert "for 0 customers" in page
