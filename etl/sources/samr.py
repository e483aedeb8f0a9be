"""Parse SAMR (市场监管总局) and local market-regulator decision pages into case drafts.

A page or attachment of the `samr` spider contains one of:

- a 行政处罚信息公开表 as label-value pairs (「行政处罚决定书文号 | 杭市监罚处〔2026〕58号」),
  one draft per table;
- a table with one header row and one decision per row, one draft per row;
- the full text of a 行政处罚决定书 (「当事人：***科技有限公司」 … 「决定如下」 …), one draft;
- a round-up of typical cases (曝光台), split into one draft per case that names a party,
  as `lawdatify_cases.roundup_drafts` does;
- a notice bundling many decisions under a number range (「青黄市监罚送告〔2026〕8020-8024号」).
  The range is expanded with `expand_decision_number_range`: when the notice lists as many
  parties as the range has numbers, they are paired in order; when it lists none, each
  number gives a draft without a party.

A page whose decision is in attachments gives no draft of its own. Published copies mask
parties and ids with `***`; they stay masked here, marked by `extra["party_masked"]`. Names
of legal representatives and ids are left out of the draft text.
"""

from __future__ import annotations

import functools
import json
import logging
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html
import yaml
from lxml.etree import ParserError

from eintel.raw import ATTACHMENT_CONTENT_TYPE
from etl.models import CaseDraft, RawDocument
from etl.normalize.decision_numbers import (
    expand_decision_number_range,
    find_decision_numbers,
    is_decision_number_range,
)
from etl.sources.lawdatify_cases import (
    PARTY_LINE_RE,
    decision_date_from_text,
    is_roundup_title,
    legal_basis_sentences,
    penalty_sentences,
    roundup_drafts,
)
from etl.sources.pbc import page_info, table_grid

logger = logging.getLogger(__name__)

SHAPE_PATH = Path(__file__).with_name("samr.yaml")

WHITESPACE_RE = re.compile(r"\s+")
# A masked decision number: 「沪市监处〔2026〕***号」.
MASKED_NUMBER_RE = re.compile(r"[\u4e00-\u9fa5]{2,}[〔\[［（(【]\s*\d{4}\s*[〕\]］）)】]\s*第?\s*\*+\s*号")
# Fields kept out of the draft text: ids and the names of natural persons.
PRIVATE_FIELDS = ("party_id", "legal_representative")
# Amount columns, whose bare numbers (a 0 in 没收…金额) would read as penalties in the text.
AMOUNT_FIELDS = ("fine_wan", "fine", "confiscation_wan")
# Rows of a table searched for its header row.
HEADER_SEARCH_ROWS = 3
# Characters at the start of a decision text searched for its number, and at its end for the signature.
HEAD_CHARS = 400
TAIL_CHARS = 300
# Label cells are short; a longer cell is a value.
MAX_LABEL_CHARS = 30
# Fields whose values of one label are joined when a table repeats the label.
LIST_FIELDS = ("violation", "legal_basis", "penalty")


@functools.cache
def load_shape() -> dict[str, Any]:
    """Load field labels and decision-text markers from samr.yaml."""
    with SHAPE_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


@dataclass
class Page:
    """Facts of the page or attachment that every draft of it carries."""

    url: str
    title: str
    publish_date: str
    regulator: str
    province: str
    text: str
    parent_url: str = ""


def parse_document(doc: RawDocument) -> list[CaseDraft]:
    """Parse a decision page or one of its attachments (see the module docstring)."""
    context = doc.meta.get("context") or {}
    fields = doc.meta.get("fields") or {}
    if doc.content_type == ATTACHMENT_CONTENT_TYPE:
        loaded = _attachment_content(doc, context)
        if loaded is None:
            return []
        text, grids = loaded
        page = Page(url=doc.url, title=context.get("parent_title") or context.get("list_title", ""),
                    publish_date=context.get("parent_date") or context.get("list_date", ""),
                    regulator=context.get("issuer", ""), province=context.get("province", ""), text=text,
                    parent_url=context.get("parent_url", ""))
        return page_drafts(doc, page, grids, has_attachments=False)

    tree = _parse_html(doc.content, doc.url)
    if tree is None:
        return []
    info = page_info(doc.content)
    page = Page(url=doc.url, title=_heading(tree) or fields.get("title") or context.get("list_title") or info["title"],
                publish_date=info["publish_date"] or fields.get("date") or context.get("list_date", ""),
                regulator=context.get("issuer", ""), province=context.get("province", ""), text=page_body_text(tree))
    grids = [table_grid(table) for table in tree.xpath("//table[not(ancestor::table)]")]
    return page_drafts(doc, page, grids, has_attachments=bool(fields.get("attachments")))


