"""Run spiders in this process and report each source's crawl run.

Twisted's reactor starts once per process, so `run_crawl` can be called only once per
process; `eintel schedule` therefore starts every crawl as a child process.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader

from scrapers.archive import CrawlArchive

logger = logging.getLogger(__name__)


class CrawlSetupError(ValueError):
    """Raised for an unknown source or an invalid --set value before any request is made."""


@dataclass(frozen=True)
class RunSummary:
    """The crawl_runs row of one source after a run."""

    source: str
    status: str
    pages: int
    new_items: int
    updated_items: int
    errors: int
    message: str


def project_settings(overrides: dict[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule("scrapers.settings", priority="project")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    return settings


def available_sources() -> list[str]:
    return sorted(SpiderLoader.from_settings(project_settings()).list())


def parse_setting(text: str) -> tuple[str, str]:
    """Split a NAME=VALUE override from the command line."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip():
        raise CrawlSetupError(f"invalid setting {text!r}: write it as NAME=VALUE, e.g. DOWNLOAD_DELAY=2")
    return name.strip(), value


def run_crawl(
    sources: list[str],
    archive_dir: Path,
    *,
    full: bool = False,
    overrides: dict[str, Any] | None = None,
    config_dir: Path | None = None,
    items_path: Path | None = None,
    progress: bool = False,
    verbose: bool = False,
) -> list[RunSummary]:
    """Crawl the given sources (all when empty) into the archive and return one summary per source."""
    known = available_sources()
    unknown = sorted(set(sources) - set(known))
    if unknown:
        raise CrawlSetupError(f"unknown source(s) {', '.join(unknown)}; available: {', '.join(known)}")
    selected = sources or known

    values: dict[str, Any] = {"EINTEL_CRAWL_ARCHIVE": str(archive_dir), "EINTEL_FULL_CRAWL": full}
    if items_path is not None:
        values["FEEDS"] = {str(items_path): {"format": "jsonlines", "encoding": "utf8"}}
    values.update(overrides or {})
    settings = project_settings(values)

    # Show this package's run messages (start, retries, shape changes, end), and Scrapy's
    # own only when verbose. Scrapy lowers the root logger to NOTSET; the caller's level stays.
    root_level = logging.root.level
    if not verbose:
        logging.disable(logging.INFO)  # Scrapy's start-up banner of versions and settings
    try:
        process = CrawlerProcess(settings)
    finally:
        logging.disable(logging.NOTSET)
    logging.root.setLevel(root_level)
    logging.getLogger("scrapers").setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("scrapy").setLevel(logging.DEBUG if verbose else logging.WARNING)
    bar = _progress_bar() if progress else None
    for source in selected:
        crawler = process.create_crawler(source)
        if bar is not None:
            crawler.signals.connect(lambda *args, **kwargs: bar.update(1), signal=signals.item_scraped)
        kwargs = {}
        if config_dir is not None and (config_dir / f"{source}.yaml").exists():
            kwargs["config"] = str(config_dir / f"{source}.yaml")
        process.crawl(crawler, **kwargs)
    process.start()
    if bar is not None:
        bar.close()

    with CrawlArchive(archive_dir) as archive:
        return [_latest_run(archive, source) for source in selected]


def _latest_run(archive: CrawlArchive, source: str) -> RunSummary:
    runs = archive.crawl_runs(source)
    if not runs:
        return RunSummary(source, "failed", 0, 0, 0, 1, "the spider did not start; see the log above")
    row = runs[-1]
    return RunSummary(
        source=source,
        status=row["status"],
        pages=row["pages"],
        new_items=row["new_items"],
        updated_items=row["updated_items"],
        errors=row["errors"],
        message=row["message"],
    )


def _progress_bar() -> Any:
    from tqdm import tqdm

    return tqdm(unit="page", desc="crawl", file=sys.stderr)
