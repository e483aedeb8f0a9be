"""Parse MIIT and provincial 通信管理局 app notices into case drafts, one per app row.

Two kinds of documents come from the `miit` spider:

- a notice page (HTML). Its app tables (provincial sites; rowspan merges the company cell
  over the apps of one company) give one draft per app row. A notice without an app table
  and without document attachments gives one notice-level draft (record key "notice"),
  because its list is an image or prose. A notice whose list is in attachments gives none:
  the attachment documents carry the rows.
- an attachment (ATTACHMENT_CONTENT_TYPE JSON of text and tables). Its app tables give one
  draft per row, with the notice's title, date, issuer and text from the spider's context.

The party of an app row is its operator company. The app name goes to `extra["app"]`, as in
`lawdatify_appviol`, whose record keys and heading-row check are reused here. Problem labels
stay raw in `violation_raw`, split into items. The notice kind (批次通报, 下架处置, 整改复核)
and the batch (「2021年第3批，总第12批」) are read from the title.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lxml.html
import yaml
from lxml.etree import ParserError

from eintel.raw import ATTACHMENT_CONTENT_TYPE
from etl.models import CaseDraft, RawDocument
from etl.normalize.chinese_numerals import parse_chinese_integer
from etl.sources.lawdatify_appviol import (
    NOTICE_RECORD_KEY,
    app_row_text,
    is_suspect_row,
    row_record_key,
)
from etl.sources.lawdatify_cases import legal_basis_sentences, split_sentences
from etl.sources.pbc import page_info, table_grid
from etl.taxonomy.classify import LABEL_TAIL_RE

logger = logging.getLogger(__name__)

SHAPE_PATH = Path(__file__).with_name("miit.yaml")

FIELDS = ("row_number", "app", "company", "version", "store", "problems", "region")
LAW_TITLE_RE = re.compile(r"《[^《》]{2,60}》")
WHITESPACE_RE = re.compile(r"\s+")
# Rows of a table searched for its header row.
HEADER_SEARCH_ROWS = 5
SUMMARY_CHARS = 300


@functools.cache
def load_shape() -> dict[str, Any]:
    """Load header aliases, title patterns and notice kinds from miit.yaml."""
    with SHAPE_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@dataclass
class AppRow:
    """One app of an app table, cells already joined across line breaks."""

    app: str
    company: str
    version: str = ""
    store: str = ""
    region: str = ""
    row_number: str = ""
    problems: list[str] = field(default_factory=list)
    problems_raw: str = ""


@dataclass
class Notice:
    """Facts of a notice that every draft of it carries."""

    title: str
    publish_date: str
    date_precision: str
    regulator: str
    province: str
    text: str
    notice_kind: str
    batch: dict[str, int]
    declared_apps: int | None
    carrier: str
    parent_url: str = ""

    @property
    def summary(self) -> str:
        first = next((line for line in self.text.splitlines() if line.strip()), "")
        return first[:SUMMARY_CHARS]


def parse_document(doc: RawDocument) -> list[CaseDraft]:
    """Parse a notice page or one of its attachments into drafts (see the module docstring)."""
    if doc.content_type == ATTACHMENT_CONTENT_TYPE:
        return parse_attachment(doc)
    return parse_notice_page(doc)


def parse_notice_page(doc: RawDocument) -> list[CaseDraft]:
    context = doc.meta.get("context") or {}
    fields = doc.meta.get("fields") or {}
    tree = _parse_html(doc.content, doc.url)
    if tree is None:
        return []

    grids = [table_grid(table) for table in tree.iter("table")]
    rows = app_rows(grids)
    info = page_info(doc.content)
    title = _heading(tree) or fields.get("title") or context.get("list_title") or info["title"]
    date = info["publish_date"] or fields.get("date") or context.get("list_date", "")
    carrier = "html-table" if rows else str(fields.get("carrier") or "text")
    notice = build_notice(title, date, doc.url, context, notice_body_text(tree), carrier)

    if rows:
        return [row_draft(doc, notice, index, row, len(rows)) for index, row in enumerate(rows)]
    if fields.get("attachments"):
        logger.debug("Notice %s lists its apps in attachments %s", doc.url, fields["attachments"])
        return []
    return [notice_draft(doc, notice, fields)]


def parse_attachment(doc: RawDocument) -> list[CaseDraft]:
    """Parse an attachment of a notice. An unreadable attachment, or one without an app table, gives []."""
    context = doc.meta.get("context") or {}
    try:
        extracted = json.loads(doc.content)
    except json.JSONDecodeError as error:
        logger.warning("Attachment %s of notice %s is not valid JSON: %s", doc.url, context.get("parent_url"), error)
        return []
    if not isinstance(extracted, dict):
        logger.warning("Attachment %s: expected a JSON object, found %s", doc.url, type(extracted).__name__)
        return []
    if extracted.get("error"):
        logger.warning("Attachment %s of notice %s was not read: %s", doc.url, context.get("parent_url"), extracted["error"])
        return []

    tables = [table for table in extracted.get("tables") or [] if isinstance(table, list)]
    rows = app_rows([[[str(cell) for cell in row] for row in table if isinstance(row, list)] for table in tables])
    if not rows:
        logger.info("Attachment %s (%s) of notice %s has no app table; needs_ocr=%s", doc.url,
                    extracted.get("format"), context.get("parent_url"), extracted.get("needs_ocr"))
        return []

    carrier = str(extracted.get("format") or "attachment")
    notice = build_notice(context.get("parent_title") or context.get("list_title", ""),
                          context.get("parent_date") or context.get("list_date", ""),
                          context.get("parent_url") or doc.url, context, context.get("parent_text", ""), carrier)
    notice.parent_url = context.get("parent_url", "")
    return [row_draft(doc, notice, index, row, len(rows)) for index, row in enumerate(rows)]


# Notices ---------------------------------------------------------------------------------


def build_notice(title: str, date: str, url: str, context: dict[str, Any], text: str, carrier: str) -> Notice:
    """Collect the notice facts. A notice without a date gets the year of its URL."""
    precision = "day"
    if not date:
        match = re.search(load_shape()["url_year_pattern"], url)
        if match:
            date, precision = match.group("year"), "year"
    return Notice(
        title=title,
        publish_date=date,
        date_precision=precision if date else "",
        regulator=str(context.get("issuer") or ""),
        province=str(context.get("province") or ""),
        text=text,
        notice_kind=notice_kind(title),
        batch=parse_batch(title),
        declared_apps=declared_count(title),
        carrier=carrier,
    )


def notice_kind(title: str) -> str:
    """Return the notice kind a title names: 下架处置, 整改复核 or the default 批次通报."""
    shape = load_shape()
    for entry in shape["notice_kinds"]:
        if any(pattern in title for pattern in entry["title_patterns"]):
            return entry["kind"]
    return shape["default_notice_kind"]


def parse_batch(title: str) -> dict[str, int]:
    """Read the batch of a title: year, batch in the year, overall batch and quarter where stated.

    「（2021年第10批，总第19批）」 gives {year: 2021, year_batch: 10, batch_total: 19};
    「（第二批）」 gives {year_batch: 2}; 「（2026年第二季度）」 gives {year: 2026, quarter: 2}.
    """
    patterns = load_shape()["batch_patterns"]
    batch: dict[str, int] = {}

    match = re.search(patterns["year_batch"], title)
    if match:
        batch["year"] = int(match.group("year"))
        _set_number(batch, "year_batch", match.group("number"))
    else:
        match = re.search(patterns["batch"], title)
        if match:
            _set_number(batch, "year_batch", match.group("number"))

    match = re.search(patterns["total_batch"], title)
    if match:
        _set_number(batch, "batch_total", match.group("number"))

    match = re.search(patterns["quarter"], title)
    if match:
        batch["year"] = int(match.group("year"))
        _set_number(batch, "quarter", match.group("number"))
    return batch


def declared_count(title: str) -> int | None:
    """Return the number of apps a title states (「下架9款APP」→9, 「一百零六款」→106), or None."""
    match = re.search(load_shape()["declared_count_pattern"], title)
    return parse_chinese_integer(match.group("number")) if match else None


def notice_body_text(tree: lxml.html.HtmlElement) -> str:
    """Return the notice's paragraphs outside tables, one per line."""
    lines = []
    for paragraph in tree.xpath("//p[not(ancestor::table)]"):
        line = WHITESPACE_RE.sub(" ", paragraph.text_content()).strip()
        if line:
            lines.append(line)
    return "\n".join(lines)


