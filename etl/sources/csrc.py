"""Parse CSRC (中国证监会) 行政处罚决定书 pages into case drafts, one per party.

A decision page is free text in one content container (csrc.yaml). It gives the document
name and number (〔2026〕12号), one 「当事人：」 line per party, the facts and the cited
provisions. The decision follows 「我会决定：」, and its items name the parties they concern
(「一、对甲科技股份有限公司责令改正，给予警告，并处以200万元罚款；二、对李明给予警告…」).
Each party's draft keeps the items that name it (its penalty) and drops the items of the
other parties from its text, so that one party's case never carries another's fine. The
page's metadata table, when present, gives the issuer (发布机构), title (名称) and number (文号).
Cited provisions are left to the pipeline, which reads them from the whole text, because a
sentence alone loses the 「以下简称《基金法》」 that names the law it cites.

A page that only links the decision as a PDF or Word file has no 当事人 line, so the
attachment document goes through the same text reader instead.
"""

from __future__ import annotations

import functools
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lxml.html
import yaml
from lxml.etree import ParserError

from eintel.raw import ATTACHMENT_CONTENT_TYPE
from etl.models import CaseDraft, RawDocument
from etl.normalize.dates import find_dates
from etl.normalize.decision_numbers import find_decision_numbers
from etl.sources.multiparty import (
    PartyMention,
    assign_clauses,
    persons_named,
    match_keys,
    split_clauses,
)
from etl.sources.pbc import cell_text

logger = logging.getLogger(__name__)

PATTERNS_PATH = Path(__file__).with_name("csrc.yaml")

WHITESPACE_RE = re.compile(r"\s+")
ALIAS_RE = re.compile(r"[（(]\s*以下(?:简称|称)\s*[“\"「]?([^）)”\"」]+)[”\"」]?\s*[）)]")
NAME_END_RE = re.compile(r"[，,。；;：:]")
SIGNATURE_ENDINGS = ("委员会", "证监会", "监管局", "证监局", "会", "局")
# A date or signature line at the end of a decision is short, so a longer line is prose.
MAX_DATE_LINE_CHARS = 16
MAX_SIGNATURE_CHARS = 30
# Lines at the end of a decision searched for its date.
DATE_SEARCH_LINES = 6


@dataclass(frozen=True)
class PageInfo:
    """Facts about the decision from the page, its metadata table and its list entry."""

    title: str
    publish_date: str
    issuer: str
    decision_number: str
    fallback_issuer: str
    extra: dict[str, Any]


@dataclass(frozen=True)
class DecisionSection:
    """Position of the decision items in the lines: the opener line, its text up to the opener, the end."""

    opener_index: int
    opener_head: str
    clauses: list[str]
    end_index: int


@functools.cache
def load_patterns() -> dict[str, Any]:
    """Load the page patterns from csrc.yaml."""
    with PATTERNS_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def parse_document(doc: RawDocument) -> list[CaseDraft]:
    """Parse one CSRC decision page or attachment into one draft per 当事人, or [] when it names none."""
    if doc.content_type == ATTACHMENT_CONTENT_TYPE:
        return attachment_drafts(doc)

    tree = _parse_html(doc.content, doc.url)
    if tree is None:
        return []
    containers = tree.xpath(load_patterns()["content_xpath"])
    if len(containers) != 1:
        logger.warning("CSRC page has %d content containers, expected 1: url=%s", len(containers), doc.url)
    if not containers:
        return []

    context = doc.meta.get("context", {})
    metadata = page_metadata(tree)
    info = PageInfo(
        title=metadata.get("title") or _meta(tree, "ArticleTitle") or _page_title(tree) or str(context.get("list_title", "")),
        publish_date=_publish_date(context, metadata, tree),
        issuer=metadata.get("issuer", ""),
        decision_number=metadata.get("decision_number", ""),
        fallback_issuer=str(context.get("issuer", "")),
        extra={
            "channel": context.get("channel", ""),
            "index_number": metadata.get("index_number", ""),
            "list_url": context.get("list_url", ""),
        },
    )
    lines = [line for line in cell_text(containers[0]).split("\n") if line.strip()]
    drafts = decision_drafts(doc, info, lines)
    if not drafts:
        attachments = doc.meta.get("fields", {}).get("attachments") or []
        log = logger.debug if attachments else logger.warning
        log("CSRC page names no party (no 当事人 line): url=%s attachments=%d", doc.url, len(attachments))
    return drafts


