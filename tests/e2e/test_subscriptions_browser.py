"""End to end in Chromium, the contractual path: load the subscriptions example, predict, read the residual value and
the retention chart, download the subscribers and the Word report."""

from __future__ import annotations

import io
import re
from pathlib import Path

import docx
import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.test_browser import wait_idle

pytestmark = pytest.mark.e2e


def test_subscriptions_example_predict_results_and_downloads(
    page: Page, app_url: str, screenshots: Path
) -> None:
    page.goto(app_url)
    wait_idle(page)
    page.get_by_text("Subscriptions example").click()
    wait_idle(page)
    page.get_by_role("button", name="Load the subscriptions example").click()
    wait_idle(page)
    expect(page.get_by_text("Loaded: subscriptions example")).to_be_visible()
    page.screenshot(path=str(screenshots / "subscriptions-data-1280.png"))

    page.get_by_role("link", name="Predict").click()
    wait_idle(page)
    page.get_by_role("button", name="Predict customer value").click()
    expect(page.locator(".st-key-kpis").get_by_test_id("stMetric").first).to_be_visible(timeout=120_000)
    expect(page).to_have_url(re.compile(r"/results$"))
    wait_idle(page)
    expect(page.get_by_text("Retention by cohort", exact=True)).to_be_visible()
    expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    expect(page.get_by_text("Residual value").first).to_be_visible()
    page.screenshot(path=str(screenshots / "subscriptions-results-1280.png"), full_page=True)

    page.get_by_role("link", name="Export").click()
    wait_idle(page)
    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Download CSV").click()
    table = pd.read_csv(csv_download.value.path(), encoding="utf-8-sig")
    assert len(table) == 5_000 and {"customer_id", "derl", "clv", "p_churn_next_period"} <= set(table.columns)
    assert table.loc[~table["active"], "clv"].eq(0).all()
    page.get_by_role("button", name="Prepare the Word report").click()
    wait_idle(page)
    with page.expect_download() as word_download:
        page.get_by_role("button", name="Download Word report").click()
    document = docx.Document(io.BytesIO(Path(word_download.value.path()).read_bytes()))
    assert document.paragraphs[0].text == "Subscriber lifetime value report"
    assert len(document.inline_shapes) == 1
