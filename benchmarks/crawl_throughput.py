"""Parse throughput of every spider on its test fixtures, and of the ETL on what it archived.

For each spider whose test module defines `build_site(server, workdir)`, the script serves
that fixture site on 127.0.0.1, runs `eintel crawl SOURCE --full` with no delays, and reads
pages per second from the crawl_runs row (spider open to close, so Python start-up is not
counted). It then times the ETL parse of the archived documents in this process.

    .venv/bin/python benchmarks/crawl_throughput.py [--repeat 3] [--output benchmarks/results/crawl_throughput.json]

The fixture sites are small (tens of pages), so the figures include the engine's fixed
costs per run (robots.txt, start and stop) and understate a long crawl's steady rate.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from etl.pipeline import run_etl  # noqa: E402
from scrapers.archive import CrawlArchive  # noqa: E402
from scrapers.documents import iter_raw_documents  # noqa: E402
from scrapers.base import load_config  # noqa: E402
from tests.scrapers.conftest import run_crawl, write_config  # noqa: E402
from tests.scrapers.server import FixtureServer  # noqa: E402
from tests.scrapers.test_resume import serve_large_column  # noqa: E402
from tests.scrapers.test_spider_pbc import configure as configure_pbc  # noqa: E402


def build_large_pbc_site(server: FixtureServer, workdir: Path) -> None:
    """Serve a PBC column of 20 list pages with 20 decisions each (420 pages), for a steadier rate."""
    serve_large_column(server, list_pages=20, per_page=20)
    configure_pbc(server, workdir)
    write_config(workdir / "config", "pbc", {**load_config(workdir / "config" / "pbc.yaml"), "max_list_pages": 25})


def fixture_sites() -> dict[str, object]:
    """Source name → its test module's build_site function, plus the large PBC column as pbc_large."""
    sites: dict[str, object] = {"pbc_large": build_large_pbc_site}
    for path in sorted((REPO / "tests" / "scrapers").glob("test_spider_*.py")):
        module = importlib.import_module(f"tests.scrapers.{path.stem}")
        build = getattr(module, "build_site", None)
        if build is not None:
            sites[path.stem.removeprefix("test_spider_")] = build
    return sites


def measure(source: str, build_site: object, repeat: int) -> dict[str, object]:
    crawl_rates, parse_rates = [], []
    pages = documents = cases = 0
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as folder:
            workdir = Path(folder)
            server = FixtureServer().start()
            try:
                build_site(server, workdir)  # type: ignore[operator]
                spider = source.removesuffix("_large")
                result = run_crawl([spider], workdir, "--full", "--no-warehouse")
            finally:
                server.stop()
            if result.returncode not in (0, 1):
                raise RuntimeError(f"crawl of {source} failed: {result.stderr[-2000:]}")
            with CrawlArchive(workdir / "crawl") as archive:
                run = archive.crawl_runs(spider)[-1]
                seconds = (datetime.fromisoformat(run["finished_at"]) - datetime.fromisoformat(run["started_at"])).total_seconds()
                pages = run["pages"]
                crawl_rates.append(pages / seconds)
                loaded = list(iter_raw_documents(archive, [spider]))
            started = time.perf_counter()
            etl = run_etl(loaded)
            elapsed = time.perf_counter() - started
            documents, cases = len(loaded), len(etl.cases)
            parse_rates.append(documents / elapsed if elapsed else float("inf"))
    return {
        "source": source,
        "pages": pages,
        "crawl_pages_per_second": round(statistics.median(crawl_rates), 1),
        "documents": documents,
        "cases": cases,
        "etl_documents_per_second": round(statistics.median(parse_rates), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="crawls per source; the median is reported (default 3)")
    parser.add_argument("--output", default=str(REPO / "benchmarks" / "results" / "crawl_throughput.json"),
                        help="JSON file for the results")
    parser.add_argument("sources", nargs="*", help="only these sources")
    args = parser.parse_args()

    sites = fixture_sites()
    selected = args.sources or sorted(sites)
    rows = [measure(source, sites[source], args.repeat) for source in selected]
    record = {
        "measured_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
                   f"{_cpu_count()} CPUs",
        "command": "python benchmarks/crawl_throughput.py --repeat " + str(args.repeat),
        "results": rows,
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    print("| source | pages | crawl pages/s | documents | cases | ETL documents/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in rows:
        print(f"| {row['source']} | {row['pages']} | {row['crawl_pages_per_second']} | {row['documents']} "
              f"| {row['cases']} | {row['etl_documents_per_second']} |")
    return 0


def _cpu_count() -> int:
    return len(os.sched_getaffinity(0))


if __name__ == "__main__":
    sys.exit(main())