def attachment_drafts(doc: RawDocument) -> list[CaseDraft]:
    """Parse the text of a decision attached to a page that names no party itself."""
    context = doc.meta.get("context", {})
    if int(context.get("parent_parties") or 0) > 0:
        logger.debug("CSRC attachment repeats the decision of its page: url=%s parent=%s", doc.url, context.get("parent_url"))
        return []

    try:
        content = json.loads(doc.content)
    except ValueError as error:
        logger.warning("CSRC attachment content is not valid JSON: url=%s error=%s", doc.url, error)
        return []
    if content.get("error"):
        logger.warning("CSRC attachment text extraction failed: url=%s error=%s", doc.url, content["error"])
        return []

    published_ms = context.get("published_ms")
    info = PageInfo(
        title=str(context.get("parent_title", "")),
        publish_date=str(published_ms) if published_ms else str(context.get("parent_date", "")),
        issuer="",
        decision_number="",
        fallback_issuer=str(context.get("issuer", "")),
        extra={
            "channel": context.get("channel", ""),
            "parent_url": context.get("parent_url", ""),
            "attachment_format": content.get("format", ""),
        },
    )
    lines = [line.strip() for line in str(content.get("text") or "").splitlines() if line.strip()]
    drafts = decision_drafts(doc, info, lines)
    if not drafts:
        logger.warning("CSRC attachment names no party: url=%s format=%s needs_ocr=%s",
                       doc.url, content.get("format"), content.get("needs_ocr"))
    return drafts


def decision_drafts(doc: RawDocument, info: PageInfo, lines: list[str]) -> list[CaseDraft]:
    """Build one draft per 当事人 line of a decision text given as lines."""
    mentions = party_mentions(lines)
    if not mentions:
        return []

    section = decision_section(lines)
    signature, date_line = signature_and_date(lines)
    regulator = info.issuer or signature or issuer_from_title(info.title) or info.fallback_issuer
    number = info.decision_number or _number_before_parties(lines) or next(iter(find_decision_numbers(info.title)), "")

    owners = _clause_owners(section, mentions)
    drafts: list[CaseDraft] = []
    for index, mention in enumerate(mentions):
        own = [clause for clause, named in owners if index in named]
        if len(mentions) == 1 and section is not None:
            penalty, shared = "\n".join(section.clauses), False
        elif own:
            penalty, shared = "；".join(own), False
        else:
            penalty = "\n".join(section.clauses) if section is not None else ""
            shared = bool(penalty)

        text = party_text(lines, section, owners, index)
        extra: dict[str, Any] = {**info.extra, "parties_in_decision": len(mentions), "persons_named": persons_named(mentions)}
        if mention.keys[1:]:
            extra["name_forms"] = mention.keys[1:]
        if shared:
            extra["penalty_shared"] = True
        drafts.append(CaseDraft(
            document_id=doc.document_id,
            source=doc.source,
            source_url=doc.url,
            record_key=f"party-{index + 1}",
            title=info.title,
            party_raw=mention.name,
            party_type_hint="individual" if mention.individual else None,
            decision_number_raw=number,
            regulator_raw=regulator,
            decision_date_raw=date_line,
            publish_date_raw=info.publish_date,
            penalty_raw=penalty,
            text=text,
            extra=extra,
        ))
    return drafts


def party_mentions(lines: list[str]) -> list[PartyMention]:
    """Read every 「当事人：」 line: the name up to the first comma, its 以下简称 aliases, person or not."""
    patterns = load_patterns()
    party_line = re.compile(patterns["party_line_pattern"])
    person_marker = re.compile(patterns["person_marker_pattern"])
    suffixes = patterns["legal_form_suffixes"]

    mentions: list[PartyMention] = []
    for line in lines:
        match = party_line.match(line)
        if match is None:
            continue
        rest = line[match.end():]
        name = NAME_END_RE.split(re.split(r"[（(]\s*以下(?:简称|称)", rest)[0])[0].strip()
        if not name or any(mention.name == name for mention in mentions):
            continue
        aliases = [
            alias.strip() for group in ALIAS_RE.findall(rest) for alias in re.split(r"[或、]", group)
            if len(alias.strip()) >= 2 and alias.strip() not in suffixes
        ]
        individual = bool(person_marker.search(rest))
        mentions.append(PartyMention(name=name, individual=individual, keys=match_keys(name, suffixes, aliases)))
    return mentions


def decision_section(lines: list[str]) -> DecisionSection | None:
    """Find the decision items: after the last opener (「我会决定：」) up to the payment and appeal lines."""
    patterns = load_patterns()
    opener = re.compile(patterns["decision_opener_pattern"])
    end_markers = tuple(patterns["decision_end_markers"])

    found: tuple[int, re.Match[str]] | None = None
    for index, line in enumerate(lines):
        for match in opener.finditer(line):
            found = (index, match)
    if found is None:
        return None

    index, match = found
    end = next((later for later in range(index + 1, len(lines)) if lines[later].lstrip().startswith(end_markers)), None)
    if end is None:
        end = _closing_index(lines, index)
    tail = lines[index][match.end():].strip()
    section_lines = ([tail] if tail else []) + lines[index + 1:end]
    clauses = split_clauses("\n".join(section_lines))
    return DecisionSection(opener_index=index, opener_head=lines[index][:match.end()], clauses=clauses, end_index=end)


