"""Decision numbers (文号) such as 银罚决字〔2026〕104号 or 京网信罚〔2023〕1号.

A decision number is an issuer abbreviation, the year in brackets, sometimes an office
or series label, the serial number and 号. Sources write the brackets as 〔〕 [] （） ()
【】 ［］, with full-width digits, stray spaces and an optional 第 before the serial.

Canonical form: brackets 〔〕, ASCII digits, no spaces, range dashes (—, ～, －) written
as "-", and no 第 before the serial, so 佛知纠字（2022）第10号 and 佛知纠字〔2022〕10号 are
one number. Leading zeros of the serial are kept (粤市监广办罚〔2024〕008号), because the
issuer writes them as part of the number. The writing alone does not show whether
〔2023〕001号 and 〔2023〕1号 are one decision, so the canonical form keeps them apart and
`decision_number_key` gives a key without leading zeros for matching the two.

A masked number (揭市监行处字〔2022〕***号, serial hidden in the published copy) is no
number: it cannot tell two decisions apart, so it is not returned and a record that
carries it has no decision number.
"""

from __future__ import annotations

import logging
import re
from functools import cache
from pathlib import Path

import yaml

from etl.normalize.chinese_numerals import to_ascii_digits

logger = logging.getLogger(__name__)

WORDS_PATH = Path(__file__).resolve().parent.parent / "data" / "decision_number_words.yaml"

MAX_RANGE_SIZE = 1000
MAX_PREFIX_LENGTH = 16

_SQUARE_OPEN = "〔[【［﹝〖"
_SQUARE_CLOSE = "〕]】］﹞〗"
_ROUND_OPEN = "（("
_ROUND_CLOSE = "）)"

# Serial: a number (with an optional letter, or masked as ***), or a range or list of numbers.
# A PDF extraction splits the digits with a space (「20230140 2 号」). The parts are one number.
_DIGITS = r"\d+(?:[ \xa0]\d+)*"
_SERIAL = rf"[A-Za-z]?(?:{_DIGITS}|\*+)(?:\s*[-—–－~～至、]\s*{_DIGITS})*"

DECISION_NUMBER_RE = re.compile(
    rf"(?P<open>[{re.escape(_SQUARE_OPEN + _ROUND_OPEN)}])\s*(?P<year>(?:19|20)\d{{2}})\s*"
    rf"[{re.escape(_SQUARE_CLOSE + _ROUND_CLOSE)}]"
    rf"\s*(?P<label>[\u4e00-\u9fff]{{0,6}}?)\s*第?\s*(?P<serial>{_SERIAL})\s*号"
)

_PREFIX_CHAR_RE = re.compile(r"[\u4e00-\u9fffA-Za-z]")

# Parts of a canonical number: everything up to the serial, and the serial.
CANONICAL_RE = re.compile(r"(?P<head>.*〕[\u4e00-\u9fff]*)(?P<serial>[^号]+)号")
RANGE_SERIAL_RE = re.compile(r"(?P<low>\d+)(?:-|至)(?P<high>\d+)")
SUB_RANGE_SERIAL_RE = re.compile(r"(?P<base>\d+)-(?P<low>\d+)至(?P<high>\d+)")
LIST_SERIAL_RE = re.compile(r"\d+(?:、\d+)+")
LEADING_ZEROS_RE = re.compile(r"(?<!\d)0+(?=\d)")


@cache
def prefix_cut_words() -> tuple[str, ...]:
    """Load the words that end the text before an issuer abbreviation, longest first."""
    with WORDS_PATH.open(encoding="utf-8") as handle:
        words = yaml.safe_load(handle)["prefix_cut_words"]
    return tuple(sorted(words, key=len, reverse=True))


def normalize_decision_number(text: str) -> str | None:
    """Return the canonical form of the first decision number in the text, or None if it contains none.

    A bare 〔2026〕第12号 without issuer is accepted from this function, because the caller
    passes a value that is known to be a decision number. A masked number (〔2022〕***号)
    gives None, because it names no single decision.
    """
    numbers = _find(text or "", allow_bare=True)
    return numbers[0] if numbers else None


def decision_number_key(number: str) -> str | None:
    """Return the key for matching decision numbers: the canonical form without leading zeros in the serial.

    粤市监罚〔2025〕粤北办007号 and 粤市监罚〔2025〕粤北办7号 share the key 粤市监罚〔2025〕粤北办7号;
    9-001号 becomes 9-1号. The year and the issuer are not changed. Returns None when the
    text contains no decision number (or only a masked one), like `normalize_decision_number`.
    """
    canonical = normalize_decision_number(number)
    parts = CANONICAL_RE.fullmatch(canonical) if canonical else None
    if parts is None:
        return canonical
    return parts.group("head") + LEADING_ZEROS_RE.sub("", parts.group("serial")) + "号"


def find_decision_numbers(text: str) -> list[str]:
    """Return every decision number in a title or body, canonical, in order, without duplicates.

    In prose a number in round brackets needs an issuer before it, so that a year in
    parentheses followed by 号 is not taken for a decision number. Masked numbers
    (〔2022〕***号) are skipped.
    """
    return list(dict.fromkeys(_find(text or "", allow_bare=False)))


