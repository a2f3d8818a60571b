"""The staff pages of the order book, as a member of staff uses them in a browser."""

import html
import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clientela.customers.tests.factories import CustomerFactory
from clientela.orders import services
from clientela.orders.models import Order, OrderChange, OrderLine, OrderStatus, Payment, Product

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true", "HX-Target": "order-results"}
TODAY = timezone.localdate()


# --- helpers ------------------------------------------------------------------------


def _page(response) -> str:
    return html.unescape(response.content.decode())


def _field_error(response, field_id: str) -> str:
    """The error text shown right beside a form field (``id="<field_id>_error"``), or ""."""
    match = re.search(
        rf'<div[^>]* id="{field_id}_error"[^>]*>(.*?)</div>', response.content.decode(), re.S
    )
    return html.unescape(match.group(1)).strip() if match else ""


def _listed(response) -> list[int]:
    """The order numbers in the list's rows, in the order shown."""
    return [int(n) for n in re.findall(r'<tr data-order="(\d+)">', response.content.decode())]


def _section(response, section_id: str) -> str:
    match = re.search(rf'<section [^>]*id="{section_id}".*?</section>', _page(response), re.S)
    return match.group(0) if match else ""


@pytest.fixture
def shop(owner):
    """A customer with an address, two products, and a draft order of 3 conchas."""
    customer = CustomerFactory(
        actor=owner,
        name="Panadería La Espiga",
        addresses=[{"street": "Av. Insurgentes Sur 123", "city": "Ciudad de México"}],
    )
    concha = services.product_create(
        actor=owner, sku="CON-1", name="Concha de vainilla", unit_price=Decimal("12.50")
    )
    bolillo = services.product_create(
        actor=owner, sku="BOL-1", name="Bolillo", unit_price=Decimal("3.00")
    )
    order = services.order_create(
        actor=owner,
        customer=customer,
        order_date=TODAY - timedelta(days=5),
        due_date=TODAY + timedelta(days=5),
        lines=[{"product": concha, "quantity": Decimal("3")}],
    )
    return {"customer": customer, "concha": concha, "bolillo": bolillo, "order": order}


def _move(order: Order, *steps: str) -> Order:
    for step in steps:
        order = services.order_transition(actor=None, order=order, version=order.version, to=step)
    return order


def _new_order(shop, **changes) -> dict:
    """What the "New order" form posts: one line of 2 bolillos, with ``changes`` typed in."""
    data = {
        "customer": str(shop["customer"].pk),
        "delivery_address": "",
        "order_date": TODAY.isoformat(),
        "due_date": (TODAY + timedelta(days=3)).isoformat(),
        "notes": "",
        "lines-TOTAL_FORMS": "2",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "lines-0-product": str(shop["bolillo"].pk),
        "lines-0-quantity": "2",
        "lines-0-unit_price": "",
        "lines-0-discount_percent": "",
        "lines-1-product": "",
        "lines-1-quantity": "",
        "lines-1-unit_price": "",
        "lines-1-discount_percent": "",
    }
    data.update(changes)
    return data


def _edit_order(order: Order, **changes) -> dict:
    """What the "Change order" form posts when opened on ``order`` and ``changes`` typed."""
    lines = list(order.lines.order_by("position"))
    data = {
        "delivery_address": str(order.delivery_address_id or ""),
        "due_date": order.due_date.isoformat(),
        "notes": order.notes,
        "version": str(order.version),
        "lines-TOTAL_FORMS": str(len(lines) + 1),
        "lines-INITIAL_FORMS": str(len(lines)),
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
    }
    for index, line in enumerate([*lines, None]):
        data.update(
            {
                f"lines-{index}-product": str(line.product_id) if line else "",
                f"lines-{index}-quantity": str(line.quantity.normalize()) if line else "",
                f"lines-{index}-unit_price": str(line.unit_price.normalize()) if line else "",
                f"lines-{index}-discount_percent": (
                    str(line.discount_percent.normalize()) if line else ""
                ),
            }
        )
    data.update(changes)
    return data


