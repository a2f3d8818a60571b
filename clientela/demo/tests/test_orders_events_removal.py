"""The demo's orders and events are the same for a seed and go away with the demo."""

import pytest

from clientela.analytics.models import AnalysisRun
from clientela.campaigns.models import Campaign, CampaignMember, Segment
from clientela.customers.models import Customer
from clientela.demo.generator import build_demo, demo_remove
from clientela.events.models import Event, EventProduct, EventSale
from clientela.orders.models import Order, OrderChange, OrderLine, Payment, Product

HISTORY_DAYS = 400


def small_demo(seed: int = 2024):
    return build_demo(customers=40, seed=seed, history_days=HISTORY_DAYS)


@pytest.mark.django_db
def test_the_same_seed_gives_the_same_orders_and_events():
    def snapshot():
        orders = Order.objects.order_by("id").values_list(
            "customer__name", "order_date", "due_date", "status", "total", "paid", "delivered_on"
        )
        sales = EventSale.objects.order_by("id").values_list(
            "item__event__name", "item__product__sku", "sold_on", "quantity"
        )
        return list(orders), list(sales), list(OrderChange.objects.values_list("changes"))

    small_demo(seed=5)
    first = snapshot()
    demo_remove()
    small_demo(seed=5)
    again = snapshot()

    assert first == again
    assert first[0] and first[1]


@pytest.mark.django_db
def test_removing_the_demo_removes_its_orders_events_and_their_history():
    small_demo()
    assert Payment.objects.exists() and OrderChange.objects.exists()

    demo_remove()

    for model in (Payment, OrderChange, OrderLine, Order, EventSale, EventProduct, Event, Product):
        assert not model.objects.exists(), model
    assert not Customer.objects.exists()
    for model in (Campaign, CampaignMember, Segment, AnalysisRun):
        assert not model.objects.exists(), model
    for model in (Order, OrderLine, Payment, Product, Event, EventProduct, EventSale):
        assert not model.history.exists(), model