def is_decision_number_range(number: str) -> bool:
    """Tell whether the serial is written as a range or a list (104-116号, 6—1至19号, 1、2、3号).

    This checks the writing only. A reversed range (2-1号, which some issuers use for a
    sub-number) counts as a range here although `expand_decision_number_range` leaves it as is.
    """
    serial = _serial_of(number)
    if serial is None:
        return False
    return any(
        pattern.fullmatch(serial) for pattern in (RANGE_SERIAL_RE, SUB_RANGE_SERIAL_RE, LIST_SERIAL_RE)
    )


def expand_decision_number_range(number: str) -> list[str]:
    """Expand a range or list of decision numbers into canonical single numbers.

    银罚决字〔2026〕104-116号 gives the 13 numbers 104号 … 116号; 104—116, 104～116 and 104至116
    are read the same way, 〔2026〕1、2、3号 gives three numbers, and 6—1至19号 gives 6-1号 …
    6-19号. Zero padding of the low end is kept (06002-06010号). A range that is reversed or
    longer than 1000 numbers, and any number that is no range, comes back as [number]
    unchanged. A caller that sees `is_decision_number_range` true and one item back should warn.
    """
    canonical = normalize_decision_number(number)
    parts = CANONICAL_RE.fullmatch(canonical) if canonical else None
    if parts is None:
        return [number]

    head = parts.group("head")
    serial = parts.group("serial")

    if LIST_SERIAL_RE.fullmatch(serial):
        return [f"{head}{item}号" for item in serial.split("、")]

    sub_range = SUB_RANGE_SERIAL_RE.fullmatch(serial)
    if sub_range:
        serials = _expand_serials(sub_range.group("low"), sub_range.group("high"))
        base = sub_range.group("base")
        return [f"{head}{base}-{item}号" for item in serials] if serials else [number]

    # NOTE: some issuers number sub-decisions 2-1号, 2-2号, 2-3号. A sub-number with a
    # rising second part (2-3号) looks exactly like a range and is expanded as one.
    simple_range = RANGE_SERIAL_RE.fullmatch(serial)
    if simple_range:
        serials = _expand_serials(simple_range.group("low"), simple_range.group("high"))
        return [f"{head}{item}号" for item in serials] if serials else [number]

    return [number]


def _expand_serials(low_text: str, high_text: str) -> list[str]:
    """List the serials from low to high, or [] when the range is reversed or too long."""
    low = int(low_text)
    high = int(high_text)
    if high <= low or high - low + 1 > MAX_RANGE_SIZE:
        logger.debug("Decision number range not expanded: %s-%s", low_text, high_text)
        return []

    width = len(low_text) if low_text.startswith("0") else 0
    return [str(serial).zfill(width) for serial in range(low, high + 1)]


def _serial_of(number: str) -> str | None:
    canonical = normalize_decision_number(number)
    parts = CANONICAL_RE.fullmatch(canonical) if canonical else None
    return parts.group("serial") if parts else None


def _find(text: str, allow_bare: bool) -> list[str]:
    prepared = to_ascii_digits(text)
    numbers: list[str] = []

    for match in DECISION_NUMBER_RE.finditer(prepared):
        if "*" in match.group("serial"):
            logger.debug("Masked decision number skipped: %r", match.group(0))
            continue

        prefix = _issuer_prefix(prepared, match.start())
        if not prefix and not allow_bare and match.group("open") in _ROUND_OPEN:
            continue
        numbers.append(_canonical(prefix, match))

    return numbers


def _issuer_prefix(text: str, bracket_start: int) -> str:
    """Read the issuer abbreviation before the bracket, cut after the last word that ends a sentence part."""
    # 「京网信罚 (2023) 1 号」: spaces between the issuer and the bracket.
    end = bracket_start
    while end > 0 and text[end - 1].isspace():
        end -= 1

    start = end
    run_start = end
    while start > 0 and end - start < MAX_PREFIX_LENGTH:
        if _PREFIX_CHAR_RE.match(text[start - 1]):
            start -= 1
        elif _is_split_character(text, start, run_start):
            start -= 1
            run_start = start
        else:
            break
    prefix = re.sub(r"\s+", "", text[start:end])

    cut = 0
    for word in prefix_cut_words():
        position = prefix.rfind(word)
        if position >= 0:
            cut = max(cut, position + len(word))
    return prefix[cut:]


def _is_split_character(text: str, start: int, run_start: int) -> bool:
    """Tell whether the space before `start` cuts off a single character of the issuer.

    A PDF extraction leaves one character alone between spaces (「沪市监反垄 处 〔2023〕」).
    Only a run of one character is joined to the text before it, so that a whole word
    in front of an issuer (「管理局 鲁青市监罚〔2023〕」) stays apart from the issuer.
    """
    return (
        text[start - 1] in " \xa0"
        and run_start - start == 1
        and start > 1
        and _PREFIX_CHAR_RE.match(text[start - 2]) is not None
    )


def _canonical(prefix: str, match: re.Match[str]) -> str:
    serial = re.sub(r"\s+", "", match.group("serial"))
    serial = re.sub(r"[—–－~～]", "-", serial)
    return f"{prefix}〔{match.group('year')}〕{match.group('label')}{serial}号"
