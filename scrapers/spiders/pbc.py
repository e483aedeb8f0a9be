"""People's Bank of China (PBC, 中国人民银行): 行政处罚公示 columns of headquarters and branches.

List pages are server-rendered HTML whose detail links match `detail_link_pattern`; paging
follows the 「下一页」 link (its href, or the `tagname` attribute one branch uses). A detail
page contains one penalty table, or links to .doc/.docx/.xls/.xlsx/.pdf attachments, or images.
Any page can come back as the anti-bot stub 「请开启JavaScript并刷新该页」. When its script
states the target URL in a string literal or an atob() literal, the spider follows it.
Otherwise the page is recorded as blocked and retried on the next run.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlparse

from parsel import Selector
from scrapy.http import Request, Response

from scrapers.base import SourceSpider, fingerprint_of

logger = logging.getLogger(__name__)

DATE_RE = re.compile(r"(\d{4})[-年/.](\d{1,2})[-月/.](\d{1,2})")
ATOB_RE = re.compile(r"atob\(\s*['\"]([A-Za-z0-9+/=]{8,})['\"]\s*\)")
LOCATION_RE = re.compile(r"(?:window\.)?location(?:\.href)?\s*=\s*['\"]([^'\"]+)['\"]")
URLISH_RE = re.compile(r"^(?:https?://|/)[\w\-./?=&%~#:]+$")


class PbcSpider(SourceSpider):
    name = "pbc"
    required_config = ("sites", "detail_link_pattern", "next_page_texts", "table_headers",
                       "attachment_extensions", "javascript_stub_markers")

    def initial_requests(self) -> Iterator[Request]:
        for site in self.config["sites"]:
            if not site.get("enabled", True):
                continue
            context = {"site": site["id"], "site_name": site["name"], "list_url": site["list_url"], "page": 1}
            yield self.request(site["list_url"], self.parse_list, kind="list", context=context)

    # List pages -----------------------------------------------------------------------

    def parse_list(self, response: Response) -> Iterator[Any]:
        context = response.meta["eintel"]["context"]
        if self.is_stub(response):
            yield from self.follow_stub(response, self.parse_list)
            return
        entries = list(self.list_entries(response, context))
        if not entries and context["page"] == 1:
            self.shape_changed(response, f"first list page of {context['site']} has no detail links "
                               f"matching {self.config['detail_link_pattern']}")
        elif not entries:
            logger.info("List %s page %d has no entries; paging ends", context["list_url"], context["page"])
        yield self.document(response, {"entries": len(entries), "page": context["page"]})
        requests, all_known = self.detail_requests(entries, self.parse_detail)
        yield from requests
        next_url = self.next_page_url(response)
        if next_url and entries and self.should_follow_next_page(context["page"], all_known, context["list_url"]):
            next_context = {**context, "page": context["page"] + 1}
            yield self.request(next_url, self.parse_list, kind="list", context=next_context)

    def list_entries(self, response: Response, context: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any], str]]:
        pattern = re.compile(self.config["detail_link_pattern"])
        seen: set[str] = set()
        for link in response.xpath("//a[@href]"):
            url = urljoin(response.url, link.attrib["href"].strip())
            if not pattern.search(urlparse(url).path) or url in seen:
                continue
            seen.add(url)
            title = " ".join(link.xpath("normalize-space(string(.))").get("").split()) or link.attrib.get("title", "")
            row_text = " ".join(link.xpath("ancestor::*[self::li or self::tr or self::dd or self::p][1]//text()").getall())
            date = _first_date(row_text)
            entry_context = {"site": context["site"], "site_name": context["site_name"],
                             "list_title": title, "list_date": date, "list_url": response.url}
            yield url, entry_context, fingerprint_of(title, date)

    def next_page_url(self, response: Response) -> str | None:
        for text in self.config["next_page_texts"]:
            for link in response.xpath("//a[normalize-space(string(.))=$text]", text=text):
                for attribute in ("href", "tagname"):
                    value = (link.attrib.get(attribute) or "").strip()
                    if value and not value.startswith(("javascript:", "#")):
                        return urljoin(response.url, value)
        return None

    # Detail pages and attachments -----------------------------------------------------

    def parse_detail(self, response: Response) -> Iterator[Any]:
        if self.is_stub(response):
            yield from self.follow_stub(response, self.parse_detail)
            return
        title = _page_title(response)
        table_rows = self.penalty_table_rows(response)
        attachments = self.attachment_links(response)
        images = [urljoin(response.url, src) for src in response.xpath("//img/@src").getall()
                  if "/u/cms/" in src or src.lower().endswith((".png", ".jpg", ".jpeg"))]
        if table_rows is None and not attachments:
            self.shape_changed(response, "detail page has neither a 行政处罚公示 table with the expected "
                                         "header cells nor a document attachment")
        fields = {
            "title": title,
            "table_rows": table_rows or 0,
            "attachments": attachments,
            "images": images if table_rows is None and not attachments else [],
        }
        yield self.document(response, fields)
        parent = {**response.meta["eintel"]["context"], "parent_url": response.url, "parent_title": title}
        for url in attachments:
            yield self.request(url, self.parse_attachment, kind="attachment", context=parent)

    def parse_attachment(self, response: Response) -> Iterator[Any]:
        if self.is_stub(response):
            yield from self.follow_stub(response, self.parse_attachment)
            return
        yield self.document(response, {"size": len(response.body)}, kind="attachment")

    def penalty_table_rows(self, response: Response) -> int | None:
        """Data rows of the first table whose header cells include every expected header, else None."""
        wanted = [re.sub(r"\s+", "", header) for header in self.config["table_headers"]]
        for table in response.xpath("//table"):
            rows = table.xpath(".//tr")
            for index, row in enumerate(rows[:5]):
                header = re.sub(r"\s+", "", "".join(row.xpath(".//text()").getall()))
                if all(cell in header for cell in wanted):
                    return sum(1 for later in rows[index + 1:] if "".join(later.xpath(".//text()").getall()).strip())
        return None

    def attachment_links(self, response: Response) -> list[str]:
        extensions = tuple(self.config["attachment_extensions"])
        links = []
        for href in response.xpath("//a/@href").getall():
            url = urljoin(response.url, href.strip())
            if urlparse(url).path.lower().endswith(extensions) and url not in links:
                links.append(url)
        return links

    # Anti-bot stub --------------------------------------------------------------------

    def is_stub(self, response: Response) -> bool:
        if not hasattr(response, "text"):
            return False
        head = response.text[:20000]
        return any(marker in head for marker in self.config["javascript_stub_markers"])

    def follow_stub(self, response: Response, callback: Any) -> Iterator[Request]:
        target = stub_target(response.text, response.url)
        meta = response.meta["eintel"]
        hops = meta["context"].get("stub_hops", 0)
        if target is None or hops >= 2:
            reason = "no target URL in its script" if target is None else "it redirected to another stub"
            self.blocked(response, f"JavaScript stub page; {reason}")
            return
        logger.info("Following the JavaScript stub of %s to %s", response.url, target)
        context = {**meta["context"], "stub_hops": hops + 1, "stub_url": response.url}
        request = self.request(target, callback, kind=meta["kind"], context=context, fingerprint=meta["fingerprint"])
        yield request.replace(dont_filter=True)


def stub_target(html: str, page_url: str) -> str | None:
    """Find the URL an anti-bot stub's script sends the browser to, when the page spells it out; else None.

    Two forms are read: a location assignment with a string literal, and a base64 literal
    passed to atob() that decodes to a URL or an absolute path.
    NOTE: the obfuscation changed in 2021 and may change again. A script that computes the
    URL is not evaluated, so such a page is reported as blocked.
    """
    scripts = " ".join(Selector(text=html).xpath("//script/text()").getall())
    for literal in ATOB_RE.findall(scripts):
        try:
            decoded = base64.b64decode(literal, validate=True).decode("utf-8").strip()
        except (binascii.Error, UnicodeDecodeError):
            continue
        if URLISH_RE.match(decoded):
            return urljoin(page_url, decoded)
    for literal in LOCATION_RE.findall(scripts):
        if URLISH_RE.match(literal):
            return urljoin(page_url, literal)
    return None


def _first_date(text: str) -> str:
    match = DATE_RE.search(text)
    if match is None:
        return ""
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def _page_title(response: Response) -> str:
    for query in ("//meta[@name='ArticleTitle']/@content", "//h2//text()", "//h1//text()", "//title/text()"):
        value = " ".join(" ".join(response.xpath(query).getall()).split())
        if value:
            return value
    return ""
