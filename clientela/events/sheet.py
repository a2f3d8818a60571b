"""Events in from a spreadsheet and out to one: fairs and markets, the products taken to
them and what sold each day.

A row names an event (its name and start date, with its kind, location, days and notes
when the file has them), a product taken to it (by SKU, which must be in the catalog)
with the quantities brought and expected to sell and the price there, and optionally
how much of it sold on one day (the day may be left out for a one-day event). The rows
of one event go together: an event is the existing one with the same name (case and
spacing aside) and start date, or a new one made by its first row; every row may repeat
the event's and the product's values, and a row without a product only names the event.
A row then:

- **creates** when it adds something: a new event (it needs a location; the kind
  defaults to "Other", the days to 1), a product new to the event (it needs the
  quantities brought and expected; the price defaults to the product's), or a day's
  sale not recorded yet;
- **updates** when it only changes what is there: the event's kind, location, days or
  notes, the product's quantities or price at the event, a day's recorded quantity (an
  empty cell changes nothing);
- leaves it **unchanged** when it brings nothing new (notes are compared on one line, as
  a spreadsheet cell is read);
- is **refused**, saying why, when a value cannot be read, when the SKU is in no
  product, when the event's services would refuse it (more expected or sold than was
  brought, a sale outside the event's days, a product no longer sold…: their own
  messages), when it gives a value another row of the file gives differently for the
  same event or product, or when an earlier row has the same product (and sale day) at
  the same event.

The plan goes through the file in order, as the import writes it, keeping what the file
has done so far to each event it names (so a sale is checked against what is brought
by then); it reads the products, events, lines and sales of a chunk of rows in one
query each and never writes. ``events_apply`` writes a chunk's planned rows through the
events' services. ``event_rows`` writes events out in a form this import reads back
unchanged: one row per product and day sold (or per product, if nothing sold yet).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import partial

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.access import Capability
from clientela.core.models import User
from clientela.core.parsing import one_line
from clientela.events.models import Event, EventKind, EventProduct, EventSale
from clientela.events.services import (
    event_create,
    event_item_set,
    event_sale_record,
    event_update,
    item_problems,
    sale_problems,
)
from clientela.orders.models import Product
from clientela.orders.sheet.products import sku_normal, whole_number
from clientela.sheets.exporting import chunks_by_id
from clientela.sheets.mapping import Field
from clientela.sheets.plan import Kind, RowPlan, row_text, row_writing, sheet_chunks
from clientela.sheets.table import Cell, Sheet
from clientela.sheets.values import (
    CellError,
    cell_block,
    cell_date,
    cell_decimal,
    cell_line,
    choice_read,
    choice_words,
    decimal_text,
)

EVENT_FIELDS: tuple[Field, ...] = (
    Field(
        "event",
        gettext_lazy("Event"),
        (
            "Evento",
            "Nombre del evento",
            "Feria",
            "Мероприятие",
            "Событие",
            "Ярмарка",
            "Event",
            "Event name",
        ),
        example="Feria de San Marcos",
    ),
    Field(
        "start_date",
        gettext_lazy("Start date"),
        (
            "Fecha de inicio",
            "Inicio",
            "Desde",
            "Дата начала",
            "Начало",
            "Start date",
            "Start",
            "From",
        ),
        example="2024-04-20",
    ),
    Field(
        "kind",
        gettext_lazy("Kind of event"),
        ("Tipo", "Tipo de evento", "Тип", "Вид", "Тип мероприятия", "Kind", "Type"),
        example="Feria",
    ),
    Field(
        "location",
        gettext_lazy("Location"),
        ("Lugar", "Ubicación", "Sede", "Место", "Место проведения", "Location", "Place", "Venue"),
        example="Aguascalientes",
    ),
    Field(
        "duration_days",
        gettext_lazy("Duration (days)"),
        ("Días", "Duración", "Дней", "Длительность", "Days", "Duration"),
        example="3",
    ),
    Field(
        "notes",
        gettext_lazy("Notes"),
        ("Notas", "Observaciones", "Comentarios", "Примечание", "Комментарий", "Notes"),
    ),
    Field(
        "sku",
        gettext_lazy("Product (SKU)"),
        (
            "Producto",
            "SKU",
            "Clave",
            "Código",
            "Código de producto",
            "Artículo",
            "Артикул",
            "Товар",
            "Код товара",
            "Product",
            "Product code",
        ),
        example="PAN-001",
    ),
    Field(
        "quantity_brought",
        gettext_lazy("Quantity brought"),
        (
            "Llevado",
            "Llevados",
            "Cantidad llevada",
            "Привезено",
            "Взято",
            "Brought",
            "Quantity brought",
        ),
        example="120",
    ),
    Field(
        "quantity_expected",
        gettext_lazy("Expected to sell"),
        (
            "Esperado",
            "Esperados",
            "Venta esperada",
            "Cantidad esperada",
            "Ожидается",
            "План",
            "Expected",
            "Quantity expected",
        ),
        example="100",
    ),
    Field(
        "unit_price",
        gettext_lazy("Price at the event"),
        ("Precio", "Precio unitario", "Precio en el evento", "Цена", "Price", "Unit price"),
        example="12.50",
    ),
    Field(
        "sold_on",
        gettext_lazy("Day of sale"),
        (
            "Día",
            "Día de venta",
            "Fecha de venta",
            "День",
            "Дата продажи",
            "Day",
            "Sale day",
            "Date sold",
        ),
        example="2024-04-20",
    ),
    Field(
        "quantity_sold",
        gettext_lazy("Quantity sold"),
        (
            "Vendido",
            "Vendidos",
            "Cantidad vendida",
            "Ventas",
            "Продано",
            "Sold",
            "Quantity sold",
        ),
        example="45",
    ),
)

# The event's fields a row may change (its name and start date say which event it is).
_EVENT_DETAILS = ("kind", "location", "duration_days", "notes")
_LINE_FIELDS = ("quantity_brought", "quantity_expected", "unit_price")
# Events exported at a time: each comes with its products and their days.
EXPORT_CHUNK = 100
# A service's error field → the row's field it comes from.
_SERVICE_FIELDS = {"name": "event", "product": "sku", "quantity": "quantity_sold"}


def _event_key(name: str, start_date: date) -> tuple[str, date]:
    """Which event a name and start date are: case and spacing aside."""
    return one_line(name).casefold(), start_date


@dataclass
class _Row:
    plan: RowPlan
    event: dict = field(default_factory=dict)
    sku: str = ""
    line: dict = field(default_factory=dict)
    sold_on: date | None = None
    quantity_sold: Decimal | None = None
    # The column of each mapped field and its text: a refusal names them.
    cells: dict[str, tuple[str, str]] = field(default_factory=dict)

    def refuse(self, key: str, message: str) -> None:
        """Refuse the row on the column the field ``key`` came from."""
        column, text = self.cells.get(key, ("", ""))
        self.plan.refuse(column, text, message)


def _read(
    number: int,
    cells: list[Cell],
    headers: list[str],
    columns: Mapping[int, str],
    kinds: dict[str, str],
) -> _Row:
    """A row's values as the events store them, or its problems."""
    row = _Row(RowPlan(number, row_text(cells)))
    for index, key in columns.items():
        cell = cells[index]
        text = cell_block(cell) if key == "notes" else cell_line(cell)
        row.cells[key] = (headers[index], text)
        if not text:
            continue
        try:
            if key == "event":
                row.event["name"] = text
            elif key == "start_date":
                row.event["start_date"] = cell_date(cell)
            elif key == "kind":
                row.event["kind"] = choice_read(text, kinds, EventKind.choices)
            elif key == "location":
                row.event["location"] = text
            elif key == "duration_days":
                row.event["duration_days"] = whole_number(cell)
            elif key == "notes":
                row.event["notes"] = text
            elif key == "sku":
                row.sku = sku_normal(text)
            elif key == "sold_on":
                row.sold_on = cell_date(cell)
            elif key == "quantity_sold":
                row.quantity_sold = cell_decimal(cell)
            else:
                row.line[key] = cell_decimal(cell)
        except CellError as error:
            row.plan.refuse(headers[index], text, str(error))
    if row.plan.action != "refused":
        _read_needed(row)
    return row


