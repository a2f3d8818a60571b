"""Benchmark: relationship work's pages on a large book (issue 16, item 14).

Loads (what is not loaded yet), straight into the tables as ``customer_list.py`` loads customers (COPY on
PostgreSQL), N customers, then I interactions, A activities and O open opportunities
spread over them and the 25 salespeople, with one customer given a long past: 5,000
timeline entries (contacts, activities, opportunities and notes). Then it times, in
process through Django's WSGI handler (as ``customer_list.py`` does):

- the customer's page of the customer with 5,000 entries (its timeline's first page),
  and a page of older entries deep in its timeline (the htmx "Show older");
- the board filtered by one salesperson;
- a salesperson's agenda;
- recording an outbound call with ``interaction_record`` with and without the contact
  check (``checked=True``), each rolled back: what the check adds.

    createdb -h 127.0.0.1 -U root clientela_relations
    .venv/bin/python benchmarks/relations.py pages \\
        --database-url postgres://root@127.0.0.1:5432/clientela_relations
"""

import argparse
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import customer_list  # the customers, the WSGI client, the table

ROOT = customer_list.ROOT
SEED = customer_list.SEED
CHUNK = 50_000
HEAVY_ENTRIES = 5_000
CHANNELS = ["phone", "email", "whatsapp", "sms", "mail", "web_form", "in_person", "social"]
OUTCOMES = ["reached", "no_answer", "left_message", "interested", "not_interested", ""]
KINDS = ["call", "visit", "meeting", "email", "task"]
KIND_CHANNELS = {"call": "phone", "visit": "in_person", "meeting": "in_person", "email": "email"}


def _rows_in_chunks(make: Callable[[int], dict], count: int):
    chunk: list[dict] = []
    for n in range(count):
        chunk.append(make(n))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def load_relations(
    customers: int, interactions: int, activities: int, opportunities: int, seed: int
) -> dict[str, float]:
    """Load the relations tables; the first customer is the one with a long past."""
    from django.core.management.color import no_style
    from django.db import connection, transaction

    from clientela.core.models import User
    from clientela.relations.models import (
        Activity,
        CustomerNote,
        Interaction,
        Opportunity,
        OpportunityStageChange,
        Stage,
    )

    rng = random.Random(seed + 16)
    owners = list(
        User.objects.filter(username__startswith="bench-sales-").values_list("pk", flat=True)
    )
    stages = list(
        Stage.objects.filter(is_won=False, is_lost=False).values_list("pk", "probability")
    )
    write = customer_list._table_writer(connection)
    now = datetime.now(UTC)
    two_years = 2 * 365 * 86400
    heavy = 1
    heavy_contacts, heavy_activities, heavy_deals = 3_000, 1_500, 300
    heavy_notes = HEAVY_ENTRIES - heavy_contacts - heavy_activities - heavy_deals
    timings: dict[str, float] = {}

    def customer_for(n: int, reserved: int) -> int:
        return heavy if n < reserved else rng.randrange(2, customers + 1)

    def interaction(n: int) -> dict:
        at = now - timedelta(seconds=rng.randrange(two_years))
        return {
            "id": n + 1,
            "created_at": at,
            "updated_at": at,
            "customer_id": customer_for(n, heavy_contacts),
            "channel": rng.choice(CHANNELS),
            "direction": "outbound" if rng.random() < 0.6 else "inbound",
            "at": at,
            "staff_id": rng.choice(owners),
            "subject": "Seguimiento",
            "outcome": rng.choice(OUTCOMES),
        }

    def activity(n: int) -> dict:
        kind = rng.choice(KINDS)
        due = now + timedelta(seconds=rng.randrange(-two_years, 30 * 86400))
        done = due < now - timedelta(days=3) or rng.random() < 0.5
        return {
            "id": n + 1,
            "created_at": due - timedelta(days=7),
            "updated_at": due,
            "kind": kind,
            "subject": "Llamar para pedido",
            "due_at": due,
            "duration_minutes": 30,
            "owner_id": rng.choice(owners),
            "customer_id": customer_for(n, heavy_activities),
            "channel": KIND_CHANNELS.get(kind, ""),
            "status": "done" if done else "open",
            "done_at": due if done else None,
            "outcome": "reached" if done and kind != "task" else "",
        }

    def opportunity(n: int) -> dict:
        stage, probability = rng.choice(stages)
        created = now - timedelta(seconds=rng.randrange(365 * 86400))
        return {
            "id": n + 1,
            "created_at": created,
            "updated_at": created,
            "customer_id": customer_for(n, heavy_deals),
            "title": "Surtido semanal",
            "value": Decimal(rng.randrange(500, 500_000)),
            "currency": "MXN",
            "stage_id": stage,
            "probability": probability,
            "expected_close": (now + timedelta(days=rng.randrange(-30, 180))).date(),
            "owner_id": rng.choice(owners),
            "stage_since": created,
        }

    def stage_changes(chunk: list[dict]) -> list[dict]:
        return [
            {
                "id": row["id"],
                "opportunity_id": row["id"],
                "to_stage_id": row["stage_id"],
                "at": now,
            }
            for row in chunk
        ]

    def note(n: int) -> dict:
        at = now - timedelta(seconds=rng.randrange(two_years))
        return {
            "id": n + 1,
            "created_at": at,
            "updated_at": at,
            "customer_id": heavy,
            "text": "Prefiere entregas por la mañana.",
            "pinned": n < 2,
        }

    for model, make, count in (
        (Interaction, interaction, interactions),
        (Activity, activity, activities),
        (Opportunity, opportunity, opportunities),
        (CustomerNote, note, heavy_notes),
    ):
        if model.objects.exists():  # loaded by an earlier run that stopped later
            continue
        tick = time.perf_counter()
        for chunk in _rows_in_chunks(make, count):
            with transaction.atomic():
                write(model, chunk)
                if model is Opportunity:
                    write(OpportunityStageChange, stage_changes(chunk))
        timings[model.__name__] = time.perf_counter() - tick
        print(f"  loaded {count:,} {model._meta.verbose_name_plural}", file=sys.stderr)
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(
            no_style(), [Interaction, Activity, Opportunity, OpportunityStageChange, CustomerNote]
        ):
            cursor.execute(sql)
        tick = time.perf_counter()
        if connection.vendor == "postgresql":
            for model in (Interaction, Activity, Opportunity, CustomerNote):
                cursor.execute(f"VACUUM (ANALYZE) {model._meta.db_table}")
        else:
            cursor.execute("ANALYZE")
        timings["analyze"] = time.perf_counter() - tick
    return timings


