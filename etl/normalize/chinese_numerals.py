"""Chinese numerals (中文数字) and full-width digits, shared by the money, date and legal-basis normalizers.

Two ways of writing a number occur in decisions:

- positional, with unit characters: 六十六, 一百零五, 十万, 两万, and the financial capitals
  (大写) written on amounts: 壹佰万, 贰仟伍佰;
- digit by digit, without unit characters, as years are written: 二〇二六 (also with ○ or 零).
"""

from __future__ import annotations

import logging

logger = logging.getLogger(__name__)

DIGITS: dict[str, int] = {
    "零": 0, "〇": 0, "○": 0, "Ｏ": 0,
    "一": 1, "壹": 1,
    "二": 2, "贰": 2, "貳": 2, "两": 2, "兩": 2,
    "三": 3, "叁": 3, "參": 3,
    "四": 4, "肆": 4,
    "五": 5, "伍": 5,
    "六": 6, "陆": 6, "陸": 6,
    "七": 7, "柒": 7,
    "八": 8, "捌": 8,
    "九": 9, "玖": 9,
}
SMALL_UNITS: dict[str, int] = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
LARGE_UNITS: dict[str, int] = {"万": 10**4, "萬": 10**4, "亿": 10**8, "億": 10**8}

NUMERAL_CHARS = "".join(DIGITS) + "".join(SMALL_UNITS) + "".join(LARGE_UNITS)

# Character class for callers' regular expressions.
NUMERAL_CLASS = f"[{NUMERAL_CHARS}]"

# One character in, one character out, so offsets found in a translated text stay valid
# in the original. The full-width comma is left alone because it is also the Chinese
# sentence comma.
_FULL_WIDTH = str.maketrans("０１２３４５６７８９．－／：　", "0123456789.-/: ")

_CLAUSE_DIGITS = "零一二三四五六七八九"


def to_ascii_digits(text: str) -> str:
    """Replace full-width digits and the full-width . - / : and space by their ASCII forms.

    The result has the same length as `text`.
    """
    return text.translate(_FULL_WIDTH)


def parse_chinese_integer(text: str) -> int | None:
    """Parse a Chinese numeral or a digit string into an int.

    「六十六」→66, 「一百零五」→105, 「十」→10, 「两万」→20000, 「壹佰」→100, 「66」→66,
    and 「二〇二六」→2026 (no unit characters, so read digit by digit). Whitespace is
    ignored. Returns None for an empty text or one that is not a whole numeral.
    """
    cleaned = "".join(to_ascii_digits(text).split())
    if not cleaned:
        return None

    if cleaned.isascii() and cleaned.isdigit():
        return int(cleaned)

    if any(char not in NUMERAL_CHARS for char in cleaned):
        return None

    if not any(char in SMALL_UNITS or char in LARGE_UNITS for char in cleaned):
        return _parse_digit_by_digit(cleaned)

    return _parse_positional(cleaned)


def _parse_digit_by_digit(text: str) -> int:
    value = 0
    for char in text:
        value = value * 10 + DIGITS[char]
    return value


def _parse_positional(text: str) -> int | None:
    """Parse a numeral with unit characters, such as 一百零六万 or 壹仟贰佰."""
    total = 0
    section = 0
    digit: int | None = None

    for char in text:
        if char in DIGITS:
            # Two digits in a row are only valid after 零 (一百零六).
            if digit not in (None, 0):
                return None
            digit = DIGITS[char]

        elif char in SMALL_UNITS:
            # A unit without a digit before it counts once: 十二 is 12.
            section += (1 if digit is None else digit) * SMALL_UNITS[char]
            digit = None

        else:
            section += digit or 0
            if section == 0 and total == 0:
                section = 1
            if LARGE_UNITS[char] > 10**4:
                total = (total + section) * LARGE_UNITS[char]
            else:
                total += section * LARGE_UNITS[char]
            section = 0
            digit = None

    return total + section + (digit or 0)


def to_chinese_numeral(number: int) -> str:
    """Write an integer of 0..9999 as a Chinese numeral: 1 → 一, 66 → 六十六, 105 → 一百零五.

    Clause labels (第一款, 第（二）项) are written this way in the statutes. Raises
    ValueError outside 0..9999, which no article, clause or item number reaches.
    """
    if not 0 <= number <= 9999:
        raise ValueError(f"number {number} is outside 0..9999, the range of article and clause numbers")

    if number == 0:
        return "零"

    parts: list[str] = []
    zero_pending = False
    for unit_value, unit_char in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = number // unit_value % 10
        if digit == 0:
            zero_pending = bool(parts)
            continue

        if zero_pending:
            parts.append("零")
            zero_pending = False
        parts.append(_CLAUSE_DIGITS[digit] + unit_char)

    numeral = "".join(parts)

    # 10..19 are written 十, 十一 …, not 一十一.
    if 10 <= number <= 19:
        numeral = numeral[1:]
    return numeral
