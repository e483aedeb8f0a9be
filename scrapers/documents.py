"""Turn archived responses into the raw documents the warehouse stores and the ETL parses.

The same function serves a fresh crawl (`eintel load`) and a replay of the whole archive
(`eintel load --replay`), so a replay parses exactly what a crawl would have. Pages and
JSON responses are decoded the way Scrapy decoded them for the spider. Attachments become a
JSON document with their text and tables (see `scrapers.attachments`).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import asdict

from scrapy.http import Headers, TextResponse
from scrapy.responsetypes import responsetypes

from eintel.raw import ATTACHMENT_CONTENT_TYPE, RawDocument
from scrapers.archive import ArchivedResponse, CrawlArchive
from scrapers.attachments import EXTRACTION_VERSION, extract_attachment

logger = logging.getLogger(__name__)

def raw_document(response: ArchivedResponse, body: bytes, archive: CrawlArchive | None = None) -> RawDocument:
    """Build the raw document of one archived response; its id depends on source and URL only.

    With an archive, an attachment's extraction result is cached beside the archived body,
    so a replay does not run OCR or antiword again.
    """
    meta = {
        "kind": response.kind,
        "status": response.status,
        "sha256": response.sha256,
        "archive_id": response.id,
        "run_id": response.run_id,
        "response_content_type": response.content_type,
        **response.meta,
    }
    if response.kind == "attachment":
        extracted = _cached_extraction(archive, response, body)
        meta["attachment_format"] = extracted["format"]
        content = json.dumps(extracted, ensure_ascii=False)
        content_type = ATTACHMENT_CONTENT_TYPE
    else:
        content, content_type = _decode(response, body)
    return RawDocument.build(
        source=response.source,
        url=response.url,
        content=content,
        content_type=content_type,
        fetched_at=response.fetched_at,
        meta=meta,
    )


def iter_raw_documents(
    archive: CrawlArchive, sources: list[str] | None = None, after_id: int = 0
) -> Iterator[RawDocument]:
    """Yield the latest archived body of every URL (archived after `after_id`) as a raw document.

    List pages are left out: they carry no decision, and what a list shows about an entry
    travels with the entry's own document in `meta["context"]`.
    """
    for response in archive.iter_responses(sources, after_id=after_id):
        if response.kind == "list":
            continue
        yield raw_document(response, archive.read_body(response.sha256), archive)


def _cached_extraction(archive: CrawlArchive | None, response: ArchivedResponse, body: bytes) -> dict[str, object]:
    key = f"attachment-v{EXTRACTION_VERSION}"
    if archive is not None:
        cached = archive.read_derived(response.sha256, key)
        if cached is not None:
            return json.loads(cached)
    extracted = asdict(extract_attachment(body, url=response.url, content_type=response.content_type))
    if archive is not None:
        archive.write_derived(response.sha256, key, json.dumps(extracted, ensure_ascii=False).encode("utf-8"))
    return extracted


def _decode(response: ArchivedResponse, body: bytes) -> tuple[str, str]:
    headers = Headers(response.headers)
    response_class = responsetypes.from_args(headers=headers, url=response.url, body=body)
    content_type = response.content_type.split(";")[0].strip() or "application/octet-stream"
    if issubclass(response_class, TextResponse):
        text = response_class(url=response.url, headers=headers, body=body).text
        return text, content_type
    logger.warning("Archived response %s of %s is not text (%s); stored as Latin-1", response.id, response.url, content_type)
    return body.decode("latin-1"), content_type
