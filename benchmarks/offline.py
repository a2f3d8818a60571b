"""Benchmark: ``clientela analyze --transactions`` end to end against lifetimes doing the same.

Issue 13's target: on one file of 1,000,000 customers, the command, from file to file
as a user runs it, at least 10× faster than lifetimes doing the same work, with a peak
memory under 1 GB.

The file (``--customers``, default 1,000,000) is simulated with a fixed seed and kept in
``--folder`` for the next run: customers from BG/NBD (r 0.3, α 12, a 0.8, b 3 per day)
who first buy during 2023 and are watched to the end of 2024, amounts from Gamma-Gamma
(p 6, q 3.8, γ 15) rounded to cents; one row per purchase (customer, ISO date, amount),
the rows in date order as a sales export has them (about 5 transactions a customer).

Each side runs as a child process, timed from start to exit, with its CPU time and peak
resident memory (``ru_utime + ru_stime`` and ``ru_maxrss`` of that process, from
``os.wait4``). Linux counts in a child's peak the memory of the process it was started
from, so this one stays small: the file is simulated by a child of its own, and the
versions are read from the packages' metadata.

- Clientela: ``clientela analyze --transactions FILE --customer-col customer --date-col
  date --amount-col amount --models bgnbd,gammagamma --out DIR -v 0`` (read, summary,
  BG/NBD, Gamma-Gamma, scores and ``customers.csv`` with RFM and Pareto classes besides);
- lifetimes 0.11.3, used as documented (this script with ``--lifetimes``):
  ``pandas.read_csv`` (dates parsed) → ``summary_data_from_transaction_data``
  (``freq="D"``) → ``BetaGeoFitter().fit`` → ``GammaGammaFitter().fit`` on the repeat
  buyers with a positive mean → ``conditional_probability_alive`` →
  ``customer_lifetime_value`` (12 months, 1 % a month, ``freq="D"``) → ``to_csv``.

The pair runs ``--repeat`` times (Clientela first each time); the ratio is taken within
each pair, and the load average is printed before and after. Then both tables are
compared customer by customer: frequency, recency and T must be identical; the largest
relative differences of the probability alive and of the CLV (customers whose lifetimes
CLV exceeds 0.01) and the fitted parameters are printed.

    .venv/bin/python benchmarks/offline.py
    .venv/bin/python benchmarks/offline.py --customers 100000 --repeat 3
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from importlib.metadata import version
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED = 20261206
DAILY_BGNBD = {"r": 0.3, "alpha": 12.0, "a": 0.8, "b": 3.0}
SPEND = {"p": 6.0, "q": 3.8, "gamma": 15.0}
FIRST_DAY = np.datetime64("2023-01-01")
FIRST_PURCHASE_DAYS = 365
WATCHED_DAYS = 730
SPEEDUP_TARGET = 10
MEMORY_TARGET_MIB = 1000
CLV_FLOOR = 0.01


def load() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def transactions_path(folder: Path, customers: int) -> Path:
    """Where the simulated export of ``customers`` customers is kept."""
    return folder / f"transactions-{customers}-{SEED}.csv"


def transactions_file(folder: Path, customers: int) -> Path:
    """The simulated export of ``customers`` customers (written once, then reused)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from clientela.analytics.stats import btyd, simulate

    path = transactions_path(folder, customers)
    if path.exists():
        return path
    started = time.perf_counter()
    rng = np.random.default_rng(SEED)
    first_day = rng.integers(0, FIRST_PURCHASE_DAYS, customers)
    simulated = simulate.simulate_bgnbd(
        btyd.BGNBDParameters(**DAILY_BGNBD),
        WATCHED_DAYS - first_day.astype(float),
        seed=SEED + 1,
        transactions=True,
    )
    buyer = simulated.transaction_customer
    amounts = simulate.simulate_transaction_amounts(
        btyd.GammaGammaParameters(**SPEND), buyer, seed=SEED + 2
    )
    days = first_day[buyer] + np.floor(simulated.transaction_time).astype(np.int64)
    order = np.argsort(days, kind="stable")
    # Customer numbers that say nothing of the order they first bought in.
    numbers = rng.permutation(customers) + 100_000
    table = pa.table(
        {
            "customer": pa.array(np.char.add("C", numbers[buyer[order]].astype(str))),
            "date": pa.array(FIRST_DAY + days[order].astype("timedelta64[D]")),
            "amount": pa.array(np.round(amounts[order], 2)),
        }
    )
    folder.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    pacsv.write_csv(table, partial, pacsv.WriteOptions(quoting_style="none"))
    partial.rename(path)
    print(
        f"wrote {path}: {customers:,} customers, {table.num_rows:,} transactions, "
        f"{path.stat().st_size / 2**20:,.0f} MiB in {time.perf_counter() - started:.0f} s",
        flush=True,
    )
    return path


