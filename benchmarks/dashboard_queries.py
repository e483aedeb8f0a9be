"""Latency of the dashboard's warehouse queries, and peak memory of the dashboard server.

Query latency (`measure_queries`) covers every query the pages run through
`app_pages.common.query`, with the arguments the pages pass. Those are the default
filters (the data-protection domain) and variants: a province, a violation type, a text
search, a date range, each Trends dimension, a case's detail and the second page of the
case table. Each query is timed two ways, alternating within each repeat:

- app: `app_pages.common.run_query`, the path of a page's query without the
  `st.cache_data` hit. It takes the warehouse connection and runs the
  `warehouse.queries` function, returning its DataFrame or dict.
- bare: the SQL statements and parameters that the app path sends to DuckDB, captured by
  a recording proxy around the connection. A child process replays them on one
  connection it keeps open, with `fetchall()`, and times them itself.

The ratio app p95 / bare p95 is the cost the dashboard adds to the SQL it needs.

Dashboard memory (`measure_dashboard_memory`): starts `streamlit run app.py` headless on
127.0.0.1, opens every page in Playwright-driven Chromium (/usr/bin/chromium), and reads
the peak resident set (VmHWM) of the server process and its children. The search and
match pages load the sentence encoder even when the warehouse has no passages or
embeddings, and then show a warning; the result notes say so.

    .venv/bin/python benchmarks/dashboard_queries.py --db /tmp/w1m.duckdb [--repeats 30] [--memory] [--record]

A large warehouse for the measurement can be made by replicating a real one, with new
ids and shifted dates, fines and provinces (162 copies of the 6,171 demo cases make
999,702 cases):

    .venv/bin/python benchmarks/dashboard_queries.py --db /tmp/w1m.duckdb --replicate-from data/eintel.duckdb --copies 162

Results go to benchmarks/results/dashboard_queries.json only with --record.
"""

from __future__ import annotations

import argparse
import json
import logging
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import duckdb  # noqa: E402

from benchmarks.machine import describe_machine  # noqa: E402
from benchmarks.process_memory import tree_memory_mib  # noqa: E402

logger = logging.getLogger(__name__)

RESULTS = REPO / "benchmarks" / "results" / "dashboard_queries.json"


# Building a large warehouse ---------------------------------------------------------------

def replicate_warehouse(source: Path, target: Path, copies: int) -> dict[str, Any]:
    """Copy `source` to `target` and grow its cases and raw documents to `copies` times their rows.

    Copy 0 is the original. Copy i > 0 gets ids suffixed with "-i", dates moved back by
    i % 24 months (year-precision dates by i % 4 years, so they stay on 1 January),
    fines scaled by 1 + (i % 9) / 8, non-null provinces rotated by i through the
    provinces present, and "#i" appended to party names and URLs. Taxonomy labels and
    load runs are kept as they are. Returns the row counts and the file size.
    """
    if copies < 1:
        raise ValueError(f"copies must be at least 1, got {copies}")
    if target.resolve() == source.resolve():
        raise ValueError(f"the target {target} is the source itself; pass another --db path")

    target.parent.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    shutil.copyfile(source, target)

    started = time.perf_counter()
    con = duckdb.connect(str(target))
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("CREATE TEMP TABLE copy_numbers AS SELECT range AS i FROM range(1, ?)", [copies])
        con.execute(
            """
            CREATE TEMP TABLE province_ring AS
            SELECT province, (row_number() OVER (ORDER BY province)) - 1 AS position
            FROM (SELECT DISTINCT province FROM cases WHERE province IS NOT NULL)
            """
        )
        con.execute(
            """
            INSERT INTO raw_documents
            SELECT d.document_id || '-' || n.i, d.source, d.url || '#' || n.i, d.fetched_at, d.content_type,
                   d.content, d.content_hash, d.meta, d.parse_status, d.parse_note, d.first_seen_at, d.updated_at
            FROM raw_documents AS d CROSS JOIN copy_numbers AS n
            ORDER BY n.i, d.document_id
            """
        )
        con.execute(
            """
            CREATE TEMP MACRO shifted(day, precision, i) AS
                CASE WHEN precision = 'year' THEN day - to_years((i % 4)::INTEGER)
                     ELSE day - to_months((i % 24)::INTEGER) END::DATE
            """
        )
        con.execute(
            """
            INSERT INTO cases
            SELECT
                c.case_id || '-' || n.i, c.document_id || '-' || n.i, c.source, c.source_url || '#' || n.i,
                c.title, c.decision_number, c.regulator, c.regulator_level, c.regulator_family,
                CASE WHEN c.province IS NULL THEN NULL ELSE (
                    SELECT r.province FROM province_ring AS r
                    WHERE r.position = (p.position + n.i) % (SELECT count(*) FROM province_ring)
                ) END,
                CASE WHEN c.party_name IS NULL THEN NULL ELSE c.party_name || ' #' || n.i END,
                c.party_type, c.app_name, c.industry, c.domain, c.violation_types, c.legal_bases,
                c.outcome_types,
                (c.fine_cny * (1 + (n.i % 9) / 8))::DECIMAL(18, 2),
                c.confiscation_cny,
                shifted(c.decision_date, c.decision_date_precision, n.i), c.decision_date_precision,
                shifted(c.publish_date, c.publish_date_precision, n.i), c.publish_date_precision,
                c.summary, c.text, c.parse_warnings, c.row_hash, c.loaded_at
            FROM cases AS c
            CROSS JOIN copy_numbers AS n
            LEFT JOIN province_ring AS p ON p.province = c.province
            ORDER BY n.i, c.case_id
            """
        )
        con.execute("CHECKPOINT")
        counts = {
            table: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("cases", "raw_documents")
        }
    finally:
        con.close()

    size = target.stat().st_size
    logger.info("Replicated %s to %s: copies=%d cases=%d bytes=%d", source, target, copies, counts["cases"], size)
    return {**counts, "bytes": size, "seconds": round(time.perf_counter() - started, 1)}


