"""Benchmark: server time of the order book's pages at issue 3's size.

Issue 3's figure: with 1,000,000 customers and 10,000,000 order lines in PostgreSQL, the
lead-time page and a customer's page each under 200 ms server time (median), the order
list under 50 ms p95.

Customers are loaded exactly as ``benchmarks/customer_list.py`` loads them (its
``load()``, same seed). Then ~40 products and three years of orders go straight into the
tables with COPY, in chronological order (ids grow with the order date), in chunks:
about 2.5 lines per order, customers' activity skewed (Pareto weights: a fifth of the
customers place most orders, a few place thousands), most orders delivered with their
production and delivery dates (some later than their products' tolerance), some
cancelled, a few abandoned drafts, the open ones recent; payments for most bought orders
(some partial, some none, more of them recent) so balances exist. ``total`` is the sum
of the lines' ``line_total`` and ``paid`` the sum of the payments, as the services keep
them. No history rows are written.

Then it times, in process through Django's WSGI handler (as ``customer_list.py`` does),
the lead-time page for the default period (the last twelve months) grouped by product,
customer and month; customers' pages (heavy customers, with the most orders, and light
ones); the order list (page 1, by status, owing money, one customer's); and the API's
order list and lead-time figures; the late-orders list; and two writes that keep the
lead-time figures (delivering an order; a new tolerance for the most sold product with
the recount its background task makes), each rolled back. Each case runs up to ``--requests`` requests and stops
early after ``--case-seconds`` (at least 3 requests), so slow pages do not take hours. It
prints median and p95, the time in the database, the query count, and on PostgreSQL
``EXPLAIN (ANALYZE, BUFFERS)`` of the slowest query of the slowest request of each case.

    createdb -h 127.0.0.1 -U root clientela_bench_orders
    .venv/bin/python benchmarks/orders.py \\
        --database-url postgres://root@127.0.0.1:5432/clientela_bench_orders
    # later runs: add --reuse (keeps customers and orders already loaded)
"""

import argparse
import bisect
import itertools
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import customer_list  # the customers, the WSGI client, the table

ROOT = customer_list.ROOT
SEED = customer_list.SEED
YEARS = 3
ORDER_CHUNK = 50_000  # orders per COPY transaction (≈125,000 lines, ≈58,000 payments)
CENT = Decimal("0.01")

