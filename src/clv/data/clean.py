"""Cleaning rules, applied in DuckDB SQL, and the report that counts what each rule removed.

Each dropped row is counted under the first rule it breaks, in this order:

1. ``missing_customer_id``: no customer id (blank, "nan", "None", "NULL", "N/A");
2. ``unparseable_date``: the date cannot be read;
3. ``non_finite_number``: the amount, quantity or unit price is infinite or NaN;
4. ``cancellation``: the invoice number starts with the cancellation prefix ("C" by default);
5. ``return``: a negative quantity or amount (returns and refunds are not purchases);
6. ``zero_or_missing_amount``: the amount is missing, or zero (zero kept with ``drop_zero_amounts=False``: the
   BTYD literature counts CDNOW's $0 orders as purchases);
7. ``after_observation_end``: the purchase is after the observation end (only when one is given);
8. ``duplicate``: an exact copy of an earlier row, when the source has an invoice / order id. Without one, two
   identical rows are two genuine orders (CDNOW has such same-day repeat orders), so they are kept unless
   ``drop_duplicates=True`` is asked for.

Amount texts such as ``"€1,234.50"``, ``"$ 1,234.50"``, ``"1.234,50"`` and ``"(12.00)"`` parse; dates may be ISO,
YYYYMMDD numbers, or ``12/1/2010 8:26`` style (month first unless the data or the caller says day first); dates with a
time zone are converted to UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import pandas as pd

from clv.data.io import ROW, RawTable, sql_string
from clv.data.transactions import Transactions
from clv.errors import DataValidationError

RULES: dict[str, str] = {
    "missing_customer_id": "no customer id",
    "unparseable_date": "date could not be read",
    "non_finite_number": "amount, quantity or price is infinite or not a number",
    "cancellation": "cancellation invoice",
    "return": "return or refund (negative quantity or amount)",
    "zero_or_missing_amount": "amount is zero or missing",
    "after_observation_end": "after the observation end",
    "duplicate": "exact duplicate of an earlier row",
}
MAX_EXAMPLES = 5
_NULL_WORDS = "('', 'nan', 'none', 'null', 'na', 'n/a', '<na>', 'nat')"
_NUMERIC_TYPES = (
    "TINYINT",
    "SMALLINT",
    "INTEGER",
    "BIGINT",
    "HUGEINT",
    "FLOAT",
    "DOUBLE",
    "DECIMAL",
    "UBIGINT",
)
_SLASH_DATE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2,4})")


@dataclass
class CleaningReport:
    """What cleaning kept and dropped. Row numbers are as a person sees them in the file (see ``row_numbering``)."""

    source_name: str
    rows_in: int
    rows_kept: int
    dropped: dict[str, int]
    examples: dict[str, list[int]]
    mapping: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    row_numbering: str = "row numbers as shown in the file (in CSV and Excel the header is row 1)"

    @property
    def rows_dropped(self) -> int:
        """All rows removed by any rule."""
        return self.rows_in - self.rows_kept

    def to_frame(self) -> pd.DataFrame:
        """One row per rule: rule, description, rows dropped, share of rows in, example row numbers."""
        return pd.DataFrame(
            {
                "rule": list(RULES),
                "description": list(RULES.values()),
                "rows_dropped": [self.dropped.get(rule, 0) for rule in RULES],
                "share": [self.dropped.get(rule, 0) / max(self.rows_in, 1) for rule in RULES],
                "example_rows": [", ".join(map(str, self.examples.get(rule, []))) for rule in RULES],
            }
        )


def clean(
    raw: RawTable,
    mapping: dict[str, str],
    *,
    cancellation_prefix: str = "C",
    dayfirst: bool | None = None,
    observation_end: object = None,
    drop_duplicates: bool | None = None,
    drop_zero_amounts: bool = True,
) -> tuple[Transactions, CleaningReport]:
    """Apply every rule to ``raw`` under ``mapping`` and return the cleaned log with its report."""
    if drop_duplicates is None:
        drop_duplicates = "invoice_id" in mapping
    connection = raw.connection
    warnings = list(raw.warnings)
    if dayfirst is None:
        dayfirst = _detect_dayfirst(raw, mapping["timestamp"], warnings)
    end = _end_bound(observation_end)
    parsed = f"{raw.view}_parsed"
    connection.execute(
        f"CREATE TEMP TABLE {parsed} AS "
        + _parse_sql(
            raw,
            mapping,
            dayfirst=dayfirst,
            prefix=cancellation_prefix,
            end_exclusive=end,
            drop_duplicates=drop_duplicates,
            drop_zero_amounts=drop_zero_amounts,
        )
    )
    try:
        optional = [c for c in ("invoice_id", "product_id", "quantity", "country") if c in mapping]
        columns = ("customer_id", "timestamp", "amount", *optional)
        table = f"transactions_{raw.view}"
        select = ", ".join(f'"{c}"' for c in columns)
        connection.execute(
            f"CREATE TABLE {table} AS SELECT {select} FROM {parsed} "
            f'WHERE rule IS NULL AND NOT duplicate ORDER BY customer_id, "timestamp"'
        )
        report = _report(raw, parsed, mapping, warnings)
    finally:
        connection.execute(f"DROP TABLE IF EXISTS {parsed}")
    if report.rows_kept == 0:
        connection.execute(f"DROP TABLE IF EXISTS {table}")
        raise DataValidationError(_all_dropped_message(report))
    _add_quality_warnings(report)
    return Transactions(
        connection=connection, table=table, columns=columns, source_name=raw.source_name
    ), report


def _end_bound(observation_end: object) -> pd.Timestamp | None:
    """Start of the day after ``observation_end``: purchases at or after it are out of the window."""
    if observation_end is None:
        return None
    try:
        stamp = pd.Timestamp(observation_end)  # type: ignore[arg-type]
    except (TypeError, ValueError) as error:
        raise DataValidationError(
            f"observation_end {observation_end!r} is not a date: use YYYY-MM-DD"
        ) from error
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp.normalize() + pd.Timedelta(days=1)


def _parse_sql(
    raw: RawTable,
    mapping: dict[str, str],
    *,
    dayfirst: bool,
    prefix: str,
    end_exclusive: pd.Timestamp | None,
    drop_duplicates: bool,
    drop_zero_amounts: bool,
) -> str:
    customer = _id_expr(raw, mapping["customer_id"])
    timestamp = _timestamp_expr(raw, mapping["timestamp"], dayfirst)
    quantity = _number_expr(raw, mapping["quantity"]) if "quantity" in mapping else None
    if "amount" in mapping:
        amount = _number_expr(raw, mapping["amount"])
        price = None
    else:
        price = _number_expr(raw, mapping["unit_price"])
        amount = f"({quantity}) * ({price})"
    invoice = _id_expr(raw, mapping["invoice_id"]) if "invoice_id" in mapping else "NULL::VARCHAR"
    product = _id_expr(raw, mapping["product_id"]) if "product_id" in mapping else "NULL::VARCHAR"
    country = _text_expr(raw, mapping["country"]) if "country" in mapping else "NULL::VARCHAR"
    present = {"amount": amount, "quantity": quantity, "price": price}
    non_finite = " OR ".join(f"NOT isfinite({name})" for name, expression in present.items() if expression)
    negative = "amount < 0" + (" OR quantity < 0" if quantity else "")
    cancellation = (
        f"starts_with(upper(invoice_id), {sql_string(prefix.upper())})"
        if prefix and "invoice_id" in mapping
        else "false"
    )
    after_end = f"\"timestamp\" >= TIMESTAMP '{end_exclusive}'" if end_exclusive is not None else "false"
    raw_columns = ", ".join(_quote(c) for c in raw.columns)
    duplicate = (
        """rule IS NULL AND row_number() OVER (
               PARTITION BY rule IS NULL, row_hash, customer_id, "timestamp", amount ORDER BY row_number
           ) > 1"""
        if drop_duplicates
        else "false"
    )
    return f"""
        WITH typed AS (
            SELECT {ROW} AS row_number,
                   {customer} AS customer_id,
                   {timestamp} AS "timestamp",
                   {amount} AS amount,
                   {quantity or "NULL::DOUBLE"} AS quantity,
                   {price or "NULL::DOUBLE"} AS price,
                   {invoice} AS invoice_id,
                   {product} AS product_id,
                   {country} AS country,
                   hash({raw_columns}) AS row_hash
            FROM {raw.view}
        ),
        ruled AS (
            SELECT *,
                   CASE
                       WHEN customer_id IS NULL THEN 'missing_customer_id'
                       WHEN "timestamp" IS NULL THEN 'unparseable_date'
                       WHEN {non_finite} THEN 'non_finite_number'
                       WHEN {cancellation} THEN 'cancellation'
                       WHEN {negative} THEN 'return'
                       WHEN amount IS NULL {"OR amount = 0" if drop_zero_amounts else ""} THEN 'zero_or_missing_amount'
                       WHEN {after_end} THEN 'after_observation_end'
                   END AS rule
            FROM typed
        )
        SELECT * EXCLUDE (price, row_hash), {duplicate} AS duplicate
        FROM ruled
    """


def _report(raw: RawTable, parsed: str, mapping: dict[str, str], warnings: list[str]) -> CleaningReport:
    rows = raw.connection.execute(
        f"""
        SELECT coalesce(rule, CASE WHEN duplicate THEN 'duplicate' END) AS dropped_by,
               count(*) AS n,
               min(row_number, {MAX_EXAMPLES}) AS examples
        FROM {parsed}
        GROUP BY ALL
        """
    ).fetchall()
    dropped = {rule: 0 for rule in RULES}
    examples: dict[str, list[int]] = {rule: [] for rule in RULES}
    rows_in = 0
    for rule, count, example_rows in rows:
        rows_in += int(count)
        if rule is not None:
            dropped[rule] = int(count)
            examples[rule] = sorted(int(r) for r in example_rows)
    return CleaningReport(
        source_name=raw.source_name,
        rows_in=rows_in,
        rows_kept=rows_in - sum(dropped.values()),
        dropped=dropped,
        examples=examples,
        mapping=dict(mapping),
        warnings=warnings,
    )


def _all_dropped_message(report: CleaningReport) -> str:
    reasons = [f"{count:,} {RULES[rule]}" for rule, count in report.dropped.items() if count]
    first = max(report.dropped, key=lambda rule: report.dropped[rule])
    columns = {
        "missing_customer_id": report.mapping.get("customer_id"),
        "unparseable_date": report.mapping.get("timestamp"),
    }
    hint = (
        f" (column {columns[first]!r}, e.g. rows {', '.join(map(str, report.examples[first]))})"
        if columns.get(first)
        else f" (e.g. rows {', '.join(map(str, report.examples[first]))})"
    )
    return (
        f"all {report.rows_in:,} rows of {report.source_name} were dropped: {'; '.join(reasons)}{hint}. "
        "Check the column mapping and the file's contents"
    )


def _add_quality_warnings(report: CleaningReport) -> None:
    for rule, count in report.dropped.items():
        share = count / max(report.rows_in, 1)
        if share >= 0.2:
            report.warnings.append(f"{share:.0%} of rows were dropped as '{RULES[rule]}' ({count:,} rows)")


def _detect_dayfirst(raw: RawTable, column: str, warnings: list[str]) -> bool:
    """Day-first when a sampled slash date has a first part above 12; month-first otherwise (warn if ambiguous)."""
    if not _is_text(raw, column):
        return False
    sample = raw.connection.execute(
        f"SELECT {_quote(column)} FROM {raw.view} WHERE {_quote(column)} IS NOT NULL LIMIT 5000"
    ).fetchall()
    firsts, seconds = [], []
    for (value,) in sample:
        match = _SLASH_DATE.match(str(value))
        if match:
            firsts.append(int(match.group(1)))
            seconds.append(int(match.group(2)))
    if not firsts:
        return False
    if max(firsts) > 12 >= max(seconds):
        return True
    if max(seconds) <= 12:
        warnings.append(
            f"dates in column {column!r} such as {sample[0][0]!r} could be month-first or day-first; they were "
            "read month-first (pass dayfirst=True if the day comes first)"
        )
    return False


def _is_text(raw: RawTable, column: str) -> bool:
    return raw.types.get(column, "VARCHAR").upper() == "VARCHAR"


def _is_numeric(raw: RawTable, column: str) -> bool:
    return raw.types.get(column, "").upper().startswith(_NUMERIC_TYPES)


def _text_expr(raw: RawTable, column: str) -> str:
    value = f"trim(CAST({_quote(column)} AS VARCHAR))"
    return f"CASE WHEN lower({value}) IN {_NULL_WORDS} THEN NULL ELSE {value} END"


def _id_expr(raw: RawTable, column: str) -> str:
    """Identifier as text; '12345.0' (ids exported from float columns) becomes '12345'."""
    quoted = _quote(column)
    if _is_numeric(raw, column):
        return (
            f"CASE WHEN NOT isfinite(CAST({quoted} AS DOUBLE)) THEN NULL "
            f"WHEN CAST({quoted} AS DOUBLE) = floor(CAST({quoted} AS DOUBLE)) "
            f"THEN CAST(CAST({quoted} AS HUGEINT) AS VARCHAR) ELSE CAST({quoted} AS VARCHAR) END"
        )
    return f"regexp_replace({_text_expr(raw, column)}, '^(\\d+)\\.0+$', '\\1')"


def _number_expr(raw: RawTable, column: str) -> str:
    """A DOUBLE from a numeric column, or from text with currency symbols and thousands separators."""
    quoted = _quote(column)
    if _is_numeric(raw, column):
        return f"CAST({quoted} AS DOUBLE)"
    text = f"trim(CAST({quoted} AS VARCHAR))"
    digits = f"regexp_replace({text}, '[^0-9.,]', '', 'g')"
    negative = f"(starts_with({text}, '-') OR ends_with({text}, '-') OR starts_with({text}, '('))"
    decimal = f"""CASE
        WHEN contains({digits}, '.') AND contains({digits}, ',') THEN
            CASE WHEN strpos({digits}, ',') > strpos({digits}, '.')
                      AND NOT contains(substr({digits}, strpos({digits}, ',')), '.')
                 THEN replace(replace({digits}, '.', ''), ',', '.')
                 ELSE replace({digits}, ',', '') END
        WHEN contains({digits}, ',') THEN
            CASE WHEN regexp_full_match({digits}, '\\d{{1,3}}(,\\d{{3}})+') THEN replace({digits}, ',', '')
                 ELSE replace({digits}, ',', '.') END
        WHEN regexp_full_match({digits}, '\\d{{1,3}}(\\.\\d{{3}}){{2,}}') THEN replace({digits}, '.', '')
        ELSE {digits} END"""
    fallback = f"CASE WHEN {negative} THEN -1.0 ELSE 1.0 END * TRY_CAST({decimal} AS DOUBLE)"
    return f"CASE WHEN lower({text}) IN {_NULL_WORDS} THEN NULL ELSE coalesce(TRY_CAST({text} AS DOUBLE), {fallback}) END"


def _timestamp_expr(raw: RawTable, column: str, dayfirst: bool) -> str:
    """A UTC TIMESTAMP from a date/time column of any type, or from text in the formats the module lists.

    For text, the format that reads a sample of the column is tried first (one ``strptime`` per row); rows it does
    not read fall back to the general rules.
    """
    quoted = _quote(column)
    kind = raw.types.get(column, "VARCHAR").upper()
    if kind.startswith("TIMESTAMP WITH TIME ZONE"):
        return f"timezone('UTC', {quoted})"
    if kind.startswith(("TIMESTAMP", "DATE")):
        return f"CAST({quoted} AS TIMESTAMP)"
    text = f"trim(CAST({quoted} AS VARCHAR))"
    formats = _slash_formats(dayfirst)
    general = f"""CASE
        WHEN regexp_full_match({text}, '\\d{{8}}(\\.0+)?') THEN try_strptime(left({text}, 8), '%Y%m%d')
        WHEN regexp_matches({text}, '^\\d{{4}}-\\d{{2}}-\\d{{2}}') THEN
            CASE WHEN regexp_matches({text}, '(Z|[+-]\\d{{2}}:?\\d{{2}})$')
                 THEN timezone('UTC', TRY_CAST({text} AS TIMESTAMPTZ))
                 ELSE TRY_CAST({text} AS TIMESTAMP) END
        ELSE try_strptime({text}, [{", ".join(sql_string(f) for f in formats)}]) END"""
    usual = _usual_format(raw, column, formats)
    if usual is None:
        return general
    return f"coalesce(try_strptime({text}, {sql_string(usual)}), {general})"


def _slash_formats(dayfirst: bool) -> list[str]:
    first, second = ("%d", "%m") if dayfirst else ("%m", "%d")
    return [
        f"{first}{sep}{second}{sep}{year}{clock}"
        for sep in ("/", "-", ".")
        for year in ("%Y", "%y")
        for clock in (" %H:%M:%S", " %H:%M", "")
    ]


def _usual_format(raw: RawTable, column: str, slash_formats: list[str]) -> str | None:
    """The first candidate format that reads every non-empty value of a 2,000-row sample of ``column``."""
    candidates = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y%m%d", *slash_formats]
    quoted = _quote(column)
    checks = ", ".join(f"count(try_strptime(v, {sql_string(f)})) AS c{i}" for i, f in enumerate(candidates))
    row = raw.connection.execute(
        f"SELECT count(v), {checks} FROM (SELECT trim(CAST({quoted} AS VARCHAR)) AS v FROM {raw.view} "
        f"WHERE {quoted} IS NOT NULL LIMIT 2000)"
    ).fetchall()[0]
    if row is None or row[0] == 0:
        return None
    return next((f for f, count in zip(candidates, row[1:], strict=True) if count == row[0]), None)


def _quote(column: str) -> str:
    return '"' + column.replace('"', '""') + '"'
