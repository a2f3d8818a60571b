"""Writes to the order book: products, orders, renegotiations, status moves and payments.

Every service is atomic, validates everything before it writes and raises one
``ValidationError`` keyed by field; ``actor=None`` means the system itself.

Errors about an order's lines are keyed ``"lines"`` for the list as a whole (no lines)
and ``"lines.<index>.<field>"`` for one line, ``<index>`` being the 0-based position of
the line in the list the caller gave (``"lines.2.quantity"``).

An order holds at most one line per product: renegotiations are matched by product.
"""

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from clientela.core.access import Capability
from clientela.core.models import User
from clientela.core.money import money_check, money_round, normalize_currency
from clientela.core.parsing import one_line, text_block
from clientela.core.services import actor_check, full_clean_collecting, history_as, version_claim
from clientela.customers.models import Address, Customer
from clientela.orders.models import (
    DeliveryDay,
    Order,
    OrderChange,
    OrderEvent,
    OrderLine,
    OrderStatus,
    Payment,
    Product,
)
from clientela.orders.rules import (
    Problems,
    order_change_problems,
    order_line_problems,
    order_problems,
    order_status_problems,
    payment_problems,
)
from clientela.orders.selectors import FIGURES, delivery_figures
from clientela.webhooks.services import event_emit

PRODUCT_FIELDS = frozenset(
    {"sku", "name", "category", "unit", "unit_price", "currency", "lead_time_tolerance_days"}
)
# A line's fields, in the order their errors are given.
LINE_ORDER = ("product", "quantity", "unit_price", "discount_percent")
LINE_FIELDS = frozenset(LINE_ORDER)
ORDER_UPDATE_FIELDS = frozenset({"due_date", "delivery_address", "notes", "lines"})
# Statuses in which a change is a renegotiation, logged with a reason.
RENEGOTIABLE = frozenset({OrderStatus.CONFIRMED, OrderStatus.IN_PRODUCTION, OrderStatus.READY})

Errors = dict[str, list]


def _add_problems(errors: Errors, problems: Problems) -> None:
    """Add the problems an order rule found to ``errors``."""
    for field, messages in problems.items():
        errors.setdefault(field, []).extend(messages)


def _unknown_fields(fields: Iterable[str], allowed: frozenset[str]) -> None:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")


