"""The staff pages of event sales, as a member of staff uses them in a browser."""

import html
import json
import re
from datetime import date
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clientela.events.models import Event, EventProduct, EventSale
from clientela.events.services import (
    event_item_set,
    event_sale_record,
    event_update,
    quantity_text,
)
from clientela.events.tests.factories import EventFactory, ProductFactory

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true", "HX-Target": "event-results"}
DAY_1, DAY_2 = date(2024, 6, 10), date(2024, 6, 11)


# --- helpers ------------------------------------------------------------------------


@pytest.fixture
def products():
    return {
        "bolillo": ProductFactory(name="Bolillo", unit_price=D("5.00")),
        "concha": ProductFactory(name="Concha", unit_price=D("12.00")),
        "rosca": ProductFactory(name="Rosca vieja", is_active=False),
    }


@pytest.fixture
def feria(products):
    """Feria de Primavera, 10–11 June 2024: bolillos (50 brought) and conchas (20)."""
    event = EventFactory(name="Feria de Primavera", start_date=DAY_1, duration_days=2)
    bolillo = event_item_set(
        actor=None,
        event=event,
        product=products["bolillo"],
        quantity_brought=D(50),
        quantity_expected=D(40),
    )
    concha = event_item_set(
        actor=None,
        event=event,
        product=products["concha"],
        quantity_brought=D(20),
        quantity_expected=D(20),
    )
    event_sale_record(actor=None, item=bolillo, sold_on=DAY_1, quantity=D(20))
    return {"event": event, "bolillo": bolillo, "concha": concha}


def _page(response) -> str:
    return response.content.decode()


def _text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", _page(response))).split())


def _field_error(response, field: str) -> str:
    """The error shown right beside a form field (``id="id_<field>_error"``), or ""."""
    match = re.search(rf'<div[^>]* id="id_{field}_error"[^>]*>(.*?)</div>', _page(response), re.S)
    return html.unescape(match.group(1)).strip() if match else ""


def _section(response, section_id: str) -> str:
    match = re.search(rf'<section [^>]*id="{section_id}".*?</section>', _page(response), re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(0))).split()) if match else ""


def _messages(response) -> str:
    alerts = re.findall(
        r'<div class="alert [^"]*alert-dismissible[^>]*>(.*?)<button', _page(response), re.S
    )
    return " ".join(html.unescape(" ".join(alerts)).split())


def _cell(item: EventProduct, day: date) -> str:
    return f"sale-{item.pk}-{day.isoformat()}"


def _grid_version(page: str) -> str:
    """The sales version the page's grid form carries, as the browser posts it back."""
    match = re.search(
        r'action="/events/\d+/sales/?"[^>]*>.*?name="version" value="(\d*)"', page, re.S
    )
    assert match, "the sales grid form carries no version"
    return match.group(1)


def _opened_grid(client, event: Event) -> str:
    """The sales version of the grid a member of staff opens now."""
    return _grid_version(_page(client.get(reverse("events:detail", args=[event.pk]))))


def _state() -> dict:
    """Everything the event pages may write, to show that nothing was."""
    return {
        "events": list(Event.objects.values_list("pk", "name", "duration_days", "version")),
        "items": list(
            EventProduct.objects.values_list(
                "pk", "product_id", "quantity_brought", "quantity_expected", "unit_price"
            )
        ),
        "sales": list(EventSale.objects.values_list("item_id", "sold_on", "quantity")),
    }


def _event_form(event: Event, **changes) -> dict:
    data = {
        "name": event.name,
        "kind": event.kind,
        "location": event.location,
        "start_date": event.start_date.isoformat(),
        "duration_days": event.duration_days,
        "notes": event.notes,
        "reason": "",
        "version": event.version,
    }
    data.update(changes)
    return data


def _writes(feria, products) -> dict:
    """Every request that changes something: (method, url, data)."""
    event = feria["event"]
    return {
        "create": ("post", reverse("events:create"), _event_form(event, name="Otra")),
        "edit": ("post", reverse("events:edit", args=[event.pk]), _event_form(event, name="X")),
        "item": (
            "post",
            reverse("events:item_set", args=[event.pk]),
            {"product": products["concha"].pk, "quantity_brought": 30, "quantity_expected": 25},
        ),
        "remove": (
            "post",
            reverse("events:item_remove", args=[event.pk, products["concha"].pk]),
            {},
        ),
        "sales": (
            "post",
            reverse("events:sales_save", args=[event.pk]),
            {_cell(feria["concha"], DAY_1): "3", "version": event.sales_version},
        ),
        "plan": ("post", reverse("events:plan_apply", args=[event.pk]), {}),
        "create page": ("get", reverse("events:create"), None),
        "edit page": ("get", reverse("events:edit", args=[event.pk]), None),
        "item page": ("get", reverse("events:item_set", args=[event.pk]), None),
    }


