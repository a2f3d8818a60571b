"""An order from start to paid: take it, confirm it, renegotiate it, deliver it, get paid."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clientela.core.models import Role
from clientela.customers.tests.factories import PASSWORD, CustomerFactory, UserFactory
from clientela.orders.models import Order, OrderStatus
from clientela.orders.services import product_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_take_confirm_renegotiate_deliver_and_get_paid(page):
    UserFactory(username="lucia", first_name="Lucía", role=Role.OWNER)
    customer = CustomerFactory(
        name="Cafetería El Molino",
        addresses=[{"street": "Av. Reforma 222", "city": "Puebla"}],
    )
    product_create(actor=None, sku="CON-1", name="Concha de vainilla", unit_price=Decimal("12.50"))
    due = timezone.localdate() + timedelta(days=3)

    # Given a signed-in owner
    page.goto(page.base_url + "/login/")
    page.get_by_label("Username").fill("lucia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Hello, Lucía")).to_be_visible()

    # When she takes an order of 4 conchas for the café
    page.get_by_role("link", name="Orders").first.click()
    page.get_by_role("link", name="New order").click()
    page.get_by_label("Customer", exact=True).fill(str(customer.pk))
    page.get_by_label("Due delivery date").fill(due.isoformat())
    page.get_by_label("Product (line 1)").select_option(label="Concha de vainilla · CON-1")
    page.get_by_label("Quantity (line 1)").fill("4")
    page.get_by_role("button", name="Save").click()

    # Then the draft order shows its total
    expect(page.locator("#order-status")).to_have_text("Draft")
    expect(page.locator("#order-total")).to_have_text("MX$50.00")
    expect(page.get_by_text("Av. Reforma 222")).to_be_visible()

    # When she confirms it
    page.get_by_role("button", name="Confirm").click()
    expect(page.locator("#order-status")).to_have_text("Confirmed")

    # And changes the quantity, saying why
    page.get_by_role("link", name="Change").click()
    page.get_by_label("Quantity (line 1)").fill("6")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#id_reason_error")).to_contain_text("required")
    page.get_by_label("Reason for the change").fill("They expect more guests")
    page.get_by_role("button", name="Save").click()

    # Then the timeline shows what changed, who changed it and why
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("They expect more guests")
    expect(timeline).to_contain_text("Quantity · CON-1")
    expect(timeline.locator(".change-old")).to_have_text("4")
    expect(timeline.locator(".change-new")).to_have_text("6")
    expect(page.locator("#order-total")).to_have_text("MX$75.00")

    # When it is produced and delivered today
    page.get_by_role("button", name="Start production").click()
    page.get_by_role("button", name="Mark ready").click()
    page.get_by_role("button", name="Mark delivered").click()
    expect(page.locator("#order-status")).to_have_text("Delivered")

    # And the customer pays part of it
    page.get_by_label("Amount").fill("50")
    page.get_by_label("Method").select_option(label="Cash")
    page.get_by_role("button", name="Record the payment").click()

    # Then the balance is what is left
    expect(page.locator("#order-paid")).to_have_text("MX$50.00")
    expect(page.locator("#order-balance")).to_have_text("MX$25.00")
    order = Order.objects.get()
    assert order.status == OrderStatus.DELIVERED
    assert order.delivered_on == timezone.localdate()
    assert order.balance == Decimal("25.00")
