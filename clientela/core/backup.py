"""Backups: one file holding a consistent copy of the database and a manifest of what it
holds, written by `clientela backup` and once a day by `clientela schedule`, read back by
`clientela restore` into an empty database.

The file is a ZIP archive of two members, so that the manifest cannot be lost or paired
with another copy, and so that a damaged file is noticed (each member carries a CRC):

- ``manifest.json``: the format, the engine (``sqlite`` or ``postgresql``), when it was
  made and, for every table of the database, its row count and checksum;
- ``database.sqlite3``, a copy made with SQLite's online backup API (compressed), or
  ``database.pgdump``, ``pg_dump``'s custom format (compressed already, stored as is).

The copy and the manifest are of one moment while the server goes on writing: SQLite's
copy is taken inside the read transaction that counted the rows (in WAL mode, writers
do not wait for it), then counted again and compared; PostgreSQL's rows are counted in a
repeatable-read transaction whose snapshot ``pg_dump`` is given, and ``pg_restore --list``
must find every table's data in the archive.

A table's checksum is the sum, modulo 2²⁵⁶, of the SHA-256 digests of its rows, each row
written as JSON of its values (timestamps in UTC, bytes in hex): it does not depend on
the order rows are read in, nor on the database's collation or time zone. It is compared
with a copy on the same engine: a backup is restored into the engine it was made from.
"""

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql.client import DatabaseClient
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

FORMAT = "clientela-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE, POSTGRESQL = "sqlite", "postgresql"
DATABASE_MEMBER = {SQLITE: "database.sqlite3", POSTGRESQL: "database.pgdump"}
ENGINE_NAMES = {SQLITE: "SQLite", POSTGRESQL: "PostgreSQL"}
# Tables `clientela migrate` fills by itself: rows in them alone leave a database empty.
MIGRATE_FILLS = frozenset({"django_migrations", "django_content_type", "auth_permission"})
# The files the daily backup writes (local time in the name), and so prunes.
SCHEDULED_NAME = "clientela-%Y%m%d-%H%M%S.zip"
SCHEDULED_PATTERN = re.compile(r"^clientela-(\d{8}-\d{6})\.zip$")

_CHECKSUM_MODULUS = 1 << 256


class BackupError(Exception):
    """A backup or a restore that cannot be done, or that did not verify; the message
    says what and how to proceed."""


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds or a restore verified: its tables and their rows in all."""

    tables: int
    rows: int

    def describe(self) -> str:
        """The figures in words, in the current language: "57 tables, 1234 rows"."""
        tables = ngettext("%(count)d table", "%(count)d tables", self.tables) % {
            "count": self.tables
        }
        rows = ngettext("%(count)d row", "%(count)d rows", self.rows) % {"count": self.rows}
        return f"{tables}, {rows}"


# --- what a database holds ---------------------------------------------------------------


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _canonical(value):
    """A value as JSON writes it the same whichever engine or session read it."""
    if isinstance(value, datetime):
        return (value.astimezone(UTC) if value.tzinfo else value).isoformat()
    if isinstance(value, date | time | timedelta | Decimal | UUID):
        return str(value)
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).hex()
    return str(value)


def _row_digest(row) -> int:
    text = json.dumps(list(row), default=_canonical, ensure_ascii=False, separators=(",", ":"))
    return int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")


def _tables(connection, engine: str) -> list[str]:
    """The database's tables (SQLite's own left out), by name."""
    cursor = connection.cursor()
    if engine == SQLITE:
        cursor.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    else:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
        )
    tables = [name for (name,) in cursor.fetchall()]
    cursor.close()
    return tables


def _table_figures(connection, engine: str, table: str) -> dict:
    """A table's row count and checksum, its rows read as a stream."""
    # PostgreSQL's rows come through a server-side cursor, a few thousand at a time.
    cursor = connection.cursor("clientela_backup") if engine == POSTGRESQL else connection.cursor()
    cursor.execute(f"SELECT * FROM {_quoted(table)}")
    rows = total = 0
    for row in cursor:
        rows += 1
        total = (total + _row_digest(row)) % _CHECKSUM_MODULUS
    cursor.close()
    return {"rows": rows, "checksum": f"{total:064x}"}


def database_figures(connection, engine: str) -> dict[str, dict]:
    """Every table's row count and checksum, by table name, read through a DB-API
    ``connection`` (SQLite's or PostgreSQL's driver) in the transaction it is in."""
    return {
        table: _table_figures(connection, engine, table) for table in _tables(connection, engine)
    }


