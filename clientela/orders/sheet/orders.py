"""The import of orders: one row per order line, the lines of an order one after another.

Rows with the same order reference (the order's number in the business's own system:
"Folio", "Pedido", "Номер заказа"…) are one order, and the lines of an order are
consecutive rows (a file sorted by that column). A reference ``#42`` names Clientela's
own order 42: an export writes it for an order that has no reference of its own. A
row's customer is found by its tax id, else its customer code (external id), else its
e-mail, else its exact name (case and accents aside): the first of these that finds
customers decides. Its product is found by SKU and must exist.

A reference no order has **creates** the order: it needs a customer (exactly one must
match), an order date and a due date. Its status, when not given, is delivered if a
delivery date is given, ready if a production date is, else confirmed; the order walks
there through the order services, production finishing on its given date, else on the
delivery date, else today. A line's price defaults to the product's, its discount to
none.

A reference an order has **updates** that order with what differs (an empty cell
changes nothing):

- its due date and lines: a quantity, price or discount changed, a product added, and
  the order's products the file leaves out removed (the file's rows are the whole
  order), through ``order_update``, which records the renegotiation of a confirmed
  order with the import as its reason;
- its status, forward along the order's moves or to cancelled (with the import as the
  reason), and its production and delivery dates, recorded on the way or corrected
  through ``order_record_dates``.

Refused, saying why: another customer or order date than the order's (they cannot
change), a change to a delivered or cancelled order, a status moving back, a row that
disagrees with an earlier row of its order on the customer, a date or the status, and
the rows of an order whose lines began earlier in the file, apart from them. An order
is imported whole: when one of its rows is refused, so are the others. A row is
**unchanged** when it brings nothing new, so importing a file again changes nothing.

The plan reads a chunk of rows at a time (an order continuing into the next chunk is
planned with it): one query for the customers (and one for e-mails), one for the
products, one for the orders (and one for their lines); it never writes.
``orders_apply`` writes a chunk's planned rows through the order services;
``order_rows`` exports orders in the form this import reads.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.access import Capability
from clientela.core.models import User
from clientela.core.money import money_check, money_round
from clientela.core.parsing import fold
from clientela.core.validators import normalize_email, normalize_tax_id, tax_id_tells_apart
from clientela.customers.matching import name_key
from clientela.customers.models import LIVE, Customer, CustomerEmail
from clientela.customers.selectors import customers_hidden
from clientela.customers.sheet import hidden_customer
from clientela.orders.models import Order, OrderLine, OrderStatus, Product
from clientela.orders.rules import (
    Problems,
    order_change_problems,
    order_line_problems,
    order_problems,
    order_status_path,
    order_status_problems,
)
from clientela.orders.services import (
    order_create,
    order_record_dates,
    order_transition,
    order_update,
)
from clientela.sheets.exporting import chunks_by_id
from clientela.sheets.mapping import Field
from clientela.sheets.plan import (
    Kind,
    RowPlan,
    row_text,
    row_writing,
    sheet_chunks,
)
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

# Headers that name an order's reference (the payments import uses them too).
ORDER_NAMES = (
    "Pedido",
    "No. de pedido",
    "Número de pedido",
    "Num. de pedido",
    "Folio",
    "Folio del pedido",
    "Orden",
    "Заказ",
    "Номер заказа",
    "№ заказа",
    "Order",
    "Order number",
    "Order no",
    "Order reference",
)

ORDER_FIELDS: tuple[Field, ...] = (
    Field("reference", gettext_lazy("Order"), ORDER_NAMES, example="F-1024"),
    Field(
        "customer_tax_id",
        gettext_lazy("Customer tax id"),
        ("RFC", "NIT", "RUC", "CUIT", "NIF", "CIF", "ИНН", "Tax id", "VAT", "RFC del cliente"),
        example="GODE561231GR8",
    ),
    Field(
        "customer_code",
        gettext_lazy("Customer code"),
        (
            "Código de cliente",
            "Clave de cliente",
            "Número de cliente",
            "Код клиента",
            "Номер клиента",
            "Customer code",
            "Customer number",
            "External id",
        ),
        example="C-0042",
    ),
    Field(
        "customer_email",
        gettext_lazy("Customer e-mail"),
        ("Correo", "Correo electrónico", "Email", "E-mail", "Электронная почта", "Почта"),
        example="pedidos@gomez.mx",
    ),
    Field(
        "customer",
        gettext_lazy("Customer"),
        (
            "Cliente",
            "Nombre del cliente",
            "Клиент",
            "Покупатель",
            "Заказчик",
            "Customer",
            "Customer name",
        ),
        example="Panadería Gómez",
    ),
    Field(
        "order_date",
        gettext_lazy("Order date"),
        ("Fecha", "Fecha de pedido", "Fecha del pedido", "Дата", "Дата заказа", "Date"),
        example="2024-03-01",
    ),
    Field(
        "due_date",
        gettext_lazy("Due date"),
        (
            "Fecha de entrega",
            "Fecha compromiso",
            "Fecha prometida",
            "Entregar el",
            "Срок",
            "Срок поставки",
            "Срок доставки",
            "Due",
        ),
        example="2024-03-05",
    ),
    Field(
        "status",
        gettext_lazy("Status"),
        ("Estado", "Estatus", "Situación", "Статус", "Состояние", "Status"),
        example="Entregado",
    ),
    Field(
        "production_finished_on",
        gettext_lazy("Production finished"),
        (
            "Producción terminada",
            "Fecha de producción",
            "Terminado el",
            "Дата производства",
            "Произведено",
            "Produced on",
        ),
        example="2024-03-04",
    ),
    Field(
        "delivered_on",
        gettext_lazy("Delivered on"),
        (
            "Entregado",
            "Entregado el",
            "Fecha entregado",
            "Fecha de entrega real",
            "Доставлено",
            "Дата доставки",
            "Delivered",
        ),
        example="2024-03-05",
    ),
    Field(
        "sku",
        gettext_lazy("SKU"),
        (
            "Producto",
            "Clave de producto",
            "Código de producto",
            "Артикул",
            "Код товара",
            "Товар",
            "Product",
            "Product code",
            "Item",
        ),
        example="BOL-01",
    ),
    Field(
        "quantity",
        gettext_lazy("Quantity"),
        ("Cantidad", "Cant", "Piezas", "Количество", "Кол-во", "Qty"),
        example="120",
    ),
    Field(
        "unit_price",
        gettext_lazy("Unit price"),
        ("Precio", "Precio unitario", "P. unitario", "Цена", "Цена за единицу", "Price"),
        example="3.50",
    ),
    Field(
        "discount_percent",
        gettext_lazy("Discount %"),
        ("Descuento", "Desc", "Скидка", "Discount"),
        example="5",
    ),
)

CUSTOMER_KEYS = ("customer_tax_id", "customer_code", "customer_email", "customer")
DATE_KEYS = ("order_date", "due_date", "production_finished_on", "delivered_on")
LINE_KEYS = ("quantity", "unit_price", "discount_percent")
# What an update may change of the order itself (the rest of its changes are its lines).
ORDER_CHANGES = ("due_date", "removed", "status", "production_finished_on", "delivered_on")
STATUS_WORDS = {
    OrderStatus.DRAFT: ("borrador", "черновик", "draft"),
    OrderStatus.CONFIRMED: ("confirmado", "confirmada", "подтвержден", "confirmed"),
    OrderStatus.IN_PRODUCTION: ("en producción", "en proceso", "в производстве", "in production"),
    OrderStatus.READY: ("listo", "lista", "terminado", "готов", "ready"),
    OrderStatus.DELIVERED: ("entregado", "entregada", "доставлен", "выполнен", "delivered"),
    OrderStatus.CANCELLED: ("cancelado", "cancelada", "отменен", "cancelled", "canceled"),
}
_CLIENTELA_NUMBER = re.compile(r"#(\d{1,9})")


def clientela_number(reference: str) -> int | None:
    """The order number ``#42`` names (Clientela's own), or None for a reference."""
    match = _CLIENTELA_NUMBER.fullmatch(reference)
    return int(match.group(1)) if match else None


