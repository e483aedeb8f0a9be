"""List and article parsing shared by the CAC spiders: `cac` (国家网信办) and `cac_provincial` (省网信办).

Both spiders read one YAML shape. `defaults` contains the URL patterns and XPath lists of
cac.gov.cn, and each entry of `sites` (one list column) can override any of them. A site
entry also names its issuer (`name`) and its province (null for the national office).

List pages are static HTML. Detail links are the anchors inside the list container whose
path matches `detail_link_pattern`. An entry's date comes from its list row, else from the
URL (`url_date_pattern`). Paging follows a 「下一页」 link when the page has one, else the
site's `list_page_template` with the next page number. A templated page past the last one
is expected to return 404 (not checked against the live site), which ends paging without
recording an error.

A detail page gives the title, date, issuer (来源) and the content container, each read with
the site's XPath lists. Documents linked from the page (.pdf, .doc ...) and images inside the
content are requested as attachments, because app lists are published as images.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any, ClassVar
from urllib.parse import urljoin, urlparse

from parsel import Selector, SelectorList
from scrapy.http import Request, Response, TextResponse

from scrapers.base import ConfigError, SourceSpider, fingerprint_of

logger = logging.getLogger(__name__)

DATE_RE = re.compile(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
ISSUER_PREFIX_RE = re.compile(r"^\s*(?:信息)?来源\s*[:：]\s*")

# Settings every site must have, in its own entry or in `defaults`.
SITE_SETTINGS = (
    "detail_link_pattern",
    "url_date_pattern",
    "list_container_xpaths",
    "next_page_texts",
    "title_xpaths",
    "date_xpaths",
    "issuer_xpaths",
    "content_xpaths",
    "attachment_extensions",
    "image_extensions",
    "image_exclude_patterns",
)


class CacArticleSpider(SourceSpider):
    """Spider of CAC-style article columns. Subclasses set `name` and whether sites need a province."""

    required_config = ("sites", "defaults")
    # Provincial sites must name their province, so that their cases carry it.
    province_required: ClassVar[bool] = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sites: dict[str, dict[str, Any]] = {}
        for site in self.config["sites"]:
            self._check_site(site)
            self.sites[site["id"]] = site

    def _check_site(self, site: dict[str, Any]) -> None:
        if not isinstance(site, dict) or not site.get("id") or not site.get("name"):
            raise ConfigError(f"every entry of `sites` in {self.config_path} needs an id and a name; found {site!r}")
        missing = [key for key in SITE_SETTINGS if key not in site and key not in self.config["defaults"]]
        if missing:
            raise ConfigError(f"site {site['id']} in {self.config_path} lacks {', '.join(missing)}; "
                              "set them in the site entry or in `defaults`")
        if self.province_required and not site.get("province"):
            raise ConfigError(f"site {site['id']} in {self.config_path} needs a province (e.g. 浙江省)")

    def setting(self, site: dict[str, Any], key: str, default: Any = None) -> Any:
        """Return a site's own value of a setting, else the value in `defaults`, else `default`."""
        if key in site:
            return site[key]
        return self.config["defaults"].get(key, default)

    def site_of(self, context: dict[str, Any]) -> dict[str, Any]:
        """Return the site entry a request belongs to, or the defaults for a pending request of a removed site."""
        site = self.sites.get(context.get("site", ""))
        if site is None:
            logger.warning("Site %r of source %s is no longer configured; reading its page with the defaults",
                           context.get("site"), self.name)
            return {"id": context.get("site", ""), "name": context.get("site_name", ""), "province": context.get("province")}
        return site

    def initial_requests(self) -> Iterator[Request]:
        for site in self.config["sites"]:
            if not site.get("enabled", True):
                continue
            if not site.get("list_url"):
                logger.warning("Site %s of source %s has no list_url and is skipped; set it in %s",
                               site["id"], self.name, self.config_path)
                continue
            context = {
                "site": site["id"],
                "site_name": site["name"],
                "province": site.get("province"),
                "list_url": site["list_url"],
                "page": 1,
            }
            yield self.request(site["list_url"], self.parse_list, kind="list", context=context)

    # List pages -----------------------------------------------------------------------

    def parse_list(self, response: Response) -> Iterator[Any]:
        context = response.meta["eintel"]["context"]
        page = context["page"]
        if response.status == 404:
            logger.info("List %s page %d returned HTTP 404; paging ends", context["list_url"], page)
            return
        if not isinstance(response, TextResponse):
            self.shape_changed(response, f"list page {page} of {context['site']} is not HTML "
                                         f"({response.headers.get('Content-Type', b'').decode('latin-1')})")
            return

        site = self.site_of(context)
        entries = list(self.list_entries(response, site, context))
        if not entries and page == 1:
            self.shape_changed(response, f"first list page of {site['id']} has no detail links matching "
                                         f"{self.setting(site, 'detail_link_pattern')!r}")
        elif not entries:
            logger.info("List %s page %d has no entries; paging ends", context["list_url"], page)
        yield self.document(response, {"site": site["id"], "page": page, "entries": len(entries)})

        requests, all_known = self.detail_requests(entries, self.parse_detail)
        yield from requests

        next_url, templated = self.next_page_url(response, site, page)
        if next_url and entries and self.should_follow_next_page(page, all_known, context["list_url"]):
            request = self.request(next_url, self.parse_list, kind="list", context={**context, "page": page + 1})
            if templated:
                request.meta["handle_httpstatus_list"] = [404]
            yield request

    def list_entries(
        self, response: TextResponse, site: dict[str, Any], context: dict[str, Any]
    ) -> Iterator[tuple[str, dict[str, Any], str]]:
        """Yield (detail URL, context, fingerprint) for each detail link inside the list container."""
        pattern = re.compile(self.setting(site, "detail_link_pattern"))
        container = first_match(response, self.setting(site, "list_container_xpaths"))
        if container is None:
            self.shape_changed(response, f"list page of {site['id']} has none of the list containers "
                                         f"{self.setting(site, 'list_container_xpaths')}; reading the links of the whole page")
            container = response.xpath("/*")

        seen: set[str] = set()
        for link in container.xpath(".//a[@href]"):
            url = urljoin(response.url, link.attrib["href"].strip())
            if not pattern.search(urlparse(url).path) or url in seen:
                continue
            seen.add(url)
            title = " ".join(link.xpath("normalize-space(string(.))").get("").split()) or link.attrib.get("title", "").strip()
            row_text = " ".join(link.xpath("ancestor::*[self::li or self::tr or self::dd or self::p][1]//text()").getall())
            date = first_date(row_text) or date_in_url(url, self.setting(site, "url_date_pattern"))
            entry_context = {
                "site": site["id"],
                "site_name": site["name"],
                "province": site.get("province"),
                "list_title": title,
                "list_date": date,
                "list_url": response.url,
            }
            yield url, entry_context, fingerprint_of(title, date)

    def next_page_url(self, response: TextResponse, site: dict[str, Any], page: int) -> tuple[str | None, bool]:
        """Return the next list page's URL and whether it was built from `list_page_template`."""
        for text in self.setting(site, "next_page_texts"):
            for link in response.xpath("//a[normalize-space(string(.))=$text]", text=text):
                href = (link.attrib.get("href") or "").strip()
                if href and not href.startswith(("javascript:", "#")):
                    return urljoin(response.url, href), False
        template = self.setting(site, "list_page_template")
        if template:
            return urljoin(response.url, template.format(page=page + 1)), True
        return None, False

    # Detail pages and attachments -----------------------------------------------------

    def parse_detail(self, response: Response) -> Iterator[Any]:
        context = response.meta["eintel"]["context"]
        if not isinstance(response, TextResponse):
            logger.info("Detail link %s returned a file (%s); archiving it as an attachment",
                        response.url, response.headers.get("Content-Type", b"").decode("latin-1"))
            yield self.document(response, {"size": len(response.body)}, kind="attachment")
            return

        site = self.site_of(context)
        title = first_text(response, self.setting(site, "title_xpaths"))
        page_date = first_date(first_text(response, self.setting(site, "date_xpaths")))
        date = page_date or context.get("list_date") or date_in_url(response.url, self.setting(site, "url_date_pattern"))
        issuer = ISSUER_PREFIX_RE.sub("", first_text(response, self.setting(site, "issuer_xpaths"))).strip()
        content_xpath, content = self.content_of(response, site)

        problems = []
        if not title:
            problems.append(f"no title ({self.setting(site, 'title_xpaths')})")
        if content is None:
            problems.append(f"no content container ({self.setting(site, 'content_xpaths')})")
        if problems:
            self.shape_changed(response, "article page has " + " and ".join(problems))

        body_text = "" if content is None else "".join(content.xpath(".//text()").getall())
        attachments = self.attachment_links(response, site)
        images = [] if content is None else self.image_links(response, content, site)
        fields = {
            "site": site["id"],
            "title": title,
            "date": date,
            "issuer": issuer,
            "content_xpath": content_xpath,
            "body_chars": len("".join(body_text.split())),
            "attachments": attachments,
            "images": images,
        }
        yield self.document(response, fields)

        parent = {
            "site": site["id"],
            "site_name": site["name"],
            "province": site.get("province"),
            "parent_url": response.url,
            "parent_title": title,
            "parent_date": date,
            "issuer": issuer or site["name"],
        }
        for url in attachments:
            yield self.request(url, self.parse_attachment, kind="attachment",
                               context={**parent, "attachment_kind": "document"})
        for url in images:
            yield self.request(url, self.parse_attachment, kind="attachment",
                               context={**parent, "attachment_kind": "image"})

    def parse_attachment(self, response: Response) -> Iterator[Any]:
        yield self.document(response, {"size": len(response.body)}, kind="attachment")

    def content_of(self, response: TextResponse, site: dict[str, Any]) -> tuple[str, Selector | None]:
        """Return the XPath that found the content container and the container, or ("", None)."""
        for xpath in self.setting(site, "content_xpaths"):
            nodes = response.xpath(xpath)
            if not nodes:
                continue
            if len(nodes) > 1:
                logger.warning("Content XPath %s matches %d nodes on %s; the first is read", xpath, len(nodes), response.url)
            return xpath, nodes[0]
        return "", None

    def attachment_links(self, response: TextResponse, site: dict[str, Any]) -> list[str]:
        extensions = tuple(extension.lower() for extension in self.setting(site, "attachment_extensions"))
        links: list[str] = []
        for href in response.xpath("//a/@href").getall():
            url = urljoin(response.url, href.strip())
            if urlparse(url).path.lower().endswith(extensions) and url not in links:
                links.append(url)
        return links

    def image_links(self, response: TextResponse, content: Selector, site: dict[str, Any]) -> list[str]:
        extensions = tuple(extension.lower() for extension in self.setting(site, "image_extensions"))
        excluded = tuple(self.setting(site, "image_exclude_patterns"))
        links: list[str] = []
        for src in content.xpath(".//img/@src").getall():
            url = urljoin(response.url, src.strip())
            path = urlparse(url).path
            if not path.lower().endswith(extensions) or any(part in path for part in excluded) or url in links:
                continue
            links.append(url)
        return links


