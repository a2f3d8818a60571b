"""The order book's REST API: who may do what, a whole order's life, and refused input."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from clientela.customers.tests.factories import CustomerFactory
from clientela.orders.models import Order, OrderChange, Payment, Product
from clientela.orders.tests.factories import OrderFactory, ProductFactory

pytestmark = pytest.mark.django_db
PRODUCTS = "/api/v1/products"
ORDERS = "/api/v1/orders"


@pytest.fixture
def shop(owner):
    return CustomerFactory(
        actor=owner,
        name="Cafetería Aurora",
        addresses=[{"street": "Orizaba 10", "city": "Ciudad de México"}],
    )


@pytest.fixture
def concha():
    return ProductFactory(sku="CON-01", name="Concha", unit_price=Decimal("12.50"))


def order_body(customer, product, quantity="10"):
    today = date.today()
    return {
        "customer_id": customer.pk,
        "due_date": str(today + timedelta(days=3)),
        "lines": [{"product_id": product.pk, "quantity": quantity}],
    }


@pytest.mark.parametrize(
    ("role", "product_status", "order_status"),
    [
        (None, 401, 401),
        ("readonly", 403, 403),
        ("support", 403, 403),
        ("sales", 403, 201),
        ("owner", 201, 201),
    ],
)
def test_who_may_add_products_and_orders(call, role, product_status, order_status, shop, concha):
    product = {"sku": "bol-1", "name": "Bolillo", "unit_price": "2.50"}

    assert call(role, "post", PRODUCTS, product).status_code == product_status
    assert call(role, "post", ORDERS, order_body(shop, concha)).status_code == order_status
    assert Product.objects.filter(sku="BOL-1").exists() == (product_status == 201)


@pytest.mark.parametrize("role", ["readonly", "support", "sales", "owner"])
def test_every_role_reads_orders_and_products(call, role, shop, concha, owner):
    OrderFactory(actor=owner, customer=shop, lines=[{"product": concha, "quantity": 2}])

    assert call(role, "get", ORDERS).json()["count"] == 1
    assert call(role, "get", PRODUCTS).json()["items"][0]["sku"] == "CON-01"


def test_an_order_from_draft_to_paid(call, shop, concha):
    created = call("sales", "post", ORDERS, order_body(shop, concha))
    assert created.status_code == 201
    order = created.json()
    assert order["total"] == "125.00" and order["status"] == "draft"
    assert order["delivery_address_id"] == shop.addresses.get().pk
    url = f"{ORDERS}/{order['id']}"

    confirmed = call("sales", "post", f"{url}/transitions", {"to": "confirmed", "version": 1})
    assert confirmed.status_code == 200, confirmed.json()
    version = confirmed.json()["version"]

    changed = call(
        "sales",
        "patch",
        url,
        {
            "lines": [{"product_id": concha.pk, "quantity": "12"}],
            "reason": "They called to add two more",
        },
        headers={"If-Match": f'"{version}"'},
    )
    assert changed.status_code == 200, changed.json()
    body = changed.json()
    assert body["total"] == "150.00"
    (change,) = body["changes"]
    assert change["reason"] == "They called to add two more"
    assert change["changes"][0]["what"] == "quantity" and change["changes"][0]["new"] == "12"

    version = body["version"]
    for step in ("in_production", "ready", "delivered"):
        moved = call("sales", "post", f"{url}/transitions", {"to": step, "version": version})
        assert moved.status_code == 200, moved.json()
        version = moved.json()["version"]
    assert moved.json()["delivered_on"] == str(date.today())

    paid = call("sales", "post", f"{url}/payments", {"amount": "100.00", "method": "cash"})
    assert paid.status_code == 201
    detail = call("readonly", "get", url).json()
    assert detail["paid"] == "100.00" and detail["balance"] == "50.00"
    assert call("readonly", "get", f"{ORDERS}?owing=true").json()["count"] == 1


def test_a_stale_change_is_refused_with_409_and_nothing_changes(call, shop, concha, owner):
    order = OrderFactory(actor=owner, customer=shop, lines=[{"product": concha, "quantity": 2}])
    url = f"{ORDERS}/{order.pk}"
    call("owner", "patch", url, {"notes": "first", "version": 1})

    stale = call("sales", "patch", url, {"notes": "second", "version": 1})

    assert stale.status_code == 409
    assert Order.objects.get(pk=order.pk).notes == "first"
    assert call("sales", "patch", url, {"notes": "no version"}).status_code == 428


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"lines": [{"product_id": 0, "quantity": "1"}]}, ["body", "lines", 0, "product_id"]),
        ({"lines": [{"quantity": "-1"}]}, ["body", "lines", 0, "quantity"]),
        ({"lines": [{"quantity": "0"}]}, ["body", "lines", 0, "quantity"]),
        ({"lines": [{"unit_price": "1.234"}]}, ["body", "lines", 0, "unit_price"]),
        ({"due_date": "2000-01-01"}, ["body", "due_date"]),
        ({"due_date": "9999-12-30"}, ["body", "due_date"]),
        ({"order_date": "1899-12-31"}, ["body", "order_date"]),
        ({"customer_id": 999999}, ["body", "customer_id"]),
        ({"delivery_address_id": 999999}, ["body", "delivery_address_id"]),
        ({"lines": []}, ["body", "lines"]),
        ({"colour": "red"}, ["body", "colour"]),
        ({"notes": "x" * 10_001}, ["body", "notes"]),
    ],
)
def test_bad_orders_get_422_naming_the_field_and_write_nothing(call, shop, concha, change, loc):
    body = order_body(shop, concha)
    if "lines" in change and change["lines"] and "product_id" not in change["lines"][0]:
        change = {"lines": [{"product_id": concha.pk, "quantity": "1", **change["lines"][0]}]}
    body.update(change)

    response = call("sales", "post", ORDERS, body)

    assert response.status_code == 422, response.json()
    assert loc in [entry["loc"] for entry in response.json()["detail"]]
    assert not Order.objects.exists()


def test_an_illegal_move_and_an_overpayment_are_refused(call, shop, concha, owner):
    order = OrderFactory(actor=owner, customer=shop, lines=[{"product": concha, "quantity": 2}])
    url = f"{ORDERS}/{order.pk}"

    jump = call("sales", "post", f"{url}/transitions", {"to": "delivered", "version": 1})
    assert jump.status_code == 422 and jump.json()["detail"][0]["loc"] == ["body", "status"]
    call("sales", "post", f"{url}/transitions", {"to": "confirmed", "version": 1})

    too_much = call("sales", "post", f"{url}/payments", {"amount": "30.00", "method": "card"})

    assert too_much.status_code == 422
    assert too_much.json()["detail"][0]["loc"] == ["body", "amount"]
    assert not Payment.objects.exists()
    credit = {"amount": "30.00", "method": "card", "leaves_credit": True}
    assert call("sales", "post", f"{url}/payments", credit).status_code == 201
    assert call("sales", "get", url).json()["balance"] == "-5.00"
    assert not OrderChange.objects.exists()


def test_lead_times_by_product(call, shop, concha, owner):
    OrderFactory(
        actor=owner,
        customer=shop,
        lines=[{"product": concha, "quantity": 1}],
        order_date=date(2024, 3, 1),
        due_date=date(2024, 3, 10),
        status="delivered",
        finished_on=date(2024, 3, 11),
        delivered_on=date(2024, 3, 14),
    )

    period = "date_from=2024-03-01&date_to=2024-03-31"
    rows = call("readonly", "get", f"{ORDERS}/lead-times?{period}").json()

    (row,) = rows["items"]
    assert rows["count"] == 1 and rows["count_is_exact"]
    assert row["label"] == "Concha" and row["delivered"] == 1 and row["on_time"] == 0
    assert row["max_days_late"] == 4 and row["outside_tolerance"] == 1
    late = call("readonly", "get", f"{ORDERS}/lead-times/late?{period}&product={concha.pk}")
    assert late.json()["items"] == [
        {
            "order_id": Order.objects.get().pk,
            "customer": shop.name,
            "due_date": "2024-03-10",
            "delivered_on": "2024-03-14",
            "days_late": 4,
            "tolerance_days": concha.lead_time_tolerance_days,
        }
    ]
    by_customer = call("readonly", "get", f"{ORDERS}/lead-times?{period}&group_by=customer")
    assert [row["key"] for row in by_customer.json()["items"]] == [str(shop.pk)]
    assert (
        call("readonly", "get", f"{ORDERS}/lead-times/late?{period}&product=999999").status_code
        == 404
    )
    assert call(None, "get", f"{ORDERS}/lead-times/late?{period}").status_code == 401


def test_a_period_that_ends_before_it_starts_is_a_422_on_date_to(call):
    backwards = "date_from=2024-03-31&date_to=2024-03-01"

    for path in ("lead-times", "lead-times/late"):
        response = call("readonly", "get", f"{ORDERS}/{path}?{backwards}")
        assert response.status_code == 422
        assert response.json()["detail"] == [
            {
                "loc": ["query", "date_to"],
                "msg": "The period ends before it starts.",
                "type": "invalid",
            }
        ]


def test_a_product_s_sku_and_name_keep_no_invisible_characters(call):
    body = {"sku": " bol\u200b-1 ", "name": "Boli\u202ello\u00ad", "unit_price": "2.50"}

    response = call("owner", "post", PRODUCTS, body)

    assert response.status_code == 201, response.json()
    assert (response.json()["sku"], response.json()["name"]) == ("BOL-1", "Bolillo")
    # a SKU of nothing visible is no SKU
    empty = call("owner", "post", PRODUCTS, {**body, "sku": "\u200b\u2060"})
    assert empty.status_code == 422
    assert ["body", "sku"] in [error["loc"] for error in empty.json()["detail"]]


def test_an_order_s_notes_are_kept_as_the_export_writes_them(call, shop, concha):
    body = {**order_body(shop, concha), "notes": " Sin azúcar\r\nEntregar\u200b tarde "}

    response = call("sales", "post", ORDERS, body)

    assert response.status_code == 201, response.json()
    assert Order.objects.get().notes == "Sin azúcar\nEntregar tarde"
