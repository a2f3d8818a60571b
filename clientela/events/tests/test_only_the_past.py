"""Events judge only the past: no sale for a day that has not come, no waste before the end,
and a plan counted in whole pieces."""

import html
import re
from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import formats, timezone

from clientela.core.locale import unit_is_counted
from clientela.events import forecast
from clientela.events.models import EventSale
from clientela.events.selectors import EventStage, event_comparison, event_plan_for
from clientela.events.services import event_item_set, event_sale_record, event_sales_save
from clientela.events.tests.factories import EventFactory, ProductFactory

pytestmark = pytest.mark.django_db


def _day(value) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def _text(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())


def _section(response, section_id: str) -> str:
    page = response.content.decode()
    match = re.search(rf'<section [^>]*id="{section_id}".*?</section>', page, re.S)
    assert match, section_id
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", match.group(0))).split())


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def running(today):
    """A three-day market that started yesterday: today has come, tomorrow has not."""
    event = EventFactory(name="Tianguis", start_date=today - timedelta(days=1), duration_days=3)
    item = event_item_set(
        actor=None,
        event=event,
        product=ProductFactory(name="Concha", unit_price=D("12.00")),
        quantity_brought=100,
        quantity_expected=80,
    )
    return event, item


@pytest.fixture
def upcoming(today):
    event = EventFactory(name="Feria de Otoño", start_date=today + timedelta(days=10))
    event_item_set(
        actor=None,
        event=event,
        product=ProductFactory(name="Bolillo", unit_price=D("5.00")),
        quantity_brought=200,
        quantity_expected=150,
    )
    return event


# --- no sale for a day that has not come ---------------------------------------------


def test_a_sale_for_tomorrow_is_refused_naming_the_day_and_today_is_recorded(owner, running, today):
    _event, item = running
    tomorrow = today + timedelta(days=1)

    with pytest.raises(ValidationError) as error:
        event_sale_record(actor=owner, item=item, sold_on=tomorrow, quantity=D(5))

    assert error.value.message_dict["sold_on"] == [
        f"{_day(tomorrow)} has not come yet: its sales can be recorded from that day on."
    ]
    assert not EventSale.objects.exists()
    event_sale_record(actor=owner, item=item, sold_on=today, quantity=D(5))
    assert EventSale.objects.get().sold_on == today


def test_a_grid_with_a_day_to_come_writes_nothing(owner, running, today):
    event, item = running

    with pytest.raises(ValidationError) as error:
        event_sales_save(
            actor=owner,
            event=event,
            version=event.sales_version,
            sales=[
                {"item": item, "sold_on": today, "quantity": D(3)},
                {"item": item, "sold_on": today + timedelta(days=1), "quantity": D(4)},
            ],
        )

    assert "has not come yet" in " ".join(error.value.message_dict["sales.1.sold_on"])
    assert not EventSale.objects.exists()


def test_the_grid_page_opens_only_the_days_that_have_come(client, sales, running, today):
    event, item = running
    client.force_login(sales)
    url = reverse("events:detail", args=[event.pk])
    tomorrow = today + timedelta(days=1)

    page = client.get(url).content.decode()

    assert re.search(rf'<input type="text" name="sale-{item.pk}-{today.isoformat()}"', page)
    future = re.search(rf'<input type="text" id="id_sale-{item.pk}-{tomorrow}"[^>]*>', page)
    assert future and "disabled" in future.group(0) and "name=" not in future.group(0)

    # a cell for tomorrow posted anyway (an old page) is refused beside it, nothing written
    response = client.post(
        reverse("events:sales_save", args=[event.pk]),
        {"version": event.sales_version, f"sale-{item.pk}-{tomorrow.isoformat()}": "7"},
    )
    assert f"{_day(tomorrow)} has not come yet" in _text(response)
    assert not EventSale.objects.exists()


def test_the_api_refuses_a_sale_for_a_day_to_come(call, running, today):
    event, item = running
    tomorrow = today + timedelta(days=1)
    url = f"/api/v1/events/{event.pk}/items/{item.product_id}/sales/{tomorrow.isoformat()}"

    response = call("sales", "put", url, {"quantity": "4", "version": event.sales_version})

    assert response.status_code == 422
    assert "has not come yet" in str(response.json())
    assert not EventSale.objects.exists()