def orders_by_reference(references: set[str], *fields: str) -> dict[str, dict]:
    """The orders these references (or ``#number``) name, as ``values(*fields)`` by
    reference as written; one query."""
    numbers = {ref: clientela_number(ref) for ref in references}
    query = Q(reference__in=[ref for ref, number in numbers.items() if number is None])
    query |= Q(pk__in=[number for number in numbers.values() if number is not None])
    found: dict[str, dict] = {}
    for order in Order.objects.filter(query).values("pk", "reference", *fields):
        found[order["reference"]] = order
        found[f"#{order['pk']}"] = order
    return {ref: found[ref] for ref in references if ref in found}


def no_such_order(reference: str) -> str:
    """Why a ``#number`` reference names nothing."""
    return _(
        "Clientela has no order %(number)s (a “#” and a number name Clientela's own orders)."
    ) % {"number": reference}


@dataclass
class _Line:
    """One row as read: its order's values, its customer keys and its line."""

    plan: RowPlan
    # field key → the column it is read from (shared by the rows of a sheet)
    columns: Mapping[str, str]
    reference: str = ""
    customer: dict[str, str] = field(default_factory=dict)
    order: dict[str, Any] = field(default_factory=dict)
    sku: str = ""
    numbers: dict[str, Decimal] = field(default_factory=dict)
    # field key → (column, text) as the file has it, for the messages
    shown: dict[str, tuple[str, str]] = field(default_factory=dict)

    def refuse(self, key: str, message: str) -> None:
        column, text = self.shown.get(key) or (self.columns.get(key, ""), "")
        self.plan.refuse(column, text, message)