def imposed_penalties(text: str) -> list[str]:
    """List the sentences of a notice that order something, leaving out threats (「逾期不整改的，将…下架」)."""
    shape = load_shape()
    return [
        sentence for sentence in split_sentences(text)
        if any(word in sentence for word in shape["penalty_keywords"])
        and not any(marker in sentence for marker in shape["conditional_penalty_markers"])
    ]


def legal_basis_items(text: str) -> list[str]:
    """List the provisions a notice cites: sentences with 第…条, then bare law titles not in them."""
    items = legal_basis_sentences(text)
    cited = "".join(items)
    for title in LAW_TITLE_RE.findall(text):
        if title not in cited and title not in items:
            items.append(title)
    return items


# App tables ------------------------------------------------------------------------------


def app_rows(grids: list[list[list[str]]]) -> list[AppRow]:
    """Read the app rows of every app table among the grids, in order.

    A table without a header row continues the previous app table when it has as many
    columns, because a PDF table that runs over a page break repeats no header.
    """
    rows: list[AppRow] = []
    columns: dict[str, int] | None = None
    width = 0
    for grid in grids:
        if not grid:
            continue
        header_index, found = find_header(grid)
        if found is not None:
            columns, width = found, len(grid[header_index])
            body = grid[header_index + 1:]
            header_keys = [_fold(cell) for cell in grid[header_index]]
        elif columns is not None and len(grid[0]) == width:
            body = grid
        else:
            columns = None
            continue
        for cells in body:
            row = app_row(cells, columns, header_keys)
            if row is not None:
                rows.append(row)
    return rows


