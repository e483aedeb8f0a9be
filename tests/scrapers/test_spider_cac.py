"""CAC spider against a local copy of a cac.gov.cn column: paging, prose decisions, round-ups, app-list images."""

from __future__ import annotations

import importlib.util
import io
import json
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml
from PIL import Image, ImageDraw, ImageFont

from scrapers.archive import CrawlArchive
from scrapers.base import SPIDER_DIR
from tests.scrapers.conftest import (
    FIXTURES,
    CrawlResult,
    run_crawl,
    run_load,
    write_config,
)
from tests.scrapers.server import FixtureServer

PAGES = FIXTURES / "cac"
LIST_PAGE = "/zcfg/A093601index_{page}.htm"
ROUNDUP = "/2026-09/15/c_1790000000000001.htm"
DECISION = "/2026-07/21/c_1790000000000002.htm"
APP_NOTICE = "/2026-06/11/c_1790000000000003.htm"
RETRIED = "/2026-05/20/c_1790000000000004.htm"
BROKEN = "/2026-04/02/c_1790000000000005.htm"
MEETING = "/2026-03/10/c_1790000000000006.htm"
SIDEBAR = "/2026-01/05/c_1789999999999999.htm"
APP_LIST_IMAGE = "/rootimages/uploadimg/1790000000000003_html_applist.png"
TEMPLATE_ICON = "/lib/mobile/scheme/images/computer.png"

# Rows of the app list image. The operators end in an organisation suffix, which the ETL reads them by.
APP_ROWS = [
    ["序号", "App名称", "运营者", "存在问题"],
    ["1", "晴天记账", "示例网络科技有限公司", "超范围收集个人信息"],
    ["2", "快读小说", "示例文化传媒有限公司", "未提供注销账号功能"],
]
CJK_FONT_PATTERNS = ("NotoSansCJK*.tt[cf]", "NotoSerifCJK*.tt[cf]", "wqy*.tt[cf]", "SourceHanSans*.[ot]t[cf]")


def cjk_font_path() -> Path | None:
    """Return a font file that draws Chinese characters, or None when the machine has none."""
    for pattern in CJK_FONT_PATTERNS:
        for root in (Path("/usr/share/fonts"), Path("/usr/local/share/fonts")):
            found = sorted(root.rglob(pattern)) if root.exists() else []
            if found:
                return found[0]
    return None


def ocr_installed() -> bool:
    """Whether `eintel load` runs OCR on images (the optional rapidocr-onnxruntime package)."""
    return importlib.util.find_spec("rapidocr_onnxruntime") is not None


def app_list_png() -> bytes:
    """Draw the app list as a small PNG, the way CAC posts it. Without a CJK font the cells stay blank."""
    font_path = cjk_font_path()
    image = Image.new("RGB", (1000, 40 + 50 * len(APP_ROWS)), "white")
    if font_path is not None:
        font = ImageFont.truetype(str(font_path), 26)
        draw = ImageDraw.Draw(image)
        for row_number, row in enumerate(APP_ROWS):
            for x, cell in zip((20, 110, 300, 640), row):
                draw.text((x, 20 + 50 * row_number), cell, fill="black", font=font)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def spider_config(sites: list[dict[str, Any]]) -> dict[str, Any]:
    """The shipped cac.yaml with its sites replaced, so the tests read pages with the real selectors."""
    config = yaml.safe_load((SPIDER_DIR / "cac.yaml").read_text(encoding="utf-8"))
    config["sites"] = sites
    config["max_list_pages"] = 10
    return config


def build_site(server: FixtureServer, workdir: Path) -> None:
    """Register a healthy cac.gov.cn column (two list pages, six articles, an app-list image) and write the config."""
    html = "text/html; charset=utf-8"
    server.add(LIST_PAGE.format(page=1), (PAGES / "list_1.html").read_bytes(), html)
    server.add(LIST_PAGE.format(page=2), (PAGES / "list_2.html").read_bytes(), html)
    # Page 3 is not served, so the templated page past the last one returns 404, which ends paging.
    server.add(ROUNDUP, (PAGES / "detail_roundup.html").read_bytes(), html)
    server.add(DECISION, (PAGES / "detail_decision.html").read_bytes(), html)
    server.add(APP_NOTICE, (PAGES / "detail_app_notice.html").read_bytes(), html)
    # The first request of this page gets a 503; the retry gets the page.
    server.add(RETRIED, (PAGES / "detail_retry.html").read_bytes(), html, fail_first=1)
    server.add(BROKEN, (PAGES / "detail_broken.html").read_bytes(), html)
    server.add(MEETING, (PAGES / "detail_meeting.html").read_bytes(), html)
    server.add(APP_LIST_IMAGE, app_list_png(), "image/png")
    write_config(workdir / "config", "cac", spider_config([{
        "id": "zcfg_a093601",
        "name": "国家互联网信息办公室",
        "province": None,
        "list_url": server.url(LIST_PAGE.format(page=1)),
        "list_page_template": server.url(LIST_PAGE),
    }]))


