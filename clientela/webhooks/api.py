"""REST endpoints for webhook subscriptions, the events and their in-process
subscribers, and the delivery log of both (owner only).

Mounted at ``/api/v1/webhooks`` by the composition root.
"""

from datetime import datetime
from typing import Literal

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from clientela.core.access import Capability, require
from clientela.core.api import Whole, WriteSchema
from clientela.core.pagination import CappedPageNumberPagination
from clientela.webhooks import selectors, services
from clientela.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from clientela.webhooks.registry import event_choices, event_subscribers

router = Router(tags=["webhooks"])


class SubscriptionIn(WriteSchema):
    url: str
    events: list[str]
    secret: str = ""
    description: str = ""


class SubscriptionOut(Schema):
    id: int
    url: str
    events: list[str]
    description: str
    is_active: bool
    created_at: datetime


class SubscriptionCreated(SubscriptionOut):
    secret: str


class OutboxSubscriberOut(Schema):
    name: str
    handler: str


class OutboxEventOut(Schema):
    name: str
    label: str
    subscribers: list[OutboxSubscriberOut]


class DeliveryOut(Schema):
    id: int
    kind: Literal["webhook", "subscriber"]
    subscription_id: int | None
    subscriber: str
    event: str
    event_label: str
    payload: dict
    status: str
    attempts: int
    response_status: int | None
    error: str
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_event_label(delivery: WebhookDelivery) -> str:
        return str(delivery.get_event_display())


class OutboxDeliveryOut(DeliveryOut):
    """A delivery in the whole log (a schema of its own name, as its page must be)."""


class DeliveryFilters(Schema):
    kind: Literal["webhook", "subscriber"] | None = None
    subscriber: str = ""
    status: DeliveryStatus | None = None


def _subscription(request: HttpRequest, subscription_id: int) -> WebhookSubscription:
    require(request.auth, Capability.WEBHOOK_MANAGE)
    return WebhookSubscription.objects.get(pk=subscription_id)


@router.get("", response=list[SubscriptionOut])
def subscription_list(request: HttpRequest) -> list[WebhookSubscription]:
    """Every subscription (secrets are shown only when created)."""
    require(request.auth, Capability.WEBHOOK_MANAGE)
    return list(WebhookSubscription.objects.all())


@router.post("", response={201: SubscriptionCreated})
def subscription_create(request: HttpRequest, payload: SubscriptionIn) -> WebhookSubscription:
    """Subscribe a URL to events; the answer holds the signing secret, this once."""
    return services.webhook_subscription_create(actor=request.auth, **payload.dict())


@router.delete("/{int:subscription_id}", response={204: None})
def subscription_delete(request: HttpRequest, subscription_id: Whole) -> None:
    """Stop the subscription and drop its delivery log."""
    services.webhook_subscription_delete(
        actor=request.auth, subscription=_subscription(request, subscription_id)
    )


@router.get("/events", response=list[OutboxEventOut])
def event_list(request: HttpRequest) -> list[dict]:
    """The events apps emit, each with its in-process subscribers."""
    require(request.auth, Capability.WEBHOOK_MANAGE)
    return [
        {
            "name": name,
            "label": str(label),
            "subscribers": [
                {"name": subscriber.name, "handler": subscriber.handler_path}
                for subscriber in event_subscribers(name)
            ],
        }
        for name, label in event_choices()
    ]


@router.get("/deliveries", response=list[OutboxDeliveryOut])
@paginate(CappedPageNumberPagination, page_size=25, max_page_size=100)
def delivery_log(
    request: HttpRequest, filters: Query[DeliveryFilters]
) -> QuerySet[WebhookDelivery]:
    """The whole delivery log, newest first: webhooks' and in-process subscribers'
    (``kind``), optionally one subscriber's or of one status."""
    require(request.auth, Capability.WEBHOOK_MANAGE)
    return selectors.delivery_list(
        kind=filters.kind, subscriber=filters.subscriber, status=filters.status or ""
    )


@router.get("/{int:subscription_id}/deliveries", response=list[DeliveryOut])
@paginate(CappedPageNumberPagination, page_size=25, max_page_size=100)
def delivery_list(request: HttpRequest, subscription_id: Whole) -> QuerySet[WebhookDelivery]:
    """The subscription's delivery log, newest first: each attempt's status code or error."""
    return selectors.delivery_list(subscription=_subscription(request, subscription_id))