# --- roles --------------------------------------------------------------------------


def test_anonymous_visitors_are_sent_to_the_login_page(client, feria, products):
    # given someone who has not signed in
    event = feria["event"]
    pages = [
        reverse("events:list"),
        reverse("events:detail", args=[event.pk]),
        reverse("events:plan", args=[event.pk]),
        reverse("events:plan_new"),
    ]
    before = _state()

    # when they open the pages or send the forms
    answers = [client.get(url) for url in pages]
    answers += [
        getattr(client, method)(url, data)
        for method, url, data in _writes(feria, products).values()
    ]

    # then each sends them to the login page, and nothing is written
    assert {response.status_code for response in answers} == {302}
    assert all(r["Location"].startswith(reverse("login") + "?next=") for r in answers)
    assert _state() == before


@pytest.mark.parametrize("role", ["readonly", "support"])
def test_readonly_and_support_see_events_but_change_nothing(client, feria, products, role, request):
    # given a read-only or support user
    client.force_login(request.getfixturevalue(role))
    event = feria["event"]
    before = _state()

    # when they open the list, the event and its plan
    listing = client.get(reverse("events:list"))
    detail = client.get(reverse("events:detail", args=[event.pk]))
    plan = client.get(reverse("events:plan", args=[event.pk]))
    # and try every change
    statuses = {
        label: getattr(client, method)(url, data).status_code
        for label, (method, url, data) in _writes(feria, products).items()
    }

    # then they see the pages
    assert (listing.status_code, detail.status_code, plan.status_code) == (200, 200, 200)
    assert "Feria de Primavera" in _page(listing)
    assert "Bolillo" in _section(detail, "sales")
    # without a button or a form that changes anything
    page = _page(detail) + _page(listing) + _page(plan)
    for name in ("create", "edit", "item_set", "sales_save", "plan_apply"):
        args = [] if name == "create" else [event.pk]
        assert reverse(f"events:{name}", args=args) not in page, name
    assert 'name="sale-' not in _page(detail)
    assert "Use the plan" not in page
    # and every change is refused, writing nothing
    assert statuses == dict.fromkeys(statuses, 403)
    assert _state() == before


def test_sales_see_the_buttons_that_change_an_event(client, sales, feria):
    # given a salesperson
    client.force_login(sales)
    event = feria["event"]

    # when they open the list and the event
    listing = _page(client.get(reverse("events:list")))
    detail = _page(client.get(reverse("events:detail", args=[event.pk])))

    # then they may add, edit, add products, record sales and use the plan
    assert f'href="{reverse("events:create")}"' in listing
    assert f'href="{reverse("events:edit", args=[event.pk])}"' in detail
    assert f'action="{reverse("events:item_set", args=[event.pk])}"' in detail
    assert f'action="{reverse("events:sales_save", args=[event.pk])}"' in detail
    assert f'action="{reverse("events:plan_apply", args=[event.pk])}"' in detail


def test_the_menu_shows_events_to_who_may_see_them(client, readonly):
    # given a read-only user
    client.force_login(readonly)

    # when they open any page
    page = _page(client.get(reverse("events:list")))

    # then the main menu links to the events, marked as the current page
    assert re.search(
        rf'<a class="nav-link active" href="{reverse("events:list")}" aria-current="page">'
        r'<i class="bi bi-shop"[^>]*></i> Events</a>',
        page,
    )


def test_actions_that_change_data_take_only_a_post(client, owner, feria, products):
    # given the owner
    client.force_login(owner)
    event = feria["event"]
    before = _state()

    # when a link (a GET) points at saving sales, removing a product or using the plan
    statuses = [
        client.get(reverse("events:sales_save", args=[event.pk])).status_code,
        client.get(
            reverse("events:item_remove", args=[event.pk, products["concha"].pk])
        ).status_code,
        client.get(reverse("events:plan_apply", args=[event.pk])).status_code,
    ]

    # then it is refused as the wrong method
    assert statuses == [405, 405, 405]
    assert _state() == before


# --- list ---------------------------------------------------------------------------


def test_list_shows_each_event_with_sold_against_brought(client, readonly, feria):
    # given an event with 20 sold of 70 brought
    client.force_login(readonly)

    # when the list is opened
    response = client.get(reverse("events:list"))

    # then the row shows its name, kind, location, dates and sold / brought
    text = _text(response)
    assert "1 event" in text
    assert "Feria de Primavera Fair Plaza Mayor 06/10/2024 – 06/11/2024 20 / 70 (29%)" in text


