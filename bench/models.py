"""Benchmark: fit and predict with the probabilistic models on 1M synthetic customers, optionally against lifetimes.

Usage: python bench/models.py [--customers 1000000] [--peer] [--peer-pareto]

Customers' sufficient statistics are simulated from the BG/NBD process (rates per week r=0.25, alpha=4, a=0.8,
b=2.5) and Gamma-Gamma spend (p=6, q=4, gamma=15), with first purchases spread over a year and the observation
end two years after the start; recency and T are whole days, as a real log gives. For time units days and weeks it
times the fits of BG/NBD, Pareto/NBD and Gamma-Gamma, then P(alive), expected purchases and 12-month CLV with 80 %
intervals, and prints peak RSS. With ``--peer`` it installs lifetimes 0.11.3 in a side virtual environment
(/tmp/clv-peer-venv, with setuptools<81 for pkg_resources) and times it on the same data in a subprocess, printing
the speed ratio and the largest relative parameter difference. lifetimes' Pareto/NBD takes about ten minutes on 1M
customers: it runs only with ``--peer-pareto``. Both libraries run with one BLAS thread (clv pins it internally; the
peer gets OPENBLAS_NUM_THREADS=1), and wall and CPU seconds are printed: on a shared machine the CPU seconds and the
same-run ratios are the stable figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from clv.models import BetaGeo, GammaGamma, ParetoNBD, customer_lifetime_value

PEER_VENV = Path("/tmp/clv-peer-venv")
PEER_SCRIPT = """
import json, sys, time, warnings
import numpy as np, pandas as pd
warnings.filterwarnings("ignore")
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter
data = pd.read_parquet(sys.argv[1])
run_pareto = sys.argv[2] == "1"
year = float(sys.argv[4])
out = {}
def timed(label, action):
    wall, cpu = time.perf_counter(), time.process_time()
    value = action()
    out[label] = [time.perf_counter() - wall, time.process_time() - cpu]
    return value
f, r, T = data.frequency, data.recency, data["T"]
bg = timed("BG/NBD fit", lambda: BetaGeoFitter().fit(f, r, T))
out["BG/NBD params"] = dict(bg.params_)
if run_pareto:
    pn = timed("Pareto/NBD fit", lambda: ParetoNBDFitter().fit(f, r, T))
    out["Pareto/NBD params"] = dict(pn.params_)
