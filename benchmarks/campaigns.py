"""Benchmark: campaigns (issue 17, item 11).

``count`` measures the live count of a segment of four conditions over N customers with
scores: loads (what is not loaded yet) N customers as ``customer_list.py`` does (COPY on
PostgreSQL: cities, tags, consents, owners), one analysis run and a score per customer
with realistic shares of RFM segments, Pareto classes, ladder stages, lifetime values,
probabilities alive and purchase dates; then times
``selectors.segment_count(user=owner, conditions=…)`` for "RFM segment champions or
loyal, probability alive at least 50 %, city Guadalajara, agrees to e-mail", and prints
its plan (EXPLAIN ANALYZE on PostgreSQL).

``launch`` measures ``services.campaign_launch`` of an e-mail campaign to N customers
(all of them: kind business or person; or, with ``--cities``, those of some cities of a
larger book) as the owner: the members frozen, those without
consent or address and those over the contact limit (1 % of the customers got four
outbound contacts in the last days) set aside, a 10 % hold-out drawn by Pareto class.
Each launch is rolled back, so the runs measure the same launch.

    createdb -h 127.0.0.1 -U root clientela_cbench
    .venv/bin/python benchmarks/campaigns.py count \\
        --database-url postgres://root@127.0.0.1:5432/clientela_cbench
    .venv/bin/python benchmarks/campaigns.py launch --reuse --cities Guadalajara Colima \\
        --database-url postgres://root@127.0.0.1:5432/clientela_cbench
    .venv/bin/python benchmarks/campaigns.py launch \\
        --database-url sqlite:////tmp/clientela_cbench_launch.sqlite3

``send`` measures a campaign's e-mail sent into a local SMTP server
(``campaign_sending.py`` says how):

    .venv/bin/python benchmarks/campaigns.py send \\
        --database-url postgres://root@127.0.0.1:5432/bench_campaigns --reset
"""

import argparse
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import campaign_sending  # the e-mail sending's benchmark
import customer_list  # the customers, their loading with COPY

ROOT = customer_list.ROOT
SEED = customer_list.SEED
CHUNK = 50_000
# (key, weight) of the RFM segments, Pareto classes and ladder stages of the scores.
RFM = [
    ("champions", 8), ("loyal", 10), ("potential_loyalist", 12), ("new", 5), ("promising", 4),
    ("need_attention", 8), ("about_to_sleep", 8), ("at_risk", 10), ("cant_lose", 4),
    ("hibernating", 11), ("lost", 15), ("", 5),
]  # fmt: skip
PARETO = [("A", 20), ("B", 30), ("C", 50)]
LADDER = [
    ("buyer", 30), ("occasional", 30), ("regular", 20), ("exclusive", 5), ("advocate", 3),
    ("potential", 7), ("possible", 5),
]  # fmt: skip
SEGMENT = [
    {"field": "rfm_segment", "op": "in", "value": ["champions", "loyal"]},
    {"field": "probability_alive", "op": "between", "value": {"min": 50}},
    {"field": "city", "op": "in", "value": ["Guadalajara"]},
    {"field": "consent_email", "op": "is", "value": True},
]
PRESSED_SHARE = 0.01  # customers given four outbound contacts in the last days