def measure(name: str, run: Callable[[], None], requests: int) -> list[float]:
    """Milliseconds of ``requests`` calls of ``run`` after three untimed ones."""
    for _ in range(3):
        run()
    times = []
    for _ in range(requests):
        tick = time.perf_counter()
        run()
        times.append((time.perf_counter() - tick) * 1000)
    print(f"  {name}: median {statistics.median(times):.1f} ms", file=sys.stderr)
    return times


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="postgres://… (or sqlite:////path)")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--interactions", type=int, default=5_000_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
    parser.add_argument("--opportunities", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--reuse", action="store_true", help="load nothing: measure what is loaded")
    parser.add_argument("--load-only", action="store_true", help="load, then stop")
    parser.add_argument("--seed", type=int, default=SEED)
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
    from django.test import Client
    from django.urls import reverse

    from clientela.core.models import Role, User
    from clientela.customers.models import Customer
    from clientela.customers.timeline import customer_timeline
    from clientela.relations.models import Interaction
    from clientela.relations.services import interaction_record

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}")
    call_command("migrate", verbosity=0, interactive=False)
    if not args.reuse:
        if not Customer.objects.exists():
            timings = customer_list.load(args.customers, args.seed)
            print("customers load: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
        timings = load_relations(
            args.customers, args.interactions, args.activities, args.opportunities, args.seed
        )
        print("relations load: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    if args.load_only:
        return
    owner, _ = User.objects.get_or_create(username="bench-owner", defaults={"role": Role.OWNER})
    salesperson = User.objects.filter(username__startswith="bench-sales-").order_by("pk").first()
    cookies = {}
    for user in (owner, salesperson):
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        cookies[user] = (
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
    as_owner = customer_list.WsgiClient({"HTTP_COOKIE": cookies[owner]})
    as_sales = customer_list.WsgiClient({"HTTP_COOKIE": cookies[salesperson]})
    heavy = Customer.objects.get(pk=1)
    deep = customer_timeline(customer=heavy, user=owner, limit=4_000).next

    def get(client, path: str, params: dict | None = None, headers: dict | None = None):
        def run() -> None:
            if headers:
                client.headers.update(headers)
            try:
                status, body = client.get(path, params or {})
            finally:
                for key in headers or {}:
                    client.headers.pop(key)
            if not status.startswith("200"):
                raise RuntimeError(f"GET {path}: {status}\n{body[:2000]!r}")

        return run

    rng = random.Random(args.seed + 7)
    sample = list(
        Customer.objects.filter(pk__gt=1, merged_into__isnull=True).values_list("pk", flat=True)[
            : args.requests * 20
        ]
    )
    consenting = list(Customer.objects.filter(pk__in=sample))
    for customer in consenting:  # in memory only: the check reads the row it locks
        customer.consent_phone = True

    def record(checked: bool) -> Callable[[], None]:
        def run() -> None:
            customer = rng.choice(consenting)
            with transaction.atomic():
                Customer.objects.filter(pk=customer.pk).update(consent_phone=True)
                interaction_record(
                    actor=owner,
                    customer=customer,
                    channel="phone",
                    direction="outbound",
                    subject="Benchmark",
                    override_reason="benchmark",
                    checked=checked,
                )
                transaction.set_rollback(True)

        return run

    cases = {
        "customer page, 5,000 timeline entries": get(
            as_owner, reverse("customers:detail", args=[heavy.pk])
        ),
        "older timeline page, entry 4,000 of 5,000": get(
            as_owner,
            reverse("customers:timeline", args=[heavy.pk]),
            {"before": deep},
            {"HTTP_HX_REQUEST": "true"},
        ),
        "board, one salesperson": get(
            as_owner, reverse("relations:pipeline"), {"owner": salesperson.pk}
        ),
        "agenda of a salesperson": get(as_sales, reverse("relations:agenda")),
        "record an outbound call, without the check": record(True),
        "record an outbound call, with the check": record(False),
    }
    results = {name: measure(name, run, args.requests) for name, run in cases.items()}
    print()
    print(
        f"{platform.node()} · {connection.vendor} · {args.customers:,} customers, "
        f"{Interaction.objects.count():,} interactions"
    )
    print("| case | median ms | p95 ms |")
    print("|---|---:|---:|")
    for name, times in results.items():
        p95 = statistics.quantiles(times, n=20, method="inclusive")[18]
        print(f"| {name} | {statistics.median(times):.1f} | {p95:.1f} |")
    added = statistics.median(
        results["record an outbound call, with the check"]
    ) - statistics.median(results["record an outbound call, without the check"])
    print(f"\nthe contact check adds {added:.2f} ms (difference of the medians)")


if __name__ == "__main__":
    main()
