"""The events REST API: who may plan and record sales, the comparison, the plan, bad input."""

from datetime import date
from decimal import Decimal

import pytest

from clientela.events.models import Event, EventSale
from clientela.events.tests.factories import EventFactory, ProductFactory

pytestmark = pytest.mark.django_db
EVENTS = "/api/v1/events"


@pytest.fixture
def rosca():
    return ProductFactory(sku="ROS-1", name="Rosca de Reyes", unit_price=Decimal("250.00"))


EVENT = {
    "name": "Feria del Pan",
    "kind": "fair",
    "location": "Coyoacán",
    "start_date": "2025-01-04",
    "duration_days": 3,
}


@pytest.mark.parametrize(
    ("role", "status"),
    [(None, 401), ("readonly", 403), ("support", 403), ("sales", 201), ("owner", 201)],
)
def test_who_may_add_events(call, role, status):
    assert call(role, "post", EVENTS, EVENT).status_code == status
    assert Event.objects.exists() == (status == 201)


def test_an_event_from_plan_to_comparison(call, rosca):
    event = call("sales", "post", EVENTS, EVENT).json()
    item_url = f"{EVENTS}/{event['id']}/items/{rosca.pk}"

    item = call("sales", "put", item_url, {"quantity_brought": "40", "quantity_expected": "30"})
    assert item.status_code == 200, item.json()
    version = event["sales_version"]
    for day, quantity in (("2025-01-04", "10"), ("2025-01-05", "12"), ("2025-01-06", "14")):
        body = {"quantity": quantity, "version": version}
        sold = call("sales", "put", f"{item_url}/sales/{day}", body)
        assert sold.status_code == 200, sold.json()
        version += 1
        assert sold["ETag"] == f'"{version}"'

    detail = call("readonly", "get", f"{EVENTS}/{event['id']}").json()
    assert detail["end_date"] == "2025-01-06"
    assert detail["items"][0]["sales"] == {
        "2025-01-04": "10.000",
        "2025-01-05": "12.000",
        "2025-01-06": "14.000",
    }
    total = call("readonly", "get", f"{EVENTS}/{event['id']}/comparison").json()["total"]
    assert Decimal(total["sold"]) == 36 and Decimal(total["leftover"]) == 4
    assert Decimal(total["sell_through_percent"]) == Decimal("90.00")
    assert Decimal(total["revenue"]) == Decimal("9000.00")


def test_the_plan_for_a_new_event_uses_similar_past_events(call, owner, rosca):
    from clientela.events.services import event_item_set, event_sale_record

    past = EventFactory(actor=owner, location="Coyoacán", start_date=date(2024, 1, 5))
    item = event_item_set(
        actor=owner,
        event=past,
        product=rosca,
        quantity_brought=Decimal(50),
        quantity_expected=Decimal(40),
    )
    for day in past.days():
        event_sale_record(actor=owner, item=item, sold_on=day, quantity=Decimal(20))

    plan = call(
        "readonly",
        "get",
        f"{EVENTS}/plan?kind=fair&location=Coyoacán&start_date=2025-01-04&duration_days=3",
    ).json()

    assert plan["basis"] == "location" and plan["event_ids"] == [past.pk]
    (line,) = plan["lines"]
    assert line["product"] == "Rosca de Reyes" and Decimal(line["quantity"]) == 60


def test_a_sale_outside_the_event_or_beyond_what_was_brought_gets_422(call, owner, rosca):
    event = call("owner", "post", EVENTS, EVENT).json()
    item_url = f"{EVENTS}/{event['id']}/items/{rosca.pk}"
    call("owner", "put", item_url, {"quantity_brought": "5", "quantity_expected": "5"})

    outside = call("sales", "put", f"{item_url}/sales/2025-01-09", {"quantity": "1", "version": 1})
    too_many = call("sales", "put", f"{item_url}/sales/2025-01-04", {"quantity": "6", "version": 1})
    negative = call("sales", "put", item_url, {"quantity_brought": "-1", "quantity_expected": "0"})

    assert outside.status_code == too_many.status_code == negative.status_code == 422
    assert outside.json()["detail"][0]["loc"] == ["path", "sold_on"]
    assert too_many.json()["detail"][0]["loc"] == ["body", "quantity"]
    assert negative.json()["detail"][0]["loc"] == ["body", "quantity_brought"]
    assert not EventSale.objects.exists()


def test_a_stale_event_change_is_refused_with_409(call):
    event = call("owner", "post", EVENTS, EVENT).json()
    url = f"{EVENTS}/{event['id']}"
    call("owner", "patch", url, {"notes": "first", "version": 1})

    stale = call("sales", "patch", url, {"notes": "second", "version": 1})

    assert stale.status_code == 409
    assert Event.objects.get().notes == "first"


# --- the daily-sales grid and its version ---------------------------------------------


