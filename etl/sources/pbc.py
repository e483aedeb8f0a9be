"""Parse People's Bank of China (PBC, 中国人民银行) 行政处罚公示 pages into case drafts.

A detail page contains one HTML table with one row per party (the bank and its staff). The
table is found by its header cells, which pbc.yaml lists. Branch sites merge cells with rowspan/colspan,
and a cell's paragraphs are joined with newlines. The page states no legal basis and no
facts beyond the violation type.

`parse_penalty_table` and `is_javascript_stub` are pure functions of the HTML, so the PBC
spider can check a response with them before storing it.
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path
from typing import Any

import lxml.html
import yaml
from lxml.etree import ParserError

from eintel.raw import ATTACHMENT_CONTENT_TYPE
from etl.models import CaseDraft, RawDocument

logger = logging.getLogger(__name__)

SHAPE_PATH = Path(__file__).with_name("pbc.yaml")

PARTY = "当事人名称"
DECISION_NUMBER = "行政处罚决定书文号"
VIOLATION = "违法行为类型"
PENALTY = "行政处罚内容"
REGULATOR = "作出行政处罚决定机关名称"
DECISION_DATE = "作出行政处罚决定日期"
ROW_NUMBER = "序号"
PUBLICITY_PERIOD = "公示期限"
REMARKS = "备注"

BLOCK_TAGS = {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}
SKIPPED_TAGS = {"script", "style"}

# Largest rowspan/colspan honoured; a bigger value is a page error, not a layout.
MAX_SPAN = 500

VIOLATION_SEPARATOR_RE = re.compile(r"[;；\n]")
ITEM_NUMBER_RE = re.compile(r"^[（(]?\d{1,2}\s*[.、．)）]\s*")
WHITESPACE_RE = re.compile(r"\s+")


class TableShapeError(ValueError):
    """Raised when a page contains no 行政处罚公示 table with the expected header cells."""


class AttachmentUnreadableError(ValueError):
    """Raised when an attachment could not be turned into text (an image, a damaged file)."""


class StubPageError(TableShapeError):
    """Raised when a page is the anti-bot stub 「请开启JavaScript并刷新该页」 instead of the content."""


@functools.cache
def load_table_shape() -> dict[str, Any]:
    """Load the expected header cells and the stub markers from pbc.yaml."""
    with SHAPE_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def is_javascript_stub(html: str) -> bool:
    """Tell whether a page is the anti-bot stub that requests JavaScript instead of showing content."""
    return any(marker in html for marker in load_table_shape()["javascript_stub_markers"])


def parse_penalty_table(html: str, url: str = "") -> list[dict[str, str]]:
    """Return the rows of the 行政处罚公示 table, each keyed by its header cell text.

    Header cells are matched with all whitespace removed, merged cells are copied into
    every row and column they span, and empty rows are left out. Raises TableShapeError,
    naming `url` and the missing headers, when no table has every required header.
    """
    tables = _tables(html)
    where = url or "the page"
    if not tables:
        raise TableShapeError(f"no <table> in {where}. Check whether the page layout changed.")
    return rows_from_grids([table_grid(table) for table in tables], where)


def rows_from_grids(grids: list[list[list[str]]], where: str) -> list[dict[str, str]]:
    """Return the data rows of the first grid with every required header, keyed by header.

    A grid is a table as rows of cell texts, from an HTML page or an attachment. Raises
    TableShapeError naming `where` and the missing headers when no grid has them all.
    """
    shape = load_table_shape()
    required = shape["required_headers"]
    known = required + shape["optional_headers"]
    best_missing: list[str] = list(required)
    for grid in grids:
        for row_index, row in enumerate(grid):
            headers = [_header_key(cell) for cell in row]
            missing = [header for header in required if header not in headers]
            if not missing:
                found = sorted((headers.index(header), header) for header in known if header in headers)
                columns = {header: index for index, header in found}
                return _data_rows(grid[row_index + 1:], columns, headers)
            if len(missing) < len(best_missing):
                best_missing = missing
    raise TableShapeError(
        f"no 行政处罚公示 table in {where}: missing header cells {best_missing}. "
        "Check whether the page layout changed and update pbc.yaml."
    )


def parse_document(doc: RawDocument) -> list[CaseDraft]:
    """Parse one PBC detail page into one draft per table row (one party per row).

    A crawled page whose decisions sit in attachments returns no drafts: the attachments
    are documents of their own. Raises StubPageError for the anti-bot stub, TableShapeError
    when the table is missing and AttachmentUnreadableError for an attachment without text.
    """
    if doc.content_type == ATTACHMENT_CONTENT_TYPE:
        rows, info = _attachment_rows(doc)
    else:
        html = doc.content
        if is_javascript_stub(html):
            raise StubPageError(f"{doc.url} is the anti-bot JavaScript stub, not the page. Fetch it again.")
        if doc.meta.get("fields", {}).get("attachments") and not _tables(html):
            return []
        rows = parse_penalty_table(html, url=doc.url)
        info = page_info(html)
    if not rows:
        logger.warning("PBC penalty table has no rows: url=%s", doc.url)

    drafts = []
    used_keys: set[str] = set()
    for index, row in enumerate(rows, start=1):
        record_key = row.get(ROW_NUMBER, "") or str(index)
        if record_key in used_keys:
            record_key = f"{index}"
        used_keys.add(record_key)
        drafts.append(_row_draft(doc, info, record_key, row))
    return drafts


def _attachment_rows(doc: RawDocument) -> tuple[list[dict[str, str]], dict[str, str]]:
    attachment = doc.json_content()
    if attachment.get("needs_ocr") or attachment.get("error"):
        reason = attachment.get("error") or "it is an image or a scan without a text layer and needs OCR"
        raise AttachmentUnreadableError(f"attachment {doc.url} has no readable table: {reason}")
    context = doc.meta.get("context", {})
    info = {"title": context.get("parent_title", ""), "publish_date": context.get("list_date", "")}
    return rows_from_grids(attachment.get("tables", []), doc.url), info


def page_info(html: str) -> dict[str, str]:
    """Return the page title (ArticleTitle meta, else <title>) and publish date (createDate, else PubDate)."""
    tree = _parse_html(html)
    if tree is None:
        return {"title": "", "publish_date": ""}

    title = _meta_content(tree, "ArticleTitle") or _normalize_space(" ".join(tree.xpath("//title//text()")))
    publish_date = _meta_content(tree, "createDate") or _meta_content(tree, "PubDate")
    if not publish_date:
        match = re.search(r"发布时间\s*[:：]\s*(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)", tree.text_content())
        publish_date = match.group(1) if match else ""
    return {"title": title, "publish_date": publish_date}


def split_violations(cell: str) -> tuple[list[str], str]:
    """Split a 违法行为类型 cell into violation items and a staff member's liability note.

    Items are numbered 「1.…;」 or separated by `;`, `；` or line breaks; numbers and closing
    punctuation are removed. A staff row opens with 「对…以下违法违规行为负有责任：」, which
    is returned as the note instead of an item.
    """
    items: list[str] = []
    liability_note = ""
    for piece in VIOLATION_SEPARATOR_RE.split(cell):
        item = ITEM_NUMBER_RE.sub("", piece.strip()).strip().rstrip("。.;；,，:：").strip()
        if not item:
            continue
        if "负有责任" in item and not liability_note:
            liability_note = item
            continue
        items.append(item)
    return items, liability_note


def table_grid(table: lxml.html.HtmlElement) -> list[list[str]]:
    """Lay out a table's cells as rows of texts, copying each merged cell into every slot it spans."""
    grid: list[list[str]] = []
    carried: dict[int, list[Any]] = {}
    for row in table.xpath("./tr | ./thead/tr | ./tbody/tr | ./tfoot/tr"):
        values: list[str] = []
        column = 0
        for cell in row.xpath("./td | ./th"):
            column = _fill_carried(values, carried, column)
            text = cell_text(cell)
            rowspan = _span(cell.get("rowspan"))
            for _ in range(_span(cell.get("colspan"))):
                values.append(text)
                if rowspan > 1:
                    carried[column] = [text, rowspan - 1]
                column += 1
        for carried_column in sorted(key for key in carried if key >= column):
            values.extend([""] * (carried_column - len(values)))
            values.append(_take_carried(carried, carried_column))
        grid.append(values)
    return grid


