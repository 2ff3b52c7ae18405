"""Clean a transaction log in Spark with the rules of :mod:`clv.data.clean`.

The source is read by :func:`clv.spark.files.read_source` (a DataFrame, a catalog table, Parquet, CSV or a CDNOW-style
whitespace file, local or on an object store) and each column by :mod:`clv.spark.parse` (the rules of
:mod:`clv.data.parse`). Columns are found by the same names as the DuckDB loader
(:func:`clv.data.mapping.detect_mapping`, an explicit mapping wins) and the same rules drop rows, each row counted
under the first rule it breaks (missing customer id, unparseable date, non-finite number, cancellation, return, zero
or missing amount, after the observation end, duplicate). The report counts rows per rule but cannot give example
row numbers (files are read in parallel, unordered).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from clv.data.clean import RULES, CleaningReport, _add_quality_warnings, _end_bound
from clv.data.mapping import detect_mapping
from clv.data.transactions import OPTIONAL_COLUMNS
from clv.errors import DataValidationError
from clv.spark.parse import (
    detect_dayfirst,
    id_column,
    number_column,
    quoted,
    text_column,
    timestamp_column,
)

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

ROW_NUMBERING = "no example rows: Spark reads the source in parallel, without row numbers"


def canonical_log(
    frame: DataFrame,
    mapping: Mapping[str, str] | None = None,
    *,
    source_name: str = "the Spark source",
    cancellation_prefix: str = "C",
    dayfirst: bool | None = None,
    observation_end: object = None,
    drop_duplicates: bool | None = None,
    drop_zero_amounts: bool = True,
) -> tuple[DataFrame, CleaningReport]:
    """The cleaned log with canonical columns (customer_id string, timestamp timestamp_ntz in UTC, amount double, and
    invoice_id, product_id, quantity, country when mapped), and the report of what each rule dropped. The log is
    persisted (memory, then disk): call ``unpersist()`` when done with it.

    The options mean what they mean in :func:`clv.data.load_transactions` (``dayfirst=None``: judged from a
    sample of the date column, as there). Raises
    :class:`~clv.errors.DataValidationError` when a column cannot be found or every row is dropped.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    used = detect_mapping(frame.columns, mapping)
    if drop_duplicates is None:
        drop_duplicates = "invoice_id" in used
    types = dict(frame.dtypes)
    session_zone = frame.sparkSession.conf.get("spark.sql.session.timeZone") or "UTC"
    warnings: list[str] = []
    if dayfirst is None:
        dayfirst = detect_dayfirst(frame, used["timestamp"], warnings)

    def column(field: str) -> Column:
        return F.col(quoted(used[field]))

    typed: dict[str, Column] = {
        "customer_id": id_column(column("customer_id"), types[used["customer_id"]]),
        "timestamp": timestamp_column(column("timestamp"), types[used["timestamp"]], session_zone, dayfirst),
    }
    numbers: dict[str, Column] = {
        field: number_column(column(field), types[used[field]])
        for field in ("amount", "quantity", "unit_price")
        if field in used
    }
    typed["amount"] = (
        numbers["amount"] if "amount" in numbers else numbers["quantity"] * numbers["unit_price"]
    )
    for field in OPTIONAL_COLUMNS:
        if field == "quantity" and field in numbers:
            typed[field] = numbers[field]
        elif field in ("invoice_id", "product_id") and field in used:
            typed[field] = id_column(column(field), types[used[field]])
        elif field == "country" and field in used:
            typed[field] = text_column(column(field).cast("string"))
    rule = _rule(
        typed,
        numbers,
        prefix=cancellation_prefix if "invoice_id" in used else "",
        end_exclusive=_end_bound(observation_end),
        drop_zero_amounts=drop_zero_amounts,
    )
    raw_columns = [F.col(quoted(name)).alias(f"_raw_{i}") for i, name in enumerate(frame.columns)]
    ruled = frame.select(
        *[value.alias(name) for name, value in typed.items()], *raw_columns, rule.alias("rule")
    )
    counts = {row["rule"]: int(row["count"]) for row in ruled.groupBy("rule").count().collect()}
    kept = ruled.filter(F.col("rule").isNull())
    if drop_duplicates:
        kept = kept.dropDuplicates([f"_raw_{i}" for i in range(len(frame.columns))])
    log = kept.select(*typed).persist(StorageLevel.MEMORY_AND_DISK)
    rows_in = sum(counts.values())
    dropped = {name: counts.get(name, 0) for name in RULES}
    if drop_duplicates:
        dropped["duplicate"] = counts.get(None, 0) - log.count()
    report = CleaningReport(
        source_name=source_name,
        rows_in=rows_in,
        rows_kept=rows_in - sum(dropped.values()),
        dropped=dropped,
        examples={name: [] for name in RULES},
        mapping=dict(used),
        row_numbering=ROW_NUMBERING,
        columns=list(frame.columns),
        warnings=warnings,
    )
    if report.rows_kept == 0:
        log.unpersist()
        reasons = "; ".join(f"{count:,} {RULES[name]}" for name, count in dropped.items() if count)
        raise DataValidationError(
            f"all {rows_in:,} rows of {source_name} were dropped: {reasons or 'the source is empty'}. Check the "
            f"column mapping ({', '.join(f'{k} <- {v!r}' for k, v in used.items())}) and the column types"
        )
    _add_quality_warnings(report)
    return log, report


def _rule(
    typed: dict[str, Column],
    numbers: dict[str, Column],
    *,
    prefix: str,
    end_exclusive: pd.Timestamp | None,
    drop_zero_amounts: bool,
) -> Column:
    """The first rule each row breaks (None when it breaks none), in the order of :data:`clv.data.clean.RULES`."""
    from pyspark.sql import functions as F

    amount = typed["amount"]
    values = [*numbers.values(), amount]
    non_finite = F.lit(False)
    for value in values:
        non_finite = non_finite | F.isnan(value) | (F.abs(value) == float("inf"))
    negative = amount < 0
    if "quantity" in numbers:
        negative = negative | (numbers["quantity"] < 0)
    cancellation = F.upper(typed["invoice_id"]).startswith(prefix.upper()) if prefix else F.lit(False)
    missing_amount = amount.isNull() | (amount == 0) if drop_zero_amounts else amount.isNull()
    after_end = (
        typed["timestamp"] >= F.lit(end_exclusive.to_pydatetime()).cast("timestamp_ntz")
        if end_exclusive is not None
        else F.lit(False)
    )
    return (
        F.when(typed["customer_id"].isNull(), "missing_customer_id")
        .when(typed["timestamp"].isNull(), "unparseable_date")
        .when(non_finite, "non_finite_number")
        .when(cancellation, "cancellation")
        .when(negative, "return")
        .when(missing_amount, "zero_or_missing_amount")
        .when(after_end, "after_observation_end")
    )
