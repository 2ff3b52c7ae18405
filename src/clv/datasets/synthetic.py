"""A realistic synthetic transaction log with known true parameters.

Purchases follow the BG/NBD process of Fader, Hardie & Lee (2005): while alive, a customer buys as a Poisson process
with rate ``lambda ~ Gamma(r, alpha)`` per week; after each repeat purchase they drop out with probability
``p ~ Beta(a, b)``. Spend per purchase follows the Gamma-Gamma model of Fader & Hardie (2013): ``z ~ Gamma(p_shape,
nu)`` with ``nu ~ Gamma(q, gamma)``, so the mean spend is ``p_shape * gamma / (q - 1)``.

With ``seasonality=True`` the purchase rate is modulated by a weekday and a yearly pattern (mean 1 over a year), by
thinning a faster process; the BG/NBD parameters then describe the average rate only, so use
``seasonality=False`` for parameter-recovery checks. Each purchase becomes one invoice of a few order lines
(quantity x unit price) in the UCI Online Retail layout, with a share of cancelled invoices ("C" prefix, negative
quantities), of anonymous invoices without a customer id and (with ``duplicate_rate``) of exact duplicate lines, as
exports of the UCI Online Retail data have; cleaning must remove all three.

:func:`write_synthetic_parquet` writes logs of tens of millions of lines chunk by chunk (independent customer groups,
each one :func:`synthetic` call), so memory stays bounded by the chunk size.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from clv.errors import DataValidationError

DEFAULT_PARAMS: dict[str, float] = {
    "r": 0.25,
    "alpha": 4.0,
    "a": 0.8,
    "b": 2.5,
    "p": 6.0,
    "q": 4.0,
    "gamma": 15.0,
}
COUNTRIES = (
    "United Kingdom",
    "Germany",
    "France",
    "Netherlands",
    "Spain",
    "Belgium",
    "Switzerland",
    "Portugal",
)
COUNTRY_WEIGHTS = (0.70, 0.07, 0.07, 0.04, 0.04, 0.03, 0.03, 0.02)
N_PRODUCTS = 250
WEEK_DAYS = 7.0
FIRST_CUSTOMER_ID = 12_000
FIRST_INVOICE = 500_000
ANONYMOUS_INVOICE_OFFSET = 400_000


@dataclass(frozen=True)
class SyntheticData:
    """A generated log, the parameters that generated it (rates per ``time_unit``) and the observation end."""

    transactions: pd.DataFrame
    true_params: dict[str, float]
    time_unit: str
    observation_end: pd.Timestamp
    customers: pd.DataFrame = field(repr=False)


def synthetic(
    n_customers: int = 5_000,
    start: str | pd.Timestamp = "2022-01-01",
    end: str | pd.Timestamp = "2023-12-31",
    seed: int = 0,
    *,
    params: dict[str, float] | None = None,
    acquisition_share: float = 0.35,
    seasonality: bool = True,
    cancellation_rate: float = 0.02,
    missing_id_rate: float = 0.05,
    duplicate_rate: float = 0.0,
    first_customer_id: int = FIRST_CUSTOMER_ID,
    first_invoice: int = FIRST_INVOICE,
) -> SyntheticData:
    """Generate an Online-Retail-shaped log for ``n_customers`` customers between ``start`` and ``end``.

    Customers are acquired uniformly over the first ``acquisition_share`` of the period. ``params`` overrides the BG/NBD
    (``r, alpha, a, b``, rates per week) and Gamma-Gamma (``p, q, gamma``, currency units) truth. About
    ``duplicate_rate`` of the lines are repeated exactly. Customer ids count from ``first_customer_id`` and invoice
    numbers from ``first_invoice`` (anonymous invoices after them), so separately generated groups do not collide.
    The same seed always gives the same data.
    """
    truth = {**DEFAULT_PARAMS, **(params or {})}
    first, last = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    span_weeks = (last - first).days / WEEK_DAYS
    if n_customers < 1 or span_weeks <= 0:
        raise DataValidationError(
            "synthetic data needs at least one customer and an end date after the start date"
        )
    if not 0.0 < acquisition_share <= 1.0:
        raise DataValidationError("acquisition_share must be in (0, 1]")
    rng = np.random.default_rng(seed)

    rate = rng.gamma(truth["r"], 1.0 / truth["alpha"], n_customers)
    dropout = rng.beta(truth["a"], truth["b"], n_customers)
    nu = rng.gamma(truth["q"], 1.0 / truth["gamma"], n_customers)
    birth = np.floor(rng.uniform(0.0, acquisition_share * span_weeks * WEEK_DAYS, n_customers)) / WEEK_DAYS
    exposure = span_weeks - birth
    # Repeat purchases allowed before dropout: the customer dies right after the k-th repeat with probability p.
    lifetime_purchases = rng.geometric(np.clip(dropout, 1e-12, 1.0))

    peak = _peak_multiplier() if seasonality else 1.0
    candidates = rng.poisson(np.minimum(rate * peak * exposure, 1e4))
    owner = np.repeat(np.arange(n_customers), candidates)
    times = birth[owner] + rng.uniform(0.0, 1.0, owner.size) * exposure[owner]
    if seasonality:
        keep = rng.uniform(0.0, 1.0, owner.size) * peak < _seasonal_multiplier(times, first)
        owner, times = owner[keep], times[keep]
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    rank = np.arange(owner.size) - np.searchsorted(owner, owner, side="left")
    alive = rank < lifetime_purchases[owner]
    owner, times = owner[alive], times[alive]

    purchase_owner = np.concatenate([np.arange(n_customers), owner])
    purchase_week = np.concatenate([birth, times])
    value = rng.gamma(truth["p"], 1.0 / nu[purchase_owner])
    countries = rng.choice(len(COUNTRIES), n_customers, p=COUNTRY_WEIGHTS)
    customer_ids = np.arange(first_customer_id, first_customer_id + n_customers)

    lines = _order_lines(
        rng,
        customer=customer_ids[purchase_owner].astype("float64"),
        country=countries[purchase_owner],
        day_offset=np.floor(purchase_week * WEEK_DAYS),
        value=value,
        first=first,
        first_invoice=first_invoice,
    )
    anonymous_start = first_invoice + max(ANONYMOUS_INVOICE_OFFSET, value.size)
    anonymous = _anonymous_invoices(rng, lines, missing_id_rate, span_weeks, first, anonymous_start)
    log = pd.concat([lines, anonymous], ignore_index=True)
    log = pd.concat([log, _cancellations(rng, log, cancellation_rate)], ignore_index=True)
    if duplicate_rate > 0:
        log = pd.concat([log, log[rng.uniform(0.0, 1.0, len(log)) < duplicate_rate]], ignore_index=True)
    log = log.sort_values(["InvoiceDate", "InvoiceNo"], kind="stable").reset_index(drop=True)
    log["InvoiceNo"] = log["InvoiceNo"].astype(str)

    customers = pd.DataFrame(
        {
            "customer_id": customer_ids.astype(str),
            "purchase_rate_per_week": rate,
            "dropout_probability": dropout,
            "mean_spend": truth["p"] / nu,
            "first_purchase": first + pd.to_timedelta(np.floor(birth * WEEK_DAYS), unit="D"),
        }
    )
    return SyntheticData(
        transactions=log,
        true_params=truth,
        time_unit="W",
        observation_end=last,
        customers=customers,
    )


def _seasonal_multiplier(weeks: np.ndarray, first: pd.Timestamp) -> np.ndarray:
    """Relative purchase intensity at ``weeks`` after ``first``: busier weekends and a December peak.

    The weekday pattern (1.25 on Saturday and Sunday, 0.9 otherwise) and the yearly wave both average 1.
    """
    days = weeks * WEEK_DAYS
    weekday = (first.day_of_week + np.floor(days)) % 7
    weekly = np.where(weekday >= 5, 1.25, 0.9)
    day_of_year = (first.day_of_year - 1 + days) % 365.25
    yearly = 1.0 + 0.25 * np.cos(2.0 * np.pi * (day_of_year - 350.0) / 365.25)
    return weekly * yearly


def _peak_multiplier() -> float:
    return 1.25 * 1.25


def _order_lines(
    rng: np.random.Generator,
    customer: np.ndarray,
    country: np.ndarray,
    day_offset: np.ndarray,
    value: np.ndarray,
    first: pd.Timestamp,
    first_invoice: int,
) -> pd.DataFrame:
    """Split each purchase of ``value`` into 1-5 order lines of whole quantities at catalogue prices."""
    n_purchases = value.size
    invoice = np.arange(first_invoice, first_invoice + n_purchases)
    n_lines = np.minimum(1 + rng.poisson(0.8, n_purchases), 5)
    line_invoice = np.repeat(np.arange(n_purchases), n_lines)
    weights = rng.gamma(1.0, 1.0, line_invoice.size)
    totals = np.bincount(line_invoice, weights=weights, minlength=n_purchases)
    line_value = value[line_invoice] * weights / totals[line_invoice]
    catalogue = np.round(np.exp(rng.normal(1.0, 0.9, N_PRODUCTS)) + 0.25, 2)
    product = rng.integers(0, N_PRODUCTS, line_invoice.size)
    quantity = np.maximum(1, np.round(line_value / catalogue[product])).astype("int64")
    unit_price = np.maximum(np.round(line_value / quantity, 2), 0.01)
    seconds = rng.integers(8 * 3600, 20 * 3600, n_purchases)
    stamp = first + pd.to_timedelta(day_offset * 86_400 + seconds, unit="s")
    return pd.DataFrame(
        {
            "InvoiceNo": invoice[line_invoice],
            "StockCode": (product + 10_000).astype(str),
            "Description": np.char.add("PRODUCT ", product.astype(str)),
            "Quantity": quantity,
            "InvoiceDate": stamp[line_invoice],
            "UnitPrice": unit_price,
            "CustomerID": customer[line_invoice],
            "Country": np.asarray(COUNTRIES)[country[line_invoice]],
        }
    )


def _anonymous_invoices(
    rng: np.random.Generator,
    lines: pd.DataFrame,
    share: float,
    span_weeks: float,
    first: pd.Timestamp,
    first_invoice: int,
) -> pd.DataFrame:
    """Extra invoices without a customer id (guest checkouts), about ``share`` of all lines."""
    n_rows = round(share * len(lines))
    if n_rows == 0:
        return lines.iloc[:0]
    sample = lines.sample(n=n_rows, replace=True, random_state=np.random.RandomState(rng.integers(2**31)))
    days = rng.uniform(0.0, span_weeks * WEEK_DAYS, n_rows)
    return sample.assign(
        InvoiceNo=np.arange(first_invoice, first_invoice + n_rows),
        InvoiceDate=first + pd.to_timedelta(np.floor(days * 86_400), unit="s"),
        CustomerID=np.nan,
    )


def _cancellations(rng: np.random.Generator, log: pd.DataFrame, rate: float) -> pd.DataFrame:
    """Cancellation invoices ("C" + number, negative quantity) for about ``rate`` of the lines, a few days later."""
    chosen = log[rng.uniform(0.0, 1.0, len(log)) < rate]
    return chosen.assign(
        InvoiceNo="C" + chosen["InvoiceNo"].astype(str),
        Quantity=-chosen["Quantity"],
        InvoiceDate=chosen["InvoiceDate"] + pd.to_timedelta(rng.integers(1, 10, len(chosen)), unit="D"),
    )


LOG_SCHEMA = pa.schema(
    [
        ("InvoiceNo", pa.string()),
        ("StockCode", pa.string()),
        ("Description", pa.string()),
        ("Quantity", pa.int64()),
        ("InvoiceDate", pa.timestamp("us")),
        ("UnitPrice", pa.float64()),
        ("CustomerID", pa.float64()),
        ("Country", pa.string()),
    ]
)


def write_synthetic_parquet(
    path: str | Path,
    n_customers: int,
    start: str | pd.Timestamp = "2022-01-01",
    end: str | pd.Timestamp = "2023-12-31",
    seed: int = 0,
    *,
    chunk_customers: int = 200_000,
    **options: float,
) -> int:
    """Write a :func:`synthetic` log of ``n_customers`` customers to the Parquet file ``path``, one group of at most
    ``chunk_customers`` customers at a time (one row group each), and return the number of lines written.

    Each group is generated independently (its seed spawned from ``seed``; customer ids and invoice numbers offset so
    groups never collide), so memory is bounded by the chunk size whatever the total. ``options`` are passed to
    :func:`synthetic` (rates such as ``duplicate_rate``). The same arguments always write the same file.
    """
    if n_customers < 1 or chunk_customers < 1:
        raise DataValidationError("write_synthetic_parquet needs at least one customer per chunk")
    sizes = [min(chunk_customers, n_customers - s) for s in range(0, n_customers, chunk_customers)]
    seeds = np.random.SeedSequence(seed).spawn(len(sizes))
    rows, next_invoice = 0, FIRST_INVOICE
    with pq.ParquetWriter(str(path), LOG_SCHEMA) as writer:
        for index, (size, chunk_seed) in enumerate(zip(sizes, seeds, strict=True)):
            data = synthetic(
                size,
                start,
                end,
                int(chunk_seed.generate_state(1)[0]),
                first_customer_id=FIRST_CUSTOMER_ID + index * chunk_customers,
                first_invoice=next_invoice,
                **options,  # type: ignore[arg-type]
            )
            log = data.transactions
            next_invoice = int(log["InvoiceNo"].str.removeprefix("C").astype("int64").max()) + 1
            table = pa.Table.from_pandas(log, schema=LOG_SCHEMA, preserve_index=False)
            writer.write_table(table, row_group_size=max(table.num_rows, 1))
            rows += table.num_rows
    return rows
