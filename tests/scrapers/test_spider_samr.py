"""SAMR spider against local copies of decision columns: JPaaS paging, 公开表, masked and bundled decisions."""

from __future__ import annotations

import io
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import docx
import duckdb
import pytest
import yaml

from scrapers.archive import CrawlArchive
from scrapers.base import SPIDER_DIR
from scrapers.jpaas import find_unit_query
from tests.scrapers.conftest import FIXTURES, run_crawl, run_load, write_config
from tests.scrapers.server import FixtureServer

PAGES = FIXTURES / "samr"
HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

HQ_COLUMN = "/fldes/tzgg/xzcf/index.html"
LOCAL_COLUMN = "/zwgk/xzcf/index.html"
HQ_PAGE_SIZE = 2
LOCAL_PAGE_SIZE = 20

DOCX_PAGE = "/fldes/tzgg/xzcf/art/2026/art_a1c3e5a7c9e1a3c5e7a9c1e3a5c7e9a1.html"
RETRY_PAGE = "/fldes/tzgg/xzcf/art/2026/art_b2d4f6b8d0f2b4d6f8b0d2f4b6d8f0b2.html"
BROKEN_PAGE = "/fldes/tzgg/xzcf/art/2026/art_c3e5a7c9e1a3c5e7a9c1e3a5c7e9a1c3.html"
TABLE_PAGE = "/zwgk/xzcf/art/2026/art_d4f6b8d0f2b4d6f8b0d2f4b6d8f0b2d4.html"
MASKED_PAGE = "/zwgk/xzcf/art/2026/art_e5a7c9e1a3c5e7a9c1e3a5c7e9a1c3e5.html"
BUNDLE_PAGE = "/zwgk/xzcf/art/2026/art_f6b8d0f2b4d6f8b0d2f4b6d8f0b2d4f6.html"
DOCX_FILE = "/cms_files/filemanager/samr/www/samrnew/fldes/202607/gsjcf-2026-5.docx"

HQ_ISSUER = "国家市场监督管理总局"
LOCAL_ISSUER = "青岛市黄岛区市场监督管理局"


def decision_docx() -> bytes:
    """Full text of a decision on personal information of consumers, as a DOCX."""
    document = docx.Document()
    for line in [
        "国家市场监督管理总局",
        "行政处罚决定书",
        "国市监处罚〔2026〕5号",
        "当事人：北京数联信息服务有限公司",
        "统一社会信用代码：91110108MA0******K",
        "法定代表人：张伟",
        "2026年3月，本局依法对当事人涉嫌侵害消费者个人信息的行为立案调查。",
        "经查，当事人在提供会员服务过程中，未经消费者同意收集、使用消费者个人信息，并向第三方提供消费者个人信息。",
        "上述行为违反了《中华人民共和国消费者权益保护法》第二十九条第一款的规定。",
        "依据《中华人民共和国消费者权益保护法》第五十六条第一款第（九）项的规定，本局决定如下：",
        "一、责令当事人改正违法行为；",
        "二、没收违法所得12.6万元；",
        "三、罚款人民币50万元。",
        "当事人应当自收到本行政处罚决定书之日起十五日内缴纳罚没款。",
        "国家市场监督管理总局",
        "2026年7月10日",
    ]:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def unit_route(column_file: str, column_path: str, page: int, page_size: int) -> str:
    """Path and query of a unit page as the spider requests it (the routes are keyed by both)."""
    query = find_unit_query((PAGES / column_file).read_text(encoding="utf-8"), "http://127.0.0.1" + column_path)
    parts = urlsplit(query.page_url(page, page_size))
    return f"{parts.path}?{parts.query}"


def write_samr_config(server: FixtureServer, workdir: Path, sites: list[dict]) -> None:
    config = yaml.safe_load((SPIDER_DIR / "samr.yaml").read_text(encoding="utf-8"))
    config["sites"] = sites
    config["page_size"] = HQ_PAGE_SIZE
    config["max_list_pages"] = 10
    write_config(workdir / "config", "samr", config)


def site_entries(server: FixtureServer) -> list[dict]:
    return [
        {"id": "samr_xzcf", "name": "市场监管总局 行政处罚决定", "issuer": HQ_ISSUER, "province": "",
         "list_url": server.url(HQ_COLUMN)},
        {"id": "qingdao_huangdao", "name": LOCAL_ISSUER, "issuer": LOCAL_ISSUER, "province": "山东省",
         "list_url": server.url(LOCAL_COLUMN), "page_size": LOCAL_PAGE_SIZE, "title_keywords": ["处罚", "决定书"]},
    ]


