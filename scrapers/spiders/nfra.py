"""National Financial Regulatory Administration (NFRA, 国家金融监督管理总局; formerly CBIRC): 行政处罚 columns.

The list pages are JavaScript shells over a JSON API that the spider pages by number
(`pageIndex` from 1 to ceil(total / pageSize)) for each configured item (column id). Every
row names a `docId`, whose detail JSON contains the 行政处罚信息公开表 as HTML in
`data.docClob`. A PDF copy or further files named in the detail are fetched as attachments. Every request
carries the column's list page as Referer and the `api_headers` of nfra.yaml, because
requests without browser-like headers have been reported to get the client's IP banned.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urljoin

from parsel import Selector
from scrapy.http import Request, Response

from scrapers.base import SourceSpider, fingerprint_of
from scrapers.jsonapi import collapse, count_field, json_payload

logger = logging.getLogger(__name__)

WHITESPACE_RE = re.compile(r"\s+")


class NfraSpider(SourceSpider):
    name = "nfra"
    required_config = ("base_url", "list_api", "page_size", "detail_api", "list_page", "items", "table_markers")

    def initial_requests(self) -> Iterator[Request]:
        for item in self.config["items"]:
            if not item.get("enabled", True):
                continue
            yield self.list_request(item, 1)

    # List pages -----------------------------------------------------------------------

    def list_request(self, item: dict[str, Any], page: int) -> Request:
        path = self.config["list_api"].format(item_id=item["id"], page_size=self.config["page_size"], page=page)
        context = {
            "item_id": item["id"],
            "item_name": item["name"],
            "issuer": item.get("issuer") or "",
            "list_url": self.list_page_url(item),
            "page": page,
        }
        request = self.request(self.absolute(path), self.parse_list, kind="list", context=context)
        return self.with_browser_headers(request, context["list_url"])

    def parse_list(self, response: Response) -> Iterator[Any]:
        context = response.meta["eintel"]["context"]
        page = context["page"]
        payload, problem = json_payload(response, code_key="rptCode")
        data = payload.get("data") if payload is not None else None
        if problem is None and not isinstance(data, dict):
            problem = "the response has no `data` object"
        if problem is not None:
            self.shape_changed(response, f"list page {page} of item {context['item_id']}: {problem}")
            yield self.document(response, {"page": page, "entries": 0, "error": problem})
            return

        total = count_field(data.get("total"))
        rows = data.get("rows") if isinstance(data.get("rows"), list) else []
        entries = [entry for entry in (self.list_entry(row, context) for row in rows) if entry is not None]
        pages = math.ceil(total / int(self.config["page_size"])) if total else 0
        if page == 1 and not entries:
            self.shape_changed(response, f"first list page of item {context['item_id']} ({context['item_name']}) "
                                         f"has no rows with a docId (total {total})")
        elif data.get("total") is None:
            self.shape_changed(response, f"list page {page} of item {context['item_id']} has no total, so paging stops here")
        elif len(entries) < len(rows):
            logger.warning("List page %d of NFRA item %s: %d of %d rows lack a docId and were skipped",
                           page, context["item_id"], len(rows) - len(entries), len(rows))

        yield self.document(response, {"page": page, "entries": len(entries), "total": total, "pages": pages,
                                       "item_id": context["item_id"]})
        requests, all_known = self.detail_requests(entries, self.parse_detail)
        for request in requests:
            yield self.with_browser_headers(request, context["list_url"])

        if entries and page < pages and self.should_follow_next_page(page, all_known, context["list_url"]):
            item = {"id": context["item_id"], "name": context["item_name"], "issuer": context["issuer"]}
            yield self.list_request(item, page + 1)

    def list_entry(self, row: Any, context: dict[str, Any]) -> tuple[str, dict[str, Any], str] | None:
        if not isinstance(row, dict) or row.get("docId") in (None, ""):
            return None
        doc_id = str(row["docId"]).strip()
        title = collapse(row.get("docTitle")) or collapse(row.get("docSubtitle"))
        publish_date = collapse(row.get("publishDate"))
        entry_context = {
            "item_id": context["item_id"],
            "item_name": context["item_name"],
            "issuer": context["issuer"],
            "doc_id": doc_id,
            "list_title": title,
            "list_subtitle": collapse(row.get("docSubtitle")),
            "list_date": publish_date,
            "list_url": context["list_url"],
            "page_url": self.detail_page_url(doc_id, context["item_id"]),
        }
        url = self.absolute(self.config["detail_api"].format(doc_id=doc_id))
        return url, entry_context, fingerprint_of(title, publish_date)

    # Detail JSON and attachments ------------------------------------------------------

    def parse_detail(self, response: Response) -> Iterator[Any]:
        context = response.meta["eintel"]["context"]
        payload, problem = json_payload(response, code_key="rptCode")
        data = payload.get("data") if payload is not None else None
        if problem is None and not isinstance(data, dict):
            problem = "the response has no `data` object"
        if problem is not None:
            self.shape_changed(response, f"detail of docId {context.get('doc_id')}: {problem}")
            yield self.document(response, {"doc_id": context.get("doc_id", ""), "error": problem})
            return

        title = collapse(data.get("docTitle")) or context.get("list_title", "")
        publish_date = collapse(data.get("publishDate")) or context.get("list_date", "")
        table_rows = self.penalty_table_rows(str(data.get("docClob") or ""))
        attachments = self.attachment_urls(data)
        if table_rows == 0 and not attachments:
            self.shape_changed(response, f"docClob of docId {context.get('doc_id')} has no 行政处罚信息公开表 "
                                         f"(none of {self.config['table_markers']}) and no attachment")
        fields = {
            "doc_id": context.get("doc_id", ""),
            "title": title,
            "publish_date": publish_date,
            "document_number": collapse(data.get("documentNo")),
            "table_rows": table_rows,
            "attachments": attachments,
        }
        yield self.document(response, fields)

        parent = {
            **context,
            "parent_url": response.url,
            "parent_title": title,
            "parent_date": publish_date,
            "parent_table_rows": table_rows,
        }
        for url in attachments:
            request = self.request(url, self.parse_attachment, kind="attachment", context=parent)
            yield self.with_browser_headers(request, context.get("page_url") or context.get("list_url", ""))

    def parse_attachment(self, response: Response) -> Iterator[Any]:
        yield self.document(response, {"size": len(response.body)}, kind="attachment")

    def penalty_table_rows(self, clob: str) -> int:
        """Non-empty rows of the docClob tables that contain one of the `table_markers`."""
        if not clob.strip():
            return 0
        markers = self.config["table_markers"]
        count = 0
        for table in Selector(text=clob).xpath("//table"):
            text = WHITESPACE_RE.sub("", "".join(table.xpath(".//text()").getall()))
            if not any(marker in text for marker in markers):
                continue
            for row in table.xpath(".//tr"):
                if "".join(row.xpath(".//text()").getall()).strip():
                    count += 1
        return count

    def attachment_urls(self, data: dict[str, Any]) -> list[str]:
        values = [data.get(field) for field in self.config.get("attachment_fields", [])]
        listed = data.get(self.config.get("attachment_list_field", "")) if self.config.get("attachment_list_field") else None
        if isinstance(listed, list):
            key = self.config.get("attachment_list_url_key", "")
            values += [entry.get(key) for entry in listed if isinstance(entry, dict)]

        urls: list[str] = []
        for value in values:
            if not isinstance(value, str) or not value.strip():
                continue
            url = self.absolute(value.strip())
            if url not in urls:
                urls.append(url)
        return urls

    # URLs and headers -----------------------------------------------------------------

    def absolute(self, path: str) -> str:
        return urljoin(self.config["base_url"].rstrip("/") + "/", path)

    def list_page_url(self, item: dict[str, Any]) -> str:
        path = self.config["list_page"].format(item_id=item["id"], item_name=quote(str(item["name"])))
        return self.absolute(path)

    def detail_page_url(self, doc_id: str, item_id: Any) -> str:
        template = self.config.get("detail_page")
        return self.absolute(template.format(doc_id=doc_id, item_id=item_id)) if template else ""

    def with_browser_headers(self, request: Request, referer: str) -> Request:
        """Add Referer and `api_headers` to a request and to the copy kept for a pending retry."""
        headers = {**self.config.get("api_headers", {}), "Referer": referer}
        for name, value in headers.items():
            request.headers[name] = value
        request.meta["eintel"]["headers"] = {**request.meta["eintel"].get("headers", {}), **headers}
        return request


