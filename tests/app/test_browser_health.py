"""The data-health page served by `streamlit run` and opened in headless Debian Chromium.

Uses the server fixture and page helpers of test_browser.py, so the same limits hold:
Chromium at /usr/bin/chromium, a CJK font, and no request leaves 127.0.0.1. The
screenshot goes to the test's tmp folder and to EINTEL_SCREENSHOT_DIR when that is set
(docs/img/dashboard-health.png comes from there).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.test_browser import _opened_page, _save, _settle, dashboard  # noqa: F401 (dashboard is a fixture)

pytestmark = pytest.mark.browser

SOURCE_CONTAINERS = '[data-testid="stVerticalBlock"][class*="st-key-health_source_"]'
# The documents table, the second table, is the last element of the page: once it
# shows, the page is drawn.
PAGE_DRAWN = '[data-testid="stDataFrame"] >> nth=1'
FULL_PAGE_VIEWPORT = {"width": 1440, "height": 2100}


def test_health_page_in_chromium(dashboard: str, tmp_path: Path) -> None:
    with _opened_page(dashboard, "/health", PAGE_DRAWN) as page:
        # Streamlit scrolls inside its main block, so the viewport must be as tall as the page.
        page.set_viewport_size(FULL_PAGE_VIEWPORT)
        _settle(page)
        screenshot = _save(page, tmp_path, "dashboard-health.png")
        containers = page.locator(SOURCE_CONTAINERS).count()
        never = page.get_by_text("从未成功", exact=True).count()
        messages = page.locator('[data-testid="stCode"]').all_inner_texts()
        tables = page.locator('[data-testid="stDataFrame"]').count()

        page.get_by_text("English", exact=True).click()
        _settle(page)
        english_title = page.locator('[data-testid="stMain"] h1').first.inner_text()
        english_never = page.get_by_text("never", exact=True).count()

    assert containers == 3
    assert never == 1
    assert len(messages) == 2
    assert "TimeoutError: timed out" in messages[1]
    assert tables == 2
    assert screenshot.stat().st_size > 0
    assert english_title == "Data health"
    assert english_never == 1
