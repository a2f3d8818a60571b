"""The import of payments: one row per payment received for an order.

A row names its order by reference (as the orders import stores it, or ``#42`` for
Clientela's own order 42), the day it was paid, the amount, the method (cash, transfer,
card… in Spanish, Russian or English, or the code) and, optionally, the payment's own
reference. It then:

- **creates** the payment through ``payment_record`` (so the order's balance follows);
- leaves it **unchanged** when the order already has that payment: the same day,
  amount, method and reference (a file with two such payments and an order with one
  records the second);
- is **refused**, saying why, when a value cannot be read, when no order has the
  reference, or when ``payment_record`` would refuse it: an order that is a draft or
  cancelled, a day before the order date or in the future, an amount that is not more
  than zero or pays more than the balance (counting the rows above it).

The plan reads a chunk of rows at a time, with one query for the orders and one for
their payments, and never writes; what it counts of an order (its balance, its
payments) is read the first time the file names it, so the dry run and the import
plan the same. ``payments_apply`` writes a chunk's planned rows; ``payment_rows``
exports payments in the form this import reads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clientela.core.access import Capability
from clientela.core.models import User
from clientela.core.money import money_check, money_round
from clientela.customers.selectors import customers_hidden
from clientela.customers.sheet import hidden_customer
from clientela.orders.models import Order, OrderStatus, Payment, PaymentMethod
from clientela.orders.rules import payment_problems
from clientela.orders.services import payment_record
from clientela.orders.sheet.orders import (
    ORDER_NAMES,
    clientela_number,
    no_such_order,
    order_reference,
    orders_by_reference,
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
)

PAYMENT_FIELDS: tuple[Field, ...] = (
    Field("order", gettext_lazy("Order"), ORDER_NAMES, example="F-1024"),
    Field(
        "paid_on",
        gettext_lazy("Paid on"),
        (
            "Fecha de pago",
            "Fecha",
            "Pagado el",
            "Дата оплаты",
            "Дата платежа",
            "Дата",
            "Payment date",
            "Date",
        ),
        example="2024-03-05",
    ),
    Field(
        "amount",
        gettext_lazy("Amount"),
        ("Importe", "Monto", "Pago", "Abono", "Сумма", "Сумма оплаты", "Оплачено", "Paid"),
        example="350.00",
    ),
    Field(
        "method",
        gettext_lazy("Method"),
        (
            "Forma de pago",
            "Método de pago",
            "Método",
            "Medio de pago",
            "Способ оплаты",
            "Способ",
            "Payment method",
        ),
        example="Transferencia",
    ),
    Field(
        "reference",
        gettext_lazy("Payment reference"),
        (
            "Referencia",
            "Referencia de pago",
            "Folio de pago",
            "Номер платежа",
            "Номер документа",
            "Reference",
        ),
        example="SPEI 0042",
    ),
)

METHOD_WORDS = {
    PaymentMethod.CASH: ("efectivo", "contado", "наличные", "наличными", "нал", "cash"),
    PaymentMethod.CARD: (
        "tarjeta",
        "tarjeta de crédito",
        "tarjeta de débito",
        "карта",
        "картой",
        "card",
        "credit card",
        "debit card",
    ),
    PaymentMethod.TRANSFER: (
        "transferencia",
        "transferencia bancaria",
        "SPEI",
        "depósito",
        "перевод",
        "банковский перевод",
        "безнал",
        "безналичный",
        "bank transfer",
        "wire",
    ),
    PaymentMethod.CREDIT: ("crédito", "a crédito", "в кредит", "в долг", "on account"),
    PaymentMethod.OTHER: ("otro", "otra", "другое", "other"),
}

# A payment as the file and the order book both have it: order, day, amount, method,
# reference.
PaymentKey = tuple[int, object, Decimal, str, str]


@dataclass
class _Row:
    plan: RowPlan
    # field key → the column it is read from (shared by the rows of a sheet)
    columns: Mapping[str, str]
    values: dict = field(default_factory=dict)
    # field key → (column, text) as the file has it, for the messages
    shown: dict[str, tuple[str, str]] = field(default_factory=dict)

    def refuse(self, key: str, message: str) -> None:
        column, text = self.shown.get(key) or (self.columns.get(key, ""), "")
        self.plan.refuse(column, text, message)


def _read(
    number: int,
    cells: list[Cell],
    headers: list[str],
    columns: Mapping[int, str],
    named: Mapping[str, str],
    words: Mapping[str, str],
) -> _Row:
    """A row's values, or its problems."""
    row = _Row(RowPlan(number, row_text(cells)), named)
    for index, key in columns.items():
        cell = cells[index]
        text = cell_block(cell) if key == "notes" else cell_line(cell)
        if not text:
            continue
        row.shown[key] = (headers[index], text)
        try:
            if key == "order":
                row.values[key] = text.upper()
            elif key == "paid_on":
                row.values[key] = cell_date(cell)
            elif key == "amount":
                amount = cell_decimal(cell)
                problems = payment_problems(amount=amount)
                if problems:
                    raise CellError(" ".join(problems["amount"]))
                money_check(amount, settings.CLIENTELA_CURRENCY)
                Payment._meta.get_field("amount").run_validators(amount)
                row.values[key] = amount
            elif key == "method":
                row.values[key] = choice_read(text, words, PaymentMethod.choices)
            else:
                Payment._meta.get_field("reference").run_validators(text)
                row.values[key] = text
        except CellError as error:
            row.refuse(key, str(error))
        except ValidationError as error:
            row.refuse(key, " ".join(error.messages))
    for key, message in (
        ("order", _("Each payment needs the reference of its order.")),
        ("paid_on", _("Each payment needs the day it was paid.")),
        ("amount", _("Each payment needs its amount.")),
        ("method", _("Each payment needs its method: cash, transfer, card…")),
    ):
        if key not in row.values and key not in row.shown:
            row.refuse(key, message)
    return row


