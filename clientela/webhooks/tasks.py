"""The background task that sends a webhook delivery and schedules its retries."""

from django.utils import timezone
from django_tasks import task

from clientela.webhooks.models import DeliveryStatus, WebhookDelivery
from clientela.webhooks.services import webhook_attempt


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
