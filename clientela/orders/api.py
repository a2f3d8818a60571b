"""REST endpoints of the order book: products, orders with their lines, status moves,
renegotiations and payments, and the lead-time figures.

Mounted at ``/api/v1/products`` and ``/api/v1/orders`` by the composition root.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import ValidationError as QueryInvalid
from ninja.pagination import paginate

from clientela.core.access import Capability, require
from clientela.core.api import Day, Whole, WriteSchema, etag, version_required
from clientela.core.pagination import CappedPageNumberPagination
from clientela.customers.selectors import customer_scope
from clientela.orders import selectors, services
from clientela.orders.models import Order, OrderStatus, Payment, Product

products_router = Router(tags=["products"])
orders_router = Router(tags=["orders"])

MAX_PAGE_SIZE = 100


# --- schemas ------------------------------------------------------------------------


class ProductIn(WriteSchema):
    sku: str
    name: str
    category: str = ""
    unit: str = "pza"
    unit_price: Decimal
    currency: str = Field(default_factory=lambda: settings.CLIENTELA_CURRENCY)
    lead_time_tolerance_days: Whole = 1


class ProductPatch(WriteSchema):
    sku: str | None = None
    name: str | None = None
    category: str | None = None
    unit: str | None = None
    unit_price: Decimal | None = None
    lead_time_tolerance_days: Whole | None = None
    version: Whole | None = None


class ProductOut(Schema):
    id: int
    sku: str
    name: str
    category: str
    unit: str
    unit_price: Decimal
    currency: str
    lead_time_tolerance_days: int
    is_active: bool
    version: int


class ProductFilters(Schema):
    search: str = ""
    category: str = ""
    active: bool | None = True


class LineIn(WriteSchema):
    product_id: Whole
    quantity: Decimal
    unit_price: Decimal | None = None
    discount_percent: Decimal = Decimal(0)


class OrderIn(WriteSchema):
    customer_id: Whole
    due_date: Day
    lines: list[LineIn]
    delivery_address_id: Whole | None = None
    order_date: Day | None = None
    notes: str = ""


class OrderPatch(WriteSchema):
    due_date: Day | None = None
    delivery_address_id: Whole | None = None
    notes: str | None = None
    lines: list[LineIn] | None = None
    reason: str = ""
    version: Whole | None = None


class TransitionIn(WriteSchema):
    to: OrderStatus
    reason: str = ""
    on: Day | None = None
    version: Whole | None = None


class DatesIn(WriteSchema):
    production_finished_on: Day | None = None
    delivered_on: Day | None = None
    reason: str
    version: Whole | None = None


class PaymentIn(WriteSchema):
    amount: Decimal
    method: Literal["cash", "card", "transfer", "credit", "other"]
    paid_on: Day | None = None
    reference: str = ""
    leaves_credit: bool = False


class LineOut(Schema):
    product_id: int
    sku: str = Field(alias="product.sku")
    product: str = Field(alias="product.name")
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    line_total: Decimal


class PaymentOut(Schema):
    id: int
    paid_on: date
    amount: Decimal
    method: str
    reference: str
    leaves_credit: bool


class ChangeOut(Schema):
    created_at: datetime
    changed_by: str | None
    reason: str
    changes: list[dict[str, Any]]

    @staticmethod
    def resolve_changed_by(obj) -> str | None:
        return str(obj.changed_by) if obj.changed_by else None


class OrderOut(Schema):
    id: int
    reference: str
    customer_id: int
    customer: str = Field(alias="customer.name")
    delivery_address_id: int | None
    order_date: date
    due_date: date
    status: str
    currency: str
    total: Decimal
    paid: Decimal
    balance: Decimal
    production_finished_on: date | None
    delivered_on: date | None
    cancel_reason: str
    notes: str
    version: int
    lines: list[LineOut]


class OrderDetail(OrderOut):
    payments: list[PaymentOut]
    changes: list[ChangeOut]


class OrderFilters(Schema):
    status: OrderStatus | None = None
    customer_id: Whole | None = None
    due_from: Day | None = None
    due_to: Day | None = None
    owing: bool = False


class LeadTimeQuery(Schema):
    date_from: Day
    date_to: Day
    group_by: Literal["product", "customer", "month"] = "product"


class LateOrderQuery(Schema):
    date_from: Day
    date_to: Day
    product: Whole | None = Field(None, description="Late by this product's own tolerance.")
    customer: Whole | None = None
    month: Day | None = Field(None, description="Any day of the month of delivery.")


class LateOrderOut(Schema):
    order_id: int = Field(..., alias="pk")
    customer: str = Field(..., alias="customer.name")
    due_date: date
    delivered_on: date
    days_late: int
    tolerance_days: int = Field(..., alias="tolerance")


class LeadTimeOut(Schema):
    key: str
    label: str
    delivered: int
    on_time: int
    on_time_rate: float | None
    mean_days_late: float
    max_days_late: int
    mean_production_days: float | None
    outside_tolerance: int

    @staticmethod
    def resolve_key(obj) -> str:
        return str(obj.key)


# --- helpers ------------------------------------------------------------------------


def _product(product_id: int) -> Product:
    return selectors.product_get(pk=product_id)


def _lines(lines: list[LineIn]) -> list[dict]:
    """The services' line dicts; an unknown product is a 422 on its line."""
    products = Product.objects.in_bulk([line.product_id for line in lines])
    errors = {}
    result = []
    for number, line in enumerate(lines):
        product = products.get(line.product_id)
        if product is None:
            errors[f"lines.{number}.product_id"] = _("There is no product #%(id)s.") % {
                "id": line.product_id
            }
        data = line.dict(exclude_unset=True)
        data.pop("product_id")
        result.append({"product": product, **data})
    if errors:
        raise ValidationError(errors)
    return result


