"""Cleaning rules, applied in DuckDB SQL, and the report that counts what each rule removed.

Each dropped row is counted under the first rule it breaks, in this order:

1. ``missing_customer_id``: no customer id (blank, "nan", "None", "NULL", "N/A");
2. ``unparseable_date``: the date cannot be read;
3. ``non_finite_number``: the amount, quantity or unit price is infinite, NaN, or beyond +-1e15 (no order is worth
   that much; money is summed as decimals of 38 digits, 9 after the point);
4. ``cancellation``: the invoice number starts with the cancellation prefix ("C" by default);
5. ``return``: a negative quantity or amount (returns and refunds are not purchases);
6. ``zero_or_missing_amount``: the amount is missing, or zero to 9 decimals (an amount such as 1e-300 rounds to 0
   where money is summed; zero kept with ``drop_zero_amounts=False``: the BTYD literature counts CDNOW's $0 orders
   as purchases);
7. ``after_observation_end``: the purchase is after the observation end (only when one is given);
8. ``duplicate``: an exact copy of an earlier row, when the source has an invoice / order id. Without one, two
   identical rows are two genuine orders (CDNOW has such same-day repeat orders), so they are kept unless
   ``drop_duplicates=True`` is asked for.

Amount texts such as ``"€1,234.50"``, ``"$ 1,234.50"``, ``"1.234,50"`` and ``"(12.00)"`` parse; dates may be ISO,
YYYYMMDD numbers, or ``12/1/2010 8:26`` style (month first unless the data or the caller says day first); dates with a
time zone are converted to UTC.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from clv.data.io import RawTable, sql_string
from clv.data.parse import detect_dayfirst, id_expr, number_expr, quote, text_expr, timestamp_expr
from clv.data.transactions import Transactions
from clv.errors import DataValidationError

RULES: dict[str, str] = {
    "missing_customer_id": "no customer id",
    "unparseable_date": "date could not be read",
    "non_finite_number": "amount, quantity or price is infinite, not a number or beyond +-1e15",
    "cancellation": "cancellation invoice",
    "return": "return or refund (negative quantity or amount)",
    "zero_or_missing_amount": "amount is zero or missing",
    "after_observation_end": "after the observation end",
    "duplicate": "exact duplicate of an earlier row",
}
MAX_EXAMPLES = 5
LARGEST_NUMBER = 1e15
"""Amounts, quantities and prices beyond this (in absolute value) are not purchases: summed as DECIMAL(38, 9), ten
million of them still fit."""
SMALLEST_AMOUNT = 5e-10
"""Amounts smaller than this (in absolute value) are 0 to 9 decimals, the precision money is summed at."""


@dataclass
class CleaningReport:
    """What cleaning kept and dropped. Row numbers are as a person sees them in the file (see ``row_numbering``);
    ``columns`` are the source's columns in file order (what a mapping may name)."""

    source_name: str
    rows_in: int
    rows_kept: int
    dropped: dict[str, int]
    examples: dict[str, list[int]]
    mapping: dict[str, str]
    warnings: list[str] = field(default_factory=list)
    row_numbering: str = "row numbers as shown in the file (in CSV and Excel the header is row 1)"
    columns: list[str] = field(default_factory=list)

    @property
    def rows_dropped(self) -> int:
        """All rows removed by any rule."""
        return self.rows_in - self.rows_kept

    def summary_line(self) -> str:
        """What cleaning did, in one line: rows read and kept, and each rule that dropped rows with its count and
        first row numbers; e.g. ``orders.csv: 56 of 60 rows kept; dropped 4: date could not be read: 4 (rows 3, 9,
        12, 40)``."""
        line = f"{self.source_name}: {self.rows_kept:,} of {self.rows_in:,} rows kept"
        causes = []
        for rule, count in self.dropped.items():
            rows = self.examples.get(rule, [])
            shown = ", ".join(map(str, rows)) + (", ..." if count > len(rows) else "")
            causes += [f"{RULES[rule]}: {count:,}" + (f" (rows {shown})" if rows else "")] if count else []
        return line + (f"; dropped {self.rows_dropped:,}: " + "; ".join(causes) if causes else "")

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
    """Apply every rule to ``raw`` under ``mapping`` and return the cleaned log with its report.

    One pass over the source writes every row, typed, with the first rule it breaks (and, when duplicates are
    dropped, a hash of its raw cells) into the log's table, in file order, so a row's position is its row number.
    The report is counted from that table, duplicates are found among the kept rows by their hash, and the dropped
    rows are then deleted: the source is read once and no row is copied twice.
    """
    if drop_duplicates is None:
        drop_duplicates = "invoice_id" in mapping
    connection = raw.connection
    warnings = list(raw.warnings)
    if dayfirst is None:
        dayfirst = detect_dayfirst(raw, mapping["timestamp"], warnings)
    end = _end_bound(observation_end)
    optional = [c for c in ("invoice_id", "product_id", "quantity", "country") if c in mapping]
    columns = ("customer_id", "timestamp", "amount", *optional)
    table = f"transactions_{raw.view}"
    duplicates = f"{table}_duplicates"
    sql = _lines_sql(
        raw,
        mapping,
        columns,
        dayfirst=dayfirst,
        prefix=cancellation_prefix,
        end_exclusive=end,
        keyed=drop_duplicates,
        drop_zero_amounts=drop_zero_amounts,
    )
    _create(raw, table, sql)
    try:
        if drop_duplicates:
            _find_duplicates(connection, table, duplicates)
        report = _report(raw, table, duplicates if drop_duplicates else None, mapping, warnings)
        _add_data_warnings(connection, table, report)
        if report.rows_kept == 0:
            raise DataValidationError(_all_dropped_message(report))
        _keep_purchases(connection, table, duplicates if drop_duplicates else None)
    except BaseException:
        connection.execute(f"DROP TABLE IF EXISTS {table}")
        raise
    finally:
        connection.execute(f"DROP TABLE IF EXISTS {duplicates}")
    _add_quality_warnings(report)
    return Transactions(
        connection=connection, table=table, columns=columns, source_name=raw.source_name
    ), report


