"""The `eintel` command: import → load → app, and `demo` for all three.

    eintel import [--archive DIR] [--no-archive] [--sample | --no-sample]
    eintel load [--source NAME ...]
    eintel stats
    eintel app [--port N]
    eintel demo [--archive DIR] [--no-app]

Every stage reads what the previous one stored in the warehouse (EINTEL_DB), so each
can be rerun alone.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from eintel.settings import REPO_ROOT, get_settings

logger = logging.getLogger(__name__)


def _db_path(args: argparse.Namespace) -> Path:
    return Path(args.db).resolve() if args.db else get_settings().db_path


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _archive_choice(args: argparse.Namespace) -> tuple[Path, bool]:
    """Return the archive folder and whether the user named it (option or EINTEL_ARCHIVE)."""
    if args.archive:
        return Path(args.archive).resolve(), True
    return get_settings().archive_path, "EINTEL_ARCHIVE" in os.environ


def cmd_import(args: argparse.Namespace) -> int:
    """Store the records of the archive folder and the built-in sample as raw documents."""
    from etl.sources.sample import SOURCE as SAMPLE_SOURCE
    from etl.sources.sample import read_sample
    from scrapers.importers import import_archive
    from warehouse.db import connect
    from warehouse.load import remove_source, store_raw_documents

    settings = get_settings()
    documents = []
    archive_imported = False

    if not args.no_archive:
        archive, named = _archive_choice(args)
        if archive.is_dir():
            result = import_archive(archive)
            if not result.documents:
                return _error(
                    f"no known record files in {archive}; it should contain lawdatify/ or pages/ "
                    "(see the archive listing in scrapers/importers/archive.yaml)"
                )
            documents += result.documents
            archive_imported = True
            for name, count in sorted(result.files.items()):
                print(f"  {name}: documents={count}")
            for name, reason in result.skipped:
                print(f"  skipped {name}: {reason}")
        elif named:
            return _error(
                f"archive folder not found or not a folder: {archive}; name an existing folder with --archive, "
                "ARCHIVE= (make) or EINTEL_ARCHIVE, or use --no-archive for the built-in sample"
            )
        else:
            print(f"  archive folder {archive} not found; importing the built-in sample only")

    # The sample repeats facts of the real records, so it is imported only without them.
    if args.sample or (not archive_imported and not args.no_sample):
        sample_documents, skipped_lines = read_sample(settings.sample_path / "cases.jsonl")
        documents += sample_documents
        print(f"  sample: {len(sample_documents)} documents, {skipped_lines} malformed lines skipped")

    with connect(_db_path(args)) as con:
        if archive_imported and not args.sample:
            removed, _ = remove_source(con, SAMPLE_SOURCE)
            if removed:
                print(f"  removed {removed} sample documents stored earlier (the archive holds their facts)")
        report = store_raw_documents(con, documents)
    print(f"raw documents: {report.inserted} new, {report.updated} updated, {report.unchanged} unchanged")
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    """Parse and normalize the stored raw documents into cases."""
    from etl.pipeline import run_etl
    from etl.taxonomy import all_label_rows
    from warehouse.db import connect
    from warehouse.load import iter_raw_documents, replace_cases, replace_labels

    settings = get_settings()
    db = _db_path(args)
    if not db.exists():
        return _error(f"warehouse file not found: {db}; run `eintel import` first")

    with connect(db) as con:
        stored_sources = [row[0] for row in con.execute("SELECT DISTINCT source FROM raw_documents ORDER BY 1").fetchall()]
        unknown = sorted(set(args.source or []) - set(stored_sources))
        if unknown:
            return _error(f"no raw documents of source {unknown}; stored sources are {stored_sources}")

        documents = list(iter_raw_documents(con, args.source or None))
        if not documents:
            return _error("no raw documents to load; run `eintel import` first")

        result = run_etl(documents, mask_persons=settings.mask_persons, progress=sys.stderr.isatty())
        sources = sorted(set(args.source or []) | result.sources)
        report = replace_cases(con, result.cases, sources, result.statuses)
        replace_labels(con, all_label_rows())

    print(
        f"cases: {report.inserted} new, {report.updated} updated, {report.deleted} deleted, "
        f"{report.unchanged} unchanged; {report.parse_warnings} parse warnings"
    )
    for status, count in sorted(report.statuses.items()):
        print(f"  documents {status}: {count}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    """Print the coverage report of the warehouse."""
    from warehouse.db import WarehouseError, connect
    from warehouse.quality import format_report

    try:
        with connect(_db_path(args), read_only=True) as con:
            if not con.execute("SELECT count(*) FROM cases").fetchone()[0]:
                return _error(f"the warehouse {_db_path(args)} holds no cases; run `eintel load` first")
            print(format_report(con))
    except WarehouseError as error:
        return _error(str(error))
    return 0


def cmd_app(args: argparse.Namespace) -> int:
    """Replace this process with the Streamlit server, so signals reach it directly."""
    db = _db_path(args)
    if not db.exists():
        print(f"warning: warehouse file not found: {db}; the dashboard will say how to build it", file=sys.stderr)

    env = dict(os.environ, EINTEL_DB=str(db))
    command = [
        sys.executable, "-m", "streamlit", "run", str(REPO_ROOT / "app.py"),
        "--server.port", str(args.port), "--server.address", args.address,
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
    ]
    print(f"dashboard: http://{args.address}:{args.port}  (Ctrl+C stops it)", flush=True)
    sys.stderr.flush()
    os.execve(sys.executable, command, env)


def cmd_demo(args: argparse.Namespace) -> int:
    """Import, load and report, then serve the dashboard unless --no-app."""
    started = time.perf_counter()
    for step in (cmd_import, cmd_load, cmd_stats):
        code = step(args)
        if code:
            return code
    print(f"warehouse built in {time.perf_counter() - started:.1f} s: {_db_path(args)}")
    if args.no_app:
        return 0
    return cmd_app(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="eintel", description="Enforcement Intel (执法情报台) pipeline")
    parser.add_argument("--db", help="warehouse file (default: EINTEL_DB or data/eintel.duckdb)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    sub = parser.add_subparsers(dest="command", required=True)

    def add_import_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--archive", help="folder of saved public records (default: EINTEL_ARCHIVE or ../shared/data/raw)")
        p.add_argument("--no-archive", action="store_true", help="import the built-in sample only")
        p.add_argument("--no-sample", action="store_true", help="leave out the built-in sample")
        p.add_argument("--sample", action="store_true",
                       help="import the built-in sample even when the archive is imported (default: only without it)")

    def add_app_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--port", type=int, default=8501, help="TCP port of the dashboard (default 8501)")
        p.add_argument("--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")

    p = sub.add_parser("import", help="store saved records and the sample as raw documents")
    add_import_options(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("load", help="parse and normalize raw documents into cases")
    p.add_argument(
        "--source", action="append",
        help="only this source (repeatable): lawdatify_cases, lawdatify_appviol, lawdatify_batches, pbc, sample",
    )
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("stats", help="print field coverage and parse warnings")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("app", help="serve the dashboard")
    add_app_options(p)
    p.set_defaults(func=cmd_app)

    p = sub.add_parser("demo", help="import, load, report and serve the dashboard")
    add_import_options(p)
    add_app_options(p)
    p.add_argument("--no-app", action="store_true", help="build the warehouse and stop")
    p.set_defaults(func=cmd_demo, source=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
