"""Dates of decisions and notices, with the precision the source gives (day, month or year).

`parse_date` reads one date value: 2026年9月8日, 二〇二六年九月八日, 2026-09-24,
2026/9/24, 2026.09.24, 2026-09-29 18:16:53, ISO 8601 with T and offset, 20260924,
epoch seconds or milliseconds, 2026年9月 (month) and 2026年 or 2026 (year).
`find_dates` lists the dates written in a prose text.

Both read 年月日 dates whose digits a PDF extraction split with spaces
(「202 3 年 4 月 7 日」). A report or sample number that contains a date
(「JHYPD2019-03-13-01」) is not read as a date.

Epoch timestamps are converted to China Standard Time (UTC+8), because the regulators
date their decisions in Beijing time. An ISO value with an offset keeps the calendar
date as written.
"""

from __future__ import annotations

import logging
import math
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Literal

from etl.models import ParseWarning
from etl.normalize.chinese_numerals import NUMERAL_CLASS, parse_chinese_integer, to_ascii_digits

logger = logging.getLogger(__name__)

Precision = Literal["day", "month", "year"]

CHINA_STANDARD_TIME = timezone(timedelta(hours=8))
MIN_YEAR = 1990
MAX_YEAR = 2100

_PRECISION_ORDER: dict[str, int] = {"day": 0, "month": 1, "year": 2}

# Year digits may be Arabic or Chinese (二〇二六, 二○二六, 二零二六). Month and day in
# Chinese numerals use 十 (九月, 十二月, 二十八日).
# Text taken from PDFs splits digits with one space (「202 3 年 4 月 7 日」, 「于 20 21 年 11 月」).
# The split digits are joined only inside CHINESE_DATE_RE, which needs 年 and 月. They form
# a year of exactly four digits and a month or day of at most two, so unrelated numbers
# next to each other are left alone.
_GAP = r"[ \xa0]?"
_CHINESE_YEAR = "[〇○零一二三四五六七八九]{4}"
_YEAR = rf"(?:\d{{4}}|{_CHINESE_YEAR})"
_SPLIT_YEAR = rf"(?:(?<!\d)\d(?:{_GAP}\d){{3}}(?!{_GAP}\d)|{_CHINESE_YEAR})"
_PART = rf"(?:\d(?:{_GAP}\d)?(?!{_GAP}\d)|{NUMERAL_CLASS}{{1,3}})"

CHINESE_DATE_RE = re.compile(
    rf"(?P<year>{_SPLIT_YEAR})\s*年\s*(?P<month>{_PART})\s*月(?:\s*(?P<day>{_PART})\s*[日号])?"
)

# 「JHYPD2019-03-13-01」 is a report number, not a date: a date glued to a Latin letter,
# or continued by another separator and digit, does not count.
SEPARATED_DATE_RE = re.compile(
    r"(?<![\dA-Za-z])(?<!\d[-/.])(?P<year>\d{4})([-/.])(?P<month>\d{1,2})\2(?P<day>\d{1,2})(?!\d)(?![-/.]\d)"
)

_TIME = r"(?:[\sT]*\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
WHOLE_CHINESE_RE = re.compile(rf"{CHINESE_DATE_RE.pattern}{_TIME}")
WHOLE_SEPARATED_RE = re.compile(rf"{SEPARATED_DATE_RE.pattern}{_TIME}")
WHOLE_MONTH_RE = re.compile(r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})")
WHOLE_YEAR_RE = re.compile(rf"(?P<year>{_YEAR})\s*年?(?:度)?")
COMPACT_DAY_RE = re.compile(r"(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})")


@dataclass(frozen=True)
class ParsedDate:
    """A calendar date; a month or year precision date is the first day of its month or year."""

    value: date
    precision: Precision
    raw: str


class _InvalidDate(ValueError):
    """Raised inside this module when the parts name no real date or a year out of range."""


