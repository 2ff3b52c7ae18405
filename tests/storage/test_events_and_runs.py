"""Usage analytics counted per day in the database, and stored model runs with their backtest metrics."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

import clv
from clv.storage import Database
from clv.storage.events import record_event, usage_report
from clv.storage.runs import list_runs, record_run, run_metrics
from tests.storage.conftest import T0


def test_daily_usage_counts_sessions_events_and_median_prediction_time(database: Database) -> None:
    day2 = T0 + timedelta(days=2)
    events = [
        ("s1", "page_view", None, T0),
        ("s1", "upload", None, T0),
        ("s1", "predict", 4.0, T0),
        ("s2", "predict", 10.0, T0),
        ("s2", "predict", 6.0, T0),
        ("s2", "export", None, T0),
        ("s3", "error", None, day2),
        ("s3", "predict", 2.0, day2),
        ("s4", "page_view", None, T0 + timedelta(days=9)),  # outside the range
    ]
    for session, kind, duration, moment in events:
        record_event(database, session, kind, duration, {"page": "Data"}, now=moment)
    report = usage_report(database, T0.date(), T0.date() + timedelta(days=2))
    daily = report.daily.set_index("day")
    assert list(daily.index) == [T0.date() + timedelta(days=d) for d in range(3)]
    assert list(daily["sessions"]) == [2, 0, 1]
    assert list(daily["predictions"]) == [3, 0, 1]
    assert list(daily["uploads"]) == [1, 0, 0]
    assert list(daily["exports"]) == [1, 0, 0]
    assert list(daily["errors"]) == [0, 0, 1]
    assert list(daily["page_views"]) == [1, 0, 0]
    assert daily["median_prediction_seconds"].iloc[0] == 6.0
    assert np.isnan(daily["median_prediction_seconds"].iloc[1])
    assert (report.sessions, report.median_prediction_seconds) == (3, 5.0)
    with pytest.raises(ValueError, match="unknown event type"):
        record_event(database, "s1", "click")


def test_a_run_is_stored_with_its_backtest_metrics(database: Database, cdnow_run: clv.Results) -> None:
    run_id = record_run(database, cdnow_run, "CDNOW master", 9.5, session_id="s1", now=T0)
    runs = list_runs(database)
    row = runs.set_index("id").loc[run_id]
    assert row["data_name"] == "CDNOW master"
    assert row["customers"] == len(cdnow_run.predictions)
    assert row["total"] == pytest.approx(cdnow_run.total[0])
    assert row["purchase_model"] == cdnow_run.metadata["purchase_model"]
    assert row["settings"]["horizon"] == 12
    stored = run_metrics(database, run_id)
    expected = cdnow_run.metrics.select_dtypes("number")
    assert list(stored.index) == list(expected.index)
    assert list(stored.columns) == list(expected.columns)
    pd.testing.assert_frame_equal(stored, expected.astype(float), check_names=False)
    assert run_metrics(database, run_id + 1).empty