# SKU, name, category, unit, unit price (MXN), delivery tolerance (days), popularity.
PRODUCTS = [
    ("CAJ-001", "Caja de cartón corrugado chica", "Empaque", "pza", "8.50", 2, 30),
    ("CAJ-002", "Caja de cartón corrugado mediana", "Empaque", "pza", "12.90", 2, 26),
    ("CAJ-003", "Caja de cartón corrugado grande", "Empaque", "pza", "18.40", 2, 18),
    ("CAJ-004", "Caja para pastel", "Empaque", "pza", "6.20", 1, 22),
    ("CAJ-005", "Caja para pizza", "Empaque", "pza", "5.80", 1, 20),
    ("BOL-001", "Bolsa kraft con asa", "Empaque", "pza", "3.10", 1, 24),
    ("BOL-002", "Bolsa de celofán", "Empaque", "millar", "420.00", 1, 10),
    ("BOL-003", "Bolsa ecológica de tela", "Empaque", "pza", "24.00", 3, 9),
    ("ETQ-001", "Etiqueta adhesiva rollo", "Impresión", "millar", "310.00", 1, 16),
    ("ETQ-002", "Etiqueta de código de barras", "Impresión", "millar", "280.00", 0, 8),
    ("IMP-001", "Volantes media carta", "Impresión", "millar", "650.00", 1, 14),
    ("IMP-002", "Tarjetas de presentación", "Impresión", "millar", "390.00", 0, 15),
    ("IMP-003", "Lona impresa", "Impresión", "m", "95.00", 2, 12),
    ("IMP-004", "Vinil de corte", "Impresión", "m", "140.00", 2, 6),
    ("IMP-005", "Menú enmicado", "Impresión", "pza", "35.00", 1, 7),
    ("IMP-006", "Talonario de notas de remisión", "Impresión", "pza", "48.00", 1, 9),
    ("IMP-007", "Calendario de pared", "Impresión", "pza", "42.00", 3, 3),
    ("IMP-008", "Folder con bolsillo", "Impresión", "pza", "14.50", 1, 5),
    ("TXT-001", "Playera estampada", "Textil", "pza", "115.00", 3, 11),
    ("TXT-002", "Playera tipo polo bordada", "Textil", "pza", "230.00", 3, 7),
    ("TXT-003", "Mandil con logotipo", "Textil", "pza", "160.00", 2, 6),
    ("TXT-004", "Gorra bordada", "Textil", "pza", "120.00", 3, 5),
    ("TXT-005", "Uniforme quirúrgico", "Textil", "pza", "380.00", 3, 3),
    ("TXT-006", "Chaleco de seguridad", "Textil", "pza", "145.00", 2, 3),
    ("PRO-001", "Taza personalizada", "Promocionales", "pza", "65.00", 2, 8),
    ("PRO-002", "Termo de acero", "Promocionales", "pza", "185.00", 3, 4),
    ("PRO-003", "Bolígrafo con logotipo", "Promocionales", "pza", "9.50", 1, 10),
    ("PRO-004", "Llavero metálico", "Promocionales", "pza", "28.00", 2, 4),
    ("PRO-005", "Libreta ecológica", "Promocionales", "pza", "45.00", 2, 4),
    ("PRO-006", "Memoria USB grabada", "Promocionales", "pza", "98.00", 2, 2),
    ("PRO-007", "Cilindro deportivo", "Promocionales", "pza", "55.00", 2, 3),
    ("DES-001", "Vaso de papel 12 oz", "Desechables", "caja", "540.00", 0, 14),
    ("DES-002", "Contenedor de unicel", "Desechables", "caja", "610.00", 0, 12),
    ("DES-003", "Servilleta impresa", "Desechables", "caja", "350.00", 1, 9),
    ("DES-004", "Popote de papel", "Desechables", "caja", "290.00", 0, 6),
    ("DES-005", "Charola de aluminio", "Desechables", "caja", "720.00", 1, 4),
    ("MAT-001", "Papel bond rollo", "Materiales", "kg", "38.00", 1, 5),
    ("MAT-002", "Cinta canela", "Materiales", "caja", "410.00", 0, 7),
    ("MAT-003", "Película estirable", "Materiales", "kg", "52.00", 1, 4),
    ("MAT-004", "Cartón gris", "Materiales", "kg", "21.00", 2, 2),
]
RETIRED = {"IMP-007", "PRO-006", "MAT-004"}
LINES_PER_ORDER = (1, 2, 3, 4, 5, 6, 7, 8)
LINES_WEIGHTS = (30, 26, 19, 11, 7, 4, 2, 1)
LEADS = (3, 5, 7, 7, 10, 10, 14, 14, 21, 30)
METHODS = ("transfer", "card", "cash", "credit", "other")
METHOD_WEIGHTS = (45, 25, 20, 8, 2)
CANCEL_REASONS = (
    "El cliente ya no lo necesita",
    "Precio no aceptado",
    "Se duplicó el pedido",
    "Sin anticipo",
    "El cliente compró en otro lado",
)
# Customer activity: Pareto weights (alpha 1.16 is the 80/20 rule), capped so that the
# busiest customer places a few thousand orders, not a tenth of all of them.
PARETO_ALPHA = 1.16
PARETO_CAP = 4000.0


# --- synthetic orders -----------------------------------------------------------------


def product_rows() -> list[dict]:
    now = datetime.now(UTC) - timedelta(days=365 * YEARS + 30)
    return [
        {
            "id": pk,
            "created_at": now,
            "updated_at": now,
            "sku": sku,
            "name": name,
            "category": category,
            "unit": unit,
            "unit_price": Decimal(price),
            "currency": "MXN",
            "lead_time_tolerance_days": tolerance,
            "is_active": sku not in RETIRED,
            "version": 1,
        }
        for pk, (sku, name, category, unit, price, tolerance, _weight) in enumerate(
            PRODUCTS, start=1
        )
    ]


def _quantity(unit: str, rng: random.Random) -> Decimal:
    if unit == "pza":
        return Decimal(rng.choice((10, 20, 25, 50, 100, 100, 200, 250, 500, 1000)))
    if unit == "millar":
        return Decimal(rng.choice((1, 1, 2, 2, 3, 5, 10)))
    if unit == "caja":
        return Decimal(rng.randint(1, 30))
    if unit == "m":
        return Decimal(rng.randint(5, 600)) / 10
    return Decimal(rng.randint(500, 50_000)) / 1000  # kg


@dataclass
class OrderBatch:
    orders: list[dict] = field(default_factory=list)
    lines: list[dict] = field(default_factory=list)
    payments: list[dict] = field(default_factory=list)