def _read_needed(row: _Row) -> None:
    """Refuse a row that lacks what says which event (and product) it is about."""
    if "name" not in row.event:
        row.refuse("event", _("The event's name is missing."))
    if "start_date" not in row.event:
        row.refuse("start_date", _("The event's start date is missing."))
    if not row.sku and (row.line or row.quantity_sold is not None or row.sold_on):
        row.refuse("sku", _("Which product? Fill in its SKU."))
    elif row.sold_on is not None and row.quantity_sold is None:
        row.refuse("sold_on", _("Fill in how much sold on this day."))


@dataclass
class _Known:
    """An event, or a product at an event, as the file leaves it so far: its values and,
    for each field a row gave, that row and what it gave (another row may not give
    another value). An event has its id (None while new); a product at an event its
    sales by day and the row that gave each day (None: its row without a sale)."""

    values: dict
    pk: int | None = None
    given: dict[str, tuple[int, object, str]] = field(default_factory=dict)
    sales: dict[date, Decimal] = field(default_factory=dict)
    rows: dict[date | None, int] = field(default_factory=dict)


@dataclass
class _Catalog:
    """What a chunk's rows refer to, read in one query each: products by SKU, existing
    events by key, and the lines (with their sales) of those events' products."""

    products: dict[str, Product]
    events: dict[tuple[str, date], list[Event]]
    lines: dict[tuple[int, int], _Known]


