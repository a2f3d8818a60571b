"""The plan for a new event, fed from the database, and using it."""

from datetime import date
from decimal import ROUND_CEILING
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError

from clientela.core.access import AccessDenied
from clientela.events.forecast import Basis
from clientela.events.models import EventProduct
from clientela.events.selectors import event_plan, event_plan_for
from clientela.events.services import event_item_set, event_plan_apply, event_sale_record
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


# --- using the plan -------------------------------------------------------------------


def _lines(event) -> list[tuple[str, D, D]]:
    """The event's products as (name, expected, brought)."""
    return list(
        EventProduct.objects.filter(event=event)
        .order_by("product__name")
        .values_list("product__name", "quantity_expected", "quantity_brought")
    )


def test_using_the_plan_expects_each_suggestion_and_brings_it_rounded_up(history, products, sales):
    # given a two-day fair at Plaza Mayor with nothing brought yet, and its plan
    event = EventFactory(start_date=date(2024, 6, 10), duration_days=2)
    suggested = event_plan(event=event)
    bolillo = suggested.lines[0].quantity
    assert bolillo != bolillo.to_integral_value()  # by the kilo: rounding up shows

    # when a salesperson uses the plan
    plan = event_plan_apply(actor=sales, event=event)

    # then each suggested product expects the suggestion and brings it in whole units
    assert plan.lines == suggested.lines
    assert _lines(event) == [
        ("Bolillo", bolillo, bolillo.to_integral_value(ROUND_CEILING)),
        ("Concha", D("20.000"), D(20)),
    ]
    change = EventProduct.history.filter(event=event, product=products["Bolillo"]).get()
    assert (change.history_user, change.history_change_reason) == (sales, "From the plan")


def test_a_refused_line_leaves_every_product_of_the_event_as_it_was(history, products, sales):
    # given a fair where 30 conchas sold already, more than the plan would bring (20)
    event = EventFactory(start_date=date(2024, 6, 10), duration_days=2)
    concha = event_item_set(
        actor=None,
        event=event,
        product=products["Concha"],
        quantity_brought=50,
        quantity_expected=30,
    )
    event_sale_record(actor=None, item=concha, sold_on=date(2024, 6, 10), quantity=30)
    before = _lines(event)

    # when the plan is used
    with pytest.raises(ValidationError) as refused:
        event_plan_apply(actor=sales, event=event)

    # then it is refused naming the product and why, and no product changed
    assert refused.value.messages == [
        "Concha: 30 have already sold; no less than that can have been brought."
    ]
    assert _lines(event) == before == [("Concha", D("30.000"), D("50.000"))]


def test_a_plan_without_suggestions_writes_nothing(history, sales):
    event = EventFactory(kind="expo", location="Monterrey", start_date=date(2024, 6, 10))

    plan = event_plan_apply(actor=sales, event=event)

    assert plan.lines == [] and "nothing to suggest" in plan.explanation
    assert _lines(event) == []


def test_only_who_may_change_events_may_use_the_plan(history, readonly):
    event = EventFactory(start_date=date(2024, 6, 10), duration_days=2)

    with pytest.raises(AccessDenied):
        event_plan_apply(actor=readonly, event=event)

    assert _lines(event) == []