def _number(key: str, cell: Cell) -> Decimal:
    """A line's quantity, price or discount, checked as the order services would."""
    if isinstance(cell, str) and key == "discount_percent":
        cell = cell.strip().removesuffix("%")
    value = cell_decimal(cell)
    problems = order_line_problems(currency=settings.CLIENTELA_CURRENCY, **{key: value})
    if problems:
        raise CellError(" ".join(problems[key]))
    if key == "unit_price":
        money_check(value, settings.CLIENTELA_CURRENCY)
    OrderLine._meta.get_field(key).run_validators(value)
    return value


def _tax_id(text: str) -> str:
    """A tax id in the catalog's compact form (one of another country: as written,
    without spaces, dots or dashes)."""
    try:
        return normalize_tax_id(text, settings.CLIENTELA_DEFAULT_COUNTRY)[0]
    except ValidationError:
        return re.sub(r"[\s.\-/]", "", text).upper()


def _read(
    number: int,
    cells: list[Cell],
    headers: list[str],
    columns: Mapping[int, str],
    named: Mapping[str, str],
    words: Mapping[str, str],
) -> _Line:
    """A row's values, or its problems."""
    line = _Line(RowPlan(number, row_text(cells)), named)
    for index, key in columns.items():
        cell = cells[index]
        text = cell_block(cell) if key == "notes" else cell_line(cell)
        if not text:
            continue
        line.shown[key] = (headers[index], text)
        try:
            if key == "reference":
                line.reference = text.upper()
                Order._meta.get_field("reference").run_validators(line.reference)
            elif key == "customer_tax_id":
                tax_id = _tax_id(text)
                if tax_id_tells_apart(tax_id):  # the general public's RFC names nobody
                    line.customer[key] = tax_id
            elif key == "customer_email":
                line.customer[key] = normalize_email(text)
            elif key == "customer":
                line.customer[key] = fold(text)
            elif key == "customer_code":
                line.customer[key] = text
            elif key in DATE_KEYS:
                line.order[key] = cell_date(cell)
            elif key == "status":
                line.order[key] = choice_read(text, words, OrderStatus.choices)
            elif key == "sku":
                line.sku = text.upper()
            else:
                line.numbers[key] = _number(key, cell)
        except CellError as error:
            line.refuse(key, str(error))
        except ValidationError as error:
            line.refuse(key, " ".join(error.messages))
    if "customer_tax_id" in line.shown and not line.customer:
        line.refuse(
            "customer_tax_id",
            _(
                "%(tax_id)s is a tax id many people share: it names no customer. Give the "
                "customer's code, e-mail or name too."
            )
            % {"tax_id": line.shown["customer_tax_id"][1]},
        )
    return line