def _summary(figures: dict[str, dict]) -> BackupSummary:
    return BackupSummary(len(figures), sum(table["rows"] for table in figures.values()))


def _verify(expected: dict[str, dict], found: dict[str, dict]) -> BackupSummary:
    """Raise BackupError naming the first table that differs; else what was verified."""
    for table in sorted(expected.keys() | found.keys()):
        if table not in found:
            raise BackupError(_("Table %(table)s of the backup is missing.") % {"table": table})
        if table not in expected:
            raise BackupError(_("Table %(table)s is not in the backup.") % {"table": table})
        if found[table]["rows"] != expected[table]["rows"]:
            raise BackupError(
                _("Table %(table)s has %(found)d rows; the backup has %(expected)d.")
                % {
                    "table": table,
                    "found": found[table]["rows"],
                    "expected": expected[table]["rows"],
                }
            )
        if found[table]["checksum"] != expected[table]["checksum"]:
            raise BackupError(
                _("Table %(table)s has the backup's %(rows)d rows, but their content differs.")
                % {"table": table, "rows": found[table]["rows"]}
            )
    return _summary(expected)


# --- connections ---------------------------------------------------------------------------


def _engine(database: str) -> str:
    vendor = connections[database].vendor
    if vendor not in DATABASE_MEMBER:
        raise BackupError(
            _("Backups are made of SQLite and PostgreSQL databases only, not of %(engine)s.")
            % {"engine": vendor}
        )
    return vendor


def _describe_database(database: str) -> str:
    """The database as a person knows it: SQLite's file, PostgreSQL's name and host."""
    settings_dict = connections[database].settings_dict
    if connections[database].vendor == SQLITE:
        return str(settings_dict["NAME"])
    host = settings_dict.get("HOST") or "localhost"
    return f"{settings_dict.get('NAME')} ({host})"


def _connect(database: str):
    """A connection of the driver's own to the database, apart from Django's (whose
    transaction, if any, it does not share); SQLite's in autocommit, returning what the
    file stores (no type conversion)."""
    wrapper = connections[database]
    params = wrapper.get_connection_params()
    if wrapper.vendor == SQLITE:
        params.update(detect_types=0, isolation_level=None)
    try:
        return wrapper.get_new_connection(params)
    except Exception as error:
        raise BackupError(
            _("Cannot open the database %(database)s: %(error)s")
            % {"database": _describe_database(database), "error": error}
        ) from error


def pg_client_tool(name: str, required_major: int) -> tuple[str, int]:
    """The path and major version of PostgreSQL's client tool ``name`` (pg_dump,
    pg_restore), of version ``required_major`` or newer; raises BackupError saying what
    to install when it is missing or older."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            _(
                "%(tool)s was not found: install PostgreSQL's client tools, version "
                "%(version)d or newer (on Debian and Ubuntu: apt install postgresql-client), "
                "or put them on PATH."
            )
            % {"tool": name, "version": required_major}
        )
    output = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    match = re.search(r"\(PostgreSQL\) (\d+)", output.stdout)
    if match is None:
        raise BackupError(
            _("%(tool)s (%(path)s) does not say which version it is: %(output)s")
            % {"tool": name, "path": path, "output": (output.stdout + output.stderr).strip()}
        )
    found = int(match.group(1))
    if found < required_major:
        raise BackupError(
            _(
                "%(tool)s is version %(found)d, older than the PostgreSQL server or the "
                "backup (%(required)d): install the client tools of version %(required)d or "
                "newer, or put them first on PATH."
            )
            % {"tool": name, "found": found, "required": required_major}
        )
    return path, found


def _pg_tool_connection(database: str) -> tuple[str, dict[str, str]]:
    """pg_dump's and pg_restore's ``--dbname`` (a connection string without the
    password) and environment (the password, SSL files, service), as Django's
    ``dbshell`` gives them to psql."""
    from psycopg.conninfo import make_conninfo

    settings_dict = connections[database].settings_dict
    _args, env = DatabaseClient.settings_to_cmd_args_env(settings_dict, [])
    parts = {
        "dbname": settings_dict.get("NAME"),
        "host": settings_dict.get("HOST"),
        "port": settings_dict.get("PORT"),
        "user": settings_dict.get("USER"),
    }
    conninfo = make_conninfo("", **{key: str(value) for key, value in parts.items() if value})
    return conninfo, {**os.environ, **(env or {})}


def _run_tool(
    arguments: list[str], env: dict[str, str], failure: str
) -> subprocess.CompletedProcess:
    """Run a PostgreSQL client tool; raise BackupError with ``failure`` and what it said
    on standard error if it fails."""
    result = subprocess.run(arguments, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{failure}\n{result.stderr.strip()}")
    return result


# --- backup --------------------------------------------------------------------------------


def _sqlite_copy(database: str, target: Path) -> dict[str, dict]:
    """Copy the database into ``target`` with SQLite's backup API; the figures of the
    copy, verified against the database's in the same read transaction."""
    source = _connect(database)
    try:
        source.execute("BEGIN")  # one snapshot for the figures and the copy
        figures = database_figures(source, SQLITE)
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)
            copy.execute("PRAGMA journal_mode=DELETE")  # one file, no write-ahead log
            _verify(figures, database_figures(copy, SQLITE))
        finally:
            copy.close()
        source.execute("ROLLBACK")
    except sqlite3.Error as error:
        raise BackupError(_("The copy failed: %(error)s") % {"error": error}) from error
    finally:
        source.close()
    return figures


