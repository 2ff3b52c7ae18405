"""Read a transaction log into Spark and clean it with the rules of :mod:`clv.data.clean`.

Sources: a Spark DataFrame, a table name known to the session's catalog (``sales.orders``), or a path: Parquet (a
file, a folder of part files or a glob) or CSV with a header, local or on an object store (``s3a://``, ``gs://``,
``abfss://``, ``hdfs://``: whatever the cluster's Hadoop configuration reaches).

Columns are found by the same names as the DuckDB loader (:func:`clv.data.mapping.detect_mapping`, an explicit
mapping wins) and the same rules drop rows, each row counted under the first rule it breaks (missing customer id,
unparseable date, non-finite number, cancellation, return, zero or missing amount, after the observation end,
duplicate). What the Spark path reads differently, because it never brings the data to one machine:

- dates must be typed (timestamp, timestamp_ntz, date), ISO text (``2011-12-09 12:50:00``; an offset such as
  ``+02:00`` or ``Z`` is converted to UTC), ``YYYYMMDD`` numbers or text, or slash dates (``12/9/2011 12:50``, month
  first unless ``dayfirst=True``: no sampling guesses the order). A timestamp with a time zone is converted to UTC;
  days are UTC days, as in DuckDB;
- amounts, quantities and prices must be numbers, or text holding a plain number (``1234.5``); currency symbols
  and thousands separators are not parsed (such rows count as a missing amount);
- the report counts rows per rule but cannot give example row numbers (files are read in parallel, unordered).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

import pandas as pd

from clv.data.clean import RULES, CleaningReport, _end_bound
from clv.data.mapping import detect_mapping
from clv.data.transactions import OPTIONAL_COLUMNS
from clv.errors import DataValidationError

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

NULL_WORDS: tuple[str, ...] = ("", "nan", "none", "null", "na", "n/a", "<na>", "nat")
NUMERIC_TYPES: tuple[str, ...] = ("tinyint", "smallint", "int", "bigint", "float", "double", "decimal")
INTEGER_TYPES: tuple[str, ...] = ("tinyint", "smallint", "int", "bigint")
_TABLE_NAME = re.compile(r"^[A-Za-z_][\w]*(\.[A-Za-z_][\w]*){0,2}$")
_FORMATS = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".gz": "csv",
}
ROW_NUMBERING = "no example rows: Spark reads the source in parallel, without row numbers"


def read_source(spark: SparkSession, source: str | DataFrame, file_format: str | None = None) -> DataFrame:
    """``source`` as a Spark DataFrame: itself, a catalog table, or the file(s) at a path or URL.

    The format is ``file_format`` ("parquet", "csv", or any format Spark knows, e.g. "delta", "orc"), else taken
    from the extension; a path without one is read as Parquet. CSV is read with a header, every column as text
    (so ids such as ``0001`` keep their zeros), comma-separated unless the file ends in ``.tsv``.
    """
    from pyspark.sql import DataFrame

    if isinstance(source, DataFrame):
        return source
    if file_format is None and _TABLE_NAME.match(source) and spark.catalog.tableExists(source):
        return spark.table(source)
    kind = file_format or _format_of(source)
    reader = spark.read.format(kind)
    if kind == "csv":
        reader = reader.option("header", "true").option("inferSchema", "false")
        reader = reader.option("sep", "\t" if source.lower().endswith(".tsv") else ",")
    try:
        return reader.load(source)
    except (
        Exception
    ) as error:  # Spark raises AnalysisException (or a Py4J error) for a missing path or bad file
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataValidationError(f"Spark could not read {source} as {kind}: {first_line}") from error


def _format_of(path: str) -> str:
    name = path.rstrip("/").lower()
    for suffix, kind in _FORMATS.items():
        if name.endswith(suffix):
            return kind
    return "parquet"


def canonical_log(
    frame: DataFrame,
    mapping: Mapping[str, str] | None = None,
    *,
    source_name: str = "the Spark source",
    cancellation_prefix: str = "C",
    dayfirst: bool = False,
    observation_end: object = None,
    drop_duplicates: bool | None = None,
    drop_zero_amounts: bool = True,
) -> tuple[DataFrame, CleaningReport]:
    """The cleaned log with canonical columns (customer_id string, timestamp timestamp_ntz in UTC, amount double, and
    invoice_id, product_id, quantity, country when mapped), and the report of what each rule dropped. The log is
    persisted (memory, then disk): call ``unpersist()`` when done with it.

    The options mean what they mean in :func:`clv.data.load_transactions`. Raises
    :class:`~clv.errors.DataValidationError` when a column cannot be found or every row is dropped.
    """
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    used = detect_mapping(frame.columns, mapping)
    if drop_duplicates is None:
        drop_duplicates = "invoice_id" in used
    types = dict(frame.dtypes)
    session_zone = frame.sparkSession.conf.get("spark.sql.session.timeZone") or "UTC"

    def column(field: str) -> Column:
        return F.col(_quoted(used[field]))

    typed: dict[str, Column] = {
        "customer_id": _identifier(column("customer_id"), types[used["customer_id"]]),
        "timestamp": _timestamp(column("timestamp"), types[used["timestamp"]], session_zone, dayfirst),
    }
    numbers: dict[str, Column] = {
        field: _number(column(field), types[used[field]])
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
            typed[field] = _identifier(column(field), types[used[field]])
        elif field == "country" and field in used:
            typed[field] = _text(column(field).cast("string"))
    rule = _rule(
        typed,
        numbers,
        prefix=cancellation_prefix if "invoice_id" in used else "",
        end_exclusive=_end_bound(observation_end),
        drop_zero_amounts=drop_zero_amounts,
    )
    raw_columns = [F.col(_quoted(name)).alias(f"_raw_{i}") for i, name in enumerate(frame.columns)]
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
    )
    if report.rows_kept == 0:
        log.unpersist()
        reasons = "; ".join(f"{count:,} {RULES[name]}" for name, count in dropped.items() if count)
        raise DataValidationError(
            f"all {rows_in:,} rows of {source_name} were dropped: {reasons or 'the source is empty'}. Check the "
            f"column mapping ({', '.join(f'{k} <- {v!r}' for k, v in used.items())}) and the column types"
        )
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


def _base_type(spark_type: str) -> str:
    return spark_type.split("(")[0].strip().lower()


def _text(value: Column) -> Column:
    """Trimmed text; the words that mean "missing" ("", "nan", "NULL", "N/A" ...) become null."""
    from pyspark.sql import functions as F

    trimmed = F.trim(value)
    return F.when(F.lower(trimmed).isin(*NULL_WORDS), F.lit(None).cast("string")).otherwise(trimmed)


def _identifier(value: Column, spark_type: str) -> Column:
    """An identifier as text: whole numbers without a decimal part ('12345.0' -> '12345')."""
    from pyspark.sql import functions as F

    kind = _base_type(spark_type)
    if kind in INTEGER_TYPES:
        return value.cast("string")
    if kind in NUMERIC_TYPES:
        number = value.cast("double")
        return (
            F.when(F.isnan(number) | (F.abs(number) == float("inf")), F.lit(None).cast("string"))
            .when(number == F.floor(number), value.cast("decimal(38,0)").cast("string"))
            .otherwise(value.cast("string"))
        )
    return F.regexp_replace(_text(value.cast("string")), r"^(\d+)\.0+$", "$1")


def _number(value: Column, spark_type: str) -> Column:
    """A double from a numeric column, or from text holding a plain number (else null)."""
    if _base_type(spark_type) in NUMERIC_TYPES:
        return value.cast("double")
    return _text(value.cast("string")).try_cast("double")


def _timestamp(value: Column, spark_type: str, session_zone: str, dayfirst: bool) -> Column:
    """A timestamp_ntz holding the UTC wall-clock time (null when the value cannot be read)."""
    from pyspark.sql import functions as F

    kind = _base_type(spark_type)

    def to_utc(instant: Column) -> Column:
        return F.convert_timezone(F.lit(session_zone), F.lit("UTC"), instant.cast("timestamp_ntz"))

    if kind == "timestamp":
        return to_utc(value)
    if kind in ("timestamp_ntz", "date"):
        return value.cast("timestamp_ntz")
    text = F.trim(value.cast("string"))
    digits = F.regexp_extract(text, r"^(\d{8})(\.0+)?$", 1)
    first, second = ("dd", "MM") if dayfirst else ("MM", "dd")
    slash = [f"{first[0]}/{second[0]}/yyyy{clock}" for clock in (" H:mm:ss", " H:mm", "")]
    return (
        F.when(digits != "", F.try_to_timestamp(digits, F.lit("yyyyMMdd")).cast("timestamp_ntz"))
        .when(text.rlike(r"(Z|[+-]\d{2}:?\d{2})$"), to_utc(text.try_cast("timestamp")))
        .when(text.rlike(r"^\d{4}-\d{2}-\d{2}"), text.try_cast("timestamp_ntz"))
        .otherwise(
            F.coalesce(*[F.try_to_timestamp(text, F.lit(pattern)).cast("timestamp_ntz") for pattern in slash])
        )
    )


def _quoted(name: str) -> str:
    """A column name Spark reads literally (dots and spaces included)."""
    return "`" + name.replace("`", "``") + "`"
