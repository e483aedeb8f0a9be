"""NFRA spider against a local copy of the 行政处罚 JSON API: paging, details, a PDF attachment, retries."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import quote

import duckdb
import pytest
import yaml
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import SimpleDocTemplate, Table, TableStyle

from scrapers.archive import CrawlArchive
from scrapers.spiders.nfra import NfraSpider
from tests.scrapers.conftest import FIXTURES, CrawlResult, run_crawl, run_load, write_config
from tests.scrapers.header_server import HeaderRecordingServer
from tests.scrapers.server import FixtureServer

PAGES = FIXTURES / "nfra"
JSON = "application/json;charset=UTF-8"
PAGE_SIZE = 2
LIST_API = "/cbircweb/DocInfo/SelectDocByItemIdAndChild"
PDF_PATH = "/cn/static/data/DocInfo/pdf/1003.pdf"
ITEMS = {
    4113: {"id": 4113, "name": "总局机关", "issuer": "国家金融监督管理总局"},
    4114: {"id": 4114, "name": "监管局本级", "issuer": ""},
    4115: {"id": 4115, "name": "监管分局本级", "issuer": ""},
}


def list_path(item_id: int, page: int) -> str:
    return f"{LIST_API}?itemId={item_id}&pageSize={PAGE_SIZE}&pageIndex={page}"


def detail_path(doc_id: int) -> str:
    return f"/cn/static/data/DocInfo/SelectByDocId/data_docId={doc_id}.json"


def list_page_url(server: FixtureServer, item_id: int) -> str:
    name = quote(ITEMS[item_id]["name"])
    return server.url(f"/cn/view/pages/ItemList.html?itemPId=923&itemId={item_id}&itemUrl=ItemListRightList.html&itemName={name}")


def pdf_attachment() -> bytes:
    """Build the PDF of docId 1003: a horizontal 行政处罚信息公开表 of two parties that its docClob leaves out."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    rows = [
        ["序号", "当事人名称", "行政处罚决定书文号", "主要违法违规行为", "行政处罚内容", "作出决定机关", "作出决定日期"],
        ["1", "丙财产保险股份有限公司", "金罚决字〔2026〕9号", "未经客户同意向第三方提供投保人个人信息",
         "罚款人民币30万元", "国家金融监督管理总局", "2026年4月2日"],
        ["2", "王芳（时任丙财产保险股份有限公司电话销售中心负责人）", "金罚决字〔2026〕10号", "对上述行为负有直接责任",
         "警告，并处罚款人民币3万元", "国家金融监督管理总局", "2026年4月2日"],
    ]
    table = Table(rows)
    table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), "STSong-Light", 6),
                               ("GRID", (0, 0), (-1, -1), 0.5, colors.black)]))
    buffer = io.BytesIO()
    SimpleDocTemplate(buffer, pagesize=landscape(A4)).build([table])
    return buffer.getvalue()


def nfra_config(server: FixtureServer, item_ids: list[int]) -> dict[str, Any]:
    return {
        "base_url": server.base_url,
        "list_api": LIST_API + "?itemId={item_id}&pageSize={page_size}&pageIndex={page}",
        "page_size": PAGE_SIZE,
        "detail_api": "/cn/static/data/DocInfo/SelectByDocId/data_docId={doc_id}.json",
        "list_page": "/cn/view/pages/ItemList.html?itemPId=923&itemId={item_id}&itemUrl=ItemListRightList.html&itemName={item_name}",
        "detail_page": "/cn/view/pages/ItemDetail.html?docId={doc_id}&itemId={item_id}&generaltype=9",
        "api_headers": {"Accept": "application/json, text/javascript, */*; q=0.01", "X-Requested-With": "XMLHttpRequest"},
        "items": [ITEMS[item_id] for item_id in item_ids],
        "attachment_fields": ["pdfFileUrl"],
        "attachment_list_field": "attachmentInfoVOList",
        "attachment_list_url_key": "urlOtherName",
        "table_markers": ["行政处罚决定书文号", "被处罚当事人", "当事人名称"],
        "max_list_pages": 10,
    }


def build_site(server: FixtureServer, workdir: Path) -> None:
    """Register a complete, healthy copy of the NFRA columns 4113 (two pages) and 4114, and write the config."""
    server.add(list_path(4113, 1), (PAGES / "list_4113_1.json").read_bytes(), JSON)
    server.add(list_path(4113, 2), (PAGES / "list_4113_2.json").read_bytes(), JSON)
    server.add(list_path(4114, 1), (PAGES / "list_4114_1.json").read_bytes(), JSON)
    for doc_id in (1001, 1002, 1003, 2001, 2002):
        server.add(detail_path(doc_id), (PAGES / f"detail_{doc_id}.json").read_bytes(), JSON)
    server.add(PDF_PATH, pdf_attachment(), "application/pdf")
    write_config(workdir / "config", "nfra", nfra_config(server, [4113, 4114]))


