"""Benchmark: the web app as a user meets it, in headless Chromium.

Usage: python bench/app.py [--rows 1000000] [--skip-large] [--folder /tmp/clv-bench-app]

Starts ``streamlit run app.py`` on a free loopback port (fresh data folder), then measures with Playwright and
Debian's Chromium:

- start: process start to the health check answering; the browser's own launch; page request to the first rendered
  Data page (bundled CDNOW loaded), and process start to that page and to that page drawn (its chart included);
- upload-to-results for CDNOW master (the shipped whitespace file) and for a synthetic Online-Retail CSV of about
  ``--rows`` transactions: from handing the file to the uploader to the Results page drawn (its KPI cards, charts and
  table; the Predict page opens Results by itself), with the default settings (12 months, learned model, backtest).
  The progress labels seen while predicting are printed, to show that the user sees progress throughout.

Targets (issue 5): CDNOW master under 5 s, 1M transactions under 30 s.
"""

from __future__ import annotations

import argparse
import gzip
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import Page, expect, sync_playwright

from clv.app.serve import streamlit_command

ROOT = Path(__file__).parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 600_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_idle(page: Page) -> None:
    page.wait_for_timeout(150)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(timeout=TIMEOUT_MS)
    expect(page.locator('[data-stale="true"]')).to_have_count(0, timeout=TIMEOUT_MS)


def wait_drawn(page: Page) -> None:
    """Wait until the charts and tables on the page are drawn, not only sent: chart code the browser loads on first
    use included."""
    expect(page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=TIMEOUT_MS)
    page.wait_for_function(
        """() => {
            const charts = [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')];
            const tables = [...document.querySelectorAll('[data-testid="stDataFrame"]')];
            return charts.length > 0 && charts.every(c => c.querySelector("canvas, svg"))
                && tables.every(t => !t.checkVisibility() || t.querySelector("canvas"));
        }""",
        timeout=TIMEOUT_MS,
    )


def cdnow_master_file(folder: Path) -> Path:
    """The bundled CDNOW master log, as the whitespace text file users download."""
    import clv.datasets

    packaged = Path(clv.datasets.__file__).parent / "files" / "CDNOW_master.txt.gz"
    target = folder / "CDNOW_master.txt"
    target.write_bytes(gzip.decompress(packaged.read_bytes()))
    return target


def online_retail_csv(folder: Path, rows: int) -> Path:
    """A synthetic Online-Retail CSV with about ``rows`` lines (customers scaled from a small pilot)."""
    from clv.datasets import synthetic

    target = folder / f"online_retail_{rows}.csv"
    if target.exists():
        return target
    pilot = len(synthetic(2_000, "2010-12-01", "2011-12-09", seed=1).transactions) / 2_000
    data = synthetic(max(int(rows / pilot), 100), "2010-12-01", "2011-12-09", seed=1)
    log = data.transactions
    log["InvoiceDate"] = log["InvoiceDate"].dt.strftime("%-m/%-d/%Y %-H:%M")
    log.to_csv(target, index=False)
    return target


def upload_to_results(page: Page, url: str, path: Path) -> tuple[float, list[str]]:
    """Seconds from handing ``path`` to the uploader to the Results KPIs, the progress labels seen, and the time of
    each step (each includes 150 ms of waiting for the page to settle)."""
    page.goto(url)
    wait_idle(page)
    page.get_by_text("Upload a file").click()
    wait_idle(page)
    started = time.perf_counter()
    page.get_by_test_id("stFileUploader").locator("input[type=file]").set_input_files(str(path))
    expect(page.get_by_text(f"Loaded: {path.name}")).to_be_visible(timeout=TIMEOUT_MS)
    wait_idle(page)
    steps = {"file read and shown": time.perf_counter()}
    page.get_by_role("link", name="Predict").click()
    wait_idle(page)
    steps["Predict page"] = time.perf_counter()
    page.get_by_role("button", name="Predict customer value").click()
    labels: list[str] = []
    status = page.get_by_test_id("stExpander").first
    done = page.locator(".st-key-kpis").get_by_test_id("stMetric").first  # the Results page opens by itself
    while not done.is_visible():
        try:
            # The last line: a finished status box starts with its icon's name ("check"). Once the Results page
            # replaced the box, no waiting for it.
            label = (
                status.locator("summary").inner_text(timeout=100).strip().splitlines()[-1]
                if status.count()
                else ""
            )
        except Exception:  # the status box is re-rendered while Streamlit runs
            label = ""
        if label and (not labels or labels[-1] != label):
            labels.append(label)
        page.wait_for_timeout(100)
        if time.perf_counter() - started > TIMEOUT_MS / 1000:
            raise TimeoutError("no results")
    steps["prediction to Results KPIs"] = time.perf_counter()
    wait_idle(page)
    wait_drawn(page)
    steps["Results page drawn"] = time.perf_counter()
    previous = started
    for step, moment in steps.items():
        labels.append(f"{step} +{moment - previous:.2f} s")
        previous = moment
    return time.perf_counter() - started, labels


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="transactions of the large upload")
    parser.add_argument("--skip-large", action="store_true", help="measure CDNOW master only")
    parser.add_argument("--folder", type=Path, default=Path(tempfile.gettempdir()) / "clv-bench-app")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    files = [cdnow_master_file(args.folder)]
    if not args.skip_large:
        files.append(online_retail_csv(args.folder, args.rows))

    port = free_port()
    data_dir = Path(tempfile.mkdtemp(prefix="clv-bench-data-"))
    started = time.perf_counter()
    server = subprocess.Popen(
        streamlit_command(port, headless=True),
        cwd=ROOT,
        env={**os.environ, "CLV_DATA_DIR": str(data_dir)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        while True:
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.05)
        healthy = time.perf_counter() - started
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            requested = time.perf_counter()
            page.goto(url)
            expect(page.get_by_text("Loaded: CDNOW master")).to_be_visible(timeout=TIMEOUT_MS)
            first_render = time.perf_counter()
            wait_idle(page)
            wait_drawn(page)
            first_drawn = time.perf_counter()
            print(f"{'measure':<44} {'seconds':>8}")
            print(f"{'server start to health check':<44} {healthy:>8.2f}")
            print(f"{'browser launch (Playwright, Chromium)':<44} {requested - started - healthy:>8.2f}")
            print(f"{'page requested to Data page shown (CDNOW)':<44} {first_render - requested:>8.2f}")
            print(f"{'server start to first Data page (CDNOW)':<44} {first_render - started:>8.2f}")
            print(f"{'server start to first Data page drawn (chart)':<44} {first_drawn - started:>8.2f}")
            for path in files:
                seconds, labels = upload_to_results(page, url, path)
                size_mb = path.stat().st_size / 1024**2
                print(f"{f'upload-to-results {path.name} ({size_mb:,.0f} MB)':<44} {seconds:>8.2f}")
                print("    progress seen: " + " | ".join(labels))
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
