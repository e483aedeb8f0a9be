"""A crawl killed with SIGKILL and started again loses nothing and duplicates nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import duckdb

from tests.scrapers.conftest import REPO, crawl_command, run_crawl, run_load
from tests.scrapers.server import FixtureServer
from tests.scrapers.test_spider_pbc import COLUMN, PAGES, configure, detail_path

LIST_PAGES = 4
ENTRIES_PER_PAGE = 10


def serve_large_column(server: FixtureServer, list_pages: int = LIST_PAGES, per_page: int = ENTRIES_PER_PAGE) -> list[str]:
    """A column of `list_pages` list pages of `per_page` decisions each; returns the detail URLs."""
    template = (PAGES / "detail_120.html").read_text(encoding="utf-8")
    urls = []
    for page in range(1, list_pages + 1):
        items = []
        for entry in range(per_page):
            number = page * 100 + entry
            page_id = f"20261001{number:011d}"
            path = detail_path(page_id)
            items.append(f'<li><a href="{path}">银罚决字〔2026〕{number}号</a><span>2026-10-01</span></li>')
            server.add(path, template.replace("120号", f"{number}号").replace("121号", f"{number}-2号"))
            urls.append(server.url(path))
        next_link = f'<a href="index_{page + 1}.html">下一页</a>' if page < list_pages else ""
        name = "index.html" if page == 1 else f"index_{page}.html"
        server.add(f"{COLUMN}/{name}", f"<html><body><ul>{''.join(items)}</ul>{next_link}</body></html>")
    return urls


def archived_count(index: Path) -> int:
    if not index.exists():
        return 0
    try:
        with sqlite3.connect(index, timeout=5) as db:
            return db.execute("SELECT count(*) FROM responses WHERE kind = 'detail'").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_sigkill_then_resume(server: FixtureServer, tmp_path: Path):
    urls = serve_large_column(server)
    configure(server, tmp_path)
    server.delay_seconds = 0.1
    index = tmp_path / "crawl" / "index.sqlite3"

    child = subprocess.Popen(
        crawl_command(["pbc"], tmp_path), cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env={**os.environ, "PYTHONPATH": str(REPO)}, start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while archived_count(index) < 12 and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
    os.killpg(child.pid, signal.SIGKILL)
    child.wait(timeout=10)
    killed_at = archived_count(index)
    assert 12 <= killed_at < len(urls), "the crawl should be killed part-way"

    server.delay_seconds = 0.0
    resumed = run_crawl(["pbc"], tmp_path)
    assert resumed.returncode == 0, resumed.stderr

    with sqlite3.connect(index) as db:
        rows = db.execute("SELECT url, count(*) FROM responses WHERE kind = 'detail' GROUP BY url").fetchall()
        statuses = [row[0] for row in db.execute("SELECT status FROM crawl_runs ORDER BY started_at")]
    per_url = dict(rows)
    assert sorted(per_url) == sorted(urls)
    assert set(per_url.values()) == {1}
    assert statuses == ["interrupted", "ok"]
    # The resumed run fetched only what the killed one had not archived.
    assert len(resumed.of_kind("detail")) == len(urls) - killed_at

    loaded = run_load(tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    with duckdb.connect(str(tmp_path / "eintel.duckdb"), read_only=True) as con:
        documents = con.execute("SELECT count(*) FROM raw_documents WHERE source = 'pbc'").fetchone()[0]
        cases = con.execute("SELECT count(*), count(DISTINCT case_id) FROM cases WHERE source = 'pbc'").fetchone()
    assert documents == len(urls)
    assert cases == (2 * len(urls), 2 * len(urls))
