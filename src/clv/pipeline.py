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
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from importlib import metadata as package_metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from clv.config import TIME_UNIT_NAMES, days_per_unit, normalise_time_unit
from clv.data.transactions import Transactions
from clv.ensemble import (
    TIME_UNIT,
    Forecast,
    History,
    LearnedFit,
    fit_spend_model,
    forecast,
    one_blas_thread,
    probabilistic_forecast,
)
from clv.errors import DataValidationError, ModelFileError
from clv.evaluate import Backtest, backtest
from clv.insights import insights
from clv.ml import LearnedModel, global_importance, top_drivers
from clv.models import (
    BetaGeo,
    GammaGamma,
    ModifiedBetaGeo,
    ParetoNBD,
    PurchaseModel,
    compare_models,
)
from clv.models.base import Model
from clv.models.compare import PURCHASE_MODELS
from clv.models.value import total_interval, value_with_gradients
from clv.segment import (
    DEFAULT_CHURN_THRESHOLDS,
    DEFAULT_TIER_CUTOFFS,
    churn_bands,
    rfm,
    segment_table,
    value_tiers,
)

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
MIN_BACKTEST_WEEKS = 4.0
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class Settings:
    """What to predict and how. ``horizon`` is in ``time_unit`` periods ("D", "W", "M" = 365.25/12 days, "Y");
    ``observation_end`` defaults to the last transaction's day; ``margin`` is the share of revenue that is profit."""

    horizon: float = 12
    time_unit: str = "M"
    annual_discount_rate: float = 0.0
    margin: float = 1.0
    observation_end: str | None = None
    interval: float = 0.8
    purchase_models: tuple[str, ...] = tuple(PURCHASE_MODELS)
    learned: bool = True
    backtest: bool = True
    backtest_weeks: float | None = None
    tier_cutoffs: tuple[float, ...] = DEFAULT_TIER_CUTOFFS
    churn_thresholds: tuple[float, float] = DEFAULT_CHURN_THRESHOLDS
    seed: int = 0

    def __post_init__(self) -> None:
        normalise_time_unit(self.time_unit)
        if not self.horizon > 0:
            raise DataValidationError(f"the horizon must be positive; got {self.horizon}")
        unknown = [name for name in self.purchase_models if name not in PURCHASE_MODELS]
        if unknown or not self.purchase_models:
            raise DataValidationError(
                f"unknown purchase model(s) {unknown}; choose among {', '.join(PURCHASE_MODELS)}"
            )
        if not 0 <= self.margin <= 10 or self.annual_discount_rate <= -1:
            raise DataValidationError(
                "the margin must be between 0 and 10 and the discount rate above -100 %"
            )

    @property
    def horizon_weeks(self) -> float:
        """The horizon in weeks."""
        return self.horizon * days_per_unit(self.time_unit) / 7.0

    @property
    def interval_text(self) -> str:
        """The interval level in words, e.g. "80 % interval"."""
        return f"{100 * self.interval:g} % interval"

    @property
    def horizon_text(self) -> str:
        """The horizon in words, e.g. "12 months"."""
        return f"{self.horizon:g} {TIME_UNIT_NAMES[normalise_time_unit(self.time_unit)]}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready settings."""
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Settings:
        """Settings from :meth:`to_dict` output."""
        converted: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        return cls(**converted)


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

    def save(self, folder: str | Path) -> Path:
        """Write the run to ``folder``: Parquet tables, JSON metadata and models, LightGBM text (never pickle)."""
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
) -> Results:
    """Predict every customer's value over the horizon, backtest the models, segment and explain.

    ``data``: a :class:`~clv.data.Transactions` log, a DataFrame with the canonical transaction columns
    (customer_id, timestamp, amount ...), or a customer-level summary (frequency, recency, T, monetary_value, as from
    :func:`clv.data.load_customer_summary`), which runs the probabilistic models only and says so. ``progress`` is
    called with (stage name, fraction done).
    """
    with one_blas_thread():
        return _run(data, settings or Settings(), progress or (lambda stage, fraction: None))