def _decimal(value, key: str, errors: Errors) -> Decimal | None:
    """``value`` as a finite Decimal, or None with an error on ``key``."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        number = None
    if number is None or not number.is_finite():
        errors.setdefault(key, []).append(_("Enter a number."))
        return None
    return number


def _amount(value, key: str, currency: str, errors: Errors) -> Decimal | None:
    """A money amount: a number with no more decimals than ``currency`` has."""
    number = _decimal(value, key, errors)
    if number is not None:
        try:
            money_check(number, currency)
        except ValidationError as error:
            errors.setdefault(key, []).extend(error.error_list)
            return None
    return number


def _text(value: Decimal) -> str:
    """A quantity or percentage as people write it: ``3``, ``2.5``, ``10``."""
    return format(value.normalize(), "f")


def _money_text(value: Decimal, currency: str) -> str:
    return str(money_round(value, currency))


# --- products -----------------------------------------------------------------------


def _clean_product(product: Product, fields: dict) -> None:
    errors: Errors = {}
    for field, value in fields.items():
        if field not in {"unit_price", "sku", "currency"}:
            text = "" if value is None else value
            setattr(product, field, one_line(text) if isinstance(text, str) else text)
    if "currency" in fields:
        try:
            product.currency = normalize_currency(str(fields["currency"] or ""))
        except ValidationError as error:
            errors["currency"] = error.messages
    if "sku" in fields:
        product.sku = one_line(str(fields["sku"] or "")).upper()
        if product.sku and Product.objects.filter(sku=product.sku).exclude(pk=product.pk).exists():
            errors["sku"] = [
                _("Another product already has the SKU %(sku)s.") % {"sku": product.sku}
            ]
    if "unit_price" in fields:
        price = _amount(fields["unit_price"], "unit_price", product.currency, errors)
        if price is not None:
            product.unit_price = price
    full_clean_collecting(product, errors, exclude=["version"])


@transaction.atomic
def product_create(*, actor: User | None, reason: str = "", **fields) -> Product:
    """Add a product to the catalog; its SKU is stored trimmed and in capitals."""
    actor_check(actor, Capability.PRODUCT_EDIT)
    _unknown_fields(fields, PRODUCT_FIELDS)
    product = Product()
    _clean_product(product, {"currency": product.currency, **fields})
    history_as(product, actor, reason)
    product.save()
    return product


@transaction.atomic
def product_update(
    *, actor: User | None, product: Product, version: int, reason: str = "", **fields
) -> Product:
    """Change a product; a stale ``version`` raises ConflictError. Orders keep their prices.

    A new delivery tolerance applies to every order with the product, delivered ones
    included: ``product_tolerance_apply`` recomputes them in the background once the
    change is committed.
    """
    actor_check(actor, Capability.PRODUCT_EDIT)
    _unknown_fields(fields, PRODUCT_FIELDS)
    tolerance = product.lead_time_tolerance_days
    _clean_product(product, fields)
    version_claim(instance=product, version=version)
    history_as(product, actor, reason)
    product.save()
    if product.lead_time_tolerance_days != tolerance:
        from clientela.orders.tasks import product_tolerance_task

        transaction.on_commit(partial(product_tolerance_task.enqueue, product.pk))
    return product


@transaction.atomic
def product_tolerance_apply(*, product: Product) -> None:
    """Re-judge the orders with ``product`` by its current tolerance.

    Each order's tolerance (the smallest of its products') is rewritten where it
    changes, and every day the product was delivered is recounted. A background task
    runs it after a product's tolerance changes: with millions of orders it takes
    minutes, too long for the request that saved the product.
    """
    orders = Order.objects.filter(pk__in=OrderLine.objects.filter(product=product).values("order"))
    smallest = Subquery(
        OrderLine.objects.filter(order=OuterRef("pk"))
        .values("order")
        .annotate(days=Min("product__lead_time_tolerance_days"))
        .values("days")
    )
    orders.exclude(tolerance_days=smallest).update(tolerance_days=smallest)
    delivery_days_refresh(
        days=orders.filter(delivered_on__isnull=False)
        .order_by()
        .values_list("delivered_on", flat=True)
        .distinct()
    )


def _product_set_active(actor: User | None, product: Product, active: bool, reason: str) -> None:
    actor_check(actor, Capability.PRODUCT_EDIT)
    if product.is_active == active:
        return
    version_claim(instance=product, version=product.version)
    product.is_active = active
    history_as(product, actor, reason)
    product.save()


@transaction.atomic
def product_deactivate(*, actor: User | None, product: Product, reason: str = "") -> Product:
    """Stop selling a product: new orders refuse it, existing orders keep it."""
    _product_set_active(actor, product, False, reason)
    return product


@transaction.atomic
def product_reactivate(*, actor: User | None, product: Product, reason: str = "") -> Product:
    """Sell a deactivated product again."""
    _product_set_active(actor, product, True, reason)
    return product


# --- order lines --------------------------------------------------------------------


@dataclass
class _Line:
    """A checked line as the caller wants it, before it is written."""

    product: Product
    quantity: Decimal
    unit_price: Decimal
    discount_percent: Decimal
    line_total: Decimal

    def describe(self, currency: str) -> str:
        text = f"{_text(self.quantity)} × {_money_text(self.unit_price, currency)}"
        if self.discount_percent:
            text += f" −{_text(self.discount_percent)}%"
        return text


def _clean_lines(
    lines: Sequence[dict],
    currency: str,
    errors: Errors,
    kept_products: frozenset[int] = frozenset(),
) -> list[_Line]:
    """Check the lines; products in ``kept_products`` (already ordered) may be inactive."""
    if not lines:
        errors["lines"] = [_("An order needs at least one line.")]
        return []
    cleaned: list[_Line] = []
    seen: dict[int, int] = {}
    for index, line in enumerate(lines):
        _unknown_fields(line, LINE_FIELDS)
        key = f"lines.{index}."
        unread: Errors = {}  # by field: what cannot be read, or is not a product to order
        product = line.get("product")
        if not isinstance(product, Product):
            unread["product"] = [_("Choose a product.")]
        elif product.pk in seen:
            unread["product"] = [
                _("%(product)s is already on line %(line)d; change its quantity there.")
                % {"product": product.sku, "line": seen[product.pk] + 1}
            ]
        if isinstance(product, Product):
            seen.setdefault(product.pk, index)
        quantity = _decimal(line.get("quantity"), "quantity", unread)
        price = line.get("unit_price")
        if price is None and isinstance(product, Product):
            price = product.unit_price
        if price is not None:
            price = _amount(price, "unit_price", currency, unread)
        discount = _decimal(line.get("discount_percent", 0), "discount_percent", unread)
        problems = order_line_problems(
            currency=currency,
            product=None if "product" in unread else product,
            already_on_order=isinstance(product, Product) and product.pk in kept_products,
            quantity=quantity,
            unit_price=price,
            discount_percent=discount,
        )
        line_errors = {
            key + field: unread.get(field, []) + problems.get(field, [])
            for field in LINE_ORDER
            if field in unread or field in problems
        }
        if line_errors:
            errors.update(line_errors)
            continue
        # Nothing unread: the product is one, and the numbers were read.
        assert isinstance(product, Product) and quantity is not None and discount is not None
        assert price is not None
        total = money_round(quantity * price * (1 - discount / 100), currency)
        row = OrderLine(
            product=product,
            quantity=quantity,
            unit_price=price,
            discount_percent=discount,
            line_total=total,
        )
        try:
            row.clean_fields(exclude=["order", "position"])
        except ValidationError as error:
            for field, field_errors in error.error_dict.items():
                errors.setdefault(key + field, []).extend(field_errors)
            continue
        cleaned.append(_Line(product, quantity, price, discount, total))
    return cleaned


def order_lines_total(
    *, lines: Sequence[dict], order: Order | None = None
) -> tuple[Decimal, Errors]:
    """What ``lines`` come to, each priced and rounded as ``order_create`` (or, for an
    ``order`` being changed, ``order_update``: in its currency, its products kept even if
    no longer sold) prices it, and why it would refuse the lines that count nothing
    (keyed ``lines.<index>.<field>``). Writes nothing: the order form's running total."""
    currency = order.currency if order else settings.CLIENTELA_CURRENCY
    refused: Errors = {}
    priced = _clean_lines(lines, currency, refused, _kept_products(order)) if lines else []
    return sum((line.line_total for line in priced), Decimal(0)), refused