def django_setup(database_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")
    os.environ.setdefault("CLIENTELA_DEBUG", "0")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def _chunks(make: Callable[[int], dict], first: int, count: int):
    chunk: list[dict] = []
    for n in range(first, first + count):
        chunk.append(make(n))
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def load_scores(seed: int) -> float:
    """One analysis run as of today and a score for every customer; the seconds it took."""
    from django.db import connection, transaction

    from clientela.analytics.models import AnalysisRun, CustomerScore, RunStatus
    from clientela.customers.models import Customer

    today = date.today()
    if CustomerScore.objects.filter(as_of=today).exists():
        return 0.0
    tick = time.perf_counter()
    AnalysisRun.objects.create(as_of=today, status=RunStatus.DONE, progress=100)
    rng = random.Random(seed + 17)
    write = customer_list._table_writer(connection)
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    keys = {
        name: [key for key, _w in pairs]
        for name, pairs in (("rfm", RFM), ("pareto", PARETO), ("ladder", LADDER))
    }
    weights = {
        name: [w for _k, w in pairs]
        for name, pairs in (("rfm", RFM), ("pareto", PARETO), ("ladder", LADDER))
    }

    def score(n: int) -> dict:
        segment = rng.choices(keys["rfm"], weights["rfm"])[0]
        bought = segment != ""
        first = today - timedelta(days=rng.randrange(30, 6 * 365))
        last = first + timedelta(days=rng.randrange(max(1, (today - first).days)))
        alive = rng.betavariate(2, 2) if bought else None
        purchases = rng.randrange(1, 60) if bought else 0
        lost = segment in ("lost", "hibernating")
        at_risk = segment in ("at_risk", "cant_lose", "about_to_sleep")
        return {
            "id": n + 1,
            "customer_id": ids[n],
            "as_of": today,
            "purchases": purchases,
            "frequency": max(0, purchases - 1),
            "recency_days": (last - first).days if bought else 0,
            "age_days": (today - first).days if bought else 0,
            "first_purchase_on": first if bought else None,
            "last_purchase_on": last if bought else None,
            "days_since_last": (today - last).days if bought else None,
            "total_revenue": Decimal(rng.randrange(100, 500_000)) if bought else Decimal(0),
            "period_revenue": Decimal(rng.randrange(0, 100_000)) if bought else Decimal(0),
            "pareto_class": rng.choices(keys["pareto"], weights["pareto"])[0] if bought else "",
            "rfm_segment": segment,
            "probability_alive": alive,
            "clv": Decimal(round(rng.lognormvariate(8, 1.2), 2)) if bought else None,
            "ladder_stage": rng.choices(keys["ladder"], weights["ladder"])[0],
            "at_risk_by_rule": at_risk,
            "at_risk_by_model": at_risk and rng.random() < 0.5,
            "lost_by_rule": lost,
            "lost_by_model": lost and rng.random() < 0.5,
        }

    for chunk in _chunks(score, 0, len(ids)):
        with transaction.atomic():
            write(CustomerScore, chunk)
        if chunk[-1]["id"] % 200_000 < CHUNK:
            print(f"  loaded {chunk[-1]['id']:,} scores", file=sys.stderr, flush=True)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"VACUUM (ANALYZE) {CustomerScore._meta.db_table}")
        else:
            cursor.execute("ANALYZE")
    return time.perf_counter() - tick


def load_pressure(seed: int) -> int:
    """Four outbound contacts in the last days for ``PRESSED_SHARE`` of the customers (the
    default limit is four in 30 days): those are set aside at launch."""
    from django.db import connection, transaction

    from clientela.customers.models import Customer
    from clientela.relations.models import Interaction

    if Interaction.objects.exists():
        return Interaction.objects.count()
    rng = random.Random(seed + 23)
    ids = list(Customer.objects.order_by("pk").values_list("pk", flat=True))
    pressed = rng.sample(ids, round(len(ids) * PRESSED_SHARE))
    now = datetime.now(UTC)
    rows = [
        {
            "id": n + 1,
            "created_at": now,
            "updated_at": now,
            "customer_id": pk,
            "channel": "phone",
            "direction": "outbound",
            "at": now - timedelta(days=rng.randrange(1, 20), seconds=rng.randrange(86400)),
            "subject": "Seguimiento",
        }
        for n, pk in enumerate(pk for pk in pressed for _ in range(4))
    ]
    with transaction.atomic():
        customer_list._table_writer(connection)(Interaction, rows)
    with connection.cursor() as cursor:  # fresh statistics, as autovacuum would in time
        cursor.execute(f"ANALYZE {Interaction._meta.db_table}")
    return len(rows)


