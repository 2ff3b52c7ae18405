"""How each raw column is read in Spark: the rules of :mod:`clv.data.parse` as Spark column expressions.

Identifiers become text (integers without a trailing ".0", the words meaning "missing" are null); amounts are
numbers or text holding one, currency symbols, thousands separators, a decimal comma, a trailing minus and
accounting brackets included (``€1.234,50``, ``1,234.50``, ``(12.00)``); dates are typed columns, ISO text (an
offset such as ``+02:00`` or ``Z`` converted to UTC), ``YYYYMMDD`` numbers or text, or slash dates
(``12/9/2011 12:50``, ``9-12-2011``, ``9.12.2011``), month first unless the sample of the column says the day comes
first (:func:`clv.data.parse.dayfirst_of`, on the same 5,000 values DuckDB samples).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clv.data.parse import NULL_WORDS, dayfirst_of

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame

NUMERIC_TYPES: tuple[str, ...] = ("tinyint", "smallint", "int", "bigint", "float", "double", "decimal")
INTEGER_TYPES: tuple[str, ...] = ("tinyint", "smallint", "int", "bigint")
DAYFIRST_SAMPLE = 5_000


def base_type(spark_type: str) -> str:
    """``decimal(10,2)`` -> ``decimal``."""
    return spark_type.split("(")[0].strip().lower()


def detect_dayfirst(frame: DataFrame, column: str, warnings: list[str]) -> bool:
    """Whether the slash dates of text column ``column`` put the day first, judged on its first 5,000 non-null
    values as :func:`clv.data.parse.detect_dayfirst` judges them (one small Spark job; typed columns: False)."""
    if base_type(dict(frame.dtypes)[column]) != "string":
        return False
    name = quoted(column)
    rows = frame.select(name).where(f"{name} IS NOT NULL").limit(DAYFIRST_SAMPLE).collect()
    return dayfirst_of([row[0] for row in rows], column, warnings)


def text_column(value: Column) -> Column:
    """Trimmed text; the words that mean "missing" ("", "nan", "NULL", "N/A" ...) become null."""
    from pyspark.sql import functions as F

    trimmed = F.trim(value)
    return F.when(F.lower(trimmed).isin(*NULL_WORDS), F.lit(None).cast("string")).otherwise(trimmed)


def id_column(value: Column, spark_type: str) -> Column:
    """An identifier as text: whole numbers without a decimal part ('12345.0' -> '12345')."""
    from pyspark.sql import functions as F

    kind = base_type(spark_type)
    if kind in INTEGER_TYPES:
        return value.cast("string")
    if kind in NUMERIC_TYPES:
        number = value.cast("double")
        return (
            F.when(F.isnan(number) | (F.abs(number) == float("inf")), F.lit(None).cast("string"))
            .when(number == F.floor(number), value.cast("decimal(38,0)").cast("string"))
            .otherwise(value.cast("string"))
        )
    return F.regexp_replace(text_column(value.cast("string")), r"^(\d+)\.0+$", "$1")


def number_column(value: Column, spark_type: str) -> Column:
    """A double from a numeric column, or from text read as :func:`clv.data.parse.number_expr` reads it: a plain
    number as it is; otherwise its digits, with '.' and ',' told apart as decimal mark or thousands separator, and
    negative when it starts or ends with '-' or starts with '(' (else null)."""
    from pyspark.sql import functions as F

    if base_type(spark_type) in NUMERIC_TYPES:
        return value.cast("double")
    text = F.trim(value.cast("string"))
    plain = text.try_cast("double")
    digits = F.regexp_replace(text, r"[^0-9.,]", "")
    comma, dot = F.instr(digits, ","), F.instr(digits, ".")
    decimal_comma = (comma > dot) & ~F.substring_index(digits, ",", -1).contains(".")
    both = F.when(decimal_comma, F.replace(F.replace(digits, F.lit("."), F.lit("")), F.lit(","), F.lit(".")))
    decimal = (
        F.when(
            digits.contains(".") & digits.contains(","),
            both.otherwise(F.replace(digits, F.lit(","), F.lit(""))),
        )
        .when(
            digits.contains(","),
            F.when(digits.rlike(r"^\d{1,3}(,\d{3})+$"), F.replace(digits, F.lit(","), F.lit(""))).otherwise(
                F.replace(digits, F.lit(","), F.lit("."))
            ),
        )
        .when(digits.rlike(r"^\d{1,3}(\.\d{3}){2,}$"), F.replace(digits, F.lit("."), F.lit("")))
        .otherwise(digits)
    )
    negative = text.startswith("-") | text.endswith("-") | text.startswith("(")
    fallback = F.when(negative, F.lit(-1.0)).otherwise(F.lit(1.0)) * decimal.try_cast("double")
    return (
        F.when(plain.isNotNull() & ~F.isnan(plain), plain)
        .when(F.lower(text).isin(*NULL_WORDS), F.lit(None).cast("double"))
        .otherwise(F.coalesce(plain, fallback))
    )


def timestamp_column(value: Column, spark_type: str, session_zone: str, dayfirst: bool) -> Column:
    """A timestamp_ntz holding the UTC wall-clock time (null when the value cannot be read)."""
    from pyspark.sql import functions as F

    kind = base_type(spark_type)

    def to_utc(instant: Column) -> Column:
        return F.convert_timezone(F.lit(session_zone), F.lit("UTC"), instant.cast("timestamp_ntz"))

    if kind == "timestamp":
        return to_utc(value)
    if kind in ("timestamp_ntz", "date"):
        return value.cast("timestamp_ntz")
    text = F.trim(value.cast("string"))
    digits = F.regexp_extract(text, r"^(\d{8})(\.0+)?$", 1)
    iso = text.rlike(r"^\d{4}-\d{2}-\d{2}")
    return (
        F.when(digits != "", F.try_to_timestamp(digits, F.lit("yyyyMMdd")).cast("timestamp_ntz"))
        .when(iso & text.rlike(r"(Z|[+-]\d{2}:?\d{2})$"), to_utc(text.try_cast("timestamp")))
        .when(iso, text.try_cast("timestamp_ntz"))
        .otherwise(
            F.coalesce(
                *[
                    F.try_to_timestamp(text, F.lit(pattern)).cast("timestamp_ntz")
                    for pattern in _slash(dayfirst)
                ]
            )
        )
    )


def _slash(dayfirst: bool) -> list[str]:
    """The slash-date patterns of :func:`clv.data.parse._slash_formats`, in Spark's notation and order."""
    first, second = ("d", "M") if dayfirst else ("M", "d")
    return [
        f"{first}{sep}{second}{sep}{year}{clock}"
        for sep in ("/", "-", ".")
        for year in ("yyyy", "yy")
        for clock in (" H:mm:ss", " H:mm", "")
    ]


def quoted(name: str) -> str:
    """A column name Spark reads literally (dots and spaces included)."""
    return "`" + name.replace("`", "``") + "`"