def parse_date(
    value: str | int | float | None,
    field: str = "date",
    *,
    precision_hint: Precision | None = None,
) -> tuple[ParsedDate | None, list[ParseWarning]]:
    """Parse one date value and return it with its precision, or None with a warning.

    An empty value (None, "", NaN) returns (None, []), because absence is not a parse error.
    A value that matches no format gives a warning of kind "date_unparsed". An impossible
    date (2026-02-30) or a year outside 1990..2100 gives kind "date_invalid". A text with
    words around one date (「发布时间：2026年09月24日」) yields that date.

    `precision_hint` coarsens the result when the source states the precision, such as a
    YYYY-01-01 value that stands for a year: the value becomes the first day of the month
    or year and the precision follows the hint. A hint finer than the value changes nothing.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, []

    raw = str(value).strip()
    if not raw:
        return None, []

    try:
        parsed = _parse_number(value, raw) if isinstance(value, (int, float)) else _parse_text(raw)
    except _InvalidDate as error:
        logger.debug("Invalid date in %s: %r (%s)", field, raw, error)
        return None, [ParseWarning(kind="date_invalid", field=field, raw=raw, message=str(error))]

    if parsed is None:
        logger.debug("Unparsed date in %s: %r", field, raw)
        return None, [ParseWarning(kind="date_unparsed", field=field, raw=raw, message="no known date format matches")]

    if precision_hint is not None:
        parsed = _coarsen(parsed, precision_hint)
    return parsed, []


def find_dates(text: str) -> list[ParsedDate]:
    """List the dates written in a prose text, in order of appearance.

    Reads 年月日 forms (Arabic or Chinese numerals, stray spaces allowed, also between the
    digits of one number: 「于 20 21 年 11 月」) and 2026-09-24, 2026/9/24 or 2026.09.24.
    A year and month without a day (2026年9月) is a month-precision date. A bare year
    (2026年) is skipped, because prose uses it for periods and report years. Impossible
    dates are skipped, and so is a separated date glued to a Latin letter before it or
    followed by another separator and digit, as in a report number 「JHYPD2019-03-13-01」.
    """
    prepared = to_ascii_digits(text or "")
    found: list[tuple[int, ParsedDate]] = []

    for pattern in (CHINESE_DATE_RE, SEPARATED_DATE_RE):
        for match in pattern.finditer(prepared):
            try:
                parsed = _from_match(match, text[match.start() : match.end()])
            except _InvalidDate:
                continue
            if parsed is not None:
                found.append((match.start(), parsed))

    found.sort(key=lambda item: item[0])
    return [parsed for _, parsed in found]


def _parse_number(value: int | float, raw: str) -> ParsedDate | None:
    """Read an epoch timestamp (13 digits: milliseconds, 9 or 10: seconds) or a bare year."""
    if isinstance(value, bool) or not float(value).is_integer():
        return None
    return _parse_digits(str(int(value)), raw)


def _parse_digits(digits: str, raw: str) -> ParsedDate | None:
    if len(digits) == 13:
        return _from_epoch(int(digits) / 1000, raw)
    if len(digits) in (9, 10):
        return _from_epoch(int(digits), raw)
    if len(digits) == 8:
        match = COMPACT_DAY_RE.fullmatch(digits)
        return _build(match.group("year"), match.group("month"), match.group("day"), raw) if match else None
    if len(digits) == 4:
        return _build(digits, None, None, raw)
    return None


def _from_epoch(seconds: float, raw: str) -> ParsedDate:
    try:
        moment = datetime.fromtimestamp(seconds, tz=CHINA_STANDARD_TIME)
    except (OverflowError, OSError, ValueError) as error:
        raise _InvalidDate(f"timestamp {raw} is out of range") from error

    _check_year(moment.year)
    return ParsedDate(value=moment.date(), precision="day", raw=raw)


def _parse_text(raw: str) -> ParsedDate | None:
    text = to_ascii_digits(raw).strip()

    if text.isdigit():
        return _parse_digits(text, raw)

    for pattern in (WHOLE_CHINESE_RE, WHOLE_SEPARATED_RE):
        match = pattern.fullmatch(text)
        if match:
            return _from_match(match, raw)

    iso = _parse_iso(text, raw)
    if iso is not None:
        return iso

    for pattern in (WHOLE_MONTH_RE, WHOLE_YEAR_RE):
        match = pattern.fullmatch(text)
        if match:
            return _from_match(match, raw)

    # A label or a weekday around the date: use the date when it is the only one.
    dates = find_dates(raw)
    if len(dates) == 1:
        return ParsedDate(value=dates[0].value, precision=dates[0].precision, raw=raw)
    return None


def _parse_iso(text: str, raw: str) -> ParsedDate | None:
    """Read ISO 8601 with a T and an offset (2026-09-24T10:00:00+08:00, …Z), keeping the written date."""
    if "T" not in text:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None

    _check_year(moment.year)
    return ParsedDate(value=moment.date(), precision="day", raw=raw)


def _from_match(match: re.Match[str], raw: str) -> ParsedDate | None:
    groups = match.groupdict()
    return _build(groups["year"], groups.get("month"), groups.get("day"), raw)


def _build(year_text: str, month_text: str | None, day_text: str | None, raw: str) -> ParsedDate | None:
    """Build the date from its parts, where missing parts lower the precision. Raises _InvalidDate."""
    year = parse_chinese_integer(year_text)
    month = parse_chinese_integer(month_text) if month_text else None
    day = parse_chinese_integer(day_text) if day_text else None
    if year is None or (month_text and month is None) or (day_text and day is None):
        return None

    _check_year(year)
    try:
        if month is None:
            return ParsedDate(value=date(year, 1, 1), precision="year", raw=raw)
        if day is None:
            return ParsedDate(value=date(year, month, 1), precision="month", raw=raw)
        return ParsedDate(value=date(year, month, day), precision="day", raw=raw)
    except ValueError as error:
        raise _InvalidDate(f"{year}-{month}-{day or 1} is not a calendar date") from error


def _check_year(year: int) -> None:
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _InvalidDate(f"year {year} is outside {MIN_YEAR}..{MAX_YEAR}")


def _coarsen(parsed: ParsedDate, hint: Precision) -> ParsedDate:
    if _PRECISION_ORDER[hint] <= _PRECISION_ORDER[parsed.precision]:
        return parsed

    if hint == "year":
        return ParsedDate(value=parsed.value.replace(month=1, day=1), precision="year", raw=parsed.raw)
    return ParsedDate(value=parsed.value.replace(day=1), precision="month", raw=parsed.raw)
