"""Benchmark: importing customers from a spreadsheet, against django-import-export.

``compare`` writes an .xlsx of N synthetic Mexican customers (a valid RFC with its check
digit, a name and often a legal name, an e-mail, a phone written the national way,
tags, a street, neighbourhood, city, state and postal code, sometimes a contact; every
RFC, e-mail and phone different) and imports it twice in one process, into empty tables
of the same database: through Clientela's whole path (``open_sheet`` → ``match_columns``
→ ``sheet_import``: the dry run's checks and matching, then customers, e-mails, phones,
tags, addresses, contacts, their history, search text, duplicate candidates), and through
django-import-export 4 (``benchmarks/import_peer``: a flat model with the same fields,
the file read by tablib, ``resource.import_data(dataset, dry_run=False)``, an existing
customer looked up by RFC, the RFC checked by python-stdnum with its check digit, the
e-mail by email-validator, the phone by phonenumbers — Clientela's own validators — and
the model's ``full_clean``). Both start with the file's 12 tags in their tag table.

``memory`` writes a CSV of N customers (and one of its first tenth), then, for each size,
in a fresh database: runs ``clientela import customers FILE`` and
``clientela export customers OUT.csv`` as child processes, reporting each one's wall
time and peak resident memory, its own and its sheet reader's summed.

    .venv/bin/python benchmarks/imports.py compare \\
        --database-url sqlite:////tmp/bench_imports.sqlite3 --customers 100000
    createdb -h 127.0.0.1 -U root bench_imports
    .venv/bin/python benchmarks/imports.py compare \\
        --database-url postgres://root@127.0.0.1:5432/bench_imports --customers 100000
    createdb -h 127.0.0.1 -U root bench_imports_1m
    .venv/bin/python benchmarks/imports.py memory \\
        --database-url postgres://root@127.0.0.1:5432/bench_imports_1m --customers 1000000

``readers`` measures the .xlsx reader Clientela uses (openpyxl, streamed) against
python-calamine (which reads .xls and .ods) on the same .xlsx of N customers: for each,
reading every row of ``open_sheet`` alone, at N and at 10 N rows, then ``clientela
import customers FILE`` at N rows into the emptied database, each as a child process
with its wall time and peak resident memory (its sheet reader's summed). Calamine reads
through ``reading.calamine_rows`` in place of ``reading._xlsx_rows``.

    .venv/bin/python benchmarks/imports.py readers \\
        --database-url sqlite:////tmp/bench_readers.sqlite3 --customers 100000
"""

import argparse
import csv
import itertools
import os
import platform
import random
import re
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from multiprocessing import get_context
from pathlib import Path
from xml.sax.saxutils import escape

sys.path.insert(0, str(Path(__file__).resolve().parent))
import customer_list  # the synthetic names, RFCs, phones and places

ROOT = customer_list.ROOT
SEED = 20250115
HEADERS = [
    "RFC",
    "Nombre",
    "Razón social",
    "Correo",
    "Teléfono",
    "Etiquetas",
    "Dirección",
    "Colonia",
    "Ciudad",
    "Estado",
    "CP",
    "Contacto",
]
TARGET_SPEEDUP = 5
TARGET_MIB = 500


# --- the files -------------------------------------------------------------------------


