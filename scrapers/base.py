"""Base class of the source spiders: configuration, incremental crawling, shape checks, run health.

A spider subclass implements `initial_requests()` and its callbacks. In a callback it calls
`self.document(response, fields)` for every response it parses; the item goes to
`ArchivePipeline`, which archives the body. The base class decides what to fetch:

- a detail URL already archived is skipped unless the list shows a different fingerprint
  (for example a new title or date) or the crawl is full (`EINTEL_FULL_CRAWL`);
- list paging stops at a page whose entries were all archived by an earlier run that
  finished, so a killed run never makes the next one stop early;
- requests that failed are stored as pending and tried first on the next run.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import scrapy
import yaml
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from scrapers.archive import CrawlArchive, RunCounts, RunStatus

logger = logging.getLogger(__name__)

SPIDER_DIR = Path(__file__).with_name("spiders")


class ConfigError(ValueError):
    """Raised when a spider's data file is missing, unreadable or lacks a required key."""


def load_config(path: Path, required: Iterable[str] = ()) -> dict[str, Any]:
    """Read a spider's YAML data file and check that the required top-level keys are present."""
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"spider data file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"spider data file {path} is not valid YAML: {exc}") from exc
    if not isinstance(config, dict):
        raise ConfigError(f"spider data file {path} must contain a mapping, found {type(config).__name__}")
    missing = [key for key in required if key not in config]
    if missing:
        raise ConfigError(f"spider data file {path} lacks the key(s) {', '.join(missing)}; add them and run again")
    return config


