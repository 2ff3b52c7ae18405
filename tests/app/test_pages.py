"""AppTest: every page renders, loads data, predicts, shows results and handles bad input without a traceback."""

from __future__ import annotations

import time
from importlib.metadata import version
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from clv.data import load_transactions
from clv.datasets import load_cdnow

ROOT = Path(__file__).parents[2]
TIMEOUT = 120


def _setup(data: str | None = "sample", predict: bool = False) -> str:
    """Script lines that load CDNOW ``data`` (and predict on it) once per session."""
    setup = ""
    if data:
        setup = f"""
from clv.app import state
if state.loaded() is None:
    from clv.data import load_transactions
    from clv.datasets import load_cdnow
    log, report = load_transactions(load_cdnow("{data}"), file_name="CDNOW {data}")
    state.set_loaded(state.LoadedData(name="CDNOW {data}", transactions=log, customers=None, report=report))
"""
    if predict:
        setup += """
import clv
if state.results() is None:
    state.set_settings(clv.Settings(horizon=6, time_unit="M"))
    state.store_results(clv.run(state.loaded().transactions, state.current_settings()))
"""
    return setup


def _view_script(
    view: str, function: str = "render", data: str | None = "sample", predict: bool = False
) -> str:
    return _setup(data, predict) + f"\nfrom clv.app.views import {view}\n{view}.{function}()\n"


# The Predict page first, then the app's own Results page, as in the app's navigation.
PREDICT_THEN_RESULTS = """
import streamlit as st
from clv.app import pages
predict = st.Page(pages.view("predict"), title="Predict", url_path="predict", default=True)
st.navigation([predict, pages.results()]).run()
"""


def _run(script: str) -> AppTest:
    app = AppTest.from_string(script, default_timeout=TIMEOUT)
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    return app


def test_entry_renders_the_data_page_with_the_bundled_data() -> None:
    app = AppTest.from_file(str(ROOT / "app.py"), default_timeout=TIMEOUT)
    app.run()
    assert not app.exception
    metrics = {m.label: m.value for m in app.metric}
    log, report = load_transactions(load_cdnow("master"), drop_zero_amounts=False)
    customers = log.connection.execute(f"SELECT count(DISTINCT customer_id) FROM {log.table}").fetchall()[0][
        0
    ]
    assert metrics["Rows read"] == "69,659" == f"{report.rows_in:,}"
    assert metrics["Rows kept"] == f"{report.rows_kept:,}"
    assert metrics["Customers"] == f"{customers:,}" == "23,570"
    (chart,) = app.get("vega_lite_chart")
    assert "Revenue per week" in str(chart.proto.spec)


def test_bad_upload_shows_the_data_layer_message_not_a_traceback() -> None:
    app = _run(_view_script("data", data=None))
    app.radio(key="data_source").set_value("Upload a file").run()
    app.get("file_uploader")[0].upload("orders.csv", b"name,when,price\na,2020-01-01,5\n", "text/csv")  # type: ignore[attr-defined]
    app.run()
    assert not app.exception
    assert any("no customer id column found" in e.value for e in app.error)


def test_a_refused_upload_says_what_is_still_loaded_and_offers_the_column_mapping() -> None:
    app = _run(_view_script("data", data="sample"))
    app.radio(key="data_source").set_value("Upload a file").run()
    content = b"Kunde,Datum,Umsatz_EUR\na,2020-01-01,5\na,2020-02-01,7\n"
    app.get("file_uploader")[0].upload("orders.csv", content, "text/csv")  # type: ignore[attr-defined]
    app.run()
    assert not app.exception
    assert any("no customer id column found" in e.value for e in app.error)
    assert any(
        i.value == "orders.csv was not loaded; the data below is still CDNOW sample." for i in app.info
    )
    assert any(s.value == "Loaded: CDNOW sample" for s in app.subheader)
    app.selectbox(key="upload_map_customer_id").set_value("Kunde")
    app.selectbox(key="upload_map_timestamp").set_value("Datum")
    app.selectbox(key="upload_map_amount").set_value("Umsatz_EUR").run()
    next(b for b in app.button if b.label == "Load with this mapping").click().run()
    assert not app.exception
    assert any(s.value == "Loaded: orders.csv" for s in app.subheader)
    assert {m.label: m.value for m in app.metric}["Rows kept"] == "2"
    assert not app.error


def test_data_that_cannot_be_modelled_is_said_to_be_so_on_the_data_page() -> None:
    app = _run(_view_script("data", data=None))
    app.radio(key="data_source").set_value("Upload a file").run()
    rows = "".join(f"c{i % 46},01/12/2010,{i % 7 + 1}.5\n" for i in range(1000))
    app.get("file_uploader")[0].upload("excerpt.csv", ("customer,date,amount\n" + rows).encode(), "text/csv")  # type: ignore[attr-defined]
    app.run()
    app.radio(key="date_order").set_value("day first (31/01/2010)").run()
    assert not app.exception
    (warning,) = [w.value for w in app.warning if "cannot be modelled" in w.value]
    assert "every purchase is on one day (2010-12-01)" in warning


