"""`clientela backup` and `clientela restore`, and the scheduler's daily backup.

Each backup is restored into a new, empty database of the engine the suite runs on (a
SQLite file, or a PostgreSQL database created for the test) and compared with what the
backed-up database held, table by table, read through Django's own connection. The tests
that back up are transactional: the copy is read by a connection of its own (pg_dump's,
on PostgreSQL), which sees committed rows only.
"""

import json
import os
import stat
import zipfile
from datetime import date, datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections
from django.db.utils import load_backend

from clientela.core.backup import (
    BackupError,
    backup_manifest,
    backup_schedule_tick,
    pg_client_tool,
)
from clientela.core.models import Role
from clientela.customers.models import Customer
from clientela.customers.tests.factories import CustomerFactory, UserFactory
from clientela.orders.models import Order
from clientela.orders.tests.factories import OrderFactory, ProductFactory

MEXICO = ZoneInfo("America/Mexico_City")


def table_contents(alias: str = "default") -> dict[str, list[str]]:
    """Every table's rows (in a stable order), as Django's connection reads them."""
    connection = connections[alias]
    contents = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            contents[table] = sorted(map(repr, cursor.fetchall()))
    return contents


@pytest.fixture
def empty_database(transactional_db, tmp_path):
    """The alias of a new, empty database on the suite's engine, dropped afterwards."""
    default = connections["default"]
    alias = "restored"
    settings_dict = {**default.settings_dict, "OPTIONS": dict(default.settings_dict["OPTIONS"])}
    if default.vendor == "sqlite":
        settings_dict["NAME"] = str(tmp_path / "restored.sqlite3")
    else:
        settings_dict["NAME"] = f"{default.settings_dict['NAME']}_restored"
        with default.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{settings_dict["NAME"]}" WITH (FORCE)')
            cursor.execute(f'CREATE DATABASE "{settings_dict["NAME"]}"')
    # Known to `connections` but not among its settings: a connection Django's test case
    # lets the test open (it refuses the settings' databases that the test did not ask for).
    connections[alias] = load_backend(settings_dict["ENGINE"]).DatabaseWrapper(settings_dict, alias)
    yield alias
    connections[alias].close()
    del connections[alias]
    if default.vendor != "sqlite":
        with default.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{settings_dict["NAME"]}" WITH (FORCE)')


def a_business():
    """Customers, products and orders: text in three scripts, money, dates, history."""
    owner = UserFactory(username="lucia", role=Role.OWNER)
    ProductFactory(name="Rosca de reyes «grande»", unit_price=Decimal("350.50"))
    for name in ('Panadería "La Espiga"', "Кафе «Берёзка»", "O'Higgins\nsucursal 2"):
        CustomerFactory(name=name, actor=owner)
    OrderFactory(order_date=date(2024, 12, 30), due_date=date(2025, 1, 6), status="delivered")
    OrderFactory(status="confirmed")
    return owner


def backup(path: Path, *args: str) -> str:
    out = StringIO()
    call_command("backup", str(path), *args, stdout=out)
    return out.getvalue()


def restore(path: Path, database: str) -> str:
    out = StringIO()
    call_command("restore", str(path), "--database", database, stdout=out)
    return out.getvalue()


# --- back up, change, restore -------------------------------------------------------------


def test_a_backup_restored_into_an_empty_database_holds_every_table_as_it_was(
    empty_database, tmp_path
):
    # given a business, backed up
    a_business()
    path = tmp_path / "espiga.zip"
    said = backup(path)
    backed_up = table_contents()
    assert "verified; backup written to" in said and str(path) in said
    assert stat.S_IMODE(path.stat().st_mode) == 0o600

    # when it changes afterwards
    Customer.objects.filter(name__startswith="Кафе").update(name="Кафе «Ромашка»")
    Order.objects.filter(status="confirmed").delete()
    CustomerFactory(name="Nueva cafetería")
    assert table_contents() != backed_up

    # and the backup is restored into an empty database
    said = restore(path, empty_database)

    # then every table holds what it held at the backup, and the restore says it checked
    restored = table_contents(empty_database)
    assert restored == backed_up
    tables = len(backup_manifest(path)["tables"])
    assert f"{tables} tables" in said and "rows verified" in said
    assert "identical to the backup" in said
    assert any("Кафе «Берёзка»" in row for row in restored["customers_customer"])