# --- waste and shortfall only once the event is over ---------------------------------


def test_an_upcoming_event_shows_only_its_plan(client, readonly, upcoming):
    comparison = event_comparison(event=upcoming)

    assert comparison.stage is EventStage.UPCOMING
    row = comparison.rows[0]
    assert (row.difference, row.leftover, row.waste_percent, row.sell_through_percent) == (
        None,
        None,
        None,
        None,
    )
    client.force_login(readonly)
    section = _section(client.get(reverse("events:detail", args=[upcoming.pk])), "comparison")
    assert "What is planned" in section and "200" in section and "150" in section
    for judged in ("Waste", "Leftover", "Difference", "Sell-through", "-150"):
        assert judged not in section


def test_the_event_list_gives_no_share_sold_for_an_upcoming_event(client, readonly, upcoming):
    client.force_login(readonly)

    text = _text(client.get(reverse("events:list")))

    assert "Feria de Otoño" in text and "0 / 200" in text and "(0%)" not in text


def test_a_running_event_shows_sold_so_far_without_waste(client, readonly, running, today):
    event, item = running
    event_sale_record(actor=None, item=item, sold_on=today, quantity=D(30))

    comparison = event_comparison(event=event)

    assert comparison.stage is EventStage.RUNNING
    assert comparison.total.sold == D(30) and comparison.total.sell_through_percent == D("30.00")
    assert comparison.total.leftover is None and comparison.total.waste_percent is None
    client.force_login(readonly)
    section = _section(client.get(reverse("events:detail", args=[event.pk])), "comparison")
    assert "Sold so far" in section and "Waste" not in section and "Leftover" not in section


def test_the_api_says_the_stage_and_leaves_waste_out_before_the_end(call, upcoming):
    body = call("readonly", "get", f"/api/v1/events/{upcoming.pk}/comparison").json()

    assert body["stage"] == "upcoming"
    assert body["total"]["waste_percent"] is None and body["total"]["leftover"] is None
    assert body["total"]["difference"] is None


# --- whole pieces in the plan --------------------------------------------------------


def test_units_counted_in_pieces():
    for unit in ("pza", "Pzas", "piece", "шт.", "caja", "unidad"):
        assert unit_is_counted(unit), unit
    for unit in ("kg", "g", "l", "ml", "lb", "кг"):
        assert not unit_is_counted(unit), unit


def test_the_plan_suggests_whole_pieces_and_keeps_measures_as_they_are(today):
    conchas = ProductFactory(name="Concha", unit="pza")
    masa = ProductFactory(name="Masa", unit="kg")
    past = EventFactory(location="Zócalo", start_date=today - timedelta(days=30), duration_days=3)
    for product, sold in ((conchas, (D(140), D(141), D(140))), (masa, (D("2.5"), D(3), D(3)))):
        item = event_item_set(
            actor=None, event=past, product=product, quantity_brought=500, quantity_expected=0
        )
        for offset, quantity in enumerate(sold):
            day = past.start_date + timedelta(days=offset)
            event_sale_record(actor=None, item=item, sold_on=day, quantity=quantity)

    plan = event_plan_for(
        kind="fair", location="Zócalo", start_date=today + timedelta(days=7), duration_days=2
    )

    by_name = {line.product.name: line.quantity for line in plan.lines}
    assert by_name["Concha"] == D(281)  # 421 sold in 3 days → 280.67 in 2 → 281 pieces
    assert by_name["Masa"] == D("5.667")  # 8.5 kg in 3 days → 5.667 kg in 2


def test_forecast_rounds_the_suggestion_and_its_backtest_to_whole_units():
    shape = forecast.EventShape("fair", "Zócalo", timezone.localdate(), 2)
    history = [
        forecast.PastEvent(
            n, "fair", "Zócalo", shape.start_date - timedelta(days=30 * n), 3, {7: 421}
        )
        for n in (1, 2)
    ]

    whole = forecast.plan(shape, history, whole_units={7}).products[0]
    plain = forecast.plan(shape, history).products[0]

    assert whole.suggested == 281.0 and plain.suggested == pytest.approx(280.667, abs=1e-3)
    assert [point.suggested for point in whole.backtest] == [421.0]
