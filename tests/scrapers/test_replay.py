"""`eintel load` copies new archived responses; `--replay` rebuilds them from the whole archive."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import duckdb

from eintel.raw import RawDocument
from warehouse.db import connect
from warehouse.load import store_raw_documents

from tests.scrapers.conftest import run_crawl, run_load
from tests.scrapers.server import FixtureServer
from tests.scrapers.test_spider_pbc import configure, serve_clean_column


def case_rows(db: Path) -> list[tuple[str, str, str]]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(
            "SELECT case_id, decision_number, row_hash FROM cases ORDER BY case_id"
        ).fetchall()


def test_replay_rebuilds_warehouse(server: FixtureServer, tmp_path: Path):
    page_ids = serve_clean_column(server)
    configure(server, tmp_path)
    crawled = run_crawl(["pbc"], tmp_path)
    assert crawled.returncode == 0, crawled.stderr
    first = run_load(tmp_path)
    assert first.returncode == 0, first.stderr
    built = case_rows(tmp_path / "eintel.duckdb")
    assert len(built) == 2 * len(page_ids)

    (tmp_path / "eintel.duckdb").unlink()
    replayed = run_load(tmp_path, "--replay")
    assert replayed.returncode == 0, replayed.stderr
    assert "crawled documents: 7 new" in replayed.stdout
    rebuilt = case_rows(tmp_path / "eintel.duckdb")
    assert [row[:2] for row in rebuilt] == [row[:2] for row in built]
    assert [row[2] for row in rebuilt] == [row[2] for row in built]


def test_load_twice_copies_nothing_new(server: FixtureServer, tmp_path: Path):
    serve_clean_column(server)
    configure(server, tmp_path)
    run_crawl(["pbc"], tmp_path)
    run_load(tmp_path)
    second = run_load(tmp_path)
    assert second.returncode == 0, second.stderr
    assert "crawled documents: 0 new, 0 updated, 0 unchanged" in second.stdout
    assert "0 new, 0 updated, 0 deleted" in second.stdout


def test_replay_without_archive_fails(tmp_path: Path):
    result = run_load(tmp_path, "--replay")
    assert result.returncode == 2
    assert "no crawl archive" in result.stderr


def test_replay_keeps_imported_documents(server: FixtureServer, tmp_path: Path):
    serve_clean_column(server)
    configure(server, tmp_path)
    run_crawl(["pbc"], tmp_path)
    saved_page = RawDocument.build(
        source="pbc", url="https://www.pbc.gov.cn/saved/index.html", content="<html></html>",
        content_type="text/html", fetched_at=datetime(2026, 9, 24, tzinfo=timezone.utc),
    )
    with connect(tmp_path / "eintel.duckdb") as con:
        store_raw_documents(con, [saved_page])

    replayed = run_load(tmp_path, "--replay")
    assert replayed.returncode == 0, replayed.stderr
    with duckdb.connect(str(tmp_path / "eintel.duckdb"), read_only=True) as con:
        urls = {row[0] for row in con.execute("SELECT url FROM raw_documents WHERE source = 'pbc'").fetchall()}
    assert "https://www.pbc.gov.cn/saved/index.html" in urls
    assert len(urls) == 8
