"""Study: every model's backtest on several calibration splits of CDNOW master, against issue 4's bar.

Usage: python bench/backtest_splits.py [--splits 1997-03-31,1997-06-30,...] [--holdout-end 1998-06-30] [--markdown]

The splits are the quarter ends from three to fifteen months of history (1997-09-30 is the literature's split); the
holdout always runs to the end of the data, so the holdout shortens as the calibration grows. Each split refits
everything on the calibration period alone (``clv.forecast.backtest.backtest``): nothing is tuned to a split. For each split
it prints the metrics table and whether the ensemble clears the bar: better Gini, Spearman and decile MAPE than
BG/NBD x Gamma-Gamma (lifetimes' model, which our row reproduces), the predicted total within 10 % of actual, and
Gini and Spearman at least those of the best single probabilistic model.
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from clv.data import Transactions
from clv.datasets import load_cdnow
from clv.forecast.backtest import Backtest, backtest
from clv.forecast.history import History

SPLITS = ("1997-03-31", "1997-06-30", "1997-09-30", "1997-12-31", "1998-03-31")
SHOWN = ("spearman", "gini", "decile_mape", "mae", "rmse", "top20_share", "ratio")


def bar_checks(result: Backtest) -> dict[str, bool]:
    """Which parts of issue 4's bar the ensemble clears on this split."""
    metrics = result.metrics
    ensemble = metrics.loc["ensemble"]
    reference = metrics.loc["BG/NBD x Gamma-Gamma"]
    singles = metrics.loc[[name for name in metrics.index if name.endswith("x Gamma-Gamma")]]
    ratio = ensemble["predicted_total"] / ensemble["actual_total"]
    return {
        "gini > BG/NBD": bool(ensemble["gini"] > reference["gini"]),
        "spearman > BG/NBD": bool(ensemble["spearman"] > reference["spearman"]),
        "decile MAPE < BG/NBD": bool(ensemble["decile_mape"] < reference["decile_mape"]),
        "total within 10 %": bool(abs(ratio - 1.0) <= 0.10),
        "gini, spearman >= best single": bool(
            ensemble["gini"] >= singles["gini"].max() and ensemble["spearman"] >= singles["spearman"].max()
        ),
    }


def table(result: Backtest) -> pd.DataFrame:
    """The metrics with the predicted / actual ratio, as text rounded for reading (decile MAPE in %)."""
    metrics = result.metrics.copy()
    metrics["ratio"] = metrics["predicted_total"] / metrics["actual_total"]
    shown = metrics[list(SHOWN)].astype(float)
    shown["decile_mape"] = shown["decile_mape"] * 100
    places = {"spearman": 3, "gini": 3, "decile_mape": 1, "mae": 2, "rmse": 2, "top20_share": 3, "ratio": 3}
    return pd.DataFrame({name: shown[name].map(f"{{:.{digits}f}}".format) for name, digits in places.items()})


def markdown(frame: pd.DataFrame) -> str:
    """A DataFrame as a Markdown table (index first)."""
    header = [str(frame.index.name or ""), *map(str, frame.columns)]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += [
        "| " + " | ".join([str(index), *map(str, row)]) + " |"
        for index, row in zip(frame.index, frame.to_numpy(), strict=True)
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--splits", default=",".join(SPLITS))
    parser.add_argument("--holdout-end", default="1998-06-30")
    parser.add_argument("--markdown", action="store_true", help="print tables as Markdown (for the README)")
    args = parser.parse_args()
    log = Transactions.from_pandas(load_cdnow("master"), source_name="CDNOW master")
    summary = []
    history = History(log)  # cutoffs that several splits share are computed once
    for split in args.splits.split(","):
        started = time.perf_counter()
        result = backtest(log, split, args.holdout_end, history=history)
        seconds = time.perf_counter() - started
        weeks = (result.holdout_end - result.calibration_end).days / 7
        print(
            f"\n## calibration to {split}, holdout {weeks:.0f} weeks to {args.holdout_end} ({seconds:.1f} s)"
        )
        shown = table(result)
        print(markdown(shown) if args.markdown else shown.to_string())
        checks = bar_checks(result)
        print("bar: " + "; ".join(f"{name} {'yes' if ok else 'NO'}" for name, ok in checks.items()))
        for note in result.forecast.notes:
            print(f"  note: {note}")
        summary.append({"split": split, **checks})
    print("\n## bar by split")
    frame = pd.DataFrame(summary).set_index("split").replace({True: "yes", False: "NO"})
    print(markdown(frame) if args.markdown else frame.to_string())


if __name__ == "__main__":
    main()
