"""``clv.run`` on Apache Spark: the same settings and the same predictions table, for logs one machine cannot hold.

What runs where:

========================================  ==========================================================================
step                                      where
========================================  ==========================================================================
read and clean the log                    executors (:mod:`clv.spark.source`); the rule counts reach the driver
customer summary                          executors: Spark aggregations (:mod:`clv.spark.summary`)
fit BG/NBD, Pareto/NBD, MBG/NBD, GG;      driver, on the distinct (frequency, recency, T, spend) rows with their
choose the purchase model                 counts (:func:`clv.forecast.ensemble.choose_purchase_model`: the lowest BIC with a
                                          finite forecast for every customer)
learned model (LightGBM) and backtest     driver, in DuckDB (:func:`clv.forecast.ensemble.train_learned`, the backtest on a
                                          second thread while Spark scores), on the whole log when it has at most
                                          ``driver_rows`` transactions, else on the log of a random sample of
                                          customers (hash of the id), which the run's notes state
scoring (P(alive), expected purchases,    executors: ``mapInPandas`` over the summary, or (with the learned model,
CLV with interval, next purchase, churn   whose features need each customer's transactions) ``applyInPandas`` over
band, learned forecast from its base      customer buckets of summary and log cogrouped; the code is that of
forecast, and the blend)                  :func:`clv.forecast.scoring.score_part`, as the DuckDB engine scores its parts,
                                          so every row equals the DuckDB engine's
value tiers and RFM scores                executors, with cut-offs from exact ranks near each cut-off
                                          (:mod:`clv.spark.ranks`)
total and its interval, segment tables    sums and one grouping-sets aggregation on the executors, finished on
                                          the driver
========================================  ==========================================================================

The predictions are written as Parquet (a folder of part files) with the run's description in
``_clv_run.json`` beside them (Parquet readers skip files starting with ``_``).
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from clv.data.clean import CleaningReport
from clv.data.transactions import Transactions
from clv.errors import DataValidationError
from clv.explain.segments import CHURN_NAMES, RFM_SEGMENTS, churn_bands, segment_shares, tier_names
from clv.forecast.features import feature_table
from clv.forecast.history import TIME_UNIT, History
from clv.forecast.learned import LearnedModel
from clv.forecast.probabilistic import fit_on_statistics
from clv.forecast.scoring import score_part, total_value
from clv.forecast.training import LearnedFit
from clv.models import GammaGamma, PurchaseModel
from clv.models.base import Model, one_blas_thread
from clv.models.compare import PURCHASE_MODELS
from clv.pipeline.backtesting import BacktestThread, backtest_window
from clv.pipeline.fitting import learned_at_end
from clv.pipeline.metadata import learned_metadata, package_version
from clv.pipeline.predictions import PREDICTION_COLUMNS
from clv.pipeline.progress import Progress
from clv.settings import Settings
from clv.spark.batches import arrow_ready, pandas_checked
from clv.spark.files import read_source
from clv.spark.ranks import segment_columns
from clv.spark.session import spark_session
from clv.spark.source import canonical_log
from clv.spark.summary import customer_statistics, observation_end, summarize

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from clv.forecast.backtest import Backtest

METADATA_FILE = "_clv_run.json"
SEGMENT_COLUMNS: tuple[str, ...] = ("value_tier", "churn_risk", "rfm_segment")


@dataclass(frozen=True)
class SparkOptions:
    """How the Spark engine reads the source and divides the work.

    ``driver_rows``: the most transactions brought to the driver to train the learned model and run the backtest
    (beyond it, a sample of customers whose logs hold about that many). ``rows_per_task``: transactions per scoring
    task when the learned model is applied (its features are computed in DuckDB inside each task). The reading
    options mean what they mean in :func:`clv.spark.source.canonical_log` and :func:`clv.data.load_transactions`.
    """

    driver_rows: int = 2_000_000
    rows_per_task: int = 1_000_000
    file_format: str | None = None
    mapping: dict[str, str] | None = None
    cancellation_prefix: str = "C"
    dayfirst: bool | None = None
    drop_duplicates: bool | None = None
    drop_zero_amounts: bool = True


@dataclass
class SparkRun:
    """What a Spark run produced: the predictions at ``output`` (Parquet), and on the driver the total with its
    interval, the backtest metrics, the segment tables, the fitted models, the cleaning report and the metadata
    (notes included) that ``_clv_run.json`` also holds."""

    output: str
    total: tuple[float, float, float]
    metrics: pd.DataFrame
    segments: dict[str, pd.DataFrame]
    models: dict[str, Model]
    learned_model: LearnedModel | None
    cleaning: CleaningReport
    metadata: dict[str, Any]
    settings: Settings = field(default_factory=Settings)

    def predictions(self, spark: SparkSession | None = None) -> DataFrame:
        """The predictions table, read back from ``output``."""
        return (spark or spark_session()).read.parquet(self.output)


def run(
    source: str | DataFrame,
    output: str,
    settings: Settings | None = None,
    *,
    spark: SparkSession | None = None,
    options: SparkOptions | None = None,
    progress: Progress | None = None,
) -> SparkRun:
    """Predict every customer's value with Spark and write the predictions table to ``output`` (Parquet folder,
    replaced if it exists).

    ``source``: a Spark DataFrame, a catalog table name, or a Parquet/CSV path or URL
    (:func:`clv.spark.files.read_source`). ``settings`` are those of :func:`clv.run`; ``progress`` is called with
    (stage, fraction done). Raises :class:`~clv.errors.DataValidationError` for unusable input and
    :class:`~clv.errors.ConvergenceError` when no purchase model can be fitted.
    """
    with one_blas_thread():
        return _run(
            source,
            output,
            settings or Settings(),
            spark or spark_session(),
            options or SparkOptions(),
            progress or (lambda stage, fraction: None),
        )


def _run(
    source: str | DataFrame,
    output: str,
    settings: Settings,
    spark: SparkSession,
    options: SparkOptions,
    report: Progress,
) -> SparkRun:
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    report("Reading and cleaning the transactions", 0.02)
    frame = read_source(spark, source, options.file_format)
    log, cleaning = canonical_log(
        frame,
        options.mapping,
        source_name=source if isinstance(source, str) else "the Spark DataFrame",
        cancellation_prefix=options.cancellation_prefix,
        dayfirst=options.dayfirst,
        observation_end=settings.observation_end,
        drop_duplicates=options.drop_duplicates,
        drop_zero_amounts=options.drop_zero_amounts,
    )
    persisted: list[DataFrame] = [log]
    try:
        end = observation_end(log, settings.observation_end)
        report("Summarising customers", 0.1)
        summary = summarize(log, end, TIME_UNIT).persist()
        persisted.append(summary)
        timings["summary"] = time.perf_counter() - clock
        report("Fitting the purchase and spend models on the compressed statistics", 0.2)
        notes: list[str] = []
        statistics = customer_statistics(summary)
        notes.append(
            f"models fitted on {len(statistics):,} distinct (frequency, recency, T, monetary value) rows of "
            f"{int(statistics['weight'].sum()):,} customers, collected from Spark"
        )
        statistics.attrs["time_unit"] = TIME_UNIT
        purchase_model, spend_model, comparison = fit_on_statistics(
            statistics, settings.purchase_models, settings.horizon_weeks, notes
        )
        timings["models"] = time.perf_counter() - clock - sum(timings.values())
        driver_log, sample = _driver_log(log, cleaning.rows_kept, settings, options, notes)
        history = History(driver_log) if driver_log is not None else None
        # The backtest runs on the driver, on a second thread, while Spark scores (as clv.run runs it).
        testing = BacktestThread(history.log, history, end, settings) if history is not None else None
        with testing or nullcontext():
            fit = None
            if settings.learned and history is not None:
                report("Training the learned model on the driver", 0.3)
                fit = learned_at_end(history, end, settings, (purchase_model, spend_model), statistics, notes)
            timings["learned"] = time.perf_counter() - clock - sum(timings.values())
            report("Scoring customers on the executors", 0.5)
            scored = _score(
                summary, log, end, settings, options, cleaning.rows_kept, purchase_model, spend_model, fit
            )
            scored = scored.persist()
            persisted.append(scored)
            customers, total = _total(scored, purchase_model, spend_model, settings)
            report("Segmenting customers", 0.7)
            segments = segment_columns(scored, customers, settings.tier_cutoffs, settings.churn_thresholds[0])
            predictions = scored.select(
                *[segments[c].alias(c) if c in segments else c for c in PREDICTION_COLUMNS],
                *(["country"] if "country" in scored.columns else []),
            )
            predictions.write.mode("overwrite").parquet(output)
            timings["scoring"] = time.perf_counter() - clock - sum(timings.values())
            tables = _segment_tables(spark.read.parquet(output), settings)
            timings["segment_tables"] = time.perf_counter() - clock - sum(timings.values())
            tested, timings["backtest"] = testing.wait(report, 0.9, notes) if testing else (None, 0.0)
        if tested is not None and sample is not None:
            notes.append(f"the backtest ran on the driver's sample: {sample['statement']}")
        timings["total"] = time.perf_counter() - clock
        metadata = _metadata(
            spark, output, end, settings, (purchase_model, comparison, fit), sample, notes, tested, timings
        ) | {"customers": customers, "transactions": cleaning.rows_kept, "total": list(total)}
        _write_text(
            spark, f"{output.rstrip('/')}/{METADATA_FILE}", json.dumps(metadata, indent=2, default=str)
        )
        report("Done", 1.0)
        return SparkRun(
            output=output,
            total=total,
            metrics=tested.metrics if tested is not None else pd.DataFrame(),
            segments=tables,
            models={"purchase_model": purchase_model, "spend_model": spend_model},
            learned_model=fit.model if fit is not None else None,
            cleaning=cleaning,
            metadata=metadata,
            settings=settings,
        )
    finally:
        for frame_to_free in persisted:
            frame_to_free.unpersist()


def _metadata(
    spark: SparkSession,
    output: str,
    end: pd.Timestamp,
    settings: Settings,
    fitted: tuple[PurchaseModel, pd.DataFrame, LearnedFit | None],
    sample: dict[str, Any] | None,
    notes: list[str],
    tested: Backtest | None,
    timings: dict[str, float],
) -> dict[str, Any]:
    """The run's description written beside the predictions (``_clv_run.json``), as :func:`clv.run`'s metadata
    describes a run: engine, models and their choice, the learned model, notes, backtest window, timings."""
    purchase_model, comparison, fit = fitted
    return {
        "engine": "spark",
        "spark_version": spark.version,
        "master": spark.sparkContext.master,
        "output": output,
        "observation_end": str(end.date()),
        "horizon_weeks": settings.horizon_weeks,
        "purchase_model": purchase_model.model_type,
        "model_comparison": comparison.reset_index().to_dict(orient="records"),
        "learned_window_weeks": fit.window_weeks if fit is not None else None,
        "learned_model": learned_metadata(fit, purchase_model, settings.horizon_weeks),
        "blend_weights": fit.weights if fit is not None else {},
        "learned_training": sample
        or {"statement": "the whole log, on the driver" if fit is not None else "no learned model"},
        "notes": notes,
        "backtest": backtest_window(tested),
        "settings": settings.to_dict(),
        "timings_seconds": timings,
        "versions": {
            name: package_version(name) for name in ("clv-platform", "pyspark", "pandas", "lightgbm")
        },
    }


def _driver_log(
    log: DataFrame, rows: int, settings: Settings, options: SparkOptions, notes: list[str]
) -> tuple[Transactions | None, dict[str, Any] | None]:
    """The transactions the learned model and the backtest see on the driver (a DuckDB log), and a description of
    the sample when they are not all of them."""
    from pyspark.sql import functions as F

    if not (settings.learned or settings.backtest):
        return None, None
    if rows <= options.driver_rows:
        return Transactions.from_pandas(log.toArrow().to_pandas(), source_name="driver log"), None
    share = options.driver_rows / rows
    buckets = 1_000_000
    hashed = F.pmod(F.xxhash64("customer_id", F.lit(settings.seed)), F.lit(buckets))
    frame = log.filter(hashed < F.lit(max(int(share * buckets), 1))).toArrow().to_pandas()
    customers = int(frame["customer_id"].nunique())
    statement = (
        f"the learned model was trained (and the backtest run) on a random {share:.1%} of customers "
        f"({customers:,} customers, {len(frame):,} of {rows:,} transactions): the log is larger than the "
        f"{options.driver_rows:,} transactions the driver takes; every customer was scored"
    )
    notes.append(statement)
    sample = {
        "share_of_customers": share,
        "customers": customers,
        "transactions": len(frame),
        "statement": statement,
    }
    return Transactions.from_pandas(frame, source_name="driver log sample"), sample


@dataclass(frozen=True)
class _Scoring:
    """What every scoring task needs, in the models' own JSON and LightGBM text formats."""

    end: str
    settings: dict[str, Any]
    purchase_model: dict[str, Any]
    spend_model: dict[str, Any]
    learned_model: str | None = None
    window_weeks: float | None = None
    weights: dict[str, float] | None = None
    gradient_columns: tuple[str, ...] = ()
    columns: tuple[tuple[str, str], ...] = ()