def prepare(args: argparse.Namespace) -> None:
    """Load what is not loaded yet (unless ``--reuse``)."""
    from clientela.customers.models import Customer

    if args.reuse:
        return
    if not Customer.objects.exists():
        timings = customer_list.load(args.customers, args.seed)
        print("customers load: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    print(f"scores load: {load_scores(args.seed):.0f} s")


def owner_get():
    from clientela.core.models import Role, User

    owner, _created = User.objects.get_or_create(
        username="bench-owner", defaults={"role": Role.OWNER}
    )
    return owner


def header(args: argparse.Namespace, what: str) -> None:
    from django.db import connection

    from clientela.customers.models import Customer

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"\n{platform.node()} · {connection.vendor} · {Customer.objects.count():,} customers"
        f" · {what} · load average {load}"
    )


def timed(name: str, run: Callable[[], object], runs: int, warm: int = 2) -> list[float]:
    """Milliseconds of ``runs`` calls of ``run`` after ``warm`` untimed ones."""
    for _ in range(warm):
        run()
    times = []
    for _ in range(runs):
        tick = time.perf_counter()
        run()
        times.append((time.perf_counter() - tick) * 1000)
    print(f"  {name}: median {statistics.median(times):.1f} ms", file=sys.stderr)
    return times


# The four conditions of SEGMENT as the segment builder posts them.
SEGMENT_FORM = {
    "c-0-field": "rfm_segment", "c-0-op": "in", "c-0-values": ["champions", "loyal"],
    "c-1-field": "probability_alive", "c-1-op": "between", "c-1-min": "50",
    "c-2-field": "city", "c-2-op": "in", "c-2-text": "Guadalajara",
    "c-3-field": "consent_email", "c-3-op": "is", "c-3-flag": "yes",
}  # fmt: skip


def count_page_timed(owner, runs: int, found: int) -> list[float]:
    """Milliseconds of the builder's live count over HTTP (Django's test client, signed
    in as ``owner``: middleware, session, form cleaning, the query, the template); checks
    it says ``found``."""
    from django.test import Client
    from django.urls import reverse
    from django.utils.formats import number_format

    client = Client(HTTP_HOST="localhost")
    client.force_login(owner)
    url = reverse("campaigns:segment_count")
    answer = client.post(url, SEGMENT_FORM).content.decode()
    shown = number_format(found, force_grouping=True)
    if shown not in answer:
        sys.exit(f"the page's count is not {shown}: {answer[:300]}")
    return timed("segment count page", lambda: client.post(url, SEGMENT_FORM), runs)


def count_measure(args: argparse.Namespace) -> None:
    """Time the live count of a four-condition segment."""
    django_setup(args.database_url)
    prepare(args)
    if args.load_only:
        return
    from django.db import connection

    from clientela.analytics.selectors import score_latest_date
    from clientela.campaigns import selectors
    from clientela.campaigns.conditions import conditions_clean, conditions_q
    from clientela.customers.selectors import customer_scope

    owner = owner_get()
    conditions = conditions_clean(SEGMENT)
    found = selectors.segment_count(user=owner, conditions=conditions)
    times = timed(
        "segment_count",
        lambda: selectors.segment_count(user=owner, conditions=conditions),
        args.runs,
    )
    header(args, "segment count")
    print(f"conditions: {SEGMENT}")
    print(f"customers found: {found:,}")
    page = count_page_timed(owner, args.runs, found)
    print("| case | runs | median ms | p95 ms |")
    print("|---|---:|---:|---:|")
    for case, measured in (
        ("`selectors.segment_count`, 4 conditions", times),
        ("the builder's live count: `POST /campaigns/segments/count/`, signed in", page),
    ):
        p95 = statistics.quantiles(measured, n=20, method="inclusive")[18]
        print(f"| {case} | {args.runs} | {statistics.median(measured):.1f} | {p95:.1f} |")
    verdict = "met" if statistics.median(page) < 300 else "NOT met"
    print(f"target (the page): median < 300 ms: {verdict}")
    if connection.vendor == "postgresql" and args.explain:
        query = (
            customer_scope(user=owner)
            .filter(conditions_q(conditions, score_latest_date()))
            .order_by()
        )
        sql, params = query.values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"EXPLAIN (ANALYZE, BUFFERS) SELECT COUNT(*) FROM ({sql}) AS found", params
            )
            print("\n".join(row[0] for row in cursor.fetchall()))