@dataclass
class SiteRun:
    server: HeaderRecordingServer
    workdir: Path
    crawl: CrawlResult

    def item(self, path: str) -> dict[str, Any]:
        return self.crawl.by_url(self.server.url(path))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteRun]:
    """One crawl of the healthy site plus column 4115 with a broken detail, and a 503 on docId 2002."""
    server = HeaderRecordingServer().start()
    workdir = tmp_path_factory.mktemp("nfra")
    build_site(server, workdir)
    server.add(list_path(4115, 1), (PAGES / "list_4115_1.json").read_bytes(), JSON)
    server.add(detail_path(3001), (PAGES / "detail_3001_broken.json").read_bytes(), JSON)
    server.add(detail_path(2002), (PAGES / "detail_2002.json").read_bytes(), JSON, fail_first=1)
    write_config(workdir / "config", "nfra", nfra_config(server, [4113, 4114, 4115]))
    yield SiteRun(server, workdir, run_crawl(["nfra"], workdir))
    server.stop()


@pytest.fixture(scope="module")
def cases(site: SiteRun) -> dict[str, dict[str, Any]]:
    """Cases of the module crawl after `eintel load`, by party name."""
    loaded = run_load(site.workdir)
    assert loaded.returncode == 0, loaded.stderr
    with duckdb.connect(str(site.workdir / "eintel.duckdb"), read_only=True) as con:
        con.execute("SELECT * FROM cases WHERE source = 'nfra'")
        columns = [column[0] for column in con.description]
        rows = [dict(zip(columns, row)) for row in con.fetchall()]
    return {row["party_name"]: row for row in rows}


def test_nfra_list_pages_paged(site: SiteRun):
    lists = site.crawl.of_kind("list")
    pages = sorted((item["fields"]["item_id"], item["fields"]["page"]) for item in lists)
    assert pages == [(4113, 1), (4113, 2), (4114, 1), (4115, 1)]
    by_page = {(item["fields"]["item_id"], item["fields"]["page"]): item["fields"] for item in lists}
    assert by_page[(4113, 1)]["entries"] == 2
    assert by_page[(4113, 1)]["total"] == 3
    assert by_page[(4113, 1)]["pages"] == 2
    assert by_page[(4113, 2)]["entries"] == 1
    assert by_page[(4114, 1)]["pages"] == 1
    # A total of 2 with a page size of 2 is one page, so page 2 of item 4114 is never requested.
    assert site.server.hits(LIST_API) == 4


def test_nfra_detail_fields(site: SiteRun):
    item = site.item(detail_path(1001))
    assert item["fields"]["title"] == "国家金融监督管理总局行政处罚信息公开表 （金罚决字〔2026〕3-5号）"
    assert item["fields"]["publish_date"] == "2026-03-20 10:15:00"
    assert item["fields"]["document_number"] == "金罚决字〔2026〕3-5号"
    assert item["fields"]["table_rows"] == 11
    assert item["fields"]["attachments"] == []
    assert item["context"]["item_id"] == 4113
    assert item["context"]["issuer"] == "国家金融监督管理总局"
    assert item["context"]["doc_id"] == "1001"
    assert item["context"]["page_url"] == site.server.url(
        "/cn/view/pages/ItemDetail.html?docId=1001&itemId=4113&generaltype=9")
    assert item["outcome"] == "new"


def test_nfra_word_export_table_counted(site: SiteRun):
    item = site.item(detail_path(1002))
    assert item["fields"]["table_rows"] == 9
    assert item["fields"]["publish_date"] == "2018-06-12 09:30:00"


def test_nfra_pdf_attachment_fetched(site: SiteRun):
    page = site.item(detail_path(1003))
    assert page["fields"]["table_rows"] == 0
    assert page["fields"]["attachments"] == [site.server.url(PDF_PATH)]

    attachment = site.item(PDF_PATH)
    assert attachment["kind"] == "attachment"
    assert attachment["context"]["parent_url"] == site.server.url(detail_path(1003))
    assert attachment["context"]["parent_title"] == "国家金融监督管理总局行政处罚信息公开表 （金罚决字〔2026〕9-10号）"
    assert attachment["context"]["parent_date"] == "2026-04-08 16:00:00"
    assert attachment["context"]["issuer"] == "国家金融监督管理总局"
    assert attachment["context"]["parent_table_rows"] == 0
    assert attachment["size"] > 1000