def _state() -> tuple:
    """Counts and versions that any write would change."""
    return (
        Order.objects.count(),
        OrderLine.objects.count(),
        Payment.objects.count(),
        OrderChange.objects.count(),
        Product.objects.count(),
        tuple(Order.objects.order_by("pk").values_list("version", "status")),
        tuple(Product.objects.order_by("pk").values_list("version", "is_active")),
    )


# --- roles --------------------------------------------------------------------------


def _posts(shop) -> dict[str, tuple[str, dict]]:
    """Every write of the order pages, with data that would succeed for the owner."""
    order, concha = shop["order"], shop["concha"]
    return {
        "product create": (
            reverse("orders:product_create"),
            {
                "sku": "X-1",
                "name": "X",
                "unit": "pza",
                "unit_price": "1",
                "lead_time_tolerance_days": "1",
            },
        ),
        "product edit": (
            reverse("orders:product_edit", args=[concha.pk]),
            {
                "sku": "CON-1",
                "name": "Concha",
                "unit": "pza",
                "unit_price": "13",
                "lead_time_tolerance_days": "1",
                "version": str(concha.version),
            },
        ),
        "product deactivate": (reverse("orders:product_deactivate", args=[concha.pk]), {}),
        "order create": (reverse("orders:create"), _new_order(shop)),
        "order edit": (reverse("orders:edit", args=[order.pk]), _edit_order(order, notes="x")),
        "confirm": (
            reverse("orders:transition", args=[order.pk, "confirmed"]),
            {"confirmed-version": str(order.version)},
        ),
        "payment": (
            reverse("orders:payment", args=[order.pk]),
            {"payment-amount": "1", "payment-method": "cash", "payment-paid_on": TODAY.isoformat()},
        ),
    }


@pytest.mark.parametrize("role", ["readonly", "support"])
def test_readonly_and_support_see_orders_but_may_change_nothing(client, shop, role, request):
    # given a read-only or support user
    client.force_login(request.getfixturevalue(role))
    order = shop["order"]
    before = _state()

    # when they open the pages
    listing = client.get(reverse("orders:list"))
    detail = client.get(reverse("orders:detail", args=[order.pk]))
    products = client.get(reverse("orders:products"))
    # and post to every page that writes
    statuses = {
        label: client.post(url, data).status_code for label, (url, data) in _posts(shop).items()
    }

    # then they see the orders and products
    assert listing.status_code == detail.status_code == products.status_code == 200
    assert _listed(listing) == [order.pk]
    assert "Concha de vainilla" in _page(detail)
    assert "Bolillo" in _page(products)
    # and every write is refused and nothing changed
    assert statuses == dict.fromkeys(statuses, 403)
    assert _state() == before
    # and no button leads to a page they may not use
    for url in [reverse("orders:edit", args=[order.pk]), reverse("orders:create")]:
        assert f'href="{url}"' not in _page(detail) + _page(listing)
    assert reverse("orders:product_create") not in _page(products)
    assert "/move/" not in _page(detail)


def test_anonymous_visitors_are_sent_to_the_login_page(client, shop):
    before = _state()
    pages = [reverse("orders:list"), reverse("orders:detail", args=[shop["order"].pk])]

    answers = [client.get(url) for url in pages] + [
        client.post(url, data) for url, data in _posts(shop).values()
    ]

    assert all(r.status_code == 302 and "/login/" in r["Location"] for r in answers)
    assert _state() == before


def test_sales_may_take_orders_but_not_edit_products(client, shop, sales):
    # given a salesperson
    client.force_login(sales)
    posts = _posts(shop)

    # when they try the product pages and take an order
    product_statuses = [
        client.get(reverse("orders:product_create")).status_code,
        *(
            client.post(*posts[label]).status_code
            for label in ("product create", "product edit", "product deactivate")
        ),
    ]
    created = client.post(*posts["order create"])

    # then products are refused
    assert product_statuses == [403, 403, 403, 403]
    assert Product.objects.filter(is_active=True).count() == 2
    # but the order is taken
    assert created.status_code == 302
    new = Order.objects.latest("pk")
    assert created["Location"] == reverse("orders:detail", args=[new.pk])
    assert new.created_by == sales and new.total == Decimal("6.00")