def serve_site(server: FixtureServer, workdir: Path, with_faults: bool) -> None:
    server.add(HQ_COLUMN, (PAGES / "column_xzcf.html").read_bytes(), HTML)
    server.add(unit_route("column_xzcf.html", HQ_COLUMN, 1, HQ_PAGE_SIZE), (PAGES / "unit_xzcf_1.json").read_bytes(), JSON)
    server.add(unit_route("column_xzcf.html", HQ_COLUMN, 2, HQ_PAGE_SIZE), (PAGES / "unit_xzcf_2.json").read_bytes(), JSON)
    server.add(LOCAL_COLUMN, (PAGES / "column_local.html").read_bytes(), HTML)
    server.add(unit_route("column_local.html", LOCAL_COLUMN, 1, LOCAL_PAGE_SIZE),
               (PAGES / "unit_local_1.json").read_bytes(), JSON)

    server.add(DOCX_PAGE, (PAGES / "decision_docx.html").read_bytes(), HTML)
    server.add(DOCX_FILE, decision_docx(), DOCX)
    # The first request of this page gets a 503 in the faulty site; the retry gets the page.
    server.add(RETRY_PAGE, (PAGES / "decision_retry.html").read_bytes(), HTML, fail_first=1 if with_faults else 0)
    broken = (PAGES / "decision_broken.html") if with_faults else (PAGES / "decision_retry.html")
    server.add(BROKEN_PAGE, broken.read_text(encoding="utf-8").replace("〔2026〕4号", "〔2026〕2号"), HTML)
    for path, name in ((TABLE_PAGE, "decision_table"), (MASKED_PAGE, "decision_masked"), (BUNDLE_PAGE, "decision_bundle")):
        server.add(path, (PAGES / f"{name}.html").read_bytes(), HTML)
    write_samr_config(server, workdir, site_entries(server))