def customer_rows(count: int, seed: int) -> Iterator[list[str]]:
    """``count`` rows of the file, as a person types them; RFCs, e-mails and phones unique."""
    rng = random.Random(seed)
    tax_ids: set[str] = set()
    phones: set[str] = set()
    cl = customer_list
    for n in range(count):
        city = rng.choices(cl.CITIES, cl.CITY_WEIGHTS)[0]
        if rng.random() < 0.3:
            first = rng.choice(cl.FIRST_NAMES)
            surname, second = rng.choices(cl.SURNAMES, cl.SURNAME_WEIGHTS, k=2)
            name, legal_name = f"{first} {surname} {second}", ""
            email = f"{cl._slug(first)}.{cl._slug(surname)}.{n}@{rng.choice(cl.MAIL_DOMAINS)}"
            make_rfc = partial(cl._person_rfc, first, surname, second, rng)
            contact = ""
        else:
            brand = rng.choice(cl.BRAND_WORDS)
            name = f"{rng.choice(cl.TRADES)} {brand}"
            legal_name = f"{name} {rng.choice(cl.LEGAL_FORMS)}" if rng.random() < 0.45 else ""
            email = f"{rng.choice(['ventas', 'contacto', 'info'])}.{n}@{cl._slug(brand)}.com.mx"
            make_rfc = partial(cl._business_rfc, legal_name or name, rng)
            contact = (
                f"{rng.choice(cl.FIRST_NAMES)} {rng.choices(cl.SURNAMES, cl.SURNAME_WEIGHTS)[0]}"
                if rng.random() < 0.35
                else ""
            )
        tax_id = make_rfc()
        while tax_id in tax_ids:
            tax_id = make_rfc()
        tax_ids.add(tax_id)
        phone = cl._phone(city, rng)
        while phone in phones:
            phone = cl._phone(city, rng)
        phones.add(phone)
        tags = ", ".join(sorted(set(rng.choices(cl.TAGS, k=rng.choice([0, 1, 1, 2])))))
        street = f"{rng.choice(cl.STREET_KINDS)} {rng.choice(cl.STREETS)} {rng.randrange(1, 3000)}"
        digits = 5 - len(city[3])
        postal_code = f"{city[3]}{rng.randrange(10**digits):0{digits}d}"
        yield [
            tax_id,
            name,
            legal_name,
            email,
            cl._national(phone),
            tags,
            street,
            f"Col. {rng.choice(cl.NEIGHBORHOODS)}",
            city[0],
            city[1],
            postal_code,
            contact,
        ]


_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
        '<Override PartName="/xl/styles.xml" ContentType="application/'
        'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Clientes" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(
            f'<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/'
            f'officeDocument/2006/relationships/{kind}" Target="{target}"/>'
            for n, (kind, target) in enumerate(
                [
                    ("worksheet", "worksheets/sheet1.xml"),
                    ("sharedStrings", "sharedStrings.xml"),
                    ("styles", "styles.xml"),
                ],
                start=1,
            )
        )
        + "</Relationships>"
    ),
    "xl/styles.xml": (
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
        '<borders count="1"><border/></borders><cellStyleXfs count="1"><xf/></cellStyleXfs>'
        '<cellXfs count="1"><xf xfId="0"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        "</styleSheet>"
    ),
}


def write_xlsx(path: Path, count: int, seed: int) -> None:
    """The rows as Excel saves them: text in the shared strings table, the sheet's size
    in its ``dimension``. (openpyxl writes every cell's text inline, which both importers
    read several times slower than what Excel writes.)"""
    columns = [chr(ord("A") + n) for n in range(len(HEADERS))]
    strings: dict[str, int] = {}
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                f'<dimension ref="A1:{columns[-1]}{count + 1}"/><sheetData>'.encode()
            )
            rows = itertools.chain([HEADERS], customer_rows(count, seed))
            for number, row in enumerate(rows, start=1):
                cells = "".join(
                    f'<c r="{column}{number}" t="s"><v>{strings.setdefault(text, len(strings))}'
                    "</v></c>"
                    for column, text in zip(columns, row, strict=True)
                    if text
                )
                sheet.write(f'<row r="{number}">{cells}</row>'.encode())
            sheet.write(b"</sheetData></worksheet>")
        with archive.open("xl/sharedStrings.xml", "w") as table:
            table.write(
                '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                f'uniqueCount="{len(strings)}">'.encode()
            )
            for text in strings:
                table.write(f"<si><t>{escape(text)}</t></si>".encode())
            table.write(b"</sst>")
        for name, xml in _XLSX_PARTS.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8"?>\n' + xml)


