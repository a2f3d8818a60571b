"""The home page: the day's work, each figure opening a list of exactly that many rows,
as each role needs it."""

import html
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clientela.analytics.models import AnalysisRun, CustomerScore, RunStatus
from clientela.core.models import Role
from clientela.customers.models import Customer
from clientela.customers.tests.factories import CustomerFactory
from clientela.events.services import event_create
from clientela.orders import services
from clientela.web import dashboard
from clientela.web.dashboard import DashboardCard, dashboard_register

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
HOME = reverse("dashboard")


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _cards(response) -> dict[str, dict]:
    """The home page's cards: title → {"value", "detail", "url"}."""
    found = re.findall(
        r'<h2 class="h6 card-title[^"]*">(?:<i [^>]*></i> )?(.*?)</h2>\s*'
        r'<p class="stat-value[^"]*">(.*?)</p>\s*'
        r'(?:<p class="small text-body-secondary mb-2" data-detail>(.*?)</p>\s*)?'
        r'<a href="([^"]*)"',
        _page(response),
        re.S,
    )
    return {
        label.strip(): {"value": value.strip(), "detail": detail.strip(), "url": url}
        for label, value, detail, url in found
    }


def _rows(response) -> int:
    """The rows a list page shows: its table's body rows, or its list of late orders."""
    page = response.content.decode()
    bodies = re.findall(r"<tbody>(.*?)</tbody>", page, re.S)
    flagged = re.search(r'<ul class="list-group mb-2" id="flagged-orders">(.*?)</ul>', page, re.S)
    if flagged:
        return flagged.group(1).count("<li ")
    return sum(body.count("<tr") for body in bodies)


def _confirmed(owner, customer, product, *, due, quantity=1, paid=0, ordered=None):
    order = services.order_create(
        actor=owner,
        customer=customer,
        order_date=ordered or min(due, TODAY) - timedelta(days=3),
        due_date=due,
        lines=[{"product": product, "quantity": quantity}],
    )
    order = services.order_transition(
        actor=None, order=order, version=order.version, to="confirmed"
    )
    if paid:
        services.payment_record(actor=owner, order=order, amount=Decimal(paid), method="cash")
    return order


def _deliver(order, *, on):
    for step in ("in_production", "ready", "delivered"):
        order = services.order_transition(
            actor=None, order=order, version=order.version, to=step, on=on
        )
    return order


@pytest.fixture
def day(owner, sales):
    """A bakery's day: deliveries due today and overdue, drafts, money owed, a late
    delivery this week, customers drifting away, an event coming, a duplicate pair. The
    salesperson owns La Espiga."""
    espiga = CustomerFactory(actor=owner, name="Panadería La Espiga", owner=sales)
    portal = CustomerFactory(actor=owner, name="Cafetería El Portal", emails=["compras@portal.mx"])
    CustomerFactory(actor=owner, name="Cafetería Portal Centro", emails=["compras@portal.mx"])
    pan = services.product_create(actor=owner, sku="PAN-1", name="Pan", unit_price=Decimal("10"))
    # due today: two of Portal's, one of La Espiga's (paid); one draft due today is no delivery
    _confirmed(owner, portal, pan, due=TODAY, quantity=2)
    _confirmed(owner, portal, pan, due=TODAY, quantity=3)
    _confirmed(owner, espiga, pan, due=TODAY, quantity=1, paid=10)
    services.order_create(
        actor=owner, customer=espiga, due_date=TODAY, lines=[{"product": pan, "quantity": 1}]
    )
    # overdue: one of La Espiga's 40 days past due, not paid
    _confirmed(owner, espiga, pan, due=TODAY - timedelta(days=40), quantity=4)
    # another draft, and a delivery this week three days late (paid)
    services.order_create(
        actor=owner,
        customer=portal,
        due_date=TODAY + timedelta(days=9),
        lines=[{"product": pan, "quantity": 1}],
    )
    late = _confirmed(owner, portal, pan, due=TODAY - timedelta(days=3), quantity=1, paid=10)
    _deliver(late, on=TODAY)
    # the latest analysis: two customers drifting away, one lost
    run = AnalysisRun.objects.create(as_of=TODAY, status=RunStatus.DONE)
    for customer, stake, flags in (
        (espiga, "1200.50", {"at_risk_by_rule": True}),
        (portal, "300.00", {"at_risk_by_model": True}),
        (CustomerFactory(actor=owner, name="Tortillería Doña Mary"), "80", {"lost_by_rule": True}),
    ):
        CustomerScore.objects.create(
            customer=customer,
            as_of=run.as_of,
            ladder_stage="customer",
            value_at_stake=Decimal(stake),
            **flags,
        )
    event_create(
        actor=owner,
        name="Feria del Pan de Coyoacán",
        kind="fair",
        location="Coyoacán",
        start_date=TODAY + timedelta(days=4),
    )
    return {"espiga": espiga, "portal": portal}


