"""The search page served by `streamlit run` and opened in headless Debian Chromium.

Uses the server fixture and page helpers of test_browser.py, with the fixture warehouse
replaced by one whose cases have texts, passages and embeddings. The screenshot goes to
the test's tmp folder and to EINTEL_SCREENSHOT_DIR when that is set
(docs/img/dashboard-search.png comes from there).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app.conftest import case_id
from tests.app.test_browser import ELEMENT_WAIT_MS, _opened_page, _save, _settle, dashboard  # noqa: F401 (fixture)
from tests.nlp.search_fixtures import build_search_warehouse

pytestmark = pytest.mark.browser

QUERY = "App未经同意收集个人信息"
RESULTS = '[data-testid="stMain"] [data-testid="stPageLink"]'
FULL_PAGE_VIEWPORT = {"width": 1440, "height": 2000}


@pytest.fixture(scope="module")
def warehouse_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Replace the dashboard fixture's warehouse for this module with the embedded search warehouse."""
    return build_search_warehouse(tmp_path_factory.mktemp("browser_search") / "eintel.duckdb")


def _run_query(page: object, text: str) -> None:
    box = page.locator('[data-testid="stTextInput"] input').first  # type: ignore[attr-defined]
    box.fill(text)
    box.press("Enter")
    page.wait_for_selector("mark", timeout=ELEMENT_WAIT_MS)  # type: ignore[attr-defined]
    _settle(page)


def test_search_page_in_chromium(dashboard: str, tmp_path: Path) -> None:
    with _opened_page(dashboard, "/search", '[data-testid="stTextInput"]') as page:
        page.set_viewport_size(FULL_PAGE_VIEWPORT)
        _run_query(page, QUERY)
        screenshot = _save(page, tmp_path, "dashboard-search.png")
        marks = page.locator("mark").all_inner_texts()
        links = page.locator(f"{RESULTS} p").all_inner_texts()
        hrefs = [link.get_attribute("href") for link in page.locator(f"{RESULTS} a").all()]
        source_links = page.get_by_role("link", name="打开原文").count()

        page.get_by_text("English", exact=True).click()
        _settle(page)
        english_title = page.locator('[data-testid="stMain"] h1').first.inner_text()
        selected_mode = page.locator('[data-testid="stMain"] [aria-checked="true"]').all_inner_texts()
        english_links = page.locator(f"{RESULTS} p").all_inner_texts()

        page.locator(f"{RESULTS} a").first.click()
        page.get_by_text("Legal basis").first.wait_for(timeout=ELEMENT_WAIT_MS)
        _settle(page)
        opened_url = page.url

    assert "收集" in marks
    assert "个人信息" in marks
    assert links[:3] == ["1. 浙江省网信办依法约谈一批企业", "2. 关于侵害用户权益行为的APP（SDK）通报",
                         "3. 关于侵害用户权益行为的APP（SDK）通报"]
    assert len(hrefs) == len(links)
    assert source_links == len(links)
    assert screenshot.stat().st_size > 0
    assert english_title == "Search cases"
    assert selected_mode == ["Hybrid (recommended)"]
    assert english_links == links
    assert hrefs[0] == f"cases?case={case_id('zjcac', 'minor')}"
    assert opened_url == f"{dashboard}/{hrefs[0]}"