class OrderMaker:
    """Orders of one day after another, with their lines and payments."""

    def __init__(self, customer_weights: list[float], users: list[int], today: date, seed: int):
        self.rng = random.Random(seed + 3)
        self.cumulative = list(itertools.accumulate(customer_weights))
        self.users = users
        self.today = today
        self.products = product_rows()
        self.product_weights = [p[6] for p in PRODUCTS]
        self.ids = {"order": 0, "line": 0, "payment": 0}

    def customer(self) -> int:
        """A customer id (1-based), drawn by activity weight."""
        point = self.rng.random() * self.cumulative[-1]
        return bisect.bisect_right(self.cumulative, point) + 1

    def day(self, day: date, count: int, batch: OrderBatch) -> None:
        rng, today = self.rng, self.today
        for _ in range(count):
            self.ids["order"] += 1
            pk = self.ids["order"]
            created = datetime(day.year, day.month, day.day, 14, tzinfo=UTC) + timedelta(
                seconds=rng.randrange(11 * 3600)
            )
            age = (today - day).days
            due = day + timedelta(days=rng.choice(LEADS))
            products = []
            for _line in range(rng.choices(LINES_PER_ORDER, LINES_WEIGHTS)[0]):
                product = rng.choices(self.products, self.product_weights)[0]
                if product not in products:
                    products.append(product)
            # Status and dates.
            roll = rng.random()
            confirmed_at = created + timedelta(seconds=rng.randrange(36 * 3600))
            finished = delivered = None
            cancel_reason = ""
            version = 1
            if (age < 3 and roll < 0.3) or roll < 0.004:
                status, confirmed_at = "draft", None
            elif roll < 0.045 and age >= 2:
                status = "cancelled"
                cancel_reason = rng.choice(CANCEL_REASONS)
                version = 2
                if rng.random() < 0.4:
                    confirmed_at, version = None, 1
            else:
                late = rng.random()
                if late < 0.8:
                    shift = -rng.randint(0, 4)
                elif late < 0.94:
                    shift = rng.randint(1, 3)
                else:
                    shift = 4 + int(rng.expovariate(1 / 5))
                planned = max(due + timedelta(days=shift), day + timedelta(days=1))
                finish = max(planned - timedelta(days=rng.randint(0, 3)), day)
                if planned < today:
                    status, finished, delivered, version = "delivered", finish, planned, 5
                elif finish < today:
                    status, finished, version = "ready", finish, 4
                elif age >= 1:
                    status, version = "in_production", 3
                else:
                    status, version = "confirmed", 2
            if confirmed_at is not None and confirmed_at > datetime.now(UTC):
                confirmed_at = datetime.now(UTC)
            # Lines.
            total = Decimal(0)
            for position, product in enumerate(products):
                quantity = _quantity(product["unit"], rng)
                price = product["unit_price"]
                discount = rng.choices((0, 5, 10), (85, 10, 5))[0]
                line_total = (quantity * price * (100 - discount) / 100).quantize(
                    CENT, ROUND_HALF_UP
                )
                total += line_total
                self.ids["line"] += 1
                batch.lines.append(
                    {
                        "id": self.ids["line"],
                        "created_at": created,
                        "updated_at": created,
                        "order_id": pk,
                        "product_id": product["id"],
                        "position": position,
                        "quantity": quantity,
                        "unit_price": price,
                        "discount_percent": Decimal(discount),
                        "line_total": line_total,
                    }
                )
            # Payments: what share of the total was paid, and when.
            paid = Decimal(0)
            amounts: list[tuple[Decimal, date]] = []
            pay = rng.random()
            deposit = (total * Decimal(rng.choice((30, 40, 50))) / 100).quantize(CENT)
            deposit_on = min(day + timedelta(days=rng.randint(0, 2)), today)
            if status == "delivered":
                recent = (today - delivered).days < 60
                unpaid, partial = (0.2, 0.35) if recent else (0.03, 0.08)
                settle_on = min(delivered + timedelta(days=rng.randint(0, 30)), today)
                if pay < unpaid:
                    pass
                elif pay < partial:
                    amounts.append((deposit, deposit_on))
                elif rng.random() < 0.7:
                    amounts.append((total, settle_on))
                else:
                    amounts += [(deposit, deposit_on), (total - deposit, settle_on)]
            elif status in ("confirmed", "in_production", "ready"):
                if pay < 0.5:
                    amounts.append((deposit, deposit_on))
            elif status == "cancelled" and confirmed_at is not None and pay < 0.15:
                amounts.append((deposit, deposit_on))
            for amount, paid_on in amounts:
                if amount <= 0:
                    continue
                paid += amount
                self.ids["payment"] += 1
                method = rng.choices(METHODS, METHOD_WEIGHTS)[0]
                batch.payments.append(
                    {
                        "id": self.ids["payment"],
                        "created_at": datetime(
                            paid_on.year, paid_on.month, paid_on.day, 18, tzinfo=UTC
                        ),
                        "updated_at": created,
                        "order_id": pk,
                        "paid_on": paid_on,
                        "amount": amount,
                        "method": method,
                        "reference": f"SPEI {rng.randrange(10**9):09d}"
                        if method == "transfer"
                        else "",
                        "leaves_credit": False,
                        "recorded_by_id": rng.choice(self.users),
                    }
                )
            batch.orders.append(
                {
                    "id": pk,
                    "created_at": created,
                    "updated_at": created,
                    "customer_id": self.customer(),
                    "delivery_address_id": None,  # the customer's default address
                    "order_date": day,
                    "due_date": due,
                    "status": status,
                    "currency": "MXN",
                    "total": total,
                    "paid": paid,
                    "confirmed_at": confirmed_at,
                    "production_finished_on": finished,
                    "delivered_on": delivered,
                    "tolerance_days": min(p["lead_time_tolerance_days"] for p in products),
                    "days_late": None if delivered is None else max((delivered - due).days, 0),
                    "cancel_reason": cancel_reason,
                    "notes": "",
                    "created_by_id": rng.choice(self.users),
                    "version": version,
                }
            )