def fingerprint_of(*parts: object) -> str:
    """Short hash of what a list page shows about an entry (title, date), to notice edits."""
    joined = "\x1f".join("" if part is None else str(part).strip() for part in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


class SourceSpider(scrapy.Spider):
    """A spider of one source family whose per-site facts live in `<name>.yaml` beside it."""

    required_config: ClassVar[tuple[str, ...]] = ()
    # Status codes the callbacks see instead of Scrapy dropping the response.
    handle_httpstatus_list: ClassVar[list[int]] = []

    archive: CrawlArchive
    run_id: str
    full_crawl: bool

    def __init__(self, *args: Any, config: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.config_path = Path(config) if config else SPIDER_DIR / f"{self.name}.yaml"
        self.config = load_config(self.config_path, self.required_config)
        self.config_key = fingerprint_of(self.config_path.resolve())
        self.max_list_pages = int(self.config.get("max_list_pages", 50))
        self.counts = RunCounts()
        self.list_entries_seen = 0
        self.shape_problems: list[str] = []
        self.blocked_pages: list[str] = []

    @classmethod
    def configuration_problem(cls, config: dict[str, Any]) -> str | None:
        """Say why a data file configures nothing to crawl, or return None when it does.

        The default checks a `sites` list: at least one enabled site needs a list URL.
        """
        sites = config.get("sites")
        if sites is None:
            return None
        usable = [
            site for site in sites or []
            if isinstance(site, dict) and site.get("enabled", True) and (site.get("list_url") or site.get("list_urls"))
        ]
        if not usable:
            return "no enabled site has a list_url; fill in the sites' list URLs first"
        return None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> SourceSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        spider.full_crawl = crawler.settings.getbool("EINTEL_FULL_CRAWL")
        spider.archive = CrawlArchive(crawler.settings.get("EINTEL_CRAWL_ARCHIVE"))
        spider.run_id = spider.archive.start_run(spider.name, spider.full_crawl)
        logger.info("Crawl run %s of source %s started (full=%s)", spider.run_id, spider.name, spider.full_crawl)
        return spider

    # Requests -------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[Request]:
        max_attempts = int(self.config.get("max_pending_attempts", 5))
        for pending in self.archive.pending(self.name):
            if pending.meta.get("config_key", self.config_key) != self.config_key:
                # Failed under another data file (a test site, an older URL list): not this crawl's.
                logger.debug("Leaving pending request %s of another data file", pending.url)
                continue
            if pending.attempts >= max_attempts:
                logger.warning("Giving up on %s after %d failed attempts (last error: %s)",
                               pending.url, pending.attempts, pending.error)
                self.archive.remove_pending(self.name, pending.url)
                continue
            callback = getattr(self, pending.callback, None)
            if callback is None:
                logger.warning("Dropping pending request %s: spider %s has no callback %s",
                               pending.url, self.name, pending.callback)
                self.archive.remove_pending(self.name, pending.url)
                continue
            logger.info("Retrying pending request %s (failed %d time(s): %s)", pending.url, pending.attempts, pending.error)
            options = {key: value for key, value in pending.meta.items() if key != "config_key"}
            yield self.request(pending.url, callback, **options)
        for request in self.initial_requests():
            yield request

    def initial_requests(self) -> Iterator[Request]:
        raise NotImplementedError(f"spider {self.name} must implement initial_requests()")

    def request(
        self,
        url: str,
        callback: Any,
        *,
        kind: str = "detail",
        context: dict[str, Any] | None = None,
        fingerprint: str = "",
        method: str = "GET",
        headers: dict[str, str] | None = None,
        body: str | None = None,
        priority: int = 0,
    ) -> Request:
        """Build a request whose kind and context travel to the archived document.

        Context values must be JSON types: they are stored with the response and with a
        pending request.
        """
        meta = {
            "eintel": {
                "kind": kind,
                "context": context or {},
                "fingerprint": fingerprint,
                "method": method,
                "headers": headers or {},
                "body": body,
                "priority": priority,
            }
        }
        return Request(
            url,
            callback=callback,
            errback=self.on_error,
            method=method,
            headers=headers,
            body=body,
            meta=meta,
            priority=priority,
            dont_filter=method != "GET",
        )

    def detail_requests(
        self, entries: Iterable[tuple[str, dict[str, Any], str]], callback: Any, kind: str = "detail"
    ) -> tuple[list[Request], bool]:
        """Requests for the list entries not yet archived; also whether every entry was known.

        Each entry is (url, context, fingerprint). "Known" means archived by an earlier run
        that finished with the same fingerprint; paging stops at a page of known entries.
        """
        requests = []
        all_known = True
        for url, context, fingerprint in entries:
            self.list_entries_seen += 1
            state = None if self.full_crawl else self.archive.url_state(self.name, url)
            same = state is not None and (not fingerprint or not state.fingerprint or state.fingerprint == fingerprint)
            if not (same and state is not None and state.first_run_finished):
                all_known = False
            if same:
                logger.debug("Skipping archived %s", url)
                continue
            requests.append(self.request(url, callback, kind=kind, context=context, fingerprint=fingerprint))
        return requests, all_known

    def should_follow_next_page(self, page_number: int, all_known: bool, list_url: str) -> bool:
        """Decide whether to request list page `page_number + 1`, given whether every entry of this page was known."""
        if all_known and not self.full_crawl:
            logger.info("List %s page %d: every entry is already archived; paging stops", list_url, page_number)
            return False
        if page_number >= self.max_list_pages:
            logger.info("List %s: stopping at the page limit max_list_pages=%d", list_url, self.max_list_pages)
            return False
        return True

    # Parsed responses -----------------------------------------------------------------

    def document(self, response: Response, fields: dict[str, Any] | None = None, kind: str | None = None) -> dict[str, Any]:
        """Item for one parsed response: the body to archive plus the fields read from it."""
        meta = response.meta.get("eintel", {})
        redirects = response.meta.get("redirect_urls") or []
        url = redirects[0] if redirects else response.url
        headers = {
            key.decode("latin-1").lower(): b", ".join(values).decode("latin-1")
            for key, values in response.headers.items()
        }
        return {
            "source": self.name,
            "url": url,
            "final_url": response.url,
            "kind": kind or meta.get("kind", "detail"),
            "status": response.status,
            "content_type": headers.get("content-type", ""),
            "headers": headers,
            "body": response.body,
            "context": meta.get("context", {}),
            "fingerprint": meta.get("fingerprint", ""),
            "fields": fields or {},
        }

    def shape_changed(self, response: Response | str, message: str) -> None:
        """Report a page without the expected structure: a WARNING and a shape_changed run."""
        url = response if isinstance(response, str) else response.url
        text = f"{url}: {message}"
        logger.warning("Source %s page shape changed: %s", self.name, text)
        self.shape_problems.append(text)
        self.counts.messages.append(f"shape_changed {text}")

    def blocked(self, response: Response, message: str) -> None:
        """Record a page the site withheld (an anti-bot stub); it is retried on the next run."""
        logger.warning("Source %s page blocked: %s: %s", self.name, response.url, message)
        self.blocked_pages.append(response.url)
        self.counts.errors += 1
        self.counts.messages.append(f"blocked {response.url}: {message}")
        self._remember_pending(response.request, f"blocked: {message}")

    def on_error(self, failure: Failure) -> None:
        request = failure.request
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            # robots.txt forbids it, or another middleware dropped it on purpose.
            logger.info("Source %s skipped %s: %s", self.name, request.url, failure.getErrorMessage())
            return
        if failure.check(HttpError):
            message = f"HTTP {failure.value.response.status}"
        else:
            message = f"{failure.type.__name__}: {failure.getErrorMessage()}"
        logger.error("Source %s request failed: %s: %s", self.name, request.url, message)
        self.counts.errors += 1
        self.counts.messages.append(f"error {request.url}: {message}")
        self._remember_pending(request, message)

    def _remember_pending(self, request: Request | None, error: str) -> None:
        if request is None or "eintel" not in request.meta:
            return
        callback = getattr(request.callback, "__name__", "parse")
        meta = dict(request.meta["eintel"])
        meta["config_key"] = self.config_key
        self.archive.add_pending(self.name, request.url, callback, meta, error)

    # Run health -----------------------------------------------------------------------

    def run_status(self, reason: str) -> RunStatus:
        if reason != "finished":
            return "failed" if reason not in {"shutdown", "cancelled"} else "interrupted"
        if self.counts.pages == 0 and self.counts.errors:
            self.counts.messages.append("no page could be fetched; see the errors above")
            return "failed"
        if self.shape_problems:
            return "shape_changed"
        if self.list_entries_seen == 0:
            self.shape_changed(self.name, "no list entries found on any list page")
            return "shape_changed"
        return "ok"

    def closed(self, reason: str) -> None:
        status = self.run_status(reason)
        self.archive.finish_run(self.run_id, self.counts, status)
        log = logger.warning if status != "ok" else logger.info
        log(
            "Crawl run %s of source %s ended: %s (pages %d, new %d, updated %d, errors %d)",
            self.run_id, self.name, status, self.counts.pages, self.counts.new_items,
            self.counts.updated_items, self.counts.errors,
        )
        self.archive.close()