def test_a_restore_goes_into_a_migrated_database_without_data_and_no_other(
    empty_database, tmp_path
):
    # given a database migrate set up and nothing else (the restore of an empty backup)
    backup(tmp_path / "migrated.zip")
    restore(tmp_path / "migrated.zip", empty_database)
    assert table_contents(empty_database)["django_migrations"]

    # when a business's backup is restored into it
    a_business()
    backup(tmp_path / "espiga.zip")
    backed_up = table_contents()
    restore(tmp_path / "espiga.zip", empty_database)

    # then it holds the business
    assert table_contents(empty_database) == backed_up

    # and a second restore is refused: it is no longer empty
    CustomerFactory(name="Nueva cafetería")
    backup(tmp_path / "later.zip")
    with pytest.raises(CommandError, match="is not empty") as refused:
        restore(tmp_path / "later.zip", empty_database)
    assert "restore again" in str(refused.value)
    assert table_contents(empty_database) == backed_up


def test_a_restore_that_does_not_match_the_manifest_names_the_table_and_fails(
    empty_database, tmp_path
):
    # given a backup whose manifest says the customers were otherwise
    a_business()
    path = tmp_path / "espiga.zip"
    backup(path)
    tampered = tmp_path / "tampered.zip"
    with zipfile.ZipFile(path) as original, zipfile.ZipFile(tampered, "w") as copy:
        for member in original.namelist():
            data = original.read(member)
            if member == "manifest.json":
                manifest = json.loads(data)
                manifest["tables"]["customers_customer"]["checksum"] = "0" * 64
                data = json.dumps(manifest)
            copy.writestr(member, data)

    # when it is restored, it fails naming the table
    with pytest.raises(CommandError, match="customers_customer") as failed:
        restore(tampered, empty_database)
    assert "content differs" in str(failed.value)


# --- refusals -----------------------------------------------------------------------------


def test_a_backup_does_not_replace_a_file_unless_forced(transactional_db, tmp_path):
    path = tmp_path / "espiga.zip"
    path.write_text("my notes")

    with pytest.raises(CommandError, match="already exists; give --force"):
        backup(path)
    assert path.read_text() == "my notes"

    backup(path, "--force")
    assert backup_manifest(path)["tables"]["core_user"]["rows"] == 0

    with pytest.raises(CommandError, match=r"the folder .*missing does not exist"):
        backup(tmp_path / "missing" / "espiga.zip")


def test_a_database_without_tables_is_not_backed_up(empty_database, tmp_path):
    with pytest.raises(CommandError, match="holds no tables: nothing to back up"):
        backup(tmp_path / "nothing.zip", "--database", empty_database)

    assert not (tmp_path / "nothing.zip").exists()
    assert not (tmp_path / "restored.sqlite3").exists()  # SQLite's file is not created


def _zip(path: Path, members: dict[str, bytes | str]) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def _manifest(**changes) -> str:
    engine = connections["default"].vendor
    manifest = {"format": "clientela-backup", "version": 1, "engine": engine, "tables": {}}
    return json.dumps({**manifest, **changes})


def _damaged(path: Path) -> Path:
    """A backup whose copy of the database no longer matches the CRC the file keeps."""
    engine = connections["default"].vendor
    member = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}[engine]
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("manifest.json", _manifest())
        archive.writestr(member, b"A" * 1000, zipfile.ZIP_STORED)
    path.write_bytes(path.read_bytes().replace(b"A" * 1000, b"A" * 999 + b"B"))
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda folder: folder / "absent.zip", "Cannot read .*absent.zip: No such file"),
        (lambda folder: folder, "Cannot read"),
        (
            lambda folder: folder.joinpath("notes.zip").write_text("hello") and folder / "notes.zip",
            "is not a Clientela backup",
        ),
        (lambda folder: _zip(folder / "other.zip", {"a.txt": "hi"}), "is not a Clientela backup"),
        (
            lambda folder: _zip(folder / "f.zip", {"manifest.json": _manifest(tables=[1])}),
            "is not a Clientela backup",
        ),
        (
            lambda folder: _zip(folder / "v.zip", {"manifest.json": _manifest(version=2)}),
            "another format",
        ),
        (
            lambda folder: _zip(folder / "e.zip", {"manifest.json": _manifest(engine="mysql")}),
            "is a backup from mysql",
        ),
        (lambda folder: _zip(folder / "m.zip", {"manifest.json": _manifest()}), "is damaged"),
        (lambda folder: _damaged(folder / "d.zip"), "is damaged; nothing was restored"),
    ],
    ids=["absent", "folder", "text", "other-zip", "bad-manifest", "version", "engine",
         "no-copy", "damaged"],
)  # fmt: skip
def test_a_restore_refuses_what_is_not_a_good_backup_and_changes_nothing(
    db, tmp_path, make, message
):
    CustomerFactory(name="Panadería La Espiga")
    before = table_contents()

    with pytest.raises(CommandError, match=message):
        call_command("restore", str(make(tmp_path)))

    assert table_contents() == before


