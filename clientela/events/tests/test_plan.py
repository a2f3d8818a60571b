"""The plan for a new event, fed from the database."""

from datetime import date
from decimal import Decimal as D

import pytest

from clientela.events.forecast import Basis
from clientela.events.selectors import event_plan, event_plan_for
from clientela.events.services import event_item_set, event_sale_record
from clientela.events.tests.factories import EventFactory, ProductFactory

pytestmark = pytest.mark.django_db


def held(start: date, days: int, sold: dict, location: str = "Plaza Mayor"):
    """An event where each product sold the given quantity per day."""
    event = EventFactory(location=location, start_date=start, duration_days=days)
    for product, per_day in sold.items():
        item = event_item_set(
            actor=None, event=event, product=product, quantity_brought=500, quantity_expected=100
        )
        for day, quantity in zip(event.days(), per_day, strict=True):
            event_sale_record(actor=None, item=item, sold_on=day, quantity=quantity)
    return event


@pytest.fixture
def products():
    """Sold by the kilo, so that suggestions keep their decimals (pieces are whole)."""
    return {
        name: ProductFactory(name=name, unit="kg")
        for name in ("Bolillo", "Concha", "Rosca", "Sin vender")
    }


@pytest.fixture
def history(products):
    """Plaza Mayor on 2023-06-10 (1 day) and 2024-01-15 (2 days)."""
    first = held(
        date(2023, 6, 10),
        1,
        {products["Bolillo"]: [40], products["Concha"]: [10], products["Rosca"]: [5]},
    )
    second = held(date(2024, 1, 15), 2, {products["Bolillo"]: [60, 40]})
    products["Rosca"].is_active = False
    products["Rosca"].save()
    # Brought to the second event but nothing recorded: says nothing about it.
    event_item_set(
        actor=None,
        event=second,
        product=products["Sin vender"],
        quantity_brought=5,
        quantity_expected=5,
    )
    return first, second


def test_plan_for_a_new_event_by_hand(history, products, django_assert_num_queries):
    first, second = history

    with django_assert_num_queries(3):
        plan = event_plan_for(
            kind="market", location="plaza mayor", start_date=date(2024, 6, 10), duration_days=1
        )

    # Weights: 2023-06-10 is 366 days back, in season (×2); 2024-01-15 is 147 days back.
    w_first, w_second = 2 * 0.5 ** (366 / 365), 0.5 ** (147 / 365)
    bolillo = (w_first * 40 + w_second * 50) / (w_first + w_second)
    assert plan.basis is Basis.LOCATION
    assert plan.events == [first, second]
    assert [line.product for line in plan.lines] == [products["Bolillo"], products["Concha"]]
    assert plan.lines[0].quantity == pytest.approx(D(bolillo), abs=D("0.0005"))
    assert plan.lines[0].quantity.as_tuple().exponent == -3
    assert (plan.lines[0].events_used, plan.lines[1].quantity) == (2, D("10.000"))
    # The second event planned from the first: 40 a day × 2 = 80, sold 100.
    assert plan.lines[0].mae == pytest.approx(20)
    assert plan.lines[0].wape == pytest.approx(0.2)
    assert plan.overall_wape == pytest.approx(0.2)
    assert plan.explanation == "Suggested from past events at plaza mayor."


def test_plan_of_an_event_uses_only_the_events_over_before_it(history, products):
    first, second = history

    plan = event_plan(event=second)

    assert plan.events == [first]
    assert [(line.product.name, line.quantity) for line in plan.lines] == [
        ("Bolillo", D("80.000")),
        ("Concha", D("20.000")),
    ]


def test_no_similar_event_says_so_and_suggests_nothing(history):
    plan = event_plan_for(
        kind="expo", location="Monterrey", start_date=date(2024, 6, 10), duration_days=3
    )

    assert plan.basis is None
    assert (plan.lines, plan.events, plan.overall_wape) == ([], [], None)
    assert "nothing to suggest" in plan.explanation
