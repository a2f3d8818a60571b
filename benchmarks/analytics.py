"""Benchmark: our BTYD fitters and predictions against lifetimes, in the same run.

Two data sets:

1. CDNOW (Fader, Hardie & Lee 2005): the published 2,357-customer, 39-week summary that
   the tests use. Both libraries fit BG/NBD, Pareto/NBD and Gamma-Gamma with their
   defaults and predict P(alive), expected purchases in 39 weeks and a 12-month CLV.
2. A simulated business of N customers (default 1,000,000) from known BG/NBD and
   Gamma-Gamma parameters: daily transactions of a 2024 cohort (first purchases in the
   first half of the year, observed to 2024-12-31), summarised by day. We run on all N;
   lifetimes runs on a random sample of S customers (default 20,000) because it is far
   too slow for N, and its time is also shown scaled linearly to N (its fits evaluate the
   likelihood over every customer at every step, so their cost grows with N; the scaled
   figure is an estimate, marked with "~").

lifetimes is used as documented: no collapsing of identical customers into weights.
Times are the best of ``--repeat`` runs for ours and of one run for lifetimes' slow steps.

    .venv/bin/python benchmarks/analytics.py
    .venv/bin/python benchmarks/analytics.py --customers 1000000 --lifetimes-sample 20000
"""

import argparse
import os
import platform
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clientela.analytics.stats import btyd, simulate  # noqa: E402
from clientela.analytics.stats.btyd import bgnbd, gammagamma, paretonbd  # noqa: E402
from clientela.analytics.stats.summary import transaction_summary  # noqa: E402

CDNOW = ROOT / "clientela/analytics/stats/tests/data/cdnow_customers_summary_with_transactions.csv"
SEED = 20241231
DAILY_BGNBD = btyd.BGNBDParameters(r=0.25, alpha=30.0, a=0.8, b=2.5)
SPEND = btyd.GammaGammaParameters(p=6.0, q=3.8, gamma=15.0)

warnings.filterwarnings("ignore")


def best_of(repeat: int, function: Callable[[], object]) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        best = min(best, time.perf_counter() - start)
    return best, result