def _customers(lines: list[_Line]) -> tuple[dict[str, dict[str, set[int]]], dict[int, str]]:
    """For each customer key, the live customers holding each value the lines bring;
    and the names of those customers."""
    wanted = {
        key: {ln.customer[key] for ln in lines if key in ln.customer} for key in CUSTOMER_KEYS
    }
    found: dict[str, dict[str, set[int]]] = {key: {} for key in CUSTOMER_KEYS}
    names: dict[int, str] = {}
    query = Q()
    if wanted["customer_tax_id"]:
        query |= Q(tax_id__in=wanted["customer_tax_id"])
    if wanted["customer_code"]:
        query |= Q(external_id__in=wanted["customer_code"])
    keys = {name_key(name) for name in wanted["customer"]} - {""}
    if keys:
        query |= Q(name_key__in=keys)
    if query:
        customers = Customer.objects.filter(LIVE).filter(query)
        for pk, tax_id, code, name in customers.values_list("pk", "tax_id", "external_id", "name"):
            names[pk] = name
            for key, value in (
                ("customer_tax_id", tax_id),
                ("customer_code", code),
                ("customer", fold(name)),
            ):
                if value in wanted[key]:
                    found[key].setdefault(value, set()).add(pk)
    if wanted["customer_email"]:
        pairs = CustomerEmail.objects.filter(
            email__in=wanted["customer_email"], customer__merged_into__isnull=True
        ).values_list("email", "customer_id", "customer__name")
        for email, pk, name in pairs:
            names[pk] = name
            found["customer_email"].setdefault(email, set()).add(pk)
    return found, names


def _key_label(key: str) -> str:
    return {
        "customer_tax_id": _("tax id"),
        "customer_code": _("customer code"),
        "customer_email": _("e-mail"),
        "customer": _("name"),
    }[key]


def _customer_match(line: _Line, found) -> tuple[str, set[int]] | None:
    """The customer key that decides (the first that finds customers) and what it finds."""
    for key in CUSTOMER_KEYS:
        pks = found[key].get(line.customer.get(key))
        if pks:
            return key, pks
    return None


@dataclass
class _Lookups:
    """What a batch of rows needs from the database, read once: the customers (those the
    importing user may see), the keys only customers they may not see hold, the customers
    of the orders named that they may not see, products, orders and their lines."""

    customers: dict[str, dict[str, set[int]]]
    names: dict[int, str]
    products: dict[str, Product]
    orders: dict[str, dict]
    lines: dict[int, dict[int, dict]]  # order → product → its line
    hidden_keys: set[tuple[str, str]]
    hidden: set[int]


_ORDER_VALUES = (
    "customer_id",
    "order_date",
    "due_date",
    "status",
    "currency",
    "production_finished_on",
    "delivered_on",
)


def _lookups(lines: list[_Line], user: User | None) -> _Lookups:
    customers, names = _customers(lines)
    skus = {line.sku for line in lines if line.sku}
    products = Product.objects.in_bulk(skus, field_name="sku") if skus else {}
    references = {line.reference for line in lines if line.reference}
    orders = orders_by_reference(references, *_ORDER_VALUES) if references else {}
    hidden = customers_hidden(user, {*names, *(order["customer_id"] for order in orders.values())})
    hidden_keys = set()
    for key, held in customers.items():
        for value, pks in list(held.items()):
            if pks & hidden:
                held[value] = pks - hidden
                if not held[value]:
                    del held[value]
                    hidden_keys.add((key, value))
    order_lines: dict[int, dict[int, dict]] = {}
    if orders:
        rows = OrderLine.objects.filter(order__in={o["pk"] for o in orders.values()})
        for line in rows.values("order_id", "product_id", "product__sku", *LINE_KEYS):
            order_lines.setdefault(line["order_id"], {})[line["product_id"]] = line
    return _Lookups(customers, names, products, orders, order_lines, hidden_keys, hidden)


def order_chunks(
    sheet: Sheet, columns: Mapping[int, str], user: User | None = None
) -> Generator[list[RowPlan], None, None]:
    """The dry run of importing ``sheet`` with ``columns`` (index → field key), a chunk of
    rows at a time, as ``user`` may (see ``Kind``); the rows of the order a chunk ends in
    wait for the next chunk."""
    headers = sheet.headers
    named: dict[str, str] = {}
    for index, key in sorted(columns.items()):
        named.setdefault(key, headers[index])
    words = choice_words(OrderStatus.choices, STATUS_WORDS)
    started: dict[str, int] = {}  # reference → the first row of its order
    held: list[_Line] = []
    chunks = sheet_chunks(
        sheet, partial(_read, headers=headers, columns=columns, named=named, words=words)
    )
    chunk = next(chunks, None)
    while chunk is not None:
        following = next(chunks, None)
        lines = held + chunk
        cut = len(lines)
        while following is not None and cut > 0 and lines[cut - 1].reference == lines[-1].reference:
            cut -= 1
        held = lines[cut:]
        if cut:
            yield _plan(lines[:cut], started, user)
        chunk = following


