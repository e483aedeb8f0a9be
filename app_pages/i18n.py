"""UI text in Simplified Chinese (default) and English, and number and date formats.

Every key of `strings.yaml` carries both a `zh` and an `en` text. The same file names
regulator families, provinces and national regulators for display, because the
warehouse stores those as bare codes or Chinese canonical names.
"""

from __future__ import annotations

import logging
from datetime import date
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from nlp import formatting

logger = logging.getLogger(__name__)

Lang = Literal["zh", "en"]
LANGUAGES: tuple[Lang, ...] = ("zh", "en")
LANGUAGE_NAMES: dict[str, str] = {"zh": "中文", "en": "English"}

_STRINGS_FILE = Path(__file__).with_name("strings.yaml")


def is_missing(value: Any) -> bool:
    """Tell None and NaN/NaT apart from a value; pandas puts NaN or NaT in empty cells."""
    return value is None or value != value


@cache
def load_strings() -> dict[str, dict[str, Any]]:
    """Read strings.yaml once: sections `ui`, `regulator_families`, `provinces`, `regulators`."""
    with _STRINGS_FILE.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def t(key: str, lang: str, **values: Any) -> str:
    """Return the UI text of `key` in `lang`, with `values` filled into its {placeholders}.

    A missing key shows as the key itself and logs a warning, so a page still renders.
    """
    entry = load_strings()["ui"].get(key)
    if entry is None:
        logger.warning("missing UI text: key=%s lang=%s", key, lang)
        return key

    text = entry.get(lang) or entry["zh"]
    return text.format(**values) if values else text


def family_label(code: str | None, lang: str) -> str:
    """Name a regulator family code (CAC, MIIT ...) in `lang`, or the code when unknown."""
    if is_missing(code):
        return t("not_stated", lang)
    entry = load_strings()["regulator_families"].get(code)
    return entry[lang] if entry else code


def province_label(name: str | None, lang: str) -> str:
    """Name a province in `lang`: the stored Chinese name, or its English name where listed."""
    if is_missing(name):
        return t("national_scope", lang)
    if lang == "zh":
        return name
    return load_strings()["provinces"].get(name, name)


def regulator_label(name: str | None, lang: str) -> str:
    """Name a regulator in `lang`: the Chinese canonical name, or its English name where listed."""
    if is_missing(name):
        return t("not_stated", lang)
    if lang == "zh":
        return name
    return load_strings()["regulators"].get(name, name)


def format_cny(value: Decimal | float | int | None, lang: str, compact: bool = True) -> str:
    """Format an amount in yuan: 1,712.4万元 / 80.26亿元 in zh, CNY 17,124,000 in en.

    `compact=False` keeps every fen in zh too (16,217.47元), for a case's own amounts.
    None and NaN format as a dash.
    """
    if is_missing(value):
        return "—"
    return formatting.format_cny(value, lang, compact)


def format_share(value: float | None) -> str:
    """Format a 0..1 share as a percentage with one decimal; None formats as a dash.

    A share just short of 1 or just above 0 keeps its side of the bound (">99.9%",
    "<0.1%") instead of rounding to 100.0% or 0.0%.
    """
    if value is None:
        return "—"
    if 0.9995 <= value < 1:
        return ">99.9%"
    if 0 < value < 0.0005:
        return "<0.1%"
    return f"{value:.1%}"


def format_date(value: date | None, precision: str | None, lang: str) -> str:
    """Format a date to its known precision: 2026年9月 / 2026-09 for a month-only date.

    Takes a date, a datetime (pandas Timestamps are), None or NaT; the last two format as a dash.
    """
    if is_missing(value):
        return "—"
    return formatting.format_date(value, precision, lang)