def test_a_restore_refuses_a_backup_of_the_other_engine(db, tmp_path):
    other = "postgresql" if connections["default"].vendor == "sqlite" else "sqlite"
    path = _zip(tmp_path / "other.zip", {"manifest.json": _manifest(engine=other)})

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(path))

    names = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
    assert f"is a backup from {names[other]}, and this Clientela uses" in str(refused.value)


def _fake_tool(folder: Path, name: str, version_line: str) -> None:
    tool = folder / name
    tool.write_text(f"#!/bin/sh\necho '{version_line}'\n")
    tool.chmod(0o700)


def test_postgresql_tools_missing_or_older_than_the_server_are_refused_saying_what_to_do(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BackupError, match="pg_dump was not found: install PostgreSQL's client"):
        pg_client_tool("pg_dump", 15)

    _fake_tool(tmp_path, "pg_dump", "pg_dump (PostgreSQL) 13.2 (Debian 13.2-1)")
    with pytest.raises(BackupError, match=r"pg_dump is version 13, older .* \(15\)"):
        pg_client_tool("pg_dump", 15)

    _fake_tool(tmp_path, "pg_restore", "pg_restore (PostgreSQL) 16.4")
    assert pg_client_tool("pg_restore", 15) == (str(tmp_path / "pg_restore"), 16)

    _fake_tool(tmp_path, "pg_restore", "something else")
    with pytest.raises(BackupError, match="does not say which version"):
        pg_client_tool("pg_restore", 15)


# --- the daily backup ---------------------------------------------------------------------


def at(day: int, hour: int) -> datetime:
    return datetime(2025, 3, day, hour, 0, tzinfo=MEXICO)


def test_the_daily_backup_is_made_once_a_day_and_keeps_the_newest(
    transactional_db, tmp_path, settings
):
    settings.CLIENTELA_BACKUP_DIR = tmp_path / "backups"
    settings.CLIENTELA_BACKUP_KEEP = 2
    (tmp_path / "backups").mkdir()
    mine = tmp_path / "backups" / "before-the-upgrade.zip"
    mine.write_text("kept")

    first = backup_schedule_tick(now=at(10, 0))
    assert first == tmp_path / "backups" / "clientela-20250310-000000.zip"
    assert backup_schedule_tick(now=at(10, 23)) is None  # one a day
    second = backup_schedule_tick(now=at(11, 9))
    third = backup_schedule_tick(now=at(13, 1))

    kept = sorted(path.name for path in (tmp_path / "backups").iterdir())
    assert kept == ["before-the-upgrade.zip", second.name, third.name]
    assert backup_manifest(third)["tables"]["core_user"]["rows"] == 0

    settings.CLIENTELA_BACKUP_KEEP = 0
    assert backup_schedule_tick(now=at(14, 1)) is None


def test_the_schedule_command_backs_up_and_says_where(transactional_db, tmp_path, settings):
    settings.CLIENTELA_ANALYTICS_DAILY_AT = ""
    settings.CLIENTELA_BACKUP_DIR = tmp_path / "backups"
    out = StringIO()

    call_command("schedule", "--once", stdout=out)

    (made,) = (tmp_path / "backups").iterdir()
    assert f"Backed up the database to {made}" in out.getvalue()
    assert "no daily analysis" in out.getvalue()
    assert stat.S_IMODE((tmp_path / "backups").stat().st_mode) == 0o700

    settings.CLIENTELA_BACKUP_KEEP = 0
    out = StringIO()
    call_command("schedule", "--once", stdout=out)
    assert "no daily backup" in out.getvalue()


def test_a_failed_daily_backup_is_logged_and_the_schedule_goes_on(db, tmp_path, settings, caplog):
    settings.CLIENTELA_ANALYTICS_DAILY_AT = ""
    settings.CLIENTELA_BACKUP_DIR = tmp_path / "backups"
    (tmp_path / "backups").write_text("a file where the folder should be")

    call_command("schedule", "--once", stdout=StringIO())

    assert "the daily backup failed" in caplog.text
    assert os.path.isfile(tmp_path / "backups")
