"""Webhooks reach a real HTTP server on 127.0.0.1, signed, logged and retried with back-off."""

import hashlib
import hmac
import json
import socket
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clientela.core.access import AccessDenied
from clientela.customers.models import CustomerEvent
from clientela.customers.tests.factories import CustomerFactory
from clientela.orders.models import OrderEvent
from clientela.webhooks.models import DeliveryStatus, WebhookDelivery
from clientela.webhooks.services import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    event_emit,
    webhook_attempt,
    webhook_subscription_create,
)
from clientela.webhooks.tasks import webhook_deliver

pytestmark = pytest.mark.django_db
SECRET = "a-long-shared-secret-for-tests"


class Receiver:
    """A real HTTP server that records what it receives and answers the statuses given."""

    def __init__(self, statuses=(200,)):
        self.statuses = list(statuses)
        self.requests: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                status = (
                    receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                )
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(autouse=True)
def receivers_on_this_machine_allowed(settings):
    """The test receivers listen on 127.0.0.1: allowed here, as for a local service."""
    settings.CLIENTELA_WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def receiver():
    made = []

    def start(statuses=(200,)):
        made.append(Receiver(statuses))
        return made[-1]

    yield start
    for server in made:
        server.close()


def subscribe(url, events=(CustomerEvent.CREATED,)):
    return webhook_subscription_create(actor=None, url=url, events=list(events), secret=SECRET)


def test_a_new_customer_is_posted_signed_to_the_subscriber(
    receiver, owner, django_capture_on_commit_callbacks
):
    server = receiver()
    subscribe(server.url)

    with django_capture_on_commit_callbacks(execute=True):
        customer = CustomerFactory(actor=owner, name="Café Olé", phones=["55 1234 5678"])
    delivery = WebhookDelivery.objects.get()
    queued = DBTaskResult.objects.get()
    assert queued.task_path.endswith("webhook_deliver") and queued.args_kwargs["args"] == [
        delivery.pk
    ]

    webhook_deliver.call(delivery.pk)

    (request,) = server.requests
    headers, body = request["headers"], request["body"]
    assert headers["X-Clientela-Event"] == "customer.created"
    expected = hmac.new(
        SECRET.encode(), headers["X-Clientela-Timestamp"].encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    assert headers["X-Clientela-Signature"] == f"sha256={expected}"
    payload = json.loads(body)
    assert payload["event"] == "customer.created" and payload["id"] == delivery.pk
    assert payload["data"]["id"] == customer.pk and payload["data"]["name"] == "Café Olé"
    assert payload["data"]["phones"] == ["+525512345678"]
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 1, 200)


def test_a_failing_receiver_is_retried_with_back_off_then_given_up(receiver):
    server = receiver(statuses=(500,))
    subscription = subscribe(server.url)
    (delivery,) = event_emit(event=CustomerEvent.CREATED, data={"id": 1})

    delays = []
    for _ in range(MAX_ATTEMPTS):
        before = timezone.now()
        delay = webhook_attempt(delivery)
        delays.append(delay)
        if delay is not None:
            assert delivery.next_attempt_at - before >= delay - timedelta(seconds=1)

    assert len(server.requests) == MAX_ATTEMPTS
    assert delays == [*RETRY_DELAYS, None]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == MAX_ATTEMPTS
    assert delivery.response_status == 500 and "500" in delivery.error
    assert subscription.deliveries.count() == 1


def test_a_retry_is_queued_for_later_and_a_later_success_is_logged(receiver):
    server = receiver(statuses=(503, 204))
    subscribe(server.url)
    (delivery,) = event_emit(event=CustomerEvent.CREATED, data={"id": 1})

    webhook_deliver.call(delivery.pk)

    retry = DBTaskResult.objects.get()
    assert retry.run_after - timezone.now() > RETRY_DELAYS[0] - timedelta(seconds=5)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("pending", 1, 503)

    webhook_deliver.call(delivery.pk)

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("delivered", 2, 204)
    assert len(server.requests) == 2


def test_an_unreachable_receiver_is_logged_and_retried():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    subscribe(f"http://127.0.0.1:{port}/nobody")
    (delivery,) = event_emit(event=CustomerEvent.CREATED, data={"id": 1})

    assert webhook_attempt(delivery) == RETRY_DELAYS[0]
    assert delivery.response_status is None and "Could not reach" in delivery.error