class Crawl:
    """One crawl of the fixture site with the archive state right after it."""

    def __init__(self, server: FixtureServer, workdir: Path, result: CrawlResult) -> None:
        self.server = server
        self.workdir = workdir
        self.result = result
        with CrawlArchive(workdir / "crawl") as archive:
            self.run = archive.crawl_runs("cac")[-1]
            self.pending = archive.pending("cac")
            self.responses = archive.count_responses()

    def item(self, path: str) -> dict[str, Any]:
        return self.result.by_url(self.server.url(path))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    server = FixtureServer().start()
    workdir = tmp_path_factory.mktemp("cac")
    build_site(server, workdir)
    yield server, workdir
    server.stop()


@pytest.fixture(scope="module")
def crawl(site) -> Crawl:
    server, workdir = site
    return Crawl(server, workdir, run_crawl(["cac"], workdir))


@pytest.fixture(scope="module")
def rerun(site, crawl: Crawl) -> Crawl:
    server, workdir = site
    return Crawl(server, workdir, run_crawl(["cac"], workdir))


@pytest.fixture(scope="module")
def warehouse(site, crawl: Crawl) -> Path:
    _server, workdir = site
    loaded = run_load(workdir)
    assert loaded.returncode == 0, loaded.stderr
    return workdir / "eintel.duckdb"


def cases_of(database: Path, url: str) -> list[dict[str, Any]]:
    with duckdb.connect(str(database), read_only=True) as con:
        cursor = con.execute("SELECT * FROM cases WHERE source_url = ? ORDER BY party_name", [url])
        columns = [column[0] for column in cursor.description]
        return [dict(zip(columns, row)) for row in cursor.fetchall()]


def by_party(cases: list[dict[str, Any]]) -> dict[str | None, dict[str, Any]]:
    return {case["party_name"]: case for case in cases}


# Crawl ------------------------------------------------------------------------------------


def test_cac_run_ok(crawl: Crawl):
    assert crawl.result.returncode == 0, crawl.result.stderr
    assert crawl.run["status"] == "ok"
    assert crawl.run["errors"] == 0
    assert crawl.pending == []


def test_cac_list_pages_by_template(crawl: Crawl):
    lists = crawl.result.of_kind("list")
    assert [item["fields"]["page"] for item in lists] == [1, 2]
    assert [item["fields"]["entries"] for item in lists] == [3, 3]
    # Page 3 returned 404, which ends paging without an error or a pending retry.
    assert crawl.server.hits(LIST_PAGE.format(page=3)) == 1


def test_cac_sidebar_not_followed(crawl: Crawl):
    assert crawl.server.hits(SIDEBAR) == 0
    assert len(crawl.result.of_kind("detail")) == 6


def test_cac_roundup_fields(crawl: Crawl):
    item = crawl.item(ROUNDUP)
    assert item["fields"]["title"] == "国家网信办公布3起网络数据安全执法典型案例"
    assert item["fields"]["date"] == "2026-09-15"
    assert item["fields"]["issuer"] == "网信中国"
    assert item["fields"]["content_xpath"] == "//*[@id='BodyLabel']"
    assert item["fields"]["body_chars"] > 300
    assert item["fields"]["images"] == []
    assert item["fields"]["attachments"] == []
    assert item["context"]["list_date"] == "2026-09-15"
    assert item["context"]["province"] is None
    assert item["outcome"] == "new"


def test_cac_decision_fields(crawl: Crawl):
    item = crawl.item(DECISION)
    assert item["fields"]["title"].startswith("国家互联网信息办公室对示例出行科技有限公司")
    assert item["fields"]["date"] == "2026-07-21"
    assert item["fields"]["issuer"] == "国家互联网信息办公室"


def test_cac_list_date_from_url(crawl: Crawl):
    # The app notice's list row shows no date, so the date comes from its URL.
    item = crawl.item(APP_NOTICE)
    assert item["context"]["list_date"] == "2026-06-11"
    assert item["context"]["list_title"] == "关于2款App违法违规收集使用个人信息情况的通报"