def mean_lines(samples: int = 20_000) -> float:
    """Lines per order: the drawn count less the repeated products (one line per product)."""
    rng = random.Random(0)
    weights = [p[6] for p in PRODUCTS]
    drawn = (
        len(set(rng.choices(range(len(PRODUCTS)), weights, k=count)))
        for count in rng.choices(LINES_PER_ORDER, LINES_WEIGHTS, k=samples)
    )
    return sum(drawn) / samples


ORDER_TABLES = ["orders_payment", "orders_orderline", "orders_orderchange", "orders_order"]


def customer_weights(count: int, seed: int) -> list[float]:
    """Each customer's share of the orders (merged customers place none)."""
    from clientela.customers.models import Customer

    rng = random.Random(seed + 2)
    weights = [min(rng.paretovariate(PARETO_ALPHA), PARETO_CAP) for _ in range(count)]
    for pk in Customer.objects.filter(merged_into__isnull=False).values_list("pk", flat=True):
        if pk <= count:
            weights[pk - 1] = 0.0
    return weights


def load_orders(customers: int, lines: int, seed: int) -> dict[str, float]:
    """Products, then ``lines / mean_lines()`` orders over three years; return timings."""
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from django.utils import timezone

    from clientela.core.models import User
    from clientela.orders.models import Order, OrderLine, Payment, Product
    from clientela.orders.services import delivery_days_refresh

    write = customer_list._table_writer(connection)
    users = list(
        User.objects.filter(username__startswith="bench-sales-").values_list("pk", flat=True)
    )
    today = timezone.localdate()
    first = today - timedelta(days=365 * YEARS)
    maker = OrderMaker(customer_weights(customers, seed), users, today, seed)
    with transaction.atomic():
        write(Product, maker.products)
    orders = round(lines / mean_lines())
    days = (today - first).days + 1
    # The business grows: the last day takes about 1.5 times the orders of the first.
    growth = [1 + 0.5 * n / days for n in range(days)]
    scale = orders / sum(growth)
    started = time.perf_counter()
    generating = 0.0
    batch, owed, reported = OrderBatch(), 0.0, 0
    for n in range(days):
        owed += growth[n] * scale
        count = int(owed)
        owed -= count
        tick = time.perf_counter()
        maker.day(first + timedelta(days=n), count, batch)
        generating += time.perf_counter() - tick
        if len(batch.orders) >= ORDER_CHUNK or n == days - 1:
            with transaction.atomic():
                write(Order, batch.orders)
                write(OrderLine, batch.lines)
                write(Payment, batch.payments)
            batch = OrderBatch()
            if maker.ids["line"] - reported >= 500_000 or n == days - 1:
                reported = maker.ids["line"]
                print(
                    f"  loaded {maker.ids['order']:,} orders, {maker.ids['line']:,} lines, "
                    f"{maker.ids['payment']:,} payments (to {first + timedelta(days=n)}, "
                    f"{time.perf_counter() - started:.0f} s)",
                    file=sys.stderr,
                    flush=True,
                )
    loading = time.perf_counter() - started
    tick = time.perf_counter()
    delivery_days_refresh()
    rollup = time.perf_counter() - tick
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(
            no_style(), [Product, Order, OrderLine, Payment]
        ):
            cursor.execute(sql)
    tick = time.perf_counter()
    with connection.cursor() as cursor:
        for table_name in [*ORDER_TABLES, "orders_product"]:
            cursor.execute(
                f"VACUUM (ANALYZE) {table_name}"
                if connection.vendor == "postgresql"
                else f"ANALYZE {table_name}"
            )
    return {
        "generate": generating,
        "write": loading - generating,
        "delivery days": rollup,
        "analyze": time.perf_counter() - tick,
    }


