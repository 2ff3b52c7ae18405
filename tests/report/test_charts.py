"""Chart specs: what a reader needs to read them right (order of bins, units in titles)."""

from __future__ import annotations

import re

import vl_convert

import clv
from clv.data import load_transactions, weekly_activity
from clv.datasets import load_cdnow
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


def test_value_histogram_axis_labels_are_distinct_amounts(cdnow_run: clv.Results) -> None:
    """Rendered (vl-convert, no browser): a log axis from cents to thousands must not show "$0" twice."""
    svg = vl_convert.vegalite_to_svg(charts.clv_distribution(cdnow_run.predictions).to_dict())
    labels = re.findall(r">(\$[\d,.]+)</text>", svg)
    assert len(labels) >= 4 and len(labels) == len(set(labels)), labels
    assert "$1" in labels and "$1,000" in labels


def test_weekly_revenue_chart_has_units_and_tooltips() -> None:
    log = load_transactions(load_cdnow("sample"), drop_zero_amounts=False)[0]
    spec = charts.weekly_revenue(weekly_activity(log)).to_dict()
    assert spec["title"] == "Revenue per week"
    assert spec["encoding"]["x"]["title"] == "Week (starting Monday)"
    assert spec["encoding"]["y"]["axis"]["format"] == charts.CURRENCY
    assert [t["title"] for t in spec["encoding"]["tooltip"]] == ["Week of", "Revenue", "Customers buying"]
    svg = vl_convert.vegalite_to_svg(spec)
    assert ">$10,000<" in svg and ">1997<" in svg
