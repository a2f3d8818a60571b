"""Taking an order with the keyboard: the customer found by typing its name, lines added
and removed without reloading the page, each product's price and the running total."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clientela.core.models import Role
from clientela.customers.tests.factories import PASSWORD, CustomerFactory, UserFactory
from clientela.orders.models import Order
from clientela.orders.services import product_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_type_a_name_pick_it_add_and_remove_lines_and_save(page):
    UserFactory(username="teresa", first_name="Teresa", role=Role.SALES)
    CustomerFactory(name="Cazuelas Doña Mary")
    sur = CustomerFactory(name="Cazuelas del Sur")
    CustomerFactory(
        name="Panadería La Espiga", addresses=[{"street": "Reforma 1", "city": "Puebla"}]
    )
    product_create(actor=None, sku="CON-1", name="Concha de vainilla", unit_price=Decimal("12.50"))
    product_create(actor=None, sku="BOL-1", name="Bolillo", unit_price=Decimal("3.00"))
    due = timezone.localdate() + timedelta(days=3)

    page.goto(page.base_url + "/login/")
    page.get_by_label("Username").fill("teresa")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.goto(page.base_url + "/orders/new/")
    page.evaluate("window.notReloaded = true")  # gone if the page reloads

    # When she types part of a name, the suggestions show as a listbox
    customer = page.get_by_role("combobox", name="Customer")
    customer.press_sequentially("cazuelas", delay=20)
    listbox = page.get_by_role("listbox", name="Customers found")
    expect(listbox.get_by_role("option")).to_have_count(2)
    expect(customer).to_have_attribute("aria-expanded", "true")

    # And picks the second with the arrow keys and Enter (which does not save yet)
    customer.press("ArrowDown")
    customer.press("ArrowDown")
    expect(customer).to_have_attribute("aria-activedescendant", f"customer-option-{sur.pk}")
    customer.press("Enter")
    expect(customer).to_have_value("Cazuelas del Sur")
    expect(listbox).to_be_hidden()
    # Then she is told the customer has no address to deliver to
    expect(page.locator("#address-warning")).to_contain_text("has no delivery address yet")

    page.get_by_label("Due delivery date").fill(due.isoformat())
    # When she picks a product its price shows, and the total follows the lines
    page.get_by_label("Product (line 1)").select_option(label="Concha de vainilla · CON-1")
    expect(page.locator("#line-0-price")).to_have_text("MX$12.50 per pza")
    page.get_by_label("Quantity (line 1)").fill("4")
    expect(page.locator("#lines-total")).to_have_text("MX$50.00")

    # And adds two lines without a reload, the new line's product focused
    page.get_by_role("button", name="Add a line").click()
    product_2 = page.get_by_label("Product (line 2)")
    expect(product_2).to_be_focused()
    product_2.select_option(label="Bolillo · BOL-1")
    expect(page.locator("#line-1-price")).to_have_text("MX$3.00 per pza")
    page.keyboard.press("Tab")
    page.keyboard.type("10")
    expect(page.locator("#lines-total")).to_have_text("MX$80.00")
    page.get_by_role("button", name="Add a line").click()
    page.get_by_label("Product (line 3)").select_option(label="Bolillo · BOL-1")
    # A quantity that does not read is not counted, and the total says why
    total = page.locator("#lines-total")
    page.get_by_label("Quantity (line 3)").fill("1,0,0")
    expect(total).to_contain_text("Line 3 is not counted: Quantity: Type a number")
    expect(total).to_contain_text("MX$80.00")
    # and so is a product already on another line
    page.get_by_label("Quantity (line 3)").fill("1")
    expect(total).to_contain_text("Line 3 is not counted: Product: BOL-1 is already on line 2")

    # And removes the first and the third
    page.get_by_role("button", name="Remove line 1").click()
    page.get_by_role("button", name="Remove line 3").click()
    expect(page.locator("#lines-total")).to_have_text("MX$30.00")
    assert page.evaluate("window.notReloaded") is True

    # Then saving keeps only the line left, for the customer picked
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#order-status")).to_have_text("Draft")
    order = Order.objects.get()
    assert order.customer == sur and order.total == Decimal("30.00")
    assert [(line.product.sku, line.quantity) for line in order.lines.all()] == [
        ("BOL-1", Decimal("10"))
    ]
