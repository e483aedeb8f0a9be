"""MIIT (工业和信息化部) and provincial communications administrations (通信管理局): app notices.

Each site's column lists its notices through the JPaaS backend (see `scrapers.jpaas_column`).
Provincial columns mix app notices with others, so only titles with a word of
`title_keywords` are fetched. A notice names its apps in an HTML table (provincial sites,
with rowspan over the apps of one company), in PDF/XLS/DOC attachments (sometimes linked
through a PDF.js `viewer.html?file=<path>`), or in images of the notice body. Attachments
and, when nothing else carries the list, body images are fetched as attachments whose
context names the notice (parent_url, parent_title, parent_date, issuer, province) and
carries the start of its text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urljoin

from scrapy.http import Response

from scrapers.jpaas_column import (
    JpaasColumnSpider,
    attachment_links,
    first_match,
    page_date,
    page_source,
    page_text,
    page_title,
)

logger = logging.getLogger(__name__)

WHITESPACE_RE = re.compile(r"\s+")


class MiitSpider(JpaasColumnSpider):
    name = "miit"
    required_config: ClassVar[tuple[str, ...]] = (
        "sites", "detail_link_pattern", "content_xpaths", "app_table_headers", "attachment_extensions", "viewer_paths",
    )

    def parse_detail(self, response: Response) -> Iterator[Any]:
        context = response.meta["eintel"]["context"]
        content = first_match(response, self.config["content_xpaths"])
        if content is None:
            self.shape_changed(response, f"notice page has no content area matching {self.config['content_xpaths']}")
        scope = content if content is not None else response

        title = page_title(response) or context.get("list_title", "")
        date = page_date(response) or context.get("list_date", "")
        table_rows = self.app_table_rows(scope)
        attachments = attachment_links(scope, response.url, self.config["attachment_extensions"],
                                       self.config["viewer_paths"])
        images = [urljoin(response.url, src.strip()) for src in scope.xpath(".//img/@src").getall() if src.strip()]
        carrier = list_carrier(table_rows, attachments, images)
        if carrier == "text":
            logger.info("Notice %s names no app table, attachment or image; its app list, if any, is prose", response.url)

        fields = {
            "title": title,
            "date": date,
            "issuer": page_source(response) or context.get("issuer", ""),
            "app_rows": sum(table_rows),
            "app_tables": len(table_rows),
            "attachments": attachments,
            "images": images,
            "carrier": carrier,
        }
        yield self.document(response, fields)

        parent = {
            **context,
            "parent_url": response.url,
            "parent_title": title,
            "parent_date": date,
            "parent_text": page_text(scope)[: int(self.config.get("parent_text_chars", 3000))],
        }
        for url in attachments:
            yield self.request(url, self.parse_attachment, kind="attachment", context=parent)
        if carrier == "image" and self.config.get("fetch_list_images", True):
            for url in images:
                yield self.request(url, self.parse_attachment, kind="attachment", context={**parent, "image": True})

    def parse_attachment(self, response: Response) -> Iterator[Any]:
        yield self.document(response, {"size": len(response.body)}, kind="attachment")

    # Page parts -----------------------------------------------------------------------

    def app_table_rows(self, scope: Any) -> list[int]:
        """Count the data rows of each table whose header row contains at least two app-table header cells."""
        markers = [WHITESPACE_RE.sub("", header) for header in self.config["app_table_headers"]]
        counts = []
        for table in scope.xpath(".//table"):
            rows = table.xpath(".//tr")
            for index, row in enumerate(rows[:3]):
                cells = [WHITESPACE_RE.sub("", "".join(cell.xpath(".//text()").getall())) for cell in row.xpath("./td|./th")]
                if sum(1 for cell in cells if cell in markers) >= 2:
                    counts.append(sum(1 for later in rows[index + 1:] if "".join(later.xpath(".//text()").getall()).strip()))
                    break
        return counts


def list_carrier(table_rows: list[int], attachments: list[str], images: list[str]) -> str:
    """Name what carries a notice's app list: its table, its attachments, its images, else its prose."""
    if table_rows:
        return "html-table"
    if attachments:
        return "attachment"
    if images:
        return "image"
    return "text"