def write_csv(path: Path, count: int, seed: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(HEADERS)
        writer.writerows(customer_rows(count, seed))


def data_file(folder: Path, suffix: str, count: int, seed: int) -> Path:
    """The file of ``count`` rows, written once and reused by later runs."""
    path = folder / f"customers-{count}-{seed}.{suffix}"
    if not path.exists():
        tick = time.perf_counter()
        partial = path.with_suffix(f".partial.{suffix}")
        (write_xlsx if suffix == "xlsx" else write_csv)(partial, count, seed)
        partial.rename(path)
        print(f"wrote {path} in {time.perf_counter() - tick:.0f} s", file=sys.stderr)
    return path


# --- the database ----------------------------------------------------------------------


def django_setup(database_url: str, *, peer: bool) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clientela.settings")
    os.environ.setdefault("SECRET_KEY", "benchmark-only-not-secret")
    os.environ.setdefault("CLIENTELA_DEBUG", "0")
    import django
    from django.conf import settings

    if peer:
        settings.INSTALLED_APPS = [*settings.INSTALLED_APPS, "import_export", "import_peer"]
    django.setup()


def fresh_catalog(reset: bool) -> None:
    """Migrate; refuse to run on customers already there unless ``reset`` (then delete them)."""
    from django.core.management import call_command

    from clientela.customers.models import Customer

    call_command("migrate", verbosity=0, interactive=False)
    present = Customer.objects.count()
    if present:
        if not reset:
            sys.exit(f"The database has {present:,} customers; pass --reset to delete them.")
        wipe()


def wipe() -> None:
    """Delete the customers, their history, duplicates, tags and webhook deliveries."""
    from django.apps import apps
    from django.db import connection

    tables = [
        *customer_list.CATALOG_TABLES,
        *(
            m._meta.db_table
            for m in apps.get_app_config("customers").get_models()
            if m._meta.db_table.startswith("customers_historical")
        ),
        "customers_tag",
        "webhooks_webhookdelivery",
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
        else:
            for table in tables:
                cursor.execute(f"DELETE FROM {table}")
            cursor.execute("VACUUM")


def peer_tables() -> None:
    """(Re)create the peer's tables, empty."""
    from django.db import connection
    from import_peer.models import PeerCustomer, PeerTag

    models = [PeerTag, PeerCustomer]
    existing = set(connection.introspection.table_names())
    with connection.schema_editor() as editor:
        for model in reversed(models):
            if model._meta.db_table in existing:
                editor.delete_model(model)
        for model in models:
            editor.create_model(model)


def database_description() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]}"
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]}"


def machine() -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs, load average {load}; "
        f"{database_description()}"
    )


# --- compare ---------------------------------------------------------------------------


def import_ours(path: Path, actor) -> tuple[float, dict]:
    from clientela.customers.sheet import CUSTOMER_FIELDS, CUSTOMERS
    from clientela.sheets.importing import sheet_import
    from clientela.sheets.mapping import match_columns
    from clientela.sheets.reading import open_sheet

    tick = time.perf_counter()
    sheet = open_sheet(path)
    columns = match_columns(sheet.headers, CUSTOMER_FIELDS)
    plan = sheet_import(kind=CUSTOMERS, actor=actor, sheet=sheet, columns=columns, source=path.name)
    return time.perf_counter() - tick, plan.counts


def import_peer(path: Path) -> tuple[float, dict]:
    import tablib
    from import_peer.resources import PeerCustomerResource

    tick = time.perf_counter()
    with path.open("rb") as file:
        dataset = tablib.Dataset().load(file.read(), format="xlsx")
    result = PeerCustomerResource().import_data(dataset, dry_run=False)
    seconds = time.perf_counter() - tick
    if result.has_errors() or result.has_validation_errors():
        problems = [error.error for _row, errors in result.row_errors() for error in errors]
        invalid = [row.error_dict for row in result.invalid_rows]
        sys.exit(f"django-import-export refused rows: {problems[:3]} {invalid[:3]}")
    return seconds, dict(result.totals)


