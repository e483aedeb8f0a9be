"""Amounts, dates and lists written out in Chinese or English, for match reports and the dashboard.

The dashboard's app_pages/i18n.py calls these after its own checks for pandas' missing
values. Amounts are in yuan (CNY).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any, Iterable

_WAN = Decimal(10_000)
_YI = Decimal(100_000_000)


def _trim(value: Decimal, places: int) -> str:
    text = f"{value:,.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_cny(value: Decimal | float | int | None, lang: str, compact: bool = True) -> str:
    """Format an amount in yuan: 1,712.4万元 or 80.26亿元 in zh, CNY 17,124,000 in en; None gives a dash.

    `compact=False` keeps every fen in zh too (16,217.47元), for a case's own amounts.
    """
    if value is None or value != value:
        return "—"
    amount = Decimal(str(value))

    if lang != "zh":
        return f"CNY {_trim(amount, 2)}"
    if compact and abs(amount) >= _YI:
        return f"{_trim(amount / _YI, 2)}亿元"
    if compact and abs(amount) >= _WAN:
        return f"{_trim(amount / _WAN, 2)}万元"
    return f"{_trim(amount, 2)}元"


def format_date(value: date | None, precision: str | None, lang: str) -> str:
    """Format a date to its known precision (2024年3月 or 2024-03 for a month-only date); None gives a dash."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.date()

    if lang == "zh":
        if precision == "year":
            return f"{value.year}年"
        if precision == "month":
            return f"{value.year}年{value.month}月"
        return f"{value.year}年{value.month}月{value.day}日"

    if precision == "year":
        return str(value.year)
    if precision == "month":
        return f"{value.year}-{value.month:02d}"
    return value.isoformat()


def join_items(items: Iterable[Any], lang: str) -> str:
    """Join items with 、 in zh and a comma in en."""
    separator = "、" if lang == "zh" else ", "
    return separator.join(str(item) for item in items)


def format_similarity(value: float) -> str:
    """Format a cosine similarity with two decimals."""
    return f"{value:.2f}"