def test_actions_that_change_data_take_only_a_post(client, shop, owner):
    client.force_login(owner)
    order = shop["order"]
    urls = [
        reverse("orders:transition", args=[order.pk, "confirmed"]),
        reverse("orders:payment", args=[order.pk]),
        reverse("orders:dates", args=[order.pk]),
        reverse("orders:product_deactivate", args=[shop["concha"].pk]),
    ]

    assert [client.get(url).status_code for url in urls] == [405] * 4


# --- products -----------------------------------------------------------------------


def test_product_create_edit_deactivate_and_reactivate(client, owner):
    client.force_login(owner)

    # when the owner adds a product with a lower-case SKU
    created = client.post(
        reverse("orders:product_create"),
        {
            "sku": " rol-1 ",
            "name": "Rol de canela",
            "category": "Pan dulce",
            "unit": "pza",
            "unit_price": "18.5",
            "lead_time_tolerance_days": "2",
        },
    )
    product = Product.objects.get(name="Rol de canela")
    # then it is stored in capitals and listed
    assert created.status_code == 302
    assert product.sku == "ROL-1"
    listing = _page(client.get(reverse("orders:products") + "?category=Pan+dulce"))
    assert "Rol de canela" in listing and "ROL-1" in listing

    # when they change its price
    edited = client.post(
        reverse("orders:product_edit", args=[product.pk]),
        {
            "sku": "ROL-1",
            "name": "Rol de canela",
            "category": "Pan dulce",
            "unit": "pza",
            "unit_price": "20",
            "lead_time_tolerance_days": "2",
            "version": "1",
            "reason": "Flour",
        },
    )
    product.refresh_from_db()
    assert edited.status_code == 302
    assert product.unit_price == Decimal("20") and product.version == 2

    # when they stop selling it, it leaves the list of active products and comes back
    client.post(reverse("orders:product_deactivate", args=[product.pk]))
    row = '<span class="fw-semibold">Rol de canela</span>'
    assert row not in _page(client.get(reverse("orders:products")))
    assert row in _page(client.get(reverse("orders:products") + "?state=inactive"))
    client.post(reverse("orders:product_reactivate", args=[product.pk]))
    product.refresh_from_db()
    assert product.is_active


def test_product_errors_show_beside_the_field_and_stale_edits_are_refused(client, owner, shop):
    client.force_login(owner)
    concha = shop["concha"]

    # when the owner adds a product with a SKU another one has
    duplicate = client.post(
        reverse("orders:product_create"),
        {
            "sku": "con-1",
            "name": "Otra",
            "unit": "pza",
            "unit_price": "1",
            "lead_time_tolerance_days": "1",
        },
    )
    # then the error is beside the SKU
    assert duplicate.status_code == 200
    assert "already has the SKU CON-1" in _field_error(duplicate, "id_sku")

    # when they save an edit based on an outdated version
    services.product_update(actor=owner, product=concha, version=1, name="Concha grande")
    stale = client.post(
        reverse("orders:product_edit", args=[concha.pk]),
        {
            "sku": "CON-1",
            "name": "Concha mía",
            "unit": "pza",
            "unit_price": "12.5",
            "lead_time_tolerance_days": "1",
            "version": "1",
        },
    )
    # then it is refused with the typing kept, and nothing is overwritten
    assert "Someone else changed this record" in _page(stale)
    assert 'value="Concha mía"' in _page(stale)
    concha.refresh_from_db()
    assert concha.name == "Concha grande"


# --- the order list -----------------------------------------------------------------