def find_header(grid: list[list[str]]) -> tuple[int, dict[str, int] | None]:
    """Return the index of a grid's app-table header row and its column per field, or (0, None)."""
    for index, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
        columns = header_columns(cells)
        if "app" in columns and ("company" in columns or "problems" in columns):
            return index, columns
    return 0, None


def header_columns(cells: list[str]) -> dict[str, int]:
    """Map each field to the first header cell naming it: exact alias first, then the longest contained alias."""
    aliases = {name: [_fold(alias) for alias in load_shape()["header_aliases"][name]] for name in FIELDS}
    folded = [_fold(cell) for cell in cells]
    columns: dict[str, int] = {}
    assigned: set[int] = set()

    for index, cell in enumerate(folded):
        for name in FIELDS:
            if name not in columns and cell in aliases[name]:
                columns[name] = index
                assigned.add(index)
                break

    by_length = sorted(((alias, name) for name in FIELDS for alias in aliases[name]), key=lambda pair: -len(pair[0]))
    for index, cell in enumerate(folded):
        if index in assigned or not cell or len(cell) > 20:
            continue
        for alias, name in by_length:
            if name not in columns and alias in cell:
                columns[name] = index
                assigned.add(index)
                break
    return columns


def app_row(cells: list[str], columns: dict[str, int], header_keys: list[str]) -> AppRow | None:
    """Build one app row, or None for an empty row, a repeated header or a heading row."""
    values = [cell.strip() for cell in cells]
    filled = [value for value in values if value]
    if not filled:
        return None
    if [_fold(value) for value in values] == header_keys:
        return None
    if len(filled) > 1 and len(set(filled)) == 1:
        return None

    def value(name: str) -> str:
        index = columns.get(name)
        return values[index] if index is not None and index < len(values) else ""

    app = join_lines(value("app"))
    company = join_lines(value("company"))
    if not app and not company:
        return None
    if any(re.search(pattern, app) for pattern in load_shape()["heading_row_patterns"]) and not company:
        return None

    problems_raw = value("problems")
    return AppRow(
        app=app,
        company=company,
        version=join_lines(value("version")),
        store=join_lines(value("store"), separator="、"),
        region=join_lines(value("region")),
        row_number=value("row_number"),
        problems=split_problems(problems_raw),
        problems_raw=problems_raw,
    )