def page_drafts(doc: RawDocument, page: Page, grids: list[list[list[str]]], has_attachments: bool) -> list[CaseDraft]:
    """Build the drafts of one page: table records, else the decision text, then the bundle's numbers."""
    records = table_records(grids)
    bundle = bundle_numbers(page.title)
    drafts = [record_draft(doc, page, index, record) for index, record in enumerate(records, start=1)]

    if not drafts and not bundle and is_roundup_title(page.title):
        drafts = roundup_case_drafts(doc, page)
    if not drafts and not bundle:
        party_line = PARTY_LINE_RE.search(page.text)
        if party_line is None and has_attachments:
            logger.debug("Decision page %s carries its decision in attachments", doc.url)
            return []
        if party_line is not None or (_text_decision_number(page) and decided_penalty(page.text)):
            drafts = [text_draft(doc, page)]

    if bundle:
        drafts = apply_bundle(doc, page, drafts, bundle)
    if not drafts:
        logger.info("Decision page %s names no decision: no 公开表, no 当事人 line, no decision number", doc.url)
    return drafts


# Tables ----------------------------------------------------------------------------------


def table_records(grids: list[list[list[str]]]) -> list[dict[str, str]]:
    """Read the decisions of every 行政处罚信息公开表 among the grids, one record per decision."""
    records: list[dict[str, str]] = []
    minimum = load_shape()["min_table_fields"]
    for grid in grids:
        header_index, columns = _header_row(grid)
        if columns is not None:
            header_keys = [_fold(cell) for cell in grid[header_index]]
            for cells in grid[header_index + 1:]:
                if [_fold(cell) for cell in cells] == header_keys or not any(cell.strip() for cell in cells):
                    continue
                record = {name: cells[index].strip() for name, index in columns.items() if index < len(cells)}
                if record.get("party") or record.get("decision_number"):
                    record["layout"] = "table-row"
                    records.append(record)
            continue

        record = label_value_record(grid)
        if len(record) >= minimum and (record.get("party") or record.get("decision_number")):
            record["layout"] = "label-value"
            records.append(record)
    return records


def label_value_record(grid: list[list[str]]) -> dict[str, str]:
    """Read a label-value table (label cells followed by their values, one or two pairs per row)."""
    record: dict[str, str] = {}
    for cells in grid:
        index = 0
        while index < len(cells) - 1:
            name = field_of_label(cells[index])
            value = cells[index + 1].strip()
            if name is None or field_of_label(value) is not None:
                index += 1
                continue
            if name in LIST_FIELDS and record.get(name) and value not in record[name]:
                record[name] += "\n" + value
            elif value and name not in record:
                record[name] = value
            index += 2
    return record


def field_of_label(cell: str) -> str | None:
    """Return the field a label cell names: an exact label first, then the longest label it contains."""
    folded = _fold(cell)
    if not folded or len(folded) > MAX_LABEL_CHARS:
        return None
    labels = _folded_labels()
    for label, name in labels:
        if folded == label:
            return name
    for label, name in labels:
        if label in folded:
            return name
    return None


def _header_row(grid: list[list[str]]) -> tuple[int, dict[str, int] | None]:
    minimum = load_shape()["min_table_fields"]
    for index, cells in enumerate(grid[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        for position, cell in enumerate(cells):
            name = field_of_label(cell)
            if name is not None and name not in columns:
                columns[name] = position
        # A label-value table also has a label in each row; a header names several fields in one row.
        if "party" in columns and len(columns) >= minimum:
            return index, columns
    return 0, None


@functools.cache
def _folded_labels() -> tuple[tuple[str, str], ...]:
    pairs = [(_fold(label), name) for name, labels in load_shape()["field_labels"].items() for label in labels]
    return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))


# Decision texts --------------------------------------------------------------------------


def decided_penalty(text: str) -> str:
    """Return the decided part of a decision text (after 「决定如下」, before 「当事人应当…」), or ""."""
    shape = load_shape()
    spans = sorted((text.find(marker), text.find(marker) + len(marker))
                   for marker in shape["decision_start_markers"] if marker in text)
    if not spans:
        return ""

    # Overlapping markers (「本局决定」 in 「本局决定如下」) extend the first one.
    start = spans[0][1]
    for span_start, span_end in spans[1:]:
        if span_start < start:
            start = max(start, span_end)
    ends = [position for marker in shape["decision_end_markers"] if (position := text.find(marker, start)) >= 0]
    return text[start:min(ends) if ends else len(text)].strip(" ：:\n")


def signature_regulator(text: str) -> str:
    """Return the market regulator that signs a decision (its last mention near the end), or ""."""
    matches = re.findall(load_shape()["regulator_pattern"], text[-TAIL_CHARS:])
    return matches[-1] if matches else ""