def _archive_tables(pg_restore: str, archive: Path) -> set[str]:
    """The tables whose data a pg_dump archive holds, as ``pg_restore --list`` reads it."""
    result = _run_tool(
        [pg_restore, "--list", str(archive)],
        dict(os.environ),
        _("pg_restore cannot read the archive pg_dump wrote:"),
    )
    # Lines such as "216; 0 16386 TABLE DATA public core_user root".
    return {
        line.split(" TABLE DATA ", 1)[1].split(" ")[1]
        for line in result.stdout.splitlines()
        if " TABLE DATA " in line and not line.startswith(";")
    }


def _postgresql_dump(database: str, target: Path) -> tuple[dict[str, dict], int]:
    """Dump the database into ``target`` with pg_dump; the figures of the rows it saw
    (read in the snapshot it was given), checked to be every table whose data the
    archive holds; and pg_dump's major version."""
    import psycopg

    connection = _connect(database)
    try:
        server_major = connection.info.server_version // 10000
        pg_dump, pg_dump_major = pg_client_tool("pg_dump", server_major)
        pg_restore, _pg_restore_major = pg_client_tool("pg_restore", pg_dump_major)
        connection.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        connection.read_only = True
        snapshot = connection.execute("SELECT pg_export_snapshot()").fetchone()[0]
        conninfo, env = _pg_tool_connection(database)
        _run_tool(
            [pg_dump, "--format=custom", f"--snapshot={snapshot}", f"--file={target}",
             f"--dbname={conninfo}"],
            env,
            _("pg_dump failed:"),
        )  # fmt: skip
        figures = database_figures(connection, POSTGRESQL)
        connection.rollback()
    finally:
        connection.close()
    missing = sorted(figures.keys() - _archive_tables(pg_restore, target))
    if missing:
        raise BackupError(
            _("pg_dump's archive lacks the data of table %(table)s.") % {"table": missing[0]}
        )
    return figures, pg_dump_major


def _nothing_to_back_up(database: str) -> BackupError:
    return BackupError(
        _(
            "The database %(database)s holds no tables: nothing to back up. Are "
            "DATABASE_URL and CLIENTELA_DATA_DIR those Clientela runs with?"
        )
        % {"database": _describe_database(database)}
    )


def backup_create(
    path: Path, *, database: str = DEFAULT_DB_ALIAS, replace: bool = False
) -> BackupSummary:
    """Write a backup of ``database`` to ``path`` (see the module's description); what
    it holds. Raises BackupError when the file exists (unless ``replace``), its folder
    does not, the database has no tables, or the copy fails; the file appears only once
    complete."""
    path = Path(path)
    engine = _engine(database)
    if path.is_dir():
        raise BackupError(_("%(file)s is a folder; give a file name.") % {"file": path})
    if path.exists() and not replace:
        raise BackupError(
            _("%(file)s already exists; give --force to replace it.") % {"file": path}
        )
    if not path.parent.is_dir():
        raise BackupError(
            _("Cannot write %(file)s: the folder %(folder)s does not exist.")
            % {"file": path, "folder": path.parent}
        )
    wrapper = connections[database]
    sqlite_file = engine == SQLITE and not wrapper.is_in_memory_db()
    if sqlite_file and not Path(wrapper.settings_dict["NAME"]).is_file():
        raise _nothing_to_back_up(database)  # rather than create an empty file there
    try:
        work = tempfile.TemporaryDirectory(dir=path.parent, prefix=".clientela-backup-")
    except OSError as error:
        raise BackupError(
            _("Cannot write %(file)s: %(error)s") % {"file": path, "error": error.strerror or error}
        ) from error
    with work as folder:
        copy = Path(folder) / DATABASE_MEMBER[engine]
        manifest = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "engine": engine,
            "created_at": timezone.now().isoformat(),
        }
        if engine == SQLITE:
            figures = _sqlite_copy(database, copy)
        else:
            figures, manifest["pg_dump"] = _postgresql_dump(database, copy)
        if not figures:
            raise _nothing_to_back_up(database)
        manifest["tables"] = figures
        archive = Path(folder) / "backup.zip"
        compression = zipfile.ZIP_DEFLATED if engine == SQLITE else zipfile.ZIP_STORED
        with zipfile.ZipFile(archive, "w") as zipped:
            zipped.writestr(MANIFEST, json.dumps(manifest, indent=1), zipfile.ZIP_DEFLATED)
            zipped.write(copy, DATABASE_MEMBER[engine], compression)
        os.replace(archive, path)
    return _summary(figures)


