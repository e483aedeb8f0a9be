"""Base spider of columns whose lists come from the JPaaS backend (MIIT, SAMR and their local sites).

For each site of the data file it fetches the column page and reads the list unit that the
page declares (`scrapers.jpaas.find_unit_query`). It then requests the unit's pages
`paramJson={"pageNo":N,"pageSize":R}` until the pager's `count` is reached, the page limit
applies, or a page lists only archived entries. Subclasses implement `parse_detail`.

Data file keys read here:

- `sites`: list of {id, name, list_url, issuer, province, tag_id (optional), page_size (optional)};
  `enabled: false` skips a site;
- `page_size`: entries per unit page unless a site sets its own;
- `detail_link_pattern`: regex that the path of a detail link matches, unless a site sets its own;
- `title_keywords` (optional): an entry is fetched only when its title contains one of them
  (case ignored); a site's own `title_keywords` replace them, and an empty list fetches all;
- `max_list_pages`: see `SourceSpider`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

from scrapy.http import Request, Response

from scrapers.attachments import attachment_url_from_viewer
from scrapers.base import SourceSpider, fingerprint_of
from scrapers.jpaas import (
    JpaasError,
    UnitEntry,
    UnitQuery,
    find_unit_query,
    first_date,
    parse_unit_response,
)

logger = logging.getLogger(__name__)

# Page size used when neither the data file nor the column page states one.
DEFAULT_PAGE_SIZE = 20


class JpaasColumnSpider(SourceSpider):
    """A spider whose sites list their entries through the JPaaS unit API."""

    required_config: ClassVar[tuple[str, ...]] = ("sites", "detail_link_pattern")

    def initial_requests(self) -> Iterator[Request]:
        for site in self.config["sites"]:
            if not site.get("enabled", True):
                continue
            yield self.request(site["list_url"], self.parse_column, kind="list", context=self.site_context(site))

    def site_context(self, site: dict[str, Any]) -> dict[str, Any]:
        """Return the facts of a site that every document of it carries."""
        return {
            "site": site["id"],
            "site_name": site.get("name", site["id"]),
            "issuer": site.get("issuer", site.get("name", "")),
            "province": site.get("province", ""),
            "list_url": site["list_url"],
        }

    def site_config(self, site_id: str) -> dict[str, Any]:
        for site in self.config["sites"]:
            if site["id"] == site_id:
                return site
        return {}

    # Column page and unit pages -------------------------------------------------------

    def parse_column(self, response: Response) -> Iterator[Any]:
        """Read the list unit of a column page and request the unit's first page."""
        context = response.meta["eintel"]["context"]
        site = self.site_config(context["site"])
        try:
            query = find_unit_query(response.text, response.url, site.get("tag_id"))
        except JpaasError as error:
            self.shape_changed(response, str(error))
            yield self.document(response, {"unit_found": False})
            return

        yield self.document(response, {"unit_found": True, "unit_params": query.params})
        page_size = int(site.get("page_size") or self.config.get("page_size") or query.declared_page_size
                        or DEFAULT_PAGE_SIZE)
        yield self.unit_request(query, 1, page_size, context)

    def unit_request(self, query: UnitQuery, page: int, page_size: int, context: dict[str, Any]) -> Request:
        unit_context = {
            **context,
            "page": page,
            "page_size": page_size,
            "unit_endpoint": query.endpoint,
            "unit_params": query.params,
        }
        return self.request(query.page_url(page, page_size), self.parse_unit, kind="list",
                            context=unit_context, headers=query.request_headers())

    def parse_unit(self, response: Response) -> Iterator[Any]:
        """Parse one unit page: request its new detail pages and the next unit page."""
        context = response.meta["eintel"]["context"]
        page = context["page"]
        site = self.site_config(context["site"])
        link_pattern = site.get("detail_link_pattern") or self.config["detail_link_pattern"]
        try:
            unit_page = parse_unit_response(response.text, response.url, context["list_url"], link_pattern)
        except JpaasError as error:
            self.shape_changed(response, str(error))
            yield self.document(response, {"page": page, "entries": 0, "error": str(error)})
            return

        keywords = site.get("title_keywords", self.config.get("title_keywords")) or []
        selected = [entry for entry in unit_page.entries if title_selected(entry.title, keywords)]
        if page == 1 and not unit_page.entries:
            self.shape_changed(response, f"first list page of {context['site']} has no entries matching "
                                         f"{link_pattern!r} (pager count {unit_page.total})")
        pages = unit_page.page_count(context["page_size"])
        yield self.document(response, {
            "page": page,
            "entries": len(selected),
            "skipped": len(unit_page.entries) - len(selected),
            "total": unit_page.total,
            "pages": pages,
        })

        entries = [(entry.url, self.entry_context(context, entry), fingerprint_of(entry.title, entry.date))
                   for entry in selected]
        requests, all_known = self.detail_requests(entries, self.parse_detail)
        yield from requests

        # A page whose entries were all left out by title shows nothing about what is archived.
        all_known = all_known and bool(selected)
        if self.has_next_page(page, pages, len(unit_page.entries), context["page_size"]) and \
                self.should_follow_next_page(page, all_known, context["list_url"]):
            query = UnitQuery(endpoint=context["unit_endpoint"], params=context["unit_params"],
                              list_url=context["list_url"])
            site_context = {key: context[key] for key in ("site", "site_name", "issuer", "province", "list_url")}
            yield self.unit_request(query, page + 1, context["page_size"], site_context)

    def has_next_page(self, page: int, pages: int | None, entries: int, page_size: int) -> bool:
        """Tell whether another unit page follows: by the pager count, else by a full page."""
        if pages is not None:
            return page < pages
        return entries >= page_size

    def entry_context(self, context: dict[str, Any], entry: UnitEntry) -> dict[str, Any]:
        return {
            "site": context["site"],
            "site_name": context["site_name"],
            "issuer": context["issuer"],
            "province": context["province"],
            "list_url": context["list_url"],
            "list_title": entry.title,
            "list_date": entry.date,
        }

    def parse_detail(self, response: Response) -> Iterator[Any]:
        raise NotImplementedError(f"spider {self.name} must implement parse_detail()")


