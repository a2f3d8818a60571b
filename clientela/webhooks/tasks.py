"""The background tasks that carry out the outbox's deliveries and schedule their retries.

Both run on the ``webhooks`` queue. An in-process subscriber's delivery goes before the
webhook attempts waiting there (a higher priority): it waits at most for the attempt
under way (``services.TIMEOUT_SECONDS``), not behind a backlog of slow receivers.
"""

from django.utils import timezone
from django_tasks import task

from clientela.webhooks.models import DeliveryStatus, WebhookDelivery
from clientela.webhooks.services import subscriber_attempt, webhook_attempt

SUBSCRIBER_PRIORITY = 10  # above webhook attempts' default 0


@task(queue_name="webhooks")
def webhook_deliver(delivery_id: int) -> None:
    """Attempt the delivery; when it fails and may retry, enqueue the next attempt."""
    delivery = (
        WebhookDelivery.objects.select_related("subscription")
        .filter(pk=delivery_id, status=DeliveryStatus.PENDING)
        .first()
    )
    if delivery is None:  # delivered, failed, or its subscription deleted meanwhile
        return
    retry = webhook_attempt(delivery)
    if retry is not None:
        webhook_deliver.using(run_after=timezone.now() + retry).enqueue(delivery_id)


@task(queue_name="webhooks", priority=SUBSCRIBER_PRIORITY)
def subscriber_deliver(delivery_id: int) -> None:
    """Run the in-process subscriber; when it fails and may retry, enqueue the next attempt."""
    delivery = WebhookDelivery.objects.filter(
        pk=delivery_id, subscription=None, status=DeliveryStatus.PENDING
    ).first()
    if delivery is None:  # delivered or failed meanwhile
        return
    retry = subscriber_attempt(delivery)
    if retry is not None:
        subscriber_deliver.using(run_after=timezone.now() + retry).enqueue(delivery_id)