def test_nfra_retries_503(site: SiteRun):
    item = site.item(detail_path(2002))
    assert item["fields"]["table_rows"] == 8
    assert site.server.hits(detail_path(2002)) == 2


def test_nfra_broken_detail_shape_changed(site: SiteRun):
    item = site.item(detail_path(3001))
    assert "invalid JSON" in item["fields"]["error"]
    with CrawlArchive(site.workdir / "crawl") as archive:
        run = archive.crawl_runs("nfra")[-1]
    assert run["status"] == "shape_changed"
    assert "docId 3001" in run["message"]
    assert site.crawl.returncode == 1
    assert "shape changed" in site.crawl.stderr


def test_nfra_browser_headers_sent(site: SiteRun):
    item_of_doc = {1001: 4113, 1002: 4113, 1003: 4113, 2001: 4114, 2002: 4114, 3001: 4115}
    checked = 0
    for path, headers in site.server.headers:
        if path.startswith(LIST_API):
            item_id = int(path.split("itemId=")[1].split("&")[0])
        elif path.startswith("/cn/static/data/DocInfo/SelectByDocId/"):
            item_id = item_of_doc[int(path.split("data_docId=")[1].removesuffix(".json"))]
        else:
            continue
        checked += 1
        assert headers["referer"] == list_page_url(site.server, item_id), path
        assert headers["x-requested-with"] == "XMLHttpRequest", path
        assert headers["accept"].startswith("application/json"), path
        assert headers["accept-language"].startswith("zh-CN"), path
    # Four list pages, six details and the retry of docId 2002.
    assert checked == 11


def test_nfra_pdf_referer_is_detail_page(site: SiteRun):
    [(_, headers)] = [(path, headers) for path, headers in site.server.headers if path == PDF_PATH]
    assert headers["referer"] == site.server.url("/cn/view/pages/ItemDetail.html?docId=1003&itemId=4113&generaltype=9")


def test_nfra_cases_per_party(cases: dict[str, dict[str, Any]]):
    assert sorted(cases) == sorted([
        "甲银行股份有限公司", "李某", "张某", "乙信托有限责任公司", "丙财产保险股份有限公司", "王某",
        "丁消费金融有限公司", "陈某",
    ])


@pytest.mark.parametrize(
    ("party", "number", "fine", "decision_date", "publish_date"),
    [
        ("甲银行股份有限公司", "金罚决字〔2026〕3号", Decimal("500000"), "2026-03-12", "2026-03-20"),
        ("李某", "金罚决字〔2026〕4号", Decimal("50000"), "2026-03-12", "2026-03-20"),
        ("张某", "金罚决字〔2026〕5号", None, "2026-03-12", "2026-03-20"),
        ("乙信托有限责任公司", "银监罚决字〔2018〕7号", Decimal("400000"), "2018-05-28", "2018-06-12"),
        ("丙财产保险股份有限公司", "金罚决字〔2026〕9号", Decimal("300000"), "2026-04-02", "2026-04-08"),
        ("王某", "金罚决字〔2026〕10号", Decimal("30000"), "2026-04-02", "2026-04-08"),
        ("丁消费金融有限公司", "粤金罚决字〔2026〕15号", Decimal("800000"), "2026-02-26", "2026-03-02"),
        ("陈某", "浙金罚决字〔2026〕21号", Decimal("100000"), "2026-02-10", "2026-02-16"),
    ],
)
def test_nfra_case_fields(cases, party, number, fine, decision_date, publish_date):
    case = cases[party]
    assert case["decision_number"] == number
    assert case["fine_cny"] == fine
    assert str(case["decision_date"]) == decision_date
    assert str(case["publish_date"]) == publish_date


@pytest.mark.parametrize(
    ("party", "regulator", "level", "province"),
    [
        ("甲银行股份有限公司", "国家金融监督管理总局", "national", None),
        ("乙信托有限责任公司", "国家金融监督管理总局", "national", None),
        ("丙财产保险股份有限公司", "国家金融监督管理总局", "national", None),
        ("丁消费金融有限公司", "国家金融监督管理总局广东监管局", "provincial", "广东省"),
        ("陈某", "国家金融监督管理总局浙江监管局", "provincial", "浙江省"),
    ],
)
def test_nfra_case_regulators(cases, party, regulator, level, province):
    case = cases[party]
    assert case["regulator"] == regulator
    assert case["regulator_family"] == "NFRA"
    assert case["regulator_level"] == level
    assert case["province"] == province