def _create(raw: RawTable, table: str, sql: str) -> None:
    """Table ``table`` of ``sql``: the one pass over the source (where a bad row of a CSV is met, said in words by
    :func:`clv.data.io.open_source`)."""
    with _insertion_order_kept(raw.connection):
        raw.connection.execute(f"CREATE TABLE {table} AS {sql}")


@contextlib.contextmanager
def _insertion_order_kept(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Row positions in the log's table are row numbers: make sure DuckDB writes the rows in file order."""
    row = connection.execute("SELECT current_setting('preserve_insertion_order')").fetchall()[0]
    if row[0]:
        yield
        return
    connection.execute("SET preserve_insertion_order = true")
    try:
        yield
    finally:
        connection.execute("SET preserve_insertion_order = false")


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


def _lines_sql(
    raw: RawTable,
    mapping: dict[str, str],
    columns: tuple[str, ...],
    *,
    dayfirst: bool,
    prefix: str,
    end_exclusive: pd.Timestamp | None,
    keyed: bool,
    drop_zero_amounts: bool,
) -> str:
    """Every raw row, typed, with ``rule`` (the code of the first rule it breaks, NULL when kept) and, when
    ``keyed``, ``row_key`` (a hash of all its raw cells, to find exact duplicates)."""
    quantity = number_expr(raw, mapping["quantity"]) if "quantity" in mapping else None
    amount = number_expr(raw, mapping["amount"]) if "amount" in mapping else None
    price = None if amount else number_expr(raw, mapping["unit_price"])
    typed = {
        "customer_id": id_expr(raw, mapping["customer_id"]),
        "timestamp": timestamp_expr(raw, mapping["timestamp"], dayfirst),
        "amount": amount,
        "quantity": quantity,
        "price": price,
        "invoice_id": id_expr(raw, mapping["invoice_id"]) if "invoice_id" in mapping else None,
        "product_id": id_expr(raw, mapping["product_id"]) if "product_id" in mapping else None,
        "country": text_expr(raw, mapping["country"]) if "country" in mapping else None,
    }
    present = {name: expression for name, expression in typed.items() if expression is not None}
    non_finite = " OR ".join(
        f"NOT isfinite({name}) OR abs({name}) > {LARGEST_NUMBER}"
        for name in ("amount", "quantity", "price")
        if name == "amount" or typed[name]
    )
    negative = "amount < 0" + (" OR quantity < 0" if quantity else "")
    cancellation = (
        f"upper(left(invoice_id, {len(prefix)})) = {sql_string(prefix.upper())}"
        if prefix and "invoice_id" in mapping
        else "false"
    )
    after_end = f"\"timestamp\" >= TIMESTAMP '{end_exclusive}'" if end_exclusive is not None else "false"
    codes = {rule: index for index, rule in enumerate(RULES)}
    key = f", hash({', '.join(quote(c) for c in raw.columns)}) AS row_key" if keyed else ""
    selected = ", ".join(f'"{c}"' for c in columns)
    return f"""
        SELECT {selected},
               CAST(CASE
                   WHEN customer_id IS NULL THEN {codes["missing_customer_id"]}
                   WHEN "timestamp" IS NULL THEN {codes["unparseable_date"]}
                   WHEN {non_finite} THEN {codes["non_finite_number"]}
                   WHEN {cancellation} THEN {codes["cancellation"]}
                   WHEN {negative} THEN {codes["return"]}
                   WHEN amount IS NULL {f"OR abs(amount) < {SMALLEST_AMOUNT}" if drop_zero_amounts else ""} THEN {codes["zero_or_missing_amount"]}
                   WHEN {after_end} THEN {codes["after_observation_end"]}
               END AS UTINYINT) AS rule{", row_key" if keyed else ""}
        FROM (
            SELECT *{"" if amount else ", quantity * price AS amount"}
            FROM (SELECT {", ".join(f'{expression} AS "{name}"' for name, expression in present.items())}{key}
                  FROM {raw.view})
        )
    """


def _find_duplicates(connection: duckdb.DuckDBPyConnection, table: str, duplicates: str) -> None:
    """Table ``duplicates`` of the positions of kept rows that repeat an earlier kept row exactly.

    Kept rows are sorted by the hash of their raw cells (a sort is cheaper than a hash table with one entry per
    row); rows next to an equal hash are the candidates. Among those, a row is a duplicate when an earlier row has
    the same hash, customer, time and amount (so a hash collision cannot remove a genuine purchase).
    """
    connection.execute(
        f"""
        CREATE TEMP TABLE {duplicates} AS
        WITH neighbours AS (
            SELECT rowid AS position, row_key,
                   lag(row_key) OVER by_key AS before, lead(row_key) OVER by_key AS after
            FROM {table} WHERE rule IS NULL
            WINDOW by_key AS (ORDER BY row_key)
        ),
        candidates AS (SELECT position FROM neighbours WHERE row_key = before OR row_key = after),
        copies AS (
            SELECT rowid AS position, row_key, customer_id, "timestamp", amount
            FROM {table} WHERE rowid IN (SELECT position FROM candidates)
        )
        SELECT position FROM (
            SELECT position, row_number() OVER (
                PARTITION BY row_key, customer_id, "timestamp", amount ORDER BY position
            ) AS copy
            FROM copies
        )
        WHERE copy > 1
        """
    )


def _report(
    raw: RawTable, table: str, duplicates: str | None, mapping: dict[str, str], warnings: list[str]
) -> CleaningReport:
    duplicate_code = list(RULES).index("duplicate")
    duplicate_rows = (
        f"UNION ALL SELECT {duplicate_code}, count(*), min(position, {MAX_EXAMPLES}) FROM {duplicates}"
        if duplicates
        else ""
    )
    rows = raw.connection.execute(
        f"""
        SELECT rule, count(*) AS n, min(rowid, {MAX_EXAMPLES}) AS examples
        FROM {table} WHERE rule IS NOT NULL GROUP BY rule
        {duplicate_rows}
        """
    ).fetchall()
    rows_in = int(raw.connection.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])
    names = list(RULES)
    dropped = {rule: 0 for rule in RULES}
    examples: dict[str, list[int]] = {rule: [] for rule in RULES}
    for code, count, positions in rows:
        if count:
            dropped[names[code]] = int(count)
            examples[names[code]] = sorted(int(p) + raw.first_row for p in positions)
    return CleaningReport(
        source_name=raw.source_name,
        rows_in=rows_in,
        rows_kept=rows_in - sum(dropped.values()),
        dropped=dropped,
        examples=examples,
        mapping=dict(mapping),
        warnings=warnings,
        columns=list(raw.columns),
    )


