"""Money amounts in penalty texts, converted to yuan (CNY).

`parse_amount` reads one amount string (「1712.4万元」, 「人民币壹佰万元」).
`extract_penalty_amounts` finds every amount in a decision text or a 行政处罚内容 cell
and separates the imposed fine from confiscation, stated totals and statutory ranges.
`sum_listed_amounts` parses an upstream list of amount strings.

The words that classify an amount live in etl/data/amount_keywords.yaml.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Literal

import yaml

from etl.models import ParseWarning
from etl.normalize.chinese_numerals import (
    DIGITS,
    NUMERAL_CHARS,
    NUMERAL_CLASS,
    parse_chinese_integer,
    to_ascii_digits,
)

logger = logging.getLogger(__name__)

AmountKind = Literal["fine", "confiscation", "total", "range", "unknown"]

KEYWORDS_PATH = Path(__file__).resolve().parent.parent / "data" / "amount_keywords.yaml"

MULTIPLIERS: dict[str, Decimal] = {
    "千": Decimal(10**3),
    "万": Decimal(10**4),
    "百万": Decimal(10**6),
    "千万": Decimal(10**7),
    "亿": Decimal(10**8),
    "万亿": Decimal(10**12),
}

_ARABIC = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MULTIPLIER = r"万亿|千万|百万|亿|万|千"
_CHINESE = rf"{NUMERAL_CLASS}{{2,}}"
_CHINESE_DIGIT = "[一二三四五六七八九壹贰叁肆伍陆柒捌玖]"
_YUAN_SIGN = "[￥¥]"

# One amount with its unit 元: 「1,234.5元」, 「1712.4万元」, 「28万余元」, 「壹佰万元」.
_AMOUNT = (
    rf"(?:(?<![\d.,])(?P<arabic>{_ARABIC})\s*(?P<multiplier>{_MULTIPLIER})?|(?P<chinese>{_CHINESE}))"
    r"\s*(?P<approx>余|多)?\s*元"
    rf"(?:(?P<jiao>零|{_CHINESE_DIGIT})角)?(?:零?(?P<fen>{_CHINESE_DIGIT})分)?"
)
AMOUNT_RE = re.compile(_AMOUNT)

# A bound of a range may leave out 元 (「5万至50万元」, 「十万以上五十万元以下」).
_BOUND = rf"(?:(?<![\d.,]){_ARABIC})\s*(?:{_MULTIPLIER})?\s*元?|{_CHINESE}\s*元?"
_RANGE_SEPARATOR = r"(?:至|到|~|～|-|—|－|–)"

RANGE_PATTERNS: tuple[re.Pattern[str], ...] = (
    # Statutory range: 「处十万元以上一百万元以下罚款」.
    re.compile(rf"(?P<low>{_BOUND})\s*以上\s*[，,、]?\s*(?:{_RANGE_SEPARATOR})?\s*(?P<high>{_BOUND})\s*以下"),
    # Written span: 「5万至50万元」, 「9.9元至10.9元」.
    re.compile(rf"(?P<low>{_BOUND})\s*{_RANGE_SEPARATOR}\s*(?P<high>{_BOUND})"),
    # Single bounds: 「一百万元以下罚款」, 「不超过5万元」, 「超过5万元」.
    re.compile(rf"(?:不超过|不高于|最高|最多)\s*(?P<high>{_AMOUNT})"),
    re.compile(rf"(?P<high>{_AMOUNT})\s*(?:以下|以内)"),
    re.compile(rf"(?:超过|不低于|不少于)\s*(?P<low>{_AMOUNT})"),
    re.compile(rf"(?P<low>{_AMOUNT})\s*以上"),
)

# 「罚款人民币若干元」, 「罚款***元」: a penalty word, then 元 without a number.
UNPARSED_RE = re.compile(
    rf"(?:罚款|罚金|没收违法所得|违法所得|罚没款?)(?:人民币)?(?P<value>[^\d{NUMERAL_CHARS}，。；;、：:\s元()（）]{{1,6}})元"
)

# A numbered item: 「1.」, 「2、」, 「（一）」, 「一是」 after a clause boundary.
ITEM_MARKER_RE = re.compile(
    r"(?:^|(?<=[\s；;。：:，,]))(?:\d{1,2}[.．、](?!\d)|[（(][一二三四五六七八九十\d]{1,3}[)）]|[一二三四五六七八九十]{1,2}是)"
)

# 「分别处以」, 「各处」: one amount per party, so distinct fines belong to different parties.
SEVERAL_PARTIES_RE = re.compile(r"分别|各处|各罚|均处")

TOTAL_WORD_RE = re.compile(r"合计|共计|总计")

# 「罚款3000.00元（人民币：叁仟元）」 restates the amount in capitals.
RESTATEMENT_GAP_RE = re.compile(r"[^\d，。；;、]*[（(][^\d，。；;、）)]*")
MAX_RESTATEMENT_GAP = 12

# A colon does not end a clause: 「罚款：274274元」, 「作出如下处罚：1.没收违法所得69元」.
CLAUSE_BOUNDARIES = set("，。；;！？!?\n、")
MAX_CONTEXT = 30
SNIPPET_MARGIN = 12


@dataclass(frozen=True)
class Amount:
    """One amount found in a text, in yuan. A range carries its bounds instead of a value.

    `approximate` is true for 「28万余元」 or 「11万多元」: 余 and 多 mean "more than", so
    `value_cny` is the stated figure and a lower bound of the real amount.
    """

    kind: AmountKind
    value_cny: Decimal | None
    low_cny: Decimal | None
    high_cny: Decimal | None
    raw: str
    approximate: bool = False


@dataclass
class PenaltyAmounts:
    """The fine and the confiscation of one text, in yuan, with every amount found."""

    fine_cny: Decimal | None
    confiscation_cny: Decimal | None
    amounts: list[Amount] = field(default_factory=list)
    warnings: list[ParseWarning] = field(default_factory=list)


@dataclass(frozen=True)
class _Mention:
    """An amount at a position of the prepared text, with the subject of a total."""

    amount: Amount
    start: int
    end: int
    total_of: str = ""


@cache
def amount_keywords() -> dict[str, tuple[str, ...]]:
    """Load the classifying words once per process."""
    with KEYWORDS_PATH.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    return {kind: tuple(words) for kind, words in data.items()}


def parse_amount(text: str) -> Decimal | None:
    """Read one amount string as yuan.

    Reads 元/千元/万元/亿元, decimals, thousands separators, full-width digits, Chinese
    numerals in everyday and capital forms, and 「人民币」 before or after. A bare number
    with 万 or 亿 (「5万」) counts too, and so does a number after the yuan sign (「￥80000」,
    「¥8,000」). 「28万余元」 reads as 280,000: 余 (and 多) mean "more than", so the value is
    the stated figure and a lower bound of the real amount. Returns None when the text contains no amount, a range or a bound (「10万元以上50万元以下」,
    「一百万元以下」), or several different amounts.
    """
    prepared = _prepare(text)
    if any(pattern.search(prepared) for pattern in RANGE_PATTERNS):
        return None

    values = {_amount_value(match) for match in AMOUNT_RE.finditer(prepared)}
    values.discard(None)
    if len(values) == 1:
        return values.pop()
    if values:
        return None

    return _parse_bare_amount(prepared)


def sum_listed_amounts(values: list[str]) -> tuple[list[Decimal], list[ParseWarning]]:
    """Parse each element of an upstream amount list such as ["4.9万元", "5万元"].

    Returns the parsed amounts in input order and a warning (kind "amount_unparsed",
    field "amounts_raw") for each element that does not parse. The amounts are not
    added up, because such lists mix fines, confiscations and their totals.
    """
    amounts: list[Decimal] = []
    warnings: list[ParseWarning] = []

    for value in values:
        amount = parse_amount(value) if isinstance(value, str) else None
        if amount is None:
            warnings.append(
                ParseWarning(
                    kind="amount_unparsed",
                    field="amounts_raw",
                    raw=str(value),
                    message="list element is not a single amount in yuan",
                )
            )
            logger.debug("Amount list element not parsed: %r", value)
            continue
        amounts.append(amount)

    return amounts, warnings


def extract_penalty_amounts(text: str) -> PenaltyAmounts:
    """Find every amount in a penalty text and work out the fine and the confiscation.

    Each amount gets a kind from the words before it in its clause, where the keyword
    that ends closest to the amount wins, or else from the words right after it. The kinds
    are fine (罚款, 处以…罚款, 并处, 罚金), confiscation (没收违法所得, 没收), total
    (合计, 共计, 罚没款) and range. 违法所得 alone (「违法所得为19823.47元」) is a finding of
    what the party earned, not an order: it counts as confiscation only after 没收 in the
    same clause (「没收其违法所得」), and is otherwise kind "unknown" without a warning.
    An approximate amount (「罚款28万余元」) keeps its stated figure, is marked
    `approximate`, and gives no warning. A range is a statutory 「…以上…以下」 or 「…至…」 span
    and never counts as the fine. 「没收违法所得X元并处等额罚款」 adds a fine of X.

    Rules for `fine_cny` (the same rules give `confiscation_cny`):
    1. A stated fine total (「合计罚款」, 「罚款共计」) is the fine.
    2. Otherwise fines in two or more numbered counts (「1.罚款2万元；2.罚款3万元」) of a
       text without 「分别」/「各处」 are separate counts of one party and are added up.
    3. Otherwise repeats of one value are one fine (a decision restates its amount).
    4. Several different values are ambiguous, because the text may cover several
       parties: the fine stays None with a warning (kind "amount_ambiguous").
    A combined total of fine and confiscation (「罚没款合计」) is kept as kind "total"
    but sets neither field, because it cannot be split.

    An amount that no keyword classifies gets kind "unknown" and a warning (kind
    "amount_unclassified"). Prices, goods values and other amounts named as
    non-penalties are kind "unknown" without a warning. A penalty word before 元
    without a number (「罚款人民币若干元」) gives a warning of kind "amount_unparsed".
    """
    prepared = _prepare(text)
    warnings: list[ParseWarning] = []

    ranges = _find_ranges(prepared)
    mentions = _find_single_amounts(prepared, ranges, warnings)
    mentions.extend(ranges)
    mentions.sort(key=lambda mention: mention.start)

    warnings.extend(_find_unparsed(prepared))

    fine = _combine(prepared, mentions, "fine", "fine_cny", warnings)
    confiscation = _combine(prepared, mentions, "confiscation", "confiscation_cny", warnings)

    return PenaltyAmounts(
        fine_cny=fine,
        confiscation_cny=confiscation,
        amounts=[mention.amount for mention in mentions],
        warnings=warnings,
    )


def _prepare(text: str) -> str:
    """Unify digits and rejoin numbers that a line wrap or stray spaces split."""
    prepared = to_ascii_digits(text or "")

    # 「罚款32000\n0.00元」: a number wrapped over two lines.
    prepared = re.sub(r"(?<=[\d.,])[ \t\u3000\xa0]*\n\s*(?=[\d.,])", "", prepared)

    # 「并处罚款 50 ,000 元」: spaces around a separator inside a number.
    prepared = re.sub(r"(?<=\d)\s+(?=[.,]\d)|(?<=\d[.,])\s+(?=\d)", "", prepared)

    # 「处 5 万 元」: spaces between a number and its unit.
    prepared = re.sub(rf"(?<=[\d{NUMERAL_CHARS}])[ \t\u3000\xa0]+(?=(?:{_MULTIPLIER})?\s*(?:余|多)?\s*元)", "", prepared)
    return prepared


def _amount_value(match: re.Match[str]) -> Decimal | None:
    if match.group("arabic") is not None:
        return _arabic_value(match.group("arabic"), match.group("multiplier"))

    value = _chinese_value(match.group("chinese"))
    if value is None:
        return None

    # 角 and 分 (tenths and hundredths of a yuan) follow 元 in capital amounts: 「贰万柒仟柒佰零玖元陆角壹分」.
    for group, scale in (("jiao", Decimal("0.1")), ("fen", Decimal("0.01"))):
        if match.group(group):
            value += DIGITS[match.group(group)] * scale
    return _tidy(value)


def _arabic_value(number: str, multiplier: str | None) -> Decimal | None:
    try:
        value = Decimal(number.replace(",", ""))
    except InvalidOperation:
        return None

    if multiplier:
        value *= MULTIPLIERS[multiplier]
    return _tidy(value)


def _chinese_value(numeral: str) -> Decimal | None:
    # A run of unit characters alone (「万元」 in 「百万元」) contains no digit.
    if not any(char in DIGITS or char in "十拾" for char in numeral):
        return None

    value = parse_chinese_integer(numeral)
    if value is None:
        return None
    return _tidy(Decimal(value))


def _tidy(value: Decimal) -> Decimal:
    """Drop trailing zeros of the fraction without switching to exponent notation."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()


