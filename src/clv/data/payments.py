"""Contracts derived from a payments log: for businesses whose data are the renewals paid, not contracts.

A subscriber pays once a period. A run of payments with no gap longer than the period plus a grace period is one
contract: it starts at its first payment and, when no payment follows within the period plus the grace period of
its last one (before the observation end), it ends one period after that last payment; otherwise it is still active
(no end). A later payment after a longer gap starts a new contract (a return after churn, which
:func:`clv.data.subscriptions.subscription_lifetimes` counts and leaves out). The price per period is the mean of
the contract's payments.
"""

from __future__ import annotations

import pandas as pd

from clv.data.subscriptions import period_days
from clv.data.transactions import Transactions
from clv.errors import DataValidationError

DEFAULT_GRACE_DAYS = 7.0
"""Days a renewal may come late and still continue the contract."""


def contracts_from_payments(
    payments: Transactions | pd.DataFrame,
    period: str,
    grace_days: float = DEFAULT_GRACE_DAYS,
    observation_end: str | pd.Timestamp | None = None,
) -> pd.DataFrame:
    """The contracts table (customer_id, start, end empty while active, price per period) of a payments log.

    Parameters
    ----------
    payments : Transactions or DataFrame
        One row per payment: ``customer_id``, ``timestamp`` and, when present, ``amount`` (currency).
    period : {'W', 'M', 'Y'}
        The contract period (a month is 365.25/12 days).
    grace_days : float, default 7
        Days a payment may come after the period's end and still renew the contract.
    observation_end : date, optional
        The date the data describe (default: the last payment's day).
    """
    if not grace_days >= 0:
        raise DataValidationError(f"the grace period must be zero or more days; got {grace_days!r}")
    frame = payments.to_pandas() if isinstance(payments, Transactions) else payments
    name = payments.source_name if isinstance(payments, Transactions) else "the payments log"
    missing = [column for column in ("customer_id", "timestamp") if column not in frame]
    if missing:
        raise DataValidationError(f"{name}: a payments log needs the column(s) {', '.join(missing)}")
    if frame.empty:
        raise DataValidationError(f"{name}: no payments")
    days = pd.Timedelta(days=period_days(period))
    ordered = frame.assign(timestamp=pd.to_datetime(frame["timestamp"]).dt.normalize()).sort_values(
        ["customer_id", "timestamp"], kind="stable"
    )
    end = (
        pd.Timestamp(observation_end).normalize()
        if observation_end is not None
        else ordered["timestamp"].max()
    )
    gap = ordered.groupby("customer_id", sort=False)["timestamp"].diff()
    contract = (gap.isna() | (gap > days + pd.Timedelta(days=grace_days))).cumsum()
    grouped = ordered.groupby(contract, sort=False)
    contracts = pd.DataFrame(
        {
            "customer_id": grouped["customer_id"].first().astype(str),
            "start": grouped["timestamp"].min(),
            "last_payment": grouped["timestamp"].max(),
        }
    )
    if "amount" in ordered:
        contracts["price"] = grouped["amount"].mean()
    lapsed = contracts["last_payment"] + days + pd.Timedelta(days=grace_days) < end
    contracts["end"] = (contracts["last_payment"] + days).dt.normalize().where(lapsed)
    table = contracts.drop(columns="last_payment").reset_index(drop=True)
    table = table[[c for c in ("customer_id", "start", "end", "price") if c in table]]
    table.attrs = {"kind": "subscriptions", "source_name": name, "observation_end": end}
    return table
