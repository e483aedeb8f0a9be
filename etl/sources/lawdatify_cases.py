"""Parse lawdatify cases records (cases.json and local_amr.jsonl) into case drafts.

One draft per record, except for round-ups (「公布5起…典型案例」): a round-up that lists
cases under markers (「一、」, 「案例一」, 「1.」 or 「XX局查处YYY…案」) gives one draft per
listed case that names a party, with record key "case-<n>". Upstream's `fact` is a text
excerpt of the official page, often cut off, and its `fines` lists every amount found in
the text (confiscation, fine and their total can all appear), so both stay raw here. The
party is taken only where the text names it in a known form, else left empty:

- 「当事人：XXX」 in decision texts (行政处罚决定书);
- a 行政处罚信息公开表 title that starts with the party (「李明销售…案」);
- 「查处XXX有限公司…」 in news, when exactly one organisation is named that way;
- in a round-up case, the organisation after 查处, the organisation that starts the case
  heading, or an anonymised person after 查处 (「查处朱某…」).
"""

from __future__ import annotations

import functools
import logging
import re
from pathlib import Path
from typing import Any

import yaml

from etl.models import CaseDraft, RawDocument
from etl.normalize.chinese_numerals import parse_chinese_integer

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

# A round-up case marker counts only at the start of the text or after one of these, so
# 「统一、规范」 is no marker.
MARKER_BOUNDARY = r"(?<![^\s。；;：:！？!?”])"

# Case markers of round-ups, tried in this order. The first kind that gives case 1 wins.
# 「（一）案件介绍」 sub-headings are no markers, because a bracket precedes their numeral.
CASE_LABEL_RE = re.compile(r"案\s*[例件]\s*(?P<number>[一二三四五六七八九十]{1,3}|\d{1,2})(?![批起件个则\d])")
CHINESE_ORDINAL_RE = re.compile(MARKER_BOUNDARY + r"(?P<number>[一二三四五六七八九十]{1,3})\s*、")
DOTTED_NUMBER_RE = re.compile(MARKER_BOUNDARY + r"(?P<number>\d{1,2})\s*[.．](?!\d)")

# The case count a round-up title states: 「公布5起」, 「六起」, 「5件」, 「十大」.
ROUNDUP_TOTAL_RE = re.compile(r"(?P<number>\d{1,3}|[零〇一二三四五六七八九十两]{1,4})\s*(?:起|件|个|大)")

# 「查处朱某…」: the anonymised name of a person, surname plus 某.
# NOTE: a given name after 某 (「倪某倩」) is cut off, because 「朱某侵犯」 reads the same way.
ANONYMISED_PERSON_RE = re.compile(r"[\u4e00-\u9fa5]某{1,2}")

# Characters that end a clause, so a 「XX局查处YYY…案」 case starts after the last of them.
CLAUSE_BOUNDARY_CHARS = "。；;，,：:“”\"!！?？ \t\n"

