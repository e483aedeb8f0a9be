"""The Risk match page served by `streamlit run` and used in headless Debian Chromium.

Needs /usr/bin/chromium and a CJK font (`apt-get install chromium fonts-noto-cjk`); the
test fails, rather than skips, when Chromium is missing. The screenshot
dashboard-match.png goes to the test's tmp folder and, when EINTEL_SCREENSHOT_DIR is
set, is copied there too. The server listens on 127.0.0.1 only, and the browser aborts
every request to any other address.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from nlp.embed import embed_cases
from nlp.search import default_encoder
from tests.app.test_browser import CHROMIUM, CHROMIUM_ARGS, ELEMENT_WAIT_MS, _save, _settle, serve_dashboard
from tests.nlp.match_cases import build_match_warehouse
from warehouse.db import connect

pytestmark = pytest.mark.browser

# Matching loads the embedding model on the first press, which can take tens of seconds on a cold machine.
MATCH_WAIT_MS = 180_000


@pytest.fixture(scope="module")
def match_dashboard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Serve app.py on a free 127.0.0.1 port against the embedded made-up warehouse; yield its base URL."""
    warehouse = tmp_path_factory.mktemp("browser-match") / "eintel.duckdb"
    build_match_warehouse(warehouse)
    with connect(warehouse) as con:
        embed_cases(con, default_encoder())

    with serve_dashboard(warehouse) as base_url:
        yield base_url


def test_match_page_in_chromium(match_dashboard: str, tmp_path: Path) -> None:
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
            context = browser.new_context(viewport={"width": 1440, "height": 2200}, locale="zh-CN")
            context.route(lambda url: not url.startswith(match_dashboard), _only_local)
            page = context.new_page()

            page.goto(f"{match_dashboard}/match")
            page.get_by_text("画像有效：示例出行科技有限公司，6 项做法。").wait_for(timeout=ELEMENT_WAIT_MS)
            page.get_by_role("button", name="开始匹配").click()
            page.get_by_text("匹配结果：示例出行科技有限公司").wait_for(timeout=MATCH_WAIT_MS)
            # The method expander is the page's last element, so the whole result is drawn once it shows.
            page.get_by_text("评级方法").wait_for(timeout=MATCH_WAIT_MS)
            _settle(page)
            screenshot = _save(page, tmp_path, "dashboard-match.png")

            badges = page.locator(".stMarkdownBadge", has_text="高风险").count()
            marks = page.locator("mark").count()
            downloads = page.locator('[data-testid="stDownloadButton"]').count()
            practices = page.locator("h3").filter(has_text=" · ").count()
        finally:
            browser.close()

    assert screenshot.stat().st_size > 0
    assert badges >= 1
    assert marks >= 1
    assert downloads == 2
    assert practices == 6
    assert blocked == []