def _run(data: Transactions | pd.DataFrame, settings: Settings, report: Progress) -> Results:
    timings: dict[str, float] = {}
    if isinstance(data, pd.DataFrame) and {"frequency", "recency", "T"} <= set(data.columns):
        return _run_customer_level(data, settings, report, timings)
    log = data if isinstance(data, Transactions) else Transactions.from_pandas(data)
    started = time.perf_counter()
    end = (
        pd.Timestamp(settings.observation_end).normalize()
        if settings.observation_end is not None
        else log.date_range()[1].normalize()
    )
    history = History(log)
    with BacktestThread(log, history, end, settings) as testing:
        report("Fitting the purchase and spend models and the learned model", 0.05)
        result = forecast(
            log,
            end,
            settings.horizon_weeks,
            candidates=settings.purchase_models,
            learned=settings.learned,
            seed=settings.seed,
            history=history,
        )
        timings["forecast"] = time.perf_counter() - started
        report("Valuing customers over the horizon", 0.55)
        predictions, total = _predictions(result, settings, log)
        drivers = _drivers(result, predictions)
        timings["valuation"] = time.perf_counter() - started - timings["forecast"]
        tested, timings["backtest"] = testing.wait(report, 0.7, result.notes)
    report("Segmenting and writing insights", 0.95)
    results = _assemble(predictions, total, result, tested, drivers, settings, log, timings)
    timings["total"] = time.perf_counter() - started
    report("Done", 1.0)
    return results


def _predictions(
    result: Forecast, settings: Settings, log: Transactions
) -> tuple[pd.DataFrame, tuple[float, float, float]]:
    """The predictions table: per-customer values, country, segments, and the total with its interval."""
    predictions, weighted_gradients = value_customers(result, settings)
    if log.has("country"):
        predictions["country"] = _countries(log, result.cutoff).reindex(predictions["customer_id"]).to_numpy()
    total = total_value(
        float(predictions["clv"].sum()),
        float(predictions["clv_probabilistic"].sum()),
        weighted_gradients.sum(axis=0),
        (result.purchase_model, result.spend_model),
        settings.interval,
    )
    summary = result.summary.reset_index(drop=True)
    return _segment(predictions, summary["T"] - summary["recency"], settings), total


def value_customers(result: Forecast, settings: Settings) -> tuple[pd.DataFrame, np.ndarray]:
    """Every column of the predictions table that depends on the customer alone (all but the segments and country):
    the probabilistic value with discounting and margin, and the blend carried likewise; and each customer's part of
    the total's interval (:func:`clv.models.value.value_with_gradients`). Any subset of customers gives the same
    rows, so the Spark engine scores partitions with it."""
    summary = result.summary.reset_index(drop=True)
    valued, weighted_gradients = value_with_gradients(
        result.purchase_model,
        result.spend_model,
        summary,
        settings.horizon,
        settings.time_unit,
        annual_discount_rate=settings.annual_discount_rate,
        margin=settings.margin,
        interval=settings.interval,
    )
    valued = valued.set_index("customer_id")
    undiscounted = result.probabilistic["clv"].reindex(valued.index).to_numpy()
    # Discounting and margin as a per-customer factor, applied to every forecast alike.
    factor = np.divide(
        valued["clv"].to_numpy(),
        undiscounted,
        out=np.full(undiscounted.shape, settings.margin),
        where=undiscounted > 0,
    )
    blended = result.ensemble.reindex(valued.index).to_numpy() * factor
    relative_low = np.divide(
        valued["clv_low"], valued["clv"], out=np.ones(len(valued)), where=valued["clv"] > 0
    )
    relative_high = np.divide(
        valued["clv_high"], valued["clv"], out=np.ones(len(valued)), where=valued["clv"] > 0
    )
    unit_weeks = days_per_unit(settings.time_unit) / 7.0
    waiting_weeks = result.purchase_model.time_to_next_purchase(
        summary["frequency"], summary["recency"], summary["T"]
    )
    predictions = pd.DataFrame(
        {
            "customer_id": valued.index.astype(str).to_numpy(),
            "frequency": summary["frequency"].to_numpy(),
            "recency": summary["recency"].to_numpy() / unit_weeks,
            "T": summary["T"].to_numpy() / unit_weeks,
            "monetary_value": summary["monetary_value"].to_numpy(),
            "total_revenue": summary["total_revenue"].to_numpy(),
            "p_alive": result.probabilistic["p_alive"].reindex(valued.index).to_numpy(),
            "expected_purchases": valued["expected_purchases"].to_numpy(),
            "expected_avg_value": valued["expected_avg_value"].to_numpy(),
            "clv_probabilistic": valued["clv"].to_numpy(),
            "clv_learned": (
                result.learned.reindex(valued.index).to_numpy() * factor
                if result.learned is not None
                else np.nan
            ),
            "clv": blended,
            "clv_low": blended * relative_low,
            "clv_high": blended * relative_high,
            "expected_next_purchase": _next_purchase_dates(result.cutoff, waiting_weeks),
        }
    )
    return predictions, weighted_gradients