def first_match(response: TextResponse, xpaths: list[str]) -> SelectorList | None:
    """Return the nodes of the first XPath that matches anything, or None."""
    for xpath in xpaths:
        nodes = response.xpath(xpath)
        if nodes:
            return nodes
    return None


def first_text(response: TextResponse, xpaths: list[str]) -> str:
    """Return the whitespace-collapsed text of the first XPath whose first node has text, or "".

    An element's own text nodes come first: on a page whose <h1> is closed by </h2>, the
    parser nests the rest of the page in the heading, and its full text would be all of it.
    """
    for xpath in xpaths:
        for node in response.xpath(xpath)[:1]:
            if isinstance(node.root, str):
                text = node.root
            else:
                text = " ".join(node.xpath("./text()").getall()) or " ".join(node.xpath(".//text()").getall())
            text = " ".join(text.split())
            if text:
                return text
    return ""


def first_date(text: str) -> str:
    """Return the first date in a text as YYYY-MM-DD (「2026年09月15日」, 「2026-09-15 10:30」), or ""."""
    match = DATE_RE.search(text or "")
    if match is None:
        return ""
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"


def date_in_url(url: str, pattern: str) -> str:
    """Return the date a detail URL carries (/2026-09/15/c_….htm) as YYYY-MM-DD, or ""."""
    match = re.search(pattern, urlparse(url).path)
    if match is None:
        return ""
    return f"{match['year']}-{int(match['month']):02d}-{int(match['day']):02d}"
