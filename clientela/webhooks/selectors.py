"""Reads of the outbox: the delivery log."""

from typing import Literal

from django.db.models import QuerySet

from clientela.webhooks.models import WebhookDelivery, WebhookSubscription


def delivery_list(
    *,
    subscription: WebhookSubscription | None = None,
    kind: Literal["webhook", "subscriber"] | None = None,
    subscriber: str = "",
    status: str = "",
) -> QuerySet[WebhookDelivery]:
    """The delivery log, newest first: one subscription's, one kind's (webhooks or
    in-process subscribers), one subscriber's, of one status, or all of it."""
    deliveries = WebhookDelivery.objects.all()
    if subscription is not None:
        deliveries = deliveries.filter(subscription=subscription)
    if kind is not None:
        deliveries = deliveries.filter(subscription__isnull=kind == "subscriber")
    if subscriber:
        deliveries = deliveries.filter(subscriber=subscriber)
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries
