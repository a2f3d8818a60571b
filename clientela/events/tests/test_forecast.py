"""The planning method on a hand-built history, without the database."""

from datetime import date

import pytest

from clientela.events.forecast import (
    Basis,
    EventShape,
    ForecastOptions,
    PastEvent,
    event_weight,
    plan,
    similar_events,
)

BOLILLO, CONCHA = 1, 2
OPTIONS = ForecastOptions(half_life_days=365, season_factor=2, season_months=1)

# Newest last. Ages (days) to 2024-06-10: E 710, A 364, B 192.
E = PastEvent(5, "fair", "Plaza Mayor", date(2022, 7, 1), 1, {BOLILLO: 60})
A = PastEvent(1, "fair", "Plaza Mayor", date(2023, 6, 12), 2, {BOLILLO: 100, CONCHA: 40})
B = PastEvent(2, "market", " plaza  MAYOR", date(2023, 12, 1), 1, {BOLILLO: 30})
C = PastEvent(3, "fair", "Feria Norte", date(2024, 5, 1), 3, {BOLILLO: 999})
# Starts the day before and is still on when the new event starts: not history yet.
D = PastEvent(4, "fair", "Plaza Mayor", date(2024, 6, 9), 2, {BOLILLO: 5000})
HISTORY = [E, A, B, C, D]

NEW = EventShape(kind="fair", location="Plaza Mayor", start_date=date(2024, 6, 10), duration_days=2)


def test_weights_decay_by_half_life_and_count_more_in_season():
    assert event_weight(E, NEW, OPTIONS) == pytest.approx(2 * 0.5 ** (710 / 365))  # July ~ June
    assert event_weight(A, NEW, OPTIONS) == pytest.approx(2 * 0.5 ** (364 / 365))
    assert event_weight(B, NEW, OPTIONS) == pytest.approx(0.5 ** (192 / 365))  # December
    a_year_before = PastEvent(9, "fair", "X", date(2023, 6, 11), 1, {})
    assert event_weight(a_year_before, NEW, ForecastOptions(season_factor=1)) == pytest.approx(0.5)


def test_december_and_january_are_the_same_season():
    january = EventShape("fair", "X", date(2024, 1, 20), 1)
    december = PastEvent(9, "fair", "X", date(2023, 12, 20), 1, {})

    assert event_weight(december, january, OPTIONS) == pytest.approx(2 * 0.5 ** (31 / 365))


def test_suggestion_is_the_weighted_mean_of_daily_sales_times_the_new_days():
    result = plan(NEW, HISTORY, OPTIONS)

    w_e, w_a, w_b = 2 * 0.5 ** (710 / 365), 2 * 0.5 ** (364 / 365), 0.5 ** (192 / 365)
    bolillo, concha = result.products
    assert result.basis is Basis.LOCATION
    assert result.event_ids == (5, 1, 2)  # C elsewhere, D not over yet
    assert bolillo.product_id == BOLILLO
    # Daily: E 60/1, A 100/2, B 30/1; the new event lasts 2 days.
    assert bolillo.suggested == pytest.approx(
        2 * (w_e * 60 + w_a * 50 + w_b * 30) / (w_e + w_a + w_b)
    )
    assert bolillo.events_used == 3
    # Only A recorded conchas: 40 in 2 days.
    assert (concha.suggested, concha.events_used) == (pytest.approx(40), 1)


def test_backtest_plans_each_past_event_from_the_events_before_it():
    result = plan(NEW, HISTORY, OPTIONS)

    bolillo, concha = result.products
    # E: nothing before it. A (2 days): only E before it → 60 a day × 2 = 120, sold 100.
    # B (1 day): E (518 days before, July vs December) and A (172 days, June vs December).
    w_e, w_a = 0.5 ** (518 / 365), 0.5 ** (172 / 365)
    for_b = (w_e * 60 + w_a * 50) / (w_e + w_a)
    assert [(p.event_id, p.suggested, p.actual) for p in bolillo.backtest] == [
        (1, pytest.approx(120), 100),
        (2, pytest.approx(for_b), 30),
    ]
    assert bolillo.mae == pytest.approx((20 + abs(for_b - 30)) / 2)
    assert bolillo.wape == pytest.approx((20 + abs(for_b - 30)) / 130)
    # Conchas were only at A, where nothing before could suggest them.
    assert (concha.backtest, concha.mae, concha.wape) == ((), None, None)
    assert result.overall_wape == pytest.approx(bolillo.wape)


def test_without_events_at_the_location_events_of_the_same_kind_are_used():
    elsewhere = EventShape("fair", "Feria Sur", date(2024, 6, 10), 1)

    basis, similar = similar_events(elsewhere, HISTORY)

    assert basis is Basis.KIND
    assert [event.id for event in similar] == [5, 1, 3]


def test_no_similar_events_means_no_suggestion():
    result = plan(EventShape("expo", "Monterrey", date(2024, 6, 10), 3), HISTORY, OPTIONS)

    assert result.basis is None
    assert (result.event_ids, result.products, result.overall_wape) == ((), (), None)


def test_only_events_over_before_the_new_one_starts_count():
    new = EventShape("fair", "Plaza Mayor", date(2024, 6, 10), 1)
    over_the_day_before = PastEvent(1, "fair", "Plaza Mayor", date(2024, 6, 8), 2, {BOLILLO: 10})
    still_on = PastEvent(2, "fair", "Plaza Mayor", date(2024, 6, 9), 2, {BOLILLO: 90})
    later = PastEvent(3, "fair", "Plaza Mayor", date(2024, 7, 1), 1, {BOLILLO: 90})

    result = plan(new, [over_the_day_before, still_on, later])

    assert result.event_ids == (1,)
    assert result.products[0].suggested == pytest.approx(5)


def test_options_out_of_range_are_refused():
    with pytest.raises(ValueError):
        ForecastOptions(half_life_days=0)