def build_site(server: FixtureServer, workdir: Path) -> None:
    """Register the routes of a complete, healthy SAMR fixture site and write its config."""
    serve_site(server, workdir, with_faults=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    """One crawl of the fixture site with a 503 and a broken page, shared by the tests below."""
    server = FixtureServer().start()
    workdir = tmp_path_factory.mktemp("samr")
    serve_site(server, workdir, with_faults=True)
    crawled = run_crawl(["samr"], workdir)
    yield server, workdir, crawled
    server.stop()


def unit_items(crawled, site_id: str) -> list[dict]:
    return [item for item in crawled.of_kind("list")
            if item["context"]["site"] == site_id and "page" in item["fields"]]


def test_samr_unit_pages_paged(site):
    server, _, crawled = site
    pages = unit_items(crawled, "samr_xzcf")
    assert [item["fields"]["page"] for item in pages] == [1, 2]
    assert [item["fields"]["entries"] for item in pages] == [2, 1]
    assert pages[0]["fields"]["total"] == 3
    hq_requests = [parse_qs(urlsplit(request.path).query) for request in server.requests
                   if "pageId=dedefc44460a4338ac649d95f0ed8023" in request.path]
    assert sorted(json.loads(params["paramJson"][0])["pageNo"] for params in hq_requests) == [1, 2]


def test_samr_local_list_dates(site):
    server, _, crawled = site
    local = unit_items(crawled, "qingdao_huangdao")[0]
    assert local["fields"]["entries"] == 3
    assert local["fields"]["pages"] == 1
    assert crawled.by_url(server.url(BUNDLE_PAGE))["context"]["list_date"] == "2026-08-05"


def test_samr_public_table_fields(site):
    server, _, crawled = site
    item = crawled.by_url(server.url(TABLE_PAGE))
    assert item["fields"]["title"] == "青岛海润网络科技有限公司侵害消费者个人信息案行政处罚信息公开表"
    assert item["fields"]["date"] == "2026-05-12"
    assert item["fields"]["issuer"] == LOCAL_ISSUER
    assert item["fields"]["decision_tables"] == 1
    assert item["fields"]["table_rows"] == 11
    assert item["fields"]["masked"] is True
    assert item["context"]["province"] == "山东省"


def test_samr_masked_decision_fields(site):
    server, _, crawled = site
    item = crawled.by_url(server.url(MASKED_PAGE))
    assert item["fields"]["decision_numbers"] == ["青黄市监罚〔2026〕1518号"]
    assert item["fields"]["masked"] is True
    assert item["fields"]["decision_tables"] == 0


def test_samr_bundle_fields(site):
    server, _, crawled = site
    item = crawled.by_url(server.url(BUNDLE_PAGE))
    assert item["fields"]["decision_numbers"] == ["青黄市监罚送告〔2026〕8020-8024号"]
    assert item["fields"]["table_rows"] == 6


def test_samr_docx_attachment(site):
    server, _, crawled = site
    page = crawled.by_url(server.url(DOCX_PAGE))
    assert page["fields"]["attachments"] == [server.url(DOCX_FILE)]
    attachment = crawled.by_url(server.url(DOCX_FILE))
    assert attachment["kind"] == "attachment"
    assert attachment["context"]["parent_url"] == server.url(DOCX_PAGE)
    assert attachment["context"]["parent_title"] == "国家市场监督管理总局行政处罚决定书（国市监处罚〔2026〕5号）"
    assert attachment["context"]["parent_date"] == "2026-07-14"
    assert attachment["context"]["issuer"] == HQ_ISSUER


def test_samr_retries_503(site):
    server, _, crawled = site
    item = crawled.by_url(server.url(RETRY_PAGE))
    assert item["fields"]["decision_numbers"] == ["国市监处罚〔2026〕4号"]
    assert server.hits(RETRY_PAGE) == 2


def test_samr_broken_page_shape_changed(site):
    server, workdir, crawled = site
    item = crawled.by_url(server.url(BROKEN_PAGE))
    assert item["fields"]["title"] == "国家市场监督管理总局行政处罚决定书（国市监处罚〔2026〕2号）"
    with CrawlArchive(workdir / "crawl") as archive:
        run = archive.crawl_runs("samr")[-1]
    assert run["status"] == "shape_changed"
    assert "art_c3e5a7c9e1a3c5e7a9c1e3a5c7e9a1c3" in run["message"]
    assert crawled.returncode == 1
    assert "shape changed" in crawled.stderr


def test_samr_empty_list_shape_changed(server: FixtureServer, tmp_path: Path):
    server.add(LOCAL_COLUMN, (PAGES / "column_local.html").read_bytes(), HTML)
    server.add(unit_route("column_local.html", LOCAL_COLUMN, 1, LOCAL_PAGE_SIZE), (PAGES / "unit_empty.json").read_bytes(), JSON)
    write_samr_config(server, tmp_path, site_entries(server)[1:])

    crawled = run_crawl(["samr"], tmp_path)
    with CrawlArchive(tmp_path / "crawl") as archive:
        run = archive.crawl_runs("samr")[-1]
    assert run["status"] == "shape_changed"
    assert "first list page of qingdao_huangdao has no entries" in run["message"]
    assert "WARNING" in crawled.stderr
    assert crawled.returncode == 1


def test_samr_crawl_load_cases(server: FixtureServer, tmp_path: Path):
    build_site(server, tmp_path)
    crawled = run_crawl(["samr"], tmp_path)
    assert crawled.returncode == 0, crawled.stderr

    loaded = run_load(tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    with duckdb.connect(str(tmp_path / "eintel.duckdb"), read_only=True) as con:
        rows = con.execute(
            "SELECT decision_number, party_name, regulator, province, fine_cny, confiscation_cny, outcome_types, "
            "violation_types, decision_date, publish_date, source_url, domain FROM cases WHERE source = 'samr'"
        ).fetchall()
        runs = con.execute("SELECT status FROM crawl_runs WHERE source = 'samr'").fetchall()
    cases = {row[0]: row for row in rows}

    # The 行政处罚信息公开表 of a consumer personal-information case.
    table = cases["青黄市监罚〔2026〕1234号"]
    assert table[1] == "青岛海润网络科技有限公司"
    assert table[2] == LOCAL_ISSUER
    assert table[3] == "山东省"
    assert table[4] == 50000
    assert table[6] == ["warning", "fine"]
    assert "consumer_personal_info" in table[7]
    assert str(table[8]) == "2026-05-08"
    assert str(table[9]) == "2026-05-12"
    assert table[11] == "data_protection"

    # The full decision whose party is masked as published.
    masked = cases["青黄市监罚〔2026〕1518号"]
    assert masked[1] == "***网络科技有限公司"
    assert masked[4] == 30000
    assert "rectification_order" in masked[6]
    assert str(masked[8]) == "2026-04-18"

    # The bundle notice: one case per party, numbered from the title's range in order.
    bundle = [cases[f"青黄市监罚送告〔2026〕{serial}号"] for serial in range(8020, 8025)]
    assert [row[1] for row in bundle] == ["青岛蓝湾贸易有限公司", "青岛东港物流有限公司", "青岛海岸餐饮管理有限公司",
                                          "青岛云帆信息技术有限公司", "青岛启航电子商务有限公司"]
    assert bundle[2][4] == 3000
    assert bundle[2][5] == 800
    assert "consumer_personal_info" in bundle[3][7]
    assert bundle[4][4] is None
    assert bundle[4][6] == ["warning"]

    # The DOCX attachment of a SAMR decision, with the page's title and date.
    decision = cases["国市监处罚〔2026〕5号"]
    assert decision[1] == "北京数联信息服务有限公司"
    assert decision[2] == HQ_ISSUER
    assert decision[3] is None
    assert decision[4] == 500000
    assert decision[5] == 126000
    assert decision[10] == server.url(DOCX_FILE)
    assert str(decision[8]) == "2026-07-10"
    assert str(decision[9]) == "2026-07-14"
    assert "consumer_personal_info" in decision[7]

    # The healthy site serves the 503 page's decision under both HQ links.
    assert cases["国市监处罚〔2026〕4号"][4] == 17124000
    assert cases["国市监处罚〔2026〕2号"][1] == "江苏康达医药有限公司"
    assert len(rows) == 10
    assert runs == [("ok",)]
