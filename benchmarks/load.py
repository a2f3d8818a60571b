"""Benchmark: many people using Clientela at once, on loopback, against `clientela serve`.

Makes a fresh installation (SQLite in a temporary data folder, or the empty PostgreSQL
database of ``--database-url``) holding the demo bakery (``clientela demo``), starts
``clientela serve`` (background workers off) and C clients, each a thread signed in as
the demo's owner, that for ``--seconds`` (and at most ``--requests`` in all) do what
people do, one thing at a time with a pause of 0.5–1.5 s between (a person reads what
they asked for): open the customer list, search it, open a customer, open the order
list and an order, add a customer and add an order (through the API). Prints the
requests answered per second, every answer that was not a success, and the latency
(median, p95, p99) in all and per kind of request.

    .venv/bin/python benchmarks/load.py --clients 50 --seconds 60
    createdb -h 127.0.0.1 -U root clientela_load
    .venv/bin/python benchmarks/load.py --clients 50 --seconds 60 \\
        --database-url postgres://root@127.0.0.1:5432/clientela_load
    .venv/bin/python benchmarks/load.py --clients 50 --seconds 60 --prepared \
        --database-url postgres://root@127.0.0.1:5432/clientela_load --serve "--threads 1"
"""

import argparse
import http.cookiejar
import json
import os
import platform
import random
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENTELA = ROOT / ".venv" / "bin" / "clientela"
OWNER, PASSWORD = "lucia", "concha-de-vainilla"  # the demo's owner (clientela.demo)
TARGET_P95 = 0.250
SEARCHES = ["pan", "maria", "garcia", "cafe", "lopez", "55", "hotel", "rosa", "juan", "mx"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _run(env: dict, *args: str) -> str:
    result = subprocess.run(
        [str(CLIENTELA), *args], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"clientela {' '.join(args)} failed: {result.stderr[-2000:]}")
    return result.stdout


class Client:
    """One person at a browser (a session) who also uses the API (a token)."""

    def __init__(self, base: str, token: str, ids: dict, seed: int, log: list):
        self.base, self.token, self.ids, self.log = base, token, ids, log
        self.random = random.Random(seed)
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def _call(self, kind: str, path: str, body: dict | None = None, api: bool = False) -> bytes:
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if api:
            headers["Authorization"] = f"Bearer {self.token}"
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        start = time.perf_counter()
        content, status = b"", 0
        try:
            with self.opener.open(request, timeout=60) as response:
                content, status = response.read(), response.status
        except urllib.error.HTTPError as error:
            content, status = error.read(), error.code
        except OSError:
            pass  # no answer: status 0
        self.log.append((kind, time.perf_counter() - start, status))
        return content

    def sign_in(self) -> None:
        """Open the sign-in page and sign in, as the browser does."""
        page = self.opener.open(self.base + "/login/", timeout=60).read().decode()
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode(
            {"username": OWNER, "password": PASSWORD, "csrfmiddlewaretoken": csrf}
        ).encode()
        request = urllib.request.Request(
            self.base + "/login/", data=form, headers={"Referer": self.base + "/login/"}
        )
        self.opener.open(request, timeout=60).read()

    def act(self, made: int) -> None:
        """One thing a person does."""
        pick = self.random.random()
        customer = self.random.choice(self.ids["customers"])
        if pick < 0.25:
            self._call("customer list", "/customers/")
        elif pick < 0.45:
            self._call("customer search", f"/customers/?q={self.random.choice(SEARCHES)}")
        elif pick < 0.65:
            self._call("customer", f"/customers/{customer}/")
        elif pick < 0.75:
            self._call("order list", "/orders/")
        elif pick < 0.85:
            self._call("order", f"/orders/{self.random.choice(self.ids['orders'])}/")
        elif pick < 0.93:
            mark = f"{id(self)}-{made}"
            body = {"name": f"Cliente de carga {mark}", "emails": [f"carga.{mark}@ejemplo.mx"]}
            self._call("new customer (API)", "/api/v1/customers", body, api=True)
        else:
            body = {
                "customer_id": customer,
                "due_date": (date.today() + timedelta(days=3)).isoformat(),
                "lines": [
                    {"product_id": self.random.choice(self.ids["products"]), "quantity": "2"}
                ],
            }
            self._call("new order (API)", "/api/v1/orders", body, api=True)


def _ids(base: str, token: str) -> dict:
    def listed(path: str) -> list[int]:
        request = urllib.request.Request(
            f"{base}/api/v1/{path}?page_size=100", headers={"Authorization": f"Bearer {token}"}
        )
        with urllib.request.urlopen(request, timeout=60) as response:
            return [item["id"] for item in json.loads(response.read())["items"]]

    return {name: listed(name) for name in ("customers", "orders", "products")}


def _percentile(times: list[float], share: float) -> float:
    return times[min(len(times) - 1, int(share * len(times)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--requests", type=int, default=20_000, help="at most, in all")
    parser.add_argument("--customers", type=int, default=2000, help="the demo's size")
    parser.add_argument("--serve", default="", help="more arguments for clientela serve")
    parser.add_argument(
        "--prepared", action="store_true", help="the database holds the demo already"
    )
    args = parser.parse_args()

    data = Path(tempfile.mkdtemp(prefix="clientela-load-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLIENTELA_", "DATABASE_"))}
    env.update(CLIENTELA_DATA_DIR=str(data), CLIENTELA_LOG_LEVEL="ERROR")
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    if not args.prepared:
        _run(env, "migrate", "--no-input", "-v", "0")
        _run(env, "demo", "--customers", str(args.customers), "--seed", "7", "-v", "0")
    token = _run(env, "token", "create", OWNER, "--label", "load").strip()
    port = _free_port()
    server = subprocess.Popen(
        [str(CLIENTELA), "serve", "--port", str(port), "--no-tasks", *args.serve.split()],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/login/", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise SystemExit("the server did not start") from None
                time.sleep(0.2)
        ids = _ids(base, token)
        log: list = []
        clients = [Client(base, token, ids, seed, log) for seed in range(args.clients)]
        for client in clients:
            client.sign_in()
        stop = threading.Event()

        def person(client: Client) -> None:
            made = 0
            time.sleep(client.random.uniform(0, 1))  # people do not start in step
            while not stop.is_set() and len(log) < args.requests:
                made += 1
                client.act(made)
                stop.wait(client.random.uniform(0.5, 1.5))

        threads = [threading.Thread(target=person, args=(c,)) for c in clients]
        start = time.monotonic()
        for thread in threads:
            thread.start()
        stop.wait(args.seconds)
        stop.set()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - start
    finally:
        server.terminate()
        server.wait()

    times = sorted(entry[1] for entry in log)
    failed = [entry for entry in log if not 200 <= entry[2] < 300]
    database = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"{platform.node()}, {os.cpu_count()} cores; {database}; {args.clients} clients for "
        f"{elapsed:.0f} s; serve {args.serve or '(defaults)'}"
    )
    print(
        f"all: {len(log)} requests, {len(log) / elapsed:.1f} per second; median "
        f"{statistics.median(times) * 1000:.0f} ms, p95 {_percentile(times, 0.95) * 1000:.0f} "
        f"ms, p99 {_percentile(times, 0.99) * 1000:.0f} ms; not a success: {len(failed)} "
        f"{sorted({entry[2] for entry in failed})}"
    )
    for kind in sorted({entry[0] for entry in log}):
        kind_times = sorted(entry[1] for entry in log if entry[0] == kind)
        print(
            f"  {kind}: {len(kind_times)}, median {statistics.median(kind_times) * 1000:.0f} "
            f"ms, p95 {_percentile(kind_times, 0.95) * 1000:.0f} ms"
        )
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