def _catalog(rows: list[_Row], events: dict[tuple[str, date], _Known]) -> _Catalog:
    skus = {row.sku for row in rows if row.sku}
    products = {product.sku: product for product in Product.objects.filter(sku__in=skus)}
    found: dict[tuple[str, date], list[Event]] = {}
    starts = {row.event["start_date"] for row in rows}
    for event in Event.objects.filter(start_date__in=starts).order_by("pk"):
        found.setdefault(_event_key(event.name, event.start_date), []).append(event)
    for key, known in events.items():
        if known.pk is None and len(found.get(key, ())) == 1:
            known.pk = found[key][0].pk  # made by an earlier chunk of this import
    keys = {_event_key(row.event["name"], row.event["start_date"]) for row in rows}
    event_ids = [found[key][0].pk for key in keys if len(found.get(key, ())) == 1]
    lines: dict[tuple[int, int], _Known] = {}
    if event_ids and products:
        items = EventProduct.objects.filter(event__in=event_ids, product__in=products.values())
        for item in items:
            values = {name: getattr(item, name) for name in _LINE_FIELDS}
            lines[item.event_id, item.product_id] = _Known(values)
        sales = EventSale.objects.filter(
            item__event__in=event_ids, item__product__in=products.values()
        ).values_list("item__event_id", "item__product_id", "sold_on", "quantity")
        for event_id, product_id, sold_on, quantity in sales:
            lines[event_id, product_id].sales[sold_on] = quantity
    return _Catalog(products, found, lines)


def event_chunks(
    sheet: Sheet, columns: Mapping[int, str], _user: User | None = None
) -> Generator[list[RowPlan], None, None]:
    """The dry run of importing ``sheet`` with ``columns`` (index → field key), a chunk of
    rows at a time, in the file's order (events are no customer's: every user plans them
    alike)."""
    headers = sheet.headers
    kinds = choice_words(EventKind.choices, {})
    events: dict[tuple[str, date], _Known] = {}
    lines: dict[tuple[tuple[str, date], int], _Known] = {}
    read = partial(_read, headers=headers, columns=columns, kinds=kinds)
    for rows in sheet_chunks(sheet, read):
        readable = [row for row in rows if row.plan.action != "refused"]
        catalog = _catalog(readable, events)
        for row in readable:
            _plan(row, catalog, events, lines)
        yield [row.plan for row in rows]