def test_list_filters_by_kind_location_and_year(client, readonly):
    # given events of two kinds, places and years
    EventFactory(name="Tianguis Coyoacán", kind="market", location="Coyoacán")
    EventFactory(name="Expo Pan 2023", kind="expo", location="WTC", start_date=date(2023, 3, 1))
    EventFactory(name="Expo Pan 2024", kind="expo", location="WTC", start_date=date(2024, 3, 1))
    client.force_login(readonly)
    url = reverse("events:list")

    # when the list is filtered
    def names(**query):
        return re.findall(r'class="fw-semibold">(.*?)</a>', _page(client.get(url, query)))

    # then only the matching events are listed
    assert names(kind="market") == ["Tianguis Coyoacán"]
    assert names(location="wtc") == ["Expo Pan 2024", "Expo Pan 2023"]
    assert names(year=2023) == ["Expo Pan 2023"]
    assert names(kind="expo", year=2024) == ["Expo Pan 2024"]
    assert names(kind="fair") == []
    assert '<option value="2023">2023</option>' in _page(client.get(url))
    # and htmx gets only the results
    partial = _page(client.get(url, {"kind": "market"}, headers=HTMX))
    assert partial.startswith('\n<div id="event-results"') or 'id="event-results"' in partial
    assert "<html" not in partial


def _busy_events(products, count: int, offset: int = 0):
    for number in range(offset, offset + count):
        event = EventFactory(name=f"Mercado {number}", start_date=date(2024, 1, 1 + number))
        for product in products:
            item = event_item_set(
                actor=None,
                event=event,
                product=product,
                quantity_brought=D(10),
                quantity_expected=D(5),
            )
            event_sale_record(actor=None, item=item, sold_on=event.start_date, quantity=D(3))


def test_list_runs_the_same_number_of_queries_for_3_and_15_events(client, readonly, products):
    # given 3 events, each with two products and their sales
    two = [products["bolillo"], products["concha"]]
    _busy_events(two, 3)
    client.force_login(readonly)
    url = reverse("events:list")
    client.get(url)

    # when the list is opened with 3, then with 15 such events
    with CaptureQueriesContext(connection) as three:
        small = client.get(url)
    with CaptureQueriesContext(connection) as three_htmx:
        client.get(url, headers=HTMX)
    _busy_events(two, 12, offset=3)
    with CaptureQueriesContext(connection) as fifteen:
        large = client.get(url)
    with CaptureQueriesContext(connection) as fifteen_htmx:
        client.get(url, headers=HTMX)

    # then both lists are complete
    assert _page(small).count("6 / 20") == 3
    assert _page(large).count("6 / 20") == 15
    # and ran the same number of queries
    assert len(three) == len(fifteen), "\n".join(q["sql"] for q in fifteen.captured_queries)
    assert len(three_htmx) == len(fifteen_htmx)


# --- create and edit ----------------------------------------------------------------


def test_create_stores_an_event_and_shows_it(client, sales):
    # given a salesperson on the "Add an event" form
    client.force_login(sales)
    form = _page(client.get(reverse("events:create")))
    assert 'type="date"' in form

    # when they save a new event
    response = client.post(
        reverse("events:create"),
        {
            "name": "  Feria   del Pan ",
            "kind": "fair",
            "location": "Zócalo",
            "start_date": "2024-11-02",
            "duration_days": "3",
            "notes": "Puesto 14",
        },
    )

    # then it is stored and its page says so
    event = Event.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("events:detail", args=[event.pk])
    assert (event.name, event.location, event.end_date) == (
        "Feria del Pan",
        "Zócalo",
        date(2024, 11, 4),
    )
    page = client.get(response["Location"])
    assert "Event “Feria del Pan” added." in _messages(page)
    assert "Puesto 14" in _page(page)


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("name", {"name": ""}, "This field is required."),
        ("duration_days", {"duration_days": "0"}, "greater than or equal to 1"),
        ("start_date", {"start_date": "mañana"}, "Enter a valid date."),
        ("location", {"location": "x" * 201}, "at most 200 characters"),
    ],
)
def test_create_refuses_a_wrong_value_beside_its_field(client, sales, field, typed, message):
    # given a salesperson on the "Add an event" form
    client.force_login(sales)
    data = {
        "name": "Feria",
        "kind": "fair",
        "location": "Zócalo",
        "start_date": "2024-11-02",
        "duration_days": "2",
        "notes": "",
        **typed,
    }

    # when they save it with one wrong value
    response = client.post(reverse("events:create"), data)

    # then the form comes back with the reason beside that field only
    assert response.status_code == 200
    assert message in _field_error(response, field)
    assert f'aria-describedby="id_{field}_error"' in _page(response)
    others = {"name", "kind", "location", "start_date", "duration_days"} - {field}
    assert {name: _field_error(response, name) for name in others} == dict.fromkeys(others, "")
    # and nothing was written
    assert not Event.objects.exists()


def test_create_is_filled_from_a_plan(client, sales):
    # given a salesperson coming from the plan of a new event
    client.force_login(sales)

    # when they follow "Add this event"
    page = _page(
        client.get(
            reverse("events:create"),
            {"kind": "market", "location": "Coyoacán", "start_date": "2025-01-05"},
        )
    )

    # then the form holds what they planned
    assert '<option value="market" selected>' in page
    assert 'value="Coyoacán"' in page
    assert 'value="2025-01-05"' in page


