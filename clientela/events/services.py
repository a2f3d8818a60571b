"""Writes to event sales: events, the products taken to them, and what sold each day.

Every service is atomic, checks the actor's role, validates everything before it writes,
raises one ``ValidationError`` keyed by field, and records the acting user in the
history. ``actor=None`` means the system itself (the demo, a command-line job).

Rules kept here:

- a recorded 0 is "nothing sold that day", not a sale: only quantities above 0 block
  shortening an event or removing a product from it; recorded zeros left outside the
  event's days (or on a removed product) are deleted with it;
- a product's line is priced in the business's currency (``CLIENTELA_CURRENCY``), to
  that currency's decimals; a new line without a price takes the product's price, a
  changed line without one keeps its own;
- no more may be expected to sell than is brought, and no more may sell over all days
  than was brought.
"""

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import formats
from django.utils.translation import gettext as _

from clientela.core.access import Capability
from clientela.core.models import User
from clientela.core.money import money_check
from clientela.core.services import (
    actor_check,
    full_clean_collecting,
    history_as,
    version_claim,
)
from clientela.events.models import Event, EventProduct, EventSale
from clientela.orders.models import Product

EVENT_FIELDS = frozenset({"name", "kind", "location", "start_date", "duration_days", "notes"})

Errors = dict[str, list[ValidationError | str]]


def _day(value: date) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def quantity_text(value: Decimal) -> str:
    """A quantity as people write it: ``12`` rather than ``12.000``, local separators."""
    plain = value.quantize(Decimal(1)) if value == value.to_integral() else value.normalize()
    return formats.number_format(plain, use_l10n=True)