def wipe_orders() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            f"TRUNCATE {', '.join(ORDER_TABLES)}, orders_deliveryday, orders_product, orders_historicalorder, "
            "orders_historicalorderline, orders_historicalpayment, orders_historicalproduct "
            "RESTART IDENTITY"
        )


def describe_data() -> list[str]:
    """Counts, status mix, skew and a consistency check of the loaded order book."""
    from django.db import connection

    out = []
    with connection.cursor() as cursor:

        def one(sql: str):
            cursor.execute(sql)
            return cursor.fetchone()

        orders, first, last = one(
            "SELECT count(*), min(order_date), max(order_date) FROM orders_order"
        )
        lines = one("SELECT count(*) FROM orders_orderline")[0]
        payments = one("SELECT count(*) FROM orders_payment")[0]
        out.append(
            f"{orders:,} orders ({first} to {last}), {lines:,} lines "
            f"({lines / max(orders, 1):.2f} per order), {payments:,} payments"
        )
        cursor.execute("SELECT status, count(*) FROM orders_order GROUP BY 1 ORDER BY 2 DESC")
        out.append(
            "status: " + ", ".join(f"{s} {c:,} ({c / orders:.1%})" for s, c in cursor.fetchall())
        )
        owing = one(
            "SELECT count(*) FROM orders_order WHERE status NOT IN ('draft', 'cancelled') "
            "AND total > paid"
        )[0]
        out.append(f"owing: {owing:,} orders ({owing / orders:.1%})")
        buyers, top, biggest = one(
            "SELECT count(*), sum(n) FILTER (WHERE rank <= ceil(0.2 * (SELECT count(*) FROM "
            "customers_customer))), max(n) FROM (SELECT count(*) AS n, row_number() OVER "
            "(ORDER BY count(*) DESC) AS rank FROM orders_order GROUP BY customer_id) t"
        )
        out.append(
            f"customers with orders: {buyers:,}; the busiest 20% of all customers place "
            f"{(top or 0) / orders:.0%} of the orders; the busiest one {biggest:,}"
        )
        bad = one(
            "SELECT count(*) FROM (SELECT id, total, paid FROM orders_order "
            "ORDER BY random() LIMIT 2000) o WHERE o.total <> (SELECT coalesce(sum(line_total), 0) "
            "FROM orders_orderline WHERE order_id = o.id) OR o.paid <> (SELECT "
            "coalesce(sum(amount), 0) FROM orders_payment WHERE order_id = o.id)"
        )[0]
        out.append(
            f"totals and paid consistent with lines and payments: {2000 - bad} of 2000 sampled"
        )
    return out


# --- measuring ----------------------------------------------------------------------


def measure(
    case: str,
    run: Callable[[str], None],
    terms: list[str],
    count: Callable[[str], int],
    budget: float,
    minimum: int = 3,
    warmup: int = 2,
) -> customer_list.Result:
    """Time ``run(term)`` per term after untimed warm-up; stop after ``budget`` seconds.

    At least ``minimum`` requests are timed; a warm-up longer than a quarter of the
    budget ends the warm-up.
    """
    from django.db import connection

    result = customer_list.Result(case)
    started = time.perf_counter()
    for term in terms[:warmup]:
        run(term)
        if time.perf_counter() - started > budget / 4:
            break
    started = time.perf_counter()
    for term in terms:
        if len(result.times) >= minimum and time.perf_counter() - started > budget:
            break
        timer = customer_list.QueryTimer()
        with connection.execute_wrapper(timer):
            tick = time.perf_counter()
            run(term)
            result.times.append(time.perf_counter() - tick)
        result.db_times.append(timer.seconds)
        result.queries.append(timer.queries)
        result.terms.append(term)
    result.matched = [count(term) for term in sorted(set(result.terms))]
    print(
        f"  {case}: {len(result.times)} requests, median "
        f"{statistics.median(result.times) * 1000:.0f} ms, db "
        f"{statistics.median(result.db_times) * 1000:.0f} ms, max {max(result.times) * 1000:.0f} ms",
        file=sys.stderr,
        flush=True,
    )
    return result


