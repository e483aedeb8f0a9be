"""Issuer names (作出处罚决定的机关) to canonical regulators.

The aliases, name patterns and English names live in `etl/data/regulators.yaml`;
the provinces and cities that the patterns need come from `etl/normalize/regions.py`.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

import yaml

from etl.models import ParseWarning
from etl.normalize import regions

logger = logging.getLogger(__name__)

REGULATORS_FILE = Path(__file__).resolve().parent.parent / "data" / "regulators.yaml"

FIELD = "regulator"

Level = Literal["national", "provincial", "municipal", "county"]

# Prefixes such as 「我为群众办实事丨」 that a page title puts before the issuer.
TITLE_PREFIX = re.compile(r"^.*[丨|]")

# A sub-unit after a middle dot (工业和信息化部 · 信息通信管理局) belongs to the agency before it.
SUBUNIT_SEPARATOR = re.compile(r"\s*[·•]\s*")

# Joint issuers in one field: 「四川省通信管理局、重庆市通信管理局」, 「甘肃省通信管理局 甘肃省互联网信息办公室」.
JOINT_SEPARATOR = re.compile(r"[、,;/\s]+")

BRACKETED = re.compile(r"\([^()]*\)")

COUNTY_SUFFIXES = ("区", "县", "旗")
PREFECTURE_SUFFIXES = ("自治州", "地区", "盟", "新区")


@dataclass(frozen=True)
class Regulator:
    """A canonical regulator: its Chinese name, family, administrative level and province.

    `family` is one of CAC, MIIT, PBC, NFRA, CSRC, SAMR, MPS, MNR, SPP or other;
    `province` is None for national agencies and for generic placeholders.
    """

    canonical: str
    family: str
    level: Level
    province: str | None
    name_en: str


@dataclass(frozen=True)
class Place:
    """The place part of a local agency's name, resolved to a level and province."""

    full: str
    bare: str
    en: str
    level: Level
    province: str | None


@dataclass(frozen=True)
class NamePattern:
    """A compiled entry of the `patterns` list in regulators.yaml."""

    family: str
    regex: re.Pattern[str]
    levels: tuple[str, ...]
    level: Level | None
    canonical: str
    name_en: str


@dataclass(frozen=True)
class FixedEntry:
    """A regulator with a fixed name, and whether it is a generic placeholder."""

    regulator: Regulator
    generic: bool


@dataclass(frozen=True)
class RegulatorTables:
    """Lookups built once from regulators.yaml."""

    by_alias: dict[str, FixedEntry]
    patterns: tuple[NamePattern, ...]
    family_labels: dict[str, dict[str, str]]


def _fixed_entry(entry: dict[str, Any]) -> FixedEntry:
    regulator = Regulator(
        canonical=entry["canonical"],
        family=entry["family"],
        level=entry["level"],
        province=entry.get("province"),
        name_en=entry["name_en"],
    )
    return FixedEntry(regulator=regulator, generic=bool(entry.get("generic", False)))


def _name_pattern(entry: dict[str, Any]) -> NamePattern:
    return NamePattern(
        family=entry["family"],
        regex=re.compile(entry["regex"]),
        levels=tuple(entry["levels"]),
        level=entry.get("level"),
        canonical=entry["canonical"],
        name_en=entry["name_en"],
    )


@cache
def regulator_tables() -> RegulatorTables:
    """Load regulators.yaml once and build the lookups."""
    data = yaml.safe_load(REGULATORS_FILE.read_text(encoding="utf-8"))

    by_alias: dict[str, FixedEntry] = {}
    for entry in data["regulators"]:
        fixed = _fixed_entry(entry)
        for alias in [entry["canonical"], *entry.get("aliases", [])]:
            by_alias[_compact(alias)] = fixed

    patterns = tuple(_name_pattern(entry) for entry in data["patterns"])
    return RegulatorTables(
        by_alias=by_alias, patterns=patterns, family_labels=data["families"]
    )


def _compact(text: str) -> str:
    """Drop whitespace and fold full-width forms, so OCR-broken names compare equal."""
    folded = unicodedata.normalize("NFKC", text)
    return re.sub(r"\s+", "", folded)


def _city_place(city: str, province: str) -> Place:
    full = city if city.endswith(PREFECTURE_SUFFIXES) else f"{city}市"
    english = regions.city_english_name(city) or city
    return Place(full=full, bare=city, en=english, level="municipal", province=province)


def _split_city_prefix(text: str) -> tuple[str, str] | None:
    """Split 「青岛市黄岛区」 into the known city 「青岛」 and the rest 「黄岛区」."""
    for length in range(len(text) - 1, 1, -1):
        head = text[:length]
        rest = text[length:]
        city = head.removesuffix("市")
        if regions.province_of_city(city) and rest:
            return city, rest
    return None


def _lower_place(text: str, province: str | None) -> Place | None:
    """Resolve a city, county or district name, with the province when one is known."""
    city = text.removesuffix("市")
    city_province = regions.province_of_city(city)
    if city_province:
        return _city_place(city, city_province)

    split = _split_city_prefix(text)
    if split:
        city, rest = split
        parent = _city_place(city, regions.province_of_city(city) or "")
        return Place(
            full=f"{parent.full}{rest}",
            bare=f"{parent.full}{rest}",
            en=f"{parent.en} {rest}",
            level="county",
            province=parent.province,
        )

    if text.endswith(COUNTY_SUFFIXES) or text.endswith("市") or text.endswith(PREFECTURE_SUFFIXES):
        level: Level = "municipal" if text.endswith(PREFECTURE_SUFFIXES) else "county"
        found = province or regions.find_province(text)
        if text.endswith("市") and regions.find_province(text) is None:
            # NOTE: a 「XX市」 that is neither a listed city nor a listed county-level
            # city is taken as prefecture-level; it may be a county-level city.
            level = "municipal"
        return Place(full=text, bare=text, en=text, level=level, province=found)

    return None