def _kept_products(order: Order | None) -> frozenset[int]:
    """The products already on ``order``, which stay on it even when no longer sold."""
    if order is None:
        return frozenset()
    return frozenset(order.lines.values_list("product_id", flat=True))


def _write_lines(order: Order, lines: list[_Line], actor: User | None, reason: str) -> None:
    """Make the order's lines exactly ``lines``, in order, and recompute its total."""
    existing = {line.product_id: line for line in order.lines.all()}
    wanted = {line.product.pk for line in lines}
    for product_id, row in existing.items():
        if product_id not in wanted:
            history_as(row, actor, reason)
            row.delete()
    for position, line in enumerate(lines):
        row = existing.get(line.product.pk) or OrderLine(order=order, product=line.product)
        values = {
            "position": position,
            "quantity": line.quantity,
            "unit_price": line.unit_price,
            "discount_percent": line.discount_percent,
            "line_total": line.line_total,
        }
        if row.pk and all(getattr(row, field) == value for field, value in values.items()):
            continue
        for field, value in values.items():
            setattr(row, field, value)
        history_as(row, actor, reason)
        row.save()
    order.total = sum((line.line_total for line in lines), Decimal(0))
    order.tolerance_days = min((line.product.lead_time_tolerance_days for line in lines), default=0)