def http_get(client, path: Callable[[str], tuple[str, dict]]) -> Callable[[str], None]:
    """A run that GETs ``path(term)`` (path and query) and insists on a 200."""

    def run(term: str) -> None:
        url, params = path(term)
        status, body = client.get(url, params)
        if not status.startswith("200"):
            raise RuntimeError(f"GET {url} {params}: {status}\n{body[:2000]!r}")

    return run


def slowest_query_plan(run: Callable[[str], None], term: str) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of the SELECTs of one ``run(term)``: the slowest one.

    Every SELECT of the request is explained and the one with the longest execution
    time is shown (timings of a single captured run are too noisy to choose by).
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        run(term)
    selects = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT")
    ]
    if not selects:
        return "(no query)"
    if connection.vendor != "postgresql":
        return "(EXPLAIN ANALYZE only on PostgreSQL)"
    explained = []
    with connection.cursor() as cursor:
        for sql in selects:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [r[0] for r in cursor.fetchall()]
            ms = next(
                (float(line.split()[-2]) for line in plan if line.startswith("Execution Time")), 0.0
            )
            explained.append((ms, sql, "\n".join(plan)))
    ms, sql, plan = max(explained, key=lambda e: e[0])
    shown = sql if len(sql) < 3000 else sql[:3000] + " …"
    return (
        f"{len(selects)} SELECTs, {sum(e[0] for e in explained):.1f} ms of execution in all; "
        f"the slowest, {ms:.1f} ms:\n{shown}\n\n{plan}"
    )


@dataclass
class Customers:
    heavy: list[int]
    light: list[int]