@dataclass
class _Book:
    """What the plan counts of the orders the file names, read the first time it names
    each: the balance left (less the payments planned) and the payments recorded that
    no row has matched yet; and the customers of those orders ``user`` may not see."""

    user: User | None = None
    hidden: set[int] = field(default_factory=set)
    orders: dict[str, dict] = field(default_factory=dict)
    balance: dict[int, Decimal] = field(default_factory=dict)
    recorded: Counter = field(default_factory=Counter)
    payment_ids: dict[PaymentKey, list[int]] = field(default_factory=dict)

    def read(self, references: set[str]) -> None:
        """Read the orders first named in this chunk, and their payments."""
        new = references - set(self.orders)
        if not new:
            return
        found = orders_by_reference(
            new, "status", "order_date", "total", "paid", "currency", "customer_id"
        )
        self.orders.update(found)
        self.hidden |= customers_hidden(
            self.user, {order["customer_id"] for order in found.values()}
        )
        fresh = {order["pk"] for order in found.values()} - set(self.balance)
        for order in found.values():
            if order["pk"] in fresh:
                owed = 0 if order["status"] == OrderStatus.CANCELLED else order["total"]
                self.balance[order["pk"]] = owed - order["paid"]
        if fresh:
            payments = Payment.objects.filter(order__in=fresh).order_by("pk")
            for pk, *key in payments.values_list(
                "pk", "order_id", "paid_on", "amount", "method", "reference"
            ):
                self.recorded[tuple(key)] += 1
                self.payment_ids.setdefault(tuple(key), []).append(pk)


def payment_chunks(
    sheet: Sheet, columns: Mapping[int, str], user: User | None = None
) -> Generator[list[RowPlan], None, None]:
    """The dry run of importing ``sheet`` with ``columns`` (index → field key), a chunk of
    rows at a time, as ``user`` may (see ``Kind``)."""
    headers = sheet.headers
    named: dict[str, str] = {}
    for index, key in sorted(columns.items()):
        named.setdefault(key, headers[index])
    words = choice_words(PaymentMethod.choices, METHOD_WORDS)
    book = _Book(user)
    read = partial(_read, headers=headers, columns=columns, named=named, words=words)
    for rows in sheet_chunks(sheet, read):
        book.read({row.values["order"] for row in rows if "order" in row.values})
        for row in rows:
            if row.plan.action != "refused":
                _plan(row, book)
        yield [row.plan for row in rows]


def _plan(row: _Row, book: _Book) -> None:
    values = row.values
    reference = values["order"]
    order = book.orders.get(reference)
    if order is None:
        if clientela_number(reference) is not None:
            row.refuse("order", no_such_order(reference))
        else:
            row.refuse("order", _("No order has the reference %(order)s.") % {"order": reference})
        return
    if order["customer_id"] in book.hidden:
        row.refuse("order", hidden_customer())
        return
    key = (order["pk"], values["paid_on"], values["amount"], values["method"])
    key += (values.get("reference", ""),)
    if book.recorded[key]:
        book.recorded[key] -= 1
        row.plan.action, row.plan.target = "unchanged", book.payment_ids[key].pop(0)
        return
    problems = payment_problems(
        status=order["status"], order_date=order["order_date"], paid_on=values["paid_on"]
    )
    for key, messages in problems.items():
        for message in messages:
            row.refuse("order" if key == "status" else key, message)
    if "status" in problems:  # a draft or cancelled order takes no payment at all
        return
    balance = book.balance[order["pk"]]
    if values["amount"] > balance:
        row.refuse(
            "amount",
            _("The balance of order %(order)s is %(balance)s %(currency)s; this is more.")
            % {
                "order": reference,
                "balance": money_round(max(balance, Decimal(0)), order["currency"]),
                "currency": order["currency"],
            },
        )
    if row.plan.action == "refused":
        return
    book.balance[order["pk"]] = balance - values["amount"]
    row.plan.changes = {**values, "order": order["pk"], "order_reference": reference}


def payments_apply(rows: list[RowPlan], actor: User | None, reason: str) -> None:
    """Write a chunk's planned rows: record the new payments."""
    new = [row for row in rows if row.action == "create"]
    orders = Order.objects.select_related("customer").in_bulk({row.changes["order"] for row in new})
    for row in new:
        with row_writing(row):
            payment_record(
                actor=actor,
                order=orders[row.changes["order"]],
                amount=row.changes["amount"],
                method=row.changes["method"],
                paid_on=row.changes["paid_on"],
                reference=row.changes.get("reference", ""),
                reason=reason,
            )


PAYMENTS = Kind(
    key="payments",
    label=gettext_lazy("Payments"),
    capability=Capability.PAYMENT_RECORD,
    fields=PAYMENT_FIELDS,
    plan_chunks=payment_chunks,
    apply=payments_apply,
    export=lambda: payment_rows(Payment.objects.all()),
)


def payment_rows(payments: QuerySet[Payment]) -> Iterator[list[str]]:
    """The header row, then one row per payment (by id), read a chunk at a time."""
    yield [str(field.label) for field in PAYMENT_FIELDS]
    methods = dict(PaymentMethod.choices)
    for chunk in chunks_by_id(payments.select_related("order")):
        for payment in chunk:
            yield [
                order_reference(payment.order),
                payment.paid_on.isoformat(),
                str(money_round(payment.amount, payment.order.currency)),
                str(methods[payment.method]),
                payment.reference,
            ]