# Query latency ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Workload:
    """One query as a page runs it: a name of `app_pages.common._QUERIES` and its arguments."""

    label: str
    name: str
    args: tuple[Any, ...]


class RecordingConnection:
    """DuckDB connection proxy that records each execute() call's SQL and parameters.

    `warehouse.queries` calls only execute() and then reads the result from the
    connection it returns, which is the wrapped connection itself.
    """

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self.statements: list[tuple[str, Any]] = []

    def execute(self, query: str, parameters: Any = None) -> duckdb.DuckDBPyConnection:
        self.statements.append((query, parameters))
        return self._con.execute(query, parameters)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._con, name)


def capture_statements(con: duckdb.DuckDBPyConnection, name: str, args: tuple[Any, ...]) -> tuple[Any, list[tuple[str, Any]]]:
    """Run one dashboard query on `con` through a RecordingConnection; return its result and statements."""
    from app_pages.common import _QUERIES

    recorder = RecordingConnection(con)
    result = _QUERIES[name](recorder, *args)
    return result, recorder.statements


def replay(con: duckdb.DuckDBPyConnection, statements: list[tuple[str, Any]]) -> list[list[tuple[Any, ...]]]:
    """Run captured statements on `con`, fetching every row of each; return the rows per statement."""
    return [con.execute(query, parameters).fetchall() for query, parameters in statements]


def result_rows(result: Any) -> int:
    """Count the rows a query returned: a DataFrame's rows, a list's items, 1 for a dict or number, 0 for None."""
    if result is None:
        return 0
    if hasattr(result, "shape"):
        return int(result.shape[0])
    if isinstance(result, list):
        return len(result)
    return 1


