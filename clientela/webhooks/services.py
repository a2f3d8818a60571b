"""The outbox: webhooks (subscriptions, signed deliveries and their retries with
back-off) and in-process subscribers, both fed by ``event_emit``.

Each event becomes one ``WebhookDelivery`` per active subscription to it and per
in-process subscriber (``registry.event_subscribe``), written in the caller's
transaction and carried out after it commits by the background worker: a rolled-back
transaction delivers nothing. A webhook delivery is a POST of JSON
``{"id", "event", "occurred_at", "data"}`` with the headers ``X-Clientela-Event``,
``X-Clientela-Delivery``, ``X-Clientela-Timestamp`` and
``X-Clientela-Signature: sha256=<hex>``, the HMAC-SHA256 with the subscription's secret
of ``"<timestamp>.<body>"``. An in-process delivery runs the subscriber's handler in a
transaction of its own, which also marks the delivery delivered: what the handler wrote
and "delivered" commit together, or neither. Any answer other than 2xx, no answer within
the timeout, or a handler's exception is retried after 30 s, 2 min, 10 min, 1 h and
6 h; after the sixth failed attempt the delivery is marked failed. Every attempt's
outcome stays in the delivery log.
"""

import hashlib
import hmac
import json
import logging
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.access import Capability
from clientela.core.models import User
from clientela.core.services import actor_check, full_clean_collecting
from clientela.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from clientela.webhooks.network import opener, private_url
from clientela.webhooks.registry import (
    EmittedEvent,
    event_check,
    event_choices,
    event_subscribers,
    subscriber_get,
)

logger = logging.getLogger(__name__)

RETRY_DELAYS = (
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(hours=1),
    timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
TIMEOUT_SECONDS = 10


def _clean_subscription(subscription: WebhookSubscription) -> None:
    errors: dict[str, list] = {}
    try:
        URLValidator(schemes=["http", "https"])(subscription.url)
    except ValidationError:
        errors["url"] = [_("Give an http:// or https:// address.")]
    else:
        if private_url(subscription.url):
            errors["url"] = [
                _(
                    "Webhooks are not sent to this machine or a private network: give a "
                    "public address (or set CLIENTELA_WEBHOOKS_ALLOW_PRIVATE=1)."
                )
            ]
    names = [name for name, _label in event_choices()]
    unknown = [e for e in subscription.events if e not in names]
    if not subscription.events or unknown:
        errors["events"] = [_("Choose one or more of: %(events)s.") % {"events": ", ".join(names)}]
    if len(subscription.secret) < 16:
        errors["secret"] = [_("The secret must be at least 16 characters long.")]
    full_clean_collecting(subscription, errors)


@transaction.atomic
def webhook_subscription_create(
    *,
    actor: User | None,
    url: str,
    events: list[str],
    secret: str = "",
    description: str = "",
) -> WebhookSubscription:
    """Subscribe ``url`` to ``events``; without a secret, a random one is made."""
    actor_check(actor, Capability.WEBHOOK_MANAGE)
    subscription = WebhookSubscription(
        url=url.strip(),
        events=sorted(set(events)),
        secret=secret or secrets.token_urlsafe(32),
        description=description,
        created_by=actor,
    )
    _clean_subscription(subscription)
    subscription.save()
    return subscription


@transaction.atomic
def webhook_subscription_delete(*, actor: User | None, subscription: WebhookSubscription) -> None:
    """Stop sending to the subscription and forget its delivery log."""
    actor_check(actor, Capability.WEBHOOK_MANAGE)
    subscription.delete()


def event_emit(
    *, event: str, data: dict[str, Any] | Callable[[], dict[str, Any]]
) -> list[WebhookDelivery]:
    """Queue ``event`` (a registered name) for every active webhook subscription to it
    and every in-process subscriber; carried out once the transaction commits.

    ``data`` may be a function that makes it, called only when someone subscribed (an
    order's data reads its lines: no query for nobody)."""
    return event_emit_many(event=event, data=[data])


def event_emit_many(
    *, event: str, data: Sequence[dict[str, Any] | Callable[[], dict[str, Any]]]
) -> list[WebhookDelivery]:
    """Queue many events of one type (an import's new customers) for every active
    webhook subscription to it and every in-process subscriber, in one query for the
    subscriptions and one insert; carried out once the transaction commits. Each of
    ``data`` may be a function that makes it (see ``event_emit``)."""
    from clientela.webhooks.tasks import subscriber_deliver, webhook_deliver

    event_check(event)
    subscriptions = [
        subscription
        for subscription in WebhookSubscription.objects.filter(is_active=True)
        if event in subscription.events
    ]
    subscribers = event_subscribers(event)
    if not (subscriptions or subscribers) or not data:
        return []
    made = [item() if callable(item) else item for item in data]
    occurred_at = timezone.now()
    payloads = [
        {"event": event, "occurred_at": occurred_at.isoformat(), "data": item} for item in made
    ]
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                subscription=subscription,
                event=event,
                payload=payload,
                next_attempt_at=occurred_at,
            )
            for payload in payloads
            for subscription in subscriptions
        ]
        + [
            WebhookDelivery(
                subscriber=subscriber.name,
                event=event,
                payload=payload,
                next_attempt_at=occurred_at,
            )
            for payload in payloads
            for subscriber in subscribers
        ]
    )
    queued = [
        (webhook_deliver if delivery.subscription_id else subscriber_deliver, delivery.pk)
        for delivery in deliveries
    ]

    def enqueue() -> None:
        with transaction.atomic():  # one commit for all the tasks, not one each
            for task, pk in queued:
                task.enqueue(pk)

    transaction.on_commit(enqueue)
    return deliveries


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Clientela-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def webhook_attempt(delivery: WebhookDelivery) -> timedelta | None:
    """Send ``delivery`` once and log the outcome; the delay before a retry, or None."""
    subscription = delivery.subscription
    assert subscription is not None  # a webhook's delivery; a subscriber's has none
    body = json.dumps(
        {"id": delivery.pk, **delivery.payload}, cls=DjangoJSONEncoder, ensure_ascii=False
    ).encode()
    now = timezone.now()
    timestamp = str(int(now.timestamp()))
    request = urllib.request.Request(
        subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Clientela-Webhooks/1",
            "X-Clientela-Event": delivery.event,
            "X-Clientela-Delivery": str(delivery.pk),
            "X-Clientela-Timestamp": timestamp,
            "X-Clientela-Signature": webhook_signature(subscription.secret, timestamp, body),
        },
    )
    attempt = delivery.attempts + 1
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            delivery.response_status = response.status
            error = ""
    except urllib.error.HTTPError as refusal:
        delivery.response_status = refusal.code
        error = _("The receiver answered %(status)s.") % {"status": refusal.code}
    except (urllib.error.URLError, TimeoutError, OSError) as failure:
        delivery.response_status = None
        reason = getattr(failure, "reason", failure)
        error = _("Could not reach the receiver: %(reason)s.") % {"reason": reason}
    delivered = delivery.response_status is not None and 200 <= delivery.response_status < 300
    return _attempt_log(delivery, attempt=attempt, at=now, delivered=delivered, error=error)