def _score(
    summary: DataFrame,
    log: DataFrame,
    end: pd.Timestamp,
    settings: Settings,
    options: SparkOptions,
    rows: int,
    purchase_model: PurchaseModel,
    spend_model: GammaGamma,
    fit: LearnedFit | None,
) -> DataFrame:
    """Per-customer predictions (no segments yet) and each customer's part of the total's interval."""
    from pyspark.sql import functions as F

    gradient_columns = tuple(f"gradient_{i}" for i in range(purchase_model.n_params + spend_model.n_params))
    state = _Scoring(
        end=str(end.date()),
        settings=settings.to_dict(),
        purchase_model=purchase_model.to_dict(),
        spend_model=spend_model.to_dict(),
        learned_model=fit.model.to_text() if fit is not None else None,
        window_weeks=fit.window_weeks if fit is not None else None,
        weights=fit.weights if fit is not None else None,
        gradient_columns=gradient_columns,
        columns=_scored_columns(gradient_columns, "country" in summary.columns),
    )
    schema = ", ".join(f"`{name}` {kind}" for name, kind in state.columns)
    if fit is None:
        with pandas_checked():
            return summary.mapInPandas(lambda batches: _score_batches(batches, state), schema)
    buckets = max(1, math.ceil(rows / options.rows_per_task))
    bucket = F.pmod(F.xxhash64("customer_id"), F.lit(buckets))
    lines = log.filter(F.to_date("timestamp") <= F.lit(end.date()))
    grouped = summary.withColumn("bucket", bucket).groupBy("bucket")
    with pandas_checked():
        return grouped.cogroup(lines.withColumn("bucket", bucket).groupBy("bucket")).applyInPandas(
            lambda customers, transactions: _score_part(customers, transactions, state), schema
        )