def test_only_subscribers_to_the_event_get_it(receiver):
    server = receiver()
    subscribe(server.url, events=[OrderEvent.CREATED])

    assert event_emit(event=CustomerEvent.CREATED, data={"id": 1}) == []


@pytest.mark.parametrize(
    ("url", "events", "secret", "field"),
    [
        ("ftp://example.com/x", ["customer.created"], SECRET, "url"),
        ("https://example.com/x", [], SECRET, "events"),
        ("https://example.com/x", ["order.deleted"], SECRET, "events"),
        ("https://example.com/x", ["customer.created"], "short", "secret"),
    ],
)
def test_a_bad_subscription_is_refused_naming_the_field(url, events, secret, field):
    with pytest.raises(ValidationError) as error:
        webhook_subscription_create(actor=None, url=url, events=events, secret=secret)

    assert field in error.value.error_dict
    assert not WebhookDelivery.objects.exists()


def test_only_the_owner_manages_webhooks(owner, sales):
    with pytest.raises(AccessDenied):
        webhook_subscription_create(
            actor=sales, url="https://example.com/x", events=["customer.created"]
        )

    made = webhook_subscription_create(
        actor=owner, url="https://example.com/x", events=["customer.created"]
    )
    assert len(made.secret) >= 16


def test_orders_announce_their_creation_and_every_status_change(owner):
    from clientela.orders.services import order_transition
    from clientela.orders.tests.factories import OrderFactory, ProductFactory

    subscribe(
        "https://hooks.example.com/orders",
        events=[OrderEvent.CREATED, OrderEvent.STATUS_CHANGED],
    )
    order = OrderFactory(
        actor=owner, lines=[{"product": ProductFactory(sku="CON-1"), "quantity": 3}]
    )
    order_transition(actor=owner, order=order, version=order.version, to="confirmed")

    created, moved = WebhookDelivery.objects.order_by("id")
    assert created.event == "order.created" and created.payload["data"]["id"] == order.pk
    assert created.payload["data"]["lines"] == [
        {"sku": "CON-1", "quantity": "3.000", "line_total": "30.00"}
    ]
    assert moved.event == "order.status_changed"
    assert moved.payload["data"]["status"] == "confirmed"
    assert moved.payload["data"]["previous_status"] == "draft"


def test_data_given_as_a_function_is_made_only_for_a_subscriber():
    made = []

    def data():
        made.append(True)
        return {"id": 1}

    assert event_emit(event=CustomerEvent.CREATED, data=data) == []
    assert made == []  # nobody subscribed: nothing read, nothing queued
    subscribe("https://hooks.example.com/c", events=[CustomerEvent.CREATED])

    (delivery,) = event_emit(event=CustomerEvent.CREATED, data=data)

    assert made == [True] and delivery.payload["data"] == {"id": 1}


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hooks",
        "http://localhost/hooks",
        "http://api.localhost./hooks",
        "http://[::1]/hooks",
        "http://[::ffff:127.0.0.1]/hooks",
        "http://0.0.0.0/hooks",
        "http://10.0.0.5/hooks",
        "http://192.168.1.10:8080/hooks",
        "http://100.64.0.1/hooks",
        "http://169.254.169.254/latest/meta-data/",
        "http://[fe80::1]/hooks",
    ],
)
def test_receivers_on_this_machine_or_a_private_network_are_refused(settings, url):
    settings.CLIENTELA_WEBHOOKS_ALLOW_PRIVATE = False

    with pytest.raises(ValidationError) as error:
        subscribe(url)

    assert "private network" in error.value.message_dict["url"][0]


def test_a_name_that_leads_to_this_machine_gets_nothing_sent(settings, receiver):
    # given a subscription by name to a receiver on this machine, made while allowed
    server = receiver()
    subscribe(server.url.replace("127.0.0.1", "localhost"))
    settings.CLIENTELA_WEBHOOKS_ALLOW_PRIVATE = False

    # when a delivery is attempted now that such receivers are not allowed
    (delivery,) = event_emit(event=CustomerEvent.CREATED, data={"id": 1})
    retry = webhook_attempt(delivery)

    # then the connection is refused before anything is sent, and the log says why
    assert server.requests == []
    assert retry == RETRY_DELAYS[0]
    assert "private network" in delivery.error