def subscriber_attempt(delivery: WebhookDelivery) -> timedelta | None:
    """Run the in-process subscriber of ``delivery`` once and log the outcome; the delay
    before a retry, or None. The handler's writes and "delivered" commit together; when
    it raises, its writes are undone and its error is logged, the caller's stay."""
    now = timezone.now()
    attempt = delivery.attempts + 1
    subscriber = subscriber_get(delivery.subscriber)
    if subscriber is None:
        error = _("No subscriber named “%(name)s” is registered.") % {"name": delivery.subscriber}
        return _attempt_log(delivery, attempt=attempt, at=now, delivered=False, error=error)
    event = EmittedEvent(
        name=delivery.event,
        data=delivery.payload["data"],
        occurred_at=datetime.fromisoformat(delivery.payload["occurred_at"]),
    )
    try:
        with transaction.atomic():
            subscriber.call(event)
            return _attempt_log(delivery, attempt=attempt, at=now, delivered=True, error="")
    except Exception as failure:
        logger.exception("the subscriber %s failed on delivery %s", subscriber.name, delivery.pk)
        error = f"{type(failure).__name__}: {failure}"
        return _attempt_log(delivery, attempt=attempt, at=now, delivered=False, error=error)


def _attempt_log(
    delivery: WebhookDelivery, *, attempt: int, at: datetime, delivered: bool, error: str
) -> timedelta | None:
    """Save the outcome of the ``attempt``-th attempt; the delay before a retry, or None."""
    delivery.attempts = attempt
    delivery.last_attempt_at = at
    delivery.error = error
    retry = None
    if delivered:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = at
        delivery.next_attempt_at = None
    else:
        delivery.status = DeliveryStatus.PENDING
        delivery.delivered_at = None
        if attempt >= MAX_ATTEMPTS:
            delivery.status = DeliveryStatus.FAILED
            delivery.next_attempt_at = None
        else:
            retry = RETRY_DELAYS[attempt - 1]
            delivery.next_attempt_at = at + retry
    delivery.save()
    return retry
