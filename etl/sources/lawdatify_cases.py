"""Parse lawdatify cases records (cases.json and local_amr.jsonl) into case drafts.

One draft per record. Upstream's `fact` is a text excerpt of the official page, often cut
off, and its `fines` lists every amount found in the text (confiscation, fine and their
total can all appear), so both stay raw here. The party is taken only where the text
names it in a known form, else left empty:

- 「当事人：XXX」 in decision texts (行政处罚决定书);
- a 行政处罚信息公开表 title that starts with the party (「肖鹏销售…案」);
- 「查处XXX有限公司…」 in news, when exactly one organisation is named that way.
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path
from typing import Any

import yaml

from etl.models import CaseDraft, RawDocument

logger = logging.getLogger(__name__)

PATTERNS_PATH = Path(__file__).with_name("lawdatify.yaml")

PUBLIC_TABLE_KIND = "行政处罚信息公开表"

# Decision number (文号) in a title: issuer abbreviation, year in any bracket form, number or range.
DECISION_NUMBER_RE = re.compile(
    r"[\u4e00-\u9fa5A-Za-z]{2,}[〔\[［（(【]\s*\d{4}\s*[〕\]］）)】]\s*第?\s*[\dA-Za-z\-－—、]+\s*号"
)

DOCUMENT_NAME_PREFIX_RE = re.compile(r"^.*(?:公告|决定书|告知书|通知书)")

# A cited provision such as 《专利代理条例》第二十五条 or 《规定》(国家知识产权局令第77号)第三条.
LEGAL_CITATION_RE = re.compile(
    r"《[^《》]{2,80}》\s*(?:[（(][^（）()]{0,40}[）)])?\s*第[一二三四五六七八九十百千零〇两\d]+条"
)

SENTENCE_END_RE = re.compile(r"(?<=[。；;！？!?])|\n+")

PARTY_LINE_RE = re.compile(r"当事人\s*[:：]\s*([^\s，,。；;]+)")

# Words that end a name, so 「甲有限公司在其门店」 does not read as a branch shop.
BRANCH_STOP_WORDS = ("在", "于", "向", "对", "从", "的", "未", "销售", "经营")

DATE_TEXT = r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日"

DECISION_DATE_RES = (
    re.compile(rf"作出(?:行政)?处罚决定(?:的)?日期\s*[:：]\s*({DATE_TEXT})"),
    re.compile(rf"决定日期\s*[:：]\s*({DATE_TEXT})"),
    re.compile(rf"({DATE_TEXT})\s*(?:依法)?(?:对[^。，]{{0,12}})?作出[^。]{{0,8}}处罚决"),
)


@functools.cache
def load_patterns() -> dict[str, Any]:
    """Load the text patterns of the lawdatify datasets from lawdatify.yaml."""
    with PATTERNS_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def parse_document(doc: RawDocument) -> list[CaseDraft]:
    """Parse one lawdatify_cases document into one draft of raw strings."""
    record = doc.json_content()
    title = _text(record.get("title"))
    fact = strip_page_chrome(_text(record.get("fact")))
    kind = _text(record.get("kind"))
    party, party_from, mentioned = extract_party(title, fact, kind)

    extra: dict[str, Any] = {
        "kind": kind,
        "upstream_type": _text(record.get("type")),
        "attachments": list(record.get("attach") or []),
        "page_record": str(doc.meta.get("record_key", "")),
        "upstream_org": _text(record.get("org")),
    }
    if party_from:
        extra["party_from"] = party_from
    if mentioned:
        extra["parties_mentioned"] = mentioned
    if record.get("src"):
        extra["upstream_src"] = record["src"]

    draft = CaseDraft(
        document_id=doc.document_id,
        source=doc.source,
        source_url=doc.url,
        record_key="case",
        title=title,
        party_raw=party,
        decision_number_raw=_text(record.get("caseno")) or decision_number_from_title(title),
        regulator_raw=_text(record.get("agency")) or _text(record.get("org")),
        decision_date_raw=decision_date_from_text(fact),
        publish_date_raw=_text(record.get("date")),
        legal_basis_raw=_legal_basis(record.get("laws"), fact),
        penalty_raw="\n".join(penalty_sentences(fact)),
        amounts_raw=[_text(amount) for amount in record.get("fines") or [] if _text(amount)],
        domain_hint=_text(record.get("type")),
        text=fact,
        extra=extra,
    )
    return [draft]


def strip_page_chrome(fact: str) -> str:
    """Remove page widgets that upstream cut into the start of a fact (font-size switch, table toggle)."""
    text = fact.strip()
    for prefix in load_patterns()["cases"]["page_chrome_prefixes"]:
        if text.startswith(prefix):
            text = text[len(prefix):].strip()
    return text


def extract_party(title: str, fact: str, kind: str) -> tuple[str, str, list[str]]:
    """Find the party a record names and return (party, where it was found, organisations mentioned).

    The party is empty when no known form names exactly one party, or when the title
    announces a round-up of several cases. The third value then lists every organisation
    found after 查处 (investigated), so none is lost.
    """
    match = PARTY_LINE_RE.search(fact)
    if match:
        return match.group(1), "当事人 line", []

    if kind == PUBLIC_TABLE_KIND:
        party = party_from_title(title)
        if party:
            return party, "title", []

    mentioned = organisations_after_chachu(fact) or organisations_after_chachu(title)
    if len(mentioned) == 1 and not is_roundup_title(title):
        return mentioned[0], "查处 sentence", []
    return "", "", mentioned


def is_roundup_title(title: str) -> bool:
    """Tell whether a title announces several cases (「公布5起…典型案例」), which name no single party."""
    return any(marker in title for marker in load_patterns()["cases"]["roundup_title_markers"])


def party_from_title(title: str) -> str:
    """Return the party a 行政处罚信息公开表 title starts with (「肖鹏销售…案」), or ""."""
    patterns = load_patterns()["cases"]
    text = title.strip()
    if not text or text.startswith(tuple(patterns["title_non_party_starts"])):
        return ""

    organisation = _organisation_at_start(text)
    if organisation:
        return organisation

    verbs = "|".join(re.escape(verb) for verb in patterns["title_person_verbs"])
    person = re.match(rf"([\u4e00-\u9fa5·]{{2,4}}?)(?:{verbs})", text)
    return person.group(1) if person else ""


def organisations_after_chachu(text: str) -> list[str]:
    """List the distinct organisations named right after 查处 (investigated), in order."""
    found: list[str] = []
    for match in re.finditer(r"查处", text):
        organisation = _organisation_at_start(text[match.end():])
        if organisation and organisation not in found:
            found.append(organisation)
    return found


def _organisation_at_start(text: str) -> str:
    suffixes = load_patterns()["cases"]["organisation_suffixes"]
    alternatives = "|".join(re.escape(suffix) for suffix in suffixes)
    match = re.match(
        rf"[^\s，,。；;：:“”\"、]{{2,40}}?(?:{alternatives})", text
    )
    if not match or match.group(0).startswith(("了", "一批", "多家", "各类")):
        return ""

    name = match.group(0)
    if name.count("（") + name.count("(") != name.count("）") + name.count(")"):
        return ""

    # The shortest match can stop inside a longer name: 「…口腔门诊部」 of 「…口腔门诊部有限公司」.
    company_forms = tuple(suffix for suffix in suffixes if suffix.endswith("公司"))
    rest = text[len(name):]
    while rest.startswith(company_forms):
        form = next(form for form in company_forms if rest.startswith(form))
        name += form
        rest = rest[len(form):]

    bracketed = re.match(r"[（(][^（）()]{1,20}[）)]", rest)
    if bracketed:
        return name + bracketed.group(0)

    # A branch shop named after its company: 「国控**医药连锁有限公司**店」.
    branch = re.match(r"[^\s，,。；;：:“”、]{1,8}?(?:分公司|分店|店)", rest)
    if branch and not any(word in branch.group(0) for word in BRANCH_STOP_WORDS):
        name += branch.group(0)
    return name


def decision_number_from_title(title: str) -> str:
    """Return the first decision number (文号) such as 粤市监处罚〔2026〕14号 in a title, or ""."""
    match = DECISION_NUMBER_RE.search(title)
    if not match:
        return ""

    # The issuer abbreviation can follow the document's name without a bracket:
    # 「送达公告青黄市监罚送告〔2026〕7380-7442号」.
    return DOCUMENT_NAME_PREFIX_RE.sub("", match.group(0))


def decision_date_from_text(fact: str) -> str:
    """Return the decision date a text states (「2024年3月6日对当事人作出行政处罚决定」), or ""."""
    for pattern in DECISION_DATE_RES:
        match = pattern.search(fact)
        if match:
            return match.group(1)
    return ""


def penalty_sentences(fact: str) -> list[str]:
    """List the sentences of a fact that state a penalty (罚款, 没收, 警告, 责令 …)."""
    keywords = tuple(load_patterns()["cases"]["penalty_keywords"])
    return [sentence for sentence in split_sentences(fact) if any(word in sentence for word in keywords)]


def legal_basis_sentences(fact: str) -> list[str]:
    """List the sentences of a fact that cite a provision (《…》第…条)."""
    return [sentence for sentence in split_sentences(fact) if LEGAL_CITATION_RE.search(sentence)]


def split_sentences(text: str) -> list[str]:
    """Split Chinese text after 。；;！？ and at line breaks, dropping empty pieces."""
    return [piece.strip() for piece in SENTENCE_END_RE.split(text) if piece.strip()]


def _legal_basis(laws: Any, fact: str) -> list[str]:
    items = [_text(law) for law in laws or [] if _text(law)]
    for sentence in legal_basis_sentences(fact):
        if sentence not in items:
            items.append(sentence)
    return items


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()
