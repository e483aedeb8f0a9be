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
from scrapers.base import SPIDER_DIR, ConfigError, load_config

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
    """Split a NAME=VALUE override from the command line and check the name and the value's type."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep or not name:
        raise CrawlSetupError(f"invalid setting {text!r}: write it as NAME=VALUE, e.g. DOWNLOAD_DELAY=2")
    defaults = project_settings()
    if name not in defaults:
        raise CrawlSetupError(
            f"unknown setting {name!r}: check the spelling (names are upper case, e.g. DOWNLOAD_DELAY); "
            "scrapers/settings.py lists the project's settings"
        )
    _check_type(name, value, defaults[name])
    return name, value


def _check_type(name: str, value: str, default: Any) -> None:
    text = value.strip().lower()
    if isinstance(default, bool):
        if text not in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
            raise CrawlSetupError(f"invalid value {value!r} for {name}: write true or false")
    elif isinstance(default, (int, float)):
        try:
            float(text)
        except ValueError:
            raise CrawlSetupError(f"invalid value {value!r} for {name}: write a number, e.g. {name}={default}") from None


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
    """Crawl the given sources (all when empty) into the archive and return one summary per source.

    Every data file is read and checked before any request: an invalid one raises
    ConfigError. A source whose data file names no site is an error when named, and is
    skipped (status "skipped") when all sources are crawled.
    """
    known = available_sources()
    unknown = sorted(set(sources) - set(known))
    if unknown:
        raise CrawlSetupError(f"unknown source(s) {', '.join(unknown)}; available: {', '.join(known)}")
    selected = list(dict.fromkeys(sources)) or known
    config_paths = _config_paths(selected, config_dir)
    skipped = _check_configs(config_paths, named=bool(sources))
    selected = [source for source in selected if source not in skipped]

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
    with CrawlArchive(archive_dir) as archive:
        earlier_runs = {run["run_id"] for run in archive.crawl_runs()}

    bar = _progress_bar() if progress else None
    for source in selected:
        crawler = process.create_crawler(source)
        if bar is not None:
            crawler.signals.connect(lambda *args, **kwargs: bar.update(1), signal=signals.item_scraped)
        process.crawl(crawler, config=str(config_paths[source]))
    process.start()
    if bar is not None:
        bar.close()

    with CrawlArchive(archive_dir) as archive:
        summaries = {source: _run_of_this_process(archive, source, earlier_runs) for source in selected}
    for source, reason in skipped.items():
        summaries[source] = RunSummary(source, "skipped", 0, 0, 0, 0, reason)
    return [summaries[source] for source in dict.fromkeys(sources or known)]


def _config_paths(sources: list[str], config_dir: Path | None) -> dict[str, Path]:
    """Data file of each source: the spider's own, or the one in `config_dir`, which must exist."""
    if config_dir is None:
        return {source: SPIDER_DIR / f"{source}.yaml" for source in sources}
    if not config_dir.is_dir():
        raise CrawlSetupError(f"--config-dir {config_dir} is not a folder; create it or fix the path")
    missing = [source for source in sources if not (config_dir / f"{source}.yaml").is_file()]
    if missing:
        # Falling back to the shipped file would send a test crawl to the live site.
        raise CrawlSetupError(
            f"--config-dir {config_dir} has no {', '.join(f'{source}.yaml' for source in missing)}; "
            "add the file or name only the sources it configures"
        )
    return {source: config_dir / f"{source}.yaml" for source in sources}


def _check_configs(config_paths: dict[str, Path], named: bool) -> dict[str, str]:
    """Read every data file; return the sources to skip (no site configured) with the reason."""
    loader = SpiderLoader.from_settings(project_settings())
    skipped = {}
    for source, path in config_paths.items():
        spider_class = loader.load(source)
        config = load_config(path, spider_class.required_config)
        problem = spider_class.configuration_problem(config)
        if problem is None:
            continue
        if named:
            raise ConfigError(f"{path}: {problem}")
        logger.warning("Skipping source %s: %s (%s)", source, problem, path)
        skipped[source] = problem
    return skipped


def _run_of_this_process(archive: CrawlArchive, source: str, earlier_runs: set[str]) -> RunSummary:
    runs = [run for run in archive.crawl_runs(source) if run["run_id"] not in earlier_runs]
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