@pytest.fixture
def fair(call, rosca):
    """The Feria del Pan (4–6 January 2025) with 40 roscas; returns its sales URL."""
    event = call("owner", "post", EVENTS, EVENT).json()
    item_url = f"{EVENTS}/{event['id']}/items/{rosca.pk}"
    call("owner", "put", item_url, {"quantity_brought": "40", "quantity_expected": "30"})
    return f"{EVENTS}/{event['id']}/sales"


def _sold() -> list:
    return list(EventSale.objects.order_by("sold_on").values_list("sold_on", "quantity"))


def test_the_grid_is_read_with_its_version_and_saved_all_at_once(
    client, api_headers, sales, fair, rosca
):
    headers = api_headers(sales)
    grid = client.get(fair, headers=headers)
    assert grid.status_code == 200
    assert grid.json()["days"] == ["2025-01-04", "2025-01-05", "2025-01-06"]

    saved = client.put(
        fair,
        data={
            "sales": [
                {"product_id": rosca.pk, "sold_on": "2025-01-04", "quantity": "10"},
                {"product_id": rosca.pk, "sold_on": "2025-01-05", "quantity": "12"},
            ]
        },
        content_type="application/json",
        headers={**headers, "If-Match": grid["ETag"]},
    )

    assert saved.status_code == 200, saved.json()
    version = grid.json()["version"] + 1
    assert saved["ETag"] == f'"{version}"' and saved.json()["version"] == version
    assert saved.json()["items"][0]["sales"] == {"2025-01-04": "10.000", "2025-01-05": "12.000"}
    event = saved.json()["event_id"]
    assert client.get(f"{EVENTS}/{event}", headers=headers).json()["sales_version"] == version


def test_a_stale_grid_is_refused_with_409_and_writes_nothing(call, fair, rosca):
    read = call("sales", "get", fair).json()["version"]
    day_url = fair.replace("/sales", f"/items/{rosca.pk}/sales/2025-01-04")
    first = call("owner", "put", day_url, {"quantity": "15", "version": read})
    assert first.status_code == 200, first.json()

    stale_grid = call(
        "sales",
        "put",
        fair,
        {
            "version": read,
            "sales": [
                {"product_id": rosca.pk, "sold_on": "2025-01-04", "quantity": "10"},
                {"product_id": rosca.pk, "sold_on": "2025-01-05", "quantity": "12"},
            ],
        },
    )
    stale_day = call("sales", "put", day_url, {"quantity": "9", "version": read})

    assert stale_grid.status_code == stale_day.status_code == 409
    assert stale_grid.json()["current_version"] == read + 1
    assert "Someone else changed this record" in stale_grid.json()["detail"]
    assert _sold() == [(date(2025, 1, 4), Decimal(15))]


def test_saving_sales_without_the_version_read_gets_428(call, fair, rosca):
    cell = {"product_id": rosca.pk, "sold_on": "2025-01-04", "quantity": "1"}
    day_url = fair.replace("/sales", f"/items/{rosca.pk}/sales/2025-01-04")

    grid = call("sales", "put", fair, {"sales": [cell]})
    day = call("sales", "put", day_url, {"quantity": "1"})

    assert grid.status_code == day.status_code == 428
    assert not EventSale.objects.exists()


def test_one_refused_cell_of_the_grid_gets_422_naming_it_and_writes_nothing(call, fair, rosca):
    other = ProductFactory(name="Concha")
    cells = [
        {"product_id": rosca.pk, "sold_on": "2025-01-04", "quantity": "10"},
        {"product_id": rosca.pk, "sold_on": "2025-01-05", "quantity": "31"},
    ]

    too_many = call("sales", "put", fair, {"version": 1, "sales": cells})
    not_there = call(
        "sales",
        "put",
        fair,
        {"version": 1, "sales": [{**cells[0], "product_id": other.pk}]},
    )

    assert too_many.status_code == not_there.status_code == 422
    assert [e["loc"] for e in too_many.json()["detail"]] == [["body", "sales", 1, "quantity"]]
    assert [e["loc"] for e in not_there.json()["detail"]] == [["body", "sales", 0, "product_id"]]
    assert not EventSale.objects.exists()
    assert Event.objects.get().sales_version == 1


@pytest.mark.parametrize(("role", "status"), [(None, 401), ("readonly", 403), ("support", 403)])
def test_who_may_not_save_the_grid(call, fair, rosca, role, status):
    cell = {"product_id": rosca.pk, "sold_on": "2025-01-04", "quantity": "1"}

    assert call(role, "put", fair, {"version": 1, "sales": [cell]}).status_code == status
    assert not EventSale.objects.exists()


@pytest.mark.parametrize(
    ("start", "status"),
    [("9999-12-30", 422), ("1899-12-31", 422), ("2199-12-31", 201), ("1900-01-01", 201)],
)
def test_an_event_starts_in_the_years_business_dates_have(call, start, status):
    response = call("sales", "post", EVENTS, {**EVENT, "start_date": start})

    assert response.status_code == status
    if status == 422:
        assert response.json()["detail"][0]["loc"] == ["body", "start_date"]
        assert "1900 to 2199" in response.json()["detail"][0]["msg"]
    assert Event.objects.exists() == (status == 201)