def test_edit_saves_the_changes(client, sales, feria):
    # given a salesperson editing the event
    client.force_login(sales)
    event = feria["event"]
    page = _page(client.get(reverse("events:edit", args=[event.pk])))
    assert 'value="Feria de Primavera"' in page and 'name="version" value="1"' in page

    # when they rename it
    response = client.post(
        reverse("events:edit", args=[event.pk]), _event_form(event, name="Feria de Verano")
    )

    # then it is saved
    assert response.status_code == 302
    event.refresh_from_db()
    assert (event.name, event.version) == ("Feria de Verano", 2)


def test_edit_refuses_dates_that_leave_out_a_day_with_sales(client, sales, feria):
    # given an event with sales on its second day
    client.force_login(sales)
    event = feria["event"]
    event_sale_record(actor=None, item=feria["concha"], sold_on=DAY_2, quantity=D(4))
    before = _state()

    # when a salesperson shortens it to one day and renames it
    response = client.post(
        reverse("events:edit", args=[event.pk]),
        _event_form(event, name="Otro nombre", duration_days=1),
    )

    # then the service's refusal is shown beside the number of days
    assert response.status_code == 200
    assert "Sales are recorded on 06/11/2024" in _field_error(response, "duration_days")
    assert _field_error(response, "name") == ""
    assert 'value="Otro nombre"' in _page(response)
    # and nothing was written
    assert _state() == before


def test_edit_of_an_outdated_version_is_refused(client, sales, owner, feria):
    # given a salesperson who opened the edit form
    client.force_login(sales)
    event = feria["event"]
    opened = _event_form(event)
    # and the owner changed the event meanwhile
    event_update(actor=owner, event=Event.objects.get(pk=event.pk), version=1, name="Feria 2024")

    # when the salesperson saves their change
    response = client.post(
        reverse("events:edit", args=[event.pk]), {**opened, "location": "Alameda"}
    )

    # then it is refused with a warning, and their typing is still in the form
    page = html.unescape(_page(response))
    assert response.status_code == 200
    assert "Someone else changed this record since you opened it." in page
    assert "Your changes were not saved and are still in the form below." in page
    assert 'value="Alameda"' in page
    # and nothing the owner saved was overwritten
    event.refresh_from_db()
    assert (event.name, event.location, event.version) == ("Feria 2024", "Plaza Mayor", 2)


# --- products at the event ----------------------------------------------------------


def test_item_form_adds_a_product_at_the_product_price(client, sales, feria, products):
    # given a salesperson on the event's page, whose product list has only active products
    client.force_login(sales)
    event = feria["event"]
    detail = _page(client.get(reverse("events:detail", args=[event.pk])))
    assert "Rosca vieja" not in detail
    extra = ProductFactory(name="Oreja", unit_price=D("8.50"))

    # when they add a product without a price
    response = client.post(
        reverse("events:item_set", args=[event.pk]),
        {"product": extra.pk, "quantity_brought": "12", "quantity_expected": "10"},
    )

    # then the line is stored at the product's price
    assert response.status_code == 302
    item = EventProduct.objects.get(event=event, product=extra)
    assert (item.quantity_brought, item.quantity_expected, item.unit_price) == (
        D(12),
        D(10),
        D("8.50"),
    )
    assert "Oreja saved." in _messages(client.get(response["Location"]))


def test_item_form_changes_a_line_it_opens_filled_in(client, sales, feria, products):
    # given a salesperson who opens the line of conchas
    client.force_login(sales)
    event = feria["event"]
    url = reverse("events:item_set", args=[event.pk])
    page = _page(client.get(url, {"product": products["concha"].pk}))
    assert f'<option value="{products["concha"].pk}" selected>' in page
    assert 'name="quantity_brought" value="20"' in page

    # when they change brought, expected and price
    client.post(
        url,
        {
            "product": products["concha"].pk,
            "quantity_brought": "25",
            "quantity_expected": "22.5",
            "unit_price": "13",
        },
    )

    # then the line has the new figures
    feria["concha"].refresh_from_db()
    assert (
        feria["concha"].quantity_brought,
        feria["concha"].quantity_expected,
        feria["concha"].unit_price,
    ) == (D(25), D("22.5"), D(13))


