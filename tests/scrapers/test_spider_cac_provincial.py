"""Provincial CAC spider against two offices' sites on one loopback server: Beijing and Zhejiang."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import docx
import duckdb
import pytest
import yaml

from scrapers.archive import CrawlArchive
from scrapers.base import SPIDER_DIR, ConfigError
from scrapers.spiders.cac_provincial import CacProvincialSpider
from tests.scrapers.conftest import (
    FIXTURES,
    CrawlResult,
    run_crawl,
    run_load,
    write_config,
)
from tests.scrapers.server import FixtureServer

PAGES = FIXTURES / "cac_provincial"
BJ_LIST = "/bjwx/wxzf/index.html"
BJ_LIST_2 = "/bjwx/wxzf/index_1.html"
BJ_ROUNDUP = "/bjwx/2026-08/12/c_1790000000000101.htm"
BJ_DECISION = "/bjwx/2026-06/30/c_1790000000000102.htm"
ZJ_LIST = "/zjwx/col/col1673581/index.html"
ZJ_ROUNDUP = "/zjwx/art/2026/8/20/art_1673581_58912345.html"
ZJ_APP_NOTICE = "/zjwx/art/2026/7/8/art_1673581_58900001.html"
ZJ_APP_LIST = "/zjwx/attach/0/app-list-2026-07.docx"

ZJ_APPS = [
    ["序号", "App名称", "运营者", "存在问题"],
    ["1", "示例优选", "示例电子商务有限公司", "未公开收集使用规则；未提供注销账号功能"],
    ["2", "示例出行助手", "示例出行服务有限公司", "超范围收集个人信息"],
    ["3", "示例学习通", "示例教育咨询有限公司", "未经同意向他人提供个人信息"],
]


def app_list_docx() -> bytes:
    """Build the Zhejiang notice's app list as a DOCX table."""
    document = docx.Document()
    document.add_paragraph("App名单")
    table = document.add_table(rows=len(ZJ_APPS), cols=len(ZJ_APPS[0]))
    for row_cells, values in zip(table.rows, ZJ_APPS):
        for cell, value in zip(row_cells.cells, values):
            cell.text = value
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def spider_config(server: FixtureServer) -> dict[str, Any]:
    """The shipped cac_provincial.yaml with Beijing's and Zhejiang's columns on the local server."""
    config = yaml.safe_load((SPIDER_DIR / "cac_provincial.yaml").read_text(encoding="utf-8"))
    list_urls = {"beijing": server.url(BJ_LIST), "zhejiang": server.url(ZJ_LIST)}
    for site in config["sites"]:
        site["list_url"] = list_urls.get(site["id"])
    config["max_list_pages"] = 10
    return config


