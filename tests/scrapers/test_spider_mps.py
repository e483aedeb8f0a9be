"""MPS spider against local copies of the ministry and a provincial 公安厅 site.

Covers list paging by 「下一页」 link and by URL template, and the title keyword filter.
Articles: a round-up, a single case, one without a case and one with a DOCX attachment.
Faults: a 503 that succeeds on retry, broken markup, an anti-bot 521 and an empty first
list page. Ends with an incremental re-run and crawl → load → cases in DuckDB.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
import duckdb
import pytest
import yaml

from scrapers.archive import CrawlArchive, PendingRequest
from scrapers.base import SPIDER_DIR, ConfigError
from scrapers.spiders.mps import MpsSpider
from tests.scrapers.conftest import (
    FIXTURES,
    CrawlResult,
    run_crawl,
    run_load,
    write_config,
)
from tests.scrapers.server import FixtureServer

PAGES = FIXTURES / "mps"
HTML = "text/html; charset=utf-8"
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

MINISTRY = "/n2254098/n4904352"
PROVINCE = "/gdga/jwzx/jsyw"
DOCX_PATH = "/gdga/attachment/0/500/500001/4400001.docx"

ROUNDUP = f"{MINISTRY}/c10400001/content.html"
SINGLE = f"{MINISTRY}/c10400004/content.html"
NOTICE = f"{MINISTRY}/c10400005/content.html"
PROVINCIAL_ARTICLE = f"{PROVINCE}/content/post_4400001.html"
# Entries whose titles match no keyword: served, but never to be requested.
UNRELATED = [f"{MINISTRY}/c10400002/content.html", f"{MINISTRY}/c10400006/content.html",
             f"{PROVINCE}/content/post_4400002.html"]

ROUNDUP_TITLE = "公安机关依法严厉打击侵犯公民个人信息违法犯罪 公布净网2026专项行动4起典型案例"
PROVINCIAL_TITLE = "广东省公安厅公布“净网2026”专项行动典型案例"

# Paragraphs of the generated 典型案例 attachment: two numbered cases.
DOCX_PARAGRAPHS = [
    "广东省公安机关“净网2026”专项行动典型案例",
    "案例一：广州警方侦破某数据服务有限公司侵犯公民个人信息案",
    (
        "2026年1月，广州警方侦破一起非法买卖公民个人信息案件。某数据服务有限公司通过爬虫程序收集并出售公民个人信息"
        "5万余条。警方抓获犯罪嫌疑人6名，6人均已被依法刑事拘留。"
    ),
    "案例二：东莞警方查处刘某某违反网络安全法案",
    (
        "2026年2月，东莞警方查处刘某某在网上发布他人身份证照片的行为。依据《中华人民共和国网络安全法》第四十四条，"
        "警方对刘某某处罚款5000元。"
    ),
]


def read(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def typical_cases_docx() -> bytes:
    document = docx.Document()
    for paragraph in DOCX_PARAGRAPHS:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def site_config(server: FixtureServer) -> dict[str, Any]:
    """The shipped mps.yaml with its two sites aimed at the fixture server and both enabled."""
    config = yaml.safe_load((SPIDER_DIR / "mps.yaml").read_text(encoding="utf-8"))
    ministry, provincial = config["sites"]
    ministry["list_urls"] = [server.url(f"{MINISTRY}/index.html")]
    provincial["list_urls"] = [server.url(f"{PROVINCE}/index.html")]
    provincial["enabled"] = True
    config["max_list_pages"] = 5
    return config


def build_site(server: FixtureServer, workdir: Path) -> None:
    """Register a complete, healthy ministry and provincial site and write the spider config."""
    server.add(f"{MINISTRY}/index.html", read("list_1.html"), HTML)
    server.add(f"{MINISTRY}/index_2.html", read("list_2.html"), HTML)
    server.add(ROUNDUP, read("detail_roundup.html"), HTML)
    # The first request gets a 503; the retry gets the page.
    server.add(SINGLE, read("detail_single.html"), HTML, fail_first=1)
    server.add(NOTICE, read("detail_notice.html"), HTML)
    server.add(f"{PROVINCE}/index.html", read("gd_list_1.html"), HTML)
    server.add(PROVINCIAL_ARTICLE, read("gd_detail_attachment.html"), HTML)
    server.add(DOCX_PATH, typical_cases_docx(), DOCX_TYPE)
    for path in UNRELATED:
        server.add(path, read("detail_notice.html"), HTML)
    write_config(workdir / "config", "mps", site_config(server))


@dataclass
class Crawl:
    server: FixtureServer
    workdir: Path
    result: CrawlResult
    run: dict[str, Any]
    pending: dict[str, PendingRequest]


def crawl(server: FixtureServer, workdir: Path) -> Crawl:
    result = run_crawl(["mps"], workdir)
    with CrawlArchive(workdir / "crawl") as archive:
        run = archive.crawl_runs("mps")[-1]
        pending = {entry.url: entry for entry in archive.pending("mps")}
    return Crawl(server, workdir, result, run, pending)


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    server = FixtureServer().start()
    workdir = tmp_path_factory.mktemp("mps-healthy")
    build_site(server, workdir)
    yield crawl(server, workdir)
    server.stop()


@pytest.fixture(scope="module")
def faulty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawl]:
    """The healthy site with broken markup in one article and an anti-bot 521 on another."""
    server = FixtureServer().start()
    workdir = tmp_path_factory.mktemp("mps-faulty")
    build_site(server, workdir)
    server.add(NOTICE, read("detail_broken.html"), HTML)
    server.add(PROVINCIAL_ARTICLE, "<html><script>document.cookie='x';</script></html>", HTML, status=521)
    yield crawl(server, workdir)
    server.stop()


@pytest.fixture(scope="module")
def cases(healthy: Crawl) -> dict[str, Any]:
    """Load the healthy crawl into DuckDB and read the mps cases and document statuses."""
    loaded = run_load(healthy.workdir)
    assert loaded.returncode == 0, loaded.stderr
    with duckdb.connect(str(healthy.workdir / "eintel.duckdb"), read_only=True) as con:
        cursor = con.execute(
            "SELECT source_url, summary, party_name, party_type, regulator, regulator_family, province, "
            "outcome_types, fine_cny, publish_date, violation_types, domain, legal_bases "
            "FROM cases WHERE source = 'mps' ORDER BY source_url, case_id"
        )
        columns = [column[0] for column in cursor.description]
        rows = [dict(zip(columns, row)) for row in cursor.fetchall()]
        statuses = dict(con.execute("SELECT url, parse_status FROM raw_documents WHERE source = 'mps'").fetchall())
    return {"rows": rows, "statuses": statuses}


def cases_of(cases: dict[str, Any], url: str) -> list[dict[str, Any]]:
    return [row for row in cases["rows"] if row["source_url"] == url]


def case_with_party(cases: dict[str, Any], party: str) -> dict[str, Any]:
    matches = [row for row in cases["rows"] if row["party_name"] == party]
    assert len(matches) == 1, f"cases with party {party}: {matches}"
    return matches[0]


# Healthy crawl ---------------------------------------------------------------------------


def test_mps_healthy_run_ok(healthy: Crawl):
    assert healthy.result.returncode == 0, healthy.result.stderr
    assert healthy.run["status"] == "ok"
    assert healthy.run["errors"] == 0
    assert healthy.pending == {}


def test_mps_ministry_list_paged(healthy: Crawl):
    pages = [item for item in healthy.result.of_kind("list") if MINISTRY in item["url"]]
    assert [item["fields"]["page"] for item in pages] == [1, 2]
    assert [item["fields"]["entries"] for item in pages] == [3, 3]
    assert [item["fields"]["matched"] for item in pages] == [1, 2]
    # The 「更多专题」 entry links to javascript:, so it has no article.
    assert pages[0]["fields"]["malformed_entries"] == 1
    assert healthy.server.hits(f"{MINISTRY}/index_2.html") == 1


def test_mps_provincial_template_paging(healthy: Crawl):
    pages = [item for item in healthy.result.of_kind("list") if PROVINCE in item["url"]]
    assert [item["fields"]["page"] for item in pages] == [1]
    assert pages[0]["fields"]["matched"] == 1
    # Page 2 of the template returns HTTP 404, which ends the list without an error.
    assert healthy.server.hits(f"{PROVINCE}/index_2.html") == 1
    assert healthy.server.url(f"{PROVINCE}/index_2.html") not in healthy.pending


def test_mps_keyword_filter_skips(healthy: Crawl):
    pages = {item["url"]: item["fields"] for item in healthy.result.of_kind("list")}
    first = pages[healthy.server.url(f"{MINISTRY}/index.html")]
    second = pages[healthy.server.url(f"{MINISTRY}/index_2.html")]
    provincial = pages[healthy.server.url(f"{PROVINCE}/index.html")]
    assert first["skipped_by_keywords"] == 1
    assert first["skipped_titles"] == ["全国公安机关部署开展夏季治安打击整治行动"]
    assert second["skipped_titles"] == ["公安部召开新闻发布会介绍道路交通安全工作情况"]
    assert provincial["skipped_titles"] == ["广东省公安厅召开春运交通安全工作会议"]
    for path in UNRELATED:
        assert healthy.server.hits(path) == 0, path


def test_mps_roundup_article_fields(healthy: Crawl):
    item = healthy.result.by_url(healthy.server.url(ROUNDUP))
    assert item["kind"] == "detail"
    assert item["fields"]["title"] == ROUNDUP_TITLE
    assert item["fields"]["date"] == "2026-03-12"
    assert item["fields"]["source"] == "公安部网站"
    assert item["fields"]["issuer"] == "公安部"
    assert item["fields"]["body_xpath"] == "//div[@id='ztdx']"
    assert item["fields"]["body_chars"] > 500
    assert item["fields"]["attachments"] == []
    assert item["context"]["list_date"] == "2026-03-12"
    assert item["context"]["site"] == "mps"
    assert item["outcome"] == "new"


def test_mps_single_article_fallbacks(healthy: Crawl):
    # No meta tags here: the title comes from <h1>, date and source from the info line.
    item = healthy.result.by_url(healthy.server.url(SINGLE))
    assert item["fields"]["title"] == "北京警方侦破一起利用人脸照片注册网络账号的侵犯公民个人信息案"
    assert item["fields"]["date"] == "2026-02-20"
    assert item["fields"]["source"] == "公安部网站"


def test_mps_retries_503(healthy: Crawl):
    assert healthy.server.hits(SINGLE) == 2
    assert healthy.result.by_url(healthy.server.url(SINGLE))["status"] == 200


def test_mps_docx_attachment_context(healthy: Crawl):
    article = healthy.result.by_url(healthy.server.url(PROVINCIAL_ARTICLE))
    attachment_url = healthy.server.url(DOCX_PATH)
    assert article["fields"]["attachments"] == [attachment_url]
    assert article["fields"]["source"] == "广东省公安厅"
    # The provincial site's body selector is CSS; the recorded XPath is its translation.
    assert "article-content" in article["fields"]["body_xpath"]
    attachment = healthy.result.by_url(attachment_url)
    assert attachment["kind"] == "attachment"
    assert attachment["context"]["parent_url"] == healthy.server.url(PROVINCIAL_ARTICLE)
    assert attachment["context"]["parent_title"] == PROVINCIAL_TITLE
    assert attachment["context"]["parent_date"] == "2026-03-05"
    assert attachment["context"]["issuer"] == "广东省公安厅"
    assert attachment["context"]["province"] == "广东"
    assert attachment["context"]["attachment_title"] == "“净网2026”专项行动典型案例.docx"
    assert attachment["fields"]["size"] > 1000


def test_mps_item_counts_by_kind(healthy: Crawl):
    kinds = [item["kind"] for item in healthy.result.items]
    assert kinds.count("list") == 3
    assert kinds.count("detail") == 4
    assert kinds.count("attachment") == 1


# Crawl → load → cases --------------------------------------------------------------------


def test_mps_one_case_per_numbered_case(cases: dict[str, Any], healthy: Crawl):
    roundup = cases_of(cases, healthy.server.url(ROUNDUP))
    parties = {row["party_name"]: (row["party_type"], row["province"]) for row in roundup}
    assert len(roundup) == 4
    assert parties == {
        "某公司": ("company", "江苏省"),
        "李某某": ("individual", "浙江省"),
        "某网络科技有限公司": ("company", "广东省"),
        "王某": ("individual", "四川省"),
    }
    assert {row["regulator"] for row in roundup} == {"公安部"}
    assert {row["regulator_family"] for row in roundup} == {"MPS"}
    assert {str(row["publish_date"]) for row in roundup} == {"2026-03-12"}
    assert {row["domain"] for row in roundup} == {"data_protection"}


def test_mps_roundup_outcomes(cases: dict[str, Any]):
    assert case_with_party(cases, "某公司")["outcome_types"] == ["criminal_referral"]
    assert case_with_party(cases, "李某某")["outcome_types"] == ["criminal_referral"]
    assert case_with_party(cases, "王某")["outcome_types"] == ["criminal_referral"]
    administrative = case_with_party(cases, "某网络科技有限公司")
    assert administrative["outcome_types"] == ["warning", "fine", "rectification_order"]
    assert administrative["fine_cny"] == 100000
    assert administrative["violation_types"] == ["security_failure"]
    assert administrative["legal_bases"][0]["article"] == 59


def test_mps_single_case_loaded(cases: dict[str, Any], healthy: Crawl):
    rows = cases_of(cases, healthy.server.url(SINGLE))
    assert len(rows) == 1
    assert rows[0]["party_name"] == "张某某"
    assert rows[0]["party_type"] == "individual"
    assert rows[0]["province"] == "北京市"
    assert rows[0]["regulator"] == "公安部"
    assert rows[0]["outcome_types"] == ["criminal_referral"]
    assert rows[0]["violation_types"] == ["illegal_data_trading"]


def test_mps_attachment_cases_loaded(cases: dict[str, Any], healthy: Crawl):
    rows = cases_of(cases, healthy.server.url(DOCX_PATH))
    assert len(rows) == 2
    assert {row["regulator"] for row in rows} == {"广东省公安厅"}
    assert {row["province"] for row in rows} == {"广东省"}
    company = case_with_party(cases, "某数据服务有限公司")
    assert company["party_type"] == "company"
    assert company["outcome_types"] == ["criminal_referral"]
    person = case_with_party(cases, "刘某某")
    assert person["party_type"] == "individual"
    assert person["outcome_types"] == ["fine"]
    assert person["fine_cny"] == 5000
    assert {str(row["publish_date"]) for row in rows} == {"2026-03-05"}


def test_mps_documents_without_cases(cases: dict[str, Any], healthy: Crawl):
    # A reminder reports no case; the provincial article's cases are in its attachment.
    assert cases["statuses"][healthy.server.url(NOTICE)] == "empty"
    assert cases["statuses"][healthy.server.url(PROVINCIAL_ARTICLE)] == "empty"
    assert cases["statuses"][healthy.server.url(ROUNDUP)] == "parsed"
    assert len(cases["rows"]) == 7


def test_mps_rerun_fetches_nothing(healthy: Crawl, cases: dict[str, Any]):
    second = crawl(healthy.server, healthy.workdir)
    assert second.result.returncode == 0, second.result.stderr
    assert second.run["status"] == "ok"
    assert second.run["new_items"] == 0
    assert second.result.of_kind("detail") == []
    # Ministry page 1 lists only archived matching entries, so its paging stops there.
    pages = [item["fields"]["page"] for item in second.result.of_kind("list") if MINISTRY in item["url"]]
    assert pages == [1]


# Faulty pages ----------------------------------------------------------------------------


def test_mps_broken_markup_shape_changed(faulty: Crawl):
    # The unclosed <title> swallows the rest of the page, so neither title nor body is found.
    item = faulty.result.by_url(faulty.server.url(NOTICE))
    assert item["fields"]["body_xpath"] == ""
    assert item["fields"]["title"] == ""
    assert faulty.run["status"] == "shape_changed"
    assert "c10400005/content.html: article of site mps has no title or body" in faulty.run["message"]
    assert faulty.result.returncode == 1
    assert "shape changed" in faulty.result.stderr


def test_mps_521_recorded_blocked(faulty: Crawl):
    blocked_url = faulty.server.url(PROVINCIAL_ARTICLE)
    assert all(item["url"] != blocked_url for item in faulty.result.items)
    assert "521" in faulty.pending[blocked_url].error
    assert faulty.pending[blocked_url].callback == "parse_article"
    assert faulty.server.hits(DOCX_PATH) == 0
    assert faulty.run["errors"] == 1


def test_mps_empty_first_list(server: FixtureServer, tmp_path: Path):
    server.add(f"{MINISTRY}/index.html", read("list_empty.html"), HTML)
    config = site_config(server)
    config["sites"][1]["enabled"] = False
    write_config(tmp_path / "config", "mps", config)

    result = run_crawl(["mps"], tmp_path)
    with CrawlArchive(tmp_path / "crawl") as archive:
        run = archive.crawl_runs("mps")[-1]
    assert run["status"] == "shape_changed"
    assert "first list page of site mps has no entries" in run["message"]
    assert "WARNING" in result.stderr
    assert result.returncode == 1
    assert result.of_kind("list")[0]["fields"]["entries"] == 0


# Configuration checks --------------------------------------------------------------------


def test_mps_config_missing_selector(tmp_path: Path):
    config = yaml.safe_load((SPIDER_DIR / "mps.yaml").read_text(encoding="utf-8"))
    del config["sites"][0]["list"]["title"]
    del config["sites"][0]["article"]["body"]
    path = write_config(tmp_path, "mps", config)
    with pytest.raises(ConfigError, match=r"site 'mps' lacks list\.title, article\.body"):
        MpsSpider(config=str(path))


def test_mps_config_template_needs_number(tmp_path: Path):
    config = yaml.safe_load((SPIDER_DIR / "mps.yaml").read_text(encoding="utf-8"))
    config["sites"][1]["next_page"] = {"template": "index_2.html"}
    path = write_config(tmp_path, "mps", config)
    with pytest.raises(ConfigError, match=r"site 'guangdong': next_page.template 'index_2.html' lacks"):
        MpsSpider(config=str(path))


def test_mps_shipped_config_loads():
    spider = MpsSpider()
    assert spider.sites["mps"]["issuer"] == "公安部"
    assert spider.handle_httpstatus_list == [521]
    assert [site["id"] for site in spider.config["sites"] if site.get("enabled", True)] == ["mps"]


def test_mps_only_unrelated_titles_ok(server: FixtureServer, tmp_path: Path):
    listing = read("list_1.html").decode("utf-8")
    matching = listing[listing.index("    <li><a href=\"/n2254098/n4904352/c10400001"):listing.index("    <li><a href=\"/n2254098/n4904352/c10400002")]
    server.add(f"{MINISTRY}/index.html", listing.replace(matching, "").replace('<a href="index_2.html">下一页</a>', ""), HTML)
    config = site_config(server)
    config["sites"][1]["enabled"] = False
    write_config(tmp_path / "config", "mps", config)

    result = run_crawl(["mps"], tmp_path)
    with CrawlArchive(tmp_path / "crawl") as archive:
        run = archive.crawl_runs("mps")[-1]
    assert run["status"] == "ok"
    assert result.returncode == 0, result.stderr
    assert result.of_kind("detail") == []
    assert result.of_kind("list")[0]["fields"]["skipped_by_keywords"] == 1
