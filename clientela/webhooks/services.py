"""Webhooks: subscriptions, signed deliveries and their retries with back-off.

Each event becomes one ``WebhookDelivery`` per active subscription, written in the
caller's transaction and sent after it commits by the ``webhook_deliver`` task. A
delivery is a POST of JSON ``{"id", "event", "occurred_at", "data"}`` with the headers
``X-Clientela-Event``, ``X-Clientela-Delivery``, ``X-Clientela-Timestamp`` and
``X-Clientela-Signature: sha256=<hex>``, the HMAC-SHA256 with the subscription's secret
of ``"<timestamp>.<body>"``. Any answer other than 2xx, or none within the timeout, is
retried after 30 s, 2 min, 10 min, 1 h and 6 h; after the sixth failed attempt the
delivery is marked failed. Every attempt's outcome stays in the delivery log.
"""

import hashlib
import hmac
import json
import secrets
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from datetime import timedelta
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
from clientela.webhooks.models import (
    DeliveryStatus,
    WebhookDelivery,
    WebhookEvent,
    WebhookSubscription,
)
from clientela.webhooks.network import opener, private_url

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
    unknown = [e for e in subscription.events if e not in WebhookEvent.values]
    if not subscription.events or unknown:
        errors["events"] = [
            _("Choose one or more of: %(events)s.") % {"events": ", ".join(WebhookEvent.values)}
        ]
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


def webhook_emit(
    *, event: str, data: dict[str, Any] | Callable[[], dict[str, Any]]
) -> list[WebhookDelivery]:
    """Queue ``event`` for every active subscription to it; sent once the transaction commits.

    ``data`` may be a function that makes it, called only when someone subscribed (an
    order's data reads its lines: no query for nobody)."""
    return webhook_emit_many(event=event, data=[data])


def webhook_emit_many(
    *, event: str, data: Sequence[dict[str, Any] | Callable[[], dict[str, Any]]]
) -> list[WebhookDelivery]:
    """Queue many events of one type (an import's new customers) for every active
    subscription to it, in one query for the subscriptions and one insert; sent once the
    transaction commits. Each of ``data`` may be a function that makes it (see
    ``webhook_emit``)."""
    from clientela.webhooks.tasks import webhook_deliver

    subscriptions = [
        subscription
        for subscription in WebhookSubscription.objects.filter(is_active=True)
        if event in subscription.events
    ]
    if not subscriptions or not data:
        return []
    made = [item() if callable(item) else item for item in data]
    occurred_at = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                subscription=subscription,
                event=event,
                payload={"event": event, "occurred_at": occurred_at.isoformat(), "data": item},
                next_attempt_at=occurred_at,
            )
            for item in made
            for subscription in subscriptions
        ]
    )
    ids = [delivery.pk for delivery in deliveries]

    def enqueue() -> None:
        with transaction.atomic():  # one commit for all the tasks, not one each
            for pk in ids:
                webhook_deliver.enqueue(pk)

    transaction.on_commit(enqueue)
    return deliveries


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Clientela-Signature`` value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return f"sha256={digest.hexdigest()}"


def webhook_attempt(delivery: WebhookDelivery) -> timedelta | None:
    """Send ``delivery`` once and log the outcome; the delay before a retry, or None."""
    subscription = delivery.subscription
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
    delivery.attempts += 1
    delivery.last_attempt_at = now
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            delivery.response_status = response.status
            delivery.error = ""
    except urllib.error.HTTPError as error:
        delivery.response_status = error.code
        delivery.error = _("The receiver answered %(status)s.") % {"status": error.code}
    except (urllib.error.URLError, TimeoutError, OSError) as error:
        delivery.response_status = None
        reason = getattr(error, "reason", error)
        delivery.error = _("Could not reach the receiver: %(reason)s.") % {"reason": reason}
    retry = None
    if delivery.response_status is not None and 200 <= delivery.response_status < 300:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = now
        delivery.next_attempt_at = None
    elif delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = DeliveryStatus.FAILED
        delivery.next_attempt_at = None
    else:
        retry = RETRY_DELAYS[delivery.attempts - 1]
        delivery.next_attempt_at = now + retry
    delivery.save()
    return retry