repeat = data[(data.frequency > 0) & (data.monetary_value > 0)]
gg = timed("Gamma-Gamma fit", lambda: GammaGammaFitter().fit(repeat.frequency, repeat.monetary_value))
out["Gamma-Gamma params"] = dict(gg.params_)
timed("P(alive), BG/NBD", lambda: bg.conditional_probability_alive(f, r, T))
timed("expected purchases in a year, BG/NBD", lambda: bg.conditional_expected_number_of_purchases_up_to_time(year, f, r, T))
timed("CLV 12 months", lambda: gg.customer_lifetime_value(bg, f, r, T, data.monetary_value, time=12, freq=sys.argv[3], discount_rate=0.0))
# VmHWM, not ru_maxrss: the latter keeps the parent's peak across fork and exec.
status = open("/proc/self/status").read()
out["peak RSS MB"] = int(status.split("VmHWM:")[1].split()[0]) / 1024
print(json.dumps(out))
"""


def simulate(n_customers: int, seed: int = 0) -> pd.DataFrame:
    """Per-customer (frequency, recency, T in days, monetary_value) from the BG/NBD and Gamma-Gamma processes."""
    rng = np.random.default_rng(seed)
    rate = rng.gamma(0.25, 1 / 4.0, n_customers) / 7.0  # per day
    dropout = rng.beta(0.8, 2.5, n_customers)
    age = 365.0 + np.floor(rng.uniform(0, 365, n_customers))
    lifetime_purchases = rng.geometric(dropout)
    counts = rng.poisson(rate * age)
    owner = np.repeat(np.arange(n_customers), counts)
    times = np.floor(rng.uniform(0, 1, owner.size) * age[owner])
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    rank = np.arange(owner.size) - np.searchsorted(owner, owner)
    keep = rank < lifetime_purchases[owner]
    owner, times = owner[keep], times[keep]
    frequency = np.bincount(owner, minlength=n_customers)
    recency = np.zeros(n_customers)
    np.maximum.at(recency, owner, times)
    nu = rng.gamma(4.0, 1 / 15.0, n_customers)
    spend = rng.gamma(6.0 * np.maximum(frequency, 1), 1 / nu) / np.maximum(frequency, 1)
    return pd.DataFrame(
        {
            "frequency": frequency,
            "recency": recency,
            "T": age,
            "monetary_value": np.where(frequency > 0, spend, 0.0),
        }
    )


def timed(label: str, results: dict[str, tuple[float, float]], action):  # type: ignore[no-untyped-def]
    """Run ``action``, store (wall seconds, CPU seconds of this process) under ``label``, return its value."""
    wall, cpu = time.perf_counter(), time.process_time()
    value = action()
    results[label] = (time.perf_counter() - wall, time.process_time() - cpu)
    return value


def days_per(unit: str) -> float:
    return 1.0 if unit == "D" else 7.0


def run_ours(
    data: pd.DataFrame, unit: str
) -> tuple[dict[str, tuple[float, float]], dict[str, dict[str, float]]]:
    summary = data.copy()
    summary[["recency", "T"]] = summary[["recency", "T"]] / days_per(unit)
    summary.attrs["time_unit"] = unit
    year = 365.25 / days_per(unit)
    times: dict[str, tuple[float, float]] = {}
    f, r, T = summary.frequency, summary.recency, summary["T"]
    bg = timed("BG/NBD fit", times, lambda: BetaGeo().fit(summary))
    pn = timed("Pareto/NBD fit", times, lambda: ParetoNBD().fit(summary))
    repeat = summary[(summary.frequency > 0) & (summary.monetary_value > 0)]
    gg = timed("Gamma-Gamma fit", times, lambda: GammaGamma().fit(repeat))
    timed("P(alive), BG/NBD", times, lambda: bg.probability_alive(f, r, T))
    timed("P(alive), Pareto/NBD", times, lambda: pn.probability_alive(f, r, T))
    timed("expected purchases in a year, BG/NBD", times, lambda: bg.expected_purchases(year, f, r, T))
    timed("expected purchases in a year, Pareto/NBD", times, lambda: pn.expected_purchases(year, f, r, T))
    timed("CLV 12 months", times, lambda: customer_lifetime_value(bg, gg, summary, 12, "M"))
    timed("CLV 12 months, Pareto/NBD", times, lambda: customer_lifetime_value(pn, gg, summary, 12, "M"))
    params = {"BG/NBD params": bg.params_, "Pareto/NBD params": pn.params_, "Gamma-Gamma params": gg.params_}
    return times, params


def run_peer(data: pd.DataFrame, unit: str, pareto: bool) -> dict[str, object]:
    if not (PEER_VENV / "bin" / "python").exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run(
            [
                str(PEER_VENV / "bin" / "pip"),
                "install",
                "-q",
                "lifetimes==0.11.3",
                "setuptools<81",
                "pyarrow",
            ],
            check=True,
        )
    summary = data.copy()
    summary[["recency", "T"]] = summary[["recency", "T"]] / days_per(unit)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "summary.parquet"
        summary.to_parquet(path)
        script = Path(folder) / "peer.py"
        script.write_text(PEER_SCRIPT)
        freq = "D" if unit == "D" else "W"
        # One BLAS thread, as clv uses: on a shared machine OpenBLAS thread hand-offs slow lifetimes several-fold,
        # which would flatter the ratios.
        output = subprocess.run(
            [
                str(PEER_VENV / "bin" / "python"),
                str(script),
                str(path),
                "1" if pareto else "0",
                freq,
                str(365.25 / days_per(unit)),
            ],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"},
        ).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--units", nargs="+", default=["D", "W"])
    parser.add_argument("--peer", action="store_true")
    parser.add_argument("--peer-pareto", action="store_true")
    args = parser.parse_args()
    data = simulate(args.customers)
    histories = len(data[["frequency", "recency", "T"]].drop_duplicates())
    print(
        f"{args.customers:,} customers, {histories:,} distinct histories, "
        f"{int((data.frequency > 0).sum()):,} repeat buyers; "
        f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    print(
        "CLV rows: BG/NBD (or Pareto/NBD) x Gamma-Gamma, 12 months, ours with 80 % intervals, lifetimes without. "
        "Wall and CPU seconds; both libraries on one BLAS thread."
    )
    peer_rss = 0.0
    for unit in args.units:
        ours, our_params = run_ours(data, unit)
        peer = run_peer(data, unit, args.peer_pareto) if args.peer else {}
        peer_rss = max(peer_rss, float(peer.get("peak RSS MB", 0.0)))  # type: ignore[arg-type]
        print(f"\ntime unit {unit}")
        print(
            "| step | clv wall (s) | clv CPU (s) | lifetimes 0.11.3 wall (s) | lifetimes CPU (s) "
            "| speed-up wall | speed-up CPU | max relative parameter difference |"
        )
        print("|---|---:|---:|---:|---:|---:|---:|---:|")
        for step, (wall, cpu) in ours.items():
            print(f"| {step} | {wall:.2f} | {cpu:.2f} | {peer_columns(peer, step, wall, cpu, our_params)} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peer_text = f", lifetimes process {peer_rss:,.0f} MB" if peer_rss else ""
    print(f"\npeak RSS: clv process {peak:,.0f} MB{peer_text}")


def peer_columns(
    peer: dict[str, object], step: str, wall: float, cpu: float, our_params: dict[str, dict[str, float]]
) -> str:
    """lifetimes' wall and CPU seconds, the two speed-ups and, for fits, the largest relative parameter difference."""
    theirs = peer.get(step)
    if not isinstance(theirs, list):
        return "- | - | - | - | "
    their_wall, their_cpu = theirs
    model = step.removesuffix(" fit")
    difference = ""
    if step.endswith(" fit") and f"{model} params" in peer:
        their_params: dict[str, float] = peer[f"{model} params"]  # type: ignore[assignment]
        names = {"gamma": "v"}  # lifetimes calls Gamma-Gamma's gamma "v"
        mine = our_params[f"{model} params"]
        largest = max(
            abs(mine[k] - their_params[names.get(k, k)]) / abs(their_params[names.get(k, k)]) for k in mine
        )
        difference = f"{largest:.1e}"
    return f"{their_wall:.2f} | {their_cpu:.2f} | {_ratio(their_wall, wall)} | {_ratio(their_cpu, cpu)} | {difference}"


