"""Benchmark: other users' saves while a large file is imported into the embedded SQLite.

Makes a fresh SQLite installation in a temporary data folder, a CSV of N synthetic
customers (``imports.customer_rows``: RFCs, e-mails and phones all different) and an
owner with an API token; starts ``clientela serve`` (its background workers off), then
``clientela import customers FILE`` as a child process, and meanwhile W "other users",
each a thread on its own connection, save a new customer (``POST /api/v1/customers``)
and read the list (``GET /api/v1/customers``) in turn, with a short pause, until the
import ends. Prints, for the saves and the reads made while the import ran: how many,
their latency (median, p95, largest) and every answer that was not a success (503
"busy" included), and the import's own time. ``--clientela`` runs another build's
console script (an earlier commit's checkout) against the same file, for a before and
after in one run.

    .venv/bin/python benchmarks/busy.py --customers 50000 --writers 11
    .venv/bin/python benchmarks/busy.py --customers 50000 --writers 11 \\
        --clientela /path/to/earlier/checkout/.venv/bin/clientela
"""

import argparse
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import imports  # the synthetic customer file

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95 = 2.0


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(clientela: str, env: dict, *args: str, stdin: str = "") -> str:
    result = subprocess.run(
        [clientela, *args], env=env, input=stdin, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"clientela {' '.join(args)} failed: {result.stderr}")
    return result.stdout


def _request(url: str, token: str, body: dict | None) -> tuple[float, int]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode() if body is not None else None,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    except OSError:
        status = 0  # no answer at all
    return time.perf_counter() - start, status


def _user(number: int, base: str, token: str, stop: threading.Event, log: list) -> None:
    """One other user: save a customer, read the list, pause; until ``stop``."""
    made = 0
    while not stop.is_set():
        made += 1
        name = f"Cliente de mostrador {number}-{made}"
        body = {"name": name, "emails": [f"mostrador.{number}.{made}@ejemplo.mx"]}
        log.append(("save", time.monotonic(), *_request(f"{base}/customers", token, body)))
        log.append(("read", time.monotonic(), *_request(f"{base}/customers", token, None)))
        stop.wait(0.2)


def _figures(kind: str, entries: list) -> str:
    times = sorted(entry[2] for entry in entries)
    failed = [entry[3] for entry in entries if not 200 <= entry[3] < 300]
    if not times:
        return f"{kind}: none"
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    return (
        f"{kind}: {len(times)}, median {statistics.median(times):.3f} s, p95 {p95:.3f} s, "
        f"largest {times[-1]:.3f} s, not a success: {len(failed)} {sorted(set(failed))}"
    )


def run(clientela: str, csv_path: Path, writers: int) -> tuple[float, list]:
    """One installation, one import, ``writers`` other users; the import's time and
    what the users met while it ran."""
    data = Path(tempfile.mkdtemp(prefix="clientela-busy-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLIENTELA_", "DATABASE_"))}
    env.update(CLIENTELA_DATA_DIR=str(data), CLIENTELA_LOG_LEVEL="ERROR")
    _run(clientela, env, "migrate", "--no-input", "-v", "0")
    _run(clientela, env, "user", "create", "ana", "--role", "owner", stdin="Pan-de-elote-2024")
    token = _run(clientela, env, "token", "create", "ana", "--label", "bench").strip()
    port = _free_port()
    server = subprocess.Popen(
        [clientela, "serve", "--port", str(port), "--no-tasks"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/api/v1"
    try:
        deadline = time.monotonic() + 60
        while _request(f"{base}/customers", token, None)[1] != 200:
            if time.monotonic() > deadline:
                raise SystemExit("the server did not start")
            time.sleep(0.2)
        stop, log = threading.Event(), []
        users = [
            threading.Thread(target=_user, args=(n, base, token, stop, log)) for n in range(writers)
        ]
        for user in users:
            user.start()
        time.sleep(2)  # the users are at work before the import starts
        start = time.monotonic()
        _run(clientela, env, "import", "customers", str(csv_path), "-v", "0")
        end = time.monotonic()
        stop.set()
        for user in users:
            user.join()
    finally:
        server.terminate()
        server.wait()
    during = [entry for entry in log if start <= entry[1] <= end]
    return end - start, during


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--writers", type=int, default=11)
    parser.add_argument("--clientela", action="append", default=[], help="another build")
    parser.add_argument("--data-dir", default="/tmp/clientela-bench-busy")
    args = parser.parse_args()
    folder = Path(args.data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = imports.data_file(folder, "csv", args.customers, imports.SEED)
    print(f"{platform.node()}, {os.cpu_count()} cores; {args.customers} customers, "
          f"{args.writers} other users")  # fmt: skip
    for clientela in [str(ROOT / ".venv" / "bin" / "clientela"), *args.clientela]:
        seconds, during = run(clientela, csv_path, args.writers)
        saves = [entry for entry in during if entry[0] == "save"]
        reads = [entry for entry in during if entry[0] == "read"]
        print(f"\n{clientela}\n  import: {seconds:.1f} s")
        print("  " + _figures("saves", saves))
        print("  " + _figures("reads", reads))


if __name__ == "__main__":
    main()