def split_problems(cell: str) -> list[str]:
    """Split a problems cell into labels at line breaks, ；; and item markers (1. 2、 （3） ④)."""
    shape = load_shape()
    labels: list[str] = []
    for piece in re.split(shape["problem_separator"], cell or ""):
        for item in re.split(shape["problem_item_marker"], piece):
            label = LABEL_TAIL_RE.sub("", item.strip()).strip("，,。")
            if label and label not in labels:
                labels.append(label)
    return labels


def join_lines(text: str, separator: str | None = None) -> str:
    """Join the lines of a cell: without a space between Chinese characters, else with one.

    PDF and table layouts break long names (「北京某某科技有限公\\n司」) inside a cell.
    """
    lines = [line.strip() for line in (text or "").split("\n") if line.strip()]
    if not lines:
        return ""
    if separator is not None:
        return separator.join(lines)

    joined = lines[0]
    for line in lines[1:]:
        glue = " " if joined[-1].isascii() and line[0].isascii() else ""
        joined += glue + line
    return joined


# Drafts ----------------------------------------------------------------------------------


def row_draft(doc: RawDocument, notice: Notice, index: int, row: AppRow, row_total: int) -> CaseDraft:
    extra = notice_extra(notice, row_total)
    extra.update({
        "app": row.app,
        "version": row.version,
        "store": row.store,
        "region": row.region,
        "row": index,
        "row_number": row.row_number,
        "problems_raw": row.problems_raw,
    })
    if is_suspect_row(row.app, row.company):
        extra["suspect_row"] = True

    draft = base_draft(doc, notice, row_record_key(index, row.app, row.company), extra)
    draft.party_raw = row.company
    draft.party_type_hint = "company" if row.company else None
    draft.violation_raw = row.problems
    draft.text = app_row_text(row.app, row.company, row.version, row.store, row.problems)
    return draft


def notice_draft(doc: RawDocument, notice: Notice, fields: dict[str, Any]) -> CaseDraft:
    extra = notice_extra(notice, 0)
    extra["images"] = list(fields.get("images") or [])
    draft = base_draft(doc, notice, NOTICE_RECORD_KEY, extra)
    draft.text = notice.text
    return draft


def base_draft(doc: RawDocument, notice: Notice, record_key: str, extra: dict[str, Any]) -> CaseDraft:
    return CaseDraft(
        document_id=doc.document_id,
        source=doc.source,
        source_url=doc.url,
        record_key=record_key,
        title=notice.title,
        regulator_raw=notice.regulator,
        publish_date_raw=notice.publish_date,
        legal_basis_raw=legal_basis_items(notice.text),
        penalty_raw="\n".join(imposed_penalties(notice.text)),
        province_hint=notice.province,
        summary=notice.summary,
        extra=extra,
    )


def notice_extra(notice: Notice, row_total: int) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "notice_kind": notice.notice_kind,
        "batch": notice.batch,
        "declared_apps": notice.declared_apps,
        "app_rows": row_total,
        "carrier": notice.carrier,
    }
    if notice.date_precision and notice.date_precision != "day":
        extra["date_precision"] = notice.date_precision
    if notice.parent_url:
        extra["parent_url"] = notice.parent_url
    if notice.declared_apps is not None and row_total and notice.declared_apps != row_total:
        extra["row_count_mismatch"] = True
    return extra


def _set_number(batch: dict[str, int], key: str, text: str) -> None:
    number = parse_chinese_integer(text)
    if number is not None:
        batch[key] = number


def _heading(tree: lxml.html.HtmlElement) -> str:
    """Return the ArticleTitle meta or the first <h1>; <title> often ends with the site name."""
    for values in (tree.xpath("//meta[@name='ArticleTitle']/@content"), [node.text_content() for node in tree.xpath("//h1")]):
        for value in values:
            text = WHITESPACE_RE.sub(" ", value).strip()
            if text:
                return text
    return ""


def _fold(text: str) -> str:
    return WHITESPACE_RE.sub("", unicodedata.normalize("NFKC", text or "")).casefold()


def _parse_html(html: str, url: str) -> lxml.html.HtmlElement | None:
    if not (html or "").strip():
        logger.warning("Notice page %s is empty", url)
        return None
    try:
        return lxml.html.fromstring(html)
    except (ParserError, ValueError) as error:
        logger.warning("Notice page %s is not parseable HTML: %s", url, error)
        return None

