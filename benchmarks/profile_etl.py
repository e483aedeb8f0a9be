"""Profile `eintel load` with py-spy and add the samples up by process and by ETL step.

py-spy samples the load and its worker processes (`--subprocesses`) and writes collapsed
stacks. Each sample is attributed to the innermost function of the stack that names a
known step (STEPS, first match from the leaf up), so the table shows where the CPU time
of a load goes: parsing, each normalizer, staging into DuckDB, or moving documents
between processes.

    .venv/bin/pip install -e '.[bench]'    # py-spy
    .venv/bin/python benchmarks/profile_etl.py --db /tmp/eintel-scale/eintel_100k.duckdb [--rate 100]

The warehouse must hold raw documents (`eintel import`); the load rewrites its cases.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

# (step, pattern on "function (file:line)") from the most specific to the most general.
STEPS: list[tuple[str, str]] = [
    ("parse: source parsers", r"\(etl/sources/"),
    ("normalize: violation, outcome, industry, domain classifiers", r"\(etl/taxonomy/"),
    ("normalize: money", r"\(etl/normalize/money"),
    ("normalize: regulators", r"\(etl/normalize/regulators"),
    ("normalize: parties and masking", r"\(etl/normalize/parties"),
    ("normalize: legal bases", r"\(etl/normalize/legal_bases"),
    ("normalize: dates, decision numbers, regions", r"\(etl/normalize/"),
    ("normalize: case assembly (pydantic)", r"^normalize_draft|pydantic"),
    ("stage: case rows, row hashes, Arrow", r"^(_case_record|case_row_hash|_batches) "),
    ("stage: DuckDB insert and merge", r"^(_merge_cases|replace_cases) "),
    ("read raw documents from DuckDB", r"^iter_raw_documents "),
    ("send documents to workers and results back", r"multiprocessing/|pickle|^_map_batches "),
    ("plan: overlap summaries", r"\(etl/sources/overlap"),
]


def attribute(stack: str) -> str:
    frames = stack.split(";")
    for frame in reversed(frames):
        for step, pattern in STEPS:
            if re.search(pattern, frame):
                return step
    return "other (start-up, imports, waiting)"


def summarize(raw: Path) -> tuple[Counter[tuple[str, str]], int]:
    """Count samples per (process role, step) from py-spy's collapsed stacks."""
    counts: Counter[tuple[str, str]] = Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8").splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack:
            continue
        samples = int(number)
        role = "worker" if "spawn_main" in stack else "main"
        # py-spy puts the process line first; a stack of that line alone is a process that is starting.
        frames = stack.partition(";")[2] if stack.startswith("process ") else stack
        counts[(role, attribute(frames))] += samples
        total += samples
    return counts, total


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="warehouse with raw documents; its cases are reloaded")
    parser.add_argument("--rate", type=int, default=100, help="samples per second (default 100)")
    parser.add_argument("--raw", type=Path, help="also keep py-spy's collapsed stacks in this file")
    args = parser.parse_args(argv)

    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        parser.error("py-spy not found; install it with `.venv/bin/pip install -e '.[bench]'`")
    if not args.db.is_file():
        parser.error(f"warehouse not found: {args.db}; build one with benchmarks/scale.py or `eintel import`")

    with tempfile.TemporaryDirectory() as folder:
        raw = args.raw or Path(folder) / "load.txt"
        command = [py_spy, "record", "--rate", str(args.rate), "--subprocesses", "--format", "raw", "--output", str(raw),
                   "--", sys.executable, "-m", "eintel.cli", "--db", str(args.db), "load"]
        subprocess.run(command, cwd=REPO, check=True)
        counts, total = summarize(raw)

    print(f"{total} samples at {args.rate}/s over all processes")
    print("| process | step | samples | share |\n|---|---|---:|---:|")
    for (role, step), samples in sorted(counts.items(), key=lambda item: -item[1]):
        print(f"| {role} | {step} | {samples} | {samples / total:.1%} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