def _address(customer, address_id: int | None):
    if address_id is None:
        return None
    address = customer.addresses.filter(pk=address_id).first()
    if address is None:
        raise ValidationError(
            {"delivery_address_id": _("This customer has no address #%(id)s.") % {"id": address_id}}
        )
    return address


def _order_detail(request: HttpRequest, response: HttpResponse, order_id: int) -> Order:
    order = selectors.order_get(user=request.auth, pk=order_id)
    response["ETag"] = etag(order.version)
    return order


# --- products -------------------------------------------------------------------------


@products_router.get("", response=list[ProductOut])
@paginate(
    CappedPageNumberPagination, page_size=settings.CLIENTELA_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE
)
def product_list(request: HttpRequest, filters: Query[ProductFilters]) -> QuerySet[Product]:
    """Products by SKU or name; ``active=false`` for the retired ones, empty for all."""
    require(request.auth, Capability.ORDER_VIEW)
    return selectors.product_list(**filters.dict())


@products_router.post("", response={201: ProductOut})
def product_create(request: HttpRequest, payload: ProductIn) -> Product:
    """Add a product (owner)."""
    return services.product_create(actor=request.auth, **payload.dict())


@products_router.get("/{int:product_id}", response=ProductOut)
def product_get(request: HttpRequest, response: HttpResponse, product_id: Whole) -> Product:
    """One product; the ETag header carries its version."""
    require(request.auth, Capability.ORDER_VIEW)
    product = _product(product_id)
    response["ETag"] = etag(product.version)
    return product


@products_router.patch("/{int:product_id}", response=ProductOut)
def product_update(request: HttpRequest, product_id: Whole, payload: ProductPatch) -> Product:
    """Change a product (owner); needs the version read, 409 if it changed since."""
    product = _product(product_id)
    data = payload.dict(exclude_unset=True)
    version = version_required(request, data.pop("version", None))
    return services.product_update(actor=request.auth, product=product, version=version, **data)


@products_router.post("/{int:product_id}/deactivate", response=ProductOut)
def product_deactivate(request: HttpRequest, product_id: Whole) -> Product:
    """Retire a product: it stays on past orders, new orders cannot use it."""
    return services.product_deactivate(actor=request.auth, product=_product(product_id))


@products_router.post("/{int:product_id}/reactivate", response=ProductOut)
def product_reactivate(request: HttpRequest, product_id: Whole) -> Product:
    """Offer a retired product again."""
    return services.product_reactivate(actor=request.auth, product=_product(product_id))


# --- orders ---------------------------------------------------------------------------


@orders_router.get("", response=list[OrderOut])
@paginate(
    CappedPageNumberPagination, page_size=settings.CLIENTELA_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE
)
def order_list(request: HttpRequest, filters: Query[OrderFilters]) -> QuerySet[Order]:
    """Orders, newest first; ``owing=true`` for those with money due."""
    require(request.auth, Capability.ORDER_VIEW)
    data = filters.dict()
    return selectors.order_list(
        user=request.auth,
        status=data["status"],
        customer=data["customer_id"],
        due_from=data["due_from"],
        due_to=data["due_to"],
        owing=data["owing"],
        with_lines=True,
    )


@orders_router.post("", response={201: OrderDetail})
def order_create(request: HttpRequest, response: HttpResponse, payload: OrderIn) -> Order:
    """Create a draft order with its lines."""
    require(request.auth, Capability.ORDER_EDIT)
    data = payload.dict()
    customer = customer_scope(user=request.auth).filter(pk=data.pop("customer_id")).first()
    if customer is None:
        raise ValidationError({"customer_id": _("There is no such customer.")})
    order = services.order_create(
        actor=request.auth,
        customer=customer,
        delivery_address=_address(customer, data.pop("delivery_address_id")),
        lines=_lines(payload.lines),
        due_date=data["due_date"],
        order_date=data["order_date"],
        notes=data["notes"],
    )
    return _order_detail(request, response, order.pk)