def _plan(lines: list[_Line], started: dict[str, int], user: User | None) -> list[RowPlan]:
    groups: list[list[_Line]] = []
    for line in lines:
        if groups and groups[-1][0].reference == line.reference:
            groups[-1].append(line)
        else:
            groups.append([line])
    found = _lookups(lines, user)
    for group in groups:
        _plan_order(group, started, found)
        refused = [line.plan.row for line in group if line.plan.action == "refused"]
        for line in group:
            if refused and line.plan.action != "refused":
                line.plan.refuse(
                    "",
                    "",
                    _("Row %(row)s of order %(order)s is refused, so the whole order is.")
                    % {"row": refused[0], "order": line.reference},
                )
            if line.plan.action == "refused":
                line.plan.changes, line.plan.target = {}, None
    return [line.plan for line in lines]


def _plan_order(group: list[_Line], started: dict[str, int], found: _Lookups) -> None:
    """Plan the rows of one order: agreement, customer, lines, then what changes."""
    first, reference = group[0], group[0].reference
    if not reference:
        for line in group:
            line.refuse("reference", _("Each row needs the reference of its order."))
        return
    existing = found.orders.get(reference)
    if existing is not None and existing["customer_id"] in found.hidden:
        for line in group:
            line.refuse("reference", hidden_customer())
        return
    # an order named twice (by its reference and by #number) is still one order
    key = f"#{existing['pk']}" if existing else reference
    if key in started:
        for line in group:
            line.refuse(
                "reference",
                _("Order %(order)s began at row %(row)s: put its rows one after another.")
                % {"order": reference, "row": started[key]},
            )
        return
    started[key] = first.plan.row
    if existing is None and clientela_number(reference) is not None:
        first.refuse("reference", no_such_order(reference))
        return
    values = _agreed(group)
    customer = _customer(group, existing, found)
    products = _products(group, found)
    if any(line.plan.action == "refused" for line in group):
        return
    if existing is None:
        _plan_new(group, values, customer, products)
    else:
        _plan_existing(group, values, existing, found.lines.get(existing["pk"], {}), products)


def _agreed(group: list[_Line]) -> dict[str, Any]:
    """The order's dates and status: the first row to give each; a later row giving
    another is refused."""
    values: dict[str, Any] = {}
    given_at: dict[str, _Line] = {}
    for line in group:
        for key, value in line.order.items():
            if key not in values:
                values[key], given_at[key] = value, line
            elif values[key] != value:
                line.refuse(
                    key,
                    _(
                        "Row %(row)s of order %(order)s has %(value)s in this column: the "
                        "rows of an order agree on it."
                    )
                    % {
                        "row": given_at[key].plan.row,
                        "order": line.reference,
                        "value": given_at[key].shown[key][1],
                    },
                )
    return values


