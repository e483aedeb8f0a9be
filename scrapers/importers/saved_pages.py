"""Import saved HTML pages (a page stored by another project) as raw documents.

The page's URL comes from its own `<meta name="Url">` (a site-relative path on PBC pages)
joined to the site, else from the archive listing's `default_url`. The fetch time is the
file's modification time, because a saved page records no fetch date.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import lxml.html
from lxml.etree import ParserError

from eintel.raw import RawDocument

logger = logging.getLogger(__name__)

Skipped = list[tuple[str, str]]

HTML_CONTENT_TYPE = "text/html"


def import_saved_pages(root: Path, specs: list[dict[str, str]]) -> tuple[list[RawDocument], Skipped]:
    """Import each saved page listed in `specs` (entries of `saved_pages` in archive.yaml)."""
    documents: list[RawDocument] = []
    skipped: Skipped = []
    for spec in specs:
        document = import_saved_page(root, spec, skipped)
        if document is not None:
            documents.append(document)
    return documents, skipped


def import_saved_page(root: Path, spec: dict[str, str], skipped: Skipped) -> RawDocument | None:
    """Import one saved page. A missing or undecodable file is logged and listed in `skipped`."""
    relative_path = spec["path"]
    path = root / relative_path
    if not path.is_file():
        logger.warning("saved page not found: path=%s", path)
        skipped.append((relative_path, "file not found"))
        return None

    try:
        html = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        logger.warning("saved page is not UTF-8: path=%s error=%s", path, error)
        skipped.append((relative_path, f"not UTF-8: {error}"))
        return None

    url = declared_url(html, spec["site"]) or spec["default_url"]
    fetched_at = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
    meta: dict[str, Any] = {
        "dataset": path.name,
        "archive_path": relative_path,
        "upstream_repo": spec["upstream_repo"],
        "upstream_commit": spec["upstream_commit"],
        "fetched_at_source": "file mtime",
    }
    logger.info("imported saved page: path=%s url=%s", relative_path, url)
    return RawDocument.build(
        source=spec["source"],
        url=url,
        content=html,
        content_type=HTML_CONTENT_TYPE,
        fetched_at=fetched_at,
        meta=meta,
    )


def declared_url(html: str, site: str) -> str | None:
    """Return the URL a page names in `<meta name="Url">` joined to `site`, or None when absent."""
    try:
        tree = lxml.html.fromstring(html)
    except (ParserError, ValueError):
        return None

    for content in tree.xpath('//meta[translate(@name, "URL", "url")="url"]/@content'):
        path = content.strip()
        if path:
            return urljoin(site.rstrip("/") + "/", path)
    return None
