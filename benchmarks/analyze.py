"""Benchmark: ``clientela analyze`` on a whole database, then the pages it feeds.

Issue 4's figure: ``clientela analyze`` on the whole database with 1,000,000 customers and
10,000,000 order lines in PostgreSQL under 60 s, with its peak memory. Run it on the
database ``benchmarks/orders.py`` loaded (it leaves the customers and orders in place):

    .venv/bin/python benchmarks/analyze.py \\
        --database-url postgres://root@127.0.0.1:5432/clientela_bench_orders

The analysis runs as the console script in a process of its own (``--as-of``, default the
day after the latest analysis, so that each run is a new day's, with its ladder
transitions against the day before), timed from start to exit, with the peak resident
memory of that process and of the process it starts for the comparison model; then the
run's own step times and model fits are printed from the database. Then, in process
through Django's WSGI handler (as ``customer_list.py`` does), the dashboard and the
score lists it feeds are timed (``--requests`` each, after a warm-up), with the time in
the database and the query count.
"""

import argparse
import os
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import customer_list  # the WSGI client, the timing and the table

ROOT = customer_list.ROOT
PAGES = [
    ("dashboard", "/analytics/", {}),
    ("score list: all", "/analytics/customers/", {}),
    ("score list: champions", "/analytics/customers/", {"segment": "champions"}),
    ("score list: drifting away", "/analytics/customers/", {"churn": "at_risk"}),
    ("score list: class A", "/analytics/customers/", {"pareto_class": "A"}),
    (
        "score list: regulars by value at stake",
        "/analytics/customers/",
        {
            "stage": "regular",
            "order": "value_at_stake",
        },
    ),
]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="postgres://… (or sqlite:////path)")
    parser.add_argument("--as-of", help="the analysis date (default: the day after the latest)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page")
    args = parser.parse_args(argv)

    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")
    os.environ.setdefault("CLIENTELA_DEBUG", "0")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from clientela.analytics.models import AnalysisRun, CustomerScore
    from clientela.core.models import Role, User
    from clientela.customers.models import Customer
    from clientela.orders.models import Order, OrderLine

    latest = AnalysisRun.objects.order_by("-as_of").values_list("as_of", flat=True).first()
    as_of = args.as_of or (latest + timedelta(days=1) if latest else timezone.localdate())
    print(
        f"database: {connection.vendor} {connection.settings_dict['NAME']}; "
        f"{Customer.objects.count():,} customers, {Order.objects.count():,} orders, "
        f"{OrderLine.objects.count():,} lines, "
        f"{CustomerScore.objects.count():,} scores of earlier runs"
    )
    connection.close()

    command = [str(Path(sys.executable).with_name("clientela")), "analyze", "--as-of", str(as_of)]
    started = time.perf_counter()
    finished = subprocess.run(command, env=os.environ, capture_output=True, text=True)
    wall = time.perf_counter() - started
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(finished.stdout, finished.stderr, sep="")
    if finished.returncode:
        sys.exit(f"clientela analyze exited with {finished.returncode}")
    run = AnalysisRun.objects.filter(as_of=as_of).latest("started_at")
    steps = " · ".join(f"{step} {seconds:.1f}" for step, seconds in run.figures["seconds"].items())
    models = " · ".join(
        f"{name} {record.get('status')} {record.get('seconds', 0):.1f} s"
        for name, record in run.fitted_models.items()
    )
    print(
        f"clientela analyze --as-of {as_of}: {wall:.1f} s wall (target < 60 s), "
        f"peak memory {peak_mib:,.0f} MiB (the largest of its processes); "
        f"{run.customers_scored:,} customers scored, {run.figures['transitions']:,} transitions"
    )
    print(f"  steps (s): {steps}")
    print(f"  models: {models}")

    owner, _ = User.objects.get_or_create(username="bench-owner", defaults={"role": Role.OWNER})
    client = Client()
    client.force_login(owner, backend="django.contrib.auth.backends.ModelBackend")
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
    browser = customer_list.WsgiClient({"HTTP_COOKIE": cookie})

    def page(path: str, params: dict):
        def run(_term: str) -> None:
            status, body = browser.get(path, params)
            if not status.startswith("200"):
                raise RuntimeError(f"GET {path} {params}: {status}\n{body[:2000]!r}")

        return run

    results = [
        customer_list.measure(
            name, page(path, params), [""] * args.requests, lambda _t: run.customers_scored
        )
        for name, path, params in PAGES
    ]
    print()
    print(customer_list.table(results))


if __name__ == "__main__":
    main()
