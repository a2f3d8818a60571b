"""One timeline per customer: changes, orders, contacts, activities, opportunities and
notes merged newest first, filtered by kind, a page at a time at the same cost."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clientela.customers.tests.factories import CustomerFactory
from clientela.customers.timeline import TimelineCursor, customer_timeline
from clientela.orders.tests.factories import OrderFactory
from clientela.relations.models import Interaction
from clientela.relations.services import (
    activity_plan,
    interaction_record,
    note_add,
    opportunity_create,
)
from clientela.relations.tests.factories import consenting

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer(sales):
    return consenting(CustomerFactory(name="Restaurante El Fogón", owner=sales))


def _contacts(customer, count: int, start=None):
    """``count`` inbound contacts, one a minute back from ``start``, several at one time."""
    start = start or timezone.now() - timedelta(days=1)
    Interaction.objects.bulk_create(
        Interaction(
            customer=customer,
            channel="phone",
            direction="inbound",
            at=start - timedelta(minutes=n // 3),
            subject=f"Llamada {n}",
        )
        for n in range(count)
    )


def _every_page(customer, user, kinds=None):
    items, before, pages = [], "", 0
    while True:
        page = customer_timeline(customer=customer, user=user, kinds=kinds, before=before)
        items += page.items
        pages += 1
        if page.next is None:
            return items, pages
        before = page.next


def test_every_kind_is_merged_newest_first(sales, customer):
    now = timezone.now()
    three_days_ago = timezone.localdate() - timedelta(days=3)
    OrderFactory(customer=customer, order_date=three_days_ago, due_date=three_days_ago)
    interaction_record(
        actor=sales, customer=customer, channel="phone", direction="outbound",
        at=now - timedelta(days=2), subject="Cotización",
    )  # fmt: skip
    activity_plan(
        actor=sales, kind="visit", subject="Degustación", due_at=now + timedelta(days=1),
        customer=customer,
    )  # fmt: skip
    opportunity_create(actor=sales, customer=customer, title="Pan para banquetes")
    note_add(actor=sales, customer=customer, text="Prefiere que llamemos por la tarde.")
    page = customer_timeline(customer=customer, user=sales)
    kinds = [item.kind for item in page.items]
    assert {"history", "order", "interaction", "activity", "opportunity", "note"} <= set(kinds)
    assert kinds[0] == "activity"  # planned for tomorrow: the newest
    whens = [item.when for item in page.items]
    assert whens == sorted(whens, reverse=True)
    only = customer_timeline(customer=customer, user=sales, kinds=["interaction", "order"])
    assert [item.kind for item in only.items] == ["interaction", "order"]


def test_pages_cover_every_entry_once_even_when_many_share_a_time(sales, customer):
    _contacts(customer, 130)
    note_add(actor=sales, customer=customer, text="Nota")
    items, pages = _every_page(customer, sales)
    contacts = [item for item in items if item.kind == "interaction"]
    assert len(contacts) == 130 and len({item.key for item in contacts}) == 130
    assert pages >= 6
    order = [(item.when, item.kind, item.key) for item in items]
    assert order == sorted(order, reverse=True)


def test_a_page_costs_the_same_for_five_entries_or_five_hundred(sales, customer):
    few = consenting(CustomerFactory(name="Pocas", owner=sales))
    _contacts(few, 5)
    _contacts(customer, 500)
    with CaptureQueriesContext(connection) as small:
        customer_timeline(customer=few, user=sales)
    with CaptureQueriesContext(connection) as large:
        page = customer_timeline(customer=customer, user=sales)
    with CaptureQueriesContext(connection) as later:
        customer_timeline(customer=customer, user=sales, before=page.next)
    assert len(small) == len(large) == len(later)


def test_a_cursor_that_is_not_one_starts_from_the_top(sales, customer):
    _contacts(customer, 3)
    assert TimelineCursor.decode("yesterday~note~x") is None
    page = customer_timeline(customer=customer, user=sales, before="nonsense")
    assert len(page.items) >= 3


def test_the_customer_page_pages_and_filters_the_timeline(client, sales, customer):
    _contacts(customer, 40)
    client.force_login(sales)
    page = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert page.count('class="timeline-item timeline-') == 25
    assert "Show older" in page
    url = reverse("customers:timeline", args=[customer.pk])
    first = customer_timeline(customer=customer, user=sales)
    older = client.get(url, {"before": first.next}, headers={"HX-Request": "true"})
    html = older.content.decode()
    assert "<section" not in html  # only the next items, to append
    shown = page.count('class="timeline-item timeline-interaction"')
    assert html.count('class="timeline-item timeline-interaction"') == 40 - shown
    only_history = client.get(url, {"kind": "history"}, headers={"HX-Request": "true"})
    assert "timeline-interaction" not in only_history.content.decode()
    assert "timeline-history" in only_history.content.decode()
    plain = client.get(url, {"before": first.next})
    assert plain.status_code == 302 and "before=" in plain["Location"]


def test_the_api_pages_the_timeline(sales, customer, api_headers, client):
    _contacts(customer, 30)
    url = f"/api/v1/customers/{customer.pk}/timeline"
    first = client.get(url, headers=api_headers(sales)).json()
    assert len(first["items"]) == 25 and first["next"]
    second = client.get(url, {"before": first["next"]}, headers=api_headers(sales)).json()
    ids = [item["id"] for item in first["items"] + second["items"] if item["kind"] == "interaction"]
    assert len(ids) == len(set(ids)) == 30 and second["next"] is None
    only = client.get(url, {"kind": "interaction"}, headers=api_headers(sales)).json()
    assert {item["kind"] for item in only["items"]} == {"interaction"}
    refused = client.get(url, {"kind": "gossip"}, headers=api_headers(sales))
    assert refused.status_code == 422 and "kind" in refused.content.decode()
    assert client.get(url, {"before": "x"}, headers=api_headers(sales)).status_code == 422
