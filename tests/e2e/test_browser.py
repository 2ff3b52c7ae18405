"""End to end in Chromium: upload a messy Online Retail CSV, predict, read KPIs, visit every tab, download."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from clv.datasets import synthetic

pytestmark = pytest.mark.e2e


def wait_idle(page: Page, timeout: int = 120_000) -> None:
    page.wait_for_timeout(300)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=timeout)
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=timeout)
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout)


@pytest.fixture(scope="module")
def online_retail_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An Online-Retail-shaped latin-1 CSV with cancellations, missing ids and month-first dates."""
    log = synthetic(1_500, "2022-01-01", "2023-06-30", seed=4).transactions
    log["InvoiceDate"] = log["InvoiceDate"].dt.strftime("%-m/%-d/%Y %-H:%M")
    log.loc[log.index[:5], "Description"] = "CAFÉ CRÈME"
    path = tmp_path_factory.mktemp("upload") / "online_retail.csv"
    log.to_csv(path, index=False, encoding="latin-1")
    return path


def test_upload_predict_explore_and_download(
    page: Page, app_url: str, online_retail_csv: Path, screenshots: Path
) -> None:
    page.goto(app_url)
    wait_idle(page)
    expect(page.get_by_text("Loaded: CDNOW master")).to_be_visible()
    page.get_by_text("Upload a file").click()
    wait_idle(page)
    page.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(str(online_retail_csv))
    wait_idle(page)
    expect(page.get_by_text("Loaded: online_retail.csv")).to_be_visible()
    expect(page.get_by_text("Cleaning report")).to_be_visible()
    expect(page.get_by_text("Rows kept")).to_be_visible()
    page.screenshot(path=str(screenshots / "data-1280.png"))

    page.get_by_role("link", name="Predict").click()
    wait_idle(page)
    page.get_by_role("button", name="Predict customer value").click()
    expect(page.get_by_test_id("stExpander").first).to_be_visible()
    page.screenshot(path=str(screenshots / "predict-1280.png"))  # progress, stage by stage
    # When the prediction is done, the Results page opens by itself.
    expect(page.locator(".st-key-kpis").get_by_test_id("stMetric").first).to_be_visible(timeout=120_000)
    expect(page).to_have_url(re.compile(r"/results$"))
    wait_idle(page)
    page.screenshot(path=str(screenshots / "results-1280.png"))
    for tab in ("Segments", "Churn", "Model quality", "Drivers", "Customer lookup", "Overview"):
        page.get_by_role("tab", name=tab).click()
        wait_idle(page)
        if tab == "Model quality":  # the backtest finishes behind the results, then fills this tab in
            expect(page.get_by_text("Models fitted on data to")).to_be_visible(timeout=60_000)
            wait_idle(page)
        page.screenshot(path=str(screenshots / f"tab-{tab.lower().replace(' ', '-')}-1280.png"))
    expect(page.get_by_test_id("stDataFrame").locator("canvas").first).to_be_visible()

    page.get_by_role("link", name="Export").click()
    wait_idle(page)
    with page.expect_download() as csv_download:
        page.get_by_role("button", name="Download CSV").click()
    table = pd.read_csv(csv_download.value.path(), encoding="utf-8-sig")
    assert {"customer_id", "clv", "p_alive", "value_tier"} <= set(table.columns)
    assert len(table) > 1_000
    with page.expect_download() as excel_download:
        page.get_by_role("button", name="Download Excel").click()
    workbook = openpyxl.load_workbook(io.BytesIO(Path(excel_download.value.path()).read_bytes()))
    assert workbook.sheetnames == ["predictions", "segments", "metrics", "settings"]

    page.get_by_role("link", name="Documentation").click()
    wait_idle(page)
    expect(page.get_by_text("The models in plain words")).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 1400})
    page.goto(app_url)
    wait_idle(page)
    page.screenshot(path=str(screenshots / "narrow-390.png"))
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