def dashboard_workload(con: duckdb.DuckDBPyConnection) -> list[Workload]:
    """List the queries the pages run, with the default filters and realistic variants.

    The variants take their values from the warehouse: the province and the violation
    type with the most cases, and the last two years of event dates. The case detail is
    of the case with the most sibling cases. The text searches are fixed Chinese words.
    """
    from warehouse import queries
    from warehouse.queries import Filters

    default = Filters()
    province = con.execute(
        "SELECT province FROM cases WHERE province IS NOT NULL GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    ).fetchone()[0]
    violation = con.execute(
        "SELECT violation_type FROM v_case_violations GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    ).fetchone()[0]
    last = con.execute("SELECT max(event_date) FROM v_cases").fetchone()[0]
    case_id = con.execute(
        "SELECT case_id FROM cases WHERE document_id = "
        "(SELECT document_id FROM cases GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1) ORDER BY 1 LIMIT 1"
    ).fetchone()[0]

    variants = {
        "default": default,
        "all domains": replace(default, domain=None),
        f"province={province}": replace(default, provinces=(province,)),
        f"violation={violation}": replace(default, violation_types=(violation,)),
        "last two years": replace(default, date_from=last.replace(year=last.year - 2), date_to=last),
    }
    # Text searches reach only the Cases page: a frequent word of company names and a rare one.
    text_variants = {f"text={text}": replace(default, text=text) for text in ("科技", "征信")}

    work: list[Workload] = [
        Workload("every page", "filter_options", ()),
        *(Workload(f"every page, {kind}", "labels", (kind, "zh")) for kind in ("industries", "violation_types", "outcome_types")),
    ]
    for label, filters in variants.items():
        work += [
            Workload(label, "overview_metrics", (filters,)),
            Workload(label, "fine_documents", (filters,)),
            Workload(label, "newest_cases", (filters, 10)),
            Workload(label, "year_only_count", (filters,)),
            Workload(label, "undated_count", (filters,)),
            Workload(label, "fine_distribution", (filters,)),
            Workload(label, "top_fines", (filters, 20)),
            Workload(label, "search_cases", (filters, 500, 0)),
        ]
        dimensions = queries.DIMENSIONS if label == "default" else queries.DIMENSIONS[:1]
        for by in dimensions:
            work += [
                Workload(f"{label}, by {by}", "breakdown", (filters, by)),
                Workload(f"{label}, by {by}", "monthly_counts", (filters, by)),
                Workload(f"{label}, by {by}", "yearly_counts", (filters, by)),
            ]
    work.append(Workload("default, page 2", "search_cases", (default, 500, 500)))
    for label, filters in text_variants.items():
        work += [
            Workload(label, "overview_metrics", (filters,)),
            Workload(label, "search_cases", (filters, 500, 0)),
        ]
    work += [
        Workload(f"case {case_id}", "case_detail", (case_id,)),
        Workload("health page", "source_health", ()),
        Workload("health page", "recent_crawl_runs", (50,)),
        Workload("health page", "raw_document_statuses", ()),
    ]
    return work


def _milliseconds(run: Any) -> float:
    started = time.perf_counter()
    run()
    return (time.perf_counter() - started) * 1000


def _p95(samples: list[float]) -> float:
    return statistics.quantiles(samples, n=20, method="inclusive")[18]


class BareWorker:
    """A child process with its own read-only connection that captures and replays statements.

    The bare path runs in another process because DuckDB shares one database instance,
    and so one buffer cache, among the connections of a process to the same file. A bare
    connection in the benchmark process would warm the cache for the app path.
    """

    def __init__(self, db: Path) -> None:
        context = multiprocessing.get_context("spawn")
        self._pipe, child_end = context.Pipe()
        self._process = context.Process(target=_bare_worker, args=(str(db), child_end), daemon=True)
        self._process.start()
        child_end.close()

    def _call(self, *request: Any) -> Any:
        self._pipe.send(request)
        kind, value = self._pipe.recv()
        if kind == "error":
            raise RuntimeError(f"the bare worker failed on {request[0]}: {value}")
        return value

    def workload(self) -> list[Workload]:
        return self._call("workload")

    def capture(self, name: str, args: tuple[Any, ...]) -> tuple[int, int]:
        """Capture the statements of one query and keep them for `replay`; return (rows, statements)."""
        return self._call("capture", name, args)

    def use(self, statements: list[tuple[str, Any]]) -> None:
        self._call("use", statements)

    def replay(self) -> float:
        """Replay the kept statements once, fetching all rows; return the milliseconds the worker measured."""
        return self._call("replay")

    def close(self) -> None:
        self._pipe.send(("stop",))
        self._process.join(timeout=30)


def _bare_worker(path: str, pipe: Any) -> None:
    con = duckdb.connect(path, read_only=True)
    con.execute("SET enable_progress_bar = false")
    statements: list[tuple[str, Any]] = []
    try:
        while True:
            kind, *payload = pipe.recv()
            if kind == "stop":
                return
            try:
                if kind == "workload":
                    value: Any = dashboard_workload(con)
                elif kind == "capture":
                    result, statements = capture_statements(con, *payload)
                    value = (result_rows(result), len(statements))
                elif kind == "use":
                    statements = payload[0]
                    value = None
                else:
                    value = _milliseconds(lambda: replay(con, statements))
                pipe.send(("ok", value))
            except Exception as error:  # sent back, so the benchmark process raises it with the request
                pipe.send(("error", f"{type(error).__name__}: {error}"))
    finally:
        con.close()


def measure_queries(db: Path, repeats: int = 30) -> list[dict[str, Any]]:
    """Time every dashboard query on the app path and as bare SQL; return one dict per query.

    Each query runs once on both paths before the timed repeats, and the two paths
    alternate within a repeat, so both see the same machine load. Dict keys: label,
    query, rows, statements, app_p50_ms, app_p95_ms, bare_p50_ms, bare_p95_ms and
    ratio_p95 (app p95 / bare p95).
    """
    if repeats < 2:
        raise ValueError(f"repeats must be at least 2 to compute a p95, got {repeats}")
    if not db.exists():
        raise FileNotFoundError(f"warehouse file not found: {db}; build one with `eintel demo` or --replicate-from")

    from app_pages import common

    path = str(db)
    os.environ["EINTEL_DB"] = path
    worker = BareWorker(db)
    results: list[dict[str, Any]] = []
    try:
        work = [Workload("every page", "warehouse_problem", ()), *worker.workload()]
        for item in work:
            if item.name == "warehouse_problem":
                # Runs on every page render, outside the query cache.
                worker.use([("SELECT count(*) FROM cases", None)])
                rows, statements = 1, 1
                run_app = common.warehouse_problem
            else:
                rows, statements = worker.capture(item.name, item.args)
                run_app = lambda item=item: common.run_query(path, item.name, item.args)  # noqa: E731
            run_app()
            worker.replay()

            app_ms: list[float] = []
            bare_ms: list[float] = []
            for _ in range(repeats):
                app_ms.append(_milliseconds(run_app))
                bare_ms.append(worker.replay())

            row = {
                "label": item.label,
                "query": item.name,
                "rows": rows,
                "statements": statements,
                "app_p50_ms": round(statistics.median(app_ms), 2),
                "app_p95_ms": round(_p95(app_ms), 2),
                "bare_p50_ms": round(statistics.median(bare_ms), 2),
                "bare_p95_ms": round(_p95(bare_ms), 2),
            }
            row["ratio_p95"] = round(row["app_p95_ms"] / row["bare_p95_ms"], 2) if row["bare_p95_ms"] else None
            logger.info("Timed %s (%s): app p95 %.1f ms, bare p95 %.1f ms", item.name, item.label,
                        row["app_p95_ms"], row["bare_p95_ms"])
            results.append(row)
    finally:
        worker.close()
    return results


def print_query_table(rows: list[dict[str, Any]]) -> None:
    print(f"{'query':<22} {'variant':<34} {'rows':>7} {'app p50':>8} {'app p95':>8} {'bare p50':>8} {'bare p95':>8} {'ratio':>6}")
    for row in rows:
        print(
            f"{row['query']:<22} {row['label'][:34]:<34} {row['rows']:>7} {row['app_p50_ms']:>8.1f} "
            f"{row['app_p95_ms']:>8.1f} {row['bare_p50_ms']:>8.1f} {row['bare_p95_ms']:>8.1f} "
            f"{row['ratio_p95'] if row['ratio_p95'] is not None else '-':>6}"
        )


# Dashboard memory ---------------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# Upper bounds for a slow machine: a wait ends as soon as the page is ready.
SERVER_START_SECONDS = 120
PAGE_WAIT_MS = 180_000
# Pause after Streamlit reports the run finished, so the browser has drawn the charts.
SETTLE_MS = 1500
# Time a rerun gets to show Streamlit's status widget after a click or key press.
RERUN_START_MS = 2000
# A Chinese search term for the Cases and Search pages.
SEARCH_TEXT = "科技"


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_dashboard(db: Path, log_path: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start `streamlit run app.py` headless on a free 127.0.0.1 port; return the process and base URL."""
    import urllib.error
    import urllib.request

    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "EINTEL_DB": str(db), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    env.pop("EINTEL_LANG", None)
    command = [
        sys.executable, "-m", "streamlit", "run", str(REPO / "app.py"),
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--browser.gatherUsageStats", "false",
    ]
    log = open(log_path, "wb")  # noqa: SIM115 - closed with the process by the caller
    process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)

    deadline = time.monotonic() + SERVER_START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with code {process.returncode}; see {log_path}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return process, base_url
        except (urllib.error.URLError, ConnectionError):
            pass
        time.sleep(0.5)
    process.terminate()
    raise RuntimeError(f"streamlit did not respond on {base_url}/_stcore/health within {SERVER_START_SECONDS} s; see {log_path}")


def _settle(page: Any) -> None:
    """Wait until Streamlit has finished the script run and the browser has drawn it.

    A click or key press starts the rerun a moment later, so the status widget gets a
    short time to appear before the wait for it to go.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

    try:
        page.wait_for_selector('[data-testid="stStatusWidget"]', state="attached", timeout=RERUN_START_MS)
    except PlaywrightTimeoutError:
        pass
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=PAGE_WAIT_MS)
    page.wait_for_timeout(SETTLE_MS)


def _wait_for_outcome(page: Any, outcomes: dict[str, Any]) -> str:
    """Wait until one of the `outcomes` locators shows, settle, and return its key."""
    either = None
    for locator in outcomes.values():
        either = locator if either is None else either.or_(locator)
    either.first.wait_for(timeout=PAGE_WAIT_MS)
    _settle(page)
    return next(key for key, locator in outcomes.items() if locator.count())


def _visit_pages(page: Any, base_url: str, case_id: str, record: Any) -> dict[str, str]:
    """Open every page as a reader does, calling `record(step)` after each; return notes on skipped parts."""
    from app_pages.i18n import t
    from warehouse.queries import DIMENSIONS

    notes: dict[str, str] = {}
    page.goto(f"{base_url}/")
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=PAGE_WAIT_MS)
    _settle(page)
    record("overview")

    page.goto(f"{base_url}/trends")
    page.wait_for_selector(".js-plotly-plot", timeout=PAGE_WAIT_MS)
    _settle(page)
    record(f"trends by {DIMENSIONS[0]}")
    for by in DIMENSIONS[1:]:
        page.locator('[data-testid="stMain"] [data-testid="stSelectbox"] input').first.click()
        page.get_by_role("option", name=t(f"dimension_{by}", "zh"), exact=True).click()
        _settle(page)
        record(f"trends by {by}")

    page.goto(f"{base_url}/cases")
    page.wait_for_selector('[data-testid="stDataFrame"]', timeout=PAGE_WAIT_MS)
    _settle(page)
    record("cases")
    box = page.locator('[data-testid="stMain"] [data-testid="stTextInput"] input').first
    box.fill(SEARCH_TEXT)
    box.press("Enter")
    _settle(page)
    record(f"cases, text {SEARCH_TEXT}")
    page.goto(f"{base_url}/cases?case={case_id}")
    page.get_by_text(t("legal_bases_title", "zh")).first.wait_for(timeout=PAGE_WAIT_MS)
    _settle(page)
    record("case detail")

    page.goto(f"{base_url}/search")
    box = page.locator('[data-testid="stMain"] [data-testid="stTextInput"] input').first
    box.wait_for(timeout=PAGE_WAIT_MS)
    box.fill(SEARCH_TEXT)
    box.press("Enter")
    outcome = _wait_for_outcome(page, {
        "hits": page.locator('[data-testid="stMain"] [data-testid="stPageLink"]'),
        "no hits": page.get_by_text(t("search_no_hits", "zh")),
        "no passages": page.get_by_text(t("search_no_passages", "zh")[:12]),
        "no embeddings": page.get_by_text(t("search_no_embeddings", "zh", model="")[:8]),
        "error": page.locator('[data-testid="stMain"] [data-testid="stAlertContentError"]'),
    })
    if outcome not in ("hits", "no hits"):
        notes["search"] = f"the search page showed its {outcome} message, so no search ran"
    record("search")

    page.goto(f"{base_url}/match")
    button = page.get_by_role("button", name=t("match_run", "zh"))
    button.wait_for(timeout=PAGE_WAIT_MS)
    _settle(page)
    button.click()
    outcome = _wait_for_outcome(page, {
        "results": page.get_by_text(t("match_results", "zh", company="")[:4]),
        "no embeddings": page.get_by_text(t("match_no_embeddings", "zh", model="")[:8]),
        "error": page.locator('[data-testid="stMain"] [data-testid="stAlertContentError"]'),
    })
    if outcome != "results":
        notes["match"] = f"the match page showed its {outcome} message after loading the encoder, so no match ran"
    record("match")

    page.goto(f"{base_url}/health")
    page.get_by_text(t("health_documents", "zh")).first.wait_for(timeout=PAGE_WAIT_MS)
    _settle(page)
    record("health")
    return notes


def measure_dashboard_memory(db: Path) -> dict[str, Any]:
    """Serve the dashboard on `db`, open every page in Chromium and return the server's memory.

    Returns idle_mib (after start), steps (resident and peak memory after each page),
    peak_mib (the server tree's VmHWM at the end) and notes on the parts that did not run,
    such as a search without passages.
    """
    if not CHROMIUM.exists():
        raise FileNotFoundError(f"{CHROMIUM} not found; install it with `apt-get install chromium fonts-noto-cjk`")
    if not db.exists():
        raise FileNotFoundError(f"warehouse file not found: {db}")
    from playwright.sync_api import sync_playwright

    with duckdb.connect(str(db), read_only=True) as con:
        case_id = con.execute("SELECT case_id FROM cases ORDER BY len(legal_bases) DESC, case_id LIMIT 1").fetchone()[0]

    log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"dashboard_memory_{os.getpid()}.log"
    process, base_url = _start_dashboard(db, log_path)
    steps: list[dict[str, Any]] = []
    try:
        idle = tree_memory_mib(process.pid)

        def record(step: str) -> None:
            steps.append({"step": step, **tree_memory_mib(process.pid)})
            logger.info("Dashboard memory after %s: %s", step, steps[-1])

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
            try:
                context = browser.new_context(viewport={"width": 1440, "height": 1200}, locale="zh-CN")
                # Only the dashboard itself may be reached.
                context.route(lambda url: not url.startswith(base_url), lambda route: route.abort())
                notes = _visit_pages(context.new_page(), base_url, case_id, record)
            finally:
                browser.close()
        final = tree_memory_mib(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    return {"idle_mib": idle["rss_mib"], "peak_mib": final["peak_mib"], "steps": steps, "notes": notes,
            "server_log": str(log_path)}


# Command line -------------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    """Describe the CPU, cores, Python and the library versions the timings depend on."""
    return describe_machine(("duckdb", "pandas", "streamlit", "playwright"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="warehouse file to measure (or to create with --replicate-from)")
    parser.add_argument("--repeats", type=int, default=30, help="timed runs of each query on each path (default 30)")
    parser.add_argument("--memory", action="store_true", help="also measure the dashboard server's peak memory in Chromium")
    parser.add_argument("--record", action="store_true", help=f"write the results to {RESULTS.relative_to(REPO)}")
    parser.add_argument("--replicate-from", type=Path, help="build --db first from this warehouse, grown --copies times")
    parser.add_argument("--copies", type=int, default=162, help="copies of each case for --replicate-from (default 162)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    if args.replicate_from:
        built = replicate_warehouse(args.replicate_from, args.db, args.copies)
        print(f"Built {args.db}: {built['cases']:,} cases, {built['raw_documents']:,} raw documents, "
              f"{built['bytes'] / 2**20:,.0f} MiB in {built['seconds']} s")
    if not args.db.exists():
        parser.error(f"warehouse file not found: {args.db}; build it with `eintel demo` or pass --replicate-from")

    with duckdb.connect(str(args.db), read_only=True) as con:
        cases = con.execute("SELECT count(*) FROM cases").fetchone()[0]
    record: dict[str, Any] = {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": " ".join([".venv/bin/python benchmarks/dashboard_queries.py", *(argv if argv is not None else sys.argv[1:])]),
        "warehouse": {"cases": cases, "bytes": args.db.stat().st_size},
        "repeats": args.repeats,
        "queries": measure_queries(args.db, args.repeats),
    }
    print(f"{cases:,} cases, {args.db.stat().st_size / 2**20:,.0f} MiB; {args.repeats} repeats; times in ms")
    print_query_table(record["queries"])
    worst = max(record["queries"], key=lambda row: row["app_p95_ms"])
    print(f"Slowest app p95: {worst['app_p95_ms']} ms ({worst['query']}, {worst['label']})")

    if args.memory:
        record["memory"] = measure_dashboard_memory(args.db)
        for step in record["memory"]["steps"]:
            print(f"  after {step['step']:<32} RSS {step['rss_mib']:>7.0f} MiB, peak {step['peak_mib']:>7.0f} MiB")
        print(f"Dashboard server peak RSS: {record['memory']['peak_mib']:.0f} MiB")
        for part, note in record["memory"]["notes"].items():
            print(f"  {part}: {note}")

    if args.record:
        RESULTS.write_text(json.dumps(record, ensure_ascii=False, indent=2, default=str) + "\n", encoding="utf-8")
        print(f"Wrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