def cell_text(cell: lxml.html.HtmlElement) -> str:
    """Return a cell's text with one line per paragraph or <br>, whitespace collapsed within lines."""
    parts: list[str] = []
    _collect_text(cell, parts)
    lines = (_normalize_space(line) for line in "".join(parts).split("\n"))
    return "\n".join(line for line in lines if line)


def _row_draft(doc: RawDocument, info: dict[str, str], record_key: str, row: dict[str, str]) -> CaseDraft:
    violations, liability_note = split_violations(row.get(VIOLATION, ""))
    extra: dict[str, Any] = {
        "row_number": row.get(ROW_NUMBER, ""),
        "publicity_period": row.get(PUBLICITY_PERIOD, ""),
        "remarks": row.get(REMARKS, ""),
    }
    if liability_note:
        extra["liability_note"] = liability_note

    return CaseDraft(
        document_id=doc.document_id,
        source=doc.source,
        source_url=doc.url,
        record_key=record_key,
        title=info["title"],
        party_raw=row.get(PARTY, ""),
        decision_number_raw=row.get(DECISION_NUMBER, ""),
        regulator_raw=row.get(REGULATOR, ""),
        decision_date_raw=row.get(DECISION_DATE, ""),
        publish_date_raw=info["publish_date"],
        violation_raw=violations,
        penalty_raw=row.get(PENALTY, ""),
        text="\n".join(f"{header}：{value}" for header, value in row.items() if value),
        extra=extra,
    )


