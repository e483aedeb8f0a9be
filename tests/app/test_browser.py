"""The dashboard served by `streamlit run` and opened in headless Debian Chromium.

Needs /usr/bin/chromium and a CJK font (`apt-get install chromium fonts-noto-cjk`).
The test fails, rather than skips, when Chromium is missing. Screenshots go to the
test's tmp folder and, when EINTEL_SCREENSHOT_DIR is set, are copied there too.
The server listens on 127.0.0.1 only, and the browser aborts every request to any
other address.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from contextlib import contextmanager
from typing import Iterator

import pytest

from tests.app.conftest import case_id

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# Upper bounds for a slow machine, not expectations: a wait ends as soon as the page is ready.
SERVER_START_SECONDS = 90
ELEMENT_WAIT_MS = 60_000


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_health(base_url: str, process: subprocess.Popen[bytes]) -> None:
    """Poll Streamlit's health endpoint until it returns ok; fail with the server's output otherwise."""
    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode("utf-8", "replace") if process.stdout else ""
            pytest.fail(f"streamlit exited with code {process.returncode} before serving:\n{output}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.5)
    pytest.fail(f"streamlit did not answer {base_url}/_stcore/health within {SERVER_START_SECONDS} s")


@contextmanager
def serve_dashboard(warehouse: Path) -> Iterator[str]:
    """Serve app.py on a free 127.0.0.1 port against a warehouse file; yield its base URL."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "EINTEL_DB": str(warehouse), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    env.pop("EINTEL_LANG", None)
    command = [
        sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "app.py"),
        "--server.headless", "true",
        "--server.port", str(port),
        "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
        # Hide the Deploy button, which means nothing to a reader of the screenshots.
        "--client.toolbarMode", "minimal",
    ]

    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        _wait_for_health(base_url, process)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def dashboard(warehouse_file: Path) -> Iterator[str]:
    with serve_dashboard(warehouse_file) as base_url:
        yield base_url


def _save(page: object, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]

    target = os.environ.get("EINTEL_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, Path(target) / name)
    return path


def _settle(page: object) -> None:
    """Wait until Streamlit has finished the script run, so a screenshot shows the whole page."""
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=ELEMENT_WAIT_MS)  # type: ignore[attr-defined]
    page.wait_for_timeout(1500)  # type: ignore[attr-defined]


def test_dashboard_in_chromium(dashboard: str, tmp_path: Path) -> None:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found; install it with `apt-get install chromium fonts-noto-cjk`")
    from playwright.sync_api import sync_playwright

    blocked: list[str] = []

    def _only_local(route: object) -> None:
        blocked.append(route.request.url)  # type: ignore[attr-defined]
        route.abort()  # type: ignore[attr-defined]

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            # Streamlit scrolls inside its main block, so a full-page screenshot is only as tall as the viewport.
            context = browser.new_context(viewport={"width": 1440, "height": 1600}, locale="zh-CN")
            context.route(lambda url: not url.startswith(dashboard), _only_local)
            page = context.new_page()

            page.goto(f"{dashboard}/")
            page.wait_for_selector('[data-testid="stMetricValue"]', timeout=ELEMENT_WAIT_MS)
            _settle(page)
            overview = _save(page, tmp_path, "dashboard-overview.png")
            metric_values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()

            page.goto(f"{dashboard}/trends")
            page.wait_for_selector(".js-plotly-plot", timeout=ELEMENT_WAIT_MS)
            _settle(page)
            trends = _save(page, tmp_path, "dashboard-trends.png")
            charts = page.locator(".js-plotly-plot").count()

            page.goto(f"{dashboard}/cases?case={case_id('hangzhou', '1')}")
            page.wait_for_selector('[data-testid="stDataFrame"]', timeout=ELEMENT_WAIT_MS)
            page.get_by_text("处罚依据").first.wait_for(timeout=ELEMENT_WAIT_MS)
            _settle(page)
            cases = _save(page, tmp_path, "dashboard-cases.png")
            tables = page.locator('[data-testid="stDataFrame"]').count()
            legal_basis = page.get_by_text("《中华人民共和国网络安全法》第64条第一款").count()
        finally:
            browser.close()

    assert metric_values[0] == "15"
    assert charts == 5
    assert tables >= 1
    assert legal_basis == 1
    assert overview.stat().st_size > 0
    assert trends.stat().st_size > 0
    assert cases.stat().st_size > 0
    assert blocked == []


