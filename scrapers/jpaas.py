"""Client of the JPaaS list backend that MIIT, SAMR and many other government sites share.

A column page of these sites is a shell: one `<script src=".../unitbuild.js" url="..."
queryData="{'webId':'…','pageId':'…','tplSetId':'…','tagId':'…',…}">` tag names the list
unit, and the browser fetches the list from

    GET /api-gateway/jpaas-publish-server/front/page/build/unit?<queryData>&paramJson={"pageNo":N,"pageSize":R}

The response is JSON `{"success": true, "data": {"html": "<fragment>"}}`. The fragment contains
the list links and a pager element whose `count` attribute is the number of entries in the
column and whose `rows` attribute is the page size. Provincial MIIT sites show no date in it.

This module builds the requests and parses the responses. It makes no request itself, so
every spider keeps its own politeness settings, retries and archive. Which scripts, link
patterns and page sizes a site uses belong in the spider's YAML file.
"""

from __future__ import annotations

import json
import logging
import math
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode, urljoin, urlsplit

from parsel import Selector

logger = logging.getLogger(__name__)

UNIT_PATH = "/api-gateway/jpaas-publish-server/front/page/build/unit"

# Parameters that the client sets per page, so a queryData copy of them is dropped.
PAGING_PARAMETERS = ("pageNo", "pageSize", "paramJson")

DATE_RE = re.compile(r"(\d{4})\s*[-年/.]\s*(\d{1,2})\s*[-月/.]\s*(\d{1,2})")
# A queryData value written as single-quoted pseudo-JSON: {'webId':'…','pageSize':'24'}.
QUOTED_PAIR_RE = re.compile(r"""['"]?([A-Za-z_][\w]*)['"]?\s*:\s*(?:'([^']*)'|"([^"]*)"|([^,'"{}\s]+))""")


class JpaasError(ValueError):
    """Raised when a column page or a unit response lacks the structure this client reads."""


@dataclass(frozen=True)
class UnitQuery:
    """The list unit a column page declares: the API URL and its queryData parameters."""

    endpoint: str
    params: dict[str, str]
    list_url: str

    @property
    def declared_page_size(self) -> int | None:
        """Page size the column page requests (`pageSize` in queryData), when it states one."""
        return _positive_int(self.params.get("pageSize"))

    def page_url(self, page_no: int, page_size: int) -> str:
        """Return the API URL of list page `page_no` (1-based) with `page_size` entries per page."""
        if page_no < 1 or page_size < 1:
            raise JpaasError(f"invalid page request pageNo={page_no} pageSize={page_size}: both must be 1 or more")

        params = {key: value for key, value in self.params.items() if key not in PAGING_PARAMETERS}
        params["paramJson"] = json.dumps({"pageNo": page_no, "pageSize": page_size}, separators=(",", ":"))
        return f"{self.endpoint}?{urlencode(params)}"

    def request_headers(self) -> dict[str, str]:
        """Headers a browser sends with the unit request: a JSON Accept and the column page as Referer."""
        return {"Accept": "application/json, text/javascript, */*; q=0.01", "Referer": self.list_url,
                "X-Requested-With": "XMLHttpRequest"}


@dataclass(frozen=True)
class UnitEntry:
    """One link of a list page: absolute URL, title and the date shown beside it ("" when none)."""

    url: str
    title: str
    date: str


@dataclass(frozen=True)
class UnitPage:
    """One parsed unit response.

    `total` is the pager's `count` (entries in the whole column) and `rows` its page size;
    either is None when the fragment has no pager element.
    """

    entries: list[UnitEntry] = field(default_factory=list)
    total: int | None = None
    rows: int | None = None

    def page_count(self, fallback_page_size: int | None = None) -> int | None:
        """Number of list pages, from `count` and `rows` (or the fallback page size), else None."""
        return page_count(self.total, self.rows or fallback_page_size)


def page_count(total: int | None, page_size: int | None) -> int | None:
    """Return ceil(total / page_size), 0 for an empty column, or None when either value is unknown."""
    if total is None or not page_size:
        return None
    return math.ceil(total / page_size) if total > 0 else 0


def find_unit_query(html: str, list_url: str, tag_id: str | None = None) -> UnitQuery:
    """Read the list unit that a column page declares in a `<script queryData="…">` tag.

    When the page declares several units (a side bar, a news box), the one whose `tagId`
    equals `tag_id` is taken, else the first. The endpoint is the script's `url`
    attribute, or UNIT_PATH, resolved against the page URL. Raises JpaasError naming the
    page when no script has a readable queryData.
    """
    selector = Selector(text=html or "<html></html>")
    candidates: list[UnitQuery] = []
    unreadable: list[str] = []
    for script in selector.xpath("//script[@querydata]"):
        raw = script.attrib.get("querydata", "")
        params = parse_query_data(raw)
        if not params:
            unreadable.append(raw[:120])
            continue
        endpoint = urljoin(list_url, (script.attrib.get("url") or "").strip() or UNIT_PATH)
        candidates.append(UnitQuery(endpoint=endpoint, params=params, list_url=list_url))

    if not candidates:
        detail = f"; unreadable queryData values: {unreadable}" if unreadable else ""
        raise JpaasError(f"{list_url}: no <script queryData=...> list unit found{detail}. "
                         "Check whether the column page changed its list script.")
    if tag_id is not None:
        for candidate in candidates:
            if candidate.params.get("tagId") == tag_id:
                return candidate
        logger.warning("Column page %s declares no list unit with tagId=%r (found %s); using the first",
                       list_url, tag_id, [candidate.params.get("tagId") for candidate in candidates])
    return candidates[0]