def signature_date(text: str) -> str:
    """Return the last date near the end of a decision text (the date it was made), or ""."""
    matches = re.findall(load_shape()["date_pattern"], text[-TAIL_CHARS:])
    return WHITESPACE_RE.sub("", matches[-1]) if matches else ""


def bundle_numbers(title: str) -> list[str]:
    """Return the single numbers of the first number range in a title, or [] when it has none."""
    for number in find_decision_numbers(title):
        if is_decision_number_range(number):
            expanded = expand_decision_number_range(number)
            if len(expanded) > 1:
                return expanded
            logger.warning("Decision number range %s in title %r was not expanded", number, title)
    return []


def apply_bundle(doc: RawDocument, page: Page, drafts: list[CaseDraft], numbers: list[str]) -> list[CaseDraft]:
    """Give the drafts of a bundle notice their numbers, or one draft per number when it lists no party."""
    bundle = f"{numbers[0]}…{numbers[-1]}"
    if not drafts:
        drafts = [text_draft(doc, page, record_key=f"bundle-{position}") for position in range(1, len(numbers) + 1)]
        for draft, number in zip(drafts, numbers):
            draft.party_raw = ""
            draft.decision_number_raw = number
            draft.extra["bundle"] = bundle
        return drafts

    unnumbered = [draft for draft in drafts if not draft.decision_number_raw]
    if len(unnumbered) == len(numbers):
        for draft, number in zip(unnumbered, numbers):
            draft.decision_number_raw = number
            draft.extra["bundle"] = bundle
    elif unnumbered:
        logger.warning("Bundle notice %s lists %d parties without a number but its range has %d numbers; "
                       "numbers not assigned", doc.url, len(unnumbered), len(numbers))
        for draft in unnumbered:
            draft.extra["bundle_numbers"] = numbers
    return drafts


# Drafts ----------------------------------------------------------------------------------


def roundup_case_drafts(doc: RawDocument, page: Page) -> list[CaseDraft]:
    """Split a round-up of typical cases (「曝光5起…典型案例」) into one draft per case that names a party.

    The splitting is `lawdatify_cases.roundup_drafts`, which reads a record of the lawdatify
    dataset, so the page's facts are passed in that record's fields.
    """
    record = {"title": page.title, "date": page.publish_date, "agency": page.regulator, "org": page.regulator,
              "fines": [], "laws": [], "type": "", "kind": "典型案例"}
    drafts = roundup_drafts(doc, record, page.title, page.text)
    for draft in drafts:
        draft.province_hint = page.province
        draft.extra["layout"] = "roundup"
        if page.parent_url:
            draft.extra["parent_url"] = page.parent_url
    return drafts


def record_draft(doc: RawDocument, page: Page, index: int, record: dict[str, str]) -> CaseDraft:
    amounts = [f"{record[name]}万元" for name in ("fine_wan",) if _is_number(record.get(name, ""))]
    if record.get("fine"):
        amounts.append(record["fine"] + ("元" if _is_number(record["fine"]) else ""))
    extra: dict[str, Any] = {
        "layout": record.get("layout", ""),
        "row_number": record.get("row_number", ""),
        "case_name": record.get("case_name", ""),
        "party_masked": "*" in record.get("party", ""),
        "party_id_masked": "*" in record.get("party_id", ""),
    }
    if _is_number(record.get("confiscation_wan", "")):
        extra["confiscation_raw"] = f"{record['confiscation_wan']}万元"
    if page.parent_url:
        extra["parent_url"] = page.parent_url

    labels = load_shape()["field_labels"]
    text = "\n".join(f"{labels[name][0]}：{value}" for name, value in record.items()
                     if name in labels and name not in PRIVATE_FIELDS + AMOUNT_FIELDS and value)
    violations = [item.strip() for item in re.split(r"[;；\n]", record.get("violation", "")) if item.strip()]
    return CaseDraft(
        document_id=doc.document_id,
        source=doc.source,
        source_url=doc.url,
        record_key=f"{record.get('layout', 'table')}-{index}",
        title=page.title,
        party_raw=record.get("party", ""),
        party_type_hint="company" if record.get("legal_representative") else None,
        decision_number_raw=record.get("decision_number", ""),
        regulator_raw=record.get("regulator") or page.regulator,
        decision_date_raw=record.get("decision_date", ""),
        publish_date_raw=page.publish_date,
        violation_raw=violations or ([record["case_name"]] if record.get("case_name") else []),
        legal_basis_raw=[record["legal_basis"]] if record.get("legal_basis") else [],
        penalty_raw=table_penalty(record),
        amounts_raw=amounts,
        province_hint=page.province,
        text=text,
        extra=extra,
    )


