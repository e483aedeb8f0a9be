"""State Administration for Market Regulation (SAMR, 市场监管总局) and local market regulators.

The columns list their pages through the JPaaS backend (see `scrapers.jpaas_column`). A
page carries one of these: a 行政处罚信息公开表 (a label-value table, or one row per
decision); the full text of a decision with the party and ids masked as `***`; a notice
that bundles many decisions (「青黄市监罚送告〔2026〕8020-8044号」); DOCX/PDF/DOC
attachments with any of them. Attachments are fetched with a context naming the page (parent_url, parent_title,
parent_date, issuer, province) and the start of its text.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any, ClassVar

from scrapy.http import Response

from scrapers.jpaas_column import (
    JpaasColumnSpider,
    attachment_links,
    first_match,
    page_date,
    page_text,
    page_title,
)

logger = logging.getLogger(__name__)

WHITESPACE_RE = re.compile(r"\s+")
# A decision number (文号) as written on these pages: issuer, bracketed year, serial or range, 号.
DECISION_NUMBER_RE = re.compile(r"[\u4e00-\u9fa5]{2,}[〔\[［（(【]\s*\d{4}\s*[〕\]］）)】]\s*第?\s*[\d*]+(?:\s*[-—－~～至]\s*\d+)?\s*号")


class SamrSpider(JpaasColumnSpider):
    name = "samr"
    required_config: ClassVar[tuple[str, ...]] = (
        "sites", "detail_link_pattern", "content_xpaths", "decision_table_labels", "attachment_extensions", "viewer_paths",
    )

    def parse_detail(self, response: Response) -> Iterator[Any]:
        context = response.meta["eintel"]["context"]
        content = first_match(response, self.config["content_xpaths"])
        if content is None:
            self.shape_changed(response, f"decision page has no content area matching {self.config['content_xpaths']}")
        scope = content if content is not None else response

        title = page_title(response) or context.get("list_title", "")
        text = page_text(scope)
        attachments = attachment_links(scope, response.url, self.config["attachment_extensions"],
                                       self.config["viewer_paths"])
        tables = self.decision_tables(scope)
        numbers = list(dict.fromkeys(WHITESPACE_RE.sub("", number)
                                     for number in DECISION_NUMBER_RE.findall(f"{title} {text}")))
        fields = {
            "title": title,
            "date": page_date(response) or context.get("list_date", ""),
            "issuer": context.get("issuer", ""),
            "decision_tables": len(tables),
            "table_rows": sum(tables),
            "decision_numbers": numbers,
            "masked": "***" in text or "***" in " ".join(scope.xpath(".//table//text()").getall()),
            "attachments": attachments,
        }
        if content is not None and not tables and not attachments and "当事人" not in text and not numbers:
            # News and round-ups of the 曝光台 need none of these, so this is no shape change.
            logger.info("Page %s has no 行政处罚信息公开表, 当事人 line, decision number or attachment", response.url)
        yield self.document(response, fields)

        parent = {
            **context,
            "parent_url": response.url,
            "parent_title": title,
            "parent_date": fields["date"],
            "parent_text": text[: int(self.config.get("parent_text_chars", 3000))],
        }
        for url in attachments:
            yield self.request(url, self.parse_attachment, kind="attachment", context=parent)

    def parse_attachment(self, response: Response) -> Iterator[Any]:
        yield self.document(response, {"size": len(response.body)}, kind="attachment")

    def decision_tables(self, scope: Any) -> list[int]:
        """Count the rows of each table with at least two 行政处罚信息公开表 label cells."""
        labels = {WHITESPACE_RE.sub("", label) for label in self.config["decision_table_labels"]}
        counts = []
        for table in scope.xpath(".//table"):
            rows = table.xpath(".//tr")
            cells = [WHITESPACE_RE.sub("", "".join(cell.xpath(".//text()").getall()))
                     for row in rows for cell in row.xpath("./td|./th")]
            if len(labels.intersection(cells)) >= 2:
                counts.append(sum(1 for row in rows if "".join(row.xpath(".//text()").getall()).strip()))
        return counts