def _ratio(theirs: float, ours: float) -> str:
    ratio = theirs / max(ours, 1e-9)
    return f"{ratio:.1f}x" if ratio < 10 else f"{ratio:.0f}x"


# --- Subscriptions: sBG and BdW (issue 12) --------------------------------------------------------------------------
# Usage: python bench/models.py --subscriptions [10000000]
# Simulates monthly subscriptions from the BdW process (alpha=0.8, beta=2.5, c=0.7; each customer observed 0-36
# months), fits sBG and BdW (each compresses the rows to distinct (periods, churned) counts first), then values every
# active customer: DERL at 1 % a month with 80 % intervals, times a price of 9.99 or 19.99 a month.
SUBSCRIPTION_TRUTH = {"alpha": 0.8, "beta": 2.5, "c": 0.7}


def run_subscriptions(n_customers: int) -> None:
    from clv.datasets.subscriptions import simulate_lifetimes
    from clv.models import BetaDiscreteWeibull, ShiftedBetaGeometric

    times: dict[str, tuple[float, float]] = {}
    data = timed(
        "simulate", times, lambda: simulate_lifetimes(n_customers, **SUBSCRIPTION_TRUTH, max_periods=36)
    )
    active = data[~data["churned"]]
    price = np.where(np.arange(len(active)) % 2 == 0, 9.99, 19.99)
    print(
        f"{n_customers:,} subscriptions, {len(active):,} active, "
        f"{len(data[['periods', 'churned']].drop_duplicates()):,} distinct (periods, churned) rows; "
        f"load average at start {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
    )
    for model in (ShiftedBetaGeometric(), BetaDiscreteWeibull()):
        name = model.model_type
        timed(f"{name} fit", times, lambda model=model: model.fit(data))
        value = timed(
            f"{name} DERL + value with 80 % intervals, {len(active):,} customers",
            times,
            lambda model=model: model.expected_value(active["periods"], price, discount_rate=0.01, level=0.8),
        )
        fitted = ", ".join(
            f"{k} {v:.4f} (se {model.standard_errors_[k]:.4f})" for k, v in model.params_.items()
        )
        total, low, high = value.attrs["total"]
        print(
            f"{name}: {fitted}; LL {model.log_likelihood_:,.1f}; total value {total:,.0f} (80 %: {low:,.0f}-{high:,.0f})"
        )
    print(f"truth: {SUBSCRIPTION_TRUTH}\n\n| step | wall (s) | CPU (s) |\n|---|---:|---:|")
    for step, (wall, cpu) in times.items():
        print(f"| {step} | {wall:.2f} | {cpu:.2f} |")
    print(f"\npeak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    if "--subscriptions" in sys.argv:
        position = sys.argv.index("--subscriptions")
        run_subscriptions(int(sys.argv[position + 1]) if len(sys.argv) > position + 1 else 10_000_000)
    else:
        main()