def _resolve_place(text: str) -> Place | None:
    """Resolve the place part of a local agency's name (广东省, 泸州市, 青岛市黄岛区)."""
    text = text.strip()
    if not text:
        return None

    province = regions.canonical_province(text)
    if province:
        info = regions.region_tables().provinces[province]
        return Place(full=province, bare=info.short, en=info.en, level="provincial", province=province)

    city_province = regions.province_of_city(text.removesuffix("市"))
    if city_province:
        return _city_place(text.removesuffix("市"), city_province)

    for name in _province_prefixes(text):
        province = regions.canonical_province(name)
        rest = text[len(name):]
        if province is None or len(rest) < 2:
            continue
        info = regions.region_tables().provinces[province]
        if info.municipality:
            full = f"{province}{rest}"
            return Place(full=full, bare=full, en=f"{info.en} {rest}", level="county", province=province)
        lower = _lower_place(rest, province)
        if lower is not None:
            return Place(lower.full, lower.bare, lower.en, lower.level, province)

    return _lower_place(text, None)


def _province_prefixes(text: str) -> list[str]:
    tables = regions.region_tables()
    names = [name for name in tables.by_alias if text.startswith(name)]
    return sorted(names, key=len, reverse=True)


def _from_pattern(pattern: NamePattern, match: re.Match[str], place: Place) -> Regulator:
    fields = {**match.groupdict(), "place": place.full, "bare": place.bare, "en": place.en}
    return Regulator(
        canonical=pattern.canonical.format(**fields),
        family=pattern.family,
        level=pattern.level or place.level,
        province=place.province,
        name_en=pattern.name_en.format(**fields),
    )


def _match_patterns(text: str) -> Regulator | None:
    for pattern in regulator_tables().patterns:
        match = pattern.regex.match(text)
        if match is None:
            continue
        place = _resolve_place(match.group("place"))
        if place is None or place.level not in pattern.levels:
            continue
        return _from_pattern(pattern, match, place)
    return None


def _warning(kind: str, raw: str, message: str) -> ParseWarning:
    return ParseWarning(kind=kind, field=FIELD, raw=raw, message=message)


def _resolve_one(text: str) -> tuple[Regulator | None, list[ParseWarning]]:
    """Resolve one agency name by alias, then by pattern, then without bracketed parts."""
    compact = _compact(text)
    candidates = [compact, compact.removeprefix("中华人民共和国"), BRACKETED.sub("", compact)]

    for candidate in dict.fromkeys(candidates):
        fixed = regulator_tables().by_alias.get(candidate)
        if fixed is not None:
            warnings = []
            if fixed.generic:
                message = f"{text!r} names no precise agency; look it up from the URL or the text"
                warnings.append(_warning("regulator_generic", text, message))
            return fixed.regulator, warnings

        regulator = _match_patterns(candidate)
        if regulator is not None:
            warnings = []
            if regulator.province is None:
                message = f"no province found for {regulator.canonical!r}"
                warnings.append(_warning("regulator_province_unknown", text, message))
            return regulator, warnings

    return None, []


def _unknown(raw: str) -> ParseWarning:
    return _warning("regulator_unknown", raw, f"no regulator matches {raw!r}")


def _resolve_joint(text: str) -> tuple[list[Regulator], list[ParseWarning]]:
    regulators: list[Regulator] = []
    warnings: list[ParseWarning] = []
    for part in JOINT_SEPARATOR.split(text):
        if not part:
            continue
        regulator, part_warnings = _resolve_one(part)
        warnings.extend(part_warnings)
        if regulator is None:
            warnings.append(_unknown(part))
        elif regulator not in regulators:
            regulators.append(regulator)
    return regulators, warnings


def resolve_regulator(name: str) -> tuple[list[Regulator], list[ParseWarning]]:
    """Map an issuer string to its canonical regulators, in the order they are named.

    A joint field (「四川省通信管理局、重庆市通信管理局」) gives several regulators. An
    unknown name gives [] and a `regulator_unknown` warning; the placeholder
    「地方市场监管局」 gives the generic local market regulator and a
    `regulator_generic` warning. An empty name gives [] and no warning.
    """
    text = TITLE_PREFIX.sub("", unicodedata.normalize("NFKC", name or "")).strip()
    if not text:
        return [], []

    regulator, warnings = _resolve_one(text)
    if regulator is not None:
        return [regulator], warnings

    head = SUBUNIT_SEPARATOR.split(text)[0]
    if head != text:
        regulator, warnings = _resolve_one(head)
        if regulator is not None:
            return [regulator], warnings

    regulators, warnings = _resolve_joint(text)
    if not regulators and not warnings:
        warnings.append(_unknown(name))
    if not regulators:
        logger.debug("no regulator matches %r", name)
    return regulators, warnings


def regulator_family_label(family: str, lang: Literal["zh", "en"]) -> str:
    """Return the dashboard label of a regulator family; an unknown family comes back unchanged."""
    labels = regulator_tables().family_labels.get(family)
    if labels is None:
        return family
    return labels[lang]