def test_list_filters(client, owner, readonly, shop):
    # given orders of two customers in several states
    other = CustomerFactory(actor=owner, name="Cafetería El Portal")
    draft = shop["order"]
    owing = _move(
        services.order_create(
            actor=owner,
            customer=other,
            order_date=TODAY - timedelta(days=2),
            due_date=TODAY + timedelta(days=20),
            lines=[{"product": shop["bolillo"], "quantity": 10}],
        ),
        "confirmed",
    )
    paid = _move(
        services.order_create(
            actor=owner,
            customer=other,
            order_date=TODAY - timedelta(days=1),
            due_date=TODAY + timedelta(days=1),
            lines=[{"product": shop["concha"], "quantity": 1}],
        ),
        "confirmed",
    )
    services.payment_record(actor=owner, order=paid, amount=Decimal("12.50"), method="cash")
    client.force_login(readonly)
    url = reverse("orders:list")

    def listed(query: str) -> list[int]:
        return _listed(client.get(url + query))

    # then each filter narrows the list
    assert listed("") == [paid.pk, owing.pk, draft.pk]
    assert listed("?status=confirmed") == [paid.pk, owing.pk]
    assert listed("?status=draft") == [draft.pk]
    assert listed("?owing=on") == [owing.pk]
    assert listed(f"?customer={other.pk}") == [paid.pk, owing.pk]
    assert listed("?q=portal") == [paid.pk, owing.pk]
    assert listed(f"?q={draft.pk}") == [draft.pk]
    assert listed(f"?due_from={(TODAY + timedelta(days=4)).isoformat()}") == [owing.pk, draft.pk]
    assert listed(f"?due_to={(TODAY + timedelta(days=6)).isoformat()}") == [paid.pk, draft.pk]
    # and a row shows the total and the balance
    page = _page(client.get(url + "?owing=on"))
    assert "MX$30.00" in page and "Cafetería El Portal" in page


def test_htmx_filter_returns_only_the_results(client, readonly, shop):
    client.force_login(readonly)

    response = client.get(reverse("orders:list") + "?status=draft", headers=HTMX)

    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert _listed(response) == [shop["order"].pk]


def test_list_runs_the_same_number_of_queries_for_5_and_30_orders(client, readonly, owner):
    product = services.product_create(actor=owner, sku="P-1", name="Pan", unit_price=Decimal("5"))

    def orders(numbers):
        for number in numbers:
            customer = CustomerFactory(actor=owner, name=f"Cliente {number}")
            services.order_create(
                actor=owner,
                customer=customer,
                due_date=TODAY + timedelta(days=number),
                lines=[{"product": product, "quantity": number + 1}],
            )

    orders(range(5))
    client.force_login(readonly)
    url = reverse("orders:list")
    client.get(url)

    with CaptureQueriesContext(connection) as five:
        small = client.get(url)
    with CaptureQueriesContext(connection) as five_htmx:
        client.get(url, headers=HTMX)
    orders(range(5, 30))
    with CaptureQueriesContext(connection) as thirty:
        large = client.get(url)
    with CaptureQueriesContext(connection) as thirty_htmx:
        client.get(url, headers=HTMX)

    assert len(_listed(small)) == 5
    assert len(_listed(large)) == 25
    assert "Cliente 29" in _page(large)
    assert len(five) == len(thirty), "\n".join(q["sql"] for q in thirty.captured_queries)
    assert len(five_htmx) == len(thirty_htmx)


# --- taking and changing an order ---------------------------------------------------


def test_new_order_from_a_customer_page_starts_with_that_customer(client, sales, shop):
    client.force_login(sales)

    page = _page(client.get(reverse("orders:create") + f"?customer={shop['customer'].pk}"))

    assert f'value="{shop["customer"].pk}"' in page
    assert "Panadería La Espiga" in page
    assert "Av. Insurgentes Sur 123" in page  # its address is offered