def _keep_purchases(connection: duckdb.DuckDBPyConnection, table: str, duplicates: str | None) -> None:
    """Delete the dropped rows and the helper columns: the table becomes the cleaned log."""
    connection.execute(f"DELETE FROM {table} WHERE rule IS NOT NULL")
    if duplicates:
        connection.execute(f"DELETE FROM {table} WHERE rowid IN (SELECT position FROM {duplicates})")
        connection.execute(f"ALTER TABLE {table} DROP COLUMN row_key")
    connection.execute(f"ALTER TABLE {table} DROP COLUMN rule")


def _all_dropped_message(report: CleaningReport) -> str:
    reasons = [f"{count:,} {RULES[rule]}" for rule, count in report.dropped.items() if count]
    first = max(report.dropped, key=lambda rule: report.dropped[rule])
    columns = {
        "missing_customer_id": report.mapping.get("customer_id"),
        "unparseable_date": report.mapping.get("timestamp"),
        "non_finite_number": report.mapping.get("amount"),
        "zero_or_missing_amount": report.mapping.get("amount"),
    }
    hint = (
        f" (column {columns[first]!r}, e.g. rows {', '.join(map(str, report.examples[first]))})"
        if columns.get(first)
        else f" (e.g. rows {', '.join(map(str, report.examples[first]))})"
    )
    notes = "".join(f"; {warning}" for warning in report.warnings if _TINY in warning)
    return (
        f"all {report.rows_in:,} rows of {report.source_name} were dropped: {'; '.join(reasons)}{hint}{notes}. "
        "Check the column mapping and the file's contents"
    )


