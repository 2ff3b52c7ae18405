"""``load_transactions``: read a source, map its columns, clean it, and report what was done."""

from __future__ import annotations

from collections.abc import Mapping

import duckdb

from clv.data.clean import CleaningReport, clean
from clv.data.engine import connect
from clv.data.io import Source, open_source
from clv.data.mapping import detect_mapping
from clv.data.transactions import Transactions
from clv.errors import DataValidationError


def load_transactions(
    source: Source,
    mapping: Mapping[str, str] | None = None,
    *,
    file_name: str | None = None,
    max_bytes: int | None = None,
    sheet_name: str | int | None = None,
    cancellation_prefix: str = "C",
    dayfirst: bool | None = None,
    observation_end: object = None,
    drop_duplicates: bool | None = None,
    drop_zero_amounts: bool = True,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> tuple[Transactions, CleaningReport]:
    """Read a transaction log (CSV, Excel .xlsx, Parquet, CDNOW whitespace file, bytes or DataFrame) and clean it.

    ``mapping`` maps canonical fields (customer_id, timestamp, amount, invoice_id, product_id, quantity, unit_price,
    country) to source columns and overrides detection; the mapping used is in ``report.mapping``. ``file_name``
    names bytes input (its extension and messages), ``max_bytes`` bounds the size (default ``CLV_MAX_UPLOAD_MB``,
    200 MB), ``sheet_name`` picks an Excel sheet, ``dayfirst`` forces the reading of dates like 01/02/2010, and
    rows after ``observation_end`` (a date) are dropped. ``connection`` (see :func:`clv.data.connect`, which sets
    a memory limit) holds the cleaned log; a new one by default. Exact duplicate rows are dropped when the source has an
    invoice id (``drop_duplicates`` overrides); zero amounts are dropped unless ``drop_zero_amounts=False``. Raises :class:`~clv.errors.DataValidationError` with the
    file, column and rows at fault.
    """
    connection = connection or connect()
    with open_source(
        source, connection=connection, file_name=file_name, max_bytes=max_bytes, sheet_name=sheet_name
    ) as raw:
        try:
            used = detect_mapping(raw.columns, mapping)
        except DataValidationError as error:
            raise DataValidationError(f"{raw.source_name}: {error}") from error
        return clean(
            raw,
            used,
            cancellation_prefix=cancellation_prefix,
            dayfirst=dayfirst,
            observation_end=observation_end,
            drop_duplicates=drop_duplicates,
            drop_zero_amounts=drop_zero_amounts,
        )
