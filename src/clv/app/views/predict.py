"""Predict page: settings with defaults and help, one button, progress by stage; then the Results page."""

from __future__ import annotations

import time

import streamlit as st

import clv
from clv.app import backend, pages, state
from clv.app.views.common import need_data, user_errors
from clv.config import TIME_UNIT_NAMES, normalise_time_unit
from clv.models.compare import PURCHASE_MODELS


def render() -> None:
    """Render the page."""
    st.title("Predict customer value")
    need_data(_form)


def _form() -> None:
    current = state.current_settings()
    data = state.loaded()
    if data is not None and data.subscriptions is not None:
        st.info(
            "Subscriptions: each active subscriber's residual value (price x discounted expected renewals), with "
            "the sBG and BdW retention models compared by BIC. The time unit is the contract period; the horizon "
            "is the window of the churn risk; purchase models and the learned model do not apply."
        )
    with st.form("settings"):
        left, middle, right = st.columns(3)
        horizon = left.number_input(
            "Horizon",
            min_value=1,
            max_value=3650,
            value=int(current.horizon),
            help="How far ahead to value customers, in the time unit beside.",
        )
        units = list(TIME_UNIT_NAMES)
        time_unit = middle.selectbox(
            "Time unit",
            units,
            index=units.index(normalise_time_unit(current.time_unit)),
            format_func=lambda code: TIME_UNIT_NAMES[code],
            help="Unit of the horizon and of recency and age in the results. A month is 365.25/12 days.",
        )
        discount = right.number_input(
            "Annual discount rate (%)",
            min_value=0.0,
            max_value=50.0,
            value=current.annual_discount_rate * 100,
            step=1.0,
            help="Future money is worth less: 10 % means 110 next year is worth 100 today.",
        )
        margin = left.number_input(
            "Margin (%)",
            min_value=1.0,
            max_value=100.0,
            value=current.margin * 100,
            step=5.0,
            help="Share of revenue that is profit; 100 % values revenue.",
        )
        models = middle.multiselect(
            "Purchase models to compare",
            list(PURCHASE_MODELS),
            default=list(current.purchase_models),
            help="The one with the lowest BIC is used.",
        )
        holdout = right.number_input(
            "Backtest holdout (weeks, 0 = automatic)",
            min_value=0,
            max_value=520,
            value=int(current.backtest_weeks or 0),
            help="The backtest refits the models on data up to this many weeks before the end and scores what "
            "customers spent in those weeks. Automatic: the horizon, or half the history if that is shorter.",
        )
        learned = left.checkbox("Add the learned model (LightGBM) and blend", value=current.learned)
        backtest = middle.checkbox(
            "Backtest on the most recent period",
            value=current.backtest,
            help="Refit on older data and score the forecast of the last weeks, to show how far to trust the numbers.",
        )
        subscriptions = data is not None and data.subscriptions is not None
        by_cohort = subscriptions and right.checkbox(
            "Fit the retention model per cohort",
            value=current.retention_by_cohort,
            help="Subscriptions: one sBG/BdW choice per cohort instead of one for everyone.",
        )
        submitted = st.form_submit_button("Predict customer value", type="primary")
    if not submitted:
        if state.results() is not None:
            st.success("Results for these settings are ready.")
            st.page_link(pages.results(), label="Open the results", icon=":material/insights:")
        return
    contractual = data is not None and data.subscriptions is not None
    with user_errors("checking the settings"):
        settings = clv.Settings(
            setting="contractual" if contractual else "auto",
            horizon=float(horizon),
            time_unit=time_unit,
            annual_discount_rate=discount / 100,
            margin=margin / 100,
            purchase_models=tuple(models),
            learned=learned,
            backtest=backtest,
            backtest_weeks=float(holdout) if holdout else None,
            retention_by_cohort=bool(by_cohort),
        )
        state.set_settings(settings)
        if state.results() is None:
            _predict(settings)
        if state.results() is not None:  # not when the prediction failed: its error stays on this page
            st.page_link(pages.results(), label="Open the results", icon=":material/insights:")
            st.switch_page(pages.results())


def _predict(settings: clv.Settings) -> None:
    data = state.loaded()
    assert data is not None
    source = data.source
    started = time.perf_counter()
    with st.status("Predicting...", expanded=True) as status, user_errors("predicting"):
        bar = st.progress(0.0)

        def progress(stage: str, fraction: float) -> None:
            status.update(label=stage)
            st.write(stage)
            bar.progress(min(max(fraction, 0.0), 1.0))

        # The results are shown as soon as every customer is valued; the backtest finishes behind them.
        results = clv.run(source, settings, progress=progress, wait_for_backtest=False)  # type: ignore[arg-type]
        state.store_results(results)
        backend.record_prediction(results, time.perf_counter() - started)
        if results.backtest_pending is None:
            backend.store_run(results, data.name)
        status.update(
            label=f"Done in {time.perf_counter() - started:.1f} s", state="complete", expanded=False
        )