def test_synthetic_generator_loads_an_online_retail_log() -> None:
    app = _run(_view_script("data", data=None))
    app.radio(key="data_source").set_value("Generate synthetic data").run()
    app.number_input[0].set_value(500)
    app.button[0].click().run()
    assert not app.exception
    assert any("synthetic (500 customers" in s.value for s in app.subheader)


def test_predict_stores_results_and_opens_the_results_page() -> None:
    app = _run(_setup() + PREDICT_THEN_RESULTS)
    assert [t.value for t in app.title] == ["Predict customer value"]
    app.number_input[0].set_value(6)
    app.button[0].click().run()
    assert not app.exception
    assert app.session_state["results_cache"]
    assert [t.value for t in app.title] == ["Results"]
    assert "Customers" in [m.label for m in app.metric]


def test_bad_settings_stay_on_the_predict_page_with_the_error_even_with_earlier_results() -> None:
    app = _run(_setup(predict=True) + PREDICT_THEN_RESULTS)
    app.multiselect[0].set_value([])
    app.button[0].click().run()
    assert not app.exception
    assert [t.value for t in app.title] == ["Predict customer value"]
    assert any("choose among" in e.value for e in app.error)


def test_predict_with_results_already_computed_opens_them_without_predicting_again() -> None:
    app = _run(_setup(predict=True) + PREDICT_THEN_RESULTS)
    computed = dict(app.session_state["results_cache"])
    app.button[0].click().run()
    assert not app.exception
    assert [t.value for t in app.title] == ["Results"]
    assert app.session_state["results_cache"] == computed


@pytest.mark.slow
def test_results_page_shows_kpis_every_tab_chart_and_filters() -> None:
    app = _run(_view_script("results", predict=True))
    labels = [m.label for m in app.metric]
    assert {"Customers", "Predicted value", "Per customer", "Top 20 % share", "High churn risk"} <= set(
        labels
    )
    # Only the open tab is drawn; open each in turn.
    charts = list(app.get("vega_lite_chart"))
    assert len(charts) == 2
    for tab in ("Segments", "Churn", "Model quality", "Drivers", "Customer lookup"):
        app.session_state["results_tab"] = tab
        app.run()
        assert not app.exception
        charts += app.get("vega_lite_chart")
        if tab == "Drivers":
            drivers = next(f.value for f in app.dataframe if "drivers" in f.value)
            assert drivers["drivers"].str.contains(r"\((?:raises|lowers)\)").any()
    assert len(charts) >= 9
    titles = " ".join(str(c.proto.spec) for c in charts)
    for title in (
        "spread across customers",
        "top customers",
        "Value tiers",
        "still being active",
        "by decile",
    ):
        assert title in titles
    app.multiselect(key="filter_tier").set_value(["Top 1%"]).run()
    assert not app.exception
    table = app.dataframe[-1].value
    assert set(table["value_tier"].astype(str)) == {"Top 1%"}


def test_export_documentation_and_contact_pages_render() -> None:
    app = _run(_view_script("export", predict=True))
    assert [b.label for b in app.get("download_button")] == [
        "Download CSV",
        "Download Excel",
        "Download Parquet",
    ]
    app.button[0].click().run()
    assert not app.exception
    assert [b.label for b in app.get("download_button")][-1] == "Download Word report"
    docs = _run(_view_script("docs", data=None))
    assert any("The models in plain words" in m.value for m in docs.markdown)
    assert next(c.value for c in docs.caption) == f"clv {version('clv-platform')}"
    _run(_view_script("contact", data=None))


def test_results_come_before_the_backtest_and_model_quality_fills_in_when_it_is_done() -> None:
    script = (
        _setup()
        + """
import clv
if state.results() is None:
    state.set_settings(clv.Settings(horizon=6, time_unit="M"))
    log = state.loaded().transactions
    state.store_results(clv.run(log, state.current_settings(), wait_for_backtest=False))
from clv.app.views import results
results.render()
"""
    )
    app = _run(script)
    cached = next(iter(app.session_state["results_cache"].values()))
    assert "Customers" in [m.label for m in app.metric]
    if cached.backtest_pending is not None:  # still running when the page was drawn: it says so
        assert any("Backtest running" in c.value for c in app.caption)
        while not cached.backtest_ready:
            time.sleep(0.05)
    app.session_state["results_tab"] = "Model quality"
    app.run()
    assert not app.exception
    completed = next(iter(app.session_state["results_cache"].values()))
    assert completed.backtest_pending is None and not completed.metrics.empty
    assert not any("Backtest running" in c.value for c in app.caption)
    assert any("Models fitted on data to" in c.value for c in app.caption)
    assert any("ensemble" in str(frame.value.index.tolist()) for frame in app.dataframe)