def _customer(group: list[_Line], existing: dict | None, found: _Lookups) -> int | None:
    """The order's customer: the one its rows name (the order's own for an order that
    exists), refusing rows that name none, several, or another."""
    customer, named_at = None, None
    for line in group:
        if not line.customer:
            continue
        key = next(key for key in CUSTOMER_KEYS if key in line.customer)
        match = _customer_match(line, found.customers)
        if match is None and found.hidden_keys.intersection(line.customer.items()):
            line.refuse(key, hidden_customer())
            continue
        if match is None:
            given = ", ".join(
                f"{_key_label(k)} {line.shown[k][1]}" for k in CUSTOMER_KEYS if k in line.customer
            )
            line.refuse(
                key,
                _("No customer has %(keys)s: add the customer first.") % {"keys": given},
            )
            continue
        key, pks = match
        if customer is not None:
            if customer not in pks:
                line.refuse(
                    key,
                    _("Row %(row)s of order %(order)s is for %(customer)s; this row names another.")
                    % {"row": named_at, "order": line.reference, "customer": found.names[customer]},
                )
        elif existing is not None:
            if existing["customer_id"] in pks:
                customer, named_at = existing["customer_id"], line.plan.row
            else:
                line.refuse(
                    key,
                    _(
                        "Order %(order)s is for customer #%(id)s; the customer of an order "
                        "cannot change."
                    )
                    % {"order": line.reference, "id": existing["customer_id"]},
                )
        elif len(pks) > 1:
            described = ", ".join(f"#{pk} {found.names[pk]}" for pk in sorted(pks))
            line.refuse(
                key,
                _(
                    "Several customers have this %(key)s: %(customers)s. Give a tax id or "
                    "customer code that tells them apart."
                )
                % {"key": _key_label(key), "customers": described},
            )
        else:
            customer, named_at = next(iter(pks)), line.plan.row
    return customer


def _products(group: list[_Line], found: _Lookups) -> list[Product]:
    """The product of each row (refusing unknown SKUs and a product twice)."""
    products: list[Product] = []
    seen: dict[str, int] = {}
    for line in group:
        product = found.products.get(line.sku)
        if not line.sku:
            line.refuse("sku", _("Each row needs the SKU of its product."))
        elif product is None:
            line.refuse("sku", _("No product has the SKU %(sku)s.") % {"sku": line.sku})
        elif line.sku in seen:
            line.refuse(
                "sku",
                _("Row %(row)s of order %(order)s already has %(sku)s: one row per product.")
                % {"row": seen[line.sku], "order": line.reference, "sku": line.sku},
            )
        else:
            seen[line.sku] = line.plan.row
        products.append(product)
    return products


def _refuse(line: _Line, problems: Problems, **renamed: str) -> None:
    """Refuse ``line`` with the problems an order rule found, each in the column of its
    field (``renamed``: the import's key of a field the rule names otherwise)."""
    for key, messages in problems.items():
        for message in messages:
            line.refuse(renamed.get(key, key), message)


def _check_new_line(line: _Line, product: Product, currency: str) -> None:
    """A product added to an order: sold, in the order's currency, with a quantity."""
    _refuse(line, order_line_problems(currency=currency, product=product), product="sku")
    if "quantity" not in line.numbers:
        line.refuse("quantity", _("A new line needs its quantity."))


def _plan_status(first: _Line, values: dict, current: dict, default: str) -> str | None:
    """Where the order goes (refusing the first row when it cannot get there), checking
    the production and delivery dates it records on the way."""
    given = values.get("status")
    implied = None
    if "delivered_on" in values and current["delivered_on"] is None:
        implied = OrderStatus.DELIVERED
    elif "production_finished_on" in values and current["production_finished_on"] is None:
        implied = OrderStatus.READY
    to = given or implied or default
    refused = order_status_problems(status=current["status"], to=to, walk=True)
    if refused:
        _refuse(first, refused)
        return None
    path = order_status_path(current["status"], to) or []
    # a date is recorded once the order is at its status, or gets there on the way
    reached = {
        "production_finished_on": current["production_finished_on"] is not None
        or OrderStatus.READY in path,
        "delivered_on": current["delivered_on"] is not None or OrderStatus.DELIVERED in path,
    }
    dates = {key: values.get(key, current[key]) if reached[key] else None for key in reached}
    problems = order_problems(order_date=current["order_date"], **dates)
    for key, message in (
        ("production_finished_on", _("A production date needs the order ready or delivered.")),
        ("delivered_on", _("A delivery date needs the order delivered.")),
    ):
        if key in values and not reached[key]:
            first.refuse(key, message)
        for problem in problems.get(key, ()):
            first.refuse(key, problem)
    if first.plan.action == "refused":
        return None
    return to