class Table:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, str, str, str]] = []

    def add(self, case: str, step: str, ours: float, theirs: float, scaled: bool = False):
        mark = "~" if scaled else ""
        self.rows.append(
            (case, step, f"{ours:.3f}", f"{mark}{theirs:.3f}", f"{mark}{theirs / ours:.0f}×")
        )

    def print(self) -> None:
        header = ("data", "step", "ours (s)", "lifetimes (s)", "lifetimes / ours")
        widths = [max(len(row[i]) for row in [header, *self.rows]) for i in range(5)]
        line = " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
        print(line)
        print("-+-".join("-" * w for w in widths))
        for row in self.rows:
            print(" | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def lifetimes_models():
    from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

    return BetaGeoFitter, ParetoNBDFitter, GammaGammaFitter


def our_predictions(bg, pn, gg, x, t_x, age, value, horizon, time_unit):
    return (
        bgnbd.probability_alive(bg, x, t_x, age),
        bgnbd.conditional_expected_purchases(bg, horizon, x, t_x, age),
        paretonbd.probability_alive(pn, x, t_x, age),
        paretonbd.conditional_expected_purchases(pn, horizon, x, t_x, age),
        btyd.customer_lifetime_value(bg, gg, x, t_x, age, value, time_unit=time_unit),
    )


def their_predictions(bg, pn, gg, x, t_x, age, value, horizon, freq):
    import pandas as pd

    index = pd.RangeIndex(len(x))
    series = [pd.Series(v, index=index) for v in (x, t_x, age, value)]
    return (
        bg.conditional_probability_alive(x, t_x, age),
        bg.conditional_expected_number_of_purchases_up_to_time(horizon, x, t_x, age),
        pn.conditional_probability_alive(x, t_x, age),
        pn.conditional_expected_number_of_purchases_up_to_time(horizon, x, t_x, age),
        gg.customer_lifetime_value(bg, *series, time=12, discount_rate=0.01, freq=freq),
    )


def run_cdnow(table: Table, repeat: int) -> None:
    BetaGeoFitter, ParetoNBDFitter, GammaGammaFitter = lifetimes_models()
    data = np.loadtxt(CDNOW, delimiter=",", skiprows=1)
    x, t_x, age, value = data[:, 1], data[:, 2], data[:, 3], data[:, 4]
    buyers = x > 0
    case = f"CDNOW ({x.size:,})"

    ours_bg_time, ours_bg = best_of(repeat, lambda: bgnbd.fit(x, t_x, age))
    theirs_bg_time, theirs_bg = best_of(repeat, lambda: BetaGeoFitter().fit(x, t_x, age))
    table.add(case, "BG/NBD fit", ours_bg_time, theirs_bg_time)
    ours_pn_time, ours_pn = best_of(repeat, lambda: paretonbd.fit(x, t_x, age))
    theirs_pn_time, theirs_pn = best_of(1, lambda: ParetoNBDFitter().fit(x, t_x, age))
    table.add(case, "Pareto/NBD fit", ours_pn_time, theirs_pn_time)
    ours_gg_time, ours_gg = best_of(repeat, lambda: gammagamma.fit(x, value))
    theirs_gg_time, theirs_gg = best_of(
        repeat, lambda: GammaGammaFitter().fit(x[buyers], value[buyers])
    )
    table.add(case, "Gamma-Gamma fit", ours_gg_time, theirs_gg_time)

    ours_time, _ = best_of(
        repeat,
        lambda: our_predictions(
            ours_bg.parameters,
            ours_pn.parameters,
            ours_gg.parameters,
            x,
            t_x,
            age,
            value,
            39.0,
            "week",
        ),
    )
    theirs_time, _ = best_of(
        repeat,
        lambda: their_predictions(theirs_bg, theirs_pn, theirs_gg, x, t_x, age, value, 39.0, "W"),
    )
    table.add(case, "predictions", ours_time, theirs_time)

    print("CDNOW estimates (ours | lifetimes):")
    for name, ours, theirs in (
        ("BG/NBD", ours_bg, theirs_bg),
        ("Pareto/NBD", ours_pn, theirs_pn),
        ("Gamma-Gamma", ours_gg, theirs_gg),
    ):
        print(
            f"  {name:12} {np.round(ours.parameters.as_array(), 4)} "
            f"| {np.round(theirs.params_.to_numpy(), 4)}  (our LL {ours.log_likelihood:.2f})"
        )


def simulated_transactions(n: int):
    rng = np.random.default_rng(SEED)
    first_day = rng.integers(0, 182, n)
    customers = simulate.simulate_bgnbd(
        DAILY_BGNBD, 365.0 - first_day, seed=SEED + 1, transactions=True
    )
    amounts = simulate.simulate_transaction_amounts(
        SPEND, customers.transaction_customer, seed=SEED + 2
    )
    offsets = first_day[customers.transaction_customer] + np.floor(customers.transaction_time)
    dates = np.datetime64("2024-01-01") + offsets.astype("timedelta64[D]")
    return customers.transaction_customer, dates, np.round(amounts, 2)


def run_simulated(table: Table, n: int, sample: int, repeat: int) -> None:
    import pandas as pd
    from lifetimes.utils import summary_data_from_transaction_data

    BetaGeoFitter, ParetoNBDFitter, GammaGammaFitter = lifetimes_models()
    customer, dates, amounts = simulated_transactions(n)
    sample = min(sample, n)
    chosen = np.sort(np.random.default_rng(SEED + 3).choice(n, sample, replace=False))
    in_sample = np.isin(customer, chosen)
    scale = n / sample
    case = f"simulated ({n:,}; lifetimes {sample:,})"
    end = "2024-12-31"
    print(f"simulated: {n:,} customers, {customer.size:,} transactions")

    ours_time, summary = best_of(
        repeat, lambda: transaction_summary(customer, dates, amounts, observation_end=end)
    )
    frame = pd.DataFrame(
        {"customer": customer[in_sample], "date": dates[in_sample], "amount": amounts[in_sample]}
    )
    theirs_time, their_summary = best_of(
        1,
        lambda: summary_data_from_transaction_data(
            frame, "customer", "date", "amount", observation_period_end=end, freq="D"
        ),
    )
    table.add(case, "summary", ours_time, theirs_time * scale, scaled=True)
    x, t_x, age, value = summary.frequency, summary.recency, summary.T, summary.monetary_value
    sx, st, sa, sv = (
        their_summary[column].to_numpy()
        for column in ("frequency", "recency", "T", "monetary_value")
    )
    sbuyers = sx > 0

    ours_bg_time, ours_bg = best_of(repeat, lambda: bgnbd.fit(x, t_x, age))
    theirs_bg_time, theirs_bg = best_of(1, lambda: BetaGeoFitter().fit(sx, st, sa))
    table.add(case, "BG/NBD fit", ours_bg_time, theirs_bg_time * scale, scaled=True)
    ours_pn_time, ours_pn = best_of(1, lambda: paretonbd.fit(x, t_x, age))
    theirs_pn_time, theirs_pn = best_of(1, lambda: ParetoNBDFitter().fit(sx, st, sa))
    table.add(case, "Pareto/NBD fit", ours_pn_time, theirs_pn_time * scale, scaled=True)
    ours_gg_time, ours_gg = best_of(repeat, lambda: gammagamma.fit(x, value))
    theirs_gg_time, theirs_gg = best_of(1, lambda: GammaGammaFitter().fit(sx[sbuyers], sv[sbuyers]))
    table.add(case, "Gamma-Gamma fit", ours_gg_time, theirs_gg_time * scale, scaled=True)

    ours_time, _ = best_of(
        1,
        lambda: our_predictions(
            ours_bg.parameters,
            ours_pn.parameters,
            ours_gg.parameters,
            x,
            t_x,
            age,
            value,
            365.0,
            "day",
        ),
    )
    theirs_time, _ = best_of(
        1, lambda: their_predictions(theirs_bg, theirs_pn, theirs_gg, sx, st, sa, sv, 365.0, "D")
    )
    table.add(case, "predictions", ours_time, theirs_time * scale, scaled=True)

    print(
        "simulated estimates (truth | ours on all | lifetimes on the sample; a daily summary"
        " merges same-day purchases, which moves BG/NBD's α a few % from the truth):"
    )
    print(
        f"  BG/NBD       {DAILY_BGNBD.as_array()} | {np.round(ours_bg.parameters.as_array(), 3)}"
        f" ± {np.round(ours_bg.standard_errors.as_array(), 3)} | "
        f"{np.round(theirs_bg.params_.to_numpy(), 3)}"
    )
    print(
        f"  Pareto/NBD   (not the generating model) | "
        f"{np.round(ours_pn.parameters.as_array(), 3)} | {np.round(theirs_pn.params_.to_numpy(), 3)}"
    )
    print(
        f"  Gamma-Gamma  {SPEND.as_array()} | {np.round(ours_gg.parameters.as_array(), 3)}"
        f" ± {np.round(ours_gg.standard_errors.as_array(), 3)} | "
        f"{np.round(theirs_gg.params_.to_numpy(), 3)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--lifetimes-sample", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-simulated", action="store_true")
    args = parser.parse_args()

    import lifetimes
    import scipy

    print(
        f"Python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
        f"lifetimes {lifetimes.__version__}; {os.cpu_count()} CPUs; {platform.machine()}"
    )
    table = Table()
    run_cdnow(table, args.repeat)
    if not args.skip_simulated:
        run_simulated(table, args.customers, args.lifetimes_sample, args.repeat)
    print()
    table.print()


if __name__ == "__main__":
    main()
