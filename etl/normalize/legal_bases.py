"""Legal bases (处罚依据): cited laws and articles, such as 《个人信息保护法》第六十六条第一款.

`normalize_law_title` gives one canonical title per law. `extract_legal_bases` reads every
《law》第…条 citation in a text, including lists of articles (第四十一条、第六十四条第一款)
and references back to the last law (该法第二十条). `legal_bases_from_titles` turns an
upstream list of law titles into legal bases without articles.

Aliases and the words that mark a title as a legal instrument live in
etl/data/law_aliases.yaml.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from etl.models import LegalBasis, ParseWarning
from etl.normalize.chinese_numerals import parse_chinese_integer, to_ascii_digits, to_chinese_numeral

logger = logging.getLogger(__name__)

ALIASES_PATH = Path(__file__).resolve().parent.parent / "data" / "law_aliases.yaml"

NATIONAL_PREFIX = "中华人民共和国"

_NUMBER = r"[\dA-Za-z*零〇○一二三四五六七八九十百千两]{1,8}"

TITLE_RE = re.compile(r"《(?P<title>[^《》]{1,80})》")

# 「该法第二十条」, 「本条例第十条」: a citation of the law named last.
BACK_REFERENCE_RE = re.compile(r"(?:该|本|同|上述|前述)(?:法律|法|条例|规定|办法|细则|规则|决定)")

ARTICLE_RE = re.compile(rf"\s*第\s*(?P<number>{_NUMBER})\s*条(?P<suffix>之[一二三四五六七八九十]+)?")
# The unit may be missing only after a numeral in brackets: 「第二十五条第（二）规定」.
# Chinese laws write the numerals of items (项) in brackets, （一）（二）, while paragraphs (款)
# carry no numeral and sub-items (目) are written 1. 2., so the bracketed numeral is read
# as an item. A bare 「第二」 without unit is left unread, because it could be any of the three.
CLAUSE_RE = re.compile(
    rf"\s*第\s*(?P<open>[（(])?\s*(?P<number>{_NUMBER})\s*(?P<close>[）)])?\s*(?P<unit>款|项|目)?(?!\s*条)"
)
SEPARATOR_RE = re.compile(r"\s*(?:以及|、|，|,|和|及|与|或|/)\s*")
AMENDMENT_NOTE_RE = re.compile(r"\s*[（(][^（）()]{0,12}(?:修正|修订|修改)[^（）()]{0,4}[）)]")
TRAILING_AMENDMENT_NOTE_RE = re.compile(AMENDMENT_NOTE_RE.pattern + "$")

# Between a title and its articles: a note in brackets (order number, amendment) and 的.
CITATION_LEAD_RE = re.compile(r"\s*(?:[（(][^（）()《》]{1,24}[）)])?\s*的?")

# Any 第…条 in the text, to report the ones that no citation covers.
ANY_ARTICLE_RE = re.compile(rf"第\s*(?P<number>{_NUMBER})\s*条")

# 「（以下简称《个保法》）」 defines a short title for the law before it.
SHORT_TITLE_MARKERS = ("简称", "下称")

_CJK = r"\u3400-\u9fff\uff00-\uffef\u3000-\u303f《》〈〉"


@dataclass
class _Citation:
    """The state of one article list: the article and the 款 of the last item read."""

    law: str
    article: int | None = None
    paragraph: str = ""


@cache
def _title_data() -> dict[str, object]:
    with ALIASES_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def law_aliases() -> dict[str, str]:
    """Load the alias table (short or variant title → canonical title) once per process."""
    return dict(_title_data()["aliases"])  # type: ignore[arg-type]


def instrument_suffixes() -> tuple[str, ...]:
    """Load the title endings that mark a legal instrument (法, 条例, 办法 …)."""
    return tuple(_title_data()["instrument_suffixes"])  # type: ignore[arg-type]


def normalize_law_title(title: str) -> str:
    """Return the canonical title of a law or regulation.

    Removes 《》 and the spaces between Chinese characters (「市场监 督管理行政处罚听证办法」),
    writes ASCII parentheses full width and nested <> as 〈〉, drops a trailing amendment
    note (「（2019年修正）」) and the leading 「中华人民共和国」, then applies the alias table.
    Dropping 「中华人民共和国」 makes 《中华人民共和国个人信息保护法》 and 《个人信息保护法》 one
    law, as decisions cite both; the national laws are the only ones that carry it.
    """
    text = to_ascii_digits(title).strip().strip("《》").strip()
    text = text.replace("(", "（").replace(")", "）").replace("<", "〈").replace(">", "〉")

    text = re.sub(rf"(?<=[{_CJK}])\s+|\s+(?=[{_CJK}])", "", text)
    text = re.sub(r"\s+", " ", text)

    text = TRAILING_AMENDMENT_NOTE_RE.sub("", text)
    if text.startswith(NATIONAL_PREFIX) and len(text) > len(NATIONAL_PREFIX):
        text = text[len(NATIONAL_PREFIX) :]

    return law_aliases().get(text, text)


def is_legal_instrument(title: str) -> bool:
    """Tell whether a canonical title names a law, regulation, rule or standard by its ending.

    A trailing parenthesis such as （试行） or （征求意见稿） is ignored for the check.
    """
    core = re.sub(r"（[^（）]*）$", "", title)
    return any(core.endswith(suffix) and len(core) > len(suffix) for suffix in instrument_suffixes())


def legal_bases_from_titles(
    titles: list[str], warnings: list[ParseWarning] | None = None
) -> list[LegalBasis]:
    """Turn a list of law titles (the upstream `laws` field) into legal bases without articles.

    Titles are normalized and deduplicated in order. A title that names no legal instrument
    (「检验报告」, 「行政处罚决定书」) is left out. When a `warnings` list is passed, each title
    left out is added to it as a warning of kind "legal_basis_not_a_law".
    """
    bases: list[LegalBasis] = []
    seen: set[str] = set()

    for title in titles:
        law = normalize_law_title(title) if isinstance(title, str) else ""
        if law and is_legal_instrument(law):
            if law not in seen:
                seen.add(law)
                bases.append(LegalBasis(law=law))
            continue

        logger.debug("Title is not a legal instrument: %r", title)
        if warnings is not None:
            warnings.append(
                ParseWarning(
                    kind="legal_basis_not_a_law",
                    field="legal_bases",
                    raw=str(title),
                    message="title names no law, regulation, rule or standard",
                )
            )

    return bases


def extract_legal_bases(text: str) -> tuple[list[LegalBasis], list[ParseWarning]]:
    """Read every cited law and article of a text, in order, without duplicates.

    《网络安全法》第四十一条、第六十四条第一款 gives two bases of one law; 第八条第一款、第二款
    gives 第一款 and 第二款 of article 8. Article numbers in Chinese or Arabic numerals become
    ints; clauses are written in Chinese numerals (第一款, 第（二）项). A bracketed numeral
    without unit (「第二十五条第（二）规定」) is an item, 第（二）项. 「该法」/「本法」 cite
    the law named last. A law named without any article gives LegalBasis(law, None),
    but only for a title that names a legal instrument and is not also cited with an article.
    A 第…条 that belongs to no law, or whose number does not parse, gives a warning of kind
    "legal_basis_unparsed".
    """
    # NOTE: only titles in 《》 are read. A law named without them (「依据个人信息保护法第六十六条」)
    # gives an "article is not tied to a law" warning.
    prepared = to_ascii_digits(text or "")
    bases: list[LegalBasis] = []
    warnings: list[ParseWarning] = []
    covered: list[tuple[int, int]] = []
    short_titles: dict[str, str] = {}
    last_law: str | None = None

    for anchor_start, anchor_end, law in _anchors(prepared, short_titles):
        if law is None:
            law = last_law
        if law is None:
            continue

        found, end = _read_article_list(prepared, anchor_end, law, warnings)
        covered.append((anchor_start, end))
        last_law = law

        if found:
            bases.extend(found)
        elif prepared[anchor_start] == "《" and is_legal_instrument(law):
            bases.append(LegalBasis(law=law))

    warnings.extend(_uncovered_articles(prepared, covered))
    return deduplicate_legal_bases(bases), warnings


def _anchors(text: str, short_titles: dict[str, str]) -> list[tuple[int, int, str | None]]:
    """List the law titles and back references in order, with the law each one names.

    A back reference has law None, meaning the law named last. A short title defined by
    「以下简称《…》」 is registered in `short_titles` and is not an anchor itself.
    """
    anchors: list[tuple[int, int, str | None]] = []
    last_law: str | None = None

    for match in TITLE_RE.finditer(text):
        law = normalize_law_title(match.group("title"))
        before = text[max(0, match.start() - 4) : match.start()]
        if last_law and any(marker in before for marker in SHORT_TITLE_MARKERS):
            short_titles[law] = last_law
            continue

        law = short_titles.get(law, law)
        anchors.append((match.start(), match.end(), law))
        last_law = law

    for match in BACK_REFERENCE_RE.finditer(text):
        if ARTICLE_RE.match(text, match.end()):
            anchors.append((match.start(), match.end(), None))

    anchors.sort(key=lambda anchor: anchor[0])
    return anchors


def _read_article_list(
    text: str, position: int, law: str, warnings: list[ParseWarning]
) -> tuple[list[LegalBasis], int]:
    """Read the 第…条 items after a law title and return the bases with the end of the list."""
    # 「《规范申请专利行为的规定》（国家知识产权局令第77号）第三条」, 「《…条例》的第八条」.
    lead = CITATION_LEAD_RE.match(text, position)
    if lead:
        position = lead.end()

    bases: list[LegalBasis] = []
    citation = _Citation(law=law)
    item = _read_item(text, position, citation, warnings)

    while item is not None:
        basis, position = item
        if basis is not None:
            bases.append(basis)

        separator = SEPARATOR_RE.match(text, position)
        if separator is None:
            break
        item = _read_item(text, separator.end(), citation, warnings)

    return bases, position


def _read_item(
    text: str, position: int, citation: _Citation, warnings: list[ParseWarning]
) -> tuple[LegalBasis | None, int] | None:
    """Read one 第…条 with its clauses, or a clause alone that continues the last article."""
    article_match = ARTICLE_RE.match(text, position)
    if article_match:
        article = parse_chinese_integer(article_match.group("number"))
        if article is None:
            warnings.append(_unparsed(text, article_match.start(), article_match.end(), "article number does not parse"))
            citation.article = None
            return None, article_match.end()

        citation.article = article
        citation.paragraph = ""
        clause, end = _read_clauses(text, article_match.end(), citation, warnings)
        suffix = article_match.group("suffix") or ""
        return LegalBasis(law=citation.law, article=article, clause=suffix + clause), end

    clause_match = _clause_match(text, position)
    if clause_match and citation.article is not None:
        clause, end = _read_clauses(text, position, citation, warnings)
        return LegalBasis(law=citation.law, article=citation.article, clause=clause), end
    return None


def _read_clauses(text: str, position: int, citation: _Citation, warnings: list[ParseWarning]) -> tuple[str, int]:
    """Read 第X款, 第（X）项 and 第X目 after an article; a 项 alone keeps the last 款 of the list."""
    parts: list[str] = []
    first = True

    for match in _iterate_clauses(text, position):
        number = parse_chinese_integer(match.group("number"))
        if number is None or not 0 < number < 10_000:
            warnings.append(_unparsed(text, match.start(), match.end(), "clause number does not parse"))
            position = match.end()
            continue

        unit = _clause_unit(match)
        if unit == "款":
            citation.paragraph = f"第{to_chinese_numeral(number)}款"
            parts.append(citation.paragraph)
        elif unit == "项":
            if first and citation.paragraph:
                parts.append(citation.paragraph)
            parts.append(f"第（{to_chinese_numeral(number)}）项")
        else:
            parts.append(f"第{to_chinese_numeral(number)}目")

        first = False
        position = match.end()

    return "".join(parts), position


def _iterate_clauses(text: str, position: int) -> list[re.Match[str]]:
    matches: list[re.Match[str]] = []
    match = _clause_match(text, position)
    while match:
        matches.append(match)
        match = _clause_match(text, match.end())
    return matches


def _clause_match(text: str, position: int) -> re.Match[str] | None:
    """Match a 第…款/项/目 at the position, or a bracketed 第（二） without unit."""
    match = CLAUSE_RE.match(text, position)
    return match if match and _clause_unit(match) else None


def _clause_unit(match: re.Match[str]) -> str | None:
    if match.group("unit"):
        return match.group("unit")
    if match.group("open") and match.group("close"):
        return "项"
    return None


def _uncovered_articles(text: str, covered: list[tuple[int, int]]) -> list[ParseWarning]:
    warnings: list[ParseWarning] = []
    for match in ANY_ARTICLE_RE.finditer(text):
        inside = any(start <= match.start() < end for start, end in covered)
        in_title = _inside_title(text, match.start())
        if not inside and not in_title:
            warnings.append(_unparsed(text, match.start(), match.end(), "article is not tied to a law"))
    return warnings


def _inside_title(text: str, position: int) -> bool:
    """Tell whether a position lies between 《 and 》 (「《…第22部分…》」 is part of a title)."""
    opening = text.rfind("《", 0, position)
    closing = text.rfind("》", 0, position)
    return opening > closing


def _unparsed(text: str, start: int, end: int, reason: str) -> ParseWarning:
    snippet = re.sub(r"\s+", " ", text[max(0, start - 12) : end + 4]).strip()
    logger.debug("Legal basis not parsed (%s): %r", reason, snippet)
    return ParseWarning(kind="legal_basis_unparsed", field="legal_bases", raw=snippet, message=reason)


def deduplicate_legal_bases(bases: list[LegalBasis]) -> list[LegalBasis]:
    """Drop repeats of one law, article and clause, and the bare mention of a law also cited with an article."""
    cited_laws = {basis.law for basis in bases if basis.article is not None}
    unique: dict[tuple[str, int | None, str], LegalBasis] = {}

    for basis in bases:
        if basis.article is None and basis.law in cited_laws:
            continue
        unique.setdefault((basis.law, basis.article, basis.clause), basis)
    return list(unique.values())