@pytest.mark.parametrize(
    ("typed", "field", "message"),
    [
        (
            {"quantity_expected": "60"},
            "quantity_expected",
            "No more can sell than is brought (50).",
        ),
        (
            {"quantity_brought": "10", "quantity_expected": "5"},
            "quantity_brought",
            "20 have already sold",
        ),
        ({"unit_price": "-1"}, "unit_price", "The price cannot be negative."),
        ({"quantity_brought": "muchos"}, "quantity_brought", "such as 1,234.56."),
        ({"product": ""}, "product", "This field is required."),
    ],
)
def test_item_form_shows_errors_beside_fields_and_writes_nothing(
    client, sales, feria, products, typed, field, message
):
    # given a salesperson changing the line of bolillos (20 already sold)
    client.force_login(sales)
    event = feria["event"]
    before = _state()
    data = {
        "product": products["bolillo"].pk,
        "quantity_brought": "50",
        "quantity_expected": "40",
        "unit_price": "",
        **typed,
    }

    # when they save a wrong value
    response = client.post(reverse("events:item_set", args=[event.pk]), data)

    # then the reason shows beside the field
    assert response.status_code == 200
    assert message in _field_error(response, field)
    # and nothing was written
    assert _state() == before


def test_remove_a_product_only_while_nothing_of_it_sold(client, sales, feria, products):
    # given an event where bolillos sold and conchas did not
    client.force_login(sales)
    event = feria["event"]

    # when a salesperson removes both
    kept = client.post(reverse("events:item_remove", args=[event.pk, products["bolillo"].pk]))
    removed = client.post(reverse("events:item_remove", args=[event.pk, products["concha"].pk]))

    # then conchas are gone, bolillos stay with the reason why
    assert list(event.items.values_list("product__name", flat=True)) == ["Bolillo"]
    assert "has sales recorded at this event" in _messages(client.get(kept["Location"]))
    assert removed.status_code == 302


# --- the daily-sales grid -----------------------------------------------------------


def test_grid_saves_several_days_at_once(client, sales, feria):
    # given a salesperson on the event page, with one cell per product and day
    client.force_login(sales)
    event, bolillo, concha = feria["event"], feria["bolillo"], feria["concha"]
    page = _page(client.get(reverse("events:detail", args=[event.pk])))
    for item in (bolillo, concha):
        for day in (DAY_1, DAY_2):
            assert f'name="{_cell(item, day)}"' in page
    assert re.search(rf'name="{_cell(bolillo, DAY_1)}"[^>]*value="20"', page)

    # when they type both days of both products and save once
    response = client.post(
        reverse("events:sales_save", args=[event.pk]),
        {
            "version": _grid_version(page),
            _cell(bolillo, DAY_1): "22",
            _cell(bolillo, DAY_2): "25",
            _cell(concha, DAY_1): "0",
            _cell(concha, DAY_2): "7.5",
        },
    )

    # then every day is recorded
    assert response.status_code == 302
    assert response["Location"].endswith("#sales")
    assert sorted(EventSale.objects.values_list("item__product__name", "sold_on", "quantity")) == [
        ("Bolillo", DAY_1, D(22)),
        ("Bolillo", DAY_2, D(25)),
        ("Concha", DAY_1, D(0)),
        ("Concha", DAY_2, D("7.5")),
    ]
    assert "Sales saved." in _messages(client.get(response["Location"]))


def test_grid_moves_sales_between_days(client, sales, feria):
    # given 20 of 20 conchas recorded on the first day
    client.force_login(sales)
    event, concha = feria["event"], feria["concha"]
    event_sale_record(actor=None, item=concha, sold_on=DAY_1, quantity=D(20))

    # when the salesperson corrects it to 5 on the first day and 15 on the second
    response = client.post(
        reverse("events:sales_save", args=[event.pk]),
        {
            "version": _opened_grid(client, event),
            _cell(concha, DAY_2): "15",
            _cell(concha, DAY_1): "5",
        },
    )

    # then both are saved (the decrease is applied first)
    assert response.status_code == 302
    assert dict(concha.sales.values_list("sold_on", "quantity")) == {DAY_1: D(5), DAY_2: D(15)}


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("31", "Only 30 of Bolillo are left to sell: 50 brought, 20 sold on the other days."),
        ("-2", "The quantity cannot be negative."),
        ("dos", "Type a number the way it is written here, such as 1,234.56."),
        ("", "A sale is recorded for this day; type 0 if nothing sold."),
    ],
)
def test_grid_refuses_one_bad_cell_and_writes_nothing(client, sales, feria, bad, message):
    # given a salesperson recording sales
    client.force_login(sales)
    event, bolillo, concha = feria["event"], feria["bolillo"], feria["concha"]
    before = _state()
    cells = {
        "version": _opened_grid(client, event),
        _cell(bolillo, DAY_1): "20",
        _cell(bolillo, DAY_2): "30",
        _cell(concha, DAY_1): "5",
        _cell(concha, DAY_2): "6",
    }
    wrong = _cell(bolillo, DAY_2) if bad != "" else _cell(bolillo, DAY_1)
    cells[wrong] = bad

    # when one of the cells is wrong
    response = client.post(reverse("events:sales_save", args=[event.pk]), cells)

    # then the page comes back with the reason in that cell and only there
    assert response.status_code == 200
    assert message in _field_error(response, wrong)
    assert all(_field_error(response, name) == "" for name in cells if name != wrong)
    assert _grid_version(_page(response)) == cells["version"]
    assert "No sale was saved" in _messages(response)
    # and what was typed is still in the cells
    assert re.search(rf'name="{_cell(concha, DAY_2)}"[^>]*value="6"', _page(response))
    # and nothing was written, not even the good cells
    assert _state() == before