def launch_measure(args: argparse.Namespace) -> None:
    """Time the launch of an e-mail campaign to every customer, rolled back each time."""
    django_setup(args.database_url)
    prepare(args)
    print(f"outbound contacts for pressure: {load_pressure(args.seed):,}")
    if args.load_only:
        return
    from django.db import transaction

    from clientela.campaigns.models import CampaignMember
    from clientela.campaigns.services import (
        campaign_create,
        campaign_launch,
        campaign_message_set,
        segment_create,
    )

    owner = owner_get()
    counts: dict[str, int] = {}
    conditions = [{"field": "kind", "op": "in", "value": ["business", "person"]}]
    if args.cities:
        conditions.append({"field": "city", "op": "in", "value": args.cities})

    def launch() -> None:
        with transaction.atomic():
            segment = segment_create(
                actor=owner, name=f"Todos {time.monotonic_ns()}", conditions=conditions
            )
            today = date.today()
            campaign = campaign_create(
                actor=owner,
                segment=segment,
                name="Benchmark",
                channel="email",
                starts_on=today,
                ends_on=today + timedelta(days=30),
            )
            campaign_message_set(
                actor=owner, campaign=campaign, subject="Hola {{ first_name }}", body="{{ offer }}"
            )
            tick = time.perf_counter()
            campaign_launch(actor=owner, campaign=campaign)
            launched.append(time.perf_counter() - tick)
            for group, reason in CampaignMember.objects.filter(campaign=campaign).values_list(
                "group", "reason"
            ):
                key = f"{group} {reason}".strip()
                counts[key] = counts.get(key, 0) + 1
            transaction.set_rollback(True)

    launched: list[float] = []
    for n in range(args.runs):
        counts.clear()
        launch()
        print(f"  launch {n + 1}: {launched[-1]:.1f} s", file=sys.stderr, flush=True)
    header(args, "campaign launch")
    print("members: " + ", ".join(f"{key} {value:,}" for key, value in sorted(counts.items())))
    print("| case | runs | median s | slowest s |")
    print("|---|---:|---:|---:|")
    print(
        f"| `services.campaign_launch`, e-mail, {sum(counts.values()):,} members "
        f"| {args.runs} | {statistics.median(launched):.1f} | {max(launched):.1f} |"
    )
    verdict = "met" if statistics.median(launched) < 30 else "NOT met"
    print(f"target: < 30 s: {verdict}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    count = commands.add_parser("count", help="the live count of a segment")
    count.add_argument("--customers", type=int, default=1_000_000)
    count.add_argument("--runs", type=int, default=30)
    count.add_argument("--explain", action=argparse.BooleanOptionalAction, default=True)
    count.set_defaults(measure=count_measure)
    launch = commands.add_parser("launch", help="the launch of an e-mail campaign")
    launch.add_argument("--customers", type=int, default=100_000)
    launch.add_argument("--runs", type=int, default=3)
    launch.add_argument(
        "--cities", nargs="*", default=[], help="only customers of these cities (a larger book)"
    )
    launch.set_defaults(measure=launch_measure)
    for sub in (count, launch):
        sub.add_argument("--database-url", required=True, help="postgres://… or sqlite:////path")
        sub.add_argument(
            "--reuse", action="store_true", help="load nothing: measure what is loaded"
        )
        sub.add_argument("--load-only", action="store_true", help="load, then stop")
        sub.add_argument("--seed", type=int, default=SEED)
    send = commands.add_parser("send", help="e-mail sent into a local SMTP server")
    send.add_argument("--database-url", required=True, help="postgres://… or sqlite:////path")
    send.add_argument("--customers", type=int, default=20_000)
    send.add_argument("--batch", type=int, default=0, help="messages per batch (the task's)")
    send.add_argument("--reset", action="store_true", help="delete the customers present")
    send.add_argument("--seed", type=int, default=campaign_sending.SEED)
    send.set_defaults(measure=campaign_sending.send_measure)
    args = parser.parse_args(argv)
    args.measure(args)


if __name__ == "__main__":
    main()
