"""Benchmark: fit time of BG/NBD, MBG/NBD and Pareto/NBD with time-invariant covariates against without.

Usage: python bench/covariates.py [--customers 100000] [--repeats 5]

On the CDNOW summary (2,357 customers) it fits each model without covariates, with a random binary covariate and
with a random standard-normal covariate (in both processes), and prints the median wall and CPU milliseconds of
``--repeats`` fits. Then the same on ``--customers`` BG/NBD (and Pareto/NBD) customers drawn with a real binary
and a real numeric effect (clv.datasets.draws). A fit with covariates includes the fit without them (its start)
and the Hessian over all parameters. On a shared machine the CPU seconds and the same-run ratios are the stable
figures.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd

from clv.datasets import load_cdnow_summary
from clv.datasets.draws import simulate_bg_nbd, simulate_pareto_nbd
from clv.models import BetaGeo, ModifiedBetaGeo, ParetoNBD


def median_ms(action: Callable[[], object], repeats: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return 1000 * float(np.median(walls)), 1000 * float(np.median(cpus))


def report(label: str, summary: pd.DataFrame, covariates: dict[str, pd.DataFrame], repeats: int) -> None:
    for model_class in (BetaGeo, ModifiedBetaGeo, ParetoNBD):
        plain_wall, plain_cpu = median_ms(lambda model_class=model_class: model_class().fit(summary), repeats)
        line = (
            f"{label} {model_class.model_type:<10} without: {plain_wall:8.0f} ms wall {plain_cpu:8.0f} ms CPU"
        )
        for name, frame in covariates.items():
            wall, cpu = median_ms(
                lambda model_class=model_class, frame=frame: model_class().fit(summary, covariates=frame),
                repeats,
            )
            line += f" | {name}: {wall:8.0f} ms wall {cpu:8.0f} ms CPU ({cpu / max(plain_cpu, 1e-9):.1f}x)"
        print(line, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    cdnow = load_cdnow_summary()
    ids = cdnow["customer_id"]
    report(
        "CDNOW",
        cdnow,
        {
            "binary": pd.DataFrame({"customer_id": ids, "web": rng.integers(0, 2, len(ids))}),
            "numeric": pd.DataFrame({"customer_id": ids, "score": rng.normal(size=len(ids))}),
        },
        args.repeats,
    )
    n = args.customers
    web, score = rng.integers(0, 2, n), rng.normal(size=n)
    age = np.floor(rng.uniform(26.0, 78.0, n))
    alpha = 4.0 * np.exp(-(0.5 * web - 0.3 * score))
    drawn = {
        "BG/NBD draws": simulate_bg_nbd(
            rng, 0.8, alpha, 0.7 * np.exp(0.6 * web), 3.0 * np.exp(0.6 * web), age
        ),
        "Pareto/NBD draws": simulate_pareto_nbd(rng, 0.9, alpha, 0.8, 20.0 * np.exp(0.5 * web), age),
    }
    for label, summary in drawn.items():
        report(
            f"{label} ({n:,})",
            summary,
            {
                "binary": pd.DataFrame({"web": web}),
                "binary+numeric": pd.DataFrame({"web": web, "score": score}),
            },
            max(1, args.repeats // 2),
        )


if __name__ == "__main__":
    main()