def _scored_columns(gradient_columns: tuple[str, ...], with_country: bool) -> tuple[tuple[str, str], ...]:
    """(name, Spark type) of the scoring output: the per-customer predictions, the RFM inputs, the gradients."""
    types = {"customer_id": "string", "frequency": "bigint", "churn_risk": "string"}
    types["expected_next_purchase"] = "timestamp_ntz"
    names = [c for c in PREDICTION_COLUMNS if c not in ("value_tier", "rfm_score", "rfm_segment")]
    names += ["weeks_since_last", "mean_order", *gradient_columns, *(["country"] if with_country else [])]
    types["country"] = "string"
    return tuple((name, types.get(name, "double")) for name in names)


def _score_batches(batches: Iterator[pd.DataFrame], state: _Scoring) -> Iterator[pd.DataFrame]:
    for batch in batches:
        yield _score_part(batch, None, state)


def _score_part(customers: pd.DataFrame, transactions: pd.DataFrame | None, state: _Scoring) -> pd.DataFrame:
    """Score one part of the customers (runs on an executor): :func:`clv.forecast.scoring.score_part` (with the learned
    model, on the features of the part's transactions), the churn band, the RFM inputs and the weighted gradients of
    the total's interval."""
    settings = Settings.from_dict(state.settings)
    if customers.empty:
        return pd.DataFrame(columns=[name for name, _ in state.columns])
    purchase_model = PURCHASE_MODELS_BY_TYPE[state.purchase_model["model_type"]].from_dict(
        state.purchase_model
    )
    spend_model = GammaGamma.from_dict(state.spend_model)
    summary = customers.reset_index(drop=True)
    summary["frequency"] = summary["frequency"].astype("int64")
    summary.attrs["time_unit"] = TIME_UNIT
    end = pd.Timestamp(state.end)
    fit, features = None, None
    if transactions is not None and state.learned_model is not None and state.window_weeks is not None:
        fit = LearnedFit(
            model=LearnedModel.from_text(state.learned_model),
            window_weeks=state.window_weeks,
            weights=state.weights or {},
            training_cutoffs=[],
            notes=[],
        )
        features = feature_table(Transactions.from_pandas(transactions.drop(columns="bucket")), end)
    part = score_part(
        summary.set_index("customer_id", drop=False),
        features,
        end,
        settings,
        (purchase_model, spend_model),
        fit,
    )
    predictions = part.predictions
    predictions["churn_risk"] = churn_bands(predictions["p_alive"], settings.churn_thresholds).astype(str)
    predictions["mean_order"] = predictions["total_revenue"] / (predictions["frequency"] + 1)
    for i, name in enumerate(state.gradient_columns):
        predictions[name] = part.gradients[:, i]
    if "country" in summary:
        predictions["country"] = summary["country"].to_numpy()
    return arrow_ready(predictions)