def _parse_bare_amount(text: str) -> Decimal | None:
    """Read 「5万」 or 「一百万」: a whole string of a number and 万/亿 but no 元."""
    stripped = re.sub(r"^\s*(?:人民币)?|(?:人民币)?\s*$", "", text)

    arabic = re.fullmatch(rf"({_ARABIC})\s*({_MULTIPLIER})", stripped)
    if arabic:
        return _arabic_value(arabic.group(1), arabic.group(2))

    # 「(￥80000)」 restates a fine in figures after the yuan sign, without 元.
    signed = re.fullmatch(rf"{_YUAN_SIGN}\s*({_ARABIC})\s*({_MULTIPLIER})?\s*整?", stripped)
    if signed:
        return _arabic_value(signed.group(1), signed.group(2))

    if re.fullmatch(_CHINESE, stripped) and stripped[-1] in "万亿":
        return _chinese_value(stripped)
    return None


def _parse_bound(text: str, other: str) -> Decimal | None:
    """Read one bound of a range. A bound without unit takes the other bound's unit (「5至50万元」)."""
    bound = text.strip()
    if not bound.endswith("元") and not re.search(rf"(?:{_MULTIPLIER})$", bound):
        unit = re.search(rf"(?:{_MULTIPLIER})?\s*元?$", other.strip())
        bound += unit.group(0) if unit else ""

    value = parse_amount(bound if bound.endswith("元") else bound + "元")
    return value


