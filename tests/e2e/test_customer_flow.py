"""A salesperson's first minutes: log in, add a customer, fix a wrong RFC, find it, go Spanish."""

import pytest
from playwright.sync_api import expect

from clientela.core.models import Role
from clientela.customers.models import Customer
from clientela.customers.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_create_customer_fix_rfc_search_and_switch_to_spanish(page):
    UserFactory(username="lucia", first_name="Lucía", role=Role.OWNER)

    # Given a signed-in owner
    page.goto(page.base_url + "/login/")
    page.get_by_label("Username").fill("lucia")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Hello, Lucía")).to_be_visible()

    # When she adds a business with an RFC whose check digit is wrong
    page.get_by_role("link", name="Customers").first.click()
    page.get_by_role("link", name="Add a customer").click()
    page.get_by_label("Name", exact=True).fill("Cafetería El Molino")
    page.get_by_label("Tax id").fill("GODE561231GR9")
    page.get_by_role("button", name="Save").click()

    # Then the error sits beside the tax id field and nothing was saved
    tax_id = page.get_by_label("Tax id")
    expect(tax_id).to_have_attribute("aria-invalid", "true")
    error = page.locator("#id_tax_id_error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("RFC")
    expect(error).to_contain_text("check digit")
    assert not Customer.objects.filter(name="Cafetería El Molino").exists()

    # When she corrects it and saves
    tax_id.fill("GODE561231GR8")
    page.get_by_role("button", name="Save").click()

    # Then the customer page shows the normalised RFC
    expect(page.get_by_role("heading", name="Cafetería El Molino")).to_be_visible()
    expect(page.locator("#customer-tax-id")).to_have_text("RFC GODE 561231 GR8")

    # When she searches the list by the start of the RFC
    page.get_by_role("link", name="Customers").first.click()
    page.get_by_role("searchbox").fill("gode5612")
    page.get_by_role("searchbox").press("Enter")
    expect(page.get_by_role("link", name="Cafetería El Molino")).to_be_visible()
    expect(page.locator("p[data-summary]")).to_have_text("1 customer")

    # When she switches the interface to Spanish
    page.locator("#language-menu").click()
    page.get_by_role("button", name="Español").click()

    # Then the same page speaks Spanish and still shows her search
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", name="Clientes")).to_be_visible()
    expect(page.get_by_role("link", name="Cafetería El Molino")).to_be_visible()
    expect(page.locator("p[data-summary]")).to_have_text("1 cliente")
    expect(page.get_by_role("searchbox")).to_have_value("gode5612")