def _error(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _one_line(value: str | None) -> str:
    return " ".join((value or "").split())


def _apply_event_fields(event: Event, fields: dict) -> None:
    unknown = set(fields) - EVENT_FIELDS
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    for field, value in fields.items():
        if field in {"name", "location"}:
            value = _one_line(value)
        elif field == "notes":
            value = (value or "").strip()
        setattr(event, field, value)


@transaction.atomic
def event_create(
    *,
    actor: User | None,
    name: str,
    kind: str,
    location: str,
    start_date: date,
    duration_days: int = 1,
    notes: str = "",
    reason: str = "",
) -> Event:
    """Create an event; names and locations are kept on one line, spaces collapsed."""
    actor_check(actor, Capability.EVENT_EDIT)
    event = Event()
    _apply_event_fields(
        event,
        {
            "name": name,
            "kind": kind,
            "location": location,
            "start_date": start_date,
            "duration_days": duration_days,
            "notes": notes,
        },
    )
    full_clean_collecting(event, {}, exclude=["version"])
    history_as(event, actor, reason)
    event.save()
    return event


@transaction.atomic
def event_update(
    *, actor: User | None, event: Event, version: int, reason: str = "", **fields
) -> Event:
    """Change an event's fields; a stale ``version`` raises ConflictError.

    New dates that leave out a day with sales are refused; recorded zeros on the days
    left out are deleted.
    """
    actor_check(actor, Capability.EVENT_EDIT)
    first_day = event.start_date
    _apply_event_fields(event, fields)
    full_clean_collecting(event, {}, exclude=["version"])
    outside = EventSale.objects.filter(item__event=event).exclude(
        sold_on__range=(event.start_date, event.end_date)
    )
    sold_days = sorted(set(outside.filter(quantity__gt=0).values_list("sold_on", flat=True)))
    if sold_days:
        message = _(
            "Sales are recorded on %(days)s, outside the new dates (%(first)s to %(last)s). "
            "Correct those sales first."
        ) % {
            "days": ", ".join(_day(day) for day in sold_days),
            "first": _day(event.start_date),
            "last": _day(event.end_date),
        }
        field = "duration_days" if event.start_date == first_day else "start_date"
        raise ValidationError({field: message})
    version_claim(instance=event, version=version)
    for sale in outside:
        history_as(sale, actor, reason)
        sale.delete()
    history_as(event, actor, reason)
    event.save()
    return event


def _sold(item: EventProduct, exclude_day: date | None = None) -> Decimal:
    sales = EventSale.objects.filter(item=item)
    if exclude_day is not None:
        sales = sales.exclude(sold_on=exclude_day)
    return sales.aggregate(total=Sum("quantity"))["total"] or Decimal(0)


def _converted(errors: Errors, model, field: str, value):
    """``value`` as the model field's Python type, or None with the field's error recorded."""
    model_field = model._meta.get_field(field)
    try:
        converted = model_field.to_python(value)
    except ValidationError as error:
        errors.setdefault(field, []).extend(error.messages)
        return None
    if converted is None:
        errors.setdefault(field, []).append(model_field.error_messages["null"])
    return converted


def _not_negative(errors: Errors, field: str, value: Decimal | None) -> None:
    if value is not None and value < 0:
        _error(errors, field, _("The quantity cannot be negative."))


@transaction.atomic
def event_item_set(
    *,
    actor: User | None,
    event: Event,
    product: Product,
    quantity_brought: Decimal,
    quantity_expected: Decimal,
    unit_price: Decimal | None = None,
    reason: str = "",
) -> EventProduct:
    """Create or change the line of ``product`` at ``event``: brought, expected, price."""
    actor_check(actor, Capability.EVENT_EDIT)
    currency = settings.CLIENTELA_CURRENCY
    item = EventProduct.objects.select_for_update().filter(event=event, product=product).first()
    errors: Errors = {}
    if product.currency != currency:
        _error(
            errors,
            "product",
            _("%(product)s is priced in %(theirs)s; events sell in %(ours)s.")
            % {"product": product.name, "theirs": product.currency, "ours": currency},
        )
    if item is None and not product.is_active:
        _error(
            errors,
            "product",
            _("%(product)s is no longer sold; it cannot be added to an event.")
            % {"product": product.name},
        )
    if item is None:
        item = EventProduct(event=event, product=product, unit_price=product.unit_price)
    if unit_price is not None:
        item.unit_price = _converted(errors, EventProduct, "unit_price", unit_price)
    brought = _converted(errors, EventProduct, "quantity_brought", quantity_brought)
    expected = _converted(errors, EventProduct, "quantity_expected", quantity_expected)
    item.quantity_brought, item.quantity_expected = brought, expected
    _not_negative(errors, "quantity_brought", brought)
    _not_negative(errors, "quantity_expected", expected)
    if "unit_price" not in errors and item.unit_price < 0:
        _error(errors, "unit_price", _("The price cannot be negative."))
    elif "unit_price" not in errors:
        try:
            money_check(item.unit_price, currency)
        except ValidationError as error:
            errors.setdefault("unit_price", []).extend(error.messages)
    if not errors.keys() & {"quantity_brought", "quantity_expected"}:
        if expected > brought:
            _error(
                errors,
                "quantity_expected",
                _("No more can sell than is brought (%(brought)s).")
                % {"brought": quantity_text(brought)},
            )
        sold = _sold(item) if item.pk else Decimal(0)
        if brought < sold:
            _error(
                errors,
                "quantity_brought",
                _("%(sold)s have already sold; no less than that can have been brought.")
                % {"sold": quantity_text(sold)},
            )
    full_clean_collecting(item, errors, exclude=["event", "product"])
    history_as(item, actor, reason)
    item.save()
    return item


@transaction.atomic
def event_item_remove(*, actor: User | None, item: EventProduct, reason: str = "") -> None:
    """Take a product off an event; refused once any of it has sold there."""
    actor_check(actor, Capability.EVENT_EDIT)
    sales = list(EventSale.objects.filter(item=item))
    if any(sale.quantity > 0 for sale in sales):
        raise ValidationError(
            {
                "product": _(
                    "%(product)s has sales recorded at this event; correct them to 0 first."
                )
                % {"product": item.product.name}
            }
        )
    for sale in sales:
        history_as(sale, actor, reason)
        sale.delete()
    history_as(item, actor, reason)
    item.delete()


@transaction.atomic
def event_sale_record(
    *,
    actor: User | None,
    item: EventProduct,
    sold_on: date,
    quantity: Decimal,
    reason: str = "",
) -> EventSale:
    """Set how much of ``item`` sold on ``sold_on`` (creates or replaces; 0 allowed).

    The line is locked while the total is checked, so two days recorded at once cannot
    together sell more than was brought.
    """
    actor_check(actor, Capability.EVENT_EDIT)
    item = (
        EventProduct.objects.select_for_update().select_related("event", "product").get(pk=item.pk)
    )
    event = item.event
    errors: Errors = {}
    sold_on = _converted(errors, EventSale, "sold_on", sold_on)
    quantity = _converted(errors, EventSale, "quantity", quantity)
    if sold_on is not None and not event.start_date <= sold_on <= event.end_date:
        _error(
            errors,
            "sold_on",
            _("Pick a day of %(event)s, from %(first)s to %(last)s.")
            % {"event": event.name, "first": _day(event.start_date), "last": _day(event.end_date)},
        )
    _not_negative(errors, "quantity", quantity)
    if not errors:
        sold_other_days = _sold(item, exclude_day=sold_on)
        left = item.quantity_brought - sold_other_days
        if quantity > left:
            _error(
                errors,
                "quantity",
                _(
                    "Only %(left)s of %(product)s are left to sell: %(brought)s brought, "
                    "%(sold)s sold on the other days."
                )
                % {
                    "left": quantity_text(left),
                    "product": item.product.name,
                    "brought": quantity_text(item.quantity_brought),
                    "sold": quantity_text(sold_other_days),
                },
            )
    sale = EventSale.objects.filter(item=item, sold_on=sold_on).first() or EventSale(
        item=item, sold_on=sold_on
    )
    sale.quantity = quantity
    full_clean_collecting(sale, errors, exclude=["item"])
    history_as(sale, actor, reason)
    sale.save()
    return sale