def _period_check(date_from: date, date_to: date) -> None:
    """``selectors.lead_time_period_check`` as a 422 on the query's ``date_to``."""
    try:
        selectors.lead_time_period_check(date_from, date_to)
    except ValidationError as error:
        entries = [
            {"loc": ["query", "date_to"], "msg": message, "type": "invalid"}
            for message in error.message_dict["date_to"]
        ]
        raise QueryInvalid(entries) from error


@orders_router.get("/lead-times", response=list[LeadTimeOut])
@paginate(
    CappedPageNumberPagination, page_size=settings.CLIENTELA_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE
)
def lead_times(request: HttpRequest, query: Query[LeadTimeQuery], **params: Any):
    """Promised against actual delivery per product, customer (those with deliveries
    outside tolerance, the most first) or month; paged."""
    require(request.auth, Capability.ORDER_VIEW)
    _period_check(query.date_from, query.date_to)
    return selectors.lead_time_report(user=request.auth, **query.dict())


@orders_router.get("/lead-times/late", response=list[LateOrderOut])
@paginate(
    CappedPageNumberPagination, page_size=settings.CLIENTELA_PAGE_SIZE, max_page_size=MAX_PAGE_SIZE
)
def late_orders(request: HttpRequest, query: Query[LateOrderQuery], **params: Any):
    """Orders delivered in the period outside their tolerance, latest first; paged."""
    require(request.auth, Capability.ORDER_VIEW)
    _period_check(query.date_from, query.date_to)
    arguments = query.dict()
    if arguments["product"] is not None:
        arguments["product"] = _product(arguments["product"])
    return selectors.lead_time_late_orders(user=request.auth, **arguments)


@orders_router.get("/{int:order_id}", response=OrderDetail)
def order_get(request: HttpRequest, response: HttpResponse, order_id: Whole) -> Order:
    """One order with lines, payments and its renegotiation log; ETag = version."""
    require(request.auth, Capability.ORDER_VIEW)
    return _order_detail(request, response, order_id)


@orders_router.patch("/{int:order_id}", response=OrderDetail)
def order_update(
    request: HttpRequest, response: HttpResponse, order_id: Whole, payload: OrderPatch
) -> Order:
    """Change dates, address, notes or lines; once confirmed, with a ``reason`` (logged)."""
    order = selectors.order_get(user=request.auth, pk=order_id)
    data = payload.dict(exclude_unset=True)
    version = version_required(request, data.pop("version", None))
    if "delivery_address_id" in data:
        data["delivery_address"] = _address(order.customer, data.pop("delivery_address_id"))
    if payload.lines is not None:
        data["lines"] = _lines(payload.lines)
    services.order_update(actor=request.auth, order=order, version=version, **data)
    return _order_detail(request, response, order_id)


@orders_router.post("/{int:order_id}/transitions", response=OrderDetail)
def order_transition(
    request: HttpRequest, response: HttpResponse, order_id: Whole, payload: TransitionIn
) -> Order:
    """Move the order along: confirmed, in_production, ready, delivered, or cancelled."""
    order = selectors.order_get(user=request.auth, pk=order_id)
    data = payload.dict()
    version = version_required(request, data.pop("version"))
    services.order_transition(actor=request.auth, order=order, version=version, **data)
    return _order_detail(request, response, order_id)


@orders_router.post("/{int:order_id}/dates", response=OrderDetail)
def order_dates(
    request: HttpRequest, response: HttpResponse, order_id: Whole, payload: DatesIn
) -> Order:
    """Correct the actual production-finished or delivery date, with a reason."""
    order = selectors.order_get(user=request.auth, pk=order_id)
    data = payload.dict(exclude_unset=True)
    version = version_required(request, data.pop("version", None))
    services.order_record_dates(actor=request.auth, order=order, version=version, **data)
    return _order_detail(request, response, order_id)


@orders_router.get("/{int:order_id}/payments", response=list[PaymentOut])
def payment_list(request: HttpRequest, order_id: Whole) -> list[Payment]:
    """The order's payments, oldest first."""
    require(request.auth, Capability.ORDER_VIEW)
    return list(selectors.order_get(user=request.auth, pk=order_id).payments.all())


@orders_router.post("/{int:order_id}/payments", response={201: PaymentOut})
def payment_record(request: HttpRequest, order_id: Whole, payload: PaymentIn) -> Payment:
    """Record money received; above the balance only with ``leaves_credit``."""
    order = selectors.order_get(user=request.auth, pk=order_id)
    return services.payment_record(actor=request.auth, order=order, **payload.dict())