# A fact that ends in none of these was cut off mid-sentence by upstream.
SENTENCE_FINAL_CHARS = "。！？!?；;…”」』"

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
    """Parse one lawdatify_cases document into drafts of raw strings: one per round-up case, else one."""
    record = doc.json_content()
    title = _text(record.get("title"))
    fact = strip_page_chrome(_text(record.get("fact")))
    kind = _text(record.get("kind"))
    party, party_from, mentioned = extract_party(title, fact, kind)

    if not party and (is_roundup_title(title) or len(mentioned) > 1):
        drafts = roundup_drafts(doc, record, title, fact)
        if drafts:
            return drafts

    extra = _record_extra(doc, record)
    if party_from:
        extra["party_from"] = party_from
    if mentioned:
        extra["parties_mentioned"] = mentioned

    draft = CaseDraft(
        document_id=doc.document_id,
        source=doc.source,
        source_url=doc.url,
        record_key="case",
        title=title,
        party_raw=party,
        decision_number_raw=_text(record.get("caseno")) or decision_number_from_title(title),
        regulator_raw=_record_regulator(record),
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


def roundup_drafts(doc: RawDocument, record: dict[str, Any], title: str, fact: str) -> list[CaseDraft]:
    """Build one draft per case of a round-up that names a party, or return [] when none does.

    Each draft has record key "case-<n>", n being the case's 1-based position in the
    round-up, and only the case's own text, penalty sentences, provisions and the
    upstream `fines` strings found in that text.
    """
    segments = split_roundup(fact)
    total = roundup_total(title)
    fines = [_text(amount) for amount in record.get("fines") or [] if _text(amount)]
    laws = record.get("laws") if len(segments) == 1 else None

    drafts: list[CaseDraft] = []
    for position, segment in enumerate(segments, start=1):
        party, party_from = roundup_party(segment)
        if not party:
            logger.debug("round-up case without a party: document=%s position=%d", doc.document_id, position)
            continue

        extra = _record_extra(doc, record)
        extra.update({"party_from": party_from, "roundup_position": position, "roundup_segments": len(segments)})
        if total is not None:
            extra["roundup_total"] = total
        co_parties = co_parties_after(segment, party)
        if co_parties:
            extra["co_parties_mentioned"] = co_parties
        if position == len(segments) and fact and fact[-1] not in SENTENCE_FINAL_CHARS:
            extra["truncated"] = True

        drafts.append(CaseDraft(
            document_id=doc.document_id,
            source=doc.source,
            source_url=doc.url,
            record_key=f"case-{position}",
            title=title,
            party_raw=party,
            decision_number_raw=_text(record.get("caseno")) or decision_number_from_title(title),
            regulator_raw=regulator_in_case(segment) or _record_regulator(record),
            decision_date_raw=decision_date_from_text(segment),
            publish_date_raw=_text(record.get("date")),
            legal_basis_raw=_legal_basis(laws, segment),
            penalty_raw="\n".join(penalty_sentences(segment)),
            amounts_raw=amounts_in_text(fines, segment),
            domain_hint=_text(record.get("type")),
            text=segment,
            extra=extra,
        ))
    return drafts


def split_roundup(fact: str) -> list[str]:
    """Split a round-up's text into its listed cases, dropping the introduction before the first.

    Case markers are tried in order: 「案例一」/「案件1」, 「一、」, 「1.」 (only before a
    查处 heading), then the 「XX局查处YYY…案」 clause. Only a run numbered 1, 2, 3 … counts.
    """
    for pattern, needs_chachu in ((CASE_LABEL_RE, False), (CHINESE_ORDINAL_RE, False), (DOTTED_NUMBER_RE, True)):
        starts = numbered_marker_starts(fact, pattern, needs_chachu)
        if starts:
            return _cut(fact, starts)
    return _cut(fact, chachu_clause_starts(fact))


def numbered_marker_starts(text: str, pattern: re.Pattern[str], needs_chachu: bool) -> list[int]:
    """Return where the case-level markers numbered 1, 2, 3 … start in text, or []."""
    starts: list[int] = []
    expected = 1
    for match in pattern.finditer(text):
        if parse_chinese_integer(match.group("number")) != expected:
            continue
        if not _is_case_heading(_heading(text, match.end()), needs_chachu):
            continue
        starts.append(match.start())
        expected += 1
    return starts


def chachu_clause_starts(text: str) -> list[int]:
    """Return where each 「XX局查处YYY…案」 clause naming a new party starts in text."""
    starts: list[int] = []
    previous_party = ""
    for match in re.finditer(r"(?<=[局委队])查处", text):
        party = _party_at_start(text[match.end():])
        rest_of_sentence = re.split(r"[。！？]", text[match.end():], maxsplit=1)
        cut_off = len(rest_of_sentence) == 1
        if not party or party == previous_party or not ("案" in rest_of_sentence[0] or cut_off):
            continue

        clause_start = max(text.rfind(char, 0, match.start()) for char in CLAUSE_BOUNDARY_CHARS) + 1
        starts.append(clause_start)
        previous_party = party
    return starts


def roundup_party(segment: str) -> tuple[str, str]:
    """Return the party one round-up case names and where it was found, or ("", "")."""
    for match in re.finditer(r"查处", segment):
        organisation = _organisation_at_start(segment[match.end():].lstrip())
        if organisation:
            return organisation, "round-up 查处"

    heading = re.sub(r"^(?:案\s*[例件]\s*)?[一二三四五六七八九十\d]{0,3}\s*[、.．:：]?\s*", "", segment)
    organisation = _organisation_at_start(heading)
    # A heading that starts with a bureau (「XX市场监管局根据举报对甲公司…」, 「甲区局对多家门店…」)
    # names no party at its start.
    if organisation and "局" not in organisation:
        return organisation, "round-up heading"

    person = re.search(r"查处\s*(" + ANONYMISED_PERSON_RE.pattern + ")", segment)
    if person and not person.group(1).startswith("某"):
        return person.group(1), "round-up 查处"
    return "", ""


def co_parties_after(segment: str, party: str) -> list[str]:
    """List the further parties a case heading joins to the first with 、 (「查处甲公司、乙公司、徐某…案」)."""
    found: list[str] = []
    rest = segment[segment.find(party) + len(party):]
    while rest.startswith("、"):
        rest = rest[1:]
        name = _party_at_start(rest)
        if not name:
            break
        found.append(name)
        rest = rest[len(name):]
    return found


def regulator_before_chachu(segment: str) -> str:
    """Return the market regulator named right before the first 查处 of a case, or ""."""
    return _regulator_name(segment, r"[\u4e00-\u9fa5]{0,8}?查处")


def regulator_in_case(segment: str) -> str:
    """Return the market regulator of a round-up case: the one before 查处, else the first named, or ""."""
    return regulator_before_chachu(segment) or _regulator_name(segment, "")


def _regulator_name(segment: str, follower: str) -> str:
    patterns = load_patterns()["cases"]
    endings = "|".join(re.escape(ending) for ending in patterns["regulator_name_endings"])
    match = re.search(rf"([\u4e00-\u9fa5]{{2,40}}?(?:{endings})){follower}", segment)
    if not match:
        return ""

    # The match starts at the first Chinese character of the clause, which can be a lead-in.
    name = match.group(1)
    for word in patterns["regulator_lead_words"]:
        position = name.rfind(word)
        if position >= 0 and len(name) - position - len(word) >= 4:
            name = name[position + len(word):]
    return name


def roundup_total(title: str) -> int | None:
    """Return the case count a round-up title states (「公布5起」→5, 「六起」→6), or None."""
    match = ROUNDUP_TOTAL_RE.search(title)
    return parse_chinese_integer(match.group("number")) if match else None


def amounts_in_text(amounts: list[str], text: str) -> list[str]:
    """Keep the distinct amount strings that occur in text as a whole number (「5万元」 not inside 「15万元」)."""
    compact = re.sub(r"\s+", "", text)
    found: list[str] = []
    for amount in amounts:
        if amount not in found and re.search(rf"(?<![\d.．]){re.escape(amount)}", compact):
            found.append(amount)
    return found


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
    """Return the party a 行政处罚信息公开表 title starts with (「李明销售…案」), or ""."""
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


def _heading(text: str, start: int) -> str:
    """Return text from start to the end of its sentence, at most 150 characters."""
    return re.split(r"[。\n]", text[start:start + 150], maxsplit=1)[0]


def _is_case_heading(heading: str, needs_chachu: bool) -> bool:
    if "查处" in heading:
        return True
    return not needs_chachu and ("案" in heading or bool(_organisation_at_start(heading.lstrip("：: "))))


def _cut(text: str, starts: list[int]) -> list[str]:
    ends = starts[1:] + [len(text)]
    return [text[start:end].strip() for start, end in zip(starts, ends)]


def _party_at_start(text: str) -> str:
    organisation = _organisation_at_start(text)
    if organisation:
        return organisation
    person = ANONYMISED_PERSON_RE.match(text)
    return person.group(0) if person and not person.group(0).startswith("某") else ""


def _record_extra(doc: RawDocument, record: dict[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {
        "kind": _text(record.get("kind")),
        "upstream_type": _text(record.get("type")),
        "attachments": list(record.get("attach") or []),
        "page_record": str(doc.meta.get("record_key", "")),
        "upstream_org": _text(record.get("org")),
    }
    if record.get("src"):
        extra["upstream_src"] = record["src"]
    return extra


def _record_regulator(record: dict[str, Any]) -> str:
    return _text(record.get("agency")) or _text(record.get("org"))


def _legal_basis(laws: Any, fact: str) -> list[str]:
    items = [_text(law) for law in laws or [] if _text(law)]
    for sentence in legal_basis_sentences(fact):
        if sentence not in items:
            items.append(sentence)
    return items


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()
