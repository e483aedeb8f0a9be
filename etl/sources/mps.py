"""Parse public-security (公安) Clean Net (净网) announcements into case drafts.

Documents come from the `mps` spider: articles of the ministry (公安部) and provincial
departments (公安厅), and their attachments (典型案例 lists as DOCX, PDF …). A round-up
(「一、江苏南京警方侦破某公司侵犯公民个人信息案 …」) gives one draft per numbered case,
split by `lawdatify_cases.split_roundup`; an article that reports one case gives one
draft. An article whose body numbers no cases but links attachments gives none, because
its cases come from the attachment documents. An article without any case evidence (a
reminder, a meeting report) gives none either.

Per draft, the party follows a case verb (侦破, 查处 …) in the case heading, else in its
text, and is often masked (「某公司」, 「李某某」). The province comes from the police body
that handled the case (「江苏南京警方」 → 江苏), else from the site. The regulator is the
body that issued the announcement (公安部, a 公安厅 or 公安局): the police body that the
article's source line names, else the site's issuer. The number of suspects arrested and
the data volume stay in `extra`. Patterns live in mps.yaml.
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
from lxml.etree import ParserError, XPathError

from eintel.raw import ATTACHMENT_CONTENT_TYPE
from etl.models import CaseDraft, RawDocument
from etl.normalize.chinese_numerals import parse_chinese_integer
from etl.normalize.regions import find_province
from etl.sources.lawdatify_cases import (
    legal_basis_sentences,
    roundup_total,
    split_roundup,
    split_sentences,
)
from etl.sources.pbc import cell_text

logger = logging.getLogger(__name__)

PATTERNS_PATH = Path(__file__).with_name("mps.yaml")

# The case marker that starts a round-up case: 「一、」, 「案例一：」, 「1.」.
CASE_MARKER_RE = re.compile(r"^\s*(?:案\s*[例件]\s*)?(?:[一二三四五六七八九十]{1,3}|\d{1,2})\s*[、.．:：]?\s*")
# Characters that end a name at a list or clause boundary.
NAME_BREAK = "\\s，,。；;：:、“”\"（）()"
# A party followed by one of these is one of several (「李某某等人」, 「王某、李某」).
GROUP_MARKERS = ("等", "、", "和", "及", "与")


@dataclass
class Announcement:
    """Facts one document states about itself: title, date, issuer, site and where its text came from."""

    title: str
    publish_date: str
    issuer: str
    site_province: str
    has_attachments: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Patterns:
    """The compiled patterns of mps.yaml."""

    case_verbs: tuple[str, ...]
    party_lead: re.Pattern[str]
    non_party_starts: tuple[str, ...]
    organisation: re.Pattern[str]
    masked_person: re.Pattern[str]
    police_body: re.Pattern[str]
    issuer_in_source: re.Pattern[str]
    outcome_keywords: tuple[str, ...]
    suspects_arrested: tuple[re.Pattern[str], ...]
    data_volume: re.Pattern[str]
    case_evidence: re.Pattern[str]


@functools.cache
def load_patterns() -> Patterns:
    """Load and compile the patterns of mps.yaml once."""
    with PATTERNS_PATH.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle)
    suffixes = "|".join(re.escape(suffix) for suffix in raw["organisation_suffixes"])
    return Patterns(
        case_verbs=tuple(raw["case_verbs"]),
        party_lead=re.compile("|".join(re.escape(word) for word in raw["case_verbs"] + raw["party_lead_words"])),
        non_party_starts=tuple(raw["non_party_starts"]),
        organisation=re.compile(rf"[^{NAME_BREAK}]{{1,30}}?(?:{suffixes})"),
        masked_person=re.compile(raw["masked_person"]),
        police_body=re.compile(raw["police_body"]),
        issuer_in_source=re.compile(raw["issuer_in_source"]),
        outcome_keywords=tuple(raw["outcome_keywords"]),
        suspects_arrested=tuple(re.compile(pattern) for pattern in raw["suspects_arrested"]),
        data_volume=re.compile(raw["data_volume"]),
        case_evidence=re.compile(raw["case_evidence"]),
    )


def parse_document(doc: RawDocument) -> list[CaseDraft]:
    """Parse one article or attachment of the mps spider into one draft per reported case."""
    context = doc.meta.get("context") or {}
    if doc.content_type == ATTACHMENT_CONTENT_TYPE:
        text, info = attachment_text(doc, context)
    else:
        text, info = article_text(doc, context, doc.meta.get("fields") or {})
    if not text.strip():
        logger.warning("MPS document has no text to parse: document_id=%s url=%s", doc.document_id, doc.url)
        return []
    return case_drafts(doc, text, info)


def article_text(doc: RawDocument, context: dict[str, Any], fields: dict[str, Any]) -> tuple[str, Announcement]:
    """Return an article's body text (one line per paragraph) and the facts the article states about itself."""
    info = Announcement(
        title=str(fields.get("title") or context.get("list_title") or ""),
        publish_date=str(fields.get("date") or context.get("list_date") or ""),
        issuer=issuer_of(str(fields.get("source") or ""), str(fields.get("issuer") or context.get("issuer") or "")),
        site_province=str(context.get("province") or ""),
        has_attachments=bool(fields.get("attachments")),
        extra={"site": context.get("site", ""), "article_source": fields.get("source", "")},
    )
    tree = _parse_html(doc.content, doc.url)
    if tree is None:
        return "", info

    body_xpath = str(fields.get("body_xpath") or "")
    nodes = _select(tree, body_xpath, doc.url) if body_xpath else []
    if not nodes:
        # NOTE: the whole page includes menus and footers, so its parties and places are less certain.
        logger.warning("MPS article body not found by %r, reading the whole page: url=%s", body_xpath, doc.url)
        info.extra["body_from"] = "page"
        nodes = tree.xpath("//body") or [tree]
        for element in nodes[0].xpath(".//script | .//style | .//nav | .//header | .//footer"):
            element.drop_tree()
    if not info.title:
        info.title = " ".join(" ".join(tree.xpath("//title//text()")).split())
    return "\n".join(cell_text(node) for node in nodes), info


