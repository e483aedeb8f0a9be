"""The data-health page: its queries on real DuckDB files and the page in Streamlit's AppTest.

The session warehouse carries the crawl runs of tests/app/conftest.py: pbc ok twice,
cac ok then shape_changed, nfra failed twice. The other warehouses here are built per
test, with no crawl runs, no cases or mixed parse statuses.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app_pages.crawl_health import document_table, format_time
from eintel.settings import get_settings
from etl.models import RawDocument
from tests.app.conftest import CRAWL_RUNS, DOCUMENTS, build_warehouse
from warehouse import queries
from warehouse.db import connect
from warehouse.load import replace_cases, store_crawl_runs, store_raw_documents

APP = Path(__file__).resolve().parents[2] / "app.py"
HEALTH_PAGE = "app_pages/health.py"
RUN_TIMEOUT_SECONDS = 60


def _health(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    return {row["source"]: row for row in queries.source_health(con).to_dict("records")}


def _use_warehouse(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setenv("EINTEL_DB", str(path))
    monkeypatch.delenv("EINTEL_LANG", raising=False)
    get_settings.cache_clear()


def _health_page(lang: str = "zh") -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_SECONDS)
    at.session_state["lang"] = lang
    at.run()
    at.switch_page(HEALTH_PAGE).run()
    return at


def _source_block(at: AppTest, source: str) -> Any:
    """The bordered container of one source (keyed health_source_<source> by the page)."""
    blocks = [block for block in at.main.children.values() if str(getattr(block.proto, "id", "")).endswith(f"-health_source_{source}")]
    assert len(blocks) == 1, f"expected one container of {source}, found {len(blocks)}"
    return blocks[0]


def _metrics(node: Any) -> dict[str, str]:
    return {metric.label: metric.value for metric in node.get("metric")}


def _badges(at: AppTest) -> list[str]:
    """The badge of each source, in page order, without the times that follow it."""
    badges = [re.match(r":[a-z]+-badge\[[^\]]*\]", element.value) for element in at.markdown]
    return [badge.group(0) for badge in badges if badge]


@pytest.fixture
def no_crawls_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("no_crawls") / "eintel.duckdb"
    build_warehouse(path, crawl_runs=[])
    return path


@pytest.fixture
def statuses_file(tmp_path: Path) -> Path:
    """Four pbc documents (parsed, failed, superseded, pending) and one cac document (parsed)."""
    path = tmp_path / "eintel.duckdb"
    fetched = datetime(2026, 9, 25, 8, 30)
    documents = [
        RawDocument.build(source="pbc", url=f"https://www.pbc.gov.cn/page/{number}.html", content=f"page {number}",
                          content_type="text/html", fetched_at=fetched)
        for number in range(4)
    ]
    documents.append(RawDocument.build(source="cac", url="https://www.cac.gov.cn/page/0.htm", content="page",
                                       content_type="text/html", fetched_at=fetched))
    statuses = ["parsed", "failed", "superseded", "pending", "parsed"]

    con = connect(path)
    try:
        store_raw_documents(con, documents)
        replace_cases(con, [], ["pbc", "cac"],
                      {doc.document_id: (status, None) for doc, status in zip(documents, statuses)})
    finally:
        con.close()
    return path


# Queries ------------------------------------------------------------------------------------


def test_source_health_sources(con: duckdb.DuckDBPyConnection) -> None:
    assert list(queries.source_health(con)["source"]) == ["cac", "nfra", "pbc"]


@pytest.mark.parametrize(
    ("source", "status", "failed_runs"),
    [("pbc", "ok", 0), ("cac", "shape_changed", 1), ("nfra", "failed", 2)],
)
def test_source_health_last_status(con: duckdb.DuckDBPyConnection, source: str, status: str, failed_runs: int) -> None:
    row = _health(con)[source]

    assert row["last_status"] == status
    assert row["failed_runs"] == failed_runs
    assert row["runs"] == 2


def test_source_health_last_success(con: duckdb.DuckDBPyConnection) -> None:
    health = _health(con)

    assert health["pbc"]["last_success_at"] == pd.Timestamp("2026-09-24 17:11:40")
    # cac's last run changed shape, so its last success is the run before.
    assert health["cac"]["last_success_at"] == pd.Timestamp("2026-09-23 17:31:05")
    assert pd.isna(health["nfra"]["last_success_at"])


def test_source_health_last_run_counts(con: duckdb.DuckDBPyConnection) -> None:
    pbc = _health(con)["pbc"]

    assert pbc["last_run_at"] == pd.Timestamp("2026-09-24 17:10:00")
    assert pbc["last_pages"] == 4
    assert pbc["last_new_items"] == 1
    assert pbc["last_updated_items"] == 1
    assert pbc["last_errors"] == 0
    assert pbc["total_new_items"] == 4


def test_source_health_last_message(con: duckdb.DuckDBPyConnection) -> None:
    lines = _health(con)["nfra"]["last_message"].splitlines()

    assert len(lines) == 2
    assert lines[1].endswith("TimeoutError: timed out")


def test_source_health_empty_without_runs(no_crawls_file: Path) -> None:
    with connect(no_crawls_file, read_only=True) as con:
        health = queries.source_health(con)

    assert health.empty


def test_source_health_running_not_failed(tmp_path: Path) -> None:
    running = {**CRAWL_RUNS[0], "run_id": "pbc-3", "started_at": "2026-09-25T17:10:00+00:00", "finished_at": None,
               "status": "running"}
    with connect(tmp_path / "eintel.duckdb") as con:
        store_crawl_runs(con, [*CRAWL_RUNS, running])
        pbc = _health(con)["pbc"]

    assert pbc["last_status"] == "running"
    assert pbc["failed_runs"] == 0
    assert pbc["runs"] == 3


def test_recent_crawl_runs_newest_first(con: duckdb.DuckDBPyConnection) -> None:
    runs = queries.recent_crawl_runs(con)

    assert list(runs["run_id"]) == ["nfra-2", "cac-2", "pbc-2", "nfra-1", "cac-1", "pbc-1"]


def test_recent_crawl_runs_limit(con: duckdb.DuckDBPyConnection) -> None:
    assert list(queries.recent_crawl_runs(con, 2)["run_id"]) == ["nfra-2", "cac-2"]


def test_recent_crawl_runs_duration(con: duckdb.DuckDBPyConnection) -> None:
    runs = queries.recent_crawl_runs(con).set_index("run_id")

    assert runs.loc["pbc-2", "duration_seconds"] == 100
    assert runs.loc["cac-1", "duration_seconds"] == 365
    assert bool(runs.loc["cac-1", "full_crawl"]) is True


def test_raw_document_statuses_fixture(con: duckdb.DuckDBPyConnection) -> None:
    counts = queries.raw_document_statuses(con)
    per_source = counts.groupby("source")["documents"].sum().to_dict()
    expected: dict[str, int] = {}
    for source, _ in DOCUMENTS.values():
        expected[source] = expected.get(source, 0) + 1

    assert set(counts["parse_status"]) == {"parsed"}
    assert per_source == expected


def test_raw_document_statuses_mixed(statuses_file: Path) -> None:
    with connect(statuses_file, read_only=True) as con:
        rows = queries.raw_document_statuses(con).to_dict("records")

    assert rows == [
        {"source": "cac", "parse_status": "parsed", "documents": 1},
        {"source": "pbc", "parse_status": "failed", "documents": 1},
        {"source": "pbc", "parse_status": "parsed", "documents": 1},
        {"source": "pbc", "parse_status": "pending", "documents": 1},
        {"source": "pbc", "parse_status": "superseded", "documents": 1},
    ]


# Page helpers -------------------------------------------------------------------------------


def test_format_time_china_standard_time() -> None:
    assert format_time(pd.Timestamp("2026-09-24 17:10:00")) == "2026-09-25 01:10"


def test_format_time_missing() -> None:
    assert format_time(pd.NaT, "never") == "never"


def test_document_table_columns() -> None:
    statuses = pd.DataFrame({
        "source": ["pbc", "pbc", "pbc", "cac"],
        "parse_status": ["pending", "parsed", "odd", "parsed"],
        "documents": [2, 5, 1, 3],
    })
    table = document_table(statuses, "en")

    assert list(table.columns) == ["Source", "Parsed", "Pending", "odd", "Total"]
    assert table.set_index("Source").loc["pbc"].to_dict() == {"Parsed": 5, "Pending": 2, "odd": 1, "Total": 8}
    assert table.set_index("Source").loc["cac", "Total"] == 3


# The page -----------------------------------------------------------------------------------


def test_health_page_chinese(app_env: Path) -> None:
    at = _health_page("zh")

    assert not at.exception
    assert at.title[0].value == "数据健康"
    assert {metric.label: metric.value for metric in at.metric[:4]} == {
        "抓取来源": "3", "最近一次运行正常": "1", "最近一次运行有问题": "2", "抓取运行次数": "6",
    }


def test_health_page_problems_first(app_env: Path) -> None:
    at = _health_page("zh")
    headers = [header.value for header in at.subheader]

    assert headers[:3] == ["cac", "nfra", "pbc"]


def test_health_page_badges(app_env: Path) -> None:
    at = _health_page("zh")

    assert _badges(at) == [":orange-badge[页面结构变化]", ":red-badge[失败]", ":green-badge[正常]"]


def test_health_page_source_times(app_env: Path) -> None:
    at = _health_page("zh")
    nfra = _source_block(at, "nfra").get("markdown")[0].value
    pbc = _source_block(at, "pbc").get("markdown")[0].value

    assert "最近成功：**从未成功**" in nfra
    assert "最近运行：2026-09-25 02:25" in nfra
    assert "最近成功：**2026-09-25 01:11**" in pbc


def test_health_page_source_metrics(app_env: Path) -> None:
    at = _health_page("zh")
    nfra = _metrics(_source_block(at, "nfra"))
    pbc = _metrics(_source_block(at, "pbc"))

    assert nfra["页面数"] == "1"
    assert nfra["错误"] == "2"
    assert nfra["未成功的运行"] == "2 / 2 次"
    assert pbc["新增 / 更新"] == "1 / 1"


def test_health_page_failure_messages(app_env: Path) -> None:
    at = _health_page("zh")
    nfra_messages = [code.value for code in _source_block(at, "nfra").get("code")]
    pbc_messages = _source_block(at, "pbc").get("code")

    assert len(nfra_messages) == 1
    assert "docId=1201235: TimeoutError: timed out" in nfra_messages[0]
    assert len(pbc_messages) == 0


def test_health_page_tables(app_env: Path) -> None:
    at = _health_page("zh")
    runs = at.dataframe[0].value
    documents = at.dataframe[1].value

    assert len(at.dataframe) == 2
    assert list(runs["status_label"][:3]) == ["失败", "页面结构变化", "正常"]
    assert list(documents.columns) == ["来源", "已解析", "合计"]


def test_health_page_english(app_env: Path) -> None:
    at = _health_page("en")
    cac = _source_block(at, "cac")

    assert not at.exception
    assert at.title[0].value == "Data health"
    assert _badges(at)[0] == ":orange-badge[Page shape changed]"
    assert "Last success: **2026-09-24 01:31**" in cac.get("markdown")[0].value
    assert _metrics(cac)["Runs not OK"] == "1 of 2"


@pytest.mark.parametrize(("lang", "expected"), [("zh", "还没有抓取记录"), ("en", "No crawl has run yet")])
def test_health_page_without_crawls(no_crawls_file: Path, monkeypatch: pytest.MonkeyPatch, lang: str,
                                    expected: str) -> None:
    _use_warehouse(monkeypatch, no_crawls_file)
    at = _health_page(lang)

    assert not at.exception
    assert expected in at.info[0].value
    assert len(at.metric) == 0
    # The raw documents of the imported data still show.
    assert len(at.dataframe) == 1


def test_health_page_opens_without_cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "eintel.duckdb"
    build_warehouse(path, cases=[])
    _use_warehouse(monkeypatch, path)
    at = _health_page("zh")

    assert not at.exception
    assert len(at.error) == 0
    assert [header.value for header in at.subheader][:3] == ["cac", "nfra", "pbc"]


def test_overview_still_stops_without_cases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "eintel.duckdb"
    build_warehouse(path, cases=[])
    _use_warehouse(monkeypatch, path)
    at = AppTest.from_file(str(APP), default_timeout=RUN_TIMEOUT_SECONDS).run()

    assert "数据仓库中还没有案例" in at.error[0].value
