"""Subscription (contract) files: which columns hold the customer, the start and end dates, the cohort and the price,
whether a table is a subscriptions table at all, and reading one into the canonical contracts table.

Column names are compared as in :mod:`clv.data.mapping` (lower case, no spaces, underscores, dashes or dots). A table
is recognised as subscriptions only when it has a customer column, a start column *and* an end/cancel column among
``CONTRACT_FIELD_NAMES`` and no transaction date column (``FIELD_NAMES['timestamp']``): a transaction log with a
``start`` column stays a transaction log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from clv.data.engine import connect
from clv.data.io import Source, open_source
from clv.data.mapping import FIELD_NAMES, normalise_name
from clv.errors import DataValidationError

CONTRACT_FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "customer_id": (
        "customer_id",
        "customerid",
        "customer",
        "client_id",
        "user_id",
        "subscriber_id",
        "account_id",
        "member_id",
        "id",
    ),
    "start": (
        "start",
        "start_date",
        "started_at",
        "subscription_start",
        "contract_start",
        "signup_date",
        "signed_up_at",
        "begin_date",
    ),
    "end": (
        "end",
        "end_date",
        "ended_at",
        "subscription_end",
        "contract_end",
        "cancel_date",
        "cancelled_at",
        "canceled_at",
        "cancellation_date",
        "churn_date",
    ),
    "cohort": ("cohort", "plan", "plan_name", "tier", "product", "segment"),
    "price": ("price", "price_per_period", "monthly_price", "fee", "amount", "mrr"),
}
CONTRACT_COLUMNS: tuple[str, ...] = tuple(CONTRACT_FIELD_NAMES)
REQUIRED_CONTRACT_FIELDS: tuple[str, ...] = ("customer_id", "start", "end")


def contract_mapping(columns: Sequence[str], explicit: Mapping[str, str] | None = None) -> dict[str, str]:
    """Canonical contract field -> source column: ``explicit`` entries first, then recognised names (fields not
    found are left out)."""
    mapping = {field: column for field, column in (explicit or {}).items() if column}
    unknown = sorted(set(mapping) - set(CONTRACT_COLUMNS))
    absent = [column for column in mapping.values() if column not in columns]
    if unknown or absent:
        raise DataValidationError(
            f"the column mapping is not usable: fields {unknown or 'ok'}, columns not in the file {absent or 'none'};"
            f" fields are {', '.join(CONTRACT_COLUMNS)}"
        )
    by_name = {normalise_name(column): column for column in reversed(list(columns))}
    for field, names in CONTRACT_FIELD_NAMES.items():
        if field in mapping:
            continue
        for name in names:
            column = by_name.get(normalise_name(name))
            if column is not None and column not in mapping.values():
                mapping[field] = column
                break
    return mapping


def is_subscriptions_table(columns: Sequence[str]) -> bool:
    """Whether ``columns`` look like a subscriptions table (see the module docstring: conservative)."""
    names = {normalise_name(column) for column in columns}
    if any(normalise_name(name) in names for name in FIELD_NAMES["timestamp"]):
        return False
    return set(REQUIRED_CONTRACT_FIELDS) <= set(contract_mapping(columns))


def contracts_table(
    frame: pd.DataFrame, mapping: Mapping[str, str] | None = None, name: str = ""
) -> pd.DataFrame:
    """The canonical contracts table (``customer_id``, ``start``, ``end``, and ``cohort``, ``price`` when present)
    from a table with recognised (or mapped) columns; the index (row labels in messages) is kept.

    Raises :class:`DataValidationError` naming ``name`` and the columns seen when a required column is missing.
    """
    used = contract_mapping(list(frame.columns), mapping)
    missing = [field for field in REQUIRED_CONTRACT_FIELDS if field not in used]
    if missing:
        shown = ", ".join(repr(str(column)) for column in list(frame.columns)[:30])
        raise DataValidationError(
            f"{name or 'the subscriptions table'}: no {' / '.join(missing)} column found; columns seen: {shown}; "
            f"names tried: {'; '.join(f'{f}: ' + ', '.join(CONTRACT_FIELD_NAMES[f]) for f in missing)}"
        )
    table = pd.DataFrame({field: frame[column] for field, column in used.items()}, index=frame.index)
    table["customer_id"] = table["customer_id"].astype(str).str.replace(r"\.0+$", "", regex=True)
    table.loc[frame[used["customer_id"]].isna(), "customer_id"] = None
    table.attrs = {
        "kind": "subscriptions",
        "source_name": name or frame.attrs.get("source_name", "the subscriptions table"),
        **({"observation_end": frame.attrs["observation_end"]} if "observation_end" in frame.attrs else {}),
    }
    return table[[field for field in CONTRACT_COLUMNS if field in table]]


def source_columns(source: Source, file_name: str | None = None) -> list[str]:
    """The column names of a file (CSV, Excel, Parquet) or DataFrame, without reading its rows into memory."""
    if isinstance(source, pd.DataFrame):
        return [str(column) for column in source.columns]
    with open_source(source, connection=connect(), file_name=file_name) as raw:
        return list(raw.columns)


def load_subscriptions(
    source: Source,
    mapping: Mapping[str, str] | None = None,
    *,
    file_name: str | None = None,
    max_bytes: int | None = None,
) -> pd.DataFrame:
    """Read a subscriptions file (CSV, Excel, Parquet) or DataFrame: one row per contract.

    Returns the canonical contracts table of :func:`contracts_table`, indexed by the row numbers a person sees in
    the file (the header is row 1 of a CSV or Excel sheet), which :func:`clv.data.subscriptions.subscription_lifetimes`
    names in its messages. The dates are checked when the run computes the lifetimes.
    """
    connection = connect()
    with open_source(source, connection=connection, file_name=file_name, max_bytes=max_bytes) as raw:
        frame = connection.execute(f"SELECT * FROM {raw.view}").df()
        name = raw.source_name
        frame.index = pd.Index(np.arange(raw.first_row, raw.first_row + len(frame)), name="row")
    if frame.empty:
        raise DataValidationError(f"{name} has no rows")
    table = contracts_table(frame, mapping, name)
    check_contracts(table)
    return table


def check_contracts(table: pd.DataFrame) -> None:
    """Check a contracts table's ids, dates, order and prices as the run will read them (at its latest date), so a
    bad file is refused on loading; the message names the file, the column and the rows."""
    from clv.data.subscriptions import subscription_lifetimes

    latest = max(
        (pd.to_datetime(table[c], errors="coerce").max() for c in ("start", "end")),
        key=lambda date: date if pd.notna(date) else pd.Timestamp.min,
    )
    try:
        subscription_lifetimes(
            table,
            "M",
            latest if pd.notna(latest) else pd.Timestamp.max,
            cohort="cohort" if "cohort" in table else None,
            price="price" if "price" in table else None,
        )
    except DataValidationError as error:
        raise DataValidationError(f"{table.attrs['source_name']}: {error}") from error