def _add_quality_warnings(report: CleaningReport) -> None:
    for rule, count in report.dropped.items():
        share = count / max(report.rows_in, 1)
        if share >= 0.2:
            report.warnings.append(f"{share:.0%} of rows were dropped as '{RULES[rule]}' ({count:,} rows)")


_TINY = "amounts that are not zero but round to 0"


def _add_data_warnings(connection: duckdb.DuckDBPyConnection, table: str, report: CleaningReport) -> None:
    """Warn of amounts dropped as zero that are not zero (too small to count), and of a log of one day."""
    zero = list(RULES).index("zero_or_missing_amount")
    tiny, first_day, last_day = connection.execute(
        f"""SELECT count(*) FILTER (WHERE rule = {zero} AND amount <> 0),
                   CAST(min("timestamp") FILTER (WHERE rule IS NULL) AS DATE),
                   CAST(max("timestamp") FILTER (WHERE rule IS NULL) AS DATE)
            FROM {table}"""
    ).fetchall()[0]
    if tiny:
        report.warnings.append(
            f"{tiny:,} {_TINY} at 9 decimals (smaller than {SMALLEST_AMOUNT:g}, the precision money is counted "
            "at) were dropped as zero: check the amount column and its unit"
        )
    if first_day is not None and first_day == last_day:
        report.warnings.append(
            f"every purchase in {report.source_name} is on one day ({first_day}): with one day of history no "
            "customer has a repeat purchase, so no purchase model can be fitted; give a log of several months"
        )
