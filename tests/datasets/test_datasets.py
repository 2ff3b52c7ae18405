"""The bundled CDNOW logs and the synthetic generator."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from clv.data.summary import summarize
from clv.datasets import load_cdnow, synthetic
from clv.errors import DataValidationError


def test_cdnow_logs_have_the_documented_size() -> None:
    master = load_cdnow("master")
    sample = load_cdnow("sample")
    assert (len(master), master["customer_id"].nunique()) == (69_659, 23_570)
    assert (len(sample), sample["customer_id"].nunique()) == (6_919, 2_357)
    assert master["timestamp"].min() == pd.Timestamp("1997-01-01")
    assert master["timestamp"].max() == pd.Timestamp("1998-06-30")
    assert master["amount"].sum() == pytest.approx(2_500_315.63, rel=1e-9)


def test_unknown_cdnow_name_is_refused() -> None:
    with pytest.raises(DataValidationError, match="use 'sample' or 'master'"):
        load_cdnow("full")  # type: ignore[arg-type]


def test_synthetic_is_deterministic_and_online_retail_shaped() -> None:
    first = synthetic(2_000, seed=7)
    second = synthetic(2_000, seed=7)
    pd.testing.assert_frame_equal(first.transactions, second.transactions)
    assert not first.transactions.equals(synthetic(2_000, seed=8).transactions)
    log = first.transactions
    assert list(log.columns) == [
        "InvoiceNo",
        "StockCode",
        "Description",
        "Quantity",
        "InvoiceDate",
        "UnitPrice",
        "CustomerID",
        "Country",
    ]
    cancelled = log["InvoiceNo"].str.startswith("C")
    assert 0.005 < cancelled.mean() < 0.05
    assert (log.loc[cancelled, "Quantity"] < 0).all()
    assert 0.02 < log["CustomerID"].isna().mean() < 0.10
    assert log.loc[log["CustomerID"].notna(), "CustomerID"].nunique() == 2_000


def test_synthetic_purchase_process_matches_its_truth() -> None:
    """Without seasonality the mean spend and repeat rate agree with the Gamma-Gamma and BG/NBD truth."""
    data = synthetic(20_000, seed=3, seasonality=False, cancellation_rate=0.0, missing_id_rate=0.0)
    log = data.transactions.assign(
        customer_id=data.transactions["CustomerID"].astype("int64").astype(str),
        timestamp=data.transactions["InvoiceDate"],
        amount=data.transactions["Quantity"] * data.transactions["UnitPrice"],
    )
    summary = summarize(log[["customer_id", "timestamp", "amount"]], data.observation_end, time_unit="W")
    truth = data.true_params
    mean_spend = truth["p"] * truth["gamma"] / (truth["q"] - 1)
    repeat = summary[summary["frequency"] > 0]
    assert repeat["monetary_value"].mean() == pytest.approx(mean_spend, rel=0.08)
    # Share of customers with no repeat purchase is large under these parameters, as in CDNOW.
    assert 0.3 < (summary["frequency"] == 0).mean() < 0.8
    assert np.all(summary["recency"] <= summary["T"])
