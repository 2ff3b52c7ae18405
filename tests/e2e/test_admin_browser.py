"""End to end in Chromium: send feedback and a feature request, find the dashboards closed without a login, log in
as the administrator named by the environment, read them, change a status and export the CSV."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN_PASSWORD, ADMIN_USERNAME
from tests.e2e.test_browser import wait_idle

pytestmark = pytest.mark.e2e
HOSTILE = '<img src=x onerror="document.title=1"> [click](javascript:alert(1)) **bold**'


def choose(page: Page, widget: str, label: str, option: str) -> None:
    """Pick ``option`` in the select or multiselect widget labelled ``label``."""
    page.get_by_test_id(widget).filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def test_feedback_and_request_reach_the_admin_dashboards(page: Page, app_url: str, screenshots: Path) -> None:
    page.goto(f"{app_url}/feedback")
    wait_idle(page)
    page.get_by_test_id("stRadio").get_by_text("5 - excellent").click()
    page.get_by_label("Your feedback (required)").fill(HOSTILE)
    page.get_by_label("Email (optional, if you would like an answer)").fill("ana@example.com")
    page.get_by_role("button", name="Send feedback").click()
    wait_idle(page)
    expect(page.get_by_text("Your feedback was saved as #")).to_be_visible()
    page.screenshot(path=str(screenshots / "feedback-1280.png"))

    page.goto(f"{app_url}/request")
    wait_idle(page)
    page.get_by_role("textbox", name="Title (required)").fill("Export the report as PDF")
    page.get_by_role("textbox", name="Title (required)").press("Enter")
    wait_idle(page)
    page.get_by_label("What should it do, and why? (required)").fill("My manager reads PDF only.")
    page.get_by_role("button", name="Submit request").click()
    wait_idle(page)
    expect(page.get_by_text("Your request was saved as #")).to_be_visible()
    page.get_by_role("textbox", name="Title (required)").fill("PDF export of the report")
    page.get_by_role("textbox", name="Title (required)").press("Enter")
    wait_idle(page)
    expect(page.get_by_text("Similar requests exist already")).to_be_visible()
    page.screenshot(path=str(screenshots / "request-1280.png"))

    page.goto(f"{app_url}/admin-feedback")  # not logged in: the page does not exist for this visitor
    wait_idle(page)
    expect(page.get_by_role("heading", name="Feedback inbox")).to_have_count(0)
    expect(page.get_by_role("link", name="Feedback inbox")).to_have_count(0)

    page.goto(f"{app_url}/admin")
    wait_idle(page)
    page.get_by_role("textbox", name="Username").fill(ADMIN_USERNAME)
    page.get_by_role("textbox", name="Password").fill("not the password")
    page.get_by_role("button", name="Log in").click()
    wait_idle(page)
    expect(page.get_by_text("Wrong username or password")).to_be_visible()
    page.get_by_role("textbox", name="Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    wait_idle(page)
    expect(page.get_by_text(f"Logged in as {ADMIN_USERNAME}")).to_be_visible()

    page.get_by_role("link", name="Feedback inbox").click()
    wait_idle(page)
    expect(page.get_by_test_id("stDataFrame").locator("canvas").first).to_be_visible()
    expect(page.locator("img[src=x]")).to_have_count(0)
    expect(page.locator('a[href^="javascript"]')).to_have_count(0)
    assert page.title() != "1"
    page.screenshot(path=str(screenshots / "admin-feedback-1280.png"))
    choose(page, "stMultiSelect", "Feedback messages", "#1")
    choose(page, "stSelectbox", "New status", "resolved")
    page.get_by_role("button", name="Update status").click()
    wait_idle(page)
    expect(page.get_by_text("1 item(s) set to resolved.")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    table = pd.read_csv(download.value.path(), encoding="utf-8-sig")
    assert list(table["message"]) == [HOSTILE]
    assert list(table["status"]) == ["resolved"]

    page.get_by_role("link", name="Feature requests").click()
    wait_idle(page)
    expect(page.get_by_role("tab", name="new (1)")).to_be_visible()
    page.screenshot(path=str(screenshots / "admin-requests-1280.png"))
    page.get_by_role("link", name="Usage").click()
    wait_idle(page)
    expect(page.get_by_text("Daily activity").first).to_be_visible()
    page.screenshot(path=str(screenshots / "admin-usage-1280.png"))

    page.get_by_role("link", name="Feedback inbox").click()  # in this session: a new page load logs out
    wait_idle(page)
    page.set_viewport_size({"width": 390, "height": 1400})
    wait_idle(page)
    narrow(page, screenshots / "admin-feedback-390.png")
    page.goto(f"{app_url}/feedback")
    wait_idle(page)
    narrow(page, screenshots / "feedback-390.png")
    page.set_viewport_size({"width": 1280, "height": 1600})


def narrow(page: Page, path: Path) -> None:
    """Screenshot at 390 px, with no horizontal scrolling."""
    page.screenshot(path=str(path))
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
