"""Benchmark: the full ``clv.run`` (fit, learned model, valuation with drivers, backtest, segments) per stage.

Usage::

    python bench/pipeline.py                      # CDNOW master and a 10M-line synthetic log
    python bench/pipeline.py --quick              # CDNOW master only
    python bench/pipeline.py --rows 1000000 10000000 --skip-cdnow --memory-limit 1GB
    python bench/pipeline.py --quick --profile    # plus the 25 most expensive calls (cProfile)

Each case runs in a fresh subprocess. The first table gives wall seconds per stage of ``clv.run`` (as its progress
callback reports them; "load" is ``load_transactions`` before the run) and the peak RSS. The second splits the same
run by kind of work, timing every call of the functions named (their time is inside the stages above): DuckDB
summaries and feature tables, the probabilistic fits, LightGBM training, LightGBM predictions and SHAP
contributions. DuckDB's memory limit is 1.5GB unless ``--memory-limit`` says otherwise (the peak RSS counts DuckDB's
share too). Targets (issue 4): CDNOW master end to end under 10 s; 10M lines under 2 minutes and 4 GB.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import functools
import io
import itertools
import json
import os
import pstats
import resource
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from synthetic_logs import log_files

STAGES = ("load", "fit", "valuation", "backtest", "segments")
KINDS = ("summaries", "features", "probabilistic fits", "lightgbm train", "lightgbm predict", "shap")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _timed_calls() -> dict[str, float]:
    """Wrap the functions each kind of work goes through; returns the wall seconds spent per kind, and the CPU
    seconds under "<kind> cpu" (filled as it runs)."""
    import clv.forecast.backtest
    import clv.forecast.history
    import clv.forecast.learned
    import clv.forecast.probabilistic
    import clv.forecast.training
    import clv.models.compare
    import clv.pipeline.fitting
    import clv.pipeline.tally

    spent: dict[str, float] = defaultdict(float)
    depth = [0]

    @contextlib.contextmanager
    def timing(kind: str) -> Iterator[None]:
        depth[0] += 1
        started, cpu = time.perf_counter(), _cpu_seconds()
        try:
            yield
        finally:
            depth[0] -= 1
            if depth[0] == 0:  # nested timed calls count once, under the outermost kind
                spent[kind] += time.perf_counter() - started
                spent[f"{kind} cpu"] += _cpu_seconds() - cpu

    def wrap(owner: Any, name: str, kind: str) -> None:
        original: Callable[..., Any] = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Any:
            with timing(kind):
                return original(*args, **kwargs)

        setattr(owner, name, timed)

    def wrap_parts(owner: Any, name: str, kind: str) -> None:
        """Time each step of a generator (the scoring's parts are read from DuckDB as they are needed)."""
        original: Callable[..., Iterator[Any]] = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args: Any, **kwargs: Any) -> Iterator[Any]:
            parts = original(*args, **kwargs)
            while True:
                with timing(kind):
                    part = next(parts, None)
                if part is None:
                    return
                yield part

        setattr(owner, name, timed)

    wrap(clv.forecast.history, "summarize", "summaries")
    wrap(clv.pipeline.fitting, "summary_statistics", "summaries")
    wrap(clv.forecast.backtest, "calibration_holdout", "summaries")
    wrap(clv.forecast.history, "feature_table", "features")
    wrap_parts(clv.pipeline.tally, "customer_parts", "features")
    wrap(clv.forecast.history, "revenue_between", "features")
    wrap(clv.forecast.history, "compare_models", "probabilistic fits")
    wrap(clv.forecast.probabilistic, "compare_models", "probabilistic fits")
    wrap(clv.models.compare, "compare_models", "probabilistic fits")
    for model in clv.models.compare.PURCHASE_MODELS.values():
        wrap(model, "fit", "probabilistic fits")
    wrap(clv.models.GammaGamma, "fit", "probabilistic fits")
    wrap(clv.forecast.training, "train", "lightgbm train")
    wrap(clv.forecast.learned.LearnedModel, "predict", "lightgbm predict")
    wrap(clv.forecast.learned.LearnedModel, "contributions", "shap")
    return spent