def build_site(server: FixtureServer, workdir: Path) -> None:
    """Register the Beijing (/bjwx/) and Zhejiang (/zjwx/) sites and write the config. The other offices stay unset."""
    html = "text/html; charset=utf-8"
    server.add(BJ_LIST, (PAGES / "bj_list_1.html").read_bytes(), html)
    server.add(BJ_LIST_2, (PAGES / "bj_list_2.html").read_bytes(), html)
    server.add(BJ_ROUNDUP, (PAGES / "bj_roundup.html").read_bytes(), html)
    server.add(BJ_DECISION, (PAGES / "bj_decision.html").read_bytes(), html)
    server.add(ZJ_LIST, (PAGES / "zj_list.html").read_bytes(), html)
    server.add(ZJ_ROUNDUP, (PAGES / "zj_roundup.html").read_bytes(), html)
    server.add(ZJ_APP_NOTICE, (PAGES / "zj_app_notice.html").read_bytes(), html)
    server.add(ZJ_APP_LIST, app_list_docx(),
               "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    write_config(workdir / "config", "cac_provincial", spider_config(server))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    server = FixtureServer().start()
    workdir = tmp_path_factory.mktemp("cac_provincial")
    build_site(server, workdir)
    yield server, workdir
    server.stop()


@pytest.fixture(scope="module")
def crawled(site) -> CrawlResult:
    _server, workdir = site
    return run_crawl(["cac_provincial"], workdir)


@pytest.fixture(scope="module")
def warehouse(site, crawled: CrawlResult) -> Path:
    _server, workdir = site
    loaded = run_load(workdir)
    assert loaded.returncode == 0, loaded.stderr
    return workdir / "eintel.duckdb"


def cases_of(database: Path, url: str) -> dict[str | None, dict[str, Any]]:
    with duckdb.connect(str(database), read_only=True) as con:
        cursor = con.execute("SELECT * FROM cases WHERE source_url = ?", [url])
        columns = [column[0] for column in cursor.description]
        rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
    return {row["party_name"]: row for row in rows}


# Crawl ------------------------------------------------------------------------------------


def test_provincial_run_ok(site, crawled: CrawlResult):
    _server, workdir = site
    with CrawlArchive(workdir / "crawl") as archive:
        run = archive.crawl_runs("cac_provincial")[-1]
    assert crawled.returncode == 0, crawled.stderr
    assert run["status"] == "ok"
    assert run["errors"] == 0
    # The offices without a list_url are reported, not requested.
    assert "Site shanghai of source cac_provincial has no list_url" in crawled.stderr


def test_provincial_list_pages_per_site(crawled: CrawlResult):
    pages = sorted((item["fields"]["site"], item["fields"]["page"], item["fields"]["entries"])
                   for item in crawled.of_kind("list"))
    # Beijing pages by its 「下一页」 link, whose javascript: href on page 2 ends paging.
    assert pages == [("beijing", 1, 1), ("beijing", 2, 1), ("zhejiang", 1, 2)]


def test_provincial_contexts_name_province(site, crawled: CrawlResult):
    server, _workdir = site
    beijing = crawled.by_url(server.url(BJ_ROUNDUP))
    zhejiang = crawled.by_url(server.url(ZJ_ROUNDUP))
    assert beijing["context"]["province"] == "北京市"
    assert beijing["context"]["site_name"] == "北京市互联网信息办公室"
    assert zhejiang["context"]["province"] == "浙江省"
    assert zhejiang["context"]["list_date"] == "2026-08-20"


def test_provincial_site_selectors(site, crawled: CrawlResult):
    server, _workdir = site
    beijing = crawled.by_url(server.url(BJ_DECISION))
    assert beijing["fields"]["title"] == "北京市网信办依法对示例地图科技有限公司作出行政处罚"
    assert beijing["fields"]["date"] == "2026-06-30"
    assert beijing["fields"]["issuer"] == "北京日报"
    assert beijing["fields"]["content_xpath"] == "//*[@id='BodyLabel']"

    zhejiang = crawled.by_url(server.url(ZJ_ROUNDUP))
    assert zhejiang["fields"]["title"] == "浙江省网信办公布一批网络数据安全执法典型案例"
    assert zhejiang["fields"]["issuer"] == "浙江省委网信办"
    assert zhejiang["fields"]["content_xpath"] == "//div[@id='zoom']"


def test_provincial_docx_attachment(site, crawled: CrawlResult):
    server, _workdir = site
    notice = crawled.by_url(server.url(ZJ_APP_NOTICE))
    assert notice["fields"]["attachments"] == [server.url(ZJ_APP_LIST)]
    attachment = crawled.by_url(server.url(ZJ_APP_LIST))
    assert attachment["kind"] == "attachment"
    assert attachment["context"]["attachment_kind"] == "document"
    assert attachment["context"]["parent_title"] == "浙江省网信办关于3款App违法违规收集使用个人信息情况的通报"
    assert attachment["context"]["province"] == "浙江省"
    assert attachment["size"] > 1000


def test_provincial_site_needs_province(tmp_path: Path):
    config = {
        "defaults": yaml.safe_load((SPIDER_DIR / "cac_provincial.yaml").read_text(encoding="utf-8"))["defaults"],
        "sites": [{"id": "hainan", "name": "海南省互联网信息办公室", "list_url": "http://127.0.0.1/list.htm"}],
    }
    path = write_config(tmp_path, "cac_provincial", config)
    with pytest.raises(ConfigError, match="site hainan .* needs a province"):
        CacProvincialSpider(config=str(path))


# Crawl → load → cases -----------------------------------------------------------------------


def test_provincial_beijing_roundup_cases(site, warehouse: Path):
    server, _workdir = site
    cases = cases_of(warehouse, server.url(BJ_ROUNDUP))
    assert sorted(cases) == ["示例外卖科技有限公司", "示例影音文化传媒有限公司", "示例房产经纪有限公司"]
    assert cases["示例外卖科技有限公司"]["fine_cny"] == 200000
    assert cases["示例外卖科技有限公司"]["outcome_types"] == ["warning", "fine"]
    assert cases["示例房产经纪有限公司"]["fine_cny"] is None
    assert cases["示例房产经纪有限公司"]["outcome_types"] == ["rectification_order", "interview"]
    assert cases["示例影音文化传媒有限公司"]["fine_cny"] == 50000
    assert cases["示例影音文化传媒有限公司"]["legal_bases"] == [{"law": "个人信息保护法", "article": 66, "clause": ""}]
    for case in cases.values():
        assert case["province"] == "北京市"
        assert case["regulator"] == "北京市互联网信息办公室"
        assert case["regulator_level"] == "provincial"
        assert case["regulator_family"] == "CAC"


def test_provincial_beijing_decision_case(site, warehouse: Path):
    server, _workdir = site
    cases = cases_of(warehouse, server.url(BJ_DECISION))
    assert sorted(cases) == ["示例地图科技有限公司"]
    case = cases["示例地图科技有限公司"]
    assert case["fine_cny"] == 1000000
    assert case["outcome_types"] == ["warning", "fine"]
    # The issuer is a newspaper, so the regulator comes from the office the text names.
    assert case["regulator"] == "北京市互联网信息办公室"
    assert case["province"] == "北京市"
    assert str(case["publish_date"]) == "2026-06-30"


def test_provincial_zhejiang_roundup_cases(site, warehouse: Path):
    server, _workdir = site
    cases = cases_of(warehouse, server.url(ZJ_ROUNDUP))
    assert sorted(cases) == ["示例物流信息技术有限公司", "示例直播科技有限公司", "示例网络科技有限公司"]
    assert cases["示例直播科技有限公司"]["regulator"] == "杭州市互联网信息办公室"
    assert cases["示例直播科技有限公司"]["fine_cny"] == 30000
    assert cases["示例物流信息技术有限公司"]["regulator"] == "宁波市互联网信息办公室"
    assert cases["示例物流信息技术有限公司"]["outcome_types"] == ["rectification_order", "interview"]
    assert cases["示例网络科技有限公司"]["regulator"] == "温州市互联网信息办公室"
    assert cases["示例网络科技有限公司"]["fine_cny"] == 80000
    assert cases["示例网络科技有限公司"]["confiscation_cny"] == 12000
    for case in cases.values():
        assert case["province"] == "浙江省"
        assert case["regulator_level"] == "municipal"


def test_provincial_docx_app_cases(site, warehouse: Path):
    server, _workdir = site
    cases = cases_of(warehouse, server.url(ZJ_APP_LIST))
    assert sorted(cases) == ["示例出行服务有限公司", "示例教育咨询有限公司", "示例电子商务有限公司"]
    shop = cases["示例电子商务有限公司"]
    assert shop["app_name"] == "示例优选"
    assert shop["violation_types"] == ["undisclosed_rules", "account_deletion"]
    for case in cases.values():
        assert case["province"] == "浙江省"
        assert case["regulator"] == "浙江省互联网信息办公室"
        assert case["outcome_types"] == ["rectification_order", "public_notice"]
        assert str(case["publish_date"]) == "2026-07-08"

    notice = cases_of(warehouse, server.url(ZJ_APP_NOTICE))
    assert list(notice) == [None]
    assert notice[None]["province"] == "浙江省"
