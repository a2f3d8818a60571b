"""Importing payments: recorded through the order book, once, or refused saying why."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import translation

from clientela.customers.tests.factories import CustomerFactory
from clientela.orders.models import Order, OrderStatus, Payment
from clientela.orders.services import payment_record
from clientela.orders.sheet.payments import PAYMENT_FIELDS, PAYMENTS, payment_chunks
from clientela.orders.tests.factories import OrderFactory, ProductFactory
from clientela.sheets.importing import ImportRefused, sheet_import
from clientela.sheets.mapping import match_columns
from clientela.sheets.plan import Plan
from clientela.sheets.reading import open_sheet

pytestmark = pytest.mark.django_db

HEADERS = ["Pedido", "Fecha de pago", "Importe", "Forma de pago", "Referencia"]


def _file(tmp_path, rows, name="pagos.csv"):
    path = tmp_path / name
    path.write_text("\n".join(";".join(r) for r in [HEADERS, *rows]) + "\n", encoding="utf-8")
    return path


def _plan(path):
    sheet = open_sheet(path)
    columns = match_columns(sheet.headers, PAYMENT_FIELDS)
    plan = Plan("payments", sheet.headers)
    for rows in payment_chunks(sheet, columns):
        plan.add(rows)
    return plan


def _import(path, owner, **options):
    sheet = open_sheet(path)
    columns = match_columns(sheet.headers, PAYMENT_FIELDS)
    return sheet_import(
        kind=PAYMENTS, actor=owner, sheet=sheet, columns=columns, source=path.name, **options
    )


def _messages(plan):
    return [(p.row, p.column, p.value, p.message) for p in plan.problems]


@pytest.fixture
def order(db):
    """Order F-1, confirmed, for 1,000.00 (100 × 10.00)."""
    return OrderFactory(
        customer=CustomerFactory(name="Panadería Gómez"),
        reference="F-1",
        lines=[{"product": ProductFactory(unit_price=Decimal("10.00")), "quantity": 100}],
        status=OrderStatus.CONFIRMED,
    )


ROWS = [
    ["f-1", "02/03/2024", "300", "Efectivo", ""],
    ["F-1", "2024-03-05", "450,50", "transferencia", "SPEI 0042"],
    ["F-1", "2024-03-06", "100", "картой", ""],
]


def test_payments_are_recorded_once_whatever_the_language(tmp_path, owner, order):
    path = _file(tmp_path, ROWS)

    plan = _import(path, owner)

    assert plan.counts == {"create": 3, "update": 0, "unchanged": 0, "refused": 0}
    assert list(order.payments.values_list("paid_on", "amount", "method", "reference")) == [
        (date(2024, 3, 2), Decimal("300.00"), "cash", ""),
        (date(2024, 3, 5), Decimal("450.50"), "transfer", "SPEI 0042"),
        (date(2024, 3, 6), Decimal("100.00"), "card", ""),
    ]
    order.refresh_from_db()
    assert order.balance == Decimal("149.50")
    last = order.payments.first().history.get()
    assert (last.history_user, last.history_change_reason) == (owner, "Imported from pagos.csv")

    again = _import(path, owner)

    assert again.counts == {"create": 0, "update": 0, "unchanged": 3, "refused": 0}
    assert Payment.objects.count() == 3


def test_two_alike_payments_in_a_file_are_two_payments(tmp_path, owner, order):
    rows = [["F-1", "2024-03-02", "100", "cash", ""]] * 2
    _import(_file(tmp_path, rows[:1]), owner)  # one of them was imported before

    plan = _import(_file(tmp_path, rows), owner)

    assert plan.counts == {"create": 1, "update": 0, "unchanged": 1, "refused": 0}
    assert order.payments.count() == 2


def test_what_the_order_book_would_refuse_is_refused_in_the_dry_run(tmp_path, order):
    OrderFactory(reference="B-1")  # a draft
    rows = [
        ["F-404", "2024-03-02", "100", "cash", ""],
        ["#999999", "2024-03-02", "100", "cash", ""],
        ["B-1", "2024-03-02", "100", "cash", ""],
        ["F-1", "2024-02-01", "100", "cash", ""],
        ["F-1", "2099-01-01", "100", "cash", ""],
        ["F-1", "2024-03-02", "-5", "bitcoin", ""],
        ["F-1", "2024-03-02", "900", "cash", ""],
        ["F-1", "2024-03-03", "100.50", "cash", ""],  # more than the 100 left
        ["F-1", "", "", "", ""],
    ]

    plan = _plan(_file(tmp_path, rows))

    assert plan.counts == {"create": 1, "update": 0, "unchanged": 0, "refused": 8}
    assert _messages(plan) == [
        (2, "Pedido", "F-404", "No order has the reference F-404."),
        (
            3,
            "Pedido",
            "#999999",
            "Clientela has no order #999999 (a “#” and a number name Clientela's own orders).",
        ),
        (
            4,
            "Pedido",
            "B-1",
            "Payments are recorded for confirmed orders that are not cancelled.",
        ),
        (5, "Fecha de pago", "2024-02-01", "A payment cannot be before the order date."),
        (6, "Fecha de pago", "2099-01-01", "A payment cannot be in the future."),
        (7, "Importe", "-5", "The amount must be more than zero."),
        (
            7,
            "Forma de pago",
            "bitcoin",
            "“bitcoin” is not one of: Cash, Card, Transfer, Credit (on account), Other.",
        ),
        (9, "Importe", "100.50", "The balance of order F-1 is 100.00 MXN; this is more."),
        (10, "Fecha de pago", "", "Each payment needs the day it was paid."),
        (10, "Importe", "", "Each payment needs its amount."),
        (10, "Forma de pago", "", "Each payment needs its method: cash, transfer, card…"),
    ]
    assert not Payment.objects.exists()


def test_a_refused_row_leaves_nothing_written_unless_skipped(tmp_path, owner, order):
    rows = [*ROWS, ["F-404", "2024-03-02", "100", "cash", ""]]

    with pytest.raises(ValidationError, match="1 row was refused, so nothing was imported"):
        _import(_file(tmp_path, rows), owner)
    assert not Payment.objects.exists()

    plan = _import(_file(tmp_path, rows), owner, skip_invalid=True)

    assert plan.counts == {"create": 3, "update": 0, "unchanged": 0, "refused": 1}
    assert Payment.objects.count() == 3


def test_the_balance_counts_the_rows_of_earlier_chunks(tmp_path, owner, order, monkeypatch):
    monkeypatch.setattr("clientela.sheets.plan.CHUNK_ROWS", 2)
    rows = [["F-1", f"2024-03-0{day}", "300", "cash", ""] for day in range(1, 5)]
    path = _file(tmp_path, rows)

    planned = _plan(path)
    with pytest.raises(ImportRefused) as imported:
        _import(path, owner)

    # three payments of 300 fit in the 1,000 owed, the fourth does not: in the dry run
    # as in the import, where the first chunk is already written when the second is planned
    assert planned.counts == {"create": 3, "update": 0, "unchanged": 0, "refused": 1}
    assert imported.value.plan.counts == planned.counts
    assert [p.row for p in planned.problems] == [5]


def test_the_orders_and_their_payments_are_read_a_chunk_at_a_time(
    tmp_path, order, django_assert_num_queries, monkeypatch
):
    monkeypatch.setattr("clientela.sheets.plan.CHUNK_ROWS", 10)
    other = OrderFactory(reference="F-2", status=OrderStatus.CONFIRMED)
    rows = [["F-1" if n % 2 else "F-2", "2024-03-02", "1", "cash", ""] for n in range(20)]
    path = _file(tmp_path, rows)

    # the orders the first chunk names and their payments; the second names no new one
    with django_assert_num_queries(2):
        plan = _plan(path)

    assert plan.counts["create"] == 20
    assert other.payments.count() == 0


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize("language", ["en", "es", "ru"])
def test_an_export_imports_back_unchanged(tmp_path, owner, order, suffix, language):
    _import(_file(tmp_path, ROWS), owner)
    unnamed = OrderFactory(status=OrderStatus.CONFIRMED)  # exported as #<number>
    Order.objects.filter(pk=order.pk).update(reference="=F-1")  # a reference like a formula
    payment_record(actor=None, order=unnamed, amount=Decimal("5"), method="other")
    path = tmp_path / f"pagos{suffix}"

    with translation.override(language):
        call_command("export", "payments", str(path), stdout=StringIO())
        sheet = open_sheet(path)
        columns = match_columns(sheet.headers, PAYMENT_FIELDS)
        plan = sheet_import(
            kind=PAYMENTS, actor=owner, sheet=sheet, columns=columns, source=path.name
        )

    assert len(columns) == len(sheet.headers)
    assert plan.counts == {"create": 0, "update": 0, "unchanged": 4, "refused": 0}
    assert Payment.objects.count() == 4


def test_the_command_line_exits_with_1_when_a_row_is_refused(tmp_path, order):
    bad = _file(tmp_path, [*ROWS, ["F-404", "2024-03-02", "100", "cash", ""]], name="mal.csv")
    out = StringIO()

    with pytest.raises(SystemExit) as refused:
        call_command("import", "payments", str(bad), stdout=out)
    call_command("import", "payments", str(_file(tmp_path, ROWS)), stdout=out)

    assert refused.value.code == 1
    assert "row 5, Pedido “F-404”: No order has the reference F-404." in out.getvalue()
    assert "3 created, 0 updated, 0 unchanged, 0 refused." in out.getvalue()
    assert Payment.objects.count() == 3
