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
  than was brought;
- sales are recorded only for days that have come (today or before, local time);
- the daily-sales grid has a version of its own, ``Event.sales_version``, apart from
  the event's ``version``: every write to the event's sales (a day recorded, the grid
  saved, a line removed with its zeros, the event's days changed) moves it on, and a
  grid saved from an older one is refused with ``ConflictError``. Writes that change
  the sales lock the event's row first, so they queue one behind the other.
"""

from collections.abc import Callable, Sequence
from datetime import date
from decimal import ROUND_CEILING, Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from clientela.core.access import Capability
from clientela.core.errors import ConflictError
from clientela.core.locale import quantity_text
from clientela.core.models import User
from clientela.core.money import money_check
from clientela.core.parsing import one_line, text_block
from clientela.core.services import (
    actor_check,
    full_clean_collecting,
    history_as,
    version_claim,
)
from clientela.events import selectors
from clientela.events.models import Event, EventProduct, EventSale
from clientela.orders.models import Product
from clientela.orders.rules import negative_price

EVENT_FIELDS = frozenset({"name", "kind", "location", "start_date", "duration_days", "notes"})

Errors = dict[str, list[ValidationError | str]]


def _day(value: date) -> str:
    return formats.date_format(value, "SHORT_DATE_FORMAT")


def _error(errors: Errors, field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _sales_version_bump(event_id: int) -> None:
    """Move the event's sales version on, whatever it was.

    The UPDATE locks the event's row until the caller's transaction ends.
    """
    Event.objects.filter(pk=event_id).update(sales_version=F("sales_version") + 1)


def _sales_version_check(event_id: int, version: int) -> None:
    """Lock the event's row and raise ConflictError unless its sales are at ``version``."""
    current = (
        Event.objects.select_for_update().values_list("sales_version", flat=True).get(pk=event_id)
    )
    if current != version:
        raise ConflictError(current)


def _apply_event_fields(event: Event, fields: dict) -> None:
    unknown = set(fields) - EVENT_FIELDS
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    for field, value in fields.items():
        if field in {"name", "location"}:
            value = one_line(value)
        elif field == "notes":
            value = text_block(value)
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
    left out are deleted. New dates move the sales version on: a grid opened on the
    old days is refused rather than partly ignored.
    """
    actor_check(actor, Capability.EVENT_EDIT)
    first_day = event.start_date
    old_days = (event.start_date, event.duration_days)
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
    # The claim locked the row: the sales version read now is current, and the save
    # below does not put back an older one.
    if (event.start_date, event.duration_days) != old_days:
        _sales_version_bump(event.pk)
    event.sales_version = Event.objects.values_list("sales_version", flat=True).get(pk=event.pk)
    for sale in outside:
        history_as(sale, actor, reason)
        sale.delete()
    history_as(event, actor, reason)
    event.save()
    return event


@transaction.atomic
def event_delete(*, actor: User | None, event: Event, version: int, reason: str = "") -> None:
    """Delete an event with no sales recorded, with its products (an event made by
    mistake, or with a wrong date); one with sales is refused: cancel it instead. A
    stale ``version`` raises ConflictError."""
    actor_check(actor, Capability.EVENT_REMOVE)
    if selectors.event_has_sales(event):
        raise ValidationError(
            _("Sales are recorded for this event, so it cannot be deleted: cancel it instead.")
        )
    version_claim(instance=event, version=version)
    history_as(event, actor, reason)
    event.delete()


@transaction.atomic
def event_cancel(*, actor: User | None, event: Event, version: int, reason: str = "") -> Event:
    """Mark an event cancelled: it stays, with its sales, and plans for later events
    leave it out. A stale ``version`` raises ConflictError."""
    actor_check(actor, Capability.EVENT_REMOVE)
    if event.cancelled_at is not None:
        raise ValidationError(_("This event is cancelled already."))
    version_claim(instance=event, version=version)
    event.cancelled_at = timezone.now()
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


def item_problems(
    *,
    product: Product,
    new: bool,
    brought: Decimal | None,
    expected: Decimal | None,
    unit_price: Decimal | None,
    sold: Decimal,
) -> Errors:
    """Why ``event_item_set`` would refuse a line of ``product`` (``new`` to the event)
    with these numbers (None: not read, its error given already) when ``sold`` of it have
    sold there: messages by field, empty when it passes. An import plans with it."""
    errors: Errors = {}
    currency = settings.CLIENTELA_CURRENCY
    if product.currency != currency:
        _error(
            errors,
            "product",
            _("%(product)s is priced in %(theirs)s; events sell in %(ours)s.")
            % {"product": product.name, "theirs": product.currency, "ours": currency},
        )
    if new and not product.is_active:
        _error(
            errors,
            "product",
            _("%(product)s is no longer sold; it cannot be added to an event.")
            % {"product": product.name},
        )
    _not_negative(errors, "quantity_brought", brought)
    _not_negative(errors, "quantity_expected", expected)
    if unit_price is not None and unit_price < 0:
        _error(errors, "unit_price", negative_price())
    elif unit_price is not None:
        try:
            money_check(unit_price, currency)
        except ValidationError as error:
            errors.setdefault("unit_price", []).extend(error.messages)
    if (
        brought is not None
        and expected is not None
        and not errors.keys() & {"quantity_brought", "quantity_expected"}
    ):
        if expected > brought:
            _error(
                errors,
                "quantity_expected",
                _("No more can sell than is brought (%(brought)s).")
                % {"brought": quantity_text(brought)},
            )
        if brought < sold:
            _error(
                errors,
                "quantity_brought",
                _("%(sold)s have already sold; no less than that can have been brought.")
                % {"sold": quantity_text(sold)},
            )
    return errors


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
    item = EventProduct.objects.select_for_update().filter(event=event, product=product).first()
    new = item is None
    if item is None:
        item = EventProduct(event=event, product=product, unit_price=product.unit_price)
    errors: Errors = {}
    if unit_price is not None:
        item.unit_price = _converted(errors, EventProduct, "unit_price", unit_price)
    brought = _converted(errors, EventProduct, "quantity_brought", quantity_brought)
    expected = _converted(errors, EventProduct, "quantity_expected", quantity_expected)
    item.quantity_brought, item.quantity_expected = brought, expected
    problems = item_problems(
        product=product,
        new=new,
        brought=brought,
        expected=expected,
        unit_price=None if "unit_price" in errors else item.unit_price,
        sold=_sold(item) if item.pk else Decimal(0),
    )
    for field, messages in problems.items():
        errors.setdefault(field, []).extend(messages)
    full_clean_collecting(item, errors, exclude=["event", "product"])
    history_as(item, actor, reason)
    item.save()
    return item


@transaction.atomic
def event_item_remove(*, actor: User | None, item: EventProduct, reason: str = "") -> None:
    """Take a product off an event; refused once any of it has sold there.

    The line's row leaves the sales grid: the event's sales version moves on.
    """
    actor_check(actor, Capability.EVENT_EDIT)
    _sales_version_bump(item.event_id)
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
def event_plan_apply(*, actor: User | None, event: Event) -> selectors.EventPlan:
    """Fill brought and expected of each product the plan for ``event`` suggests:
    expected the suggestion, brought it rounded up to a whole unit; returns the plan.

    A plan without lines writes nothing (its ``explanation`` says why). If a line is
    refused nothing is written: the ValidationError has one message per refused
    product, "<product>: <reasons>".
    """
    actor_check(actor, Capability.EVENT_EDIT)
    plan = selectors.event_plan(event=event)
    refused = []
    for line in plan.lines:
        try:
            event_item_set(
                actor=actor,
                event=event,
                product=line.product,
                quantity_brought=line.quantity.to_integral_value(ROUND_CEILING),
                quantity_expected=line.quantity,
                reason=_("From the plan"),
            )
        except ValidationError as error:
            refused.append(
                _("%(product)s: %(reason)s")
                % {"product": line.product.name, "reason": " ".join(error.messages)}
            )
    if refused:
        raise ValidationError(refused)
    return plan


@transaction.atomic
def event_sale_record(
    *,
    actor: User | None,
    item: EventProduct,
    sold_on: date,
    quantity: Decimal,
    version: int | None = None,
    reason: str = "",
) -> EventSale:
    """Set how much of ``item`` sold on ``sold_on`` (creates or replaces; 0 allowed).

    ``version`` is the event's sales version the caller read: a stale one raises
    ConflictError and writes nothing. Without it (the system itself: the demo, an
    import) nothing is checked. Either way the sales version moves on.
    """
    actor_check(actor, Capability.EVENT_EDIT)
    if version is not None:
        _sales_version_check(item.event_id, version)
    _sales_version_bump(item.event_id)
    errors: Errors = {}
    sale = _sale_write(actor, item, sold_on, quantity, reason, errors)
    if sale is None:
        raise ValidationError(errors)
    return sale


@transaction.atomic
def event_sales_save(
    *,
    actor: User | None,
    event: Event,
    version: int,
    sales: Sequence[dict],
    reason: str = "",
) -> int:
    """Save the daily-sales grid of ``event`` all at once; returns how many days changed.

    Each entry of ``sales`` is ``{"item", "sold_on", "quantity"}``: ``item`` one of the
    event's products, ``sold_on`` one of its days. ``version`` is the sales version the
    grid was read at: a stale one raises ConflictError and writes nothing. Entries equal
    to what is recorded are left alone; the others are written decreases first, so that
    moving a sale from one day to another never trips the "no more than was brought"
    check half-way. If one entry is refused nothing is written: the ValidationError
    keys each message by the entry's position, ``sales.<n>.<field>``.
    """
    actor_check(actor, Capability.EVENT_EDIT)
    _sales_version_check(event.pk, version)
    errors: Errors = {}
    recorded = {
        (sale.item_id, sale.sold_on): sale.quantity
        for sale in EventSale.objects.filter(item__event=event)
    }
    seen: set[tuple[int, date]] = set()
    changes: list[tuple[int, dict, Decimal]] = []
    for position, entry in enumerate(sales):
        item, sold_on = entry["item"], entry["sold_on"]
        if item.event_id != event.pk:
            _error(errors, f"sales.{position}.item", not_at_the_event_message())
            continue
        if (item.pk, sold_on) in seen:
            _error(errors, f"sales.{position}.sold_on", _("This day is given twice."))
            continue
        seen.add((item.pk, sold_on))
        before = recorded.get((item.pk, sold_on))
        if before is None or entry["quantity"] != before:
            changes.append((position, entry, _quantity_change(entry["quantity"], before)))
    if errors:
        raise ValidationError(errors)
    for position, entry, _change in sorted(changes, key=lambda change: change[2]):
        found: Errors = {}
        _sale_write(actor, entry["item"], entry["sold_on"], entry["quantity"], reason, found)
        for field, messages in found.items():
            errors.setdefault(f"sales.{position}.{field}", []).extend(messages)
    if errors:
        raise ValidationError(errors)
    if changes:
        _sales_version_bump(event.pk)
        event.sales_version = version + 1
    return len(changes)


def not_come_yet_message(day: date) -> str:
    """Why a sale on ``day``, which has not come yet, is refused."""
    return _("%(day)s has not come yet: its sales can be recorded from that day on.") % {
        "day": _day(day)
    }


def not_at_the_event_message() -> str:
    """Why a sale of a product the event does not have is refused."""
    return _("This product is not taken to this event; add it to the event first.")


def _quantity_change(quantity, recorded: Decimal | None) -> Decimal:
    """How much ``quantity`` adds to what is recorded (0 when it is not a number)."""
    try:
        return Decimal(quantity) - (recorded or 0)
    except (ArithmeticError, TypeError, ValueError):
        return Decimal(0)


def sale_problems(
    *,
    event: Event,
    product: Product,
    brought: Decimal,
    sold_on: date | None,
    quantity: Decimal | None,
    sold_other_days: Callable[[], Decimal],
) -> Errors:
    """Why recording ``quantity`` of ``product`` (``brought`` to ``event``) sold on
    ``sold_on`` would be refused (None: not read, its error given already): messages by
    field, empty when it passes. ``sold_other_days`` is asked, only when the day and the
    quantity pass, how much sold on the event's other days. An import plans with it.
    A day that has not come yet is refused: only what happened is recorded."""
    errors: Errors = {}
    if sold_on is not None and not event.start_date <= sold_on <= event.end_date:
        _error(
            errors,
            "sold_on",
            _("Pick a day of %(event)s, from %(first)s to %(last)s.")
            % {"event": event.name, "first": _day(event.start_date), "last": _day(event.end_date)},
        )
    elif sold_on is not None and sold_on > timezone.localdate():
        _error(errors, "sold_on", not_come_yet_message(sold_on))
    _not_negative(errors, "quantity", quantity)
    if not errors and sold_on is not None and quantity is not None:
        sold = sold_other_days()
        left = brought - sold
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
                    "product": product.name,
                    "brought": quantity_text(brought),
                    "sold": quantity_text(sold),
                },
            )
    return errors


def _sale_write(
    actor: User | None,
    item: EventProduct,
    sold_on: date,
    quantity: Decimal,
    reason: str,
    errors: Errors,
) -> EventSale | None:
    """Record one day of ``item`` if it passes; else add to ``errors`` and write nothing.

    The line is locked while the total is checked, so two days recorded at once cannot
    together sell more than was brought.
    """
    item = (
        EventProduct.objects.select_for_update().select_related("event", "product").get(pk=item.pk)
    )
    event = item.event
    found: Errors = {}
    sold_on = _converted(found, EventSale, "sold_on", sold_on)
    quantity = _converted(found, EventSale, "quantity", quantity)
    problems = sale_problems(
        event=event,
        product=item.product,
        brought=item.quantity_brought,
        sold_on=sold_on,
        quantity=quantity,
        sold_other_days=lambda: _sold(item, exclude_day=sold_on),
    )
    for field, messages in problems.items():
        found.setdefault(field, []).extend(messages)
    sale = EventSale.objects.filter(item=item, sold_on=sold_on).first() or EventSale(
        item=item, sold_on=sold_on
    )
    sale.quantity = quantity
    try:
        full_clean_collecting(sale, found, exclude=["item"])
    except ValidationError:
        for field, messages in found.items():
            errors.setdefault(field, []).extend(messages)
        return None
    history_as(sale, actor, reason)
    sale.save()
    return sale
