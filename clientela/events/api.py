"""REST endpoints of event sales: events, the products taken and their daily sales, the
estimated-vs-actual comparison and the plan for an event from similar past ones.

Mounted at ``/api/v1/events`` by the composition root.

The daily sales have a version of their own, ``sales_version`` (the ETag of
``GET /{id}/sales``), apart from the event's ``version`` (the ETag of ``GET /{id}``):
recording sales needs the sales version read, as ``version`` in the body or an
If-Match header; 428 without it, 409 if sales were saved since, and then nothing is
written.
"""

from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from clientela.core.access import Capability, require
from clientela.core.api import Day, Whole, WriteSchema, Year, etag, path_fields, version_required
from clientela.core.pagination import CappedPageNumberPagination
from clientela.events import selectors, services
from clientela.events.models import Event, EventKind, EventProduct
from clientela.events.selectors import Comparison, ComparisonRow, EventPlan
from clientela.orders.models import Product

router = Router(tags=["events"])


class EventIn(WriteSchema):
    name: str
    kind: EventKind
    location: str
    start_date: Day
    duration_days: Whole = 1
    notes: str = ""


class EventPatch(WriteSchema):
    name: str | None = None
    kind: EventKind | None = None
    location: str | None = None
    start_date: Day | None = None
    duration_days: Whole | None = None
    notes: str | None = None
    reason: str = ""
    version: Whole | None = None


class VersionIn(WriteSchema):
    version: Whole | None = None


class ItemIn(WriteSchema):
    quantity_brought: Decimal
    quantity_expected: Decimal
    unit_price: Decimal | None = None


class SaleIn(WriteSchema):
    quantity: Decimal
    reason: str = ""
    version: Whole | None = None  # the sales version read; or an If-Match header


class SaleCellIn(WriteSchema):
    product_id: Whole
    sold_on: Day
    quantity: Decimal


class SalesIn(WriteSchema):
    """The grid's cells to save, all or none; ``version`` is the sales version read."""

    sales: list[SaleCellIn]
    reason: str = ""
    version: Whole | None = None


class ItemOut(Schema):
    product_id: int
    sku: str
    product: str
    quantity_brought: Decimal
    quantity_expected: Decimal
    unit_price: Decimal
    sales: dict[str, Decimal]  # ISO day → quantity sold

    @staticmethod
    def resolve_sku(obj: EventProduct) -> str:
        return obj.product.sku

    @staticmethod
    def resolve_product(obj: EventProduct) -> str:
        return obj.product.name

    @staticmethod
    def resolve_sales(obj: EventProduct) -> dict[str, Decimal]:
        return {sale.sold_on.isoformat(): sale.quantity for sale in obj.sales.all()}


class EventOut(Schema):
    id: int
    name: str
    kind: str
    location: str
    start_date: date
    end_date: date
    duration_days: int
    notes: str
    cancelled_at: datetime | None
    version: int
    sales_version: int


class EventDetail(EventOut):
    items: list[ItemOut]


class SalesOut(Schema):
    """The daily-sales grid: the event's days, its products with what sold each day."""

    event_id: int
    version: int  # the sales version, also the ETag
    days: list[date]
    items: list[ItemOut]


class EventFilters(Schema):
    kind: EventKind | None = None
    location: str = ""
    year: Year | None = None


class ComparisonRowOut(Schema):
    product_id: int | None
    product: str | None
    brought: Decimal
    expected: Decimal
    sold_by_day: dict[str, Decimal]  # ISO day → quantity sold
    sold: Decimal
    difference: Decimal | None  # None until the event is over
    sell_through_percent: Decimal | None  # None before it starts
    leftover: Decimal | None  # None until the event is over
    waste_percent: Decimal | None
    revenue: Decimal
    expected_revenue: Decimal

    @staticmethod
    def resolve_sold_by_day(obj: ComparisonRow) -> dict[str, Decimal]:
        return {day.isoformat(): quantity for day, quantity in obj.sold_by_day.items()}

    @staticmethod
    def resolve_product_id(obj: ComparisonRow) -> int | None:
        return obj.product.pk if obj.product else None

    @staticmethod
    def resolve_product(obj: ComparisonRow) -> str | None:
        return obj.product.name if obj.product else None