def attachment_text(doc: RawDocument, context: dict[str, Any]) -> tuple[str, Announcement]:
    """Return an attachment's extracted text and the facts of the article that links it."""
    info = Announcement(
        title=str(context.get("parent_title") or context.get("attachment_title") or ""),
        publish_date=str(context.get("parent_date") or ""),
        issuer=issuer_of(str(context.get("parent_source") or ""), str(context.get("issuer") or "")),
        site_province=str(context.get("province") or ""),
        extra={
            "site": context.get("site", ""),
            "parent_url": context.get("parent_url", ""),
            "attachment_title": context.get("attachment_title", ""),
        },
    )
    try:
        extracted = doc.json_content()
    except json.JSONDecodeError as error:
        logger.warning("MPS attachment content is not JSON: document_id=%s url=%s error=%s",
                       doc.document_id, doc.url, error)
        return "", info
    if not isinstance(extracted, dict):
        logger.warning("MPS attachment content is not a JSON object: document_id=%s url=%s", doc.document_id, doc.url)
        return "", info
    if extracted.get("error"):
        logger.warning("MPS attachment was not fully read: url=%s error=%s", doc.url, extracted["error"])
        info.extra["attachment_error"] = str(extracted["error"])[:300]
    info.extra["attachment_format"] = extracted.get("format", "")
    return str(extracted.get("text") or ""), info


def case_drafts(doc: RawDocument, text: str, info: Announcement) -> list[CaseDraft]:
    """Build one draft per numbered case of a round-up, else one for a text that reports a case."""
    segments = split_roundup(text)
    if len(segments) >= 2:
        total = roundup_total(info.title)
        drafts = []
        for position, segment in enumerate(segments, start=1):
            extra = {"roundup_position": position, "roundup_segments": len(segments)}
            if total is not None:
                extra["roundup_total"] = total
            heading = CASE_MARKER_RE.sub("", segment.split("\n", 1)[0]).strip()
            drafts.append(case_draft(doc, info, f"case-{position}", heading, segment, extra))
        return drafts

    if info.has_attachments:
        logger.debug("MPS article numbers no cases and links attachments; its cases come from them: url=%s", doc.url)
        return []
    if not load_patterns().case_evidence.search(text):
        logger.info("MPS document reports no case: url=%s title=%s", doc.url, info.title)
        return []
    return [case_draft(doc, info, "case", info.title, text, {})]


def case_draft(
    doc: RawDocument, info: Announcement, record_key: str, heading: str, text: str, extra: dict[str, Any]
) -> CaseDraft:
    """Build the draft of one case from its heading (or the article title) and its text."""
    party, party_from, group = find_party(heading, text)
    province, police = handling_police(heading, text)
    extra = {**info.extra, **extra, "party_from": party_from}
    if group:
        extra["party_group"] = True
    if police:
        extra["handling_police"] = police
    suspects = suspects_arrested(text)
    if suspects is not None:
        extra["suspects_arrested"] = suspects
    volume = data_volume(text)
    if volume:
        extra["data_volume"] = volume
    offence = offence_in_heading(heading, party)

    return CaseDraft(
        document_id=doc.document_id,
        source=doc.source,
        source_url=doc.url,
        record_key=record_key,
        title=info.title,
        party_raw=party,
        regulator_raw=info.issuer,
        publish_date_raw=info.publish_date,
        violation_raw=[offence] if offence else [],
        legal_basis_raw=legal_basis_sentences(text),
        penalty_raw="\n".join(outcome_sentences(text)),
        province_hint=province or info.site_province,
        summary=heading,
        text=text,
        extra=extra,
    )


