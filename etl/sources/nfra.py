"""Parse NFRA (国家金融监督管理总局; formerly CBIRC and CBRC) 行政处罚信息公开表 into case drafts.

A detail document is the JSON of one decision page: `data.docClob` contains the table as HTML,
`data.docTitle` and `data.publishDate` the page title and date. The spider's list context
(`doc.meta["context"]`) adds the column (item) and its default issuer. nfra.yaml describes the
two table layouts: a vertical table of one decision, whose party rows can name a bank and its
staff, and a horizontal table with one row per party. Each party becomes one draft, with the
decision number and the penalty clauses that name it.

Attachment documents (a PDF copy of the page, or a spreadsheet) give drafts only when the
page itself had no penalty table, because the PDF repeats the page's table. Their tables go
through the same layout readers. A page whose decision is only in its attachment gives no
draft itself, so the load marks it "empty".

Accepted oddities, seen in public scraper projects in December 2026: CBRC pages before
2020 are Word exports whose person fields hold 「—」; one vertical table can list several
decision numbers, one per party, or a range such as 金罚决字〔2026〕3-5号.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from dataclasses import dataclass, field
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
from etl.normalize.parties import PLACEHOLDERS
from etl.sources.multiparty import (
    BRACKETED_RE,
    PartyMention,
    assign_clauses,
    persons_named,
    match_keys,
    split_clauses,
    split_names,
)
from etl.sources.pbc import split_violations, table_grid

logger = logging.getLogger(__name__)

SHAPE_PATH = Path(__file__).with_name("nfra.yaml")

WHITESPACE_RE = re.compile(r"\s+")

# Labels of the per-party text, in the order of the published table.
TEXT_LABELS = (
    ("decision_number", "行政处罚决定书文号"),
    ("party", "被处罚当事人"),
    ("facts", "主要违法违规事实"),
    ("legal_basis", "行政处罚依据"),
    ("penalty", "行政处罚决定"),
    ("regulator", "作出处罚决定的机关名称"),
    ("decision_date", "作出处罚决定的日期"),
)

PARTY_FIELDS = {"person": "individual", "organisation": "organisation", "party": "unknown"}
# A party row of kind "unknown" leaves the type to the name's suffix.
PARTY_TYPE_HINTS = {"individual": "individual", "organisation": "company"}


@dataclass
class TableParty:
    """A party row of a table: the name cell and whether the table calls it a person or an organisation."""

    name: str
    kind: str
    legal_representative: str = ""


@dataclass
class TableDecision:
    """One decision read from a table (vertical) or from one table row (horizontal), by field."""

    key: str
    layout: str
    parties: list[TableParty]
    fields: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DocumentInfo:
    """Facts that the page or its list entry states about every decision in it."""

    title: str
    publish_date: str
    issuer: str
    extra: dict[str, Any]


@functools.cache
def load_shape() -> dict[str, Any]:
    """Load the table labels and headers from nfra.yaml."""
    with SHAPE_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def parse_document(doc: RawDocument) -> list[CaseDraft]:
    """Parse one NFRA detail JSON or attachment into one draft per party, or [] when nothing is readable."""
    if doc.content_type == ATTACHMENT_CONTENT_TYPE:
        return attachment_drafts(doc)

    data = detail_data(doc)
    if data is None:
        return []

    context = doc.meta.get("context", {})
    info = DocumentInfo(
        title=collapse(data.get("docTitle")) or str(context.get("list_title", "")),
        publish_date=collapse(data.get("publishDate")) or str(context.get("list_date", "")),
        issuer=str(context.get("issuer", "")),
        extra={
            "doc_id": str(context.get("doc_id", data.get("docId", ""))),
            "item_id": context.get("item_id"),
            "item_name": context.get("item_name", ""),
            "page_url": context.get("page_url", ""),
            "document_number": collapse(data.get("documentNo")),
        },
    )
    decisions = table_decisions(html_grids(str(data.get("docClob") or "")))
    if not decisions:
        attachments = doc.meta.get("fields", {}).get("attachments") or []
        log = logger.debug if attachments else logger.warning
        log("NFRA detail has no 行政处罚信息公开表: url=%s attachments=%d", doc.url, len(attachments))
    return drafts_of(doc, info, decisions)


def attachment_drafts(doc: RawDocument) -> list[CaseDraft]:
    """Parse the tables of an attachment whose page had no penalty table of its own."""
    context = doc.meta.get("context", {})
    if int(context.get("parent_table_rows") or 0) > 0:
        logger.debug("NFRA attachment repeats the table of its page: url=%s parent=%s", doc.url, context.get("parent_url"))
        return []

    try:
        content = json.loads(doc.content)
    except ValueError as error:
        logger.warning("NFRA attachment content is not valid JSON: url=%s error=%s", doc.url, error)
        return []
    if content.get("error"):
        logger.warning("NFRA attachment text extraction failed: url=%s error=%s", doc.url, content["error"])
        return []

    grids = [
        [[str(cell) for cell in row] for row in table if isinstance(row, list)]
        for table in content.get("tables") or []
        if isinstance(table, list)
    ]
    info = DocumentInfo(
        title=str(context.get("parent_title", "")),
        publish_date=str(context.get("parent_date", "")),
        issuer=str(context.get("issuer", "")),
        extra={
            "doc_id": str(context.get("doc_id", "")),
            "item_id": context.get("item_id"),
            "item_name": context.get("item_name", ""),
            "page_url": context.get("page_url", ""),
            "parent_url": context.get("parent_url", ""),
            "attachment_format": content.get("format", ""),
        },
    )
    decisions = table_decisions(grids)
    if not decisions:
        logger.warning("NFRA attachment has no 行政处罚信息公开表: url=%s format=%s tables=%d needs_ocr=%s",
                       doc.url, content.get("format"), len(grids), content.get("needs_ocr"))
    return drafts_of(doc, info, decisions)


def detail_data(doc: RawDocument) -> dict[str, Any] | None:
    """Return the `data` object of a detail JSON, or None (with a WARNING) when it has none."""
    try:
        payload = json.loads(doc.content)
    except ValueError as error:
        logger.warning("NFRA detail is not valid JSON: url=%s error=%s", doc.url, error)
        return None
    data = payload.get("data") if isinstance(payload, dict) else None
    if not isinstance(data, dict):
        logger.warning("NFRA detail JSON has no data object: url=%s", doc.url)
        return None
    return data


# Tables -------------------------------------------------------------------------------


def html_grids(html: str) -> list[list[list[str]]]:
    """Lay out every innermost table of an HTML fragment as rows of cell texts."""
    if not html.strip():
        return []
    try:
        tree = lxml.html.fromstring(html)
    except (ParserError, ValueError) as error:
        logger.warning("NFRA docClob is not parseable HTML: error=%s", error)
        return []
    tables = [table for table in tree.iter("table") if not table.xpath(".//table")]
    return [table_grid(table) for table in tables]


def table_decisions(grids: list[list[list[str]]]) -> list[TableDecision]:
    """Read the decisions of every table, horizontal layout first, then vertical."""
    found: list[tuple[int, TableDecision]] = []
    for index, grid in enumerate(grids, start=1):
        decisions = horizontal_decisions(grid)
        if decisions is None:
            vertical = vertical_decision(grid)
            decisions = [vertical] if vertical is not None else []
        found += [(index, decision) for decision in decisions]

    several_tables = len({index for index, _ in found}) > 1
    for index, decision in found:
        if several_tables:
            decision.key = f"table-{index}-{decision.key}"
    return [decision for _, decision in found]


def horizontal_decisions(grid: list[list[str]]) -> list[TableDecision] | None:
    """Read a table with a header row and one row per party; None when no row is such a header."""
    headers = load_shape()["horizontal_headers"]
    for header_index, row in enumerate(grid[:6]):
        header_keys = [compact(cell) for cell in row]
        columns = header_columns(header_keys, headers)
        if "party" in columns and "penalty" in columns:
            break
    else:
        return None

    decisions: list[TableDecision] = []
    for position, row in enumerate(grid[header_index + 1:], start=1):
        keys = [compact(cell) for cell in row]
        if not any(keys) or keys == header_keys:
            continue
        values = {name: (row[index].strip() if index < len(row) else "") for name, index in columns.items()}
        names = split_names(values.get("party", ""))
        if not names:
            logger.debug("NFRA table row without a party skipped: row=%s", row)
            continue
        row_key = compact(values.get("row_number", "")) or str(position)
        parties = [TableParty(name=name, kind="unknown") for name in names]
        decisions.append(TableDecision(key=f"row-{row_key}", layout="horizontal", parties=parties, fields=values))
    return decisions


def header_columns(header_keys: list[str], headers: dict[str, list[str]]) -> dict[str, int]:
    """Map fields to column indexes: exact header matches first, then headers that contain a name."""
    columns: dict[str, int] = {}
    used: set[int] = set()
    for exact in (True, False):
        for name, candidates in headers.items():
            if name in columns:
                continue
            for index, key in enumerate(header_keys):
                if index in used or not key:
                    continue
                if any((key == candidate) if exact else (candidate in key) for candidate in candidates):
                    columns[name] = index
                    used.add(index)
                    break
    return columns


def vertical_decision(grid: list[list[str]]) -> TableDecision | None:
    """Read a table of label cells and values; None when it names neither a party nor a decision number."""
    entries = load_shape()["vertical_labels"]
    known_labels = {compact(label) for entry in entries for label in entry["labels"]}
    parties: list[TableParty] = []
    fields: dict[str, str] = {}

    for row in grid:
        cells = distinct_cells(row)
        if len(cells) < 2:
            continue
        name = label_field(compact("".join(cells[:-1])), entries)
        value = cells[-1].strip()
        if name is None or not value or compact(value) in known_labels or value in PLACEHOLDERS:
            continue

        if name in PARTY_FIELDS:
            parties += [TableParty(name=party, kind=PARTY_FIELDS[name]) for party in split_names(value)]
        elif name == "legal_representative":
            organisations = [party for party in parties if party.kind == "organisation"]
            if organisations and not organisations[-1].legal_representative:
                organisations[-1].legal_representative = value
        else:
            fields[name] = f"{fields[name]}\n{value}" if name in fields else value

    if not parties and "decision_number" not in fields:
        return None
    return TableDecision(key="decision", layout="vertical", parties=parties, fields=fields)


def label_field(label: str, entries: list[dict[str, Any]]) -> str | None:
    for entry in entries:
        if any(compact(candidate) in label for candidate in entry["labels"]):
            return entry["field"]
    return None


def distinct_cells(row: list[str]) -> list[str]:
    """Non-empty cells of a row, with the copies that a colspan or rowspan left next to each other removed."""
    cells: list[str] = []
    for cell in row:
        text = cell.strip()
        if text and (not cells or cells[-1] != text):
            cells.append(text)
    return cells


# Drafts -------------------------------------------------------------------------------


def drafts_of(doc: RawDocument, info: DocumentInfo, decisions: list[TableDecision]) -> list[CaseDraft]:
    """Build one draft per party of every decision."""
    suffixes = load_shape()["legal_form_suffixes"]
    drafts: list[CaseDraft] = []
    for decision in decisions:
        mentions = [
            PartyMention(name=party.name, individual=party.kind == "individual", keys=match_keys(party.name, suffixes))
            for party in decision.parties
        ]
        penalties, shared = party_penalties(decision.fields.get("penalty", ""), mentions)
        numbers = party_decision_numbers(decision.fields.get("decision_number", ""), mentions)
        for index, party in enumerate(decision.parties):
            drafts.append(party_draft(
                doc, info, decision, party, mentions, index, numbers[index], penalties[index], shared[index],
            ))
    return drafts


def party_draft(
    doc: RawDocument,
    info: DocumentInfo,
    decision: TableDecision,
    party: TableParty,
    mentions: list[PartyMention],
    index: int,
    decision_number: str,
    penalty: str,
    penalty_shared: bool,
) -> CaseDraft:
    fields = decision.fields
    violations, liability_note = split_violations(fields.get("facts", ""))
    several = len(decision.parties) > 1
    if decision.layout == "vertical":
        record_key = f"{decision.key}-party-{index + 1}"
    else:
        record_key = f"{decision.key}-party-{index + 1}" if several else decision.key

    values = {**fields, "decision_number": decision_number, "party": party.name, "penalty": penalty}
    values["regulator"] = fields.get("regulator") or info.issuer
    text = "\n".join(f"{label}：{values[name]}" for name, label in TEXT_LABELS if values.get(name))

    extra: dict[str, Any] = {**info.extra, "layout": decision.layout, "parties_in_decision": len(decision.parties)}
    if party.legal_representative:
        extra["legal_representative"] = party.legal_representative
    if liability_note:
        extra["liability_note"] = liability_note
    if penalty_shared:
        extra["penalty_shared"] = True
    if fields.get("row_number"):
        extra["row_number"] = fields["row_number"]
    extra["persons_named"] = persons_named(mentions)

    return CaseDraft(
        document_id=doc.document_id,
        source=doc.source,
        source_url=doc.url,
        record_key=record_key,
        title=info.title,
        party_raw=party.name,
        party_type_hint=PARTY_TYPE_HINTS.get(party.kind),
        decision_number_raw=decision_number,
        regulator_raw=values["regulator"],
        decision_date_raw=fields.get("decision_date", ""),
        publish_date_raw=info.publish_date,
        violation_raw=violations,
        legal_basis_raw=[fields["legal_basis"]] if fields.get("legal_basis") else [],
        penalty_raw=penalty,
        text=text,
        extra=extra,
    )


def party_penalties(text: str, mentions: list[PartyMention]) -> tuple[list[str], list[bool]]:
    """Give each party the penalty clauses that name it; a party named in none keeps the whole text, flagged."""
    if len(mentions) <= 1:
        return [text] * len(mentions), [False] * len(mentions)

    per_party, _ = assign_clauses(split_clauses(text), mentions)
    penalties: list[str] = []
    shared: list[bool] = []
    for clauses in per_party:
        penalties.append("；".join(clauses) if clauses else text)
        shared.append(not clauses and bool(text))
    return penalties, shared


def party_decision_numbers(cell: str, mentions: list[PartyMention]) -> list[str]:
    """Give each party its decision number (文号) from a cell that can list one per party.

    A line of the cell that names the party wins. Otherwise the numbers, with a range
    expanded, are taken in table order when there is one per party. Otherwise every party
    keeps the cell as written.
    """
    if not cell.strip():
        return [""] * len(mentions)

    numbers: list[str] = []
    for number in find_decision_numbers(cell):
        numbers += expand_decision_number_range(number) if is_decision_number_range(number) else [number]

    lines = [line for line in cell.splitlines() if line.strip()]
    assigned: list[str] = []
    for index, mention in enumerate(mentions):
        named = [
            line for line in lines
            if any(key in BRACKETED_RE.sub("", line) for key in mention.keys) and find_decision_numbers(line)
        ]
        if named:
            assigned.append(find_decision_numbers(named[0])[0])
        elif len(numbers) == len(mentions) and len(mentions) > 1:
            assigned.append(numbers[index])
        else:
            assigned.append(cell.strip())
    return assigned


def compact(text: str) -> str:
    return WHITESPACE_RE.sub("", text or "")


def collapse(value: Any) -> str:
    return WHITESPACE_RE.sub(" ", str(value)).strip() if value is not None else ""