def _plan_new(
    group: list[_Line], values: dict, customer: int | None, products: list[Product]
) -> None:
    first = group[0]
    if customer is None:
        first.refuse(
            "customer",
            _("A new order needs its customer: a tax id, customer code, e-mail or name."),
        )
    for key, message in (
        ("order_date", _("A new order needs its order date.")),
        ("due_date", _("A new order needs its due date.")),
    ):
        if key not in values:
            first.refuse(key, message)
    _refuse(
        first, order_problems(order_date=values.get("order_date"), due_date=values.get("due_date"))
    )
    for line, product in zip(group, products, strict=True):
        _check_new_line(line, product, settings.CLIENTELA_CURRENCY)
    if any(line.plan.action == "refused" for line in group):
        return
    current = {
        "status": OrderStatus.DRAFT,
        "order_date": values["order_date"],
        "production_finished_on": None,
        "delivered_on": None,
    }
    to = _plan_status(first, values, current, OrderStatus.CONFIRMED)
    if to is None:
        return
    for line, product in zip(group, products, strict=True):
        line.plan.changes = {
            "order": line.reference,
            "product": product.pk,
            "sku": product.sku,
            **line.numbers,
        }
    first.plan.changes.update(values, customer=customer, status=to)


def _plan_existing(
    group: list[_Line],
    values: dict,
    order: dict,
    lines: dict[int, dict],
    products: list[Product],
) -> None:
    first = group[0]
    for line in group:
        line.plan.action, line.plan.target = "unchanged", order["pk"]
    if "order_date" in values and values["order_date"] != order["order_date"]:
        first.refuse(
            "order_date",
            _("Order %(order)s was ordered on %(date)s; the order date cannot change.")
            % {"order": first.reference, "date": order["order_date"]},
        )
    changes: dict[str, Any] = {}
    due = values.get("due_date")
    if due is not None and due != order["due_date"]:
        _refuse(first, order_problems(order_date=order["order_date"], due_date=due))
        changes["due_date"] = due
    for line, product in zip(group, products, strict=True):
        current = lines.get(product.pk)
        if current is None:
            _check_new_line(line, product, order["currency"])
            line.plan.changes = {"product": product.pk, "sku": product.sku, **line.numbers}
        else:
            differ = {k: v for k, v in line.numbers.items() if current[k] != v}
            if differ:
                line.plan.changes = {"product": product.pk, "sku": product.sku, **differ}
    kept = {product.pk for product in products}
    removed = sorted(line["product__sku"] for pk, line in lines.items() if pk not in kept)
    if removed:
        changes["removed"] = removed
    closed = order_change_problems(status=order["status"])
    for line in group:
        if line.plan.changes or (line is first and changes):
            _refuse(line, closed, status="")
    to = _plan_status(first, values, order, order["status"])
    if to is None or first.plan.action == "refused":
        return
    if to != order["status"]:
        changes["status"] = to
    for key in ("production_finished_on", "delivered_on"):
        if key in values and values[key] != order[key]:
            changes[key] = values[key]
    first.plan.changes.update(changes)
    for line in group:
        if line.plan.changes:
            line.plan.action = "update"


# --- writing ------------------------------------------------------------------------


def _move(order: Order, to: str, dates: dict, actor: User | None, reason: str) -> Order:
    """Walk ``order`` to ``to``; production finishes on its date, else the delivery's."""
    for step in order_status_path(order.status, to) or []:
        on = None
        if step == OrderStatus.READY:
            on = dates.get("production_finished_on") or dates.get("delivered_on")
        elif step == OrderStatus.DELIVERED:
            on = dates.get("delivered_on")
        order = order_transition(
            actor=actor, order=order, version=order.version, to=step, reason=reason, on=on
        )
    return order


def _line(changes: dict, products: dict[int, Product]) -> dict:
    line = {"product": products[changes["product"]], "quantity": changes["quantity"]}
    for key in ("unit_price", "discount_percent"):
        if key in changes:
            line[key] = changes[key]
    return line


def _create(group: list[RowPlan], products, customers, actor: User | None, reason: str) -> None:
    values = group[0].changes
    order = order_create(
        actor=actor,
        customer=customers[values["customer"]],
        order_date=values["order_date"],
        due_date=values["due_date"],
        lines=[_line(row.changes, products) for row in group],
        reason=reason,
        reference=values["order"],
    )
    _move(order, values["status"], values, actor, reason)


