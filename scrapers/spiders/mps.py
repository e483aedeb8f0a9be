"""Public-security Clean Net (净网) case announcements: the ministry (公安部) and provincial 公安厅.

Every per-site fact lives in mps.yaml: list URLs, the selectors of list entries (link,
title, date), the next-page rule (a 「下一页」 link or a URL template `index_{n}.html`),
the article selectors (title, date, source, body) and the title keywords. A list entry
whose title contains no keyword is skipped without fetching and counted in the list
page's `skipped_by_keywords` field. Links in an article to document files are fetched
as attachments. The ETL parser (`etl.sources.mps`) splits an article or attachment into
one case per numbered typical case. It reads the article body through the XPath that
the spider records in the `body_xpath` field.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlparse

from parsel import Selector, SelectorList
from parsel.csstranslator import css2xpath
from scrapy.http import Request, Response

from scrapers.base import ConfigError, SourceSpider, fingerprint_of

logger = logging.getLogger(__name__)

DATE_RE = re.compile(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
CSS_PREFIX = "css:"

REQUIRED_SITE_KEYS = ("id", "name", "list_urls", "list", "next_page", "article")
REQUIRED_LIST_KEYS = ("entries", "link", "title")
REQUIRED_ARTICLE_KEYS = ("title", "body")


class MpsSpider(SourceSpider):
    name = "mps"
    required_config = ("sites", "title_keywords", "attachment_extensions")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sites = {site["id"]: site for site in self.config["sites"]}
        for site in self.config["sites"]:
            check_site(site, self.config_path)
        self.blocked_statuses = {int(code) for code in self.config.get("blocked_status_codes", [])}
        # HttpErrorMiddleware hands these statuses to the callbacks, which record the page as blocked.
        self.handle_httpstatus_list = sorted(self.blocked_statuses)
        self.source_pattern = re.compile(self.config.get("source_pattern", r"来源\s*[:：]\s*(?P<source>\S+)"))
        self.skipped_by_keywords = 0

    def initial_requests(self) -> Iterator[Request]:
        for site in self.config["sites"]:
            if not site.get("enabled", True):
                logger.info("Site %s (%s) is disabled in %s", site["id"], site["name"], self.config_path)
                continue
            for list_url in site["list_urls"]:
                context = {"site": site["id"], "list_url": list_url, "page": 1}
                yield self.request(list_url, self.parse_list, kind="list", context=context)

    # List pages -----------------------------------------------------------------------

    def parse_list(self, response: Response) -> Iterator[Any]:
        context = response.meta["eintel"]["context"]
        site = self._site(context, response.url)
        if site is None or self._is_blocked(response):
            return
        if response.status == 404:
            logger.info("List %s page %d returned HTTP 404; paging ends", context["list_url"], context["page"])
            return

        entries, skipped, malformed = self.list_entries(response, site)
        nodes = len(entries) + len(skipped) + malformed
        if nodes == 0 and context["page"] == 1:
            self.shape_changed(response, f"first list page of site {site['id']} has no entries matching "
                                         f"{site['list']['entries']!r}")
        elif nodes and not entries and not skipped:
            self.shape_changed(response, f"none of the {malformed} list entries of site {site['id']} has a "
                                         "link and a title; check the list selectors")
        elif nodes == 0:
            logger.info("List %s page %d has no entries; paging ends", context["list_url"], context["page"])

        self.skipped_by_keywords += len(skipped)
        # Skipped entries count as seen, so a run whose lists contain no 净网 title is not reported as shape_changed.
        self.list_entries_seen += len(skipped)
        fields = {
            "page": context["page"],
            "entries": nodes,
            "matched": len(entries),
            "skipped_by_keywords": len(skipped),
            "skipped_titles": skipped,
            "malformed_entries": malformed,
        }
        yield self.document(response, fields)

        requests, all_known = self.detail_requests(entries, self.parse_article)
        yield from requests

        # A page without matching titles shows nothing about earlier runs, so it never stops paging.
        all_known = all_known and bool(entries)
        next_url = self.next_page_url(response, site, context)
        if next_url and (entries or skipped) and self.should_follow_next_page(context["page"], all_known,
                                                                            context["list_url"]):
            next_context = {**context, "page": context["page"] + 1}
            request = self.request(next_url, self.parse_list, kind="list", context=next_context)
            if "template" in site["next_page"]:
                # A templated page past the last one returns HTTP 404, which ends the list.
                request.meta["handle_httpstatus_list"] = sorted({404, *self.blocked_statuses})
            yield request

    def list_entries(
        self, response: Response, site: dict[str, Any]
    ) -> tuple[list[tuple[str, dict[str, Any], str]], list[str], int]:
        """Return the entries whose titles match a keyword, the titles skipped, and the entries lacking a link or title."""
        selectors = site["list"]
        keywords = [keyword.lower() for keyword in site.get("title_keywords", self.config["title_keywords"])]
        entries: list[tuple[str, dict[str, Any], str]] = []
        skipped: list[str] = []
        malformed = 0
        seen: set[str] = set()
        for node in select(response.selector, selectors["entries"]):
            href = first_text(node, selectors["link"])
            title = first_text(node, selectors["title"])
            if not href or not title or href.startswith(("javascript:", "#")):
                logger.debug("List entry without link or title on %s: href=%r title=%r", response.url, href, title)
                malformed += 1
                continue
            url = urljoin(response.url, href)
            if url in seen:
                continue
            seen.add(url)
            if not any(keyword in title.lower() for keyword in keywords):
                skipped.append(title)
                continue
            date = normalize_date(first_text(node, selectors["date"])) if selectors.get("date") else ""
            context = {
                **site_context(site),
                "list_title": title,
                "list_date": date,
                "list_url": response.url,
            }
            entries.append((url, context, fingerprint_of(title, date)))
        return entries, skipped, malformed

    def next_page_url(self, response: Response, site: dict[str, Any], context: dict[str, Any]) -> str | None:
        rule = site["next_page"]
        if "template" in rule:
            return urljoin(context["list_url"], rule["template"].format(n=context["page"] + 1))
        for text in rule.get("texts", []):
            for href in response.xpath("//a[normalize-space(string(.))=$text]/@href", text=text).getall():
                value = href.strip()
                if value and not value.startswith(("javascript:", "#")):
                    return urljoin(response.url, value)
        return None

    # Articles and attachments ---------------------------------------------------------

    def parse_article(self, response: Response) -> Iterator[Any]:
        context = response.meta["eintel"]["context"]
        site = self._site(context, response.url)
        if site is None or self._is_blocked(response):
            return

        selectors = site["article"]
        title = first_text(response.selector, selectors["title"])
        date = normalize_date(first_text(response.selector, selectors.get("date", [])))
        source = self.article_source(response.selector, selectors.get("source", []))
        body_xpath, body_chars = article_body(response.selector, selectors["body"])
        attachments = self.attachment_links(response)
        missing = [name for name, value in (("title", title), ("body", body_xpath)) if not value]
        if missing:
            self.shape_changed(response, f"article of site {site['id']} has no {' or '.join(missing)} matching "
                                         "the article selectors")
        fields = {
            "title": title,
            "date": date,
            "source": source,
            "issuer": site.get("issuer") or site["name"],
            "site": site["id"],
            "body_xpath": body_xpath,
            "body_chars": body_chars,
            "attachments": [url for url, _link_title in attachments],
        }
        yield self.document(response, fields)

        for url, link_title in attachments:
            parent = {
                **site_context(site),
                "parent_url": response.url,
                "parent_title": title or context.get("list_title", ""),
                "parent_date": date or context.get("list_date", ""),
                "parent_source": source,
                "attachment_title": link_title,
            }
            yield self.request(url, self.parse_attachment, kind="attachment", context=parent)

    def parse_attachment(self, response: Response) -> Iterator[Any]:
        if self._is_blocked(response):
            return
        content_type = response.headers.get("Content-Type", b"").decode("latin-1")
        yield self.document(response, {"size": len(response.body), "content_type": content_type}, kind="attachment")

    def article_source(self, page: Selector, queries: str | list[str]) -> str:
        """Return the publisher an article names: group `source` of source_pattern, or a short text without a label."""
        for query in as_list(queries):
            for text in texts_of(select(page, query)):
                match = self.source_pattern.search(text)
                if match:
                    return match.group("source")
                # A meta tag contains the bare name, and an info line without 来源 contains other labels.
                if not re.search(r"[:：]", text) and not DATE_RE.search(text):
                    return text
        return ""

    def attachment_links(self, response: Response) -> list[tuple[str, str]]:
        extensions = tuple(extension.lower() for extension in self.config["attachment_extensions"])
        links: list[tuple[str, str]] = []
        for link in response.xpath("//a[@href]"):
            url = urljoin(response.url, link.attrib["href"].strip())
            if urlparse(url).path.lower().endswith(extensions) and url not in (found for found, _ in links):
                links.append((url, " ".join(link.xpath("normalize-space(string(.))").get("").split())))
        return links

    # Helpers --------------------------------------------------------------------------

    def _site(self, context: dict[str, Any], url: str) -> dict[str, Any] | None:
        site = self.sites.get(context.get("site", ""))
        if site is None:
            logger.warning("Dropping %s: site %r is no longer in %s", url, context.get("site"), self.config_path)
        return site

    def _is_blocked(self, response: Response) -> bool:
        if response.status not in self.blocked_statuses:
            return False
        self.blocked(response, f"HTTP {response.status}, an anti-bot challenge page")
        return True

    def closed(self, reason: str) -> None:
        logger.info("Source %s skipped %d list entries whose titles match no keyword", self.name,
                    self.skipped_by_keywords)
        super().closed(reason)


def check_site(site: Any, config_path: Any) -> None:
    """Raise ConfigError naming the site and the key when a site entry lacks a required key."""
    if not isinstance(site, dict):
        raise ConfigError(f"{config_path}: every entry of `sites` must be a mapping, found {site!r}")
    where = f"{config_path}: site {site.get('id', '?')!r}"
    missing = [key for key in REQUIRED_SITE_KEYS if not site.get(key)]
    missing += [f"list.{key}" for key in REQUIRED_LIST_KEYS if not (site.get("list") or {}).get(key)]
    missing += [f"article.{key}" for key in REQUIRED_ARTICLE_KEYS if not (site.get("article") or {}).get(key)]
    if missing:
        raise ConfigError(f"{where} lacks {', '.join(missing)}; add them and run again")
    rule = site["next_page"]
    if not rule.get("texts") and not rule.get("template"):
        raise ConfigError(f"{where}: next_page needs `texts` (link texts such as 下一页) or `template` "
                          "(such as index_{n}.html)")
    if rule.get("template") and "{n}" not in rule["template"]:
        raise ConfigError(f"{where}: next_page.template {rule['template']!r} lacks the page number {{n}}")


def site_context(site: dict[str, Any]) -> dict[str, Any]:
    """Site facts that every list entry and attachment carries to the ETL."""
    return {
        "site": site["id"],
        "site_name": site["name"],
        "issuer": site.get("issuer") or site["name"],
        "province": site.get("province") or "",
    }


def as_list(queries: str | list[str] | None) -> list[str]:
    if not queries:
        return []
    return [queries] if isinstance(queries, str) else list(queries)


def select(node: Selector, query: str) -> SelectorList:
    """Apply an XPath, or a CSS selector written with the prefix "css:"."""
    if query.startswith(CSS_PREFIX):
        return node.css(query[len(CSS_PREFIX):].strip())
    return node.xpath(query)


def texts_of(found: SelectorList) -> Iterator[str]:
    """Yield the whitespace-collapsed text of each selected node or attribute, skipping empty ones."""
    for item in found:
        raw = item.get() if isinstance(item.root, str) else item.xpath("string(.)").get("")
        text = " ".join((raw or "").split())
        if text:
            yield text


def first_text(node: Selector, queries: str | list[str]) -> str:
    """Return the first non-empty text that the queries select, trying them in order."""
    for query in as_list(queries):
        for text in texts_of(select(node, query)):
            return text
    return ""


def article_body(page: Selector, queries: str | list[str]) -> tuple[str, int]:
    """Return the XPath of the first body selector that selects text, and that text's length.

    The XPath travels in the document's fields, so the ETL reads the same node.
    """
    for query in as_list(queries):
        found = select(page, query)
        length = sum(len("".join(text.split())) for text in texts_of(found))
        if length:
            xpath = css2xpath(query[len(CSS_PREFIX):].strip()) if query.startswith(CSS_PREFIX) else query
            return xpath, length
    return "", 0


def normalize_date(text: str) -> str:
    """Return the first date of a text as YYYY-MM-DD, or ""."""
    match = DATE_RE.search(text or "")
    if match is None:
        return ""
    year, month, day = match.groups()
    return f"{year}-{int(month):02d}-{int(day):02d}"