def test_cac_image_archived_as_attachment(crawl: Crawl):
    notice = crawl.item(APP_NOTICE)
    image_url = crawl.server.url(APP_LIST_IMAGE)
    assert notice["fields"]["images"] == [image_url]
    attachment = crawl.result.by_url(image_url)
    assert attachment["kind"] == "attachment"
    assert attachment["content_type"] == "image/png"
    assert attachment["context"]["attachment_kind"] == "image"
    assert attachment["context"]["parent_url"] == crawl.server.url(APP_NOTICE)
    assert attachment["context"]["parent_title"] == "关于2款App违法违规收集使用个人信息情况的通报"
    assert attachment["context"]["parent_date"] == "2026-06-11"
    assert attachment["context"]["issuer"] == "国家网信办"
    # The template icon inside the content is left out by image_exclude_patterns.
    assert crawl.server.hits(TEMPLATE_ICON) == 0


def test_cac_retries_503(crawl: Crawl):
    item = crawl.item(RETRIED)
    assert item["fields"]["title"].startswith("国家网信办依法对示例知识网络技术有限公司")
    assert crawl.server.hits(RETRIED) == 2


def test_cac_broken_markup_read(crawl: Crawl):
    item = crawl.item(BROKEN)
    assert item["fields"]["title"] == "国家网信办约谈示例短视频科技有限公司"
    assert item["fields"]["date"] == "2026-04-02"
    assert item["fields"]["issuer"] == "网信中国"
    assert item["fields"]["content_xpath"] == "//*[@id='BodyLabel']"
    assert item["fields"]["body_chars"] > 50


def test_cac_rerun_stops_at_known_page(rerun: Crawl, crawl: Crawl):
    assert rerun.result.returncode == 0, rerun.result.stderr
    assert rerun.responses == crawl.responses
    assert rerun.run["status"] == "ok"
    assert rerun.run["new_items"] == 0
    assert [item["fields"]["page"] for item in rerun.result.of_kind("list")] == [1]
    assert rerun.result.of_kind("detail") == []


def test_cac_empty_list_shape_changed(server: FixtureServer, tmp_path: Path):
    html = "text/html; charset=utf-8"
    server.add("/wxzf/A0936index_1.htm", (PAGES / "list_empty.html").read_bytes(), html)
    server.add("/qwfb/A0903index_1.htm", (PAGES / "list_one.html").read_bytes(), html)
    server.add("/2026-02/03/c_1790000000000007.htm", (PAGES / "detail_no_content.html").read_bytes(), html)
    write_config(tmp_path / "config", "cac", spider_config([
        {"id": "wxzf", "name": "国家互联网信息办公室", "province": None,
         "list_url": server.url("/wxzf/A0936index_1.htm"), "list_page_template": server.url("/wxzf/A0936index_{page}.htm")},
        {"id": "qwfb", "name": "国家互联网信息办公室", "province": None,
         "list_url": server.url("/qwfb/A0903index_1.htm"), "list_page_template": server.url("/qwfb/A0903index_{page}.htm")},
    ]))

    result = run_crawl(["cac"], tmp_path)
    with CrawlArchive(tmp_path / "crawl") as archive:
        run = archive.crawl_runs("cac")[-1]
    assert result.returncode == 1
    assert run["status"] == "shape_changed"
    assert "first list page of wxzf has no detail links" in run["message"]
    assert "c_1790000000000007.htm: article page has no content container" in run["message"]
    assert "WARNING" in result.stderr
    assert "shape changed" in result.stderr
    # An empty first page ends paging of its column.
    assert server.hits("/wxzf/A0936index_2.htm") == 0
    item = result.by_url(server.url("/2026-02/03/c_1790000000000007.htm"))
    assert item["fields"]["title"] == "国家网信办依法查处示例社交网络有限公司"
    assert item["fields"]["content_xpath"] == ""


# Crawl → load → cases -----------------------------------------------------------------------