def _find_ranges(text: str) -> list[_Mention]:
    """Find statutory ranges and single bounds. A later pattern skips text that an earlier one matched."""
    mentions: list[_Mention] = []
    covered: list[tuple[int, int]] = []

    for pattern in RANGE_PATTERNS:
        for match in pattern.finditer(text):
            if _overlaps(match.start(), match.end(), covered):
                continue

            low_text = match.groupdict().get("low")
            high_text = match.groupdict().get("high")
            if not _has_money_unit(low_text, high_text):
                continue

            low = _parse_bound(low_text, high_text or "") if low_text else None
            high = _parse_bound(high_text, low_text or "") if high_text else None
            if low is None and high is None:
                continue

            amount = Amount(kind="range", value_cny=None, low_cny=low, high_cny=high, raw=match.group(0).strip())
            mentions.append(_Mention(amount=amount, start=match.start(), end=match.end()))
            covered.append((match.start(), match.end()))

    return mentions


def _has_money_unit(*parts: str | None) -> bool:
    """Tell a money range from a count or a year span: some bound must carry 元 or 万/亿."""
    joined = "".join(part for part in parts if part)
    return "元" in joined or bool(re.search(r"万|亿", joined))


def _overlaps(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(start < span_end and span_start < end for span_start, span_end in spans)


def _find_single_amounts(text: str, ranges: list[_Mention], warnings: list[ParseWarning]) -> list[_Mention]:
    """Classify each amount outside the ranges, skipping restatements of the previous one."""
    range_spans = [(mention.start, mention.end) for mention in ranges]
    mentions: list[_Mention] = []
    previous: _Mention | None = None

    for match in AMOUNT_RE.finditer(text):
        if _overlaps(match.start(), match.end(), range_spans):
            continue

        value = _amount_value(match)
        if value is None:
            continue

        if previous is not None and _is_restatement(text, previous, match, value):
            continue

        mention = _classify(text, match, value, previous, warnings)
        mentions.append(mention)
        previous = mention

        equal_fine = _equal_fine(text, mention)
        if equal_fine is not None:
            mentions.append(equal_fine)

    return mentions


def _is_restatement(text: str, previous: _Mention, match: re.Match[str], value: Decimal) -> bool:
    """Tell whether an amount repeats the previous one in words: 「27709.61元罚款（人民币贰万柒仟柒佰零玖元陆角壹分）」."""
    if previous.amount.value_cny != value:
        return False

    gap = text[previous.end : match.start()]
    return len(gap) <= MAX_RESTATEMENT_GAP and RESTATEMENT_GAP_RE.fullmatch(gap) is not None


def _classify(
    text: str, match: re.Match[str], value: Decimal, previous: _Mention | None, warnings: list[ParseWarning]
) -> _Mention:
    """Give an amount its kind from the closest keyword before it, else from the words after it.

    An amount listed right after another (「分别罚款10万元、20万元」) takes the kind of the one before.
    """
    before = _clause_before(text, match.start())
    after = _clause_after(text, match.end())
    raw = _snippet(text, match.start(), match.end())

    approximate = match.group("approx") is not None
    kind = _closest_keyword_kind(before) or _kind_after(after) or _listed_kind(text, previous, match.start())
    if kind == "finding":
        kind = "confiscation" if "没收" in before else "not_penalty"
    if kind == "not_penalty" or after.startswith("/"):
        return _unknown(match, value, approximate)

    if kind is None:
        warnings.append(
            ParseWarning(
                kind="amount_unclassified",
                field="fine_cny",
                raw=raw,
                message=f"amount {value} yuan is not named as a fine, confiscation or total",
            )
        )
        return _unknown(match, value, approximate)

    total_of = _total_subject(before) if kind == "total" else ""
    if total_of == "finding":
        # 「违法所得合计5392.95元」 adds up what the party earned, not what was ordered.
        return _unknown(match, value, approximate)

    # 「合计罚款12万元」: the fine keyword is closest, but the clause states a total.
    if kind in ("fine", "confiscation") and TOTAL_WORD_RE.search(before):
        total_of = kind
        kind = "total"

    amount = Amount(
        kind=kind, value_cny=value, low_cny=None, high_cny=None, raw=match.group(0).strip(), approximate=approximate
    )
    return _Mention(amount=amount, start=match.start(), end=match.end(), total_of=total_of)


def _unknown(match: re.Match[str], value: Decimal, approximate: bool) -> _Mention:
    amount = Amount(
        kind="unknown", value_cny=value, low_cny=None, high_cny=None, raw=match.group(0).strip(), approximate=approximate
    )
    return _Mention(amount=amount, start=match.start(), end=match.end())


def _listed_kind(text: str, previous: _Mention | None, start: int) -> str | None:
    if previous is None or previous.amount.kind not in ("fine", "confiscation"):
        return None
    gap = text[previous.end : start].strip()
    return previous.amount.kind if gap in ("、", "和", "及", ",", "，") else None


def _clause_before(text: str, position: int) -> str:
    start = position
    while start > 0 and position - start < MAX_CONTEXT and not _is_boundary(text, start - 1):
        start -= 1
    return text[start:position]


def _clause_after(text: str, position: int) -> str:
    end = position
    while end < len(text) and end - position < MAX_CONTEXT and not _is_boundary(text, end):
        end += 1
    return text[position:end]


def _is_boundary(text: str, index: int) -> bool:
    char = text[index]
    if char == ",":
        # A comma between digits is a thousands separator.
        return not (0 < index < len(text) - 1 and text[index - 1].isdigit() and text[index + 1].isdigit())
    return char in CLAUSE_BOUNDARIES


def _closest_keyword_kind(before: str) -> str | None:
    """Return the kind whose keyword ends closest to the end of `before`; a longer keyword wins a tie."""
    best: tuple[int, int] | None = None
    best_kind: str | None = None

    for kind, words in amount_keywords().items():
        for word in words:
            position = before.rfind(word)
            if position < 0:
                continue

            rank = (position + len(word), len(word))
            if best is None or rank > best:
                best = rank
                best_kind = kind

    return best_kind


def _kind_after(after: str) -> str | None:
    """Classify by the words right after the amount: 「各处250万元罚款」, 「缴纳99元会员升级费用」."""
    head = after[:12]
    if re.match(r"\s*(?:的)?(?:罚款|罚金)", head):
        return "fine"
    if re.match(r"\s*(?:的)?罚没", head):
        return "total"
    if any(word in head for word in amount_keywords()["not_penalty"]):
        return "not_penalty"
    return None


def _total_subject(before: str) -> str:
    """Tell what a total adds up: "fine", "confiscation", "finding" (违法所得 without 没收), or "combined"."""
    if "罚没" in before:
        return "combined"
    if "罚款" in before or "罚金" in before:
        return "fine"
    if "没收" in before:
        return "confiscation"
    if "违法所得" in before or "非法所得" in before:
        return "finding"
    return "combined"


def _equal_fine(text: str, mention: _Mention) -> _Mention | None:
    """Add the fine of 「没收违法所得X元并处等额罚款」, which equals the confiscated amount."""
    if mention.amount.kind != "confiscation":
        return None

    after = _clause_after(text, mention.end)
    found = re.match(r"\s*(?:，|,)?\s*(?:并处|并|处以|处)?\s*等额罚款", after)
    if not found:
        return None

    raw = mention.amount.raw + found.group(0)
    amount = Amount(kind="fine", value_cny=mention.amount.value_cny, low_cny=None, high_cny=None, raw=raw)
    return _Mention(amount=amount, start=mention.end, end=mention.end + found.end())


def _find_unparsed(text: str) -> list[ParseWarning]:
    warnings: list[ParseWarning] = []
    for match in UNPARSED_RE.finditer(text):
        warnings.append(
            ParseWarning(
                kind="amount_unparsed",
                field="fine_cny",
                raw=_snippet(text, match.start(), match.end()),
                message=f"penalty amount {match.group('value')!r} is not a number",
            )
        )
    return warnings


def _combine(
    text: str, mentions: list[_Mention], kind: str, field_name: str, warnings: list[ParseWarning]
) -> Decimal | None:
    """Apply the rules of `extract_penalty_amounts` to the amounts of one kind."""
    # NOTE: numbered counts are taken as counts of one party. A numbered list of parties
    # without 「分别」 or 「各」 (「1.对A公司罚款2万元；2.对B公司罚款3万元」) is summed wrongly.
    totals = [mention for mention in mentions if mention.amount.kind == "total" and mention.total_of == kind]
    if totals:
        return totals[-1].amount.value_cny

    found = [mention for mention in mentions if mention.amount.kind == kind]
    if not found:
        return None

    items = _item_numbers(text, found)
    if len(set(items)) > 1 and None not in items and not SEVERAL_PARTIES_RE.search(text):
        return _sum_per_item(found, items)

    values = list(dict.fromkeys(mention.amount.value_cny for mention in found))
    if len(values) == 1:
        return values[0]

    warnings.append(
        ParseWarning(
            kind="amount_ambiguous",
            field=field_name,
            raw="; ".join(mention.amount.raw for mention in found),
            message=f"{len(values)} different {kind} amounts and no stated total, so the text may cover several parties",
        )
    )
    return None


def _item_numbers(text: str, mentions: list[_Mention]) -> list[int | None]:
    """Return, for each mention, the index of the numbered item it sits in (None outside items)."""
    markers = [match.start() for match in ITEM_MARKER_RE.finditer(text)]
    items: list[int | None] = []

    for mention in mentions:
        before = [index for index, position in enumerate(markers) if position < mention.start]
        items.append(before[-1] if before else None)
    return items


def _sum_per_item(mentions: list[_Mention], items: list[int | None]) -> Decimal:
    """Add one amount per value and item, so a restatement inside one count is not added twice."""
    seen: set[tuple[int | None, Decimal | None]] = set()
    total = Decimal(0)

    for mention, item in zip(mentions, items):
        key = (item, mention.amount.value_cny)
        if key in seen or mention.amount.value_cny is None:
            continue
        seen.add(key)
        total += mention.amount.value_cny
    return _tidy(total)


def _snippet(text: str, start: int, end: int) -> str:
    """Cut the amount with a little context on each side, on one line."""
    left = max(0, start - SNIPPET_MARGIN)
    right = min(len(text), end + 4)
    return re.sub(r"\s+", " ", text[left:right]).strip()