PURCHASE_MODELS_BY_TYPE: dict[str, type[PurchaseModel]] = {
    model.model_type: model for model in PURCHASE_MODELS.values()
}


def _total(
    scored: DataFrame, purchase_model: PurchaseModel, spend_model: GammaGamma, settings: Settings
) -> tuple[int, tuple[float, float, float]]:
    """The number of customers and the blended total with its interval, from sums over the executors."""
    from pyspark.sql import functions as F

    gradients = [c for c in scored.columns if c.startswith("gradient_")]
    row = scored.agg(
        F.count(F.lit(1)), F.sum("clv"), F.sum("clv_probabilistic"), *[F.sum(c) for c in gradients]
    ).first()
    if row is None or not row[0]:
        raise DataValidationError("no customer has a purchase on or before the observation end")
    total = total_value(
        float(row[1]),
        float(row[2]),
        np.array([float(v) for v in row[3:]]),
        (purchase_model, spend_model),
        settings.interval,
    )
    return int(row[0]), total


def _segment_tables(predictions: DataFrame, settings: Settings) -> dict[str, pd.DataFrame]:
    """The tables of :func:`clv.explain.segments.segment_table` for tiers, churn bands and RFM segments, in one pass."""
    from pyspark.sql import functions as F

    grouped = (
        predictions.groupingSets([[c] for c in SEGMENT_COLUMNS], *SEGMENT_COLUMNS)
        .agg(
            F.count(F.lit(1)).alias("customers"),
            F.sum("total_revenue").alias("revenue"),
            F.sum("clv").alias("predicted_value"),
            F.avg("clv").alias("mean_clv"),
            F.avg("p_alive").alias("mean_p_alive"),
        )
        .toArrow()
        .to_pandas()
    )
    orders = {
        "value_tier": tier_names(settings.tier_cutoffs),
        "churn_risk": list(CHURN_NAMES),
        "rfm_segment": list(RFM_SEGMENTS),
    }
    tables = {}
    for name, column in zip(("value_tiers", "churn_risk", "rfm"), SEGMENT_COLUMNS, strict=True):
        rows = grouped[grouped[column].notna()].set_index(column)
        rows = rows.reindex([o for o in orders[column] if o in rows.index])
        tables[name] = segment_shares(
            rows[["customers", "revenue", "predicted_value", "mean_clv", "mean_p_alive"]]
        )
    return tables


def _write_text(spark: SparkSession, path: str, text: str) -> None:
    """Write ``text`` to ``path`` through Hadoop's file system, so object stores work like local folders."""
    context: Any = spark.sparkContext
    target = context._jvm.org.apache.hadoop.fs.Path(path)
    stream = target.getFileSystem(context._jsc.hadoopConfiguration()).create(target, True)
    try:
        stream.write(bytearray(text.encode("utf-8")))
    finally:
        stream.close()