def table_penalty(record: dict[str, str]) -> str:
    """Return the penalty of a table record, with the amount columns (in 万元) it does not state itself."""
    lines = [record.get("penalty", "")]
    fine = record.get("fine_wan", "")
    confiscation = record.get("confiscation_wan", "")
    if _is_number(fine) and float(fine) > 0 and "罚款" not in lines[0]:
        lines.append(f"罚款{fine}万元")
    if _is_number(confiscation) and float(confiscation) > 0 and "没收" not in lines[0]:
        lines.append(f"没收违法所得{confiscation}万元")
    return "；".join(line for line in lines if line)


def text_draft(doc: RawDocument, page: Page, record_key: str = "decision") -> CaseDraft:
    """Build the draft of a full decision text (行政处罚决定书)."""
    text = page.text
    party_line = PARTY_LINE_RE.search(text)
    party = party_line.group(1) if party_line else ""
    decided = decided_penalty(text)
    extra: dict[str, Any] = {"layout": "decision-text", "party_masked": "*" in party}
    if page.parent_url:
        extra["parent_url"] = page.parent_url
    return CaseDraft(
        document_id=doc.document_id,
        source=doc.source,
        source_url=doc.url,
        record_key=record_key,
        title=page.title,
        party_raw=party,
        decision_number_raw=_text_decision_number(page),
        regulator_raw=signature_regulator(text) or page.regulator,
        decision_date_raw=signature_date(text) or decision_date_from_text(text),
        publish_date_raw=page.publish_date,
        legal_basis_raw=legal_basis_sentences(text),
        penalty_raw=decided or "\n".join(penalty_sentences(text)),
        province_hint=page.province,
        summary=page.title,
        text=text,
        extra=extra,
    )


def page_body_text(tree: lxml.html.HtmlElement) -> str:
    """Return the paragraphs of a page outside tables, one per line, or the body text without <p>."""
    lines = [WHITESPACE_RE.sub(" ", node.text_content()).strip() for node in tree.xpath("//p[not(ancestor::table)]")]
    lines = [line for line in lines if line]
    if lines:
        return "\n".join(lines)
    body = tree.find("body")
    return WHITESPACE_RE.sub(" ", body.text_content()).strip() if body is not None else ""


def _text_decision_number(page: Page) -> str:
    """Return the decision number of a decision: from the title, else the head of the text; masked ones too."""
    head = page.text[:HEAD_CHARS]
    for source in (page.title, head):
        found = [number for number in find_decision_numbers(source) if not is_decision_number_range(number)]
        if found:
            return found[0]
    masked = MASKED_NUMBER_RE.search(page.title) or MASKED_NUMBER_RE.search(head)
    return masked.group(0) if masked else ""


def _attachment_content(doc: RawDocument, context: dict[str, Any]) -> tuple[str, list[list[list[str]]]] | None:
    try:
        extracted = json.loads(doc.content)
    except json.JSONDecodeError as error:
        logger.warning("Attachment %s of page %s is not valid JSON: %s", doc.url, context.get("parent_url"), error)
        return None
    if not isinstance(extracted, dict):
        logger.warning("Attachment %s: expected a JSON object, found %s", doc.url, type(extracted).__name__)
        return None
    if extracted.get("error"):
        logger.warning("Attachment %s of page %s was not read: %s", doc.url, context.get("parent_url"), extracted["error"])
        return None

    grids = [[[str(cell) for cell in row] for row in table if isinstance(row, list)]
             for table in extracted.get("tables") or [] if isinstance(table, list)]
    return str(extracted.get("text") or ""), grids


def _heading(tree: lxml.html.HtmlElement) -> str:
    """Return the ArticleTitle meta or the first <h1>; <title> often ends with the site name."""
    for values in (tree.xpath("//meta[@name='ArticleTitle']/@content"), [node.text_content() for node in tree.xpath("//h1")]):
        for value in values:
            text = WHITESPACE_RE.sub(" ", value).strip()
            if text:
                return text
    return ""


def _is_number(value: str) -> bool:
    return bool(re.fullmatch(r"\d+(?:\.\d+)?", (value or "").strip()))


def _fold(text: str) -> str:
    return WHITESPACE_RE.sub("", unicodedata.normalize("NFKC", text or "")).casefold()


def _parse_html(html: str, url: str) -> lxml.html.HtmlElement | None:
    if not (html or "").strip():
        logger.warning("Decision page %s is empty", url)
        return None
    try:
        return lxml.html.fromstring(html)
    except (ParserError, ValueError) as error:
        logger.warning("Decision page %s is not parseable HTML: %s", url, error)
        return None