def test_grid_shows_one_day_at_a_time(client, sales, feria):
    # given a salesperson on a phone who picks the second day
    client.force_login(sales)
    event, bolillo, concha = feria["event"], feria["bolillo"], feria["concha"]
    url = reverse("events:detail", args=[event.pk])

    # when they open that day and save it
    page = _page(client.get(url, {"day": "2024-06-11"}))
    response = client.post(
        reverse("events:sales_save", args=[event.pk]),
        {
            "day": "2024-06-11",
            "version": _grid_version(page),
            _cell(bolillo, DAY_2): "10",
            _cell(concha, DAY_2): "3",
        },
    )

    # then only that day's cells were shown, and the other day is untouched
    assert f'name="{_cell(bolillo, DAY_2)}"' in page
    assert f'name="{_cell(bolillo, DAY_1)}"' not in page
    assert f'href="{url}?day=2024-06-10#sales"' in page
    assert response["Location"] == f"{url}?day=2024-06-11#sales"
    assert dict(bolillo.sales.values_list("sold_on", "quantity")) == {DAY_1: D(20), DAY_2: D(10)}


def test_grid_saved_from_an_outdated_page_is_refused_and_changes_nothing(
    client, sales, owner, feria
):
    # given a salesperson who opened the grid (20 bolillos on the first day)
    client.force_login(sales)
    event, bolillo, concha = feria["event"], feria["bolillo"], feria["concha"]
    opened = _opened_grid(client, event)
    # and the owner corrected the bolillos to 30 meanwhile
    event_sale_record(actor=owner, item=bolillo, sold_on=DAY_1, quantity=D(30))
    before = _state()

    # when the salesperson saves the grid they opened, with the conchas they typed
    response = client.post(
        reverse("events:sales_save", args=[event.pk]),
        {
            "version": opened,
            _cell(bolillo, DAY_1): "20",
            _cell(bolillo, DAY_2): "",
            _cell(concha, DAY_1): "3",
            _cell(concha, DAY_2): "4",
        },
    )

    # then nothing is saved and the page says so, with what they typed still in the cells
    assert response.status_code == 200
    assert "Someone else changed this record since you opened it." in _messages(response)
    sales_section = _section(response, "sales")
    assert "Your changes were not saved and are still in the form below." in sales_section
    assert "Open the current version in a new tab" in sales_section
    assert re.search(rf'name="{_cell(concha, DAY_2)}"[^>]*value="4"', _page(response))
    assert "Sales saved." not in _messages(response)
    # and the owner's 30 bolillos were not overwritten with the 20 of the old page
    assert _state() == before
    assert bolillo.sales.get(sold_on=DAY_1).quantity == 30


def test_grid_saves_move_the_version_on_so_a_second_tab_is_refused(client, sales, feria):
    # given the same grid opened in two tabs
    client.force_login(sales)
    event, concha = feria["event"], feria["concha"]
    first_tab = second_tab = _opened_grid(client, event)

    # when the first tab saves, then the second
    saved = client.post(
        reverse("events:sales_save", args=[event.pk]),
        {"version": first_tab, _cell(concha, DAY_1): "3"},
    )
    refused = client.post(
        reverse("events:sales_save", args=[event.pk]),
        {"version": second_tab, _cell(concha, DAY_1): "8"},
    )

    # then the first is saved and the second refused
    assert saved.status_code == 302
    assert refused.status_code == 200
    assert "Someone else changed this record" in _messages(refused)
    assert concha.sales.get().quantity == 3
    # and a page opened now carries the new version
    assert int(_opened_grid(client, event)) == int(first_tab) + 1


def test_recording_sales_does_not_make_an_open_event_form_stale(client, sales, owner, feria):
    # given the owner editing the event's details
    event = feria["event"]
    client.force_login(owner)
    page = _page(client.get(reverse("events:edit", args=[event.pk])))
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    # while the salesperson records the day's sales
    event_sale_record(actor=sales, item=feria["concha"], sold_on=DAY_1, quantity=D(5))

    # when the owner saves the details
    response = client.post(
        reverse("events:edit", args=[event.pk]),
        _event_form(event, notes="Llevar toldo", version=version),
    )

    # then they are saved: the sales have a version of their own
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.notes == "Llevar toldo"
    assert feria["concha"].sales.get().quantity == 5


