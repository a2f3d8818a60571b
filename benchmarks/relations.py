"""Benchmark: relationship work (issue 16, item 14).

``pages`` measures the pages on a large book: a customer's timeline, the board, the
agenda, and what the contact check adds to recording a contact (``relations_pages.py``
loads the book and says how; its options follow the mode).

``import`` measures the import of interactions as a user runs it, against the customer
import in the same run: ``clientela import customers FILE`` of N synthetic Mexican
customers (``imports.customer_rows``, the file of ``benchmarks/imports.py``), then, with
those customers agreeing to calls, e-mail and WhatsApp, ``clientela import interactions
FILE`` of N contacts with them: a call log with the headers a salesperson's Excel has
(``RFC, Fecha, Canal, Tipo, Resultado, Notas, Vendedor``), four contacts with each of
the file's first N / 4 customers, at least 8 days apart over two years (so that every
outbound one passes the default limit of 4 in 30 days, each checked by the dry run),
days written day first with a time or year first without one, channels and directions
in Spanish, Russian and English, two thirds outbound, the salesperson by user name or
full name. Each import is a child process (the CLI's whole path: reading, the dry run,
the write), with its wall time and peak memory; the result is the time per row of each.

    .venv/bin/python benchmarks/relations.py import \\
        --database-url sqlite:////tmp/bench_relations.sqlite3 --rows 100000
    createdb -h 127.0.0.1 -U root bench_relations
    .venv/bin/python benchmarks/relations.py import \\
        --database-url postgres://root@127.0.0.1:5432/bench_relations --rows 100000
    createdb -h 127.0.0.1 -U root clientela_relations
    .venv/bin/python benchmarks/relations.py pages \\
        --database-url postgres://root@127.0.0.1:5432/clientela_relations
"""

import argparse
import csv
import os
import random
import sys
from concurrent.futures import ProcessPoolExecutor
from datetime import date, timedelta
from multiprocessing import get_context
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import imports  # the customers' file, the child processes, the database set-up

SEED = 20261207
PER_CUSTOMER = 4
HEADERS = ["RFC", "Fecha", "Canal", "Tipo", "Resultado", "Notas", "Vendedor"]
STAFF = [("ana", "Ana", "Ruiz"), ("luis", "Luis", "Pérez"), ("olga", "Ольга", "Смирнова")]
CHANNELS = [
    ("Llamada", 5),
    ("Teléfono", 2),
    ("Звонок", 1),
    ("Correo", 2),
    ("E-mail", 1),
    ("WhatsApp", 2),
    ("Visita", 1),
]
OUTCOMES = ["Contactado", "No contestó", "Interesado", "Dejé mensaje", "Pedido", "", ""]
NOTES = ["", "", "", "Pide catálogo", "Volver a llamar el lunes", "Перезвонить"]
# The call log's first day: two years before the run, so that nothing is in the future.
SPAN_DAYS = 700


