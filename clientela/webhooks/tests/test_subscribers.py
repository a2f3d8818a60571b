"""In-process subscribers: a higher app is told what a lower one did, by the outbox, in
the background worker after the caller's transaction commits (decision 0013)."""

from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.db import models, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from clientela.customers.models import Customer, CustomerEvent, Tag
from clientela.customers.tests.factories import CustomerFactory
from clientela.orders.models import OrderEvent
from clientela.webhooks import registry
from clientela.webhooks.models import DeliveryStatus, WebhookDelivery
from clientela.webhooks.registry import EmittedEvent, event_names_register
from clientela.webhooks.services import (
    MAX_ATTEMPTS,
    RETRY_DELAYS,
    event_emit,
    subscriber_attempt,
)
from clientela.webhooks.tasks import subscriber_deliver, webhook_deliver

pytestmark = pytest.mark.django_db

received: list[EmittedEvent] = []


def receive(event: EmittedEvent) -> None:
    """A subscriber named by its dotted path: keeps what it is given."""
    received.append(event)


@pytest.fixture(autouse=True)
def nothing_received():
    received.clear()


def _worker_runs_the_outbox() -> None:
    call_command("db_worker", queue_name="webhooks", batch=True, startup_delay=False)


@pytest.mark.django_db(transaction=True)  # the caller's write and the worker's commit
def test_a_subscriber_runs_in_the_worker_after_commit_with_the_event_data(subscribers, owner):
    subscribers(CustomerEvent.CREATED, f"{__name__}.receive", name="tests.receive")

    customer = CustomerFactory(actor=owner, name="Café Olé", phones=["55 1234 5678"])

    # committed: the delivery is queued, nothing ran in the caller
    assert received == []
    delivery = WebhookDelivery.objects.get()
    assert (delivery.kind, delivery.subscriber, delivery.event) == (
        "subscriber",
        "tests.receive",
        "customer.created",
    )
    _worker_runs_the_outbox()
    (event,) = received
    assert event.name == "customer.created" and event.data["id"] == customer.pk
    assert event.data["name"] == "Café Olé" and event.data["phones"] == ["+525512345678"]
    assert abs(event.occurred_at - timezone.now()) < timedelta(minutes=1)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("delivered", 1, "")


@pytest.mark.django_db(transaction=True)
def test_an_event_of_a_rolled_back_transaction_delivers_nothing(subscribers, owner):
    subscribers(CustomerEvent.CREATED, f"{__name__}.receive", name="tests.receive")

    with pytest.raises(RuntimeError), transaction.atomic():
        CustomerFactory(actor=owner, name="Café Olé")
        raise RuntimeError("the caller's write fails after the event")

    assert not Customer.objects.exists()
    assert not WebhookDelivery.objects.exists() and not DBTaskResult.objects.exists()
    _worker_runs_the_outbox()
    assert received == []


def test_a_failing_subscriber_is_logged_and_retried_then_failed_the_callers_write_stays(
    subscribers, owner, django_capture_on_commit_callbacks, caplog
):
    # given a subscriber that writes, then fails
    def fail(event):
        Tag.objects.create(name="written by the failing subscriber")
        raise ValueError(f"no points for customer {event.data['id']}")

    subscribers(CustomerEvent.CREATED, fail, name="tests.fail")
    with django_capture_on_commit_callbacks(execute=True):
        customer = CustomerFactory(actor=owner, name="Café Olé")
    delivery = WebhookDelivery.objects.get()
    queued = DBTaskResult.objects.get()
    assert queued.task_path == subscriber_deliver.module_path

    # when the worker delivers it
    subscriber_deliver.call(delivery.pk)

    # then its error is in the log and the worker's log, a retry is queued for later,
    # its write is undone and the caller's stays
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.error == f"ValueError: no points for customer {customer.pk}"
    assert "tests.fail" in caplog.text and "no points for customer" in caplog.text
    retry = DBTaskResult.objects.exclude(pk=queued.pk).get()
    assert retry.task_path == subscriber_deliver.module_path
    assert retry.run_after - timezone.now() > RETRY_DELAYS[0] - timedelta(seconds=5)
    assert Customer.objects.filter(pk=customer.pk).exists()
    assert not Tag.objects.filter(name="written by the failing subscriber").exists()

    # and it is tried with the webhooks' back-off until it is given up
    delays = [subscriber_attempt(delivery) for _ in range(MAX_ATTEMPTS - 1)]
    assert delays == [*RETRY_DELAYS[1:], None]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == MAX_ATTEMPTS
    assert delivery.next_attempt_at is None and "no points" in delivery.error


