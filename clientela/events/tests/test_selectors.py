"""Reading events: lists, one event, and estimated vs actual on a hand-built fair."""

from datetime import date
from decimal import Decimal as D

import pytest

from clientela.events.selectors import event_comparison, event_get, event_list, event_next
from clientela.events.services import event_item_set, event_sale_record
from clientela.events.tests.factories import EventFactory, ProductFactory

pytestmark = pytest.mark.django_db

DAY_1 = date(2024, 6, 10)
DAY_2 = date(2024, 6, 11)


@pytest.fixture
def fair():
    """Two days; three products, one of them at a price of its own and sold on one day."""
    event = EventFactory(start_date=DAY_1, duration_days=2)
    plan = [
        ("Bolillo", D("3.35"), None, 200, 150, {DAY_1: 90, DAY_2: D("70.25")}),
        ("Concha", D("12.50"), None, 100, 80, {DAY_1: 30, DAY_2: D("45.5")}),
        ("Pan de muerto", D("45.00"), D("49.99"), 12, 6, {DAY_1: 7}),
    ]
    for name, list_price, price, brought, expected, sold in plan:
        item = event_item_set(
            actor=None,
            event=event,
            product=ProductFactory(name=name, unit_price=list_price),
            quantity_brought=brought,
            quantity_expected=expected,
            unit_price=price,
        )
        for day, quantity in sold.items():
            event_sale_record(actor=None, item=item, sold_on=day, quantity=quantity)
    return event


def test_comparison_per_product_by_hand(fair, django_assert_num_queries):
    with django_assert_num_queries(2):
        comparison = event_comparison(event=fair)

    bolillo, concha, pan_de_muerto = comparison.rows
    assert [row.product.name for row in comparison.rows] == [
        "Bolillo",
        "Concha",
        "Pan de muerto",
    ]
    # Bolillo: 90 + 70.25 sold of 200 brought, 150 expected, at 3.35.
    assert bolillo.sold_by_day == {DAY_1: D("90"), DAY_2: D("70.25")}
    assert bolillo.sold == D("160.25")
    assert bolillo.difference == D("10.25")
    assert bolillo.sell_through_percent == D("80.13")  # 80.125 rounded half up
    assert bolillo.leftover == D("39.75")
    assert bolillo.waste_percent == D("19.88")  # 19.875
    assert bolillo.revenue == D("536.84")  # 536.8375
    assert bolillo.expected_revenue == D("502.50")
    # Concha: 30 + 45.5 of 100, 80 expected, at 12.50.
    assert (concha.sold, concha.difference, concha.leftover) == (D("75.5"), D("-4.5"), D("24.5"))
    assert (concha.sell_through_percent, concha.waste_percent) == (D("75.50"), D("24.50"))
    assert (concha.revenue, concha.expected_revenue) == (D("943.75"), D("1000.00"))
    # Pan de muerto: 7 of 12 on the first day only, at the event's own price 49.99.
    assert pan_de_muerto.sold_by_day == {DAY_1: D("7"), DAY_2: D("0")}
    assert pan_de_muerto.sell_through_percent == D("58.33")  # 58.333…
    assert pan_de_muerto.waste_percent == D("41.67")  # 41.666…
    assert (pan_de_muerto.revenue, pan_de_muerto.expected_revenue) == (D("349.93"), D("299.94"))


def test_comparison_in_total_by_hand(fair):
    total = event_comparison(event=fair).total

    assert total.product is None
    assert (total.brought, total.expected) == (D("312"), D("236"))
    assert total.sold_by_day == {DAY_1: D("127"), DAY_2: D("115.75")}
    assert total.sold == D("242.75")
    assert total.difference == D("6.75")
    assert total.sell_through_percent == D("77.80")  # 242.75 / 312 = 77.804…
    assert total.leftover == D("69.25")
    assert total.waste_percent == D("22.20")  # 22.195…
    assert total.revenue == D("1830.52")  # 536.84 + 943.75 + 349.93
    assert total.expected_revenue == D("1802.44")  # 502.50 + 1000.00 + 299.94


def test_comparison_of_an_event_with_nothing_brought_has_no_percentages():
    event = EventFactory()
    event_item_set(
        actor=None, event=event, product=ProductFactory(), quantity_brought=0, quantity_expected=0
    )

    comparison = event_comparison(event=event)

    assert comparison.rows[0].sell_through_percent is None
    assert comparison.total.waste_percent is None
    assert comparison.total.revenue == D("0")


def test_list_filters_by_kind_location_and_year_with_totals_sold(fair):
    EventFactory(kind="market", location="Mercado de Coyoacán", start_date=date(2023, 3, 4))

    assert [e.pk for e in event_list(year=2024)] == [fair.pk]
    assert [e.location for e in event_list(location="coyoa")] == ["Mercado de Coyoacán"]
    assert [e.kind for e in event_list(kind="market")] == ["market"]
    assert [e.quantity_sold for e in event_list()] == [D("242.75"), D("0")]


def test_get_reads_items_and_sales_in_a_fixed_number_of_queries(fair, django_assert_num_queries):
    with django_assert_num_queries(3):
        event = event_get(pk=fair.pk)
        sold = {
            item.product.name: [sale.quantity for sale in item.sales.all()]
            for item in event.items.all()
        }

    assert sold == {
        "Bolillo": [D("90"), D("70.25")],
        "Concha": [D("30"), D("45.5")],
        "Pan de muerto": [D("7")],
    }


@pytest.mark.django_db
def test_the_next_event_is_the_one_on_now_or_the_first_to_come():
    today = date(2024, 6, 12)
    EventFactory(name="Over", start_date=date(2024, 6, 9), duration_days=3)
    later = EventFactory(name="Later", start_date=date(2024, 6, 20))
    EventFactory(name="Even later", start_date=date(2024, 7, 1))

    assert event_next(today=today) == later
    on_now = EventFactory(name="On now", start_date=date(2024, 6, 11), duration_days=2)
    assert event_next(today=today) == on_now
    assert event_next(today=date(2024, 7, 3)) is None