def test_cac_roundup_one_case_each(warehouse: Path, crawl: Crawl):
    cases = by_party(cases_of(warehouse, crawl.server.url(ROUNDUP)))
    assert sorted(cases) == ["示例云数据科技有限公司", "示例健康管理有限公司", "示例教育科技有限公司"]

    cloud = cases["示例云数据科技有限公司"]
    assert cloud["fine_cny"] == 500000
    assert cloud["outcome_types"] == ["warning", "fine", "rectification_order"]
    assert cloud["legal_bases"] == [{"law": "数据安全法", "article": 45, "clause": ""}]

    health = cases["示例健康管理有限公司"]
    assert health["fine_cny"] is None
    assert health["outcome_types"] == ["rectification_order", "interview"]

    education = cases["示例教育科技有限公司"]
    assert education["fine_cny"] == 100000
    assert education["outcome_types"] == ["warning", "fine"]

    for case in cases.values():
        assert case["regulator"] == "国家互联网信息办公室"
        assert case["regulator_level"] == "national"
        assert case["province"] is None
        assert case["party_type"] == "company"
        assert case["decision_number"] is None
        assert str(case["publish_date"]) == "2026-09-15"
        assert "下一步" not in case["text"]


def test_cac_prose_decision_fines(warehouse: Path, crawl: Crawl):
    cases = by_party(cases_of(warehouse, crawl.server.url(DECISION)))
    assert sorted(cases) == ["张某", "李某", "示例出行科技有限公司"]

    company = cases["示例出行科技有限公司"]
    assert company["fine_cny"] == 8026000000
    assert company["party_type"] == "company"
    assert company["decision_number"] is None
    assert str(company["decision_date"]) == "2026-07-21"
    assert company["regulator"] == "国家互联网信息办公室"
    assert company["province"] is None
    assert [basis["law"] for basis in company["legal_bases"]] == ["网络安全法", "数据安全法", "个人信息保护法", "行政处罚法"]

    for name in ("张某", "李某"):
        assert cases[name]["party_type"] == "individual"
        assert cases[name]["fine_cny"] == 1000000
        assert cases[name]["outcome_types"] == ["fine"]


def test_cac_retried_and_broken_cases(warehouse: Path, crawl: Crawl):
    retried = cases_of(warehouse, crawl.server.url(RETRIED))
    assert [case["party_name"] for case in retried] == ["示例知识网络技术有限公司"]
    assert retried[0]["fine_cny"] == 50000000

    broken = cases_of(warehouse, crawl.server.url(BROKEN))
    assert [case["party_name"] for case in broken] == ["示例短视频科技有限公司"]
    assert broken[0]["outcome_types"] == ["rectification_order", "interview"]
    assert str(broken[0]["publish_date"]) == "2026-04-02"


def test_cac_meeting_news_empty(warehouse: Path, crawl: Crawl):
    assert cases_of(warehouse, crawl.server.url(MEETING)) == []
    with duckdb.connect(str(warehouse), read_only=True) as con:
        status = con.execute("SELECT parse_status FROM raw_documents WHERE url = ?",
                             [crawl.server.url(MEETING)]).fetchone()
    assert status == ("empty",)


def test_cac_app_notice_case(warehouse: Path, crawl: Crawl):
    notice = cases_of(warehouse, crawl.server.url(APP_NOTICE))
    assert len(notice) == 1
    assert notice[0]["party_name"] is None
    assert notice[0]["outcome_types"] == ["rectification_order", "public_notice"]
    assert "party_missing" in [warning["kind"] for warning in notice[0]["parse_warnings"]]


def test_cac_app_image_flagged_needs_ocr(warehouse: Path, crawl: Crawl):
    image_url = crawl.server.url(APP_LIST_IMAGE)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        content, meta = con.execute("SELECT content, meta FROM raw_documents WHERE url = ?", [image_url]).fetchone()
    assert json.loads(meta)["attachment_format"] == "image"
    if ocr_installed():
        assert json.loads(content)["needs_ocr"] is False
    else:
        # Without OCR the extractor flags the image and the ETL gives no case for it.
        assert json.loads(content)["needs_ocr"] is True
        assert cases_of(warehouse, image_url) == []


def test_cac_app_image_rows_loaded(warehouse: Path, crawl: Crawl):
    if not ocr_installed() or cjk_font_path() is None:
        pytest.skip("rapidocr-onnxruntime or a font with Chinese characters is missing, so the image is not read")
    cases = by_party(cases_of(warehouse, crawl.server.url(APP_LIST_IMAGE)))
    assert sorted(cases) == ["示例文化传媒有限公司", "示例网络科技有限公司"]
    assert cases["示例网络科技有限公司"]["app_name"] == "晴天记账"
    assert cases["示例文化传媒有限公司"]["app_name"] == "快读小说"
    for case in cases.values():
        assert case["title"] == "关于2款App违法违规收集使用个人信息情况的通报"
        assert case["regulator"] == "国家互联网信息办公室"
        assert case["province"] is None
        assert str(case["publish_date"]) == "2026-06-11"
        assert case["outcome_types"] == ["rectification_order", "public_notice"]
