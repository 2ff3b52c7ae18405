"""Benchmark: fit and predict with the probabilistic models on 1M synthetic customers, optionally against lifetimes.

Usage: python bench/models.py [--customers 1000000] [--peer] [--peer-pareto]

Customers' sufficient statistics are simulated from the BG/NBD process (rates per week r=0.25, alpha=4, a=0.8,
b=2.5) and Gamma-Gamma spend (p=6, q=4, gamma=15), with first purchases spread over a year and the observation
end two years after the start; recency and T are whole days, as a real log gives. For time units days and weeks it
times the fits of BG/NBD, Pareto/NBD and Gamma-Gamma, then P(alive), expected purchases and 12-month CLV with 80 %
intervals, and prints peak RSS. With ``--peer`` it installs lifetimes 0.11.3 in a side virtual environment
(/tmp/clv-peer-venv, with setuptools<81 for pkg_resources) and times it on the same data in a subprocess, printing
the speed ratio and the largest relative parameter difference. lifetimes' Pareto/NBD takes about ten minutes on 1M
customers: it runs only with ``--peer-pareto``.
"""

from __future__ import annotations

import argparse
import json
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
out = {}
start = time.perf_counter(); bg = BetaGeoFitter().fit(data.frequency, data.recency, data["T"])
out["BG/NBD fit"] = time.perf_counter() - start; out["BG/NBD params"] = dict(bg.params_)
if run_pareto:
    start = time.perf_counter(); pn = ParetoNBDFitter().fit(data.frequency, data.recency, data["T"])
    out["Pareto/NBD fit"] = time.perf_counter() - start; out["Pareto/NBD params"] = dict(pn.params_)
repeat = data[(data.frequency > 0) & (data.monetary_value > 0)]
start = time.perf_counter(); gg = GammaGammaFitter().fit(repeat.frequency, repeat.monetary_value)
out["Gamma-Gamma fit"] = time.perf_counter() - start; out["Gamma-Gamma params"] = dict(gg.params_)
start = time.perf_counter()
gg.customer_lifetime_value(bg, data.frequency, data.recency, data["T"], data.monetary_value, time=12, freq=sys.argv[3], discount_rate=0.0)
out["CLV 12 months"] = time.perf_counter() - start
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


def timed(label: str, results: dict[str, float], action):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    value = action()
    results[label] = time.perf_counter() - start
    return value


def run_ours(data: pd.DataFrame, unit: str) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    summary = data.copy()
    if unit == "W":
        summary[["recency", "T"]] = summary[["recency", "T"]] / 7.0
    summary.attrs["time_unit"] = unit
    times: dict[str, float] = {}
    bg = timed("BG/NBD fit", times, lambda: BetaGeo().fit(summary))
    pn = timed("Pareto/NBD fit", times, lambda: ParetoNBD().fit(summary))
    repeat = summary[(summary.frequency > 0) & (summary.monetary_value > 0)]
    gg = timed("Gamma-Gamma fit", times, lambda: GammaGamma().fit(repeat))
    timed(
        "P(alive), BG/NBD and Pareto/NBD",
        times,
        lambda: [m.probability_alive(summary.frequency, summary.recency, summary["T"]) for m in (bg, pn)],
    )
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
    if unit == "W":
        summary[["recency", "T"]] = summary[["recency", "T"]] / 7.0
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "summary.parquet"
        summary.to_parquet(path)
        script = Path(folder) / "peer.py"
        script.write_text(PEER_SCRIPT)
        freq = "D" if unit == "D" else "W"
        output = subprocess.run(
            [str(PEER_VENV / "bin" / "python"), str(script), str(path), "1" if pareto else "0", freq],
            check=True,
            capture_output=True,
            text=True,
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
    print(f"{args.customers:,} customers, {int((data.frequency > 0).sum()):,} repeat buyers")
    print(
        "CLV rows: BG/NBD (or Pareto/NBD) x Gamma-Gamma, 12 months, ours with 80 % intervals, lifetimes without"
    )
    for unit in args.units:
        ours, our_params = run_ours(data, unit)
        peer = run_peer(data, unit, args.peer_pareto) if args.peer else {}
        print(f"\ntime unit {unit}")
        print("| step | clv (s) | lifetimes 0.11.3 (s) | speed-up | max relative parameter difference |")
        print("|---|---:|---:|---:|---:|")
        for step, seconds in ours.items():
            peer_seconds = peer.get(step) if peer else None
            model = step.replace(" fit", "")
            difference = ""
            if peer_seconds is not None and f"{model} params" in peer:
                theirs = peer[f"{model} params"]
                mine = our_params[f"{model} params"]
                peer_names = {"gamma": "v"}  # lifetimes calls Gamma-Gamma's gamma "v"
                difference = f"{max(abs(mine[k] - theirs[peer_names.get(k, k)]) / abs(theirs[peer_names.get(k, k)]) for k in mine):.1e}"  # type: ignore[index]
            peer_text = f"{peer_seconds:.2f}" if isinstance(peer_seconds, float) else "-"
            ratio = f"{peer_seconds / seconds:.0f}x" if isinstance(peer_seconds, float) else "-"
            print(f"| {step} | {seconds:.2f} | {peer_text} | {ratio} | {difference} |")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS of this process: {peak:,.0f} MB")


if __name__ == "__main__":
    main()