def _line_changes(order: Order, lines: list[_Line]) -> list[dict]:
    """Log entries for every difference between the order's lines and ``lines``."""
    currency = order.currency
    existing = {row.product_id: row for row in order.lines.select_related("product")}
    changes = []
    for line in lines:
        row = existing.get(line.product.pk)
        if row is None:
            changes.append(_entry("line_added", line.product.sku, "", line.describe(currency)))
            continue
        if row.quantity != line.quantity:
            changes.append(
                _entry("quantity", row.product.sku, _text(row.quantity), _text(line.quantity))
            )
        if row.unit_price != line.unit_price:
            changes.append(
                _entry(
                    "unit_price",
                    row.product.sku,
                    _money_text(row.unit_price, currency),
                    _money_text(line.unit_price, currency),
                )
            )
        if row.discount_percent != line.discount_percent:
            changes.append(
                _entry(
                    "discount_percent",
                    row.product.sku,
                    _text(row.discount_percent),
                    _text(line.discount_percent),
                )
            )
    wanted = {line.product.pk for line in lines}
    for product_id, row in existing.items():
        if product_id not in wanted:
            old = _Line(row.product, row.quantity, row.unit_price, row.discount_percent, Decimal(0))
            changes.append(_entry("line_removed", row.product.sku, old.describe(currency), ""))
    return changes


def _entry(what: str, product: str | None, old: str, new: str) -> dict:
    return {"what": what, "product": product, "old": old, "new": new}


# --- orders -------------------------------------------------------------------------


def _check_address(customer: Customer, address: Address | None, errors: Errors) -> None:
    if address is not None and address.customer_id != customer.pk:
        errors["delivery_address"] = [_("This address belongs to another customer.")]


def _check_due_date(order: Order, errors: Errors) -> None:
    _add_problems(errors, order_problems(order_date=order.order_date, due_date=order.due_date))


def _claim(order: Order, version: int) -> None:
    """Claim the order's version and re-read what payments change meanwhile.

    The claim locks the row, and ``payment_record`` locks it too, so the ``paid`` read
    here is current and the save that follows does not undo a payment.
    """
    version_claim(instance=order, version=version)
    order.paid = Order.objects.values_list("paid", flat=True).get(pk=order.pk)


def _event_data(order: Order) -> dict:
    """What a webhook receiver or an in-process subscriber learns of an order."""
    return {
        "id": order.pk,
        "customer_id": order.customer_id,
        "status": order.status,
        "order_date": order.order_date.isoformat(),
        "due_date": order.due_date.isoformat(),
        "currency": order.currency,
        "total": str(order.total),
        "lines": [
            {
                "sku": line.product.sku,
                "quantity": str(line.quantity),
                "line_total": str(line.line_total),
            }
            for line in order.lines.select_related("product")
        ],
    }


@transaction.atomic
def order_create(
    *,
    actor: User | None,
    customer: Customer,
    due_date: date,
    lines: Sequence[dict],
    delivery_address: Address | None = None,
    order_date: date | None = None,
    notes: str = "",
    reason: str = "",
    reference: str = "",
) -> Order:
    """Create a draft order for a customer in the business currency.

    Each line is ``{"product", "quantity", "unit_price" (default: the product's
    price), "discount_percent" (default 0)}``; its total is quantity × price × (1 −
    discount/100) rounded to the currency. The address defaults to the customer's
    default address. ``reference`` (the order's number in the business's own system)
    is stored trimmed and in capitals and must be unique.
    """
    actor_check(actor, Capability.ORDER_EDIT, customer)
    errors: Errors = {}
    if customer.merged_into_id:
        errors["customer"] = [_("This customer was merged into another; order for that one.")]
    if delivery_address is None:
        delivery_address = customer.addresses.filter(is_default=True).first()
    _check_address(customer, delivery_address, errors)
    order = Order(
        customer=customer,
        delivery_address=delivery_address,
        order_date=order_date or timezone.localdate(),
        due_date=due_date,
        currency=settings.CLIENTELA_CURRENCY,
        notes=text_block(notes),
        created_by=actor,
        reference=one_line(reference).upper(),
    )
    try:
        Order._meta.get_field("reference").clean(order.reference, order)
    except ValidationError as error:
        errors["reference"] = error.messages
    given = "reference" not in errors and order.reference
    if given and Order.objects.filter(reference=order.reference).exists():
        errors["reference"] = [
            _("Another order already has the reference %(reference)s.")
            % {"reference": order.reference}
        ]
    _check_due_date(order, errors)
    cleaned = _clean_lines(lines, order.currency, errors)
    # The constraints' rules are checked above (the due date; the reference, the amounts
    # are left out): not again by a query each.
    full_clean_collecting(
        order, errors, exclude=["version", "total", "paid", "reference"], constraints=False
    )
    history_as(order, actor, reason)
    order.save()
    _write_lines(order, cleaned, actor, reason)
    order.save(update_fields=["total", "tolerance_days"])
    event_emit(event=OrderEvent.CREATED, data=lambda: _event_data(order))
    return order