def _plan(
    row: _Row,
    catalog: _Catalog,
    events: dict[tuple[str, date], _Known],
    lines: dict[tuple[tuple[str, date], int], _Known],
) -> None:
    """Plan one row against the file so far (``events``, ``lines``) and the catalog; its
    effects are recorded in the file so far unless it is refused."""
    key = _event_key(row.event["name"], row.event["start_date"])
    event, new_event = _event_of(row, key, catalog, events)
    if event is None:
        return
    event_changes = _changes(
        row,
        event,
        row.event,
        _EVENT_DETAILS,
        _("Row %(row)s says “%(value)s” for this event: the rows of one event must agree."),
    )
    event_after = {**event.values, **event_changes}
    if new_event and not event_after["location"]:
        row.refuse("location", _("A new event needs its location."))
    elif new_event or event_changes:
        _event_check(row, event_after)
    product = line = None
    line_new, line_changes, sale = False, {}, None
    if row.sku:
        product = catalog.products.get(row.sku)
        if product is None:
            row.refuse("sku", _("No product has the SKU %(sku)s.") % {"sku": row.sku})
        else:
            line, line_new = _line_of(key, event, product, catalog, lines)
            line_changes = _line_changes(row, product, line, line_new)
    slot = None  # the day this row sells on; None for a row without a sale
    if product is not None and line is not None and row.plan.action != "refused":
        if row.quantity_sold is None:
            if None in line.rows:
                row.refuse(
                    "sku",
                    _("Row %(row)s already has this product at this event.")
                    % {"row": line.rows[None]},
                )
        else:
            slot, sale = _sale(row, event_after, product, line, {**line.values, **line_changes})
    if row.plan.action == "refused":
        return
    events[key] = event
    event.values = event_after
    _note_given(row, event, row.event, _EVENT_DETAILS)
    created = new_event
    changes: dict = {}
    if new_event:
        changes["event"] = {"name": row.event["name"], "start_date": key[1], **event_after}
    elif event_changes:
        changes["event"] = event_changes
    if product is not None and line is not None:
        lines[key, product.pk] = line
        line.values = {**line.values, **line_changes}
        _note_given(row, line, row.line, _LINE_FIELDS)
        line.rows[slot] = row.plan.row
        created = created or line_new
        if line_changes:
            changes["line"] = line_changes
        if sale is not None:
            created = created or slot not in line.sales
            line.sales[sale["sold_on"]] = sale["quantity"]
            changes["sale"] = sale
    if changes:
        # What the writing needs to find the event and product again.
        changes["event_key"] = key
        if product is not None:
            changes["product"] = product.pk
    row.plan.target, row.plan.changes = event.pk, changes
    row.plan.action = "create" if created else "update" if changes else "unchanged"


def _event_of(
    row: _Row,
    key: tuple[str, date],
    catalog: _Catalog,
    events: dict[tuple[str, date], _Known],
) -> tuple[_Known | None, bool]:
    """The row's event as the file leaves it so far, and whether this row makes it; no
    event (the row refused) when several events have its name and start date."""
    if key in events:
        return events[key], False
    matches = catalog.events.get(key, [])
    if len(matches) > 1:
        row.refuse(
            "event",
            _("Several events have this name and start date (%(events)s): rename one first.")
            % {"events": ", ".join(f"#{event.pk}" for event in matches)},
        )
        return None, False
    if matches:
        values = {name: getattr(matches[0], name) for name in _EVENT_DETAILS}
        return _Known(values, matches[0].pk), False
    values = {"kind": EventKind.OTHER, "location": "", "duration_days": 1, "notes": ""}
    return _Known(values), True