def total_value(
    blended_total: float,
    probabilistic_total: float,
    weighted_gradients: np.ndarray,
    models: tuple[PurchaseModel, GammaGamma],
    interval: float,
) -> tuple[float, float, float]:
    """The blended total with the interval of the probabilistic total scaled alike, from sums over customers (so
    partial sums from parts of the customers add up)."""
    _, low, high = total_interval(probabilistic_total, weighted_gradients, *models, interval)
    scale = blended_total / probabilistic_total if probabilistic_total > 0 else 1.0
    return blended_total, low * scale, high * scale


def _next_purchase_dates(cutoff: pd.Timestamp, waiting_weeks: np.ndarray) -> pd.DatetimeIndex:
    """Observation end plus the median waiting time, as dates (missing when the end date is unknown)."""
    if pd.isna(cutoff):
        return pd.DatetimeIndex([pd.NaT] * len(waiting_weeks))
    return (cutoff + pd.to_timedelta(np.round(waiting_weeks * 7.0), unit="D")).normalize()


def _segment(predictions: pd.DataFrame, weeks_since_last: pd.Series, settings: Settings) -> pd.DataFrame:
    predictions["value_tier"] = value_tiers(predictions["clv"], settings.tier_cutoffs).array
    predictions["churn_risk"] = churn_bands(predictions["p_alive"], settings.churn_thresholds).array
    mean_order = predictions["total_revenue"] / (predictions["frequency"] + 1)
    scores = rfm(pd.Series(weeks_since_last.to_numpy()), predictions["frequency"], mean_order)
    predictions["rfm_score"] = scores["rfm_score"].to_numpy()
    predictions["rfm_segment"] = scores["rfm_segment"].to_numpy()
    ordered = [c for c in PREDICTION_COLUMNS if c in predictions] + [
        c for c in predictions if c not in PREDICTION_COLUMNS
    ]
    return predictions[ordered].reset_index(drop=True)


def _countries(log: Transactions, cutoff: pd.Timestamp) -> pd.Series:
    frame = log.connection.execute(
        f"""SELECT customer_id, arg_max(country, "timestamp") AS country FROM {log.table}
            WHERE CAST("timestamp" AS DATE) <= DATE '{cutoff.date()}' GROUP BY customer_id"""
    ).df()
    return pd.Series(frame["country"].to_numpy(), index=frame["customer_id"].astype(str))


def _drivers(result: Forecast, predictions: pd.DataFrame) -> dict[str, pd.DataFrame]:
    if result.learned_model is None or result.features is None or result.learned_base is None:
        return {}
    contributions = result.learned_model.contributions(result.features, result.learned_base)
    customers = top_drivers(contributions).reindex(predictions["customer_id"]).fillna("")
    return {
        "importance": global_importance(contributions),
        "customers": pd.DataFrame(
            {"customer_id": predictions["customer_id"].to_numpy(), "drivers": customers.to_numpy()}
        ),
    }


class BacktestThread:
    """The run's backtest, started on a second thread: everything refitted at the observation end minus the
    backtest weeks and scored on the rest, on a DuckDB cursor of its own, while the caller forecasts at the
    observation end (each sees only its own data, so results do not change). Used as a context manager, which
    waits for the thread on leaving."""

    def __init__(self, log: Transactions, history: History, end: pd.Timestamp, settings: Settings) -> None:
        self.calibration_end = _backtest_start(history, end, settings)
        self._end = end
        self._skipped = _backtest_skipped(history, end, settings, self.calibration_end)
        self._pool = ThreadPoolExecutor(max_workers=1)
        self._job = (
            self._pool.submit(_backtest, log, self.calibration_end, end, settings)
            if self.calibration_end is not None
            else None
        )

    def __enter__(self) -> BacktestThread:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._pool.shutdown()

    def wait(self, report: Progress, fraction: float, notes: list[str]) -> tuple[Backtest | None, float]:
        """The backtest (None when there is none, with the reason added to ``notes``) and the seconds it took;
        ``report`` says what is awaited at ``fraction`` done."""
        if self.calibration_end is not None:
            report(
                f"Backtesting: refitted on data to {self.calibration_end.date()}, scoring the weeks to "
                f"{self._end.date()}",
                fraction,
            )
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