def test_nfra_case_outcomes_per_party(cases):
    assert cases["甲银行股份有限公司"]["outcome_types"] == ["fine"]
    assert "warning" in cases["李某"]["outcome_types"]
    assert "fine" in cases["李某"]["outcome_types"]
    assert cases["张某"]["outcome_types"] == ["warning"]
    assert cases["张某"]["party_type"] == "individual"


def test_nfra_case_legal_bases(cases):
    bank = cases["甲银行股份有限公司"]["legal_bases"]
    assert {"law": "银行业监督管理法", "article": 46, "clause": ""} in bank
    assert {"law": "银行业监督管理法", "article": 21, "clause": ""} in bank
    assert cases["陈某"]["legal_bases"] == [{"law": "银行业监督管理法", "article": 48, "clause": ""}]


def test_nfra_case_text_masks_staff(cases):
    text = cases["甲银行股份有限公司"]["text"]
    assert "李某、张某" in text
    assert "李明" not in text
    # The bank's case keeps only the clause that names the bank.
    assert "行政处罚决定：对甲银行股份有限公司罚款人民币50万元\n" in text


def test_nfra_broken_detail_marked_empty(site: SiteRun, cases):
    with duckdb.connect(str(site.workdir / "eintel.duckdb"), read_only=True) as con:
        status = con.execute("SELECT parse_status FROM raw_documents WHERE url = ?",
                             [site.server.url(detail_path(3001))]).fetchone()
    assert status == ("empty",)


def test_nfra_empty_first_list(tmp_path: Path):
    server = FixtureServer().start()
    try:
        server.add(list_path(4113, 1), (PAGES / "list_empty.json").read_bytes(), JSON)
        write_config(tmp_path / "config", "nfra", nfra_config(server, [4113]))
        crawl = run_crawl(["nfra"], tmp_path)
    finally:
        server.stop()
    with CrawlArchive(tmp_path / "crawl") as archive:
        run = archive.crawl_runs("nfra")[-1]
    assert run["status"] == "shape_changed"
    assert "first list page of item 4113" in run["message"]
    assert "total 0" in run["message"]
    assert crawl.returncode == 1
    assert "WARNING" in crawl.stderr
    assert crawl.of_kind("detail") == []


def test_nfra_healthy_site_rerun(tmp_path: Path):
    server = FixtureServer().start()
    try:
        build_site(server, tmp_path)
        first = run_crawl(["nfra"], tmp_path)
        second = run_crawl(["nfra"], tmp_path)
    finally:
        server.stop()
    with CrawlArchive(tmp_path / "crawl") as archive:
        runs = archive.crawl_runs("nfra")
    assert first.returncode == 0, first.stderr
    assert runs[0]["status"] == "ok"
    assert runs[0]["new_items"] == 6
    assert len(first.of_kind("detail")) == 5
    assert len(first.of_kind("attachment")) == 1

    assert second.returncode == 0, second.stderr
    assert runs[1]["status"] == "ok"
    assert runs[1]["new_items"] == 0
    assert second.of_kind("detail") == []
    # Page 1 of each item lists only entries that the finished first run archived.
    assert sorted((item["fields"]["item_id"], item["fields"]["page"]) for item in second.of_kind("list")) == [
        (4113, 1), (4114, 1)]


def test_nfra_build_site_config(tmp_path: Path):
    server = FixtureServer()
    build_site(server, tmp_path)
    config = yaml.safe_load((tmp_path / "config" / "nfra.yaml").read_text(encoding="utf-8"))
    assert config["base_url"] == server.base_url
    assert [item["id"] for item in config["items"]] == [4113, 4114]
    assert list_path(4113, 2) in server.routes
    assert PDF_PATH in server.routes


def test_nfra_shipped_config_requests():
    spider = NfraSpider()
    requests = list(spider.initial_requests())

    assert [request.url for request in requests] == [
        f"https://www.nfra.gov.cn{LIST_API}?itemId={item_id}&pageSize=20&pageIndex=1" for item_id in (4113, 4114, 4115)
    ]
    referer = requests[0].headers.get("Referer").decode()
    assert referer.startswith("https://www.nfra.gov.cn/cn/view/pages/ItemList.html?itemPId=923&itemId=4113")
    assert requests[0].meta["eintel"]["headers"]["Referer"] == referer
    assert requests[0].meta["eintel"]["context"]["issuer"] == "国家金融监督管理总局"