def _line_of(
    key: tuple[str, date],
    event: _Known,
    product: Product,
    catalog: _Catalog,
    lines: dict[tuple[tuple[str, date], int], _Known],
) -> tuple[_Known, bool]:
    """The product's line at the event as the file leaves it so far, and whether it is
    new to the event."""
    line = lines.get((key, product.pk))
    if line is None and event.pk is not None:
        line = catalog.lines.get((event.pk, product.pk))
    if line is None:
        return _Known({"unit_price": product.unit_price}), True
    return line, False


def _line_changes(row: _Row, product: Product, line: _Known, new: bool) -> dict:
    """What the row changes on the product's line, refused as ``event_item_set`` would."""
    changes = _changes(
        row,
        line,
        row.line,
        _LINE_FIELDS,
        _("Row %(row)s says “%(value)s” for this product at this event: its rows must agree."),
    )
    if new and not {"quantity_brought", "quantity_expected"} <= row.line.keys():
        row.refuse(
            "sku",
            _(
                "%(product)s is new at this event: fill in the quantity brought and the "
                "quantity expected to sell."
            )
            % {"product": product.name},
        )
    elif new or changes:
        after = {**line.values, **changes}
        _refuse_all(
            row,
            item_problems(
                product=product,
                new=new,
                brought=after["quantity_brought"],
                expected=after["quantity_expected"],
                unit_price=after["unit_price"],
                sold=sum(line.sales.values(), Decimal(0)),
            ),
        )
    return changes


def _sale(
    row: _Row, event: dict, product: Product, line: _Known, line_after: dict
) -> tuple[date | None, dict | None]:
    """The day the row sells on and the sale it records (None if recorded already),
    refused as ``event_sale_record`` would."""
    start = row.event["start_date"]
    day = row.sold_on or (start if event["duration_days"] == 1 else None)
    if day is None:
        row.refuse(
            "quantity_sold", _("Fill in the day this sold: the event lasts more than one day.")
        )
        return None, None
    if day in line.rows:
        row.refuse(
            "sold_on" if row.sold_on else "quantity_sold",
            _("Row %(row)s already has this product's sale on this day.") % {"row": line.rows[day]},
        )
        return day, None
    quantity = row.quantity_sold
    if line.sales.get(day) == quantity:
        return day, None
    days = Event(name=row.event["name"], start_date=start, duration_days=event["duration_days"])
    _refuse_all(
        row,
        sale_problems(
            event=days,
            product=product,
            brought=line_after["quantity_brought"],
            sold_on=day,
            quantity=quantity,
            sold_other_days=lambda: sum(
                (sold for other, sold in line.sales.items() if other != day), Decimal(0)
            ),
        ),
    )
    return day, {"sold_on": day, "quantity": quantity}


def _changes(row: _Row, known: _Known, given: dict, names: tuple, conflict: str) -> dict:
    """The values of ``names`` the row gives that differ from ``known``'s; a value that
    differs from what an earlier row gave is refused with ``conflict``."""
    changes = {}
    for name in names:
        if name not in given:
            continue
        value = given[name]
        earlier = known.given.get(name)
        if earlier is not None and earlier[1] != value:
            row.refuse(name, conflict % {"row": earlier[0], "value": earlier[2]})
        elif known.values.get(name) != value:
            changes[name] = value
    return changes


def _note_given(row: _Row, known: _Known, given: dict, names: tuple) -> None:
    for name in names:
        if name in given:
            known.given.setdefault(name, (row.plan.row, given[name], row.cells[name][1]))


def _event_check(row: _Row, values: dict) -> None:
    """Refuse what the events would not take: the event as the row leaves it, field by
    field."""
    event = Event(name=row.event["name"], start_date=row.event["start_date"], **values)
    try:
        event.clean_fields(exclude=["version", "sales_version"])
    except ValidationError as error:
        _refuse_all(row, error.message_dict)


def _refuse_all(row: _Row, errors: Mapping[str, list]) -> None:
    """Refuse the row with a service's errors, each on the column its field came from."""
    for name, messages in errors.items():
        for message in messages:
            row.refuse(_SERVICE_FIELDS.get(name, name), str(message))