def run(command: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """Run ``command``; its wall time and CPU time (s) and peak resident memory (MiB)."""
    with tempfile.TemporaryFile() as output:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)  # this child's own figures
        seconds = time.perf_counter() - started
        if os.waitstatus_to_exitcode(status):
            output.seek(0)
            sys.exit(f"{' '.join(command)} failed:\n{output.read().decode()}")
    return seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024


def lifetimes_pipeline(path: str, folder: str) -> None:
    """lifetimes doing what the command does, as its documentation shows."""
    import warnings

    import pandas as pd
    from lifetimes import BetaGeoFitter, GammaGammaFitter
    from lifetimes.utils import summary_data_from_transaction_data

    warnings.filterwarnings("ignore")
    frame = pd.read_csv(path, dtype={"customer": str}, parse_dates=["date"])
    summary = summary_data_from_transaction_data(
        frame,
        "customer",
        "date",
        monetary_value_col="amount",
        observation_period_end=frame["date"].max(),
        freq="D",
    )
    del frame
    x, t_x, age, spend = (summary[c] for c in ("frequency", "recency", "T", "monetary_value"))
    purchases = BetaGeoFitter().fit(x, t_x, age)
    repeat = (x > 0) & (spend > 0)
    spending = GammaGammaFitter().fit(x[repeat], spend[repeat])
    summary["probability_alive"] = purchases.conditional_probability_alive(x, t_x, age)
    summary["clv"] = spending.customer_lifetime_value(
        purchases, x, t_x, age, spend, time=12, discount_rate=0.01, freq="D"
    )
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    summary.to_csv(out / "customers.csv")
    parameters = {
        "bgnbd": purchases.params_.to_dict(),
        "gammagamma": spending.params_.to_dict(),
    }
    (out / "model.json").write_text(json.dumps(parameters))


