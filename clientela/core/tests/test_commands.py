"""The `clientela` command line: users, API tokens and the production server.

The end-to-end checks run the installed console script in a subprocess, against a
SQLite database of their own in a temporary data folder; the others call the commands
in-process on the test database (SQLite or PostgreSQL).
"""

import gc
import hashlib
import json
import os
import re
import signal
import socket
import sqlite3
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.request
from io import StringIO
from pathlib import Path

import pytest
from django.core import management
from django.core.management import call_command, find_commands, get_commands
from django.core.management.base import CommandError
from django.template import engines
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse

from clientela.__main__ import _analyses_a_file
from clientela.core.api import ApiTokenAuth
from clientela.core.management.commands.serve import ClientelaServer
from clientela.core.management.utility import PRODUCT_COMMANDS
from clientela.core.models import ApiToken, Role, User, token_digest

CLIENTELA = Path(sys.executable).with_name("clientela")
GOOD_PASSWORD = "Pan-de-elote-2024"


def _environment(data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLIENTELA_", "DATABASE_"))}
    env.update(
        CLIENTELA_DATA_DIR=str(data_dir),
        DATABASE_URL=f"sqlite:///{data_dir / 'clientela.sqlite3'}",
        CLIENTELA_LANGUAGE="en",
        DJANGO_SETTINGS_MODULE="clientela.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


def clientela(env, *args, stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess:
    """Run the console script and wait for it."""
    return subprocess.run(
        [str(CLIENTELA), *args],
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """The environment of a migrated installation in a temporary data folder."""
    data_dir = tmp_path_factory.mktemp("clientela-data")
    env = _environment(data_dir)
    result = clientela(env, "migrate", "--no-input", "-v", "0")
    assert result.returncode == 0, result.stderr
    env["_DATABASE_FILE"] = str(data_dir / "clientela.sqlite3")
    return env


def query(env, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(env["_DATABASE_FILE"]) as connection:
        return connection.execute(sql, params).fetchall()


def test_the_data_folder_and_the_database_are_readable_by_their_owner_only(cli, tmp_path):
    # given a data folder that does not exist yet, and the migrated installation's
    fresh = tmp_path / "new" / "data"

    result = clientela(_environment(fresh), "help")

    # then what Clientela created is its user's only
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
    assert stat.S_IMODE((fresh / "secret_key").stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(cli["_DATABASE_FILE"]).stat().st_mode) == 0o600


# --- clientela user -----------------------------------------------------------------


def test_user_create_reads_the_password_from_standard_input(cli):
    result = clientela(
        cli, "user", "create", "ana", "--role", "sales", "--email", "ana@espiga.example",
        stdin=f"{GOOD_PASSWORD}\nignored second line\n",
    )  # fmt: skip

    assert result.returncode == 0, result.stderr
    assert "ana" in result.stdout and "Sales" in result.stdout
    rows = query(cli, "SELECT role, email, password FROM core_user WHERE username = 'ana'")
    assert rows[0][:2] == ("sales", "ana@espiga.example")
    assert GOOD_PASSWORD not in rows[0][2]
    listing = clientela(cli, "user", "list")
    assert "ana" in listing.stdout and "Sales" in listing.stdout


def test_user_create_refuses_a_weak_password_with_the_reasons(cli):
    result = clientela(cli, "user", "create", "beto", "--role", "owner", stdin="12345678\n")

    assert result.returncode != 0
    assert "too common" in result.stderr and "entirely numeric" in result.stderr
    assert not query(cli, "SELECT id FROM core_user WHERE username = 'beto'")


def test_user_create_refuses_an_unknown_role(cli):
    result = clientela(cli, "user", "create", "carla", "--role", "boss", stdin=GOOD_PASSWORD)

    assert result.returncode != 0
    assert "invalid choice: 'boss'" in result.stderr and "readonly" in result.stderr
    assert not query(cli, "SELECT id FROM core_user WHERE username = 'carla'")


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.values)
def test_user_create_gives_the_role(role):
    out = StringIO()
    call_command(
        "user", "create", f"user-{role}", "--role", role, "--first-name", "Ana",
        stdin=StringIO(GOOD_PASSWORD + "\n"), stdout=out,
    )  # fmt: skip

    user = User.objects.get(username=f"user-{role}")
    assert user.role == role and user.first_name == "Ana"
    assert user.check_password(GOOD_PASSWORD)
    assert user.is_superuser == (role == Role.OWNER)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "stdin", "message"),
    [
        ("analopez", "analopez1\n", "too similar"),
        ("ana", "short\n", "too short"),
        ("ana", "\n", "No password"),
        ("bad name!", GOOD_PASSWORD, "Enter a valid username"),
    ],
)
def test_user_create_refuses_with_a_clear_message(username, stdin, message):
    with pytest.raises(CommandError, match=message):
        call_command("user", "create", username, "--role", "sales", stdin=StringIO(stdin))
    assert not User.objects.exists()


@pytest.mark.django_db
def test_user_create_refuses_a_taken_username(sales):
    with pytest.raises(CommandError, match="already exists"):
        call_command("user", "create", sales.username, "--role", "owner", stdin=StringIO("x\n"))


# --- clientela token ----------------------------------------------------------------


def test_token_create_prints_only_the_token_which_is_stored_as_its_digest(cli):
    created = clientela(cli, "user", "create", "script", "--role", "readonly", stdin=GOOD_PASSWORD)
    assert created.returncode == 0, created.stderr

    result = clientela(cli, "token", "create", "script", "--label", "backup")

    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert token.startswith("clt_") and "\n" not in token and len(token) > 40
    assert "cannot be shown again" in result.stderr
    stored = query(cli, "SELECT name, prefix, digest FROM core_apitoken")
    assert stored == [("backup", token[:10], hashlib.sha256(token.encode()).hexdigest())]


@pytest.mark.django_db
def test_a_created_token_authenticates_as_its_user(sales):
    out = StringIO()
    call_command("token", "create", sales.username, stdout=out, stderr=StringIO())
    raw = out.getvalue().strip()

    token = ApiToken.objects.get(user=sales)
    assert token.digest == token_digest(raw) and token.name == "command line"
    for value in ApiToken.objects.values_list("name", "prefix", "digest").get():
        assert value != raw
    request = RequestFactory().get("/api/v1/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert ApiTokenAuth().authenticate(request, raw) == sales


@pytest.mark.django_db
def test_token_list_and_revoke(sales):
    out = StringIO()
    call_command("token", "create", sales.username, "--label", "n8n", stdout=out, stderr=StringIO())
    raw = out.getvalue().strip()

    listing = StringIO()
    call_command("token", "list", sales.username, stdout=listing)
    assert "n8n" in listing.getvalue() and raw[:10] in listing.getvalue()
    assert raw not in listing.getvalue()

    call_command("token", "revoke", raw[:10], stdout=StringIO())

    assert ApiToken.objects.get().revoked_at is not None
    request = RequestFactory().get("/api/v1/")
    assert ApiTokenAuth().authenticate(request, raw) is None
    with pytest.raises(CommandError, match="No active token"):
        call_command("token", "revoke", raw)


@pytest.mark.django_db
def test_token_create_refuses_unknown_and_deactivated_users(sales):
    with pytest.raises(CommandError, match="no user named nadie"):
        call_command("token", "create", "nadie")
    User.objects.filter(pk=sales.pk).update(is_active=False)
    with pytest.raises(CommandError, match="deactivated"):
        call_command("token", "create", sales.username)
    assert not ApiToken.objects.exists()


# --- clientela serve ----------------------------------------------------------------


def test_serve_loads_the_program_before_forking_and_sets_it_apart():
    """The workers share every view, template and catalog read once, which the garbage
    collector no longer scans."""
    templates = engines["django"].engine.template_loaders[0]
    templates.reset()
    gc.unfreeze()
    try:
        application = ClientelaServer({}).load()
        assert callable(application)
        assert gc.get_freeze_count() > 100_000
        assert {"customers/detail.html", "orders/list.html"} <= set(templates.get_template_cache)
    finally:
        gc.unfreeze()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def login_path() -> str:
    try:
        return reverse("login")
    except NoReverseMatch:
        return "/admin/login/"


def _child_running(parent: int, word: str, wait: float = 20) -> int | None:
    """The pid of a child of ``parent`` whose command line holds ``word``, if one starts."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        for proc in Path("/proc").iterdir():
            try:
                stat = (proc / "stat").read_text().rsplit(")", 1)[1].split()
                cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except (OSError, IndexError, ValueError):
                continue
            if int(stat[1]) == parent and word in cmdline:
                return int(proc.name)
        time.sleep(0.2)
    return None


def test_serve_answers_pages_and_static_files_until_stopped(cli):
    port = free_port()
    server = subprocess.Popen(
        [str(CLIENTELA), "serve", "--port", str(port), "--workers", "1"],
        env=cli,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        status, page = None, b""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and server.poll() is None:
            try:
                status, page = get(base + login_path())
                break
            except OSError:
                time.sleep(0.2)
        assert server.poll() is None, server.stderr.read() if server.stderr else ""
        assert status == 200, page[:500]
        assert b"csrfmiddlewaretoken" in page

        status, css = get(base + "/static/admin/css/base.css")
        assert status == 200 and len(css) > 1000
        worker = _child_running(server.pid, "worker --queues webhooks,mail")
        assert worker is not None, "serve starts the background task workers"
        environ = Path(f"/proc/{worker}/environ").read_bytes().split(b"\0")
        assert f"CLIENTELA_BASE_URL={base}".encode() in environ, "e-mail links lead here"
    finally:
        server.terminate()
        stdout, stderr = server.communicate(timeout=30)
    assert server.returncode == 0, stderr
    assert not Path(f"/proc/{worker}").exists(), "the task worker stops with the server"
    assert f"http://127.0.0.1:{port}/" in stdout


def _serving(env, port: int) -> subprocess.Popen:
    """`clientela serve` on ``port`` once it answers."""
    server = subprocess.Popen(
        [str(CLIENTELA), "serve", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and server.poll() is None:
        try:
            get(f"http://127.0.0.1:{port}{login_path()}")
            return server
        except OSError:
            time.sleep(0.2)
    server.kill()
    raise AssertionError(server.communicate()[1])


def _ended(pids: list[int], wait: float = 30) -> bool:
    """Whether every process of ``pids`` ends (or is a zombie) within ``wait`` seconds."""
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        alive = []
        for pid in pids:
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                continue
            if state != "Z":
                alive.append(pid)
        if not alive:
            return True
        time.sleep(0.2)
    return False


def test_serve_starts_a_worker_per_queue_again_when_one_dies_and_none_outlives_it(cli):
    server = _serving(cli, free_port())
    try:
        workers = {
            queues: _child_running(server.pid, f"worker --queues {queues}")
            for queues in ("webhooks,mail", "imports,default", "analyses")
        }
        scheduler = _child_running(server.pid, "clientela schedule")
        assert None not in workers.values() and scheduler is not None, workers

        os.kill(workers["analyses"], signal.SIGKILL)  # the analyses' worker crashes

        deadline = time.monotonic() + 30
        again = None
        while time.monotonic() < deadline and again in (None, workers["analyses"]):
            again = _child_running(server.pid, "worker --queues analyses", wait=1)
        assert again not in (None, workers["analyses"]), "a worker that died starts again"
    finally:
        server.kill()  # -9: serve has no time to stop them itself
        stderr = server.communicate(timeout=30)[1]

    assert "ended; starting it again" in stderr
    assert _ended([again, workers["webhooks,mail"], workers["imports,default"], scheduler]), (
        "the workers and the scheduler end with serve"
    )


def test_serve_refuses_to_start_on_a_database_that_needs_migrating(tmp_path):
    result = clientela(_environment(tmp_path), "serve", "--port", str(free_port()))

    assert result.returncode != 0
    assert "clientela migrate" in result.stderr


def test_serve_refuses_a_port_already_in_use(cli):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = clientela(cli, "serve", "--port", str(port))

    assert result.returncode != 0
    assert "already in use" in result.stderr


# --- clientela backup and restore ------------------------------------------------------


def _all_tables(database_file: str) -> dict[str, list]:
    with sqlite3.connect(database_file) as connection:
        tables = [name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'sqlite_sequence'"
        )]  # fmt: skip
        return {t: sorted(connection.execute(f'SELECT * FROM "{t}"').fetchall()) for t in tables}


def test_backup_copies_what_is_committed_while_the_server_writes_and_restore_checks_it(
    cli, tmp_path
):
    # given a committed session, and another being written but not committed yet
    query(cli, "INSERT INTO django_session VALUES ('committed', 'data', '2030-01-01')")
    writer = sqlite3.connect(cli["_DATABASE_FILE"], isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("INSERT INTO django_session VALUES ('uncommitted', 'data', '2030-01-01')")
    try:
        # when the database is backed up meanwhile
        backed_up = clientela(cli, "backup", str(tmp_path / "espiga.zip"))
    finally:
        writer.rollback()
        writer.close()
    assert backed_up.returncode == 0, backed_up.stderr
    assert "verified; backup written to" in backed_up.stdout

    # then restored into a new installation
    elsewhere = _environment(tmp_path / "elsewhere")
    restored = clientela(elsewhere, "restore", str(tmp_path / "espiga.zip"))

    # it holds every table as committed at the backup, and says it checked them
    assert restored.returncode == 0, restored.stderr
    assert re.search(r"\d+ tables, \d+ rows verified", restored.stdout)
    copy = _all_tables(str(tmp_path / "elsewhere" / "clientela.sqlite3"))
    assert copy == _all_tables(cli["_DATABASE_FILE"])
    assert [key for key, *_ in copy["django_session"]] == ["committed"]

    # and a second restore there is refused, with the reason
    again = clientela(elsewhere, "restore", str(tmp_path / "espiga.zip"))
    assert again.returncode != 0 and "is not empty" in again.stderr


# --- the command line itself ----------------------------------------------------------


@pytest.mark.parametrize("args", [(), ("--help",), ("help",)])
def test_clientela_alone_lists_its_own_commands_first_one_line_each(tmp_path, args):
    result = clientela(_environment(tmp_path), *args)

    assert result.returncode == 0, result.stderr
    own, _sep, django = result.stdout.partition("Django's commands")
    assert own.startswith("Clientela's commands")
    listed = re.findall(r"^  (\w+) +(\S.*)$", own, re.MULTILINE)
    assert [name for name, _line in listed] == list(PRODUCT_COMMANDS)
    assert "migrate" in django and "[demo]" in django


def test_every_command_of_clientela_has_its_line_in_the_list():
    django_commands = set(find_commands(str(Path(management.__file__).parent)))
    own = {
        name
        for name, app in get_commands().items()
        if app.startswith("clientela.") and name not in django_commands
    }

    assert own == set(PRODUCT_COMMANDS)


def test_the_data_folder_is_the_projects_wherever_the_command_runs_from(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLIENTELA_", "DATABASE_"))}
    env["DJANGO_SETTINGS_MODULE"] = "clientela.settings"
    show = "from django.conf import settings; print(settings.DATA_DIR)"
    project = Path(__file__).resolve().parents[3]

    folders = {
        subprocess.run(
            [sys.executable, "-c", show], cwd=cwd, env=env, capture_output=True, text=True
        ).stdout.strip()
        for cwd in (project, tmp_path, project / "clientela")
    }

    assert folders == {str(project / "data")}


@pytest.mark.parametrize(
    ("arguments", "analyses_a_file"),
    [
        (["analyze", "--transactions", "sales.csv", "--out", "results"], True),
        (["analyze", "--customer-col", "c", "--transactions=sales.csv"], True),
        (["analyze"], False),
        (["analyze", "--as-of", "2024-01-01"], False),
        (["serve", "--transactions"], False),
        ([], False),
    ],
)
def test_only_the_offline_analysis_keeps_freed_memory_in_one_heap(arguments, analyses_a_file):
    # the allocator is set for one heap (and freed memory kept) only for a file's
    # analysis: the web server and the worker keep a heap per thread
    assert _analyses_a_file(arguments) is analyses_a_file


@pytest.mark.django_db
def test_unlocking_a_user_who_does_not_exist_says_so():
    with pytest.raises(CommandError, match="There is no user named nadie"):
        call_command("user", "unlock", "nadie")


# --- a busy embedded database ---------------------------------------------------------


def _call(url: str, *, token: str, body: dict | None = None) -> tuple[int, dict, dict]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def test_a_write_that_waits_too_long_for_sqlite_is_answered_busy_and_reads_go_on(cli):
    clientela(cli, "user", "create", "ana", "--role", "owner", stdin=GOOD_PASSWORD)
    token = clientela(cli, "token", "create", "ana", "--label", "busy").stdout.strip()
    port = free_port()
    server = _serving({**cli, "CLIENTELA_DB_BUSY_SECONDS": "1"}, port)
    customers = f"http://127.0.0.1:{port}/api/v1/customers"
    try:
        assert _call(customers, token=token, body={"name": "Antes"})[0] == 201
        query(cli, "UPDATE core_apitoken SET last_used_at = NULL")  # its use is noted next
        # Another writer (an import, say) holds the database's write lock
        holder = sqlite3.connect(cli["_DATABASE_FILE"], isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            status, headers, answer = _call(customers, token=token, body={"name": "Durante"})
            read = _call(customers, token=token)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        after = _call(customers, token=token, body={"name": "Después"})
    finally:
        server.terminate()
        server.communicate(timeout=30)

    assert status == 503 and headers["Retry-After"] == "5"
    assert "Try again in a few seconds" in answer["detail"]
    assert read[0] == 200 and [c["name"] for c in read[2]["items"]] == ["Antes"]
    assert after[0] == 201
    names = [row[0] for row in query(cli, "SELECT name FROM customers_customer ORDER BY id")]
    assert names == ["Antes", "Después"]