def run_case(case: str, memory_limit: str | None, profile: bool) -> dict[str, Any]:
    """One measurement in this process (``main`` calls it in a fresh subprocess)."""
    import pandas as pd

    import clv
    from clv.data import Transactions, connect, load_transactions
    from clv.datasets import load_cdnow

    spent = _timed_calls()
    stages: dict[str, float] = {}
    profiler = cProfile.Profile() if profile else None
    started, cpu = time.perf_counter(), _cpu_seconds()
    connection = connect(memory_limit=memory_limit)
    if case == "cdnow":
        log = Transactions.from_pandas(
            load_cdnow("master"), connection=connection, source_name="CDNOW master"
        )
        lines = len(log)
    else:
        log, report = load_transactions(case, max_bytes=1 << 40, connection=connection)
        lines = report.rows_in
    stages["load"] = time.perf_counter() - started
    marks = [("fit", time.perf_counter())]
    names = {"Valuing": "valuation", "Backtesting": "backtest", "Segmenting": "segments"}

    def progress(stage: str, _: float) -> None:
        for prefix, name in names.items():
            if stage.startswith(prefix):
                marks.append((name, time.perf_counter()))

    if profiler:
        profiler.enable()
    results = clv.run(log, clv.Settings(horizon=12, time_unit="M"), progress=progress)
    if profiler:
        profiler.disable()
    marks.append(("end", time.perf_counter()))
    for (name, start), (_, stop) in itertools.pairwise(marks):
        stages[name] = stages.get(name, 0.0) + stop - start
    table = ""
    if profiler:
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats("cumulative").print_stats(25)
        table = buffer.getvalue()
    return {
        "lines": lines,
        "customers": len(results.predictions),
        "stages": stages,
        "total": time.perf_counter() - started,
        "cpu": _cpu_seconds() - cpu,
        "kinds": dict(spent),
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "profile": table,
        "notes": [note for note in results.metadata["notes"] if "skipped" in note or "random" in note],
        "timestamp": str(pd.Timestamp.now()),
    }


def measure(case: str, memory_limit: str | None, profile: bool) -> dict[str, Any]:
    command = [sys.executable, __file__, "--case", case]
    if memory_limit:
        command += ["--memory-limit", memory_limit]
    if profile:
        command.append("--profile")
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows", type=int, nargs="+", default=[10_000_000], help="synthetic log sizes (lines)"
    )
    parser.add_argument("--quick", action="store_true", help="CDNOW master only")
    parser.add_argument("--skip-cdnow", action="store_true", help="synthetic logs only")
    parser.add_argument(
        "--memory-limit",
        default="1.5GB",
        help="DuckDB memory limit (default 1.5GB; beyond it DuckDB spills to disk)",
    )
    parser.add_argument("--profile", action="store_true", help="print the top 25 calls by cumulative time")
    parser.add_argument("--folder", type=Path, default=Path(os.environ.get("TMPDIR", "/tmp")) / "clv-bench")
    parser.add_argument("--case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case, args.memory_limit, args.profile)))
        return
    cases = [] if args.skip_cdnow else [("CDNOW master", "cdnow")]
    if not args.quick:
        cases += [
            (f"synthetic {rows:,}", str(log_files(args.folder, rows, ("parquet",))["parquet"]))
            for rows in args.rows
        ]
    print(
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; memory limit {args.memory_limit or 'none'}"
    )
    results = [(label, measure(case, args.memory_limit, args.profile)) for label, case in cases]
    stage_names = " | ".join(f"{s} s" for s in STAGES)
    print(f"| case | lines | customers | {stage_names} | total s | total cpu s | peak RSS MB |")
    print("|---|" + "---:|" * (len(STAGES) + 5))
    for label, result in results:
        stages = " | ".join(f"{result['stages'].get(s, 0.0):.1f}" for s in STAGES)
        print(
            f"| {label} | {result['lines']:,} | {result['customers']:,} | {stages} | {result['total']:.1f} | "
            f"{result['cpu']:.1f} | {result['peak_mb']:,.0f} |"
        )
    print()
    print("wall seconds (CPU seconds) by kind of work, inside the stages above:")
    print("| case | " + " | ".join(KINDS) + " | other |")
    print("|---|" + "---:|" * (len(KINDS) + 1))
    for label, result in results:
        kinds = result["kinds"]
        other = result["total"] - result["stages"].get("load", 0.0) - sum(kinds.get(k, 0.0) for k in KINDS)
        cells = [f"{kinds.get(k, 0.0):.1f} ({kinds.get(f'{k} cpu', 0.0):.1f})" for k in KINDS]
        print(f"| {label} | " + " | ".join(cells) + f" | {other:.1f} |")
    for label, result in results:
        for note in result["notes"]:
            print(f"{label}: {note}")
        if result["profile"]:
            print(f"\n{label}:\n{result['profile']}")


if __name__ == "__main__":
    main()