def _update(
    order: Order, group: list[RowPlan], current: list[dict], products, actor, reason
) -> None:
    changes: dict[str, Any] = {}
    edited: dict[int, dict] = {}
    for row in group:
        changes.update({k: v for k, v in row.changes.items() if k in ORDER_CHANGES})
        if "product" in row.changes:
            edited[row.changes["product"]] = row.changes
    removed = set(changes.get("removed", ()))
    renegotiated = bool(edited or removed or "due_date" in changes)
    lines = []
    for line in current:
        if line["product__sku"] in removed:
            continue
        values = {"product": products[line["product_id"]], **{k: line[k] for k in LINE_KEYS}}
        values.update(
            {k: v for k, v in edited.pop(line["product_id"], {}).items() if k in LINE_KEYS}
        )
        lines.append(values)
    lines += [_line(values, products) for values in edited.values()]
    if renegotiated:
        fields: dict[str, Any] = {"lines": lines}
        if "due_date" in changes:
            fields["due_date"] = changes["due_date"]
        order = order_update(
            actor=actor, order=order, version=order.version, reason=reason, **fields
        )
    corrected = {
        key: changes[key]
        for key in ("production_finished_on", "delivered_on")
        if key in changes and getattr(order, key) is not None
    }
    if corrected:
        order = order_record_dates(
            actor=actor, order=order, version=order.version, reason=reason, **corrected
        )
    _move(order, changes.get("status", order.status), changes, actor, reason)


def orders_apply(rows: list[RowPlan], actor: User | None, reason: str) -> None:
    """Write a chunk's planned rows: create the new orders (walking them to their
    status), update the matched ones."""
    creates: dict[str, list[RowPlan]] = {}
    updates: dict[int, list[RowPlan]] = {}
    for row in rows:
        if row.action == "create":
            creates.setdefault(row.changes["order"], []).append(row)
        elif row.action == "update":
            updates.setdefault(row.target, []).append(row)
    current: dict[int, list[dict]] = {}
    for line in (
        OrderLine.objects.filter(order__in=updates)
        .order_by("position", "id")
        .values("order_id", "product_id", "product__sku", *LINE_KEYS)
    ):
        current.setdefault(line["order_id"], []).append(line)
    wanted = {row.changes["product"] for row in rows if "product" in row.changes}
    wanted |= {line["product_id"] for lines in current.values() for line in lines}
    products = Product.objects.in_bulk(wanted)
    customers = Customer.objects.in_bulk(
        [group[0].changes["customer"] for group in creates.values()]
    )
    orders = Order.objects.select_related("customer").in_bulk(list(updates))
    for group in creates.values():
        with row_writing(group[0]):
            _create(group, products, customers, actor, reason)
    for pk, group in updates.items():
        with row_writing(group[0]):
            _update(orders[pk], group, current.get(pk, []), products, actor, reason)


ORDERS = Kind(
    key="orders",
    label=gettext_lazy("Orders"),
    capability=Capability.ORDER_EDIT,
    fields=ORDER_FIELDS,
    plan_chunks=order_chunks,
    apply=orders_apply,
    export=lambda: order_rows(Order.objects.all()),
)


# --- export -------------------------------------------------------------------------


def order_reference(order: Order) -> str:
    """The order's reference, or ``#<number>`` when it has none."""
    return order.reference or f"#{order.pk}"


def order_rows(orders: QuerySet[Order]) -> Iterator[list[str]]:
    """The header row, then one row per order line (orders by id), read a chunk of
    orders at a time."""
    # A customer is written by its tax id, code and name (it may have several e-mails).
    yield [str(field.label) for field in ORDER_FIELDS if field.key != "customer_email"]
    statuses = dict(OrderStatus.choices)
    lines = Prefetch("lines", queryset=OrderLine.objects.select_related("product"))
    for chunk in chunks_by_id(orders.select_related("customer").prefetch_related(lines)):
        for order in chunk:
            head = [
                order_reference(order),
                order.customer.tax_id,
                order.customer.external_id,
                order.customer.name,
                order.order_date.isoformat(),
                order.due_date.isoformat(),
                str(statuses[order.status]),
                order.production_finished_on.isoformat() if order.production_finished_on else "",
                order.delivered_on.isoformat() if order.delivered_on else "",
            ]
            for line in order.lines.all():
                yield [
                    *head,
                    line.product.sku,
                    decimal_text(line.quantity),
                    str(money_round(line.unit_price, order.currency)),
                    decimal_text(line.discount_percent),
                ]