def compare(ours_folder: Path, theirs_folder: Path) -> list[str]:
    """Lines saying how far Clientela's results are from lifetimes'."""
    import pandas as pd

    ours = pd.read_csv(ours_folder / "customers.csv", dtype={"customer_id": str})
    theirs = pd.read_csv(theirs_folder / "customers.csv", dtype={"customer": str})
    theirs = theirs.set_index("customer").reindex(ours["customer_id"])
    same = all(
        np.array_equal(ours[column].to_numpy(), theirs[column].to_numpy())
        for column in ("frequency", "recency", "T")
    )
    lines = [
        f"customers: {len(ours):,} | {len(theirs):,}; frequency, recency and T "
        f"{'identical' if same else 'DIFFERENT'}"
    ]
    alive = np.abs(ours["probability_alive"].to_numpy() - theirs["probability_alive"].to_numpy())
    lines.append(f"probability alive: largest difference {np.nanmax(alive):.2g}")
    counted = theirs["clv"].to_numpy() > CLV_FLOOR
    relative = np.abs(ours["clv"].to_numpy()[counted] / theirs["clv"].to_numpy()[counted] - 1)
    lines.append(
        f"12-month CLV ({int(counted.sum()):,} customers with lifetimes CLV > {CLV_FLOOR}): "
        f"largest relative difference {np.nanmax(relative):.2g}, median {np.nanmedian(relative):.2g}"
    )
    model = json.loads((ours_folder / "model.json").read_text())["models"]
    their_model = json.loads((theirs_folder / "model.json").read_text())
    # lifetimes calls Gamma-Gamma's scale v where Clientela (and the paper) say gamma.
    for name, their_names in (("bgnbd", {}), ("gammagamma", {"gamma": "v"})):
        mine = model[name]["parameters"]
        their = {key: their_model[name][their_names.get(key, key)] for key in mine}
        worst = max(abs(mine[key] / their[key] - 1) for key in mine)
        cells = ", ".join(f"{key} {mine[key]:.6g} | {their[key]:.6g}" for key in mine)
        lines.append(f"{name}: {cells}; largest relative difference {worst:.2g}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=1, help="pairs of runs")
    parser.add_argument("--folder", type=Path, default=Path("/tmp/clientela-offline-benchmark"))
    parser.add_argument("--lifetimes", nargs=2, metavar=("FILE", "OUT"), help=argparse.SUPPRESS)
    parser.add_argument("--write-file", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.lifetimes:
        lifetimes_pipeline(*args.lifetimes)
        return

    if args.write_file:
        transactions_file(args.folder, args.customers)
        return

    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, pyarrow "
        f"{version('pyarrow')}, lifetimes {version('lifetimes')}; {os.cpu_count()} CPUs",
        flush=True,
    )
    command = [sys.executable, __file__, "--write-file", "--folder", str(args.folder)]
    subprocess.run([*command, "--customers", str(args.customers)], check=True)
    path = transactions_path(args.folder, args.customers)
    # Python keeps compiled modules between runs, as on a user's machine (this workplace
    # turns that off for its own commands).
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("CLIENTELA_") and key != "PYTHONDONTWRITEBYTECODE"
    }
    env.update(
        CLIENTELA_DATA_DIR=str(args.folder / "data"),
        CLIENTELA_LANGUAGE="en",
        DJANGO_SETTINGS_MODULE="clientela.settings",
    )
    ours_folder, theirs_folder = args.folder / "clientela", args.folder / "lifetimes"
    ours_command = [
        str(Path(sys.executable).with_name("clientela")),
        "analyze",
        "--transactions",
        str(path),
        "--customer-col",
        "customer",
        "--date-col",
        "date",
        "--amount-col",
        "amount",
        "--models",
        "bgnbd,gammagamma",
        "--out",
        str(ours_folder),
        "-v",
        "0",
    ]
    theirs_command = [sys.executable, __file__, "--lifetimes", str(path), str(theirs_folder)]
    # One untimed start of each, so that both find their modules compiled.
    run([*ours_command[:2], "--help"], env)
    run([sys.executable, "-c", "import pandas, lifetimes.utils"], env)
    print(f"load average before: {load()}", flush=True)
    rows = []
    for attempt in range(1, args.repeat + 1):
        ours = run(ours_command, env)
        print(f"  clientela: {ours[0]:.2f} s ({ours[1]:.2f} s CPU), {ours[2]:,.0f} MiB", flush=True)
        theirs = run(theirs_command, env)
        print(
            f"  lifetimes: {theirs[0]:.2f} s ({theirs[1]:.2f} s CPU), {theirs[2]:,.0f} MiB",
            flush=True,
        )
        rows.append((attempt, ours, theirs))
    print(f"load average after: {load()}")
    print()
    print(
        "| run | clientela (s) | CPU (s) | peak (MiB) | lifetimes (s) | CPU (s) | peak (MiB) "
        "| lifetimes / clientela (wall · CPU) |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for attempt, ours, theirs in rows:
        speedup = theirs[0] / ours[0]
        verdict = "✓" if speedup >= SPEEDUP_TARGET and ours[2] < MEMORY_TARGET_MIB else "✗"
        print(
            f"| {attempt} | {ours[0]:.2f} | {ours[1]:.2f} | {ours[2]:,.0f} | {theirs[0]:.2f} | "
            f"{theirs[1]:.2f} | {theirs[2]:,.0f} | **{speedup:.1f}×** · "
            f"{theirs[1] / ours[1]:.1f}× {verdict} |"
        )
    print()
    for line in compare(ours_folder, theirs_folder):
        print(line)


if __name__ == "__main__":
    main()