@transaction.atomic
def order_update(
    *, actor: User | None, order: Order, version: int, reason: str = "", **changes
) -> Order:
    """Change an order's ``due_date``, ``delivery_address``, ``notes`` or ``lines``.

    ``lines``, when given, is the whole new list (as in ``order_create``), matched to
    the current lines by product. A draft changes freely. A confirmed order (confirmed,
    in production, ready) is being renegotiated: a change to its due date, address or
    lines needs a ``reason`` and is recorded as one ``OrderChange`` listing every
    difference, in this order: due date, address, then each line in the new order
    (quantity, unit price, discount, or line added), then the lines removed. Notes
    are not part of the renegotiation. Delivered and cancelled orders cannot change.
    """
    actor_check(actor, Capability.ORDER_EDIT, order.customer)
    _unknown_fields(changes, ORDER_UPDATE_FIELDS)
    closed = order_change_problems(status=order.status)
    if closed:
        raise ValidationError(closed)
    errors: Errors = {}
    log: list[dict] = []
    if "due_date" in changes and changes["due_date"] != order.due_date:
        log.append(_entry("due_date", None, str(order.due_date), str(changes["due_date"] or "")))
        order.due_date = changes["due_date"]
        _check_due_date(order, errors)
    if "delivery_address" in changes and changes["delivery_address"] != order.delivery_address:
        address = changes["delivery_address"]
        _check_address(order.customer, address, errors)
        log.append(
            _entry(
                "delivery_address",
                None,
                str(order.delivery_address or ""),
                str(address or ""),
            )
        )
        order.delivery_address = address
    if "notes" in changes:
        order.notes = text_block(changes["notes"])
    cleaned = None
    if "lines" in changes:
        cleaned = _clean_lines(changes["lines"], order.currency, errors, _kept_products(order))
        if "lines" not in errors:
            log.extend(_line_changes(order, cleaned))
    renegotiated = order.status in RENEGOTIABLE and bool(log)
    if renegotiated and not reason.strip():
        errors["reason"] = [_("Say why the confirmed order changes.")]
    full_clean_collecting(
        order, errors, exclude=["version", "total", "paid", "reference"], constraints=False
    )
    _claim(order, version)
    if cleaned is not None:
        _write_lines(order, cleaned, actor, reason)
    history_as(order, actor, reason)
    order.save()
    if renegotiated:
        OrderChange.objects.create(order=order, changed_by=actor, reason=reason, changes=log)
    return order


def _check_actual_dates(order: Order, errors: Errors) -> None:
    """Production finishes and deliveries happen on or after the order date, not later
    than today, and a delivery does not precede the end of production (a delivery date
    refused already is not checked again)."""
    problems = order_problems(
        order_date=order.order_date,
        production_finished_on=order.production_finished_on,
        delivered_on=None if "delivered_on" in errors else order.delivered_on,
    )
    _add_problems(errors, problems)