def test_a_retry_that_succeeds_commits_the_subscribers_writes_with_delivered(subscribers):
    attempts = []

    def flaky(event):
        attempts.append(event)
        Tag.objects.create(name=f"attempt {len(attempts)}")
        if len(attempts) == 1:
            raise ConnectionError("the loyalty ledger is busy")

    subscribers(CustomerEvent.CREATED, flaky, name="tests.flaky")
    (delivery,) = event_emit(event=CustomerEvent.CREATED, data={"id": 7})

    assert subscriber_attempt(delivery) == RETRY_DELAYS[0]
    assert subscriber_attempt(delivery) is None

    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.error) == ("delivered", 2, "")
    assert delivery.delivered_at is not None
    assert list(Tag.objects.values_list("name", flat=True)) == ["attempt 2"]


def test_an_order_delivered_reaches_its_subscriber(
    subscribers, owner, django_capture_on_commit_callbacks
):
    from clientela.orders.services import order_transition
    from clientela.orders.tests.factories import OrderFactory

    # given a higher app's subscriber to the order book's status changes (loyalty points)
    subscribers(OrderEvent.STATUS_CHANGED, f"{__name__}.receive", name="tests.points")
    order = OrderFactory(actor=owner)

    # when the order goes all the way to delivered
    with django_capture_on_commit_callbacks(execute=True):
        for step in ("confirmed", "in_production", "ready", "delivered"):
            order = order_transition(actor=owner, order=order, version=order.version, to=step)
    for task in DBTaskResult.objects.order_by("enqueued_at"):
        subscriber_deliver.call(*task.args_kwargs["args"])

    # then the subscriber saw each change, the last one a delivery
    assert [e.data["status"] for e in received] == [
        "confirmed",
        "in_production",
        "ready",
        "delivered",
    ]
    assert received[-1].data["id"] == order.pk and received[-1].data["previous_status"] == "ready"


def test_a_subscribers_delivery_goes_before_waiting_webhook_attempts(
    subscribers, django_capture_on_commit_callbacks
):
    for delivery_id in range(3):
        webhook_deliver.enqueue(delivery_id)
    subscribers(CustomerEvent.CREATED, f"{__name__}.receive", name="tests.receive")

    with django_capture_on_commit_callbacks(execute=True):
        event_emit(event=CustomerEvent.CREATED, data={"id": 1})

    first = DBTaskResult.objects.ready().filter(queue_name="webhooks").first()
    assert first.task_path == subscriber_deliver.module_path


def test_a_subscriber_no_longer_registered_is_logged_and_retried(subscribers, monkeypatch):
    subscribers(CustomerEvent.CREATED, f"{__name__}.receive", name="tests.gone")
    (delivery,) = event_emit(event=CustomerEvent.CREATED, data={"id": 1})
    monkeypatch.setattr(registry, "_subscribers", {})  # a release without it

    assert subscriber_attempt(delivery) == RETRY_DELAYS[0]

    assert delivery.status == DeliveryStatus.PENDING and "tests.gone" in delivery.error
    assert received == []


class Unregistered(models.TextChoices):
    DELETED = "order.deleted", "An order was deleted"


class Impostor(models.TextChoices):
    CREATED = "order.created", "An order was made"


def test_an_unknown_event_name_is_refused(subscribers):
    with pytest.raises(ImproperlyConfigured, match=r"order\.deleted"):
        subscribers(Unregistered.DELETED, f"{__name__}.receive", name="tests.deleted")
    with pytest.raises(ImproperlyConfigured, match=r"order\.deleted"):
        event_emit(event=Unregistered.DELETED, data={"id": 1})
    with pytest.raises(ImproperlyConfigured, match=r"order\.created"):
        event_names_register(Impostor)  # a name another app registered

    assert registry.event_subscribers(Unregistered.DELETED) == []
    assert not WebhookDelivery.objects.exists()


def test_a_subscribers_name_is_its_own(subscribers):
    subscribers(CustomerEvent.CREATED, f"{__name__}.receive", name="tests.receive")
    subscribers(CustomerEvent.CREATED, f"{__name__}.receive", name="tests.receive")  # again

    with pytest.raises(ImproperlyConfigured, match="taken"):
        subscribers(OrderEvent.CREATED, f"{__name__}.receive", name="tests.receive")
    with pytest.raises(ImproperlyConfigured, match="1 to 100"):
        subscribers(OrderEvent.CREATED, f"{__name__}.receive", name="")
    assert [s.name for s in registry.event_subscribers(CustomerEvent.CREATED)] == ["tests.receive"]