def test_the_owner_sees_the_days_work_and_each_count_opens_that_many_rows(client, owner, day):
    client.force_login(owner)

    # when the owner opens the home page
    cards = _cards(client.get(HOME))

    # then the day's work comes first, each figure as the lists count it
    assert list(cards)[:6] == [
        "Deliveries today",
        "Overdue deliveries",
        "Orders to confirm",
        "Money owed",
        "Overdue payments",
        "Drifting away",
    ]
    assert cards["Deliveries today"]["value"] == "3"
    assert cards["Overdue deliveries"]["value"] == "1"
    assert cards["Orders to confirm"]["value"] == "2"
    assert cards["Money owed"] == {
        "value": "MX$90.00",
        "detail": "3 orders",
        "url": reverse("orders:owing"),
    }
    assert cards["Overdue payments"]["value"] == "MX$40.00"
    assert cards["Overdue payments"]["detail"] == "1 order"
    assert cards["Late deliveries this week"]["value"] == "1"
    assert cards["Drifting away"]["value"] == "2"
    assert cards["Drifting away"]["detail"] == "Value at stake: MX$1,500.50"
    assert cards["Drifting away"]["url"] == reverse("analytics:scores") + "?churn=at_risk"
    assert "mine" not in cards["Late deliveries this week"]["url"]
    assert cards["Next event"]["value"] == "Feria del Pan de Coyoacán"
    assert "(in 4 days) · Coyoacán" in cards["Next event"]["detail"]
    assert cards["Possible duplicates"]["value"] == "1"
    assert cards["Drifting away, nothing planned"]["value"] == "2"  # nothing planned with them
    assert cards["Key customers not contacted"]["value"] == "0"  # no class A nor Champions
    # and every count opens a list of exactly that many rows
    counts = {
        label: card
        for label, card in cards.items()
        if card["value"].isdigit() and label != "Customers"
    }
    assert len(counts) == 9
    for label, card in counts.items():
        assert _rows(client.get(card["url"])) == int(card["value"]), label
    for label in ("Money owed", "Overdue payments"):
        orders = int(cards[label]["detail"].split()[0])
        assert _rows(client.get(cards[label]["url"])) == orders, label


def test_new_this_month_opens_only_the_customers_new_this_month(client, owner):
    # given a customer from last month and two from this month
    old = CustomerFactory(actor=owner, name="Panadería La Espiga")
    Customer.objects.filter(pk=old.pk).update(
        created_at=timezone.now().replace(day=1) - timedelta(days=2)
    )
    CustomerFactory(actor=owner, name="Tortillería Doña Mary")
    CustomerFactory(actor=owner, name="Cafetería El Portal")
    # and one entered today who has been a customer for years
    CustomerFactory(actor=owner, name="Abarrotes Lupita", customer_since=date(2019, 1, 15))
    client.force_login(owner)

    # when the owner follows "New this month"
    card = _cards(client.get(HOME))["New this month"]
    listed = client.get(card["url"])

    # then it counts two and the list it opens holds those two, newest first
    assert card["value"] == "2"
    assert _rows(listed) == 2
    assert "Panadería La Espiga" not in _page(listed)
    assert "Abarrotes Lupita" not in _page(listed)
    assert "Customers new since" in _page(listed)