def issuer_of(source: str, site_issuer: str) -> str:
    """Return the police body an article's source line names (来源：公安部网站 → 公安部), else the site's issuer."""
    match = load_patterns().issuer_in_source.match(source.strip())
    return match.group("issuer") if match else site_issuer


def find_party(heading: str, text: str) -> tuple[str, str, bool]:
    """Return (party, where it was found, whether the case names several) for one case, or ("", "", False).

    The party is the first company or masked person that follows a case verb (侦破, 查处 …)
    or a lead word (犯罪嫌疑人 …). The heading is searched before the text.
    """
    for where, value in (("heading", heading), ("text", text)):
        for match in load_patterns().party_lead.finditer(value):
            party, group = party_at_start(value[match.end():])
            if party:
                return party, f"{where} {match.group(0)}", group
    return "", "", False


def party_at_start(text: str) -> tuple[str, bool]:
    """Return the company or masked person a text starts with, and whether others are named with it."""
    patterns = load_patterns()
    value = text.lstrip()
    if value.startswith(patterns.non_party_starts):
        return "", False

    person = patterns.masked_person.match(value)
    # 「李某某等人利用某公司…」 names the person; 「某某科技有限公司」 names a company.
    if person and value[person.end():].startswith(GROUP_MARKERS):
        return person.group(0), True
    organisation = patterns.organisation.match(value)
    if organisation:
        name = organisation.group(0)
        return name, value[len(name):].startswith(GROUP_MARKERS)
    if person:
        return person.group(0), False
    return "", False


def handling_police(heading: str, text: str) -> tuple[str, str]:
    """Return (province, police body) of the first police body named with a known place, or ("", "")."""
    for value in (heading, text):
        for match in load_patterns().police_body.finditer(value):
            province = find_province(match.group("place"))
            if province:
                return province, match.group(0)
    return "", ""


def offence_in_heading(heading: str, party: str) -> str:
    """Return the offence a case heading names between the party and 案 (侵犯公民个人信息), or ""."""
    verbs = "|".join(re.escape(verb) for verb in load_patterns().case_verbs)
    match = re.search(rf"(?:{verbs})(?P<rest>[^。]*?)案", heading)
    if not match:
        return ""
    rest = match.group("rest")
    if party and party in rest:
        rest = rest[rest.index(party) + len(party):]
    # Co-parties and 「等人」 after the party: 「李某某、王某等人侵犯…」.
    rest = re.sub(rf"^(?:、(?:{load_patterns().masked_person.pattern}))*(?:等人|等)?", "", rest)
    for start in load_patterns().non_party_starts:
        rest = rest.removeprefix(start)
    return rest.strip()


def outcome_sentences(text: str) -> list[str]:
    """List the sentences of a case that state an outcome (刑事拘留, 逮捕, 行政处罚, 罚款 …)."""
    keywords = load_patterns().outcome_keywords
    return [sentence for sentence in split_sentences(text) if any(keyword in sentence for keyword in keywords)]


def suspects_arrested(text: str) -> int | None:
    """Return the number of suspects a case text reports as arrested (抓获犯罪嫌疑人12名 → 12), or None."""
    for pattern in load_patterns().suspects_arrested:
        match = pattern.search(text)
        if match:
            return parse_chinese_integer(match.group("count"))
    return None


def data_volume(text: str) -> str:
    """Return the first data volume a case text states (「10万余条」), as written, or ""."""
    match = load_patterns().data_volume.search(text)
    return re.sub(r"\s+", "", match.group("volume")) if match else ""


def _parse_html(html: str, url: str) -> lxml.html.HtmlElement | None:
    if not html.strip():
        return None
    try:
        return lxml.html.fromstring(html)
    except (ParserError, ValueError) as error:
        logger.warning("MPS page is not parseable HTML: url=%s error=%s", url, error)
        return None


def _select(tree: lxml.html.HtmlElement, xpath: str, url: str) -> list[lxml.html.HtmlElement]:
    try:
        found = tree.xpath(xpath)
    except XPathError as error:
        logger.warning("MPS body XPath %r is invalid: url=%s error=%s", xpath, url, error)
        return []
    return [node for node in found if isinstance(node, lxml.html.HtmlElement)] if isinstance(found, list) else []
