"""CSRC spider against a local copy of the 行政处罚决定 search API: paging, decision pages, a DOCX attachment."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import docx
import duckdb
import pytest
import yaml

from scrapers.archive import CrawlArchive
from scrapers.spiders.csrc import CsrcSpider
from tests.scrapers.conftest import FIXTURES, CrawlResult, run_crawl, run_load, write_config
from tests.scrapers.header_server import HeaderRecordingServer
from tests.scrapers.server import FixtureServer

PAGES = FIXTURES / "csrc"
JSON = "application/json;charset=UTF-8"
HTML = "text/html; charset=utf-8"
PAGE_SIZE = 2
HQ_CHANNEL = "17d5ff2fe43e488dba825807ae40d63f"
BEIJING_CHANNEL = "53be9cf2273744cda5c5780e0dded972"
DOCX_PATH = "/csrc/c101928/c7001004/files/decision-2026-27.docx"
BROKEN_PATH = "/beijing/c103649/c7002002/content.shtml"
CHANNELS = {
    "hq": {"id": "hq", "name": "中国证监会 行政处罚决定", "channel_id": HQ_CHANNEL, "issuer": "中国证券监督管理委员会",
           "list_page": f"/csrc/c101925/zfxxgk_zdgk.shtml?channelid={HQ_CHANNEL}"},
    "beijing": {"id": "beijing", "name": "北京证监局 行政处罚决定", "channel_id": BEIJING_CHANNEL,
                "issuer": "中国证券监督管理委员会北京监管局", "list_page": "/beijing/"},
}


def search_path(channel_id: str, page: int) -> str:
    return f"/searchList/{channel_id}?_isAgg=true&_isJson=true&_pageSize={PAGE_SIZE}&_template=index&page={page}"


def page_path(page_id: str) -> str:
    return f"/csrc/c101928/{page_id}/content.shtml"


def docx_attachment() -> bytes:
    """Build the Word file that page c7001004 only links: a decision against one company."""
    document = docx.Document()
    for line in [
        "中国证监会行政处罚决定书（丁投资咨询有限公司）",
        "〔2026〕27号",
        "当事人：丁投资咨询有限公司，住所：深圳市福田区。",
        "依据《中华人民共和国证券法》（以下简称《证券法》）的有关规定，我会对丁投资咨询有限公司违法行为进行了立案调查、审理。",
        "经查明，丁投资咨询有限公司未经许可向客户提供证券投资咨询服务，并将客户身份信息提供给合作方。",
        "依据《证券法》第二百零二条的规定，我会决定：对丁投资咨询有限公司责令改正，没收违法所得30万元，并处以90万元罚款。",
        "当事人如果对本处罚决定不服，可在收到本处罚决定书之日起60日内向中国证券监督管理委员会申请行政复议。",
        "中国证监会",
        "2026年2月10日",
    ]:
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def csrc_config(server: FixtureServer, channels: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "base_url": server.base_url,
        "search_api": "/searchList/{channel_id}?_isAgg=true&_isJson=true&_pageSize={page_size}&_template=index&page={page}",
        "page_size": PAGE_SIZE,
        "channels": channels,
        "api_headers": {"Accept": "application/json, text/javascript, */*; q=0.01", "X-Requested-With": "XMLHttpRequest"},
        "decision_title_words": ["处罚决定书", "行政处罚", "处罚决定"],
        "content_xpath": "//div[contains(concat(' ', normalize-space(@class), ' '), ' detail-news ')]",
        "party_line_pattern": r"^\s*当事人\s*[:：]",
        "attachment_extensions": [".pdf", ".doc", ".docx", ".wps"],
        "max_list_pages": 10,
    }


def build_site(server: FixtureServer, workdir: Path) -> None:
    """Register a complete, healthy copy of the headquarters (two pages) and Beijing channels, and write the config."""
    server.add(search_path(HQ_CHANNEL, 1), (PAGES / "search_hq_1.json").read_bytes(), JSON)
    server.add(search_path(HQ_CHANNEL, 2), (PAGES / "search_hq_2.json").read_bytes(), JSON)
    server.add(search_path(BEIJING_CHANNEL, 1), (PAGES / "search_beijing_1.json").read_bytes(), JSON)
    for page_id in ("c7001001", "c7001002", "c7001003", "c7001004"):
        server.add(page_path(page_id), (PAGES / f"detail_{page_id}.html").read_bytes(), HTML)
    server.add("/beijing/c103649/c7002001/content.shtml", (PAGES / "detail_c7002001.html").read_bytes(), HTML)
    server.add(DOCX_PATH, docx_attachment(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
    write_config(workdir / "config", "csrc", csrc_config(server, [CHANNELS["hq"], CHANNELS["beijing"]]))


@dataclass
class SiteRun:
    server: HeaderRecordingServer
    workdir: Path
    crawl: CrawlResult

    def item(self, path: str) -> dict[str, Any]:
        return self.crawl.by_url(self.server.url(path))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SiteRun]:
    """One crawl of the healthy site, with a broken page added to the Beijing list and a 503 on c7001003."""
    server = HeaderRecordingServer().start()
    workdir = tmp_path_factory.mktemp("csrc")
    build_site(server, workdir)
    listing = json.loads((PAGES / "search_beijing_1.json").read_text(encoding="utf-8"))
    listing["data"]["results"].append({
        "title": "中国证券监督管理委员会北京监管局行政处罚决定书（己私募基金管理有限公司）",
        "url": BROKEN_PATH, "publishedTime": 1773018000000, "publishedTimeStr": "2026-03-09 09:00:00",
    })
    listing["data"]["total"] = 2
    server.add(search_path(BEIJING_CHANNEL, 1), json.dumps(listing, ensure_ascii=False), JSON)
    server.add(BROKEN_PATH, (PAGES / "detail_broken.html").read_bytes(), HTML)
    server.add(page_path("c7001003"), (PAGES / "detail_c7001003.html").read_bytes(), HTML, fail_first=1)
    yield SiteRun(server, workdir, run_crawl(["csrc"], workdir))
    server.stop()


@pytest.fixture(scope="module")
def cases(site: SiteRun) -> dict[str, dict[str, Any]]:
    """Cases of the module crawl after `eintel load`, by party name."""
    loaded = run_load(site.workdir)
    assert loaded.returncode == 0, loaded.stderr
    with duckdb.connect(str(site.workdir / "eintel.duckdb"), read_only=True) as con:
        con.execute("SELECT * FROM cases WHERE source = 'csrc'")
        columns = [column[0] for column in con.description]
        rows = [dict(zip(columns, row)) for row in con.fetchall()]
    return {row["party_name"]: row for row in rows}


def test_csrc_search_pages_paged(site: SiteRun):
    lists = site.crawl.of_kind("list")
    pages = sorted((item["fields"]["channel"], item["fields"]["page"]) for item in lists)
    assert pages == [("beijing", 1), ("hq", 1), ("hq", 2)]
    by_page = {(item["fields"]["channel"], item["fields"]["page"]): item["fields"] for item in lists}
    assert by_page[("hq", 1)]["total"] == 4
    assert by_page[("hq", 1)]["pages"] == 2
    assert by_page[("hq", 2)]["entries"] == 2
    assert by_page[("beijing", 1)]["entries"] == 2
    assert site.server.hits(f"/searchList/{HQ_CHANNEL}") == 2


def test_csrc_search_asks_json(site: SiteRun):
    searches = [path for path, _ in site.server.headers if path.startswith("/searchList/")]
    assert len(searches) == 3
    for path in searches:
        assert "_isJson=true" in path
        assert "_isAgg=true" in path


def test_csrc_decision_fields(site: SiteRun):
    item = site.item(page_path("c7001001"))
    assert item["fields"]["title"] == "中国证监会行政处罚决定书（甲科技股份有限公司、李明）"
    assert item["fields"]["parties"] == 2
    assert item["fields"]["attachments"] == []
    assert item["fields"]["publish_date"] == "2026-01-12 17:00:00"
    assert item["context"]["published_ms"] == 1768208400000
    assert item["context"]["channel"] == "hq"
    assert item["context"]["issuer"] == "中国证券监督管理委员会"
    assert item["outcome"] == "new"


def test_csrc_br_page_parties_counted(site: SiteRun):
    item = site.item(page_path("c7001002"))
    assert item["fields"]["title"] == "中国证监会行政处罚决定书（王小明）"
    assert item["fields"]["parties"] == 1


def test_csrc_docx_attachment_fetched(site: SiteRun):
    page = site.item(page_path("c7001004"))
    assert page["fields"]["parties"] == 0
    assert page["fields"]["attachments"] == [site.server.url(DOCX_PATH)]

    attachment = site.item(DOCX_PATH)
    assert attachment["kind"] == "attachment"
    assert attachment["context"]["parent_url"] == site.server.url(page_path("c7001004"))
    assert attachment["context"]["parent_title"] == "中国证监会行政处罚决定书（丁投资咨询有限公司）"
    assert attachment["context"]["parent_date"] == "2026-02-13 16:20:00"
    assert attachment["context"]["issuer"] == "中国证券监督管理委员会"
    assert attachment["context"]["parent_parties"] == 0
    assert attachment["size"] > 1000


def test_csrc_retries_503(site: SiteRun):
    item = site.item(page_path("c7001003"))
    assert item["fields"]["parties"] == 3
    assert site.server.hits(page_path("c7001003")) == 2


def test_csrc_broken_page_shape_changed(site: SiteRun):
    item = site.item(BROKEN_PATH)
    assert item["fields"]["parties"] == 0
    with CrawlArchive(site.workdir / "crawl") as archive:
        run = archive.crawl_runs("csrc")[-1]
    assert run["status"] == "shape_changed"
    assert "c7002002" in run["message"]
    assert "0 content containers" in run["message"]
    assert site.crawl.returncode == 1
    assert "shape changed" in site.crawl.stderr


def test_csrc_referer_sent(site: SiteRun):
    checked = 0
    for path, headers in site.server.headers:
        if path.startswith(f"/searchList/{HQ_CHANNEL}") or path.startswith("/csrc/c101928/c700100") and path.endswith(".shtml"):
            assert headers["referer"] == site.server.url(CHANNELS["hq"]["list_page"]), path
            checked += 1
        elif path.startswith(f"/searchList/{BEIJING_CHANNEL}") or path.startswith("/beijing/c103649/"):
            assert headers["referer"] == site.server.url("/beijing/"), path
            checked += 1
        if path.startswith("/searchList/"):
            assert headers["x-requested-with"] == "XMLHttpRequest", path
            assert headers["accept"].startswith("application/json"), path
    # Three search pages, six decision pages and the retry of c7001003.
    assert checked == 10


def test_csrc_cases_per_party(cases):
    assert sorted(cases) == sorted([
        "甲科技股份有限公司", "李某", "王某某", "乙资产管理有限公司", "张某", "刘某", "丁投资咨询有限公司",
        "戊证券投资顾问有限公司",
    ])


@pytest.mark.parametrize(
    ("party", "number", "fine", "confiscation", "decision_date", "publish_date"),
    [
        ("甲科技股份有限公司", "〔2026〕12号", Decimal("2000000"), None, "2026-01-08", "2026-01-12"),
        ("李某", "〔2026〕12号", Decimal("1000000"), None, "2026-01-08", "2026-01-12"),
        ("王某某", "〔2026〕15号", Decimal("17124000"), Decimal("16217.47"), "2026-01-20", "2026-01-23"),
        ("乙资产管理有限公司", "〔2026〕21号", Decimal("500000"), None, "2026-02-03", "2026-02-06"),
        ("张某", "〔2026〕21号", Decimal("300000"), None, "2026-02-03", "2026-02-06"),
        ("刘某", "〔2026〕21号", Decimal("300000"), None, "2026-02-03", "2026-02-06"),
        ("丁投资咨询有限公司", "〔2026〕27号", Decimal("900000"), Decimal("300000"), "2026-02-10", "2026-02-13"),
        ("戊证券投资顾问有限公司", "〔2026〕3号", Decimal("30000"), None, "2026-03-02", "2026-03-05"),
    ],
)
def test_csrc_case_fields(cases, party, number, fine, confiscation, decision_date, publish_date):
    case = cases[party]
    assert case["decision_number"] == number
    assert case["fine_cny"] == fine
    assert case["confiscation_cny"] == confiscation
    assert str(case["decision_date"]) == decision_date
    assert str(case["publish_date"]) == publish_date


@pytest.mark.parametrize(
    ("party", "regulator", "level", "province"),
    [
        ("甲科技股份有限公司", "中国证券监督管理委员会", "national", None),
        ("王某某", "中国证券监督管理委员会", "national", None),
        ("丁投资咨询有限公司", "中国证券监督管理委员会", "national", None),
        ("戊证券投资顾问有限公司", "中国证券监督管理委员会北京监管局", "provincial", "北京市"),
    ],
)
def test_csrc_case_regulators(cases, party, regulator, level, province):
    case = cases[party]
    assert case["regulator"] == regulator
    assert case["regulator_family"] == "CSRC"
    assert case["regulator_level"] == level
    assert case["province"] == province


def test_csrc_case_outcomes(cases):
    assert cases["王某某"]["outcome_types"] == ["warning", "fine", "confiscation"]
    assert "rectification_order" in cases["甲科技股份有限公司"]["outcome_types"]
    assert "rectification_order" not in cases["李某"]["outcome_types"]
    assert cases["李某"]["party_type"] == "individual"
    assert cases["甲科技股份有限公司"]["party_type"] == "company"


def test_csrc_case_legal_bases(cases):
    company = cases["甲科技股份有限公司"]["legal_bases"]
    assert {"law": "证券法", "article": 197, "clause": "第一款"} in company
    assert {"law": "证券法", "article": 78, "clause": "第一款"} in company
    assert {"law": "证券投资基金法", "article": 135, "clause": ""} in cases["乙资产管理有限公司"]["legal_bases"]


def test_csrc_case_text_keeps_own_items(cases):
    company_text = cases["甲科技股份有限公司"]["text"]
    assert "一、对甲科技股份有限公司责令改正，给予警告，并处以200万元罚款" in company_text
    assert "对李明" not in company_text
    assert "李明" not in company_text
    assert "李某作为甲科技董事长" in company_text
    person_text = cases["李某"]["text"]
    assert "二、对李某给予警告，并处以100万元罚款" in person_text
    assert "对甲科技股份有限公司责令改正" not in person_text


def test_csrc_broken_page_marked_empty(site: SiteRun, cases):
    with duckdb.connect(str(site.workdir / "eintel.duckdb"), read_only=True) as con:
        status = con.execute("SELECT parse_status FROM raw_documents WHERE url = ?",
                             [site.server.url(BROKEN_PATH)]).fetchone()
    assert status == ("empty",)


def test_csrc_unusable_channels_flagged(tmp_path: Path):
    """One crawl of three bad channels: an empty first page, a news channel, and no channel id at all."""
    server = FixtureServer().start()
    news_channel = "a1a078ee0bc54721ab6b148884c784a8"
    try:
        server.add(search_path(HQ_CHANNEL, 1), (PAGES / "search_empty.json").read_bytes(), JSON)
        news = {"data": {"total": 1, "results": [
            {"title": "证监会召开座谈会", "url": "/csrc/c100028/c7009001/content.shtml",
             "publishedTime": 1768208400000, "publishedTimeStr": "2026-01-12 17:00:00"}]}}
        server.add(search_path(news_channel, 1), json.dumps(news, ensure_ascii=False), JSON)
        server.add("/csrc/c100028/c7009001/content.shtml",
                   '<html><body><div class="detail-news"><p>当事人：无。会议内容。</p></div></body></html>', HTML)
        channels = [
            CHANNELS["hq"],
            {**CHANNELS["hq"], "id": "news", "channel_id": news_channel},
            {**CHANNELS["beijing"], "channel_id": ""},
        ]
        write_config(tmp_path / "config", "csrc", csrc_config(server, channels))
        crawl = run_crawl(["csrc"], tmp_path)
    finally:
        server.stop()
    with CrawlArchive(tmp_path / "crawl") as archive:
        run = archive.crawl_runs("csrc")[-1]
    assert run["status"] == "shape_changed"
    assert "first list page of channel hq has no results" in run["message"]
    assert f"channel news contains ['处罚决定书', '行政处罚', '处罚决定']; check its channel_id {news_channel}" in run["message"]
    assert "channel beijing has no channel_id" in run["message"]
    assert crawl.returncode == 1
    assert "WARNING" in crawl.stderr
    assert server.hits(f"/searchList/{BEIJING_CHANNEL}") == 0


def test_csrc_healthy_site_rerun(tmp_path: Path):
    server = FixtureServer().start()
    try:
        build_site(server, tmp_path)
        first = run_crawl(["csrc"], tmp_path)
        second = run_crawl(["csrc"], tmp_path)
    finally:
        server.stop()
    with CrawlArchive(tmp_path / "crawl") as archive:
        runs = archive.crawl_runs("csrc")
    assert first.returncode == 0, first.stderr
    assert runs[0]["status"] == "ok"
    assert runs[0]["new_items"] == 6
    assert len(first.of_kind("detail")) == 5
    assert len(first.of_kind("attachment")) == 1

    assert second.returncode == 0, second.stderr
    assert runs[1]["status"] == "ok"
    assert runs[1]["new_items"] == 0
    assert second.of_kind("detail") == []
    assert sorted((item["fields"]["channel"], item["fields"]["page"]) for item in second.of_kind("list")) == [
        ("beijing", 1), ("hq", 1)]


def test_csrc_build_site_config(tmp_path: Path):
    server = FixtureServer()
    build_site(server, tmp_path)
    config = yaml.safe_load((tmp_path / "config" / "csrc.yaml").read_text(encoding="utf-8"))
    assert config["base_url"] == server.base_url
    assert [channel["channel_id"] for channel in config["channels"]] == [HQ_CHANNEL, BEIJING_CHANNEL]
    assert search_path(HQ_CHANNEL, 2) in server.routes
    assert DOCX_PATH in server.routes


def test_csrc_shipped_config_requests():
    spider = CsrcSpider()
    requests = list(spider.initial_requests())

    assert [request.url for request in requests] == [
        f"https://www.csrc.gov.cn/searchList/{channel}?_isAgg=true&_isJson=true&_pageSize=18&_template=index&page=1"
        for channel in (HQ_CHANNEL, BEIJING_CHANNEL)
    ]
    assert requests[0].headers.get("Referer").decode() == (
        f"https://www.csrc.gov.cn/csrc/c101925/zfxxgk_zdgk.shtml?channelid={HQ_CHANNEL}")
    assert requests[1].meta["eintel"]["context"]["issuer"] == "中国证券监督管理委员会北京监管局"