def test_a_salesperson_sees_their_own_customers_work(client, owner, sales, day):
    # given two late deliveries of La Espiga's this week besides Portal's
    pan = services.product_create(actor=owner, sku="PAN-2", name="Bolillo", unit_price=1)
    for days in (4, 6):
        late = _confirmed(owner, day["espiga"], pan, due=TODAY - timedelta(days=days), paid=1)
        _deliver(late, on=TODAY)
    client.force_login(sales)

    # when the salesperson (who may see every customer) opens the home page
    cards = _cards(client.get(HOME))

    # then the figures are their own customers', and open their lists
    assert cards["Deliveries today"]["value"] == "1"
    assert cards["Overdue deliveries"]["value"] == "1"
    assert cards["Orders to confirm"]["value"] == "1"
    assert cards["Money owed"]["value"] == "MX$40.00"
    assert cards["Late deliveries this week"]["value"] == "2"
    assert cards["Drifting away"]["value"] == "1"
    assert cards["Drifting away"]["detail"] == "Value at stake: MX$1,200.50"
    counted = (
        "Deliveries today",
        "Overdue deliveries",
        "Orders to confirm",
        "Late deliveries this week",
        "Drifting away",
    )
    for label in counted:
        assert "mine=on" in cards[label]["url"], label
        listed = client.get(cards[label]["url"])
        assert _rows(listed) == int(cards[label]["value"]), label
        assert "Cafetería El Portal" not in _page(listed), label
    assert _rows(client.get(cards["Money owed"]["url"])) == 1
    # while the owner's same cards still count the whole business
    client.force_login(owner)
    for_owner = _cards(client.get(HOME))
    assert for_owner["Late deliveries this week"]["value"] == "3"
    assert for_owner["Drifting away"]["value"] == "2"
    for label in ("Late deliveries this week", "Drifting away"):
        assert _rows(client.get(for_owner[label]["url"])) == int(for_owner[label]["value"])


def test_a_limited_salesperson_counts_only_the_customers_they_see(client, settings, sales, day):
    settings.CLIENTELA_SALES_OWN_CUSTOMERS_ONLY = True
    client.force_login(sales)

    cards = _cards(client.get(HOME))

    assert cards["Customers"]["value"] == "1"
    assert cards["Drifting away"]["value"] == "1"
    assert cards["Drifting away"]["detail"] == "Value at stake: MX$1,200.50"
    assert cards["Late deliveries this week"]["value"] == "0"


def test_support_sees_the_deliveries_not_money_nor_sales_work(client, support, day):
    client.force_login(support)

    cards = _cards(client.get(HOME))

    assert cards["Deliveries today"]["value"] == "3"
    assert cards["Overdue deliveries"]["value"] == "1"
    assert "Late deliveries this week" in cards and "Next event" in cards
    for sales_work in ("Orders to confirm", "Money owed", "Overdue payments", "Drifting away"):
        assert sales_work not in cards


def ticket_cards(user):
    """A later app's provider of cards, registered by its dotted path."""
    return [DashboardCard("Open tickets", 4, "/tickets/", order=1)]


def test_cards_can_be_kept_to_some_roles(client, support, owner, monkeypatch):
    # given a later app's card for the support team only, shown before the others
    monkeypatch.setattr(dashboard, "_providers", dict(dashboard._providers))
    dashboard_register("tickets", f"{__name__}.ticket_cards", roles=[Role.SUPPORT])

    client.force_login(support)
    for_support = _cards(client.get(HOME))
    client.force_login(owner)
    for_owner = _cards(client.get(HOME))

    assert next(iter(for_support)) == "Open tickets"
    assert "Open tickets" not in for_owner


def test_the_home_page_runs_the_same_number_of_queries_however_much_work(client, owner, day):
    client.force_login(owner)
    client.get(HOME)
    with CaptureQueriesContext(connection) as some:
        client.get(HOME)
    pan = services.product_create(actor=owner, sku="PAN-2", name="Bolillo", unit_price=1)
    for number in range(8):
        customer = CustomerFactory(actor=owner, name=f"Cliente {number}")
        _confirmed(owner, customer, pan, due=TODAY - timedelta(days=number * 20), quantity=3)

    with CaptureQueriesContext(connection) as more:
        client.get(HOME)

    assert len(more) == len(some)


def test_an_empty_business(client, owner):
    client.force_login(owner)

    cards = _cards(client.get(HOME))

    assert cards["Money owed"]["value"] == "MX$0.00"
    assert cards["Next event"]["value"] == "None planned"
    assert cards["Drifting away"]["value"] == "0"
    assert {cards[label]["value"] for label in ("Deliveries today", "Customers")} == {"0"}