class ComparisonOut(Schema):
    stage: str  # upcoming, running or over: only the past is judged
    currency: str
    days: list[date]
    rows: list[ComparisonRowOut]
    total: ComparisonRowOut


class BacktestOut(Schema):
    event_id: int
    suggested: float
    actual: float


class PlanLineOut(Schema):
    product_id: int
    product: str
    quantity: Decimal
    events_used: int
    mae: float | None
    wape: float | None
    backtest: list[BacktestOut]

    @staticmethod
    def resolve_product_id(obj) -> int:
        return obj.product.pk

    @staticmethod
    def resolve_product(obj) -> str:
        return obj.product.name


class PlanOut(Schema):
    basis: str | None
    explanation: str
    event_ids: list[int]
    lines: list[PlanLineOut]
    overall_wape: float | None

    @staticmethod
    def resolve_basis(obj: EventPlan) -> str | None:
        return str(obj.basis) if obj.basis else None

    @staticmethod
    def resolve_event_ids(obj: EventPlan) -> list[int]:
        return [event.pk for event in obj.events]


class PlanQuery(Schema):
    kind: EventKind
    location: str
    start_date: Day
    duration_days: Whole = 1


def _event(request: HttpRequest, event_id: int) -> Event:
    require(request.auth, Capability.EVENT_VIEW)
    return selectors.event_get(pk=event_id)


def _detail(request: HttpRequest, response: HttpResponse, event_id: int) -> Event:
    event = _event(request, event_id)
    response["ETag"] = etag(event.version)
    return event


def _item(event: Event, product_id: int) -> EventProduct:
    return event.items.select_related("product").get(product_id=product_id)


def _sales(request: HttpRequest, response: HttpResponse, event_id: int) -> dict:
    event = _event(request, event_id)
    response["ETag"] = etag(event.sales_version)
    return {
        "event_id": event.pk,
        "version": event.sales_version,
        "days": event.days(),
        "items": list(event.items.all()),
    }


@router.get("", response=list[EventOut])
@paginate(CappedPageNumberPagination, page_size=settings.CLIENTELA_PAGE_SIZE, max_page_size=100)
def event_list(request: HttpRequest, filters: Query[EventFilters]) -> QuerySet[Event]:
    """Events, the latest first, by kind, location or year."""
    require(request.auth, Capability.EVENT_VIEW)
    data = filters.dict()
    return selectors.event_list(
        kind=data["kind"] or "", location=data["location"], year=data["year"]
    )


@router.post("", response={201: EventDetail})
def event_create(request: HttpRequest, response: HttpResponse, payload: EventIn) -> Event:
    """Add an event."""
    event = services.event_create(actor=request.auth, **payload.dict())
    return _detail(request, response, event.pk)


@router.get("/plan", response=PlanOut)
def plan_for(request: HttpRequest, query: Query[PlanQuery]) -> EventPlan:
    """Suggested quantities for an event not yet created, from similar past events."""
    require(request.auth, Capability.EVENT_VIEW)
    return selectors.event_plan_for(**query.dict())


@router.get("/{int:event_id}", response=EventDetail)
def event_get(request: HttpRequest, response: HttpResponse, event_id: Whole) -> Event:
    """One event with its products and daily sales; ETag = version."""
    return _detail(request, response, event_id)


@router.patch("/{int:event_id}", response=EventDetail)
def event_update(
    request: HttpRequest, response: HttpResponse, event_id: Whole, payload: EventPatch
) -> Event:
    """Change an event; needs the version read, 409 if it changed since."""
    event = _event(request, event_id)
    data = payload.dict(exclude_unset=True)
    version = version_required(request, data.pop("version", None))
    services.event_update(actor=request.auth, event=event, version=version, **data)
    return _detail(request, response, event_id)


@router.delete("/{int:event_id}", response={204: None})
def event_delete(request: HttpRequest, event_id: Whole) -> None:
    """Delete an event with no sales (the owner's); 422 when it has sales (cancel it);
    needs the version read as If-Match, 409 if it changed since."""
    event = _event(request, event_id)
    version = version_required(request, None)
    services.event_delete(actor=request.auth, event=event, version=version)