def party_text(lines: list[str], section: DecisionSection | None, owners: list[tuple[str, list[int]]], index: int) -> str:
    """Join the decision text without the decision items that concern only other parties."""
    if section is None:
        return "\n".join(lines)
    kept = [clause for clause, named in owners if not named or index in named]
    body = lines[:section.opener_index] + [section.opener_head] + kept + lines[section.end_index:]
    return "\n".join(line for line in body if line.strip())


def signature_and_date(lines: list[str]) -> tuple[str, str]:
    """Return the issuer signing the decision and the date line under it, each "" when absent."""
    start = max(len(lines) - DATE_SEARCH_LINES, 0)
    for index in range(len(lines) - 1, start - 1, -1):
        line = lines[index].strip()
        if len(WHITESPACE_RE.sub("", line)) > MAX_DATE_LINE_CHARS:
            continue
        dates = find_dates(line)
        if not dates or dates[-1].precision != "day":
            continue
        signature = ""
        if index > 0:
            above = lines[index - 1].strip()
            if len(above) <= MAX_SIGNATURE_CHARS and not re.search(r"\d", above) and above.endswith(SIGNATURE_ENDINGS):
                signature = above
        return signature, line
    return "", ""


def issuer_from_title(title: str) -> str:
    """Return the issuer a title names before 行政处罚决定书 (「中国证监会行政处罚决定书（…）」), or ""."""
    document_name = load_patterns()["title_document_name"]
    head, found, _ = title.partition(document_name)
    return head.strip() if found and len(head.strip()) >= 3 else ""


def page_metadata(tree: lxml.html.HtmlElement) -> dict[str, str]:
    """Read the metadata table (发布机构, 发文日期, 名称, 文号 …): each label cell followed by its value cell."""
    labels = load_patterns()["metadata_labels"]
    found: dict[str, str] = {}
    for row in tree.xpath("//table//tr"):
        cells = [_normalize_space(cell.text_content()) for cell in row.xpath("./td | ./th")]
        for position, cell in enumerate(cells[:-1]):
            label = re.sub(r"[\s:：]", "", cell)
            if label in labels and labels[label] not in found and cells[position + 1]:
                found[labels[label]] = cells[position + 1]
    return found


def _clause_owners(section: DecisionSection | None, mentions: list[PartyMention]) -> list[tuple[str, list[int]]]:
    """Pair every decision clause with the indexes of the parties it names."""
    if section is None:
        return []
    per_party, _ = assign_clauses(section.clauses, mentions)
    return [
        (clause, [index for index, clauses in enumerate(per_party) if clause in clauses])
        for clause in section.clauses
    ]


def _closing_index(lines: list[str], after: int) -> int:
    """Index of the signature or date line that closes a decision without payment lines, else len(lines)."""
    closing_lines = {line for line in signature_and_date(lines) if line}
    for index in range(after + 1, len(lines)):
        if lines[index].strip() in closing_lines:
            return index
    return len(lines)


def _number_before_parties(lines: list[str]) -> str:
    for line in lines:
        if re.match(load_patterns()["party_line_pattern"], line):
            return ""
        numbers = find_decision_numbers(line)
        if numbers:
            return numbers[0]
    return ""


def _publish_date(context: dict[str, Any], metadata: dict[str, str], tree: lxml.html.HtmlElement) -> str:
    """Pick the list's epoch milliseconds, else its date string, else the page's own 发文日期 or PubDate."""
    published_ms = context.get("published_ms")
    if published_ms:
        return str(published_ms)
    return str(context.get("list_date") or metadata.get("publish_date") or _meta(tree, "PubDate"))


def _page_title(tree: lxml.html.HtmlElement) -> str:
    title = _normalize_space(" ".join(tree.xpath("//title//text()")))
    for separator in load_patterns()["title_site_separators"]:
        if separator in title:
            title = title.split(separator)[0].strip()
    return title


def _meta(tree: lxml.html.HtmlElement, name: str) -> str:
    values = tree.xpath("//meta[@name=$name]/@content", name=name)
    return values[0].strip() if values else ""


def _parse_html(html: str, url: str) -> lxml.html.HtmlElement | None:
    if not html.strip():
        logger.warning("CSRC page is empty: url=%s", url)
        return None
    try:
        return lxml.html.fromstring(html)
    except (ParserError, ValueError) as error:
        logger.warning("CSRC page is not parseable HTML: url=%s error=%s", url, error)
        return None


def _normalize_space(text: str) -> str:
    return WHITESPACE_RE.sub(" ", text).strip()