@transaction.atomic
def order_transition(
    *,
    actor: User | None,
    order: Order,
    version: int,
    to: str,
    reason: str = "",
    on: date | None = None,
) -> Order:
    """Move an order along ``ORDER_TRANSITIONS``; anything else is refused on "status".

    Confirming stamps ``confirmed_at``. Moving to ready records ``on`` (default today)
    as ``production_finished_on``, delivering records it as ``delivered_on``; date
    errors are keyed by those fields. Cancelling needs a ``reason``; the payments of a
    cancelled order stay and its balance becomes a credit of what was paid.
    """
    actor_check(actor, Capability.ORDER_EDIT, order.customer)
    refused = order_status_problems(status=order.status, to=to)
    if refused:
        raise ValidationError(refused)
    errors: Errors = {}
    if to == OrderStatus.CANCELLED:
        if not reason.strip():
            errors["reason"] = [_("Say why the order is cancelled.")]
        order.cancel_reason = reason.strip()
    elif to == OrderStatus.CONFIRMED:
        order.confirmed_at = timezone.now()
    elif to == OrderStatus.READY:
        order.production_finished_on = on or timezone.localdate()
    elif to == OrderStatus.DELIVERED:
        order.delivered_on = on or timezone.localdate()
        order.days_late = _days_late(order.delivered_on, order.due_date)
    _check_actual_dates(order, errors)
    if errors:
        raise ValidationError(errors)
    _claim(order, version)
    previous = order.status
    order.status = to
    history_as(order, actor, reason)
    order.save()
    if to == OrderStatus.DELIVERED:
        _delivery_days_changed([order.delivered_on])
    event_emit(
        event=OrderEvent.STATUS_CHANGED,
        data=lambda: {**_event_data(order), "previous_status": previous},
    )
    return order


@transaction.atomic
def order_record_dates(
    *, actor: User | None, order: Order, version: int, reason: str, **dates: date
) -> Order:
    """Correct an order's actual ``production_finished_on`` or ``delivered_on``.

    A date can be corrected once it is recorded (ready for production, delivered for
    the delivery), with the checks of ``order_transition`` and a ``reason``; the
    correction is logged as an ``OrderChange``.
    """
    actor_check(actor, Capability.ORDER_EDIT, order.customer)
    _unknown_fields(dates, frozenset({"production_finished_on", "delivered_on"}))
    errors: Errors = {}
    log = []
    delivered_before = order.delivered_on
    for field, value in dates.items():
        if getattr(order, field) is None:
            errors[field] = [_("This date is recorded when the order gets there; move it first.")]
        elif value is None:
            errors[field] = [_("Enter a date.")]
        elif value != getattr(order, field):
            log.append(_entry(field, None, str(getattr(order, field)), str(value)))
            setattr(order, field, value)
    if log and not reason.strip():
        errors["reason"] = [_("Say why the date is corrected.")]
    _check_actual_dates(order, errors)
    if errors:
        raise ValidationError(errors)
    if not log:
        return order
    _claim(order, version)
    if order.delivered_on is not None:
        order.days_late = _days_late(order.delivered_on, order.due_date)
    history_as(order, actor, reason)
    order.save()
    if order.delivered_on is not None:
        _delivery_days_changed([delivered_before, order.delivered_on])
    OrderChange.objects.create(order=order, changed_by=actor, reason=reason, changes=log)
    return order


def _days_late(delivered_on: date, due_date: date) -> int:
    return max((delivered_on - due_date).days, 0)


# The days whose delivery figures wait for the end of ``delivery_days_deferred``.
_DEFERRED_DAYS: ContextVar[set[date] | None] = ContextVar("deferred_delivery_days", default=None)


@contextmanager
def delivery_days_deferred() -> Iterator[None]:
    """Refresh the delivery figures once at the end, for every day a delivery was
    recorded or corrected on inside, instead of at each one (a load of many orders:
    the demo's years of them). If the block fails, nothing is refreshed."""
    days: set[date] = set()
    token = _DEFERRED_DAYS.set(days)
    try:
        yield
    finally:
        _DEFERRED_DAYS.reset(token)
    if days:
        delivery_days_refresh(days=days)


def _delivery_days_changed(days: Iterable[date | None]) -> None:
    deferred = _DEFERRED_DAYS.get()
    if deferred is None:
        delivery_days_refresh(days=days)
    else:
        deferred.update(day for day in days if day is not None)


