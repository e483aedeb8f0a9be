"""Item pipeline that archives every parsed response and counts new and updated documents."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import Crawler

from scrapers.base import SourceSpider

logger = logging.getLogger(__name__)


class ArchivePipeline:
    """Store each item's body in the spider's archive; the item leaves with the outcome, not the body.

    Outcome is "new" for a URL archived for the first time, "updated" when its body
    changed and "unchanged" otherwise. List pages count as pages but not as new or
    updated documents.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ArchivePipeline:
        return cls(crawler)

    def process_item(self, item: dict[str, Any]) -> dict[str, Any]:
        spider = self.crawler.spider
        if not isinstance(spider, SourceSpider):
            raise TypeError(f"ArchivePipeline needs a SourceSpider, got {type(spider).__name__}")

        body: bytes = item.pop("body")
        meta = {
            "context": item["context"],
            "fields": item["fields"],
            "final_url": item["final_url"],
        }
        outcome, digest = spider.archive.store_response(
            source=item["source"],
            url=item["url"],
            kind=item["kind"],
            status=item["status"],
            body=body,
            content_type=item["content_type"],
            headers=item["headers"],
            meta=meta,
            run_id=spider.run_id,
            fingerprint=item["fingerprint"],
        )

        counts = spider.counts
        counts.pages += 1
        if item["kind"] != "list":
            if outcome == "new":
                counts.new_items += 1
            elif outcome == "updated":
                counts.updated_items += 1
        spider.archive.update_run(spider.run_id, counts)
        logger.debug("Archived %s %s as %s (%s)", item["kind"], item["url"], digest[:12], outcome)

        item["outcome"] = outcome
        item["sha256"] = digest
        item["size"] = len(body)
        item.pop("headers")
        return item
