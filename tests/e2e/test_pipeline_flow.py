"""The pipeline's board in a browser: a card dragged to "Won" opens its draft order with
the products of interest; the card's stage menu moves it without dragging."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from playwright.sync_api import expect

from clientela.core.models import Role
from clientela.customers.tests.factories import PASSWORD, CustomerFactory, UserFactory
from clientela.orders.services import product_create
from clientela.relations.models import Stage
from clientela.relations.services import opportunity_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _default_pipeline():
    """The stages and lost reasons a business starts with (a browser test's database is
    emptied after each test, migrations' rows with it)."""
    if not Stage.objects.exists():
        migration = importlib.import_module("clientela.relations.migrations.0002_default_pipeline")
        migration.create(apps, None)


def _sign_in(page, username: str) -> None:
    page.goto(page.base_url + "/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def _column(page, name: str):
    return page.locator("section.board-column").filter(
        has=page.get_by_role("heading", name=name, exact=True)
    )


def _drag(page, card, column) -> None:
    """Drag ``card`` (held by its customer's line: its title is a link) into ``column``
    with the mouse, in steps, as a person would: she takes it once it has settled, sees it
    lift, carries it over, and lets go once it shows in the column (SortableJS looks where
    the pointer is every 50 ms, which a slow machine stretches)."""
    opportunity = card.get_attribute("data-opportunity")
    # SortableJS ignores a press on a card still sliding into place
    page.wait_for_function("card => !card.animated", arg=card.element_handle())
    source = card.locator("p").first.bounding_box()
    target = column.locator("[data-board-cards]").bounding_box()
    page.mouse.move(source["x"] + 10, source["y"] + 5)
    page.mouse.down()
    page.mouse.move(source["x"] + 30, source["y"] + 20, steps=5)
    expect(page.locator(".sortable-fallback")).to_have_count(1)
    page.mouse.move(target["x"] + target["width"] / 2, target["y"] + 30, steps=20)
    page.mouse.move(target["x"] + target["width"] / 2 + 4, target["y"] + 34, steps=2)
    carried = column.locator(f"[data-board-cards] [data-opportunity='{opportunity}']")
    expect(carried).to_have_count(1)
    page.mouse.up()


def test_a_card_dragged_to_won_opens_a_draft_order_with_the_products(page):
    seller = UserFactory(username="marta", first_name="Marta", role=Role.SALES)
    customer = CustomerFactory(name="Hotel Casa Blanca", owner=seller)
    bolillo = product_create(actor=None, sku="BOL-1", name="Bolillo", unit_price=Decimal("3"))
    concha = product_create(actor=None, sku="CON-1", name="Concha", unit_price=Decimal("12.5"))
    deal = opportunity_create(
        actor=seller,
        customer=customer,
        title="Desayunos del hotel",
        value=Decimal("18500"),
        products=[bolillo, concha],
    )

    # Given a salesperson on the board, the deal in its first column
    _sign_in(page, "marta")
    page.get_by_role("link", name="Pipeline").first.click()
    card = page.locator(f"[data-opportunity='{deal.pk}']")
    expect(_column(page, "Lead")).to_contain_text("Desayunos del hotel")

    # When she drags it onto "Won" and keeps the offer to open a draft order
    _drag(page, card, _column(page, "Won"))
    dialog = page.locator("#won-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_label("Open a draft order with the products of interest")).to_be_checked()
    dialog.get_by_role("button", name="Mark as won").click()

    # Then the card sits in "Won", the column counts it, and the deal has its order
    won = _column(page, "Won")
    expect(won).to_contain_text("Desayunos del hotel")
    expect(won.locator("[data-column-total]")).to_have_text("MX$18,500.00")
    expect(page.locator("#messages")).to_contain_text("won: draft order")
    won.get_by_role("link", name="Desayunos del hotel").click()
    page.locator("#opportunity-order").click()
    expect(page.locator("#order-status")).to_have_text("Draft")
    expect(page.get_by_text("Bolillo").first).to_be_visible()
    expect(page.get_by_text("Concha").first).to_be_visible()


def test_a_drop_on_lost_asks_why_and_cancelling_returns_the_card(page):
    seller = UserFactory(username="marta", first_name="Marta", role=Role.SALES)
    customer = CustomerFactory(name="Hotel Casa Blanca", owner=seller)
    deal = opportunity_create(actor=seller, customer=customer, title="Banquete")
    _sign_in(page, "marta")
    page.goto(page.base_url + "/relations/pipeline/")
    card = page.locator(f"[data-opportunity='{deal.pk}']")

    # When she drops it on "Lost" and changes her mind, it goes back
    _drag(page, card, _column(page, "Lost"))
    dialog = page.locator("#lost-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    expect(_column(page, "Lead")).to_contain_text("Banquete")

    # When she drops it again and says a competitor took it, she is asked which
    _drag(page, page.locator(f"[data-opportunity='{deal.pk}']"), _column(page, "Lost"))
    expect(dialog).to_be_visible()
    dialog.get_by_label("Why was it lost?").select_option(label="Went with a competitor")
    dialog.get_by_label("Competitor").fill("Panificadora del Norte")
    dialog.get_by_role("button", name="Mark as lost").click()

    # Then the board says it is lost, and the deal's page says why
    lost = _column(page, "Lost")
    expect(lost).to_contain_text("Banquete")
    expect(page.locator("#messages")).to_contain_text("“Banquete” moved to Lost.")
    lost.get_by_role("link", name="Banquete").click()
    expect(page.locator("#opportunity-lost-reason")).to_have_text(
        "Went with a competitor · Panificadora del Norte"
    )


def test_the_stage_menu_moves_a_card_from_the_keyboard(page):
    seller = UserFactory(username="marta", first_name="Marta", role=Role.SALES)
    customer = CustomerFactory(name="Hotel Casa Blanca", owner=seller)
    opportunity_create(actor=seller, customer=customer, title="Cena de gala")
    _sign_in(page, "marta")
    page.goto(page.base_url + "/relations/pipeline/")

    # When she picks "Negotiation" in the card's menu with the keyboard and moves it
    menu = page.get_by_label("Stage of Cena de gala")
    menu.focus()
    menu.select_option(label="Negotiation")
    menu.press("Tab")
    page.keyboard.press("Enter")

    # Then the board shows it there, and the deal is on that stage
    expect(_column(page, "Negotiation")).to_contain_text("Cena de gala")
    expect(page.locator("#messages")).to_contain_text("“Cena de gala” moved to Negotiation.")
    page.get_by_role("link", name="Cena de gala").click()
    expect(page.locator("#opportunity-stage")).to_have_text("Negotiation")
    expect(page.locator("#stage-history")).to_contain_text("Lead → Negotiation")
