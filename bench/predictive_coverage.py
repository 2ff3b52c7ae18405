"""Benchmark: how often the 80 % intervals of a total contain the total that happened, on simulated customers.

Usage: python bench/predictive_coverage.py [--seeds 200] [--customers 100 1000 5000]

For each seed, BG/NBD customers with Gamma-Gamma spend (CDNOW-like parameters) are observed for 26 to 52 weeks and
followed for 39 more (:func:`clv.datasets.draws.simulate_calibration_and_holdout`); BG/NBD and Gamma-Gamma are
fitted on the calibration period, and the holdout revenue's total is compared with the 80 % interval of the expected
total (parameter uncertainty only, :func:`clv.models.value.total_interval`) and the 80 % predictive interval
(plus the randomness of purchases and spend, :func:`clv.models.predictive.predictive_interval`). Prints the coverage
of each per number of customers.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np

from clv.datasets.draws import simulate_calibration_and_holdout
from clv.errors import CLVError
from clv.models import BetaGeo, GammaGamma
from clv.models.predictive import predictive_interval, revenue_variance
from clv.models.value import total_interval, value_with_gradients

PURCHASE = (0.25, 4.0, 0.8, 2.5)
SPEND = (6.0, 4.0, 15.0)
HOLDOUT_WEEKS = 39.0
LEVEL = 0.8


def covered(seed: int, customers: int) -> tuple[bool, bool] | None:
    """Whether the parameter interval and the predictive interval contain the holdout total (None: no fit)."""
    rng = np.random.default_rng(seed)
    summary, holdout = simulate_calibration_and_holdout(
        rng, PURCHASE, SPEND, rng.uniform(26.0, 52.0, customers), HOLDOUT_WEEKS
    )
    summary.attrs["time_unit"] = "W"
    repeat = summary[(summary["frequency"] > 0) & (summary["monetary_value"] > 0)]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            purchase_model = BetaGeo().fit(summary)
            spend_model = GammaGamma().fit(repeat["frequency"], repeat["monetary_value"])
    except CLVError:
        return None
    valued, gradients = value_with_gradients(
        purchase_model, spend_model, summary, HOLDOUT_WEEKS, "W", interval=LEVEL
    )
    total, low, high = total_interval(
        float(valued["clv"].sum()), gradients.sum(axis=0), purchase_model, spend_model, LEVEL
    )
    process = float(revenue_variance(purchase_model, spend_model, summary, HOLDOUT_WEEKS, rng).sum())
    predictive_low, predictive_high = predictive_interval(total, (low, high), process, LEVEL)
    actual = float(holdout.sum())
    return low <= actual <= high, predictive_low <= actual <= predictive_high


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--customers", type=int, nargs="+", default=[100, 1000, 5000])
    arguments = parser.parse_args()
    print(
        f"| customers | seeds fitted | parameter interval covers | predictive interval covers ({LEVEL:.0%}) |"
    )
    print("|---:|---:|---:|---:|")
    for customers in arguments.customers:
        results = [r for r in (covered(seed, customers) for seed in range(arguments.seeds)) if r is not None]
        parameter = np.mean([r[0] for r in results])
        predictive = np.mean([r[1] for r in results])
        print(f"| {customers:,} | {len(results)} | {parameter:.0%} | {predictive:.0%} |")


if __name__ == "__main__":
    main()