def title_selected(title: str, keywords: list[str]) -> bool:
    """Tell whether a title contains one of the keywords, ignoring case. Without keywords every title counts."""
    if not keywords:
        return True
    folded = title.casefold()
    return any(keyword.casefold() in folded for keyword in keywords)


def first_match(response: Response, xpaths: list[str]) -> Any:
    """Return the first node that one of the XPath expressions selects, trying them in order, or None."""
    for xpath in xpaths:
        nodes = response.xpath(xpath)
        if nodes:
            return nodes[0]
    return None


def normalized_text(value: str) -> str:
    return re.sub(r"\s+", " ", value or "").strip()


def attachment_links(scope: Any, page_url: str, extensions: list[str], viewer_paths: list[str]) -> list[str]:
    """List the document attachments linked from a page, with PDF.js viewer links resolved to their file."""
    endings = tuple(extension.lower() for extension in extensions)
    viewers = tuple(path.lower() for path in viewer_paths)
    links: list[str] = []
    for href in scope.xpath(".//a/@href").getall():
        url = urljoin(page_url, href.strip())
        if urlsplit(url).path.lower().endswith(viewers):
            url = attachment_url_from_viewer(url)
        if urlsplit(url).path.lower().endswith(endings) and url not in links:
            links.append(url)
    return links


def page_title(response: Response) -> str:
    """Return the title of a page: the ArticleTitle meta, else the <h1>, else <title>."""
    for query in ("//meta[@name='ArticleTitle']/@content", "//h1//text()", "//title/text()"):
        value = normalized_text(" ".join(response.xpath(query).getall()))
        if value:
            return value
    return ""


def page_date(response: Response) -> str:
    """Return the publication date of a page (PubDate meta, else 「发布时间」) as YYYY-MM-DD, or ""."""
    for query in ("//meta[@name='PubDate']/@content", "//meta[@name='firstpublishedtime']/@content"):
        value = first_date(" ".join(response.xpath(query).getall()))
        if value:
            return value
    for text in response.xpath("//*[contains(text(), '发布时间') or contains(text(), '日期')]/text()").getall():
        value = first_date(text)
        if value:
            return value
    return ""


def page_source(response: Response) -> str:
    """Return the issuer a page names (ContentSource meta, else 「来源：」), or ""."""
    value = normalized_text(" ".join(response.xpath("//meta[@name='ContentSource']/@content").getall()))
    if value:
        return value
    for text in response.xpath("//*[contains(text(), '来源')]/text()").getall():
        match = re.search(r"来源\s*[:：]\s*(\S+)", text)
        if match:
            return match.group(1)
    return ""


def page_text(scope: Any) -> str:
    """Return the text of a page body outside its tables, one line per paragraph."""
    lines = []
    for paragraph in scope.xpath(".//*[self::p or self::div][not(ancestor::table)][not(.//p)][not(.//div)]"):
        line = normalized_text(" ".join(paragraph.xpath(".//text()").getall()))
        if line:
            lines.append(line)
    return "\n".join(lines)