def _data_rows(rows: list[list[str]], columns: dict[str, int], header_keys: list[str]) -> list[dict[str, str]]:
    records = []
    for row in rows:
        if not any(value.strip() for value in row):
            continue
        if [_header_key(value) for value in row] == header_keys:
            continue
        records.append({header: row[index] if index < len(row) else "" for header, index in columns.items()})
    return records


def _tables(html: str) -> list[lxml.html.HtmlElement]:
    tree = _parse_html(html)
    return [] if tree is None else list(tree.iter("table"))


def _parse_html(html: str) -> lxml.html.HtmlElement | None:
    if not html.strip():
        return None

    try:
        return lxml.html.fromstring(html)
    except (ParserError, ValueError) as error:
        logger.warning("page is not parseable HTML: error=%s", error)
        return None


def _collect_text(node: lxml.html.HtmlElement, parts: list[str]) -> None:
    tag = node.tag if isinstance(node.tag, str) else ""
    if tag in SKIPPED_TAGS:
        return

    if tag in BLOCK_TAGS or tag == "br":
        parts.append("\n")
    if tag and node.text:
        parts.append(node.text)
    for child in node:
        _collect_text(child, parts)
        if child.tail:
            parts.append(child.tail)
    if tag in BLOCK_TAGS:
        parts.append("\n")


def _fill_carried(values: list[str], carried: dict[int, list[Any]], column: int) -> int:
    while column in carried:
        values.append(_take_carried(carried, column))
        column += 1
    return column


def _take_carried(carried: dict[int, list[Any]], column: int) -> str:
    text, remaining = carried[column]
    if remaining <= 1:
        del carried[column]
    else:
        carried[column][1] = remaining - 1
    return text


def _span(value: str | None) -> int:
    try:
        span = int(str(value).strip()) if value is not None else 1
    except ValueError:
        return 1
    return min(max(span, 1), MAX_SPAN)


def _header_key(text: str) -> str:
    return WHITESPACE_RE.sub("", text)


def _meta_content(tree: lxml.html.HtmlElement, name: str) -> str:
    values = tree.xpath("//meta[@name=$name]/@content", name=name)
    return values[0].strip() if values else ""


def _normalize_space(text: str) -> str:
    return WHITESPACE_RE.sub(" ", text).strip()