def parse_query_data(raw: str) -> dict[str, str]:
    """Parse a queryData attribute into string parameters; {} when it contains none.

    Sites write it as JSON or as JSON with single quotes. Values are kept as strings,
    the way the browser puts them in the query string.
    """
    text = (raw or "").strip()
    if not text:
        return {}

    for candidate in (text, text.replace("'", '"')):
        try:
            value = json.loads(candidate)
        except json.JSONDecodeError:
            continue
        if isinstance(value, dict):
            return {str(key): _parameter_text(item) for key, item in value.items()}

    # A quote inside a value breaks the JSON forms, so the pairs are read one by one.
    pairs = {}
    for match in QUOTED_PAIR_RE.finditer(text):
        key = match.group(1)
        pairs[key] = next(group for group in match.groups()[1:] if group is not None)
    return pairs


def parse_unit_response(text: str, api_url: str, list_url: str, link_pattern: str | re.Pattern[str] | None = None) -> UnitPage:
    """Parse a unit response into its entries and pager counts.

    Links are resolved against `list_url` (the column page, which the fragment's relative
    links belong to). With `link_pattern`, only links whose path matches it are entries,
    and a link listed twice counts once. Raises JpaasError when the response is not JSON, reports
    `success: false` or has no `data.html` string.
    """
    try:
        payload = json.loads(text)
    except json.JSONDecodeError as exc:
        raise JpaasError(f"{api_url}: the list response is not JSON ({exc.msg} at {exc.pos}); "
                         "the site may have served an error or verification page") from exc
    if not isinstance(payload, dict):
        raise JpaasError(f"{api_url}: the list response is JSON {type(payload).__name__}, expected an object")
    if payload.get("success") is False:
        raise JpaasError(f"{api_url}: the list response reports success=false "
                         f"(code {payload.get('code')!r}, message {payload.get('message') or payload.get('msg')!r})")
    data = payload.get("data")
    fragment = data.get("html") if isinstance(data, dict) else None
    if not isinstance(fragment, str):
        raise JpaasError(f"{api_url}: the list response has no data.html string; found keys "
                         f"{sorted(data) if isinstance(data, dict) else type(data).__name__}")

    selector = Selector(text=fragment or "<div></div>")
    total, rows = pager_counts(selector)
    return UnitPage(entries=unit_entries(selector, list_url, link_pattern), total=total, rows=rows)


def pager_counts(selector: Selector) -> tuple[int | None, int | None]:
    """Return the `count` and `rows` attributes of the fragment's pager element, else (None, None)."""
    for node in selector.xpath("//*[@count]"):
        total = _non_negative_int(node.attrib.get("count"))
        if total is None:
            continue
        return total, _positive_int(node.attrib.get("rows"))
    return None, None


def unit_entries(selector: Selector, base_url: str, link_pattern: str | re.Pattern[str] | None = None) -> list[UnitEntry]:
    """List the entries of a fragment: each link with its title and the date in its row."""
    pattern = re.compile(link_pattern) if isinstance(link_pattern, str) else link_pattern
    entries: list[UnitEntry] = []
    seen: set[str] = set()
    for link in selector.xpath("//a[@href]"):
        href = link.attrib["href"].strip()
        if not href or href.startswith(("javascript:", "#")):
            continue
        url = urljoin(base_url, href)
        if pattern is not None and not pattern.search(urlsplit(url).path):
            continue
        if url in seen:
            continue
        seen.add(url)

        # The title attribute contains the full title; the link text is often cut with 「...」.
        title = " ".join((link.attrib.get("title") or link.xpath("normalize-space(string(.))").get("")).split())
        row = link.xpath("ancestor::*[self::li or self::tr or self::dd][1]") or link.xpath("..")
        row_text = " ".join(row[0].xpath(".//text()").getall()) if row else ""
        entries.append(UnitEntry(url=url, title=title, date=first_date(row_text)))
    return entries


def first_date(text: str) -> str:
    """Return the first date in a text as YYYY-MM-DD, or ""."""
    match = DATE_RE.search(text or "")
    if match is None:
        return ""
    year, month, day = (int(part) for part in match.groups())
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return ""
    return f"{year:04d}-{month:02d}-{day:02d}"


def _parameter_text(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def _non_negative_int(value: str | None) -> int | None:
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


def _positive_int(value: str | None) -> int | None:
    number = _non_negative_int(value)
    return number if number else None