# --- restore -------------------------------------------------------------------------------


def backup_manifest(path: Path) -> dict:
    """The manifest of the backup at ``path``; raises BackupError when the file cannot be
    read or is not a Clientela backup."""
    path = Path(path)
    try:
        with zipfile.ZipFile(path) as zipped:
            manifest = json.loads(zipped.read(MANIFEST))
    except OSError as error:
        raise BackupError(
            _("Cannot read %(file)s: %(error)s") % {"file": path, "error": error.strerror or error}
        ) from error
    except (zipfile.BadZipFile, KeyError, ValueError):
        raise BackupError(
            _("%(file)s is not a Clientela backup (made by `clientela backup`).") % {"file": path}
        ) from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(
            _("%(file)s is not a Clientela backup (made by `clientela backup`).") % {"file": path}
        )
    if manifest.get("version") != FORMAT_VERSION:
        raise BackupError(
            _(
                "%(file)s is a backup of another format (%(version)s) than this Clientela "
                "reads (%(ours)s): restore it with the version of Clientela that made it."
            )
            % {"file": path, "version": manifest.get("version"), "ours": FORMAT_VERSION}
        )
    if not _figures_valid(manifest.get("tables")) or not isinstance(
        manifest.get("pg_dump", 0), int
    ):
        raise BackupError(
            _("%(file)s is not a Clientela backup (made by `clientela backup`).") % {"file": path}
        )
    return manifest


def _figures_valid(figures) -> bool:
    return isinstance(figures, dict) and all(
        isinstance(table, dict)
        and isinstance(table.get("rows"), int)
        and isinstance(table.get("checksum"), str)
        for table in figures.values()
    )


def _extract_copy(path: Path, engine: str, folder: Path) -> Path:
    target = folder / DATABASE_MEMBER[engine]
    try:
        with (
            zipfile.ZipFile(path) as zipped,
            zipped.open(DATABASE_MEMBER[engine]) as member,
            target.open("wb") as copy,
        ):
            shutil.copyfileobj(member, copy, 1 << 20)
    except (KeyError, zipfile.BadZipFile, EOFError) as error:
        raise BackupError(
            _("%(file)s is damaged; nothing was restored. %(error)s")
            % {"file": path, "error": error}
        ) from error
    except OSError as error:  # a full disk
        raise BackupError(_("The restore failed: %(error)s") % {"error": error}) from error
    return target


def _require_empty(connection, engine: str, database: str, backup_tables) -> None:
    """Raise BackupError unless the database holds no data: no tables, or only those of
    the backup with nothing in them but what `clientela migrate` writes by itself."""
    tables = _tables(connection, engine)
    for table in tables:
        if table in MIGRATE_FILLS:
            continue
        cursor = connection.cursor()
        cursor.execute(f"SELECT 1 FROM {_quoted(table)} LIMIT 1")
        has_rows = cursor.fetchone() is not None
        cursor.close()
        if has_rows:
            raise BackupError(
                _(
                    "The database %(database)s is not empty (table %(table)s has rows); a "
                    "backup is restored into an empty database only. Create a new database "
                    "(PostgreSQL: createdb; SQLite: a DATABASE_URL or CLIENTELA_DATA_DIR "
                    "naming a new file), point Clientela at it and restore again."
                )
                % {"database": _describe_database(database), "table": table}
            )
    foreign = sorted(set(tables) - set(backup_tables))
    if foreign:
        raise BackupError(
            _(
                "The database %(database)s has tables the backup has not (%(tables)s): it "
                "was set up by another version of Clientela. Restore into a new, empty "
                "database."
            )
            % {"database": _describe_database(database), "tables": ", ".join(foreign[:5])}
        )