def test_grid_posted_without_its_version_is_refused(client, sales, feria):
    client.force_login(sales)
    event, concha = feria["event"], feria["concha"]
    before = _state()

    response = client.post(
        reverse("events:sales_save", args=[event.pk]), {_cell(concha, DAY_1): "3"}
    )

    assert response.status_code == 200
    assert "The form is missing the record's version; reload the page." in _messages(response)
    assert _state() == before


# --- comparison ---------------------------------------------------------------------


def test_comparison_shows_the_figures_per_product_and_in_total(client, readonly, feria):
    # given bolillos: 50 brought, 40 expected, 45 sold at $5; conchas: 20, 20, 8 at $12
    event_sale_record(actor=None, item=feria["bolillo"], sold_on=DAY_2, quantity=D(25))
    event_sale_record(actor=None, item=feria["concha"], sold_on=DAY_1, quantity=D(8))
    client.force_login(readonly)

    # when the event is opened
    response = client.get(reverse("events:detail", args=[feria["event"].pk]))

    # then each product shows brought, expected, sold, difference, sell-through,
    # leftover, waste, revenue and expected revenue
    comparison = _section(response, "comparison")
    assert "Bolillo 50 40 45 +5 90% 5 10% MX$225.00 MX$200.00" in comparison
    assert "Concha 20 20 8 -12 40% 12 60% MX$96.00 MX$240.00" in comparison
    assert "Total 70 60 53 -7 75.7% 17 24.3% MX$321.00 MX$440.00" in comparison
    # and the chart has expected against sold per product
    chart = json.loads(
        re.search(
            r'<script id="event-chart" type="application/json">(.*?)</script>', _page(response)
        ).group(1)
    )
    assert chart["data"]["labels"] == ["Bolillo", "Concha"]
    assert [d["data"] for d in chart["data"]["datasets"]] == [[40.0, 20.0], [45.0, 8.0]]
    assert 'data-chart="event-chart"' in _page(response)
    assert "vendor/chartjs/chart.umd.min.js" in _page(response)


# --- plans --------------------------------------------------------------------------


def _held(start: date, days: int, sold: dict, location: str = "Plaza Mayor") -> Event:
    """A past event where each product sold the given quantity per day."""
    event = EventFactory(
        name=f"Plaza {start.isoformat()}", location=location, start_date=start, duration_days=days
    )
    for product, per_day in sold.items():
        item = event_item_set(
            actor=None,
            event=event,
            product=product,
            quantity_brought=D(500),
            quantity_expected=D(100),
        )
        for day, quantity in zip(event.days(), per_day, strict=True):
            event_sale_record(actor=None, item=item, sold_on=day, quantity=D(quantity))
    return event


@pytest.fixture
def history(products):
    """Plaza Mayor: 10 June 2023 (1 day, 40 bolillos), 15–16 January 2024 (60 + 40)."""
    first = _held(date(2023, 6, 10), 1, {products["bolillo"]: [40]})
    second = _held(date(2024, 1, 15), 2, {products["bolillo"]: [60, 40]})
    return first, second


def _expected_suggestion(days: int) -> D:
    """By hand: the weighted mean of the daily sales × days (half-life 365, June ×2), in
    whole bolillos (a product counted in pieces)."""
    june = 0.5 ** (366 / 365) * 2  # 2023-06-10 → 2024-06-10, same month as the plan
    january = 0.5 ** (147 / 365)  # 2024-01-15 → 2024-06-10, other season
    per_day = (june * 40 + january * 50) / (june + january)
    return D(repr(per_day * days)).quantize(D(1), rounding="ROUND_HALF_UP")


def test_plan_for_a_new_event_shows_the_suggestion(client, readonly, history):
    # given two past events at Plaza Mayor
    client.force_login(readonly)
    first, second = history

    # when a new two-day fair there in June 2024 is planned
    response = client.get(
        reverse("events:plan_new"),
        {
            "kind": "fair",
            "location": "plaza  mayor",
            "start_date": "2024-06-10",
            "duration_days": 2,
        },
    )

    # then the suggestion, rounded up to bring, and the events used are shown
    suggestion = _expected_suggestion(2)
    text = _text(response)
    assert "Suggested from past events at plaza  mayor." in html.unescape(_page(response))
    assert (
        f"Bolillo {quantity_text(suggestion, 'pza')} {quantity_text(suggestion.to_integral_value(rounding='ROUND_CEILING'))} 2"
        in text
    )
    assert f"{first.name} (06/10/2023), {second.name} (01/15/2024)" in text
    # and the back-test: January was planned from June (40 a day × 2) and sold 100
    assert "20.0 20% 1 past event" in text
    assert f"{second.name} 01/15/2024 80 100" in text  # bolillos are counted whole