def draw_customers(count: int, total: int, seed: int) -> Customers:
    """The customers with the most orders, and random live ones with 1–3 orders."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT o.customer_id FROM orders_order o JOIN customers_customer c "
            "ON c.id = o.customer_id WHERE c.merged_into_id IS NULL "
            "GROUP BY o.customer_id ORDER BY count(*) DESC, o.customer_id LIMIT %s",
            [count],
        )
        heavy = [r[0] for r in cursor.fetchall()]
        rng = random.Random(seed + 4)
        light: list[int] = []
        while len(light) < count:
            sample = rng.sample(range(1, total + 1), min(total, 2000))
            cursor.execute(
                "SELECT o.customer_id FROM orders_order o JOIN customers_customer c "
                "ON c.id = o.customer_id WHERE c.merged_into_id IS NULL "
                "AND o.customer_id = ANY(%s) GROUP BY o.customer_id HAVING count(*) <= 3",
                [sample],
            )
            light += [r[0] for r in cursor.fetchall()]
        rng.shuffle(light)
    return Customers(heavy, light[:count])


# --- the run ---------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="postgres://… (or sqlite:////path)")
    parser.add_argument("--customers", type=int, default=1_000_000, help="customers to load")
    parser.add_argument("--lines", type=int, default=10_000_000, help="order lines to load")
    parser.add_argument("--requests", type=int, default=100, help="timed requests per case (most)")
    parser.add_argument(
        "--case-seconds",
        type=float,
        default=60.0,
        help="stop timing a case after this long (at least 3 requests)",
    )
    parser.add_argument(
        "--reuse", action="store_true", help="keep customers (if exactly N) and orders loaded"
    )
    parser.add_argument(
        "--reset", action="store_true", help="delete the customers and orders already there first"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument(
        "--cases", default="", help="time only the cases whose name contains this text"
    )
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")
    os.environ.setdefault("CLIENTELA_DEBUG", "0")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.db.models import F
    from django.test import Client
    from django.utils import timezone

    from clientela.core.models import Role, User
    from clientela.core.services import api_token_create
    from clientela.customers.models import Customer
    from clientela.orders.models import Order, OrderLine, Product
    from clientela.orders.services import (
        order_transition,
        product_tolerance_apply,
        product_update,
    )

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    call_command("migrate", verbosity=0, interactive=False)
    present = Customer.objects.count()
    orders_present = Order.objects.exists()
    if present and not (args.reuse and present == args.customers):
        if not args.reset:
            sys.exit(
                f"The database already has {present:,} customers; pass --reuse to keep them "
                f"(only if there are exactly {args.customers:,}) or --reset to delete them."
            )
        wipe_orders()
        customer_list.wipe()
        present, orders_present = 0, False
    if not present:
        print(f"loading {args.customers:,} customers…", file=sys.stderr)
        timings = customer_list.load(args.customers, args.seed)
        print("customers load: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    else:
        print(f"reusing {present:,} customers")
    if orders_present and not args.reuse:
        sys.exit("The database already has orders; pass --reuse to keep them or --reset.")
    if not orders_present:
        print(f"loading {args.lines:,} order lines…", file=sys.stderr)
        timings = load_orders(args.customers, args.lines, args.seed)
        print("orders load: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    else:
        print("reusing the orders")
    data = describe_data()
    for line in data:
        print(line)

    owner, _ = User.objects.get_or_create(username="bench-owner", defaults={"role": Role.OWNER})
    client = Client()
    client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    browser = customer_list.WsgiClient({"HTTP_COOKIE": cookie})
    _token, raw = api_token_create(user=owner, name="benchmark")
    api = customer_list.WsgiClient({"HTTP_AUTHORIZATION": f"Bearer {raw}"})

    today = timezone.localdate()
    date_from = today - timedelta(days=365)
    period = {"date_from": date_from.isoformat(), "date_to": today.isoformat()}
    customers = draw_customers(max(5, min(args.requests, 50)), args.customers, args.seed)
    n = args.requests
    statuses = ["confirmed", "in_production", "ready", "delivered", "cancelled", "draft", "open"]
    status_terms = list(itertools.islice(itertools.cycle(statuses), n))
    heavy = list(itertools.islice(itertools.cycle(map(str, customers.heavy)), n))
    light = list(itertools.islice(itertools.cycle(map(str, customers.light)), n))
    mixed = [c for pair in zip(heavy, light, strict=True) for c in pair][:n]
    same = [""] * n

    def delivered(_term: str) -> int:
        return Order.objects.filter(
            status="delivered", delivered_on__range=(date_from, today)
        ).count()

    def delivered_lines(_term: str) -> int:
        return OrderLine.objects.filter(
            order__status="delivered", order__delivered_on__range=(date_from, today)
        ).count()

    def all_orders(_term: str) -> int:
        return Order.objects.count()

    def by_status(term: str) -> int:
        if term == "open":
            return Order.objects.exclude(status__in=["delivered", "cancelled"]).count()
        return Order.objects.filter(status=term).count()

    def owing(_term: str) -> int:
        return (
            Order.objects.exclude(status__in=["draft", "cancelled"])
            .filter(total__gt=F("paid"))
            .count()
        )

    def of_customer(term: str) -> int:
        return Order.objects.filter(customer_id=int(term)).count()

    def late(_term: str) -> int:
        return Order.objects.filter(
            delivered_on__range=(date_from, today), days_late__gt=F("tolerance_days")
        ).count()

    def late_of_product(term: str) -> int:
        product = Product.objects.get(pk=int(term))
        return Order.objects.filter(
            delivered_on__range=(date_from, today),
            days_late__gt=product.lead_time_tolerance_days,
            lines__product=product,
        ).count()

    # Writes that keep the lead-time figures, each rolled back so the data stays put.
    ready = [str(pk) for pk in Order.objects.filter(status="ready").values_list("pk", flat=True)]
    products = [str(pk) for pk in Product.objects.order_by("pk").values_list("pk", flat=True)]
    popular = products[:1] * n

    def deliver(term: str) -> None:
        with transaction.atomic():
            order = Order.objects.get(pk=int(term))
            order_transition(actor=owner, order=order, version=order.version, to="delivered")
            transaction.set_rollback(True)

    def retolerate(term: str) -> None:
        """A product's new tolerance saved, then the background task's recount."""
        with transaction.atomic():
            product = Product.objects.get(pk=int(term))
            product_update(
                actor=owner,
                product=product,
                version=product.version,
                lead_time_tolerance_days=product.lead_time_tolerance_days + 1,
            )
            product_tolerance_apply(product=product)
            transaction.set_rollback(True)

    def lines_of_product(term: str) -> int:
        return OrderLine.objects.filter(product_id=int(term)).count()

    lead = "/orders/lead-times/"
    api_lead = "/api/v1/orders/lead-times"
    cases: list[tuple[str, Callable[[str], None], list[str], Callable[[str], int]]] = [
        ("lead times: by product", http_get(browser, lambda t: (lead, {})), same, delivered_lines),
        (
            "lead times: by customer",
            http_get(browser, lambda t: (lead, {"group_by": "customer"})),
            same,
            delivered,
        ),
        (
            "lead times: by month",
            http_get(browser, lambda t: (lead, {"group_by": "month"})),
            same,
            delivered,
        ),
        (
            "customer page: heavy",
            http_get(browser, lambda t: (f"/customers/{t}/", {})),
            heavy,
            of_customer,
        ),
        (
            "customer page: light",
            http_get(browser, lambda t: (f"/customers/{t}/", {})),
            light,
            of_customer,
        ),
        ("order list: page 1", http_get(browser, lambda t: ("/orders/", {})), same, all_orders),
        (
            "order list: by status",
            http_get(browser, lambda t: ("/orders/", {"status": t})),
            status_terms,
            by_status,
        ),
        (
            "order list: owing",
            http_get(browser, lambda t: ("/orders/", {"owing": "on"})),
            same,
            owing,
        ),
        (
            "order list: one customer",
            http_get(browser, lambda t: ("/orders/", {"customer": t})),
            mixed,
            of_customer,
        ),
        ("api: orders, page 1", http_get(api, lambda t: ("/api/v1/orders", {})), same, all_orders),
        (
            "api: orders, by status",
            http_get(api, lambda t: ("/api/v1/orders", {"status": t})),
            [s for s in status_terms if s != "open"],
            by_status,
        ),
        (
            "api: orders, owing",
            http_get(api, lambda t: ("/api/v1/orders", {"owing": "true"})),
            same,
            owing,
        ),
        (
            "api: orders, one customer",
            http_get(api, lambda t: ("/api/v1/orders", {"customer_id": t})),
            mixed,
            of_customer,
        ),
        (
            "api: lead times by product",
            http_get(api, lambda t: (api_lead, {**period, "group_by": "product"})),
            same,
            delivered_lines,
        ),
        (
            "api: lead times by customer",
            http_get(api, lambda t: (api_lead, {**period, "group_by": "customer"})),
            same,
            delivered,
        ),
        (
            "api: lead times by month",
            http_get(api, lambda t: (api_lead, {**period, "group_by": "month"})),
            same,
            delivered,
        ),
        ("lead times: late orders", http_get(browser, lambda t: (f"{lead}late/", {})), same, late),
        (
            "lead times: late orders of a product",
            http_get(browser, lambda t: (f"{lead}late/", {"product": t})),
            list(itertools.islice(itertools.cycle(products), n)),
            late_of_product,
        ),
        (
            "api: late orders",
            http_get(api, lambda t: (f"{api_lead}/late", period)),
            same,
            late,
        ),
        ("write: deliver a ready order", deliver, ready[:n], lambda t: 1),
        (
            "write: new tolerance of the top product, and its recount",
            retolerate,
            popular,
            lines_of_product,
        ),
    ]
    cases = [case for case in cases if args.cases in case[0]]
    # The quick cases first, so their figures show in the progress lines early; the
    # writes last: their rolled-back updates leave dead rows (and clear PostgreSQL's
    # visibility map) that the reads would pay for until autovacuum passes. A vacuum
    # after them leaves the tables as a maintained database has them for the next run.
    cases.sort(
        key=lambda case: ("write:" in case[0], "lead times" in case[0], "tolerance" in case[0])
    )
    results = []
    plans = []
    for name, run, terms, count in cases:
        result = measure(name, run, terms, count, args.case_seconds)
        results.append(result)
        worst = max(zip(result.times, result.terms, strict=True))[1]
        plans.append((name, worst, slowest_query_plan(run, worst)))
    if connection.vendor == "postgresql" and any("write:" in case[0] for case in cases):
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) orders_order, orders_orderline")

    print()
    print(
        f"{args.customers:,} customers, {args.lines:,} order lines asked; up to {n} timed "
        f"requests per case (or {args.case_seconds:.0f} s), page size "
        f"{settings.CLIENTELA_PAGE_SIZE}, lead times for {date_from} to {today}; "
        f"{platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
            cursor.execute("SHOW shared_buffers")
            buffers = cursor.fetchone()[0]
            cursor.execute("SHOW work_mem")
            print(
                f"PostgreSQL {version}, shared_buffers {buffers}, work_mem {cursor.fetchone()[0]}"
            )
    print()
    print(customer_list.table(results))
    print()
    print("Slowest requests per case:")
    for result in results:
        print(f"  {result.case} (n={len(result.times)}): {result.slowest()}")
    for name, worst, plan in plans:
        print()
        print(f"=== {name}: slowest query of the slowest request ({worst or 'no term'}) ===")
        print(plan)


if __name__ == "__main__":
    main()