def _assemble(
    predictions: pd.DataFrame,
    total: tuple[float, float, float],
    result: Forecast,
    tested: Backtest | None,
    drivers: dict[str, pd.DataFrame],
    settings: Settings,
    source: Transactions | pd.DataFrame,
    timings: dict[str, float],
) -> Results:
    empty = pd.DataFrame()
    metrics = tested.metrics if tested is not None else empty
    segments = {
        "value_tiers": segment_table(predictions, "value_tier"),
        "churn_risk": segment_table(predictions, "churn_risk"),
        "rfm": segment_table(predictions, "rfm_segment"),
    }
    models: dict[str, Model] = {"purchase_model": result.purchase_model, "spend_model": result.spend_model}
    metadata = {
        "fingerprint": _fingerprint(predictions),
        "observation_end": str(result.cutoff.date()),
        "horizon_weeks": settings.horizon_weeks,
        "purchase_model": result.purchase_model.model_type,
        "model_comparison": result.comparison.reset_index().to_dict(orient="records"),
        "learned_window_weeks": result.window_weeks,
        "learned_model": learned_metadata(result.learned_fit, result.purchase_model, result.horizon_weeks),
        "blend_weights": result.weights,
        "notes": result.notes,
        "backtest": (
            {
                "calibration_end": str(tested.calibration_end.date()),
                "holdout_end": str(tested.holdout_end.date()),
            }
            if tested is not None
            else None
        ),
        "settings": settings.to_dict(),
        "customers": len(predictions),
        "transactions": len(source),
        "timings_seconds": timings,
        "versions": {
            name: package_version(name)
            for name in ("clv-platform", "numpy", "scipy", "pandas", "duckdb", "lightgbm")
        },
    }
    return Results(
        predictions=predictions,
        metrics=metrics,
        deciles=tested.deciles if tested is not None else empty,
        tracking=tested.tracking if tested is not None else empty,
        conditional=tested.conditional if tested is not None else empty,
        segments=segments,
        insights=insights(predictions, total, settings, drivers.get("importance"), metrics),
        drivers=drivers,
        models=models,
        learned_model=result.learned_model,
        metadata=metadata,
        total=total,
        settings=settings,
    )


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


def _run_customer_level(
    summary: pd.DataFrame, settings: Settings, report: Progress, timings: dict[str, float]
) -> Results:
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
    spend_model = fit_spend_model(weeks, notes)
    # Without a log there is no calendar date to count the next purchase from unless the table carries one.
    end = summary.attrs.get("observation_end")
    result = probabilistic_forecast(
        weeks.set_index("customer_id", drop=False),
        compare_models(weeks, settings.purchase_models),
        spend_model,
        pd.Timestamp(end) if end is not None else pd.NaT,  # type: ignore[arg-type]
        settings.horizon_weeks,
        notes,
    )
    empty_log = Transactions.from_pandas(
        pd.DataFrame({"customer_id": [], "timestamp": pd.to_datetime([]), "amount": []})
    )
    predictions, total = _predictions(result, settings, empty_log)
    timings["forecast"] = time.perf_counter() - started
    return _assemble(predictions, total, result, None, {}, settings, weeks, timings)


def _fingerprint(predictions: pd.DataFrame) -> str:
    digest = hashlib.sha256()
    for column in ("customer_id", "frequency", "recency", "T", "monetary_value"):
        digest.update(pd.util.hash_pandas_object(predictions[column], index=False).to_numpy().tobytes())
    return digest.hexdigest()[:16]


def package_version(name: str) -> str:
    """The installed version of distribution ``name`` ("unknown" when not installed)."""
    try:
        return package_metadata.version(name)
    except package_metadata.PackageNotFoundError:
        return "unknown"


__all__ = ["PREDICTION_COLUMNS", "Results", "Settings", "run"]