def test_create_an_order_with_a_discount(client, sales, shop):
    client.force_login(sales)

    response = client.post(
        reverse("orders:create"),
        _new_order(
            shop,
            **{
                "lines-1-product": str(shop["concha"].pk),
                "lines-1-quantity": "4",
                "lines-1-unit_price": "10",
                "lines-1-discount_percent": "10",
            },
        ),
    )

    order = Order.objects.latest("pk")
    assert response.status_code == 302
    assert order.total == Decimal("42.00")  # 2 × 3.00 + 4 × 10 × 0.9
    assert order.delivery_address == shop["customer"].addresses.get()
    detail = _page(client.get(response["Location"]))
    assert "MX$42.00" in detail and "Draft" in detail


@pytest.mark.parametrize(
    ("changes", "field_id", "message"),
    [
        ({"lines-0-quantity": "0"}, "id_lines-0-quantity", "Ensure this value is greater than"),
        (
            {"lines-1-product": "BOL", "lines-1-quantity": "1"},
            "id_lines-1-product",
            "Select a valid choice",
        ),
        (
            {"lines-1-product": "{bolillo}", "lines-1-quantity": "1"},
            "id_lines-1-product",
            "is already on line 1",
        ),
        ({"lines-0-unit_price": "1.001"}, "id_lines-0-unit_price", "decimal"),
        (
            {"due_date": (TODAY - timedelta(days=1)).isoformat()},
            "id_due_date",
            "before the order date",
        ),
        ({"customer": "999999"}, "id_customer", "There is no customer number 999999."),
    ],
)
def test_a_bad_order_shows_the_error_beside_its_field_and_writes_nothing(
    client, sales, shop, changes, field_id, message
):
    client.force_login(sales)
    before = _state()
    changes = {k: v.format(bolillo=shop["bolillo"].pk) for k, v in changes.items()}

    response = client.post(reverse("orders:create"), _new_order(shop, **changes))

    assert response.status_code == 200
    assert message in _field_error(response, field_id)
    assert 'aria-invalid="true"' in response.content.decode()
    assert _state() == before


def test_an_order_without_lines_says_so_above_the_lines(client, sales, shop):
    client.force_login(sales)
    before = _state()

    response = client.post(
        reverse("orders:create"),
        _new_order(shop, **{"lines-0-product": "", "lines-0-quantity": ""}),
    )

    assert "An order needs at least one line." in _page(response)
    assert _state() == before


def test_a_product_no_longer_sold_is_refused_beside_its_line(client, owner, sales, shop):
    # given a product deactivated after the salesperson opened the form
    client.force_login(sales)
    form = _new_order(shop)
    services.product_deactivate(actor=owner, product=shop["bolillo"])

    response = client.post(reverse("orders:create"), form)

    assert response.status_code == 200
    assert "Select a valid choice" in _field_error(response, "id_lines-0-product")


