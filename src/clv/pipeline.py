"""``clv.run``: from a transaction log (or a customer table) to predictions, backtest, segments and insights.

Usage::

    import clv
    from clv.data import load_transactions

    log, report = load_transactions("orders.csv")
    results = clv.run(log, clv.Settings(horizon=12, time_unit="M"))
    results.predictions.head()
    results.save("run-folder")

The horizon is counted in ``time_unit`` periods (a month is 365.25/12 days); money is in the data's currency. The
forecast and its parts are described in :mod:`clv.ensemble`; the backtest in :mod:`clv.evaluate`.

A run, in order: the purchase and spend models are fitted at the observation end on DuckDB's distinct customer
statistics (:func:`clv.data.summary.summary_statistics`); the backtest starts on a second thread; the learned model is
trained (:func:`clv.ensemble.train_learned`), both on the log of a hash sample of customers past
``SAMPLE_CUSTOMERS``; every customer is scored a part at a time (:mod:`clv.scoring`); segments rank every customer
at the end. :func:`clv.batch.predict_to_file` runs the same steps and writes the parts to a file instead of keeping
them.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from clv.config import days_per_unit, release_freed_memory
from clv.data.summary import summary_statistics
from clv.data.transactions import Transactions
from clv.ensemble import TIME_UNIT, History, LearnedFit, fit_on_statistics, one_blas_thread, train_learned
from clv.errors import DataValidationError, ModelFileError
from clv.evaluate import Backtest, backtest
from clv.insights import insights
from clv.ml import LearnedModel, global_importance
from clv.models import BetaGeo, GammaGamma, ModifiedBetaGeo, ParetoNBD, PurchaseModel
from clv.models.base import Model
from clv.scoring import ScoredPart, customer_parts, score_part, total_value
from clv.segment import churn_bands, rfm, segment_table, value_tiers
from clv.settings import Settings

PREDICTION_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "frequency",
    "recency",
    "T",
    "monetary_value",
    "total_revenue",
    "p_alive",
    "expected_purchases",
    "expected_avg_value",
    "clv_probabilistic",
    "clv_learned",
    "clv",
    "clv_low",
    "clv_high",
    "value_tier",
    "churn_risk",
    "rfm_score",
    "rfm_segment",
    "expected_next_purchase",
)
SEGMENT_COLUMNS: tuple[str, ...] = ("value_tier", "churn_risk", "rfm_score", "rfm_segment")
SEGMENT_INPUTS: tuple[str, ...] = ("clv", "p_alive", "total_revenue", "frequency", "weeks_since_last")
FINGERPRINT_COLUMNS: tuple[str, ...] = ("customer_id", "frequency", "recency", "T", "monetary_value")
MIN_BACKTEST_WEEKS = 4.0
SAMPLE_CUSTOMERS = 200_000
"""Beyond this many customers at the observation end, the learned model is trained and the backtest run on the log
of a hash sample of about this many customers (their time and memory grow with the rows); every customer is scored."""
Progress = Callable[[str, float], None]


@dataclass
class Results:
    """Everything a run produced; see the README's "The one run" section for the columns."""

    predictions: pd.DataFrame
    metrics: pd.DataFrame
    deciles: pd.DataFrame
    tracking: pd.DataFrame
    conditional: pd.DataFrame
    segments: dict[str, pd.DataFrame]
    insights: list[str]
    drivers: dict[str, pd.DataFrame]
    models: dict[str, Model]
    learned_model: LearnedModel | None
    metadata: dict[str, Any]
    total: tuple[float, float, float]
    settings: Settings = field(default_factory=Settings)
    backtest_pending: BacktestThread | None = field(default=None, repr=False, compare=False)

    @property
    def backtest_ready(self) -> bool:
        """Whether :meth:`with_backtest` returns without waiting (no backtest left running, or it has finished)."""
        return self.backtest_pending is None or self.backtest_pending.done()

    def with_backtest(self) -> Results:
        """These results with their backtest. When the run left it running (``clv.run(..., wait_for_backtest=False)``),
        wait for it and return new results holding its tables, its notes and the insight on it; else these results."""
        if self.backtest_pending is None:
            return self
        notes = list(self.metadata["notes"])
        tested, seconds = self.backtest_pending.wait(lambda stage, fraction: None, 1.0, notes)
        metadata = {
            **self.metadata,
            "notes": notes,
            "backtest": _backtest_window(tested),
            "timings_seconds": {**self.metadata["timings_seconds"], "backtest": seconds},
        }
        tables = _backtest_tables(tested)
        findings = insights(
            self.predictions, self.total, self.settings, self.drivers.get("importance"), tables["metrics"]
        )
        return replace(self, **tables, insights=findings, metadata=metadata, backtest_pending=None)

    def save(self, folder: str | Path) -> Path:
        """Write the run to ``folder`` (after its backtest, if left running): Parquet tables, JSON metadata and
        models, LightGBM text (never pickle)."""
        if self.backtest_pending is not None:
            return self.with_backtest().save(folder)
        root = Path(folder)
        root.mkdir(parents=True, exist_ok=True)
        tables = {
            "predictions": self.predictions,
            "metrics": self.metrics.reset_index(),
            "deciles": self.deciles,
            "tracking": self.tracking,
            "conditional": self.conditional,
            **{f"segments_{name}": table for name, table in self.segments.items()},
            **{f"drivers_{name}": table for name, table in self.drivers.items()},
        }
        for name, table in tables.items():
            table.to_parquet(root / f"{name}.parquet", index=False)
        (root / "models").mkdir(exist_ok=True)
        for name, model in self.models.items():
            model.save(root / "models" / f"{name}.json")
        if self.learned_model is not None:
            self.learned_model.save(root / "learned_model.txt")
        document = {
            "format": "clv-run",
            "format_version": 1,
            "settings": self.settings.to_dict(),
            "metadata": self.metadata,
            "insights": self.insights,
            "total": list(self.total),
            "tables": sorted(tables),
            "models": {name: model.model_type for name, model in self.models.items()},
        }
        (root / "run.json").write_text(json.dumps(document, indent=2, default=str), encoding="utf-8")
        return root

    @classmethod
    def load(cls, folder: str | Path) -> Results:
        """Read a run written by :meth:`save`; raises :class:`~clv.errors.ModelFileError` on anything else."""
        root = Path(folder)
        try:
            document = json.loads((root / "run.json").read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise ModelFileError(f"{root} is not a saved clv run: {error}") from error
        if document.get("format") != "clv-run" or document.get("format_version") != 1:
            raise ModelFileError(f"{root} holds an unsupported run format")
        tables = {name: pd.read_parquet(root / f"{name}.parquet") for name in document["tables"]}
        classes = {model.model_type: model for model in (BetaGeo, ParetoNBD, ModifiedBetaGeo, GammaGamma)}
        models: dict[str, Model] = {
            name: classes[kind].load(root / "models" / f"{name}.json")
            for name, kind in document["models"].items()
        }
        learned_path = root / "learned_model.txt"
        return cls(
            predictions=tables["predictions"],
            metrics=tables["metrics"].set_index("model")
            if "model" in tables["metrics"]
            else tables["metrics"],
            deciles=tables["deciles"],
            tracking=tables["tracking"],
            conditional=tables["conditional"],
            segments={k.removeprefix("segments_"): v for k, v in tables.items() if k.startswith("segments_")},
            insights=list(document["insights"]),
            drivers={k.removeprefix("drivers_"): v for k, v in tables.items() if k.startswith("drivers_")},
            models=models,
            learned_model=LearnedModel.load(learned_path) if learned_path.exists() else None,
            metadata=document["metadata"],
            total=tuple(document["total"]),  # type: ignore[arg-type]
            settings=Settings.from_dict(document["settings"]),
        )


def run(
    data: Transactions | pd.DataFrame,
    settings: Settings | None = None,
    progress: Progress | None = None,
    *,
    wait_for_backtest: bool = True,
) -> Results:
    """Predict every customer's value over the horizon, backtest the models, segment and explain.

    ``data``: a :class:`~clv.data.Transactions` log, a DataFrame with the canonical transaction columns
    (customer_id, timestamp, amount ...), or a customer-level summary (frequency, recency, T, monetary_value, as from
    :func:`clv.data.load_customer_summary`), which runs the probabilistic models only and says so. ``progress`` is
    called with (stage name, fraction done). With ``wait_for_backtest=False`` the results come as soon as every
    customer is valued, the backtest still running on its thread: :attr:`Results.backtest_ready` tells when it is
    done and :meth:`Results.with_backtest` adds it (what the app does, to show results sooner).
    """
    with one_blas_thread():
        return _run(
            data, settings or Settings(), progress or (lambda stage, fraction: None), wait_for_backtest
        )


def _run(
    data: Transactions | pd.DataFrame, settings: Settings, report: Progress, wait_for_backtest: bool
) -> Results:
    if isinstance(data, pd.DataFrame) and {"frequency", "recency", "T"} <= set(data.columns):
        return _run_customer_level(data, settings, report)
    log = data if isinstance(data, Transactions) else Transactions.from_pandas(data)
    started = time.perf_counter()
    report("Fitting the purchase and spend models and the learned model", 0.05)
    # Results first: the backtest then starts after the valuation, not competing with it.
    with fitted_at_end(log, settings, backtest_now=wait_for_backtest) as (fitted, testing):
        timings = {"forecast": time.perf_counter() - started}
        report("Valuing customers over the horizon", 0.55)
        tally, frames, texts = Tally(), [], []
        for part in scored_parts(log, fitted, settings, report, drivers=True):
            tally.add(part)
            frames.append(part.predictions)
            texts.extend([part.drivers] if part.drivers is not None else [])
        predictions = pd.concat(frames, ignore_index=True)
        del frames  # the parts are copied into the whole
        timings["valuation"] = time.perf_counter() - started - timings["forecast"]
        testing.start()
        pending = testing.detach() if not wait_for_backtest and testing.running else None
        tested = None
        if pending is None:
            tested, timings["backtest"] = testing.wait(report, 0.7, fitted.notes)
    report("Segmenting and writing insights", 0.95)
    results = _results(predictions, texts, tally, fitted, tested, settings, len(log), timings)
    results.backtest_pending = pending
    timings["total"] = time.perf_counter() - started
    report("Done", 1.0)
    return results


def _results(
    predictions: pd.DataFrame,
    driver_texts: list[pd.Series],
    tally: Tally,
    fitted: Fitted,
    tested: Backtest | None,
    settings: Settings,
    transactions: int,
    timings: dict[str, float],
) -> Results:
    """The run's results from every customer's scored rows (in customer order) and their drivers' texts."""
    drivers = _drivers(predictions, driver_texts, tally)
    add_segments(predictions, settings)
    tables = _backtest_tables(tested)
    total = tally.total(fitted, settings)
    return Results(
        predictions=predictions,
        **tables,
        segments=_segment_tables(predictions),
        insights=insights(predictions, total, settings, drivers.get("importance"), tables["metrics"]),
        drivers=drivers,
        models={"purchase_model": fitted.purchase_model, "spend_model": fitted.spend_model},
        learned_model=fitted.fit.model if fitted.fit is not None else None,
        metadata=run_metadata(fitted, tested, settings, tally, transactions, timings),
        total=total,
        settings=settings,
    )


@dataclass
class Fitted:
    """Everything scoring needs, fitted at the observation end ``end``: the chosen purchase model and the spend model
    (on every customer's statistics), the purchase models' comparison table, the learned model with its blend weights
    (None without one), the number of customers, and notes on what was done."""

    end: pd.Timestamp
    purchase_model: PurchaseModel
    spend_model: GammaGamma
    comparison: pd.DataFrame
    customers: int
    notes: list[str]
    fit: LearnedFit | None = None


@contextmanager
def fitted_at_end(
    log: Transactions, settings: Settings, backtest_now: bool = True
) -> Iterator[tuple[Fitted, BacktestThread]]:
    """Fit everything at the observation end, with the backtest on a second thread (waited for on leaving unless
    detached), started now or, without ``backtest_now``, when the caller starts it. The probabilistic models are
    fitted on the distinct statistics of every customer; the learned model and the backtest use the log of a hash
    sample of customers when there are more than ``SAMPLE_CUSTOMERS``."""
    end = (
        pd.Timestamp(settings.observation_end).normalize()
        if settings.observation_end is not None
        else log.date_range()[1].normalize()
    )
    statistics = summary_statistics(log, end, TIME_UNIT)
    if statistics.empty:
        raise DataValidationError(f"{log.source_name}: no customer has a purchase on or before {end.date()}")
    customers = int(statistics["weight"].sum())
    notes: list[str] = []
    learning_log = log
    if customers > SAMPLE_CUSTOMERS and (settings.learned or settings.backtest):
        learning_log = log.customer_sample(SAMPLE_CUSTOMERS / customers)
        notes.append(
            f"the learned model was trained and the backtest run on the log of a random "
            f"{SAMPLE_CUSTOMERS / customers:.1%} of the {customers:,} customers (chosen by a hash of the id; "
            f"{len(learning_log):,} of {len(log):,} transactions); every customer was scored"
        )
    history = History(learning_log)
    with BacktestThread(learning_log, history, end, settings, start=backtest_now) as testing:
        purchase_model, spend_model, comparison = fit_on_statistics(
            statistics, settings.purchase_models, settings.horizon_weeks, notes
        )
        fitted = Fitted(end, purchase_model, spend_model, comparison, customers, notes)
        if settings.learned:
            fitted.fit = learned_at_end(
                history, end, settings, (purchase_model, spend_model), statistics, notes
            )
        del history  # its per-cutoff tables are not needed to score; the backtest keeps what it uses
        release_freed_memory()
        yield fitted, testing


def learned_at_end(
    history: History,
    end: pd.Timestamp,
    settings: Settings,
    models: tuple[PurchaseModel, GammaGamma],
    statistics: pd.DataFrame,
    notes: list[str],
) -> LearnedFit | None:
    """The learned model for the observation end (:func:`clv.ensemble.train_learned` on ``history``, from the
    chosen purchase and spend ``models`` and the customers' distinct ``statistics``), how it was trained and blended
    added to ``notes`` (or why there is none)."""
    fit = train_learned(history, end, settings.horizon_weeks, models, statistics, settings.seed, notes)
    notes.extend(fit.notes if fit is not None else [])
    return fit


def scored_parts(
    log: Transactions, fitted: Fitted, settings: Settings, report: Progress, drivers: bool
) -> Iterator[ScoredPart]:
    """Every customer scored (:func:`clv.scoring.score_part`), a part at a time, with progress; what a part freed is
    returned to the system before the next (so the parts' scratch memory does not pile up)."""
    with_features = fitted.fit is not None or log.has("country")
    done = 0
    for summary, features in customer_parts(log, fitted.end, with_features, fitted.customers):
        yield score_part(
            summary,
            features,
            fitted.end,
            settings,
            (fitted.purchase_model, fitted.spend_model),
            fitted.fit,
            drivers,
        )
        done += len(summary)
        del summary, features
        release_freed_memory()
        report(
            f"Valuing customers over the horizon: {done:,} of {fitted.customers:,}",
            0.55 + 0.15 * done / fitted.customers,
        )


class Tally:
    """Sums over scored parts: customers, blended and probabilistic totals, weighted gradients of the total's
    interval, absolute SHAP contributions, and a fingerprint of the customers' statistics."""

    def __init__(self) -> None:
        self.customers = 0
        self._blended = 0.0
        self._probabilistic = 0.0
        self._gradients: np.ndarray | float = 0.0
        self._contributions: pd.Series | None = None
        self._digests = {column: hashlib.sha256() for column in FINGERPRINT_COLUMNS}

    def add(self, part: ScoredPart) -> None:
        """Count ``part`` in."""
        rows = part.predictions
        self.customers += len(rows)
        self._blended += float(rows["clv"].sum())
        self._probabilistic += float(rows["clv_probabilistic"].sum())
        self._gradients = self._gradients + part.gradients.sum(axis=0)
        if part.contribution_sums is not None:
            previous = self._contributions
            self._contributions = (
                part.contribution_sums
                if previous is None
                else previous.add(part.contribution_sums, fill_value=0.0)
            )
        for column, digest in self._digests.items():
            digest.update(pd.util.hash_pandas_object(rows[column], index=False).to_numpy().tobytes())

    def total(self, fitted: Fitted, settings: Settings) -> tuple[float, float, float]:
        """The blended total with its interval (:func:`clv.scoring.total_value`)."""
        return total_value(
            self._blended,
            self._probabilistic,
            np.asarray(self._gradients, dtype=float),
            (fitted.purchase_model, fitted.spend_model),
            settings.interval,
        )

    def importance(self) -> pd.DataFrame | None:
        """The features by mean absolute contribution (None without contributions)."""
        if self._contributions is None:
            return None
        return global_importance(self._contributions / max(self.customers, 1))

    @property
    def fingerprint(self) -> str:
        """A short hash of every customer's id, frequency, recency, T and monetary value, in customer order (the
        same however the customers were divided into parts)."""
        combined = hashlib.sha256(b"".join(digest.digest() for digest in self._digests.values()))
        return combined.hexdigest()[:16]


def _drivers(predictions: pd.DataFrame, texts: list[pd.Series], tally: Tally) -> dict[str, pd.DataFrame]:
    importance = tally.importance()
    if importance is None:
        return {}
    return {
        "importance": importance,
        "customers": pd.DataFrame(
            {"customer_id": predictions["customer_id"].array, "drivers": pd.concat(texts).to_numpy()}
        ),
    }


def add_segments(predictions: pd.DataFrame, settings: Settings) -> None:
    """Add the value tier, churn band and RFM score and segment (they rank every customer) to scored rows, in place
    and where the documented order puts them (before ``expected_next_purchase`` when the rows have it; inserting
    copies no other column), dropping the RFM recency input ``weeks_since_last``."""
    mean_order = predictions["total_revenue"] / (predictions["frequency"] + 1)
    scores = rfm(
        predictions.pop("weeks_since_last"),
        predictions["frequency"],
        mean_order,
        predictions["p_alive"],
        settings.churn_thresholds[0],
    )
    segments = {
        "value_tier": value_tiers(predictions["clv"], settings.tier_cutoffs).array,
        "churn_risk": churn_bands(predictions["p_alive"], settings.churn_thresholds).array,
        "rfm_score": scores["rfm_score"].array,
        "rfm_segment": scores["rfm_segment"].array,
    }
    columns = list(predictions.columns)
    position = (
        columns.index("expected_next_purchase") if "expected_next_purchase" in columns else len(columns)
    )
    for offset, (name, values) in enumerate(segments.items()):
        predictions.insert(position + offset, name, values)


def in_column_order(predictions: pd.DataFrame) -> pd.DataFrame:
    """``predictions`` with the documented columns first, in their order."""
    ordered = [c for c in PREDICTION_COLUMNS if c in predictions] + [
        c for c in predictions if c not in PREDICTION_COLUMNS
    ]
    return predictions[ordered]


def _segment_tables(predictions: pd.DataFrame) -> dict[str, pd.DataFrame]:
    return {
        "value_tiers": segment_table(predictions, "value_tier"),
        "churn_risk": segment_table(predictions, "churn_risk"),
        "rfm": segment_table(predictions, "rfm_segment"),
    }


class BacktestThread:
    """The run's backtest, started on a second thread: everything refitted at the observation end minus the
    backtest weeks and scored on the rest, on a DuckDB cursor of its own, while the caller forecasts at the
    observation end (each sees only its own data, so results do not change). Used as a context manager, which
    waits for the thread on leaving unless :meth:`detach` was called."""

    def __init__(
        self, log: Transactions, history: History, end: pd.Timestamp, settings: Settings, start: bool = True
    ) -> None:
        self.calibration_end = _backtest_start(history, end, settings)
        self._end = end
        self._skipped = _backtest_skipped(history, end, settings, self.calibration_end)
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._log, self._settings = log, settings
        self._job: Future[tuple[Backtest | None, str | None, float]] | None = None
        self._detached = False
        if start:
            self.start()

    def start(self) -> None:
        """Start the backtest (once; nothing to start when it is skipped)."""
        if self._job is None and self.calibration_end is not None:
            self._job = self._pool.submit(
                _backtest, self._log, self.calibration_end, self._end, self._settings
            )

    def __enter__(self) -> BacktestThread:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._pool.shutdown(wait=not self._detached)

    @property
    def description(self) -> str:
        """What the backtest does, in words ("" when it is skipped)."""
        if self.calibration_end is None:
            return ""
        return f"refitted on data to {self.calibration_end.date()}, scoring the weeks to {self._end.date()}"

    @property
    def running(self) -> bool:
        """Whether there is a backtest to run (False when it is skipped)."""
        return self.calibration_end is not None

    def done(self) -> bool:
        """Whether :meth:`wait` returns at once."""
        return self.calibration_end is None or (self._job is not None and self._job.done())

    def detach(self) -> BacktestThread:
        """Let the backtest run on after the context is left (for :meth:`wait` later); returns this thread."""
        self._detached = True
        return self

    def wait(self, report: Progress, fraction: float, notes: list[str]) -> tuple[Backtest | None, float]:
        """The backtest (None when there is none, with the reason added to ``notes``) and the seconds it took;
        ``report`` says what is awaited at ``fraction`` done. Starts the backtest if it was not started."""
        self.start()
        if self.calibration_end is not None:
            report(f"Backtesting: {self.description}", fraction)
        tested, note, seconds = self._job.result() if self._job is not None else (None, None, 0.0)
        notes.extend(filter(None, [self._skipped, note]))
        return tested, seconds


def _backtest_weeks(history: History, end: pd.Timestamp, settings: Settings) -> float:
    # Half the history (to the nearest week: on CDNOW master, the literature's 39-week split), at most the horizon.
    half = min(settings.horizon_weeks, history.weeks_before(end) / 2.0)
    return settings.backtest_weeks or float(np.floor(half + 0.5))


def _backtest_start(history: History, end: pd.Timestamp, settings: Settings) -> pd.Timestamp | None:
    """The backtest's calibration end, or None when there is no backtest to run (see :func:`_backtest_skipped`)."""
    weeks = _backtest_weeks(history, end, settings)
    if not settings.backtest or weeks < MIN_BACKTEST_WEEKS:
        return None
    if history.weeks_before(end) - weeks < MIN_BACKTEST_WEEKS:
        return None
    return end - pd.Timedelta(weeks=weeks)


def _backtest_skipped(
    history: History, end: pd.Timestamp, settings: Settings, calibration_end: pd.Timestamp | None
) -> str | None:
    if calibration_end is not None or not settings.backtest:
        return None
    return (
        f"backtest skipped: {history.weeks_before(end):.0f} weeks of history are too short to hold back "
        f"{_backtest_weeks(history, end, settings):.0f} weeks and keep at least {MIN_BACKTEST_WEEKS:.0f} weeks "
        "to fit on"
    )


def _backtest(
    log: Transactions, calibration_end: pd.Timestamp, end: pd.Timestamp, settings: Settings
) -> tuple[Backtest | None, str | None, float]:
    """The backtest on a cursor of its own (DuckDB connections are not shared between threads): the result, or a
    note saying why there is none, and the seconds it took."""
    started = time.perf_counter()
    cursor = log.connection.cursor()
    try:
        tested = backtest(
            replace(log, connection=cursor),
            calibration_end,
            end,
            candidates=settings.purchase_models,
            learned=settings.learned,
            seed=settings.seed,
        )
        return tested, None, time.perf_counter() - started
    except DataValidationError as error:
        return None, f"backtest skipped: {error}", time.perf_counter() - started
    finally:
        cursor.close()


def run_metadata(
    fitted: Fitted,
    tested: Backtest | None,
    settings: Settings,
    tally: Tally,
    transactions: int,
    timings: dict[str, float],
) -> dict[str, Any]:
    """The run's description: data fingerprint, models and their choice, learned model, notes, backtest window,
    settings, sizes, timings (filled to the end of the run) and library versions."""
    fit = fitted.fit
    return {
        "fingerprint": tally.fingerprint,
        "observation_end": str(fitted.end.date()),
        "horizon_weeks": settings.horizon_weeks,
        "purchase_model": fitted.purchase_model.model_type,
        "model_comparison": fitted.comparison.reset_index().to_dict(orient="records"),
        "learned_window_weeks": fit.window_weeks if fit is not None else None,
        "learned_model": learned_metadata(fit, fitted.purchase_model, settings.horizon_weeks),
        "blend_weights": fit.weights if fit is not None else {},
        "notes": fitted.notes,
        "backtest": _backtest_window(tested),
        "settings": settings.to_dict(),
        "customers": tally.customers,
        "transactions": transactions,
        "timings_seconds": timings,
        "versions": {
            name: package_version(name)
            for name in ("clv-platform", "numpy", "scipy", "pandas", "duckdb", "lightgbm")
        },
    }


class _BacktestTables(TypedDict):
    metrics: pd.DataFrame
    deciles: pd.DataFrame
    tracking: pd.DataFrame
    conditional: pd.DataFrame


def _backtest_tables(tested: Backtest | None) -> _BacktestTables:
    """The backtest's tables as :class:`Results` holds them (empty without a backtest)."""
    if tested is None:
        return _BacktestTables(
            metrics=pd.DataFrame(),
            deciles=pd.DataFrame(),
            tracking=pd.DataFrame(),
            conditional=pd.DataFrame(),
        )
    return _BacktestTables(
        metrics=tested.metrics,
        deciles=tested.deciles,
        tracking=tested.tracking,
        conditional=tested.conditional,
    )


def _backtest_window(tested: Backtest | None) -> dict[str, str] | None:
    if tested is None:
        return None
    return {
        "calibration_end": str(tested.calibration_end.date()),
        "holdout_end": str(tested.holdout_end.date()),
    }


def learned_metadata(
    fit: LearnedFit | None, purchase_model: PurchaseModel, horizon_weeks: float
) -> dict[str, Any] | None:
    """What the learned model is and how it was trained, in JSON-ready form (None when it was not trained)."""
    if fit is None:
        return None
    return {
        "objective": fit.model.objective,
        "trees": fit.model.booster.num_trees(),
        "validation_poisson_deviance": fit.model.validation,
        "started_from": f"{purchase_model.model_type} x Gamma-Gamma forecast over the window",
        "window_weeks": fit.window_weeks,
        "training_cutoffs": [str(cutoff.date()) for cutoff in fit.training_cutoffs],
        "carried_to_weeks": horizon_weeks,
        "carried_with": f"{purchase_model.model_type} expected purchases over the horizon / over the window",
    }


def _run_customer_level(summary: pd.DataFrame, settings: Settings, report: Progress) -> Results:
    """Customer-level input: the probabilistic models only (no log, so no learned model and no backtest)."""
    started = time.perf_counter()
    unit = summary.attrs.get("time_unit")
    if unit is None:
        raise DataValidationError(
            "the customer table does not say its time unit: load it with load_customer_summary"
        )
    weeks = summary.copy()
    scale = days_per_unit(unit) / 7.0
    weeks[["recency", "T"]] = weeks[["recency", "T"]] * scale
    weeks.attrs["time_unit"] = TIME_UNIT
    if "total_revenue" not in weeks:
        weeks["total_revenue"] = weeks["monetary_value"] * weeks["frequency"]
    report("Fitting the purchase and spend models", 0.2)
    notes = [
        "customer-level input: probabilistic models only (no transaction log for a learned model or a backtest)"
    ]
    purchase_model, spend_model, comparison = fit_on_statistics(
        weeks.assign(weight=1.0), settings.purchase_models, settings.horizon_weeks, notes
    )
    # Without a log there is no calendar date to count the next purchase from unless the table carries one.
    end = summary.attrs.get("observation_end")
    fitted = Fitted(
        pd.Timestamp(end) if end is not None else pd.NaT,  # type: ignore[arg-type]
        purchase_model,
        spend_model,
        comparison,
        len(weeks),
        notes,
    )
    part = score_part(
        weeks.set_index("customer_id", drop=False),
        None,
        fitted.end,
        settings,
        (purchase_model, spend_model),
        None,
    )
    tally = Tally()
    tally.add(part)
    timings = {"forecast": time.perf_counter() - started}
    return _results(part.predictions, [], tally, fitted, None, settings, len(weeks), timings)


def package_version(name: str) -> str:
    """The installed version of distribution ``name`` ("unknown" when not installed)."""
    try:
        return package_metadata.version(name)
    except package_metadata.PackageNotFoundError:
        return "unknown"


__all__ = ["PREDICTION_COLUMNS", "Results", "Settings", "run"]
