"""The customer list as the bakery's owner sees it: the whole table on a 1366 px laptop
without scrolling sideways, and each customer a tidy card on a 390 px phone."""

import pytest

from clientela.core.models import Role
from clientela.customers.services import customer_create
from clientela.customers.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Names, ids and addresses as long as the demo's (and real shops') are.
SHOPS = [
    ("Abarrotes Doña Guadalupe", "GODE561231GR8", "administracion@abarrotesguadalupe.example"),
    ("Cafetería y Repostería La Esperanza", "", "facturacion@cafeterialaesperanza.example"),
    ("Hotel Boutique Casa de los Azulejos", "", "compras@hotelcasadelosazulejos.example"),
    ("Minisúper La Lomita", "GODE561231GR8", "pedidos@minisuperlalomita.example"),
    ("Osvaldo Lara Ortiz", "LAOO650917HGRRRC02", "osvaldo.lara.ortiz@correo.example"),  # a CURP
]


@pytest.fixture
def book():
    owner = UserFactory(
        username="lucia", first_name="Lucía", last_name="Espinosa Castañeda", role=Role.OWNER
    )
    for copy in range(6):
        for name, tax_id, email in SHOPS:
            customer_create(
                actor=owner,
                name=f"{name} {copy}",
                tax_id=tax_id,
                emails=[email],
                phones=["+52 55 2925 1700"],
                tags=["pasteles por encargo", "pedido diario"],
                addresses=[{"street": "Londres 134", "city": "Ciudad de México"}],
            )


def _sign_in(page, width: int):
    page.set_viewport_size({"width": width, "height": 900})
    page.context.add_cookies([{"name": "django_language", "value": "es", "url": page.base_url}])
    page.goto(page.base_url + "/login/")
    page.locator("#id_username").fill("lucia")
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#id_password").press("Enter")
    page.wait_for_url(page.base_url + "/")
    page.goto(page.base_url + "/customers/")


def test_the_customer_table_fits_a_1366_px_screen(page, book):
    _sign_in(page, 1366)

    # the table uses the page's whole width, below the Export menu, and needs no
    # scrolling sideways, neither of the page nor of the table's own box
    overflow = page.evaluate(
        """() => {
            const box = document.querySelector('#customer-results .table-responsive');
            const page = document.documentElement;
            return [box.scrollWidth - box.clientWidth, page.scrollWidth - page.clientWidth,
                    document.querySelector('#customer-results').clientWidth - box.clientWidth];
        }"""
    )
    assert overflow == [0, 0, 0]


def test_the_business_badge_sits_beside_the_name_on_a_phone(page, book):
    _sign_in(page, 390)

    card, name, badge = (
        page.locator("#customer-results tbody tr").first.locator(selector).bounding_box()
        for selector in ("td.cell-title", "td.cell-title a", "td.cell-title .badge")
    )
    # the card is as wide as the screen allows, and the badge inside it
    assert card["width"] > 340
    assert badge["x"] + badge["width"] <= card["x"] + card["width"]
    # a pill one line high, not stretched to the height of a name on two lines
    assert badge["height"] < 28
    assert badge["height"] <= name["height"]
