"""Customer-level input: a table that is already one row per customer (frequency, recency, T, monetary value)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from clv.config import normalise_time_unit
from clv.data.engine import connect
from clv.data.io import Source, open_source
from clv.data.mapping import normalise_name
from clv.errors import DataValidationError

SUMMARY_FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "customer_id": ("customer_id", "customerid", "customer", "client_id", "user_id", "id"),
    "frequency": ("frequency", "x", "repeat_purchases", "repeat_transactions", "frequency_cal", "n_repeat"),
    "recency": ("recency", "t_x", "recency_cal", "last_purchase_age"),
    "T": ("t", "age", "tenure", "t_cal", "customer_age"),
    "monetary_value": (
        "monetary_value",
        "zbar",
        "monetary",
        "avg_order_value",
        "average_order_value",
        "mean_spend",
        "monetary_value_cal",
    ),
}
REQUIRED_SUMMARY_FIELDS = ("frequency", "recency", "T")


def load_customer_summary(
    source: Source,
    mapping: Mapping[str, str] | None = None,
    *,
    time_unit: str = "W",
    file_name: str | None = None,
    max_bytes: int | None = None,
) -> pd.DataFrame:
    """Read and validate an already aggregated table, one row per customer.

    Columns (recognised under common names, or given by ``mapping``): frequency (repeat purchases, an integer >= 0),
    recency and T (in ``time_unit``, 0 <= recency <= T), monetary_value (mean repeat spend, > 0 where frequency > 0;
    optional), customer_id (optional; row numbers are used otherwise). Returns the summary shape of
    :func:`clv.data.summarize` with ``attrs['time_unit']``; errors name the rows at fault.
    """
    unit = normalise_time_unit(time_unit)
    connection = connect()
    with open_source(source, connection=connection, file_name=file_name, max_bytes=max_bytes) as raw:
        frame = connection.execute(f"SELECT * FROM {raw.view}").df()
        name = raw.source_name
        rows = np.arange(raw.first_row, raw.first_row + len(frame))
    used = _summary_mapping(list(frame.columns), mapping, name)
    summary = pd.DataFrame(
        {
            "customer_id": (
                frame[used["customer_id"]].astype(str).str.replace(r"\.0+$", "", regex=True)
                if "customer_id" in used
                else pd.Series(rows).astype(str)
            )
        }
    )
    for field in ("frequency", "recency", "T", "monetary_value"):
        if field in used:
            summary[field] = _numeric(frame[used[field]], used[field], rows, name)
    if "monetary_value" not in summary:
        summary["monetary_value"] = 0.0
    _validate(summary, rows, used, name)
    summary["frequency"] = summary["frequency"].astype("int64")
    summary = summary.sort_values("customer_id", kind="stable").reset_index(drop=True)
    summary.attrs["time_unit"] = unit
    summary.attrs["observation_end"] = None
    return summary


def _summary_mapping(columns: list[str], explicit: Mapping[str, str] | None, name: str) -> dict[str, str]:
    used = {field: column for field, column in (explicit or {}).items() if column}
    unknown = [column for column in used.values() if column not in columns]
    if unknown:
        raise DataValidationError(
            f"{name} has no column(s) {', '.join(map(repr, unknown))}; columns seen: {columns}"
        )
    by_name = {normalise_name(column): column for column in columns}
    for field, names in SUMMARY_FIELD_NAMES.items():
        if field not in used:
            found = next((by_name[normalise_name(n)] for n in names if normalise_name(n) in by_name), None)
            if found is not None and found not in used.values():
                used[field] = found
    missing = [field for field in REQUIRED_SUMMARY_FIELDS if field not in used]
    if missing:
        tried = "; ".join(f"{field}: {', '.join(SUMMARY_FIELD_NAMES[field])}" for field in missing)
        raise DataValidationError(
            f"{name} is missing the customer-level column(s) {', '.join(missing)}; columns seen: "
            f"{', '.join(map(repr, columns))}; names tried: {tried}"
        )
    return used


def _numeric(values: pd.Series, column: str, rows: np.ndarray, name: str) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce").astype("float64")
    bad = ~np.isfinite(numbers.to_numpy())
    if bad.any():
        raise DataValidationError(
            f"{name}, column {column!r}: {int(bad.sum()):,} value(s) are missing or not numbers (rows "
            f"{_rows(rows[bad])})"
        )
    return numbers


def _validate(summary: pd.DataFrame, rows: np.ndarray, used: Mapping[str, str], name: str) -> None:
    frequency, recency, age = summary["frequency"], summary["recency"], summary["T"]
    money = summary["monetary_value"]
    checks = [
        (frequency < 0, f"column {used['frequency']!r} (frequency) is negative"),
        (frequency != np.floor(frequency), f"column {used['frequency']!r} (frequency) is not a whole number"),
        (recency < 0, f"column {used['recency']!r} (recency) is negative"),
        (recency > age, f"recency ({used['recency']!r}) is larger than T ({used['T']!r})"),
        ((frequency == 0) & (recency != 0), "recency is not 0 for a customer without repeat purchases"),
    ]
    if "monetary_value" in used:
        checks.append(
            (
                (frequency > 0) & (money <= 0),
                f"column {used['monetary_value']!r} (monetary value) is not positive",
            )
        )
    for failed, message in checks:
        mask = failed.to_numpy()
        if mask.any():
            raise DataValidationError(
                f"{name}: {message} in {int(mask.sum()):,} row(s): rows {_rows(rows[mask])}"
            )


def _rows(rows: np.ndarray) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:5])
    return shown + (f" and {len(rows) - 5:,} more" if len(rows) > 5 else "")
