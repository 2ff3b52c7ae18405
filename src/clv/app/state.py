"""Typed accessors for what the app keeps in ``st.session_state``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from clv.data import CleaningReport, Transactions

if TYPE_CHECKING:  # clv.pipeline (LightGBM, SciPy) is imported when a page first needs it, not at start-up
    from clv.pipeline import Results, Settings


@dataclass
class LoadedData:
    """The data the user is working with: the cleaned log (or a customer table, or a subscriptions table from
    :func:`clv.data.contracts.load_subscriptions`) and how it was read."""

    name: str
    transactions: Transactions | None
    customers: pd.DataFrame | None
    report: CleaningReport | None
    raw: bytes | pd.DataFrame | None = None
    dayfirst: bool | None = None
    subscriptions: pd.DataFrame | None = None

    @property
    def source(self) -> Transactions | pd.DataFrame | None:
        """What ``clv.run`` takes: the log, the customer table or the subscriptions table."""
        if self.transactions is not None:
            return self.transactions
        return self.customers if self.customers is not None else self.subscriptions

    @property
    def key(self) -> str:
        """Identifies the data for caching results (name, size and cleaning outcome)."""
        source = self.source
        rows = len(source) if source is not None else 0
        mapping = sorted(self.report.mapping.items()) if self.report else []
        return f"{self.name}|{rows}|{mapping}"


def loaded() -> LoadedData | None:
    """The current data, if any."""
    value = st.session_state.get("loaded_data")
    return value if isinstance(value, LoadedData) else None


def set_loaded(data: LoadedData) -> None:
    """Replace the current data (and forget results computed on other data)."""
    st.session_state["loaded_data"] = data


def results() -> Results | None:
    """The results of the last prediction on the current data and settings; completed with their backtest once it
    has finished (a prediction's results come before it: see :func:`finish_backtest`)."""
    value = _cached()
    if value is not None and value.backtest_pending is not None and value.backtest_ready:
        return finish_backtest()
    return value


def finish_backtest() -> Results | None:
    """The current results with their backtest, waiting for it if it is still running; kept and stored as a run
    (with the backtest's metrics) when it completes here."""
    value = _cached()
    if value is None or value.backtest_pending is None:
        return value
    completed = value.with_backtest()
    store_results(completed)
    from clv.app import backend  # storage is imported when a run is first stored

    data = loaded()
    backend.store_run(completed, data.name if data is not None else "")
    return completed


def _cached() -> Results | None:
    cache: dict[tuple[str, Settings], Results] = st.session_state.setdefault("results_cache", {})
    data = loaded()
    if data is None:
        return None
    return cache.get((data.key, current_settings()))


def store_results(value: Results) -> None:
    """Keep ``value`` for the current data and settings (going back and forth costs nothing)."""
    data = loaded()
    if data is None:
        return
    cache: dict[tuple[str, Settings], Results] = st.session_state.setdefault("results_cache", {})
    cache[(data.key, current_settings())] = value


def current_settings() -> Settings:
    """The prediction settings chosen on the Predict page (defaults until changed)."""
    from clv.pipeline import Settings

    value = st.session_state.get("prediction_settings")
    return value if isinstance(value, Settings) else Settings()


def set_settings(settings: Settings) -> None:
    """Store the prediction settings."""
    st.session_state["prediction_settings"] = settings
