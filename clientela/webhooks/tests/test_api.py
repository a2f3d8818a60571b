"""The webhook API: only the owner manages subscriptions and reads the delivery log."""

import pytest

from clientela.webhooks.models import WebhookSubscription
from clientela.webhooks.services import event_emit

pytestmark = pytest.mark.django_db
API = "/api/v1/webhooks"
BODY = {"url": "https://hooks.example.com/clientela", "events": ["order.created"]}


@pytest.mark.parametrize(
    ("role", "status"), [(None, 401), ("readonly", 403), ("support", 403), ("sales", 403)]
)
def test_only_the_owner_may_subscribe(client, api_headers, request, role, status):
    headers = api_headers(request.getfixturevalue(role)) if role else {}

    response = client.post(API, BODY, content_type="application/json", headers=headers)

    assert response.status_code == status
    assert not WebhookSubscription.objects.exists()


def test_the_owner_subscribes_sees_the_secret_once_and_reads_the_log(client, owner, api_headers):
    headers = api_headers(owner)

    created = client.post(API, BODY, content_type="application/json", headers=headers)

    assert created.status_code == 201
    subscription = created.json()
    assert len(subscription["secret"]) >= 16
    listed = client.get(API, headers=headers).json()
    assert [s["url"] for s in listed] == [BODY["url"]] and "secret" not in listed[0]
    event_emit(event="order.created", data={"id": 7})
    log = client.get(f"{API}/{subscription['id']}/deliveries", headers=headers).json()
    assert log["count"] == 1 and log["items"][0]["payload"]["data"] == {"id": 7}
    assert log["items"][0]["status"] == "pending"

    gone = client.delete(f"{API}/{subscription['id']}", headers=headers)

    assert gone.status_code == 204 and not WebhookSubscription.objects.exists()


def test_a_bad_subscription_gets_422_naming_the_field(client, owner, api_headers):
    response = client.post(
        API,
        {**BODY, "events": ["order.deleted"]},
        content_type="application/json",
        headers=api_headers(owner),
    )

    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "events"]


def _received(event):
    """An in-process subscriber that does nothing with what it is given."""


def test_the_delivery_log_shows_in_process_deliveries_apart_from_webhooks(
    client, owner, api_headers, subscribers
):
    # given a webhook subscription and an in-process subscriber to new orders
    headers = api_headers(owner)
    subscription = client.post(API, BODY, content_type="application/json", headers=headers)
    subscribers("order.created", f"{__name__}._received", name="tests.points")

    # when an order is announced
    event_emit(event="order.created", data={"id": 7})

    # then the whole log has both deliveries, each saying what it went to
    log = client.get(f"{API}/deliveries", headers=headers).json()
    assert log["count"] == 2
    by_kind = {item["kind"]: item for item in log["items"]}
    assert by_kind["subscriber"]["subscriber"] == "tests.points"
    assert by_kind["subscriber"]["subscription_id"] is None
    assert by_kind["webhook"]["subscription_id"] == subscription.json()["id"]
    assert by_kind["webhook"]["subscriber"] == ""
    for item in log["items"]:
        assert (item["event"], item["event_label"]) == ("order.created", "An order was created")
        assert item["payload"]["data"] == {"id": 7} and item["status"] == "pending"
    # one kind, one subscriber, one status at a time; a subscription's log has its own
    mine = client.get(f"{API}/deliveries?kind=subscriber", headers=headers).json()
    assert [item["subscriber"] for item in mine["items"]] == ["tests.points"]
    named = client.get(f"{API}/deliveries?subscriber=tests.points", headers=headers).json()
    assert named["count"] == 1
    assert client.get(f"{API}/deliveries?status=failed", headers=headers).json()["count"] == 0
    webhooks = client.get(f"{API}/{subscription.json()['id']}/deliveries", headers=headers)
    assert [item["kind"] for item in webhooks.json()["items"]] == ["webhook"]


def test_the_events_list_their_in_process_subscribers(client, owner, api_headers, subscribers):
    subscribers("order.created", f"{__name__}._received", name="tests.points")

    events = client.get(f"{API}/events", headers=api_headers(owner)).json()

    by_name = {event["name"]: event for event in events}
    assert {"customer.created", "order.created", "order.status_changed"} <= set(by_name)
    assert by_name["order.created"]["label"] == "An order was created"
    assert by_name["order.created"]["subscribers"] == [
        {"name": "tests.points", "handler": f"{__name__}._received"}
    ]
    assert by_name["customer.created"]["subscribers"] == []
