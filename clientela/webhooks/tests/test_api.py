"""The webhook API: only the owner manages subscriptions and reads the delivery log."""

import pytest

from clientela.webhooks.models import WebhookSubscription
from clientela.webhooks.services import webhook_emit

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
    webhook_emit(event="order.created", data={"id": 7})
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
