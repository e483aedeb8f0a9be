"""China Securities Regulatory Commission (CSRC, 证监会): 行政处罚决定 columns of headquarters and bureaus.

The list pages are JavaScript shells over a JSON search API (`/searchList/<channelId>`) that
the spider pages by number for each configured channel, up to ceil(total / page size).
Each result links a decision page whose free text sits in one content container
(`content_xpath`). When a page only links a PDF or Word file, that file is fetched as an
attachment. Requests carry the column's list page as Referer.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlparse

from parsel import Selector
from scrapy.http import Request, Response, TextResponse

from scrapers.base import SourceSpider, fingerprint_of
from scrapers.jsonapi import collapse, count_field, json_payload

logger = logging.getLogger(__name__)



class CsrcSpider(SourceSpider):
    name = "csrc"
    required_config = ("base_url", "search_api", "page_size", "channels", "content_xpath", "party_line_pattern")

    def initial_requests(self) -> Iterator[Request]:
        for channel in self.config["channels"]:
            if not channel.get("enabled", True):
                continue
            if not str(channel.get("channel_id") or "").strip():
                self.shape_changed(str(self.config_path), f"channel {channel['id']} has no channel_id; set it to the "
                                   "content of <meta name=\"channelid\"> on the column's list page")
                continue
            yield self.list_request(channel, 1)

    # List pages -----------------------------------------------------------------------

    def list_request(self, channel: dict[str, Any], page: int) -> Request:
        path = self.config["search_api"].format(
            channel_id=channel["channel_id"], page_size=self.config["page_size"], page=page
        )
        context = {
            "channel": channel["id"],
            "channel_name": channel.get("name", ""),
            "channel_id": channel["channel_id"],
            "issuer": channel.get("issuer") or "",
            "list_url": self.absolute(channel.get("list_page") or "/"),
            "page": page,
        }
        request = self.request(self.absolute(path), self.parse_list, kind="list", context=context)
        return self.with_headers(request, {**self.config.get("api_headers", {}), "Referer": context["list_url"]})

    def parse_list(self, response: Response) -> Iterator[Any]:
        context = response.meta["eintel"]["context"]
        page = context["page"]
        payload, problem = json_payload(response)
        data = payload.get("data") if payload is not None else None
        if problem is None and not isinstance(data, dict):
            problem = "the response has no `data` object"
        if problem is not None:
            self.shape_changed(response, f"list page {page} of channel {context['channel']}: {problem}")
            yield self.document(response, {"page": page, "entries": 0, "error": problem})
            return

        results = data.get("results") if isinstance(data.get("results"), list) else []
        total = count_field(data.get("total"))
        entries = [entry for entry in (self.list_entry(result, context) for result in results) if entry is not None]
        pages = math.ceil(total / int(self.config["page_size"])) if total else 0
        if page == 1:
            self.check_first_page(response, context, entries, total)
        if entries and data.get("total") is None:
            self.shape_changed(response, f"list page {page} of channel {context['channel']} has no total, so paging stops here")

        yield self.document(response, {"page": page, "entries": len(entries), "total": total, "pages": pages,
                                       "channel": context["channel"]})
        requests, all_known = self.detail_requests(entries, self.parse_detail)
        for request in requests:
            yield self.with_headers(request, {"Referer": context["list_url"]})

        if entries and page < pages and self.should_follow_next_page(page, all_known, context["list_url"]):
            channel = {"id": context["channel"], "name": context["channel_name"], "channel_id": context["channel_id"],
                       "issuer": context["issuer"], "list_page": context["list_url"]}
            yield self.list_request(channel, page + 1)

    def check_first_page(self, response: Response, context: dict[str, Any], entries: list[Any], total: int) -> None:
        """Report a first page without entries, or one whose titles are no decisions (a wrong channel id)."""
        if not entries:
            self.shape_changed(response, f"first list page of channel {context['channel']} has no results "
                                         f"with a url (total {total})")
            return
        words = self.config.get("decision_title_words", [])
        titles = [entry[1]["list_title"] for entry in entries]
        if words and not any(word in title for title in titles for word in words):
            self.shape_changed(response, f"no title on the first list page of channel {context['channel']} contains "
                                         f"{words}; check its channel_id {context['channel_id']}")

    def list_entry(self, result: Any, context: dict[str, Any]) -> tuple[str, dict[str, Any], str] | None:
        if not isinstance(result, dict) or not str(result.get("url") or "").strip():
            return None
        title = strip_tags(result.get("title"))
        published_ms = result.get("publishedTime")
        entry_context = {
            "channel": context["channel"],
            "channel_name": context["channel_name"],
            "issuer": context["issuer"],
            "list_title": title,
            "list_date": collapse(result.get("publishedTimeStr")),
            "published_ms": published_ms if isinstance(published_ms, int) else None,
            "list_url": context["list_url"],
        }
        url = self.absolute(str(result["url"]).strip())
        return url, entry_context, fingerprint_of(title, published_ms or entry_context["list_date"])

    # Decision pages and attachments ---------------------------------------------------

    def parse_detail(self, response: Response) -> Iterator[Any]:
        context = response.meta["eintel"]["context"]
        if not isinstance(response, TextResponse):
            self.shape_changed(response, f"decision page is not text ({response.headers.get('Content-Type')!r})")
            yield self.document(response, {"title": context.get("list_title", ""), "parties": 0, "attachments": []})
            return
        containers = response.xpath(self.config["content_xpath"])
        title = page_title(response) or context.get("list_title", "")
        if len(containers) != 1:
            self.shape_changed(response, f"decision page has {len(containers)} content containers matching "
                                         f"{self.config['content_xpath']!r}, expected 1")
        content = containers[0] if containers else None
        parties = self.party_lines(content) if content is not None else 0
        attachments = self.attachment_links(response, content) if content is not None else []
        if content is not None and parties == 0 and not attachments:
            self.shape_changed(response, "decision page names no party (no 当事人 line) and links no attachment")

        fields = {"title": title, "parties": parties, "attachments": attachments,
                  "publish_date": context.get("list_date", "")}
        yield self.document(response, fields)

        parent = {**context, "parent_url": response.url, "parent_title": title,
                  "parent_date": context.get("list_date", ""), "parent_parties": parties}
        for url in attachments:
            request = self.request(url, self.parse_attachment, kind="attachment", context=parent)
            yield self.with_headers(request, {"Referer": response.url})

    def parse_attachment(self, response: Response) -> Iterator[Any]:
        yield self.document(response, {"size": len(response.body)}, kind="attachment")

    def party_lines(self, content: Selector) -> int:
        pattern = re.compile(self.config["party_line_pattern"])
        return sum(1 for text in content.xpath(".//text()").getall() if pattern.match(text.strip()))

    def attachment_links(self, response: Response, content: Selector) -> list[str]:
        extensions = tuple(self.config.get("attachment_extensions", []))
        links: list[str] = []
        for href in content.xpath(".//a/@href").getall():
            url = urljoin(response.url, href.strip())
            if urlparse(url).path.lower().endswith(extensions) and url not in links:
                links.append(url)
        return links

    # URLs and headers -----------------------------------------------------------------

    def absolute(self, path: str) -> str:
        return urljoin(self.config["base_url"].rstrip("/") + "/", path)

    def with_headers(self, request: Request, headers: dict[str, str]) -> Request:
        """Set headers on a request and on the copy kept for a pending retry."""
        for name, value in headers.items():
            request.headers[name] = value
        request.meta["eintel"]["headers"] = {**request.meta["eintel"].get("headers", {}), **headers}
        return request


def page_title(response: Response) -> str:
    for query in ("//meta[@name='ArticleTitle']/@content", "//h2//text()", "//title/text()"):
        value = collapse(" ".join(response.xpath(query).getall()))
        if value:
            return value
    return ""


def strip_tags(value: Any) -> str:
    """Strip the <em> highlighting that search results can carry from a title."""
    text = collapse(value)
    return collapse(Selector(text=f"<div>{text}</div>").xpath("string(//div)").get("")) if "<" in text else text


