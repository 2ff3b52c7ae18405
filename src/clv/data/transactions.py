"""The cleaned transaction log: a DuckDB table with canonical column names.

Every layer above ``clv.data`` reads transactions through this container, so a 10M-row log is aggregated in DuckDB
and never copied whole into pandas.

Canonical columns (types in DuckDB):

========== ========= ==========================================================
column     type      meaning
========== ========= ==========================================================
customer_id VARCHAR  customer identifier, always text
timestamp  TIMESTAMP purchase time, UTC, without a time-zone
amount     DOUBLE    value of the line in the file's currency (> 0)
invoice_id VARCHAR   optional: order / invoice number
product_id VARCHAR   optional: product / stock code
quantity   DOUBLE    optional: units bought
country    VARCHAR   optional: the customer's country
========== ========= ==========================================================
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass, field

import duckdb
import pandas as pd

from clv.data.engine import connect

REQUIRED_COLUMNS: tuple[str, ...] = ("customer_id", "timestamp", "amount")
OPTIONAL_COLUMNS: tuple[str, ...] = ("invoice_id", "product_id", "quantity", "country")
CANONICAL_COLUMNS: tuple[str, ...] = REQUIRED_COLUMNS + OPTIONAL_COLUMNS
COLUMN_TYPES: dict[str, str] = {
    "customer_id": "VARCHAR",
    "timestamp": "TIMESTAMP",
    "amount": "DOUBLE",
    "invoice_id": "VARCHAR",
    "product_id": "VARCHAR",
    "quantity": "DOUBLE",
    "country": "VARCHAR",
}

_table_numbers = itertools.count()


@dataclass(frozen=True)
class Transactions:
    """A cleaned transaction log held as table ``table`` in DuckDB ``connection``."""

    connection: duckdb.DuckDBPyConnection
    table: str
    columns: tuple[str, ...]
    source_name: str = "transactions"
    _length: list[int] = field(default_factory=list, repr=False, compare=False)
    _derived: dict[str, str] = field(default_factory=dict, repr=False, compare=False)
    # Shared with copies on other cursors (dataclasses.replace keeps it), so two threads never build one table twice.
    _derive_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    @classmethod
    def from_pandas(
        cls,
        frame: pd.DataFrame,
        connection: duckdb.DuckDBPyConnection | None = None,
        source_name: str = "transactions",
    ) -> Transactions:
        """Wrap a DataFrame that already has canonical columns (``customer_id``, ``timestamp``, ``amount`` ...)."""
        connection = connection or connect()
        present = tuple(c for c in CANONICAL_COLUMNS if c in frame.columns)
        missing = [c for c in REQUIRED_COLUMNS if c not in present]
        if missing:
            from clv.errors import DataValidationError

            raise DataValidationError(
                f"transactions need the columns {', '.join(REQUIRED_COLUMNS)}; missing: {', '.join(missing)}"
            )
        table = f"transactions_{next(_table_numbers)}"
        select = ", ".join(f'CAST("{c}" AS {COLUMN_TYPES[c]}) AS "{c}"' for c in present)
        connection.register("_incoming_frame", frame[list(present)])
        try:
            connection.execute(f"CREATE TABLE {table} AS SELECT {select} FROM _incoming_frame")
        finally:
            connection.unregister("_incoming_frame")
        return cls(connection=connection, table=table, columns=present, source_name=source_name)

    def derived_table(self, name: str, select: str) -> str:
        """The name of DuckDB table ``<table>_<name>`` holding ``select`` (SQL over this log), created on first use
        and kept as long as the log: the log never changes, so what is derived from it stays true. Thread-safe across
        copies of the log on other cursors of its connection."""
        with self._derive_lock:
            if name not in self._derived:
                derived = f"{self.table}_{name}"
                self.connection.execute(f"CREATE OR REPLACE TABLE {derived} AS {select}")
                self._derived[name] = derived
            return self._derived[name]

    def derived_table_if_built(self, name: str) -> str | None:
        """The name of the derived table ``name`` if :meth:`derived_table` has created it, else None."""
        return self._derived.get(name)

    def customer_sample(self, share: float) -> Transactions:
        """The log of about ``share`` of the customers (every line of each), in a new table of the same connection.
        Customers are chosen by a hash of their id, so the same customers are chosen on every run and whatever the
        order of the lines."""
        table = f"transactions_{next(_table_numbers)}"
        buckets = 1_000_000
        self.connection.execute(
            f"CREATE TABLE {table} AS SELECT * FROM {self.table} "
            f"WHERE hash(customer_id) % {buckets} < {max(int(share * buckets), 1)}"
        )
        return Transactions(self.connection, table, self.columns, f"{self.source_name} (sample of customers)")

    def relation(self) -> duckdb.DuckDBPyRelation:
        """The log as a lazy DuckDB relation."""
        return self.connection.table(self.table)

    def has(self, column: str) -> bool:
        """Whether the optional canonical ``column`` is present."""
        return column in self.columns

    def __len__(self) -> int:
        if not self._length:
            row = self.connection.execute(f"SELECT count(*) FROM {self.table}").fetchall()[0]
            self._length.append(int(row[0]) if row else 0)
        return self._length[0]

    def to_pandas(self, limit: int | None = None) -> pd.DataFrame:
        """The log (or its first ``limit`` rows) as a DataFrame, ordered by customer and time."""
        query = f'SELECT * FROM {self.table} ORDER BY customer_id, "timestamp"'
        if limit is not None:
            query += f" LIMIT {int(limit)}"
        return self.connection.execute(query).df()

    def date_range(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        """First and last purchase time in the log."""
        row = self.connection.execute(
            f'SELECT min("timestamp"), max("timestamp") FROM {self.table}'
        ).fetchall()[0]
        if row is None or row[0] is None:
            from clv.errors import DataValidationError

            raise DataValidationError("the transaction log is empty")
        return pd.Timestamp(row[0]), pd.Timestamp(row[1])
