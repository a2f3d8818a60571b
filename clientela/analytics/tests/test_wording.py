"""The analysis in words: a customer's figures that seem to disagree say why, and a
run's warnings say what they change."""

from datetime import date
from decimal import Decimal

from django.utils import translation

from clientela.analytics import wording
from clientela.analytics.models import AnalysisRun, CustomerScore

OPTIONS = {
    "at_risk_alive": 0.5,
    "lost_alive": 0.2,
    "at_risk_intervals": 2,
    "lost_intervals": 3,
    "clv_months": 12,
    "purchase_model": "bgnbd",
}


def _run(**figures) -> AnalysisRun:
    return AnalysisRun(
        as_of=date(2026, 12, 6),
        options=OPTIONS,
        figures={"purchase_model": "bgnbd", **figures},
        fitted_models={"bgnbd": {"status": "failed", "reason": "The fit failed: overflow"}},
    )


def test_a_one_time_buyer_lapsed_by_the_rule_but_alive_to_bgnbd_is_explained():
    # given a customer who bought once, 1,082 days ago: lapsed by their silence, while
    # BG/NBD (which lets customers leave only after a repeat purchase) says 100 %
    score = CustomerScore(
        purchases=1,
        days_since_last=1082,
        probability_alive=1.0,
        lost_by_rule=True,
        clv=Decimal("547.26"),
        expected_spend=Decimal("2579.53"),
    )

    with translation.override("en"):
        notes = wording.score_notes(score, _run())

    assert wording.churn_labels(score) == [("lapsed", "Lapsed")]
    assert "Bought only once, 1082 days ago" in notes[0]
    assert "BG/NBD lets a customer leave only right after a repeat purchase" in notes[0]
    assert "“Lapsed”" in notes[0]
    assert "their expected spend per purchase is the average customer's" in notes[1]


def test_a_class_a_customer_with_a_tiny_lifetime_value_is_explained():
    # given a class-A customer who bought every 8 days, then not for 208 days
    score = CustomerScore(
        purchases=20,
        days_since_last=208,
        usual_interval_days=7.7,
        probability_alive=9.3e-6,
        lost_by_model=True,
        lost_by_rule=True,
        pareto_class="A",
        clv=Decimal("0.35"),
        value_at_stake=Decimal("37151.72"),
    )

    with translation.override("en"):
        notes = wording.score_notes(score, _run())

    assert wording.churn_labels(score) == [("lapsed", "Lapsed"), ("likely_gone", "Likely gone")]
    assert "bought every 8 days or so but not for 208 days" in notes[0]
    assert "< 1%" in notes[0] and "37,151.72" in notes[0] and "0.35" in notes[0]
    assert notes[1].startswith("Class A looks back")


def test_the_warnings_of_a_run_whose_scoring_model_failed_say_what_they_change():
    run = _run(
        warnings=[
            {"code": "model_failed", "model": "bgnbd", "status": "failed"},
            {"code": "model_switched", "from": "bgnbd", "to": "paretonbd"},
        ]
    )

    with translation.override("en"):
        messages = wording.run_warnings(run)

    assert messages[0] == "BG/NBD could not be used: The fit failed: overflow"
    assert messages[1].startswith("The customers are scored with Pareto/NBD instead of BG/NBD")
    assert "lifetime value" in messages[1]
    with translation.override("ru"):
        assert "вместо" in wording.run_warnings(run)[1]