def test_plan_for_a_new_event_without_history_says_so(client, readonly):
    # given no past event
    client.force_login(readonly)

    # when a new event is planned, then nothing is suggested and the page says why
    text = _text(
        client.get(
            reverse("events:plan_new"),
            {"kind": "fair", "location": "Zócalo", "start_date": "2024-06-10", "duration_days": 1},
        )
    )
    assert "No similar past event (same location or same kind)" in text


def test_plan_form_refuses_a_wrong_value_beside_its_field(client, readonly):
    client.force_login(readonly)
    response = client.get(
        reverse("events:plan_new"),
        {"kind": "fair", "location": "Zócalo", "start_date": "ayer", "duration_days": 1},
    )
    assert "Enter a valid date." in _field_error(response, "start_date")
    assert "Suggested quantities" not in _page(response)


def test_use_the_plan_fills_brought_and_expected(client, sales, history, products):
    # given an event at Plaza Mayor with nothing brought yet, and its plan
    client.force_login(sales)
    event = EventFactory(name="Feria de Junio", start_date=DAY_1, duration_days=2)
    plan_page = client.get(reverse("events:plan", args=[event.pk]))
    suggestion = _expected_suggestion(2)
    assert quantity_text(suggestion, "pza") in _text(plan_page)

    # when the salesperson uses the plan from the event page
    response = client.post(reverse("events:plan_apply", args=[event.pk]))

    # then the line expects the suggestion and brings it rounded up to a whole unit
    item = EventProduct.objects.get(event=event)
    assert (item.product, item.quantity_expected, item.quantity_brought, item.unit_price) == (
        products["bolillo"],
        suggestion,
        suggestion.to_integral_value(rounding="ROUND_CEILING"),
        D("5.00"),
    )
    assert "filled from the plan for 1 product" in _messages(client.get(response["Location"]))


def test_use_the_plan_writes_nothing_when_a_line_is_refused(client, sales, history, products):
    # given an event where more bolillos sold than the plan would bring
    client.force_login(sales)
    event = EventFactory(name="Feria de Junio", start_date=DAY_1, duration_days=2)
    item = event_item_set(
        actor=None,
        event=event,
        product=products["bolillo"],
        quantity_brought=D(200),
        quantity_expected=D(100),
    )
    event_sale_record(actor=None, item=item, sold_on=DAY_1, quantity=D(150))
    before = _state()

    # when the plan is used
    response = client.post(reverse("events:plan_apply", args=[event.pk]))

    # then it is refused with the reason, and nothing changed
    text = _messages(client.get(response["Location"]))
    assert "The plan was not used; nothing changed. Bolillo: 150 have already sold" in text
    assert _state() == before


def test_an_event_dated_beyond_2199_is_refused_beside_its_start_date(client, sales, feria):
    client.force_login(sales)
    event = feria["event"]

    response = client.post(
        reverse("events:edit", args=[event.pk]), _event_form(event, start_date="9999-12-30")
    )

    assert "Enter a date in the years 1900 to 2199." in _field_error(response, "start_date")
    event.refresh_from_db()
    assert event.start_date.year < 2200


def test_the_owner_deletes_an_event_without_sales_from_its_page(client, owner, sales):
    event = EventFactory(name="Feria equivocada", start_date=date(2199, 6, 1))

    # a salesperson is not offered the button, nor let through
    client.force_login(sales)
    assert "Delete" not in _text(client.get(reverse("events:detail", args=[event.pk])))
    refused = client.post(reverse("events:delete", args=[event.pk]), {"version": event.version})
    assert refused.status_code == 403

    # the owner deletes it and lands on the list, which says so
    client.force_login(owner)
    page = client.get(reverse("events:detail", args=[event.pk]))
    assert "Delete" in _text(page) and "Cancel the event" not in _text(page)
    response = client.post(
        reverse("events:delete", args=[event.pk]), {"version": event.version}, follow=True
    )

    assert "Feria equivocada deleted." in _messages(response)
    assert not Event.objects.filter(pk=event.pk).exists()


def test_the_owner_cancels_an_event_with_sales_and_it_shows_as_cancelled(client, owner, feria):
    event = feria["event"]
    client.force_login(owner)
    page = client.get(reverse("events:detail", args=[event.pk]))
    assert "Cancel the event" in _text(page) and "Delete" not in _text(page)

    # a stale page's cancel is refused, the current one goes through
    stale = client.post(
        reverse("events:cancel", args=[event.pk]), {"version": event.version - 1}, follow=True
    )
    assert "Someone else changed this record" in _messages(stale)
    response = client.post(
        reverse("events:cancel", args=[event.pk]), {"version": event.version}, follow=True
    )

    assert "Feria de Primavera cancelled." in _messages(response)
    assert "Cancelled" in _text(response)
    assert "Cancel the event" not in _text(response)
    listed = _text(client.get(reverse("events:list")))
    assert "Feria de Primavera Cancelled" in listed
    assert EventSale.objects.filter(item__event=event).exists()