@transaction.atomic
def delivery_days_refresh(*, days: Iterable[date | None] | None = None) -> None:
    """Recompute the ``DeliveryDay`` figures of ``days`` (of every day when None; a
    ``None`` among them, an order not delivered, is no day).

    The services call it whenever a delivery is recorded or corrected and when a
    product's tolerance changes; anything that writes orders around them (a bulk load)
    calls it once afterwards. Concurrent refreshes of the same day wait for each other
    on that day's whole-orders row, which is updated in place, never deleted.
    """
    delivered = Order.objects.filter(delivered_on__isnull=False)
    rows = DeliveryDay.objects.all()
    wanted: list[date]
    if days is None:
        delivered_days = delivered.order_by().values_list("delivered_on", flat=True).distinct()
        wanted = [day for day in delivered_days if day is not None]  # none is, by the filter
    else:
        wanted = sorted({day for day in days if day is not None})
        delivered = delivered.filter(delivered_on__in=wanted)
        rows = rows.filter(day__in=wanted)
    DeliveryDay.objects.bulk_create(
        [DeliveryDay(day=day) for day in wanted], ignore_conflicts=True, batch_size=1000
    )
    locked = list(rows.filter(product=None).select_for_update().order_by("day"))
    # Counted once the lock is held: earlier refreshes of these days have committed.
    whole = {
        row.pop("delivered_on"): row
        for row in delivered.values("delivered_on").annotate(**delivery_figures()).order_by()
    }
    by_product = (
        OrderLine.objects.filter(order__in=delivered)
        .values("order__delivered_on", "product")
        .annotate(**delivery_figures("order__", "product__lead_time_tolerance_days"))
        .order_by()
    )
    for row in locked:
        for name, value in whole.get(row.day, dict.fromkeys(FIGURES, 0)).items():
            setattr(row, name, value)
    DeliveryDay.objects.bulk_update(locked, FIGURES, batch_size=500)
    rows.filter(product__isnull=False).delete()
    DeliveryDay.objects.bulk_create(
        (
            DeliveryDay(day=row.pop("order__delivered_on"), product_id=row.pop("product"), **row)
            for row in by_product.iterator(chunk_size=5000)
        ),
        batch_size=2000,
    )


# --- payments -----------------------------------------------------------------------


@transaction.atomic
def payment_record(
    *,
    actor: User | None,
    order: Order,
    amount: Decimal,
    method: str,
    paid_on: date | None = None,
    reference: str = "",
    leaves_credit: bool = False,
    reason: str = "",
) -> Payment:
    """Record money received for a confirmed (not cancelled) order and add it to ``paid``.

    More than the balance is refused unless ``leaves_credit``: then the excess is a
    credit (a negative balance). Payments are not deleted; the order's ``paid`` and
    ``version`` in ``order`` are refreshed. ``reason`` goes to the history (an import
    names its file).
    """
    actor_check(actor, Capability.PAYMENT_RECORD, order.customer)
    locked = Order.objects.select_for_update().get(pk=order.pk)
    refused = payment_problems(status=locked.status)
    if refused:
        raise ValidationError(refused)
    errors: Errors = {}
    value = _amount(amount, "amount", locked.currency, errors)
    payment = Payment(
        order=locked,
        amount=value if value is not None else Decimal(0),
        method=method,
        paid_on=paid_on or timezone.localdate(),
        reference=reference or "",
        leaves_credit=leaves_credit,
        recorded_by=actor,
    )
    problems = payment_problems(
        order_date=locked.order_date,
        paid_on=payment.paid_on,
        amount=value,  # None: not a number, said already
        balance=locked.balance,
        currency=locked.currency,
        leaves_credit=leaves_credit,
    )
    _add_problems(errors, problems)
    full_clean_collecting(payment, errors, exclude=["order"], constraints=False)  # amount: above
    history_as(payment, actor, reason)
    payment.save()
    locked.paid += payment.amount
    history_as(locked, actor, reason)
    locked.save(update_fields=["paid", "updated_at"])
    order.paid, order.version = locked.paid, locked.version
    return payment