def _launch(playwright: object, dashboard: str) -> tuple[object, object]:
    """Start Chromium with every request outside the dashboard aborted; return (browser, page)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found; install it with `apt-get install chromium fonts-noto-cjk`")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)  # type: ignore[attr-defined]
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="zh-CN")
    context.route(lambda url: not url.startswith(dashboard), lambda route: route.abort())
    return browser, context.new_page()


@contextmanager
def _opened_page(dashboard: str, path: str, ready_selector: str) -> Iterator[object]:
    """Yield a settled page of the dashboard once `ready_selector` shows; close Chromium after."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser, page = _launch(playwright, dashboard)
        try:
            page.goto(f"{dashboard}{path}")  # type: ignore[attr-defined]
            page.wait_for_selector(ready_selector, timeout=ELEMENT_WAIT_MS)  # type: ignore[attr-defined]
            _settle(page)
            yield page
        finally:
            browser.close()  # type: ignore[attr-defined]


def _case_count(page: object) -> str:
    return page.locator('[data-testid="stMetricValue"]').first.inner_text()  # type: ignore[attr-defined]


def _sidebar_widget(page: object, testid: str, label: str) -> object:
    widgets = page.locator(f'[data-testid="stSidebar"] [data-testid="{testid}"]')  # type: ignore[attr-defined]
    return widgets.filter(has=page.get_by_text(label, exact=True))  # type: ignore[attr-defined]


def _pick(page: object, label: str, option: str) -> None:
    """Type an option into a sidebar multiselect and choose it, as a user does."""
    _sidebar_widget(page, "stMultiSelect", label).locator("input").click()  # type: ignore[attr-defined]
    page.keyboard.type(option)  # type: ignore[attr-defined]
    page.get_by_role("option", name=option, exact=True).click()  # type: ignore[attr-defined]
    page.keyboard.press("Escape")  # type: ignore[attr-defined]
    _settle(page)


def test_language_switch_keeps_filters(dashboard: str) -> None:
    with _opened_page(dashboard, "/", '[data-testid="stMetricValue"]') as page:
        page.get_by_text("English", exact=True).click()
        _settle(page)
        domain = _sidebar_widget(page, "stSelectbox", "Domain").locator("input").input_value()
        _pick(page, "Province", "Guangdong")
        cases_in_guangdong = _case_count(page)

    assert domain == "Data security and personal information"
    assert cases_in_guangdong == "3"


def test_trends_dimension_after_language_switch(dashboard: str) -> None:
    with _opened_page(dashboard, "/trends", ".js-plotly-plot") as page:
        page.get_by_text("English", exact=True).click()
        _settle(page)
        dimension = page.locator('[data-testid="stMain"] [data-testid="stSelectbox"] input').first.input_value()

    assert dimension == "Industry"


def test_clear_filters_resets_widgets(dashboard: str) -> None:
    with _opened_page(dashboard, "/", '[data-testid="stMetricValue"]') as page:
        _pick(page, "省份", "广东省")
        page.get_by_role("button", name="清除筛选").click()
        _settle(page)
        provinces_after_clear = _sidebar_widget(page, "stMultiSelect", "省份").inner_text()
        cases_after_clear = _case_count(page)
        _pick(page, "监管机构", "中国人民银行")
        cases_of_pbc = _case_count(page)

    assert "广东省" not in provinces_after_clear
    assert cases_after_clear == "15"
    assert cases_of_pbc == "3"