def test_an_event_stored_before_dates_had_a_range_breaks_no_list(call, client, owner):
    # given an event saved on 9999-12-30 for three days, before dates were checked
    event = EventFactory(name="Feria del futuro")
    Event.objects.filter(pk=event.pk).update(start_date=date(9999, 12, 30), duration_days=3)

    # then the lists and the event's own page still open, its last day the last there is
    listed = call("readonly", "get", EVENTS)
    detail = call("readonly", "get", f"{EVENTS}/{event.pk}")
    client.force_login(owner)

    assert listed.status_code == 200
    assert detail.status_code == 200
    assert detail.json()["end_date"] == "9999-12-31"
    assert "Feria del futuro" in client.get("/events/").content.decode()
    assert client.get(f"/events/{event.pk}/").status_code == 200


def _sold_event(owner, rosca, **fields):
    """An event with rosca on its list and 20 sold each day."""
    from clientela.events.services import event_item_set, event_sale_record

    event = EventFactory(actor=owner, **fields)
    item = event_item_set(
        actor=owner, event=event, product=rosca, quantity_brought=Decimal(50), quantity_expected=40
    )
    for day in event.days():
        event_sale_record(actor=owner, item=item, sold_on=day, quantity=Decimal(20))
    event.refresh_from_db()
    return event


@pytest.mark.parametrize(("role", "status"), [("sales", 403), ("readonly", 403), ("owner", 204)])
def test_the_owner_deletes_an_event_without_sales(call, rosca, role, status):
    # given an event with a product on its list but nothing sold, saved with a wrong year
    event = call("sales", "post", EVENTS, {**EVENT, "start_date": "2199-01-04"}).json()
    call("sales", "put", f"{EVENTS}/{event['id']}/items/{rosca.pk}", {"quantity_brought": "5"})

    # when deleted with the version read
    response = call(role, "delete", f"{EVENTS}/{event['id']}", headers={"If-Match": '"1"'})

    # then only the owner may, and the event goes with its list
    assert response.status_code == status
    assert Event.objects.exists() == (status != 204)


def test_deleting_needs_the_version_read_and_refuses_a_stale_one(call):
    event = call("sales", "post", EVENTS, EVENT).json()
    url = f"{EVENTS}/{event['id']}"
    call("sales", "patch", url, {"notes": "changed", "version": 1})

    assert call("owner", "delete", url).status_code == 428
    assert call("owner", "delete", url, headers={"If-Match": '"1"'}).status_code == 409
    assert call("owner", "delete", url, headers={"If-Match": '"2"'}).status_code == 204


def test_an_event_with_sales_is_cancelled_not_deleted_and_leaves_the_plans(call, owner, rosca):
    # given two past events at the same place that sold rosca
    kept = _sold_event(owner, rosca, location="Coyoacán", start_date=date(2024, 1, 5))
    called_off = _sold_event(owner, rosca, location="Coyoacán", start_date=date(2024, 3, 1))
    url = f"{EVENTS}/{called_off.pk}"

    # when the owner tries to delete one, then cancels it
    deleted = call("owner", "delete", url, headers={"If-Match": '"1"'})
    by_sales = call("sales", "post", f"{url}/cancel", {"version": called_off.version})
    cancelled = call("owner", "post", f"{url}/cancel", {"version": called_off.version})
    again = call("owner", "post", f"{url}/cancel", {"version": called_off.version + 1})

    # then deleting is refused naming the way out, and the cancelled event stays, sales
    # and all, marked cancelled; plans for later events leave it out
    assert deleted.status_code == 422
    assert "cancel it instead" in deleted.json()["detail"][0]["msg"]
    assert by_sales.status_code == 403
    assert cancelled.status_code == 200
    assert cancelled.json()["cancelled_at"] is not None
    assert again.status_code == 422
    assert EventSale.objects.filter(item__event=called_off).count() == 2
    plan = call(
        "readonly",
        "get",
        f"{EVENTS}/plan?kind=fair&location=Coyoacán&start_date=2025-01-04&duration_days=2",
    ).json()
    assert plan["event_ids"] == [kept.pk]


def test_an_event_s_name_and_place_keep_no_invisible_characters(call):
    body = {**EVENT, "name": "Feria\u200b del \u202ePan", "location": "\ufeffCoyoacán"}

    response = call("sales", "post", EVENTS, body)

    assert response.status_code == 201, response.json()
    assert (response.json()["name"], response.json()["location"]) == ("Feria del Pan", "Coyoacán")
    blank = call("sales", "post", EVENTS, {**EVENT, "name": "\u200b \u200b"})
    assert blank.status_code == 422
