"""The home page as the day's work: each count opens a list of that many rows; money
owed leads to the order's payment form."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clientela.core.models import Role
from clientela.customers.tests.factories import PASSWORD, CustomerFactory, UserFactory
from clientela.orders import services

pytestmark = pytest.mark.django_db(transaction=True)

TODAY = timezone.localdate()


def _confirmed(customer, product, *, due, quantity):
    order = services.order_create(
        actor=None,
        customer=customer,
        order_date=min(due, TODAY) - timedelta(days=2),
        due_date=due,
        lines=[{"product": product, "quantity": quantity}],
    )
    return services.order_transition(actor=None, order=order, version=order.version, to="confirmed")


def test_the_home_counts_open_their_lists_and_money_owed_gets_paid(page):
    UserFactory(username="lucia", first_name="Lucía", role=Role.OWNER)
    molino = CustomerFactory(name="Cafetería El Molino")
    espiga = CustomerFactory(name="Panadería La Espiga")
    concha = services.product_create(
        actor=None, sku="CON-1", name="Concha", unit_price=Decimal("12.50")
    )
    _confirmed(molino, concha, due=TODAY, quantity=4)
    _confirmed(espiga, concha, due=TODAY, quantity=2)
    _confirmed(espiga, concha, due=TODAY - timedelta(days=35), quantity=8)
    services.order_create(
        actor=None, customer=molino, due_date=TODAY, lines=[{"product": concha, "quantity": 1}]
    )

    # Given the owner signed in, on the home page
    page.goto(page.base_url + "/login/")
    page.get_by_label("Username").fill("lucia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Hello, Lucía")).to_be_visible()

    def card(label: str):
        return page.locator(".card").filter(has=page.get_by_role("heading", name=label, exact=True))

    # When she follows each count, the list it opens has that many rows
    for label, count in (
        ("Deliveries today", 2),
        ("Overdue deliveries", 1),
        ("Orders to confirm", 1),
    ):
        expect(card(label).locator(".stat-value")).to_have_text(str(count))
        card(label).get_by_role("link").click()
        expect(page.locator("#order-results tbody tr")).to_have_count(count)
        page.go_back()

    # And money owed says how much and how many orders, and opens them
    expect(card("Money owed").locator(".stat-value")).to_have_text("MX$175.00")
    expect(card("Money owed").locator("[data-detail]")).to_have_text("3 orders")
    card("Overdue payments").get_by_role("link").click()
    expect(page.get_by_role("heading", name="Money owed")).to_be_visible()
    expect(page.locator("#owed-results tbody tr")).to_have_count(1)
    expect(page.locator("[data-days-overdue]")).to_have_text("35")

    # When she records the payment of the overdue order from there
    page.get_by_role("link", name="Record payment").click()
    expect(page.get_by_label("Amount")).to_have_value("100.00")
    page.get_by_role("button", name="Record the payment").click()
    expect(page.get_by_text("Payment recorded.")).to_be_visible()

    # Then the money owed is what is left, per customer too
    page.goto(page.base_url + "/orders/money-owed/?by=customers")
    expect(page.locator("[data-owed-total]")).to_have_text("MX$75.00")
    expect(page.locator("#owed-results tbody tr[data-customer]")).to_have_count(2)
    page.get_by_label("Show", exact=True).select_option(label="Per order")
    expect(page.locator("#owed-results tbody tr[data-order]")).to_have_count(2)