def test_add_a_line_keeps_the_typing_and_saves_nothing(client, sales, shop):
    client.force_login(sales)
    before = _state()

    response = client.post(
        reverse("orders:create"), {**_new_order(shop, notes="Sin azúcar"), "add_line": "1"}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert 'name="lines-TOTAL_FORMS" value="3"' in page
    assert 'name="lines-2-quantity"' in page
    assert "Sin azúcar" in _page(response)
    assert "is-invalid" not in page
    assert _state() == before


def test_a_draft_changes_freely_without_a_reason(client, sales, shop):
    client.force_login(sales)
    order = shop["order"]

    response = client.post(
        reverse("orders:edit", args=[order.pk]), _edit_order(order, **{"lines-0-quantity": "5"})
    )

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.total == Decimal("62.50")
    assert not OrderChange.objects.exists()


def test_renegotiating_a_confirmed_order_needs_a_reason_shown_on_its_timeline(client, sales, shop):
    # given a confirmed order of 3 conchas
    order = _move(shop["order"], "confirmed")
    client.force_login(sales)
    url = reverse("orders:edit", args=[order.pk])

    # when the salesperson opens the form, the reason is a required field
    form_page = client.get(url).content.decode()
    assert 'class="form-label required" for="id_reason"' in form_page

    # when they change the quantity without a reason
    no_reason = client.post(url, _edit_order(order, **{"lines-0-quantity": "6"}))
    # then it is refused beside the reason and nothing changes
    assert "This field is required." in _field_error(no_reason, "id_reason")
    assert OrderLine.objects.get().quantity == 3

    # when they give one
    saved = client.post(
        url, _edit_order(order, reason="The customer has a party", **{"lines-0-quantity": "6"})
    )
    # then the order changes and the timeline says what, who and why
    assert saved.status_code == 302
    timeline = _section(client.get(reverse("orders:detail", args=[order.pk])), "timeline")
    assert "The customer has a party" in timeline
    assert "Quantity · CON-1" in timeline
    assert '<span class="change-old">3</span>' in timeline
    assert '<span class="change-new">6</span>' in timeline
    assert str(sales) in timeline


def test_edit_of_an_outdated_order_is_refused_and_keeps_the_typing(client, owner, sales, shop):
    client.force_login(sales)
    order = shop["order"]
    opened = _edit_order(order, notes="Mine")
    services.order_update(actor=owner, order=order, version=order.version, notes="Owner's")

    response = client.post(reverse("orders:edit", args=[order.pk]), opened)

    assert "Someone else changed this record" in _page(response)
    assert "Your changes were not saved" in _page(response)
    assert "Mine" in _page(response)
    order.refresh_from_db()
    assert order.notes == "Owner's"


def test_a_delivered_order_can_no_longer_be_changed(client, owner, shop):
    order = _move(shop["order"], "confirmed", "in_production", "ready", "delivered")
    client.force_login(owner)

    response = client.get(reverse("orders:edit", args=[order.pk]))

    assert response.status_code == 302
    detail = _page(client.get(reverse("orders:detail", args=[order.pk])))
    assert reverse("orders:edit", args=[order.pk]) not in detail


# --- moving an order along ----------------------------------------------------------


def test_an_order_walks_from_draft_to_delivered_by_its_buttons(client, sales, shop):
    client.force_login(sales)
    order = shop["order"]
    detail_url = reverse("orders:detail", args=[order.pk])
    finished = TODAY - timedelta(days=2)

    def move(to: str, **data):
        version = Order.objects.get(pk=order.pk).version
        fields = {f"{to}-{k}": v for k, v in {"version": version, **data}.items()}
        return client.post(reverse("orders:transition", args=[order.pk, to]), fields)

    # the draft offers confirming and cancelling only
    page = _page(client.get(detail_url))
    assert "/move/confirmed/" in page and "/move/cancelled/" in page
    assert "/move/delivered/" not in page

    assert move("confirmed").status_code == 302
    assert move("in_production").status_code == 302
    assert move("ready", on=finished.isoformat()).status_code == 302
    assert move("delivered", on=TODAY.isoformat()).status_code == 302

    order.refresh_from_db()
    assert order.status == OrderStatus.DELIVERED
    assert (order.production_finished_on, order.delivered_on) == (finished, TODAY)
    page = _page(client.get(detail_url))
    assert 'data-status="delivered"' in page
    assert "/move/" not in page


def test_a_move_the_order_cannot_make_is_refused(client, sales, shop):
    client.force_login(sales)
    order = shop["order"]

    response = client.post(
        reverse("orders:transition", args=[order.pk, "delivered"]),
        {"delivered-version": order.version, "delivered-on": TODAY.isoformat()},
    )

    assert response.status_code == 200
    assert "An order cannot go from “Draft” to “Delivered”." in _page(response)
    order.refresh_from_db()
    assert order.status == OrderStatus.DRAFT


def test_cancelling_asks_a_reason_and_a_future_delivery_is_refused(client, sales, shop):
    client.force_login(sales)
    order = _move(shop["order"], "confirmed", "in_production", "ready")

    no_reason = client.post(
        reverse("orders:transition", args=[order.pk, "cancelled"]),
        {"cancelled-version": order.version, "cancelled-reason": ""},
    )
    future = client.post(
        reverse("orders:transition", args=[order.pk, "delivered"]),
        {
            "delivered-version": order.version,
            "delivered-on": (TODAY + timedelta(days=1)).isoformat(),
        },
    )

    assert "This field is required." in _field_error(no_reason, "id_cancelled-reason")
    assert '<details class="step-cancel" open>' in no_reason.content.decode()
    assert "cannot be in the future" in _field_error(future, "id_delivered-on")
    order.refresh_from_db()
    assert order.status == OrderStatus.READY

    cancelled = client.post(
        reverse("orders:transition", args=[order.pk, "cancelled"]),
        {"cancelled-version": order.version, "cancelled-reason": "Closed for holidays"},
    )
    assert cancelled.status_code == 302
    assert "Closed for holidays" in _page(client.get(cancelled["Location"]))


def test_the_actual_dates_are_corrected_with_a_reason(client, sales, shop):
    order = _move(shop["order"], "confirmed", "in_production", "ready", "delivered")
    client.force_login(sales)
    url = reverse("orders:dates", args=[order.pk])
    yesterday = TODAY - timedelta(days=1)

    response = client.post(
        url,
        {
            "dates-version": order.version,
            "dates-production_finished_on": yesterday.isoformat(),
            "dates-delivered_on": TODAY.isoformat(),
            "dates-reason": "Typed the wrong day",
        },
    )

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.production_finished_on == yesterday
    timeline = _section(client.get(reverse("orders:detail", args=[order.pk])), "timeline")
    assert "Typed the wrong day" in timeline and "Production finished" in timeline


# --- payments -----------------------------------------------------------------------


def test_payments_are_recorded_and_the_balance_shown(client, sales, shop):
    order = _move(shop["order"], "confirmed")  # 3 × 12.50 = 37.50
    client.force_login(sales)
    url = reverse("orders:payment", args=[order.pk])

    # when a part is paid
    first = client.post(
        url,
        {
            "payment-amount": "20",
            "payment-method": "cash",
            "payment-paid_on": TODAY.isoformat(),
            "payment-reference": "Ticket 7",
        },
    )
    # then the page shows it and what is left
    assert first.status_code == 302
    page = client.get(reverse("orders:detail", args=[order.pk]))
    assert "Ticket 7" in _section(page, "payments")
    money = _section(page, "money")
    assert "MX$37.50" in money and "MX$20.00" in money and "MX$17.50" in money

    # when more than the balance is paid without saying it leaves a credit
    too_much = client.post(
        url,
        {"payment-amount": "20", "payment-method": "card", "payment-paid_on": TODAY.isoformat()},
    )
    # then it is refused beside the amount
    assert "The balance is 17.50 MXN" in _field_error(too_much, "id_payment-amount")
    assert Payment.objects.count() == 1

    # when it leaves a credit
    credit = client.post(
        url,
        {
            "payment-amount": "20",
            "payment-method": "card",
            "payment-paid_on": TODAY.isoformat(),
            "payment-leaves_credit": "on",
        },
    )
    assert credit.status_code == 302
    money = _section(client.get(reverse("orders:detail", args=[order.pk])), "money")
    assert "Credit in the customer's favour" in money and "-MX$2.50" in money


def test_a_draft_takes_no_payment(client, sales, shop):
    client.force_login(sales)
    order = shop["order"]

    page = _page(client.get(reverse("orders:detail", args=[order.pk])))
    response = client.post(
        reverse("orders:payment", args=[order.pk]),
        {"payment-amount": "1", "payment-method": "cash", "payment-paid_on": TODAY.isoformat()},
    )

    assert reverse("orders:payment", args=[order.pk]) not in page
    assert "Payments are recorded for confirmed orders" in _page(response)
    assert not Payment.objects.exists()


def test_orders_menu_item_shows_for_who_may_see_orders(client, readonly, shop):
    client.force_login(readonly)

    page = _page(client.get(reverse("orders:list")))

    assert f'href="{reverse("orders:list")}" aria-current="page"' in page
    assert "bi-receipt" in page
    assert date.today().year  # the page rendered with the menu