def _sqlite_restore(path: Path, copy: Path, manifest: dict, database: str) -> None:
    source = sqlite3.connect(copy)
    try:
        try:
            _verify(manifest["tables"], database_figures(source, SQLITE))
        except (BackupError, sqlite3.Error) as error:
            raise BackupError(
                _("%(file)s is damaged; nothing was restored. %(error)s")
                % {"file": path, "error": error}
            ) from error
        target = _connect(database)
        try:
            _require_empty(target, SQLITE, database, manifest["tables"])
            source.backup(target)
        except sqlite3.Error as error:
            raise BackupError(_("The restore failed: %(error)s") % {"error": error}) from error
        finally:
            target.close()
    finally:
        source.close()


def _postgresql_restore(copy: Path, manifest: dict, database: str) -> None:
    connection = _connect(database)
    try:
        server_major = connection.info.server_version // 10000
        pg_restore, _major = pg_client_tool(
            "pg_restore", max(server_major, manifest.get("pg_dump", 0))
        )
        _require_empty(connection, POSTGRESQL, database, manifest["tables"])
        migrated = bool(_tables(connection, POSTGRESQL))
        connection.rollback()
    finally:
        connection.close()
    conninfo, env = _pg_tool_connection(database)
    # One transaction: a failure restores nothing. The tables of a migrated database
    # with nothing in it are replaced by the backup's.
    _run_tool(
        [pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
         *(["--clean", "--if-exists"] if migrated else []), f"--dbname={conninfo}", str(copy)],
        env,
        _("pg_restore failed; nothing was restored:"),
    )  # fmt: skip


def backup_restore(path: Path, *, database: str = DEFAULT_DB_ALIAS) -> BackupSummary:
    """Restore the backup at ``path`` into ``database``, which must be empty, then check
    every table's row count and checksum against the backup's manifest; what was
    verified. Raises BackupError, having changed nothing, for a file that is not a
    backup, is damaged or is of another engine, or a database that is not empty; and,
    after the restore, when a table differs from the backup."""
    path = Path(path)
    manifest = backup_manifest(path)
    engine = _engine(database)
    if manifest.get("engine") != engine:
        backup_engine = ENGINE_NAMES.get(manifest.get("engine"), manifest.get("engine"))
        raise BackupError(
            _(
                "%(file)s is a backup from %(backup)s, and this Clientela uses %(engine)s: "
                "restore it into %(backup)s (DATABASE_URL names the database)."
            )
            % {"file": path, "backup": backup_engine, "engine": ENGINE_NAMES[engine]}
        )
    workspace = Path(settings.DATA_DIR)
    workspace.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=workspace, prefix=".clientela-restore-") as folder:
        copy = _extract_copy(path, engine, Path(folder))
        if engine == SQLITE:
            _sqlite_restore(path, copy, manifest, database)
        else:
            _postgresql_restore(copy, manifest, database)
    connection = _connect(database)
    try:
        found = database_figures(connection, engine)
    finally:
        connection.close()
    try:
        return _verify(manifest["tables"], found)
    except BackupError as error:
        raise BackupError(
            _("The restored database differs from the backup: %(error)s") % {"error": error}
        ) from error


# --- the daily backup ----------------------------------------------------------------------


def backups_scheduled(folder: Path) -> list[tuple[datetime, Path]]:
    """The daily backups in ``folder`` (named by the time they were made), newest first."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = SCHEDULED_PATTERN.match(path.name)
        if match and path.is_file():
            found.append((datetime.strptime(match.group(1), "%Y%m%d-%H%M%S"), path))
    return sorted(found, reverse=True)


def backup_schedule_tick(*, now: datetime | None = None) -> Path | None:
    """Make the day's backup if none was made today (local time) into
    ``CLIENTELA_BACKUP_DIR``, then keep only the ``CLIENTELA_BACKUP_KEEP`` newest; the
    new file, or None. Nothing when ``CLIENTELA_BACKUP_KEEP`` is 0. Raises BackupError."""
    keep = settings.CLIENTELA_BACKUP_KEEP
    if keep < 1:
        return None
    now = timezone.localtime(now).replace(tzinfo=None, microsecond=0)
    folder = Path(settings.CLIENTELA_BACKUP_DIR)
    made = backups_scheduled(folder)
    if made and made[0][0].date() >= now.date():
        return None
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / now.strftime(SCHEDULED_NAME)
    backup_create(path)
    for _made_at, old in backups_scheduled(folder)[keep:]:
        old.unlink(missing_ok=True)
    return path
