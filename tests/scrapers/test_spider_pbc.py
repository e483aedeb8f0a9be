"""PBC spider against a local copy of a 行政处罚公示 column: paging, stubs, retries, attachments."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import openpyxl
import pytest

from scrapers.archive import CrawlArchive
from scrapers.base import SPIDER_DIR, load_config
from etl.sources.pbc import load_table_shape
from tests.realdata import archive_file
from tests.scrapers.conftest import FIXTURES, CrawlResult, run_crawl, run_load, write_config
from tests.scrapers.server import FixtureServer

COLUMN = "/zhengwugongkai/4081330/4081344/4081407/4081705"
PAGES = FIXTURES / "pbc"
REAL_PAGE_ID = "2026092418294123383"


def detail_path(page_id: str) -> str:
    return f"{COLUMN}/{page_id}/index.html"


def xlsx_attachment(path: Path) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["序号", "当事人名称", "行政处罚决定书文号", "违法行为类型", "行政处罚内容", "作出行政处罚决定机关名称", "作出行政处罚决定日期"])
    sheet.append([1, "示例银行股份有限公司某某支行", "银罚决字〔2026〕95号", "违反反洗钱管理规定", "罚款20万元", "中国人民银行", "2026年8月10日"])
    book.save(path)
    return path.read_bytes()


def serve_column(server: FixtureServer, tmp_path: Path, real_page: bytes | None) -> None:
    html = "text/html; charset=utf-8"
    server.add(f"{COLUMN}/index.html", (PAGES / "list_1.html").read_bytes(), html)
    server.add(f"{COLUMN}/index_2.html", (PAGES / "list_2.html").read_bytes(), html)
    server.add(f"{COLUMN}/index_3.html", (PAGES / "list_3.html").read_bytes(), html)
    server.add(detail_path("2026110310000000001"), (PAGES / "detail_120.html").read_bytes(), html)
    if real_page is not None:
        server.add(detail_path(REAL_PAGE_ID), real_page, html)
    server.add(detail_path("2026081510000000002"), (PAGES / "detail_attachments.html").read_bytes(), html)
    server.add("/attachments/2026-08-penalties.xlsx", xlsx_attachment(tmp_path / "a.xlsx"),
               "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    # The first request of this page gets a 503; the retry gets the page.
    server.add(detail_path("2026071010000000003"), (PAGES / "detail_88.html").read_bytes(), html, fail_first=1)
    server.add(detail_path("2026070110000000004"), (PAGES / "stub_followable.html").read_bytes(), html)
    server.add(detail_path("2026070110000000004") + "?t=1", (PAGES / "detail_80.html").read_bytes(), html)
    server.add(detail_path("2026062010000000005"), (PAGES / "detail_broken.html").read_bytes(), html)
    server.add(detail_path("2026061210000000006"), (PAGES / "stub_blocked.html").read_bytes(), html)


def configure(server: FixtureServer, workdir: Path) -> None:
    write_config(workdir / "config", "pbc", {
        "sites": [{"id": "hq", "name": "中国人民银行", "list_url": server.url(f"{COLUMN}/index.html")}],
        "detail_link_pattern": r"/\d{6,}/\d{12,}/index\.html$",
        "next_page_texts": ["下一页"],
        "table_headers": load_config(SPIDER_DIR / "pbc.yaml")["table_headers"],
        "attachment_extensions": [".doc", ".docx", ".xls", ".xlsx", ".pdf"],
        "javascript_stub_markers": ["请开启JavaScript并刷新该页"],
        "max_list_pages": 10,
    })


@dataclass
class Crawled:
    result: CrawlResult
    server: FixtureServer
    workdir: Path


def crawl_column(server: FixtureServer, workdir: Path) -> CrawlResult:
    serve_column(server, workdir, real_page=None)
    configure(server, workdir)
    return run_crawl(["pbc"], workdir)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawled]:
    """One crawl of the fixture column that the read-only tests share."""
    server = FixtureServer().start()
    workdir = tmp_path_factory.mktemp("pbc")
    yield Crawled(crawl_column(server, workdir), server, workdir)
    server.stop()


@pytest.fixture
def crawled(server: FixtureServer, tmp_path: Path) -> CrawlResult:
    """A crawl of its own, for tests that change the site and crawl again."""
    return crawl_column(server, tmp_path)


def test_pbc_list_pages_paged(shared: Crawled):
    lists = shared.result.of_kind("list")
    assert [item["fields"]["page"] for item in lists] == [1, 2, 3]
    assert [item["fields"]["entries"] for item in lists] == [3, 4, 0]
    # Page 2 names its next page only in the tagname attribute.
    assert shared.server.hits(f"{COLUMN}/index_3.html") == 1


def test_pbc_detail_fields(shared: Crawled):
    item = shared.result.by_url(shared.server.url(detail_path("2026110310000000001")))
    assert item["fields"]["title"] == "银罚决字〔2026〕120号"
    assert item["fields"]["table_rows"] == 2
    assert item["context"]["list_date"] == "2026-11-03"
    assert item["context"]["list_title"] == "银罚决字〔2026〕120号"
    assert item["outcome"] == "new"


def test_pbc_retries_503(shared: Crawled):
    item = shared.result.by_url(shared.server.url(detail_path("2026071010000000003")))
    assert item["fields"]["table_rows"] == 1
    assert shared.server.hits(detail_path("2026071010000000003")) == 2


def test_pbc_follows_stub_target(shared: Crawled):
    item = shared.result.by_url(shared.server.url(detail_path("2026070110000000004") + "?t=1"))
    assert item["fields"]["title"] == "银罚决字〔2026〕80号"
    assert item["context"]["stub_url"] == shared.server.url(detail_path("2026070110000000004"))


def test_pbc_records_blocked_stub(shared: Crawled):
    blocked_url = shared.server.url(detail_path("2026061210000000006"))
    assert all(item["url"] != blocked_url for item in shared.result.items)
    with CrawlArchive(shared.workdir / "crawl") as archive:
        pending = archive.pending("pbc")
        run = archive.crawl_runs("pbc")[-1]
    errors = {entry.url: entry.error for entry in pending}
    assert "JavaScript stub" in errors[blocked_url]
    # The real saved page is not served here, so its link returns 404 and is kept as pending too.
    assert "404" in errors[shared.server.url(detail_path(REAL_PAGE_ID))]
    assert len(errors) == 2
    assert run["errors"] == 2


def test_pbc_broken_page_shape_changed(shared: Crawled):
    item = shared.result.by_url(shared.server.url(detail_path("2026062010000000005")))
    assert item["fields"]["table_rows"] == 0
    with CrawlArchive(shared.workdir / "crawl") as archive:
        run = archive.crawl_runs("pbc")[-1]
    assert run["status"] == "shape_changed"
    assert "2026062010000000005" in run["message"]
    assert shared.result.returncode == 1
    assert "shape changed" in shared.result.stderr


def test_pbc_attachment_archived(shared: Crawled):
    page = shared.result.by_url(shared.server.url(detail_path("2026081510000000002")))
    attachment_url = shared.server.url("/attachments/2026-08-penalties.xlsx")
    assert page["fields"]["attachments"] == [attachment_url]
    attachment = shared.result.by_url(attachment_url)
    assert attachment["kind"] == "attachment"
    assert attachment["context"]["parent_title"] == "中国人民银行行政处罚信息公示表（2026年8月）"
    assert attachment["size"] > 1000


def test_pbc_user_agent_names_tool(shared: Crawled):
    agents = {request.user_agent for request in shared.server.requests}
    assert agents == {next(iter(agents))}
    assert "EnforcementIntel" in next(iter(agents))


def serve_clean_column(server: FixtureServer) -> list[str]:
    """The column of the fixture pages, with every detail link returning a good page."""
    html = "text/html; charset=utf-8"
    server.add(f"{COLUMN}/index.html", (PAGES / "list_1.html").read_bytes(), html)
    server.add(f"{COLUMN}/index_2.html", (PAGES / "list_2.html").read_bytes(), html)
    server.add(f"{COLUMN}/index_3.html", (PAGES / "list_3.html").read_bytes(), html)
    page_ids = ["2026110310000000001", REAL_PAGE_ID, "2026081510000000002", "2026071010000000003",
                "2026070110000000004", "2026062010000000005", "2026061210000000006"]
    template = (PAGES / "detail_120.html").read_text(encoding="utf-8")
    for number, page_id in enumerate(page_ids):
        server.add(detail_path(page_id), template.replace("120号", f"{200 + number}号"), html)
    return page_ids


def test_pbc_rerun_writes_nothing(server: FixtureServer, tmp_path: Path):
    page_ids = serve_clean_column(server)
    configure(server, tmp_path)
    first = run_crawl(["pbc"], tmp_path)
    assert first.returncode == 0, first.stderr
    assert len(first.of_kind("detail")) == len(page_ids)
    with CrawlArchive(tmp_path / "crawl") as archive:
        before = archive.count_responses()

    second = run_crawl(["pbc"], tmp_path)
    with CrawlArchive(tmp_path / "crawl") as archive:
        after = archive.count_responses()
        run = archive.crawl_runs("pbc")[-1]
    assert second.returncode == 0, second.stderr
    assert after == before
    assert run["status"] == "ok"
    assert run["new_items"] == 0
    assert run["updated_items"] == 0
    # Page 1 lists only entries that the finished first run archived, so paging stops there.
    assert [item["fields"]["page"] for item in second.of_kind("list")] == [1]
    assert second.of_kind("detail") == []


def test_pbc_new_entry_fetched_incrementally(server: FixtureServer, tmp_path: Path):
    serve_clean_column(server)
    configure(server, tmp_path)
    run_crawl(["pbc"], tmp_path)
    new_id = "2026112010000000009"
    listing = (PAGES / "list_1.html").read_text(encoding="utf-8").replace(
        "<ul>", f'<ul><li><a href="{COLUMN}/{new_id}/index.html">银罚决字〔2026〕130号</a><span>2026-11-20</span></li>', 1)
    server.add(f"{COLUMN}/index.html", listing)
    server.add(detail_path(new_id), (PAGES / "detail_120.html").read_text(encoding="utf-8").replace("120号", "130号"))

    second = run_crawl(["pbc"], tmp_path)
    assert [item["url"] for item in second.of_kind("detail")] == [server.url(detail_path(new_id))]
    assert second.of_kind("detail")[0]["outcome"] == "new"
    # Page 1 had a new entry; page 2 lists only known ones, so paging stops after it.
    assert [item["fields"]["page"] for item in second.of_kind("list")] == [1, 2]


def test_pbc_changed_page_updated(crawled, server: FixtureServer, tmp_path: Path):
    path = detail_path("2026110310000000001")
    server.add(path, (PAGES / "detail_120.html").read_text(encoding="utf-8").replace("85万元", "86万元"))
    second = run_crawl(["pbc"], tmp_path, "--full")
    item = second.by_url(server.url(path))
    assert item["outcome"] == "updated"
    assert second.by_url(server.url(detail_path("2026071010000000003")))["outcome"] == "unchanged"


@pytest.mark.real_data
def test_pbc_real_page_through_spider(server: FixtureServer, tmp_path: Path):
    real_page = archive_file("pages/pbc/pbc_penalty_detail.html").read_bytes()
    serve_column(server, tmp_path, real_page=real_page)
    configure(server, tmp_path)
    crawled = run_crawl(["pbc"], tmp_path)
    item = crawled.by_url(server.url(detail_path(REAL_PAGE_ID)))
    assert item["fields"]["title"] == "银罚决字〔2026〕104-116号"
    assert item["fields"]["table_rows"] == 13

    loaded = run_load(tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    with duckdb.connect(str(tmp_path / "eintel.duckdb"), read_only=True) as con:
        numbers = [row[0] for row in con.execute(
            "SELECT decision_number FROM cases WHERE source_url = ? ORDER BY decision_number",
            [server.url(detail_path(REAL_PAGE_ID))]).fetchall()]
        runs = con.execute("SELECT count(*) FROM crawl_runs WHERE source = 'pbc'").fetchone()[0]
    assert len(numbers) == 13
    assert numbers[0] == "银罚决字〔2026〕104号"
    assert numbers[-1] == "银罚决字〔2026〕116号"
    assert runs == 1


def test_pbc_pending_retried_next_run(crawled, server: FixtureServer, tmp_path: Path):
    blocked_path = detail_path("2026061210000000006")
    server.add(blocked_path, (PAGES / "detail_88.html").read_text(encoding="utf-8").replace("88号", "70号"))
    second = run_crawl(["pbc"], tmp_path)
    item = second.by_url(server.url(blocked_path))
    assert item["outcome"] == "new"
    assert item["fields"]["title"] == "银罚决字〔2026〕70号"
    with CrawlArchive(tmp_path / "crawl") as archive:
        pending_urls = [entry.url for entry in archive.pending("pbc")]
    assert server.url(blocked_path) not in pending_urls


def test_pbc_obeys_robots_txt(server: FixtureServer, tmp_path: Path):
    serve_clean_column(server)
    server.add("/robots.txt", f"User-agent: *\nDisallow: {detail_path('2026110310000000001')}\n", "text/plain")
    configure(server, tmp_path)
    crawled = run_crawl(["pbc"], tmp_path)
    assert server.hits(detail_path("2026110310000000001")) == 0
    assert server.hits(detail_path("2026071010000000003")) == 1
    assert len(crawled.of_kind("detail")) == 6
    with CrawlArchive(tmp_path / "crawl") as archive:
        run = archive.crawl_runs("pbc")[-1]
        pending = archive.pending("pbc")
    assert run["errors"] == 0
    assert pending == []


def build_site(server: FixtureServer, workdir: Path) -> None:
    """A healthy copy of the column for the throughput benchmark."""
    serve_clean_column(server)
    configure(server, workdir)


def test_pbc_empty_list_shape_changed(server: FixtureServer, tmp_path: Path):
    server.add(f"{COLUMN}/index.html", (PAGES / "list_3.html").read_bytes())
    configure(server, tmp_path)
    crawled = run_crawl(["pbc"], tmp_path)
    with CrawlArchive(tmp_path / "crawl") as archive:
        run = archive.crawl_runs("pbc")[-1]
    assert crawled.returncode == 1
    assert run["status"] == "shape_changed"
    assert "first list page of hq has no detail links" in run["message"]
    assert "WARNING scrapers.base: Source pbc page shape changed" in crawled.stderr
    assert "shape_changed" in crawled.stdout


def test_pbc_unreachable_site_failed(server: FixtureServer, tmp_path: Path):
    configure(server, tmp_path)
    server.add(f"{COLUMN}/index.html", b"", status=500)
    crawled = run_crawl(["pbc"], tmp_path, "--set", "RETRY_TIMES=1")
    with CrawlArchive(tmp_path / "crawl") as archive:
        run = archive.crawl_runs("pbc")[-1]
        pending = [entry.url for entry in archive.pending("pbc")]
    assert crawled.returncode == 1
    assert run["status"] == "failed"
    assert "HTTP 500" in run["message"]
    assert pending == [server.url(f"{COLUMN}/index.html")]


def test_pbc_headers_match_etl():
    spider_headers = load_config(SPIDER_DIR / "pbc.yaml")["table_headers"]
    assert spider_headers == load_table_shape()["required_headers"]


def test_pbc_pending_of_other_config_left(server: FixtureServer, tmp_path: Path):
    serve_clean_column(server)
    configure(server, tmp_path)
    missing = detail_path("2026110310000000001")
    del server.routes[missing]
    first = run_crawl(["pbc"], tmp_path)
    assert first.returncode == 0
    with CrawlArchive(tmp_path / "crawl") as archive:
        assert [entry.url for entry in archive.pending("pbc")] == [server.url(missing)]

    # The same site under another data file: the pending request belongs to the first one.
    other = tmp_path / "other"
    configure(server, other)
    (other / "config").rename(tmp_path / "config-b")
    hits_before = server.hits(missing)
    result = run_crawl(["pbc"], tmp_path, "--config-dir", str(tmp_path / "config-b"))
    assert result.returncode == 0, result.stderr
    assert "Retrying pending request" not in result.stderr
    # Page 1 still lists the missing entry, so it is requested once as a list entry.
    assert server.hits(missing) == hits_before + 1
