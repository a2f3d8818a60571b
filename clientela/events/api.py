"""REST endpoints of event sales: events, the products taken and their daily sales, the
estimated-vs-actual comparison and the plan for an event from similar past ones.

Mounted at ``/api/v1/events`` by the composition root.
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from ninja.pagination import paginate

from clientela.core.access import Capability, require
from clientela.core.api import WriteSchema, etag, version_required
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
    start_date: date
    duration_days: int = 1
    notes: str = ""


class EventPatch(WriteSchema):
    name: str | None = None
    kind: EventKind | None = None
    location: str | None = None
    start_date: date | None = None
    duration_days: int | None = None
    notes: str | None = None
    reason: str = ""
    version: int | None = None


class ItemIn(WriteSchema):
    quantity_brought: Decimal
    quantity_expected: Decimal
    unit_price: Decimal | None = None


class SaleIn(WriteSchema):
    quantity: Decimal


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
    version: int


class EventDetail(EventOut):
    items: list[ItemOut]


class EventFilters(Schema):
    kind: EventKind | None = None
    location: str = ""
    year: int | None = None


class ComparisonRowOut(Schema):
    product_id: int | None
    product: str | None
    brought: Decimal
    expected: Decimal
    sold_by_day: dict[str, Decimal]  # ISO day → quantity sold
    sold: Decimal
    difference: Decimal
    sell_through_percent: Decimal | None
    leftover: Decimal
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
    start_date: date
    duration_days: int = 1


def _event(request: HttpRequest, event_id: int) -> Event:
    require(request.auth, Capability.EVENT_VIEW)
    return selectors.event_get(pk=event_id)


def _detail(request: HttpRequest, response: HttpResponse, event_id: int) -> Event:
    event = _event(request, event_id)
    response["ETag"] = etag(event.version)
    return event


def _item(event: Event, product_id: int) -> EventProduct:
    return event.items.select_related("product").get(product_id=product_id)


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
def event_get(request: HttpRequest, response: HttpResponse, event_id: int) -> Event:
    """One event with its products and daily sales; ETag = version."""
    return _detail(request, response, event_id)


@router.patch("/{int:event_id}", response=EventDetail)
def event_update(
    request: HttpRequest, response: HttpResponse, event_id: int, payload: EventPatch
) -> Event:
    """Change an event; needs the version read, 409 if it changed since."""
    event = _event(request, event_id)
    data = payload.dict(exclude_unset=True)
    version = version_required(request, data.pop("version", None))
    services.event_update(actor=request.auth, event=event, version=version, **data)
    return _detail(request, response, event_id)


@router.put("/{int:event_id}/items/{int:product_id}", response=ItemOut)
def item_set(request: HttpRequest, event_id: int, product_id: int, payload: ItemIn) -> EventProduct:
    """Take a product to the event, or change how much is brought and expected to sell."""
    event = _event(request, event_id)
    product = Product.objects.get(pk=product_id)
    services.event_item_set(actor=request.auth, event=event, product=product, **payload.dict())
    return _item(event, product_id)


@router.delete("/{int:event_id}/items/{int:product_id}", response={204: None})
def item_remove(request: HttpRequest, event_id: int, product_id: int) -> None:
    """Drop a product from the event (only while nothing of it is sold)."""
    services.event_item_remove(
        actor=request.auth, item=_item(_event(request, event_id), product_id)
    )


@router.put("/{int:event_id}/items/{int:product_id}/sales/{sold_on}", response=ItemOut)
def sale_record(
    request: HttpRequest, event_id: int, product_id: int, sold_on: date, payload: SaleIn
) -> EventProduct:
    """Set how much of the product sold on that day of the event."""
    event = _event(request, event_id)
    item = _item(event, product_id)
    services.event_sale_record(
        actor=request.auth, item=item, sold_on=sold_on, quantity=payload.quantity
    )
    return _item(event, product_id)


@router.get("/{int:event_id}/comparison", response=ComparisonOut)
def comparison(request: HttpRequest, event_id: int) -> Comparison:
    """Expected against sold per product and in total: sell-through, leftover, revenue."""
    return selectors.event_comparison(event=_event(request, event_id))


@router.get("/{int:event_id}/plan", response=PlanOut)
def plan(request: HttpRequest, event_id: int) -> EventPlan:
    """Suggested quantities for this event from the similar events before it, back-tested."""
    return selectors.event_plan(event=_event(request, event_id))
