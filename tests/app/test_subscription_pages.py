"""AppTest: the subscriptions example and subscription uploads on the Data page, the contractual run's Results."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

TIMEOUT = 180

# The Data page until the test moves on; then the Predict page and the app's own Results page; then Export.
DATA_THEN_PREDICT = """
import streamlit as st
from clv.app import state
if st.session_state.get("stage") not in ("predict", "export"):
    if state.loaded() is None:  # a one-contract table rather than CDNOW: these tests bring subscriptions
        import pandas as pd
        from clv.data.contracts import contracts_table
        one = contracts_table(pd.DataFrame({"customer_id": ["Z"], "start": ["2024-01-01"], "end": [None]}))
        state.set_loaded(state.LoadedData(name="preloaded", transactions=None, customers=None, report=None,
                                          subscriptions=one))
    from clv.app.views import data
    data.render()
elif st.session_state["stage"] == "export":
    from clv.app.views import export
    export.render()
else:
    from clv.app import pages
    predict = st.Page(pages.view("predict"), title="Predict", url_path="predict", default=True)
    st.navigation([predict, pages.results()]).run()
"""


def _app() -> AppTest:
    app = AppTest.from_string(DATA_THEN_PREDICT, default_timeout=TIMEOUT)
    app.run()
    return app


def test_load_the_example_predict_and_see_the_retention_chart() -> None:
    app = _app()
    app.radio(key="data_source").set_value("Subscriptions example").run()
    next(b for b in app.button if b.label == "Load the subscriptions example").click().run()
    assert not app.exception, [e.message for e in app.exception]
    assert "Loaded: subscriptions example" in [s.value for s in app.subheader]
    assert {m.label: m.value for m in app.metric}["Subscribers"] == "5,000"
    app.session_state["stage"] = "predict"
    app.run()
    assert any("Subscriptions:" in i.value for i in app.info)
    app.button[0].click().run()
    assert not app.exception, [e.message for e in app.exception]
    assert [t.value for t in app.title] == ["Results"]
    metrics = {m.label: m.value for m in app.metric}
    assert metrics["Subscribers"] == "5,000" and metrics["Retention model"] == "BdW"
    specs = [str(chart.proto.spec) for chart in app.get("vega_lite_chart")]
    assert any("Retention by cohort" in spec for spec in specs)
    assert "Backtest" in [s.value for s in app.subheader]
    assert any("Residual value of the" in m.value for m in app.markdown)
    app.session_state["stage"] = "export"
    app.run()
    assert not app.exception, [e.message for e in app.exception]
    assert any("5,000 customers" in m.value for m in app.markdown)
    assert len(app.get("download_button")) == 3
    next(b for b in app.button if b.label == "Prepare the Word report").click().run()
    assert not app.exception, [e.message for e in app.exception]
    assert [b.label for b in app.get("download_button")][-1] == "Download Word report"


def test_the_predict_page_fits_the_retention_model_per_cohort_when_asked() -> None:
    app = _app()
    app.radio(key="data_source").set_value("Subscriptions example").run()
    next(b for b in app.button if b.label == "Load the subscriptions example").click().run()
    app.session_state["stage"] = "predict"
    app.run()
    next(c for c in app.checkbox if c.label == "Fit the retention model per cohort").check()
    app.button[0].click().run()
    assert not app.exception, [e.message for e in app.exception]
    assert {m.label: m.value for m in app.metric}["Retention model"].startswith("by cohort: 2022 ")


def test_a_subscriptions_upload_is_recognised_and_a_bad_one_names_the_rows() -> None:
    app = _app()
    app.radio(key="data_source").set_value("Upload a file").run()
    bad = b"subscriber_id,start_date,cancel_date\nA,2024-01-01,2023-12-01\nB,2024-01-01,\n"
    app.get("file_uploader")[0].upload("subs.csv", bad, "text/csv")  # type: ignore[attr-defined]
    app.run()
    assert not app.exception
    assert any("column 'end'" in e.value and "rows 2" in e.value and "subs.csv" in e.value for e in app.error)
    good = b"subscriber_id,start_date,cancel_date\nA,2024-01-01,2024-03-01\nB,2024-01-01,\n"
    app.get("file_uploader")[0].upload("good.csv", good, "text/csv")  # type: ignore[attr-defined]
    app.run()
    assert not app.exception
    assert "Loaded: good.csv" in [s.value for s in app.subheader]
    assert {m.label: m.value for m in app.metric}["Without an end date"] == "1"