def compare(args: argparse.Namespace) -> None:
    django_setup(args.database_url, peer=True)
    from django.db import connection
    from import_peer.models import PeerCustomer, PeerTag

    from clientela.core.models import Role, User
    from clientela.customers.models import Customer, Tag

    fresh_catalog(args.reset)
    peer_tables()
    for name in customer_list.TAGS:
        Tag.objects.get_or_create(name=name)
        PeerTag.objects.get_or_create(name=name)
    owner, _ = User.objects.get_or_create(username="bench-owner", defaults={"role": Role.OWNER})
    folder = Path(args.data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    path = data_file(folder, "xlsx", args.customers, args.seed)
    peer_path = (
        data_file(folder, "xlsx", args.peer_customers, args.seed)
        if args.peer_customers != args.customers
        else path
    )
    print(f"{machine()}; {connection.settings_dict['NAME']}")
    print(f"file: {path.name}, {path.stat().st_size / 1024 / 1024:.1f} MB", flush=True)

    ours, counts = import_ours(path, owner)
    created = Customer.objects.count()
    print(f"Clientela: {ours:.1f} s, {counts}", flush=True)
    if created != args.customers:
        sys.exit(f"Clientela created {created:,} customers of {args.customers:,}")
    theirs, totals = import_peer(peer_path)
    print(f"django-import-export: {theirs:.1f} s, {totals}", flush=True)
    if PeerCustomer.objects.count() != args.peer_customers:
        sys.exit(f"django-import-export created {PeerCustomer.objects.count():,} customers")

    ours_rate = args.customers / ours
    theirs_rate = args.peer_customers / theirs
    print()
    print(f"| {args.customers:,}-row xlsx, {database_description()} | rows | seconds | rows/s |")
    print("|---|---:|---:|---:|")
    print(f"| Clientela (`sheet_import`) | {args.customers:,} | {ours:.1f} | {ours_rate:,.0f} |")
    print(
        f"| django-import-export {import_export_version()} (`import_data`) "
        f"| {args.peer_customers:,} | {theirs:.1f} | {theirs_rate:,.0f} |"
    )
    speedup = ours_rate / theirs_rate
    verdict = "met" if speedup >= TARGET_SPEEDUP else "NOT met"
    print(
        f"\nClientela / django-import-export, rows per second: {speedup:.1f}× "
        f"(target ≥ {TARGET_SPEEDUP}×: {verdict})"
    )
    print(f"after: load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


def import_export_version() -> str:
    import import_export

    return import_export.__version__


# --- memory ----------------------------------------------------------------------------


def tree_resident_kib(pid: int) -> int:
    """The resident memory of process ``pid`` and its descendants, summed (KiB): pages
    a forked child shares with its parent count twice, so this errs high."""
    total, pending = 0, [pid]
    while pending:
        process = pending.pop()
        try:
            status = Path(f"/proc/{process}/status").read_text()
            found = re.search(r"^VmRSS:\s+(\d+)", status, re.MULTILINE)
            total += int(found.group(1)) if found else 0  # a zombie has none
            for task in Path(f"/proc/{process}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except OSError:  # it ended meanwhile
            continue
    return total


def run_child(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``command``; its wall time (s), its peak memory with its own child processes
    (the import's sheet reader) summed (MiB, sampled every 0.1 s, and never below its
    own peak as the kernel counts it), its output."""
    tick = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output: list[str] = []
    reading = threading.Thread(target=lambda: output.append(process.stdout.read()))
    reading.start()
    peak = 0
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if pid:
            break
        peak = max(peak, tree_resident_kib(process.pid))
        time.sleep(0.1)
    reading.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - tick
    if process.returncode not in (0, 1):
        sys.exit(f"{' '.join(command)} exited with {process.returncode}:\n{output[0]}")
    return seconds, max(peak, usage.ru_maxrss) / 1024, output[0]


def memory(args: argparse.Namespace) -> None:
    django_setup(args.database_url, peer=False)
    from clientela.customers.models import Customer

    fresh_catalog(args.reset)
    folder = Path(args.data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    sizes = [args.customers // 10, args.customers]
    # Linux reports as a child's peak memory at least what its parent held when it
    # forked (the high-water mark survives the exec): this process holds Django, and the
    # one writing a million rows grows as it writes them (runs read 297 and 226 MiB for
    # every step). So one small fresh process writes the files, and another starts the
    # steps.
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("forkserver")) as writer:
        files = {
            size: writer.submit(data_file, folder, "csv", size, args.seed).result()
            for size in sizes
        }
    launcher = ProcessPoolExecutor(max_workers=1, mp_context=get_context("forkserver"))
    clientela = str(Path(sys.executable).with_name("clientela"))
    env = {**os.environ, "CLIENTELA_IMPORT_MAX_MB": str(args.max_mb)}
    print(machine())
    rows = []
    for size in sizes:
        path = files[size]
        megabytes = path.stat().st_size / 1024 / 1024
        wipe()
        for step, command in (
            ("import", [clientela, "import", "customers", str(path)]),
            ("export", [clientela, "export", "customers", str(folder / "export.csv")]),
        ):
            print(f"{size:,} rows ({megabytes:.0f} MB): {step}…", file=sys.stderr, flush=True)
            seconds, peak, output = launcher.submit(run_child, command, env).result()
            print(output.strip().splitlines()[1] if step != "export" else output.strip())
            rows.append((size, step, seconds, peak))
        present = Customer.objects.count()
        if present != size:
            sys.exit(f"{present:,} customers after importing {size:,} rows")
    print()
    print("| rows | step | seconds | rows/s | peak memory (MiB) |")
    print("|---:|---|---:|---:|---:|")
    for size, step, seconds, peak in rows:
        print(
            f"| {size:,} | `clientela {step}` | {seconds:,.0f} | {size / seconds:,.0f} | {peak:,.0f} |"
        )
    launcher.shutdown()
    worst = max(peak for size, step, _s, peak in rows if step == "import")
    verdict = "met" if worst < TARGET_MIB else "NOT met"
    print(f"\nimport peak {worst:,.0f} MiB (target < {TARGET_MIB} MiB: {verdict})")
    print(f"after: load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


# --- readers ---------------------------------------------------------------------------

READERS = ("openpyxl", "calamine")


def read_or_import(args: argparse.Namespace) -> None:
    """In a child process: read every row of ``args.file`` with ``args.reader``, or import
    it (``args.step``)."""
    django_setup(args.database_url, peer=False)
    from django.core.management import call_command

    from clientela.imports import reading

    if args.reader == "calamine":
        reading._xlsx_rows = reading.calamine_rows
    if args.step == "read":
        rows = sum(1 for _row in reading.open_sheet(args.file).rows)
        print(f"read {rows:,} rows")
        return
    try:
        call_command("import", "customers", args.file)
    except SystemExit as exit_:
        sys.exit(exit_.code)


def readers(args: argparse.Namespace) -> None:
    django_setup(args.database_url, peer=False)
    from clientela.customers.models import Customer

    fresh_catalog(args.reset)
    folder = Path(args.data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    sizes = [args.customers, args.customers * 10]
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("forkserver")) as writer:
        files = {
            size: writer.submit(data_file, folder, "xlsx", size, args.seed).result()
            for size in sizes
        }
    launcher = ProcessPoolExecutor(max_workers=1, mp_context=get_context("forkserver"))
    env = {**os.environ, "CLIENTELA_IMPORT_MAX_MB": str(args.max_mb)}
    print(machine())
    results = []
    steps = [("read", size) for size in sizes] + [("import", args.customers)]
    for step, size in steps:
        for reader in READERS:
            path = files[size]
            wipe()
            command = [sys.executable, __file__, "child", "--database-url", args.database_url]
            command += ["--reader", reader, "--step", step, "--file", str(path)]
            print(f"{size:,} rows: {step} with {reader}…", file=sys.stderr, flush=True)
            seconds, peak, output = launcher.submit(run_child, command, env).result()
            print(
                f"  {reader}: {output.strip().splitlines()[-1]} "
                f"({seconds:,.1f} s, peak {peak:,.0f} MiB)",
                flush=True,
            )
            if step == "import" and Customer.objects.count() != size:
                sys.exit(f"{Customer.objects.count():,} customers after importing {size:,} rows")
            results.append((step, size, reader, seconds, peak))
    launcher.shutdown()
    print()
    print("| step | rows | reader | seconds | rows/s | peak memory (MiB) |")
    print("|---|---:|---|---:|---:|---:|")
    for step, size, reader, seconds, peak in results:
        print(
            f"| {step} | {size:,} | {reader} | {seconds:,.1f} | {size / seconds:,.0f} "
            f"| {peak:,.0f} |"
        )
    print()
    for step, size in steps:
        ours, theirs = (
            next(r for r in results if r[:3] == (step, size, reader)) for reader in READERS
        )
        print(
            f"{step} {size:,} rows: calamine takes {theirs[3] / ours[3]:.2f}× openpyxl's time "
            f"and {theirs[4] / ours[4]:.2f}× its peak memory"
        )
    print(f"after: load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["compare", "memory", "readers", "child"])
    parser.add_argument("--database-url", required=True, help="postgres://… or sqlite:////path")
    parser.add_argument("--customers", type=int, default=100_000, help="rows of the file")
    parser.add_argument(
        "--peer-customers",
        type=int,
        help="compare: rows of the file django-import-export imports (its first N; default all)",
    )
    parser.add_argument("--reset", action="store_true", help="delete the customers present")
    parser.add_argument("--data-dir", default="/tmp/clientela-bench-imports")
    parser.add_argument(
        "--max-mb", type=int, default=400, help="memory: CLIENTELA_IMPORT_MAX_MB for the import"
    )
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--reader", choices=READERS, help="child: the .xlsx reader")
    parser.add_argument("--step", choices=["read", "import"], help="child: what to do")
    parser.add_argument("--file", help="child: the .xlsx")
    args = parser.parse_args(argv)
    args.peer_customers = args.peer_customers or args.customers
    modes = {"compare": compare, "memory": memory, "readers": readers, "child": read_or_import}
    modes[args.mode](args)


if __name__ == "__main__":
    main()
