"""The event page on a phone: the daily-sales grid, typed at the stall, comes first."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clientela.core.models import Role
from clientela.customers.tests.factories import PASSWORD, UserFactory
from clientela.events.services import event_item_set
from clientela.events.tests.factories import EventFactory, ProductFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _sign_in(page):
    UserFactory(username="teresa", first_name="Teresa", role=Role.SALES)
    page.goto(page.base_url + "/login/")
    page.get_by_label("Username").fill("teresa")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Hello, Teresa")).to_be_visible()


@pytest.mark.parametrize(("width", "grid_first"), [(390, True), (1366, False)])
def test_the_sales_grid_comes_before_the_products_on_a_phone(page, width, grid_first):
    today = timezone.localdate()
    event = EventFactory(name="Tianguis", start_date=today - timedelta(days=1), duration_days=2)
    for name in ("Bolillo", "Concha", "Oreja"):
        event_item_set(
            actor=None,
            event=event,
            product=ProductFactory(name=name, unit_price=Decimal("5.00")),
            quantity_brought=50,
            quantity_expected=40,
        )
    _sign_in(page)
    page.set_viewport_size({"width": width, "height": 800})

    page.goto(f"{page.base_url}/events/{event.pk}/")

    grid = page.locator("#sales").bounding_box()
    products = page.locator("#products").bounding_box()
    assert (grid["y"] < products["y"]) is grid_first