def interaction_rows(count: int, customers: int, seed: int):
    """``count`` rows of the call log, ``PER_CUSTOMER`` with each of the customer file's
    first ``count / PER_CUSTOMER`` customers (found by RFC)."""
    rng = random.Random(seed)
    first = date.today() - timedelta(days=SPAN_DAYS + 10)
    channels = [name for name, _weight in CHANNELS]
    weights = [weight for _name, weight in CHANNELS]
    wanted = min(customers, -(-count // PER_CUSTOMER))
    written = 0
    for row in imports.customer_rows(wanted, imports.SEED):
        day = first + timedelta(days=rng.randrange(SPAN_DAYS - PER_CUSTOMER * 45))
        for _n in range(PER_CUSTOMER):
            if written == count:
                return
            day += timedelta(days=rng.randrange(8, 45))
            clock = f"{rng.randrange(8, 19):02d}:{rng.randrange(60):02d}"
            when = (
                f"{day:%d/%m/%Y} {clock}" if rng.random() < 0.7 else day.isoformat()
            )  # a date alone, as some exports write it
            direction = rng.choices(["Saliente", "Исходящий", "outbound", "Entrante"], [4, 1, 1, 3])
            username, given, family = rng.choice(STAFF)
            yield [
                row[0],
                when,
                rng.choices(channels, weights)[0],
                direction[0],
                rng.choice(OUTCOMES),
                rng.choice(NOTES),
                username if rng.random() < 0.5 else f"{given} {family}",
            ]
            written += 1


def log_file(folder: Path, count: int, seed: int) -> Path:
    """The call log of ``count`` rows, written once and reused by later runs."""
    path = folder / f"interactions-{count}-{seed}-{date.today():%Y%m%d}.csv"
    if not path.exists():
        partial = path.with_suffix(".partial.csv")
        with partial.open("w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(HEADERS)
            writer.writerows(interaction_rows(count, count, seed))
        partial.rename(path)
    return path


def relations_wipe() -> None:
    """Delete the interactions and activities (and their history) before the catalog."""
    from django.db import connection

    from clientela.relations.models import Activity, Interaction

    tables = [
        model._meta.db_table
        for model in (Interaction, Activity, Interaction.history.model, Activity.history.model)
    ]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"DELETE FROM {table}")


def staff_create() -> None:
    """The salespeople the call log names."""
    from clientela.core.models import Role, User

    for username, first, last in STAFF:
        User.objects.update_or_create(
            username=username, defaults={"first_name": first, "last_name": last, "role": Role.SALES}
        )


def consents_given() -> int:
    """Every customer agrees to calls, e-mail and WhatsApp (the customer import has no
    consent columns); the customers changed."""
    from clientela.customers.models import Customer

    return Customer.objects.update(consent_phone=True, consent_email=True, consent_sms=True)


def import_measure(args: argparse.Namespace) -> None:
    imports.django_setup(args.database_url, peer=False)
    from django.core.management import call_command

    from clientela.customers.models import Customer
    from clientela.relations.models import Interaction

    call_command("migrate", verbosity=0, interactive=False)
    if Customer.objects.exists() and not args.reset:
        sys.exit("The database has customers; pass --reset to delete them.")
    relations_wipe()
    imports.wipe()
    staff_create()
    folder = Path(args.data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("forkserver")) as writer:
        customers_path = writer.submit(
            imports.data_file, folder, "csv", args.rows, imports.SEED
        ).result()
        log_path = writer.submit(log_file, folder, args.rows, args.seed).result()
    launcher = ProcessPoolExecutor(max_workers=1, mp_context=get_context("forkserver"))
    clientela = str(Path(sys.executable).with_name("clientela"))
    env = {**os.environ, "CLIENTELA_IMPORT_MAX_MB": str(args.max_mb)}
    print(imports.machine())
    results = []
    for kind, path, model in (
        ("customers", customers_path, Customer),
        ("interactions", log_path, Interaction),
    ):
        if kind == "interactions":
            print(f"consents given to {consents_given():,} customers", flush=True)
        command = [clientela, "import", kind, str(path)]
        print(f"{' '.join(command[1:])}…", file=sys.stderr, flush=True)
        seconds, peak, output = launcher.submit(imports.run_child, command, env).result()
        print(output.strip().splitlines()[1] if len(output.strip().splitlines()) > 1 else output)
        created = model.objects.count()
        if created != args.rows:
            sys.exit(f"{created:,} {kind} after importing {args.rows:,} rows:\n{output[-3000:]}")
        results.append((kind, seconds, peak))
    launcher.shutdown()
    print()
    print(f"| {imports.database_description()} | rows | seconds | ms per row | peak memory (MiB) |")
    print("|---|---:|---:|---:|---:|")
    for kind, seconds, peak in results:
        print(
            f"| `clientela import {kind}` | {args.rows:,} | {seconds:,.1f} "
            f"| {1000 * seconds / args.rows:.3f} | {peak:,.0f} |"
        )
    ratio = results[0][1] / results[1][1]
    verdict = "met" if ratio >= 1 else "NOT met"
    print(
        f"\ncustomers' time per row / interactions' time per row: {ratio:.2f} "
        f"(target ≥ 1: {verdict})"
    )
    print(f"after: load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["pages"]:
        import relations_pages  # the large book and the pages' timings

        relations_pages.main(argv[1:])
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["import", "pages"])
    parser.add_argument("--database-url", required=True, help="postgres://… or sqlite:////path")
    parser.add_argument("--rows", type=int, default=100_000, help="rows of each file")
    parser.add_argument("--reset", action="store_true", help="delete the customers present")
    parser.add_argument("--data-dir", default="/tmp/clientela-bench-relations")
    parser.add_argument("--max-mb", type=int, default=400, help="CLIENTELA_IMPORT_MAX_MB")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    {"import": import_measure}[args.mode](args)


if __name__ == "__main__":
    main()