def _made_earlier(key: tuple[str, date]) -> Event:
    """The event an earlier chunk of this import made: the file was planned before any of
    it was written, so its later rows know the event by name and start only."""
    made = [e for e in Event.objects.filter(start_date=key[1]) if _event_key(e.name, key[1]) == key]
    return max(made, key=lambda event: event.pk)


def _item(
    items: dict[tuple[int, int], EventProduct], event: Event, product_id: int
) -> EventProduct | None:
    """The product's line at the event: known to this chunk, made by an earlier one, or
    none yet."""
    if (event.pk, product_id) not in items:
        line = EventProduct.objects.filter(event=event, product_id=product_id).first()
        if line is None:
            return None
        items[event.pk, product_id] = line
    return items[event.pk, product_id]


def events_apply(rows: list[RowPlan], actor: User | None, reason: str) -> None:
    """Write a chunk's planned rows in order: make or change the event, set the
    product's line, record the day's sale."""
    writes = [row for row in rows if row.action in ("create", "update")]
    events = Event.objects.in_bulk({row.target for row in writes if row.target is not None})
    products = Product.objects.in_bulk(
        {row.changes["product"] for row in writes if "product" in row.changes}
    )
    items = {
        (item.event_id, item.product_id): item
        for item in EventProduct.objects.filter(event__in=list(events), product__in=list(products))
    }
    made: dict[tuple[str, date], Event] = {}
    for row in writes:
        with row_writing(row):
            changes = row.changes
            key = changes["event_key"]
            event = events.get(row.target) if row.target else made.get(key)
            if event is None and "name" not in changes.get("event", {}):
                event = made[key] = _made_earlier(key)
            if event is None:
                event = event_create(actor=actor, reason=reason, **changes["event"])
                made[key] = event
            elif "event" in changes:
                event_update(
                    actor=actor,
                    event=event,
                    version=event.version,
                    reason=reason,
                    **changes["event"],
                )
            if "line" in changes:
                product = products[changes["product"]]
                current = _item(items, event, product.pk)
                values = changes["line"]
                if current is not None:
                    kept = {name: getattr(current, name) for name in _LINE_FIELDS}
                    values = {**kept, **values}
                items[event.pk, product.pk] = event_item_set(
                    actor=actor, event=event, product=product, reason=reason, **values
                )
            if "sale" in changes:
                item = _item(items, event, changes["product"])
                event_sale_record(actor=actor, item=item, reason=reason, **changes["sale"])


def event_rows(events: QuerySet[Event]) -> Iterator[list[str]]:
    """The header row (the fields' labels in the active language), then, per event (by
    id, a chunk at a time), one row per product and day sold, one per product that has
    not sold yet, or one for an event with no product."""
    yield [str(field.label) for field in EVENT_FIELDS]
    lines = Prefetch(
        "items", queryset=EventProduct.objects.select_related("product").order_by("product__sku")
    )
    sales = Prefetch("items__sales", queryset=EventSale.objects.order_by("sold_on"))
    for chunk in chunks_by_id(events.prefetch_related(lines, sales), EXPORT_CHUNK):
        for event in chunk:
            head = [
                event.name,
                event.start_date.isoformat(),
                str(EventKind(event.kind).label),
                event.location,
                str(event.duration_days),
                event.notes,
            ]
            items = event.items.all()
            if not items:
                yield [*head, *[""] * 6]
            for item in items:
                line = [
                    item.product.sku,
                    decimal_text(item.quantity_brought),
                    decimal_text(item.quantity_expected),
                    decimal_text(item.unit_price),
                ]
                days = [
                    [sale.sold_on.isoformat(), decimal_text(sale.quantity)]
                    for sale in item.sales.all()
                ]
                for day in days or [["", ""]]:
                    yield [*head, *line, *day]


EVENTS = Kind(
    key="events",
    label=gettext_lazy("Events"),
    capability=Capability.EVENT_EDIT,
    fields=EVENT_FIELDS,
    plan_chunks=event_chunks,
    apply=events_apply,
    export=lambda: event_rows(Event.objects.all()),
)