@router.post("/{int:event_id}/cancel", response=EventDetail)
def event_cancel(
    request: HttpRequest, response: HttpResponse, event_id: Whole, payload: VersionIn | None = None
) -> Event:
    """Mark an event cancelled (the owner's): it stays, with its sales, and plans for
    later events leave it out; needs the version read, 409 if it changed since."""
    event = _event(request, event_id)
    version = version_required(request, payload.version if payload else None)
    services.event_cancel(actor=request.auth, event=event, version=version)
    return _detail(request, response, event_id)


@router.put("/{int:event_id}/items/{int:product_id}", response=ItemOut)
def item_set(
    request: HttpRequest, event_id: Whole, product_id: Whole, payload: ItemIn
) -> EventProduct:
    """Take a product to the event, or change how much is brought and expected to sell."""
    event = _event(request, event_id)
    product = Product.objects.get(pk=product_id)
    services.event_item_set(actor=request.auth, event=event, product=product, **payload.dict())
    return _item(event, product_id)


@router.delete("/{int:event_id}/items/{int:product_id}", response={204: None})
def item_remove(request: HttpRequest, event_id: Whole, product_id: Whole) -> None:
    """Drop a product from the event (only while nothing of it is sold)."""
    services.event_item_remove(
        actor=request.auth, item=_item(_event(request, event_id), product_id)
    )


@router.get("/{int:event_id}/sales", response=SalesOut)
def sales_get(request: HttpRequest, response: HttpResponse, event_id: Whole) -> dict:
    """The daily-sales grid; ETag = the sales version."""
    return _sales(request, response, event_id)


@router.put("/{int:event_id}/sales", response=SalesOut)
def sales_save(
    request: HttpRequest, response: HttpResponse, event_id: Whole, payload: SalesIn
) -> dict:
    """Save several days of several products at once: all of them, or none if one is
    refused (422 naming ``sales``, its position and the field). Needs the sales version
    read: 428 without it, 409 if sales were saved since."""
    require(request.auth, Capability.EVENT_EDIT)
    event = _event(request, event_id)
    version = version_required(request, payload.version)
    items = {item.product_id: item for item in event.items.all()}
    unknown = {
        f"sales.{position}.product_id": [services.not_at_the_event_message()]
        for position, cell in enumerate(payload.sales)
        if cell.product_id not in items
    }
    if unknown:
        raise ValidationError(unknown)
    services.event_sales_save(
        actor=request.auth,
        event=event,
        version=version,
        reason=payload.reason,
        sales=[
            {"item": items[cell.product_id], "sold_on": cell.sold_on, "quantity": cell.quantity}
            for cell in payload.sales
        ],
    )
    return _sales(request, response, event_id)


@router.put("/{int:event_id}/items/{int:product_id}/sales/{sold_on}", response=ItemOut)
def sale_record(
    request: HttpRequest,
    response: HttpResponse,
    event_id: Whole,
    product_id: Whole,
    sold_on: Day,
    payload: SaleIn,
) -> EventProduct:
    """Set how much of the product sold on that day of the event. Needs the sales
    version read: 428 without it, 409 if sales were saved since; the ETag of the
    answer is the new sales version."""
    event = _event(request, event_id)
    item = _item(event, product_id)
    version = version_required(request, payload.version)
    with path_fields("sold_on"):
        services.event_sale_record(
            actor=request.auth,
            item=item,
            sold_on=sold_on,
            quantity=payload.quantity,
            version=version,
            reason=payload.reason,
        )
    response["ETag"] = etag(Event.objects.values_list("sales_version", flat=True).get(pk=event.pk))
    return _item(event, product_id)


@router.get("/{int:event_id}/comparison", response=ComparisonOut)
def comparison(request: HttpRequest, event_id: Whole) -> Comparison:
    """Expected against sold per product and in total: sell-through, leftover, revenue."""
    return selectors.event_comparison(event=_event(request, event_id))


@router.get("/{int:event_id}/plan", response=PlanOut)
def plan(request: HttpRequest, event_id: Whole) -> EventPlan:
    """Suggested quantities for this event from the similar events before it, back-tested."""
    return selectors.event_plan(event=_event(request, event_id))
