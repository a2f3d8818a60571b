"""REST endpoints for webhook subscriptions and their delivery log (owner only).

Mounted at ``/api/v1/webhooks`` by the composition root.
"""

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from clientela.core.access import Capability, require
from clientela.core.api import Whole, WriteSchema
from clientela.core.pagination import CappedPageNumberPagination
from clientela.webhooks import services
from clientela.webhooks.models import WebhookDelivery, WebhookSubscription

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


class DeliveryOut(Schema):
    id: int
    event: str
    payload: dict
    status: str
    attempts: int
    response_status: int | None
    error: str
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime


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


@router.get("/{int:subscription_id}/deliveries", response=list[DeliveryOut])
@paginate(CappedPageNumberPagination, page_size=25, max_page_size=100)
def delivery_list(request: HttpRequest, subscription_id: Whole):
    """The delivery log, newest first: each attempt's status code or error."""
    return WebhookDelivery.objects.filter(subscription=_subscription(request, subscription_id))
