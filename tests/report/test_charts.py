"""Chart specs: what a reader needs to read them right (order of bins, units in titles)."""

from __future__ import annotations

import clv
from clv.report import charts


def test_churn_heatmap_orders_time_bins_by_value_and_names_the_unit(cdnow_run: clv.Results) -> None:
    spec = charts.churn_heatmap(cdnow_run.predictions, "months").to_dict()
    x = spec["encoding"]["x"]
    lower_bounds = [float(label.split("-")[0]) for label in x["sort"]]
    assert lower_bounds == sorted(lower_bounds) and len(lower_bounds) == 8
    assert x["title"] == "Time since the last purchase (months)"
    shown = {row["since_last"] for row in spec["datasets"][spec["data"]["name"]]}
    assert shown <= set(x["sort"])


def test_importance_chart_shows_whole_driver_names(cdnow_run: clv.Results) -> None:
    spec = charts.importance_chart(cdnow_run.drivers["importance"]).to_dict()
    longest = max(len(d) for d in cdnow_run.drivers["importance"]["description"].head(12))
    # About 6 px per character at the axis font size: the label limit must fit the longest driver.
    assert spec["encoding"]["y"]["axis"]["labelLimit"] >= 6 * longest
