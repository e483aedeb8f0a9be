"""Province lookup for texts, agency names and URLs.

The provinces, their major cities and the domains that identify them live in
`etl/data/provinces.yaml`. Every function returns the canonical full name of a
provincial-level division (广东省, 北京市, 广西壮族自治区) or None when nothing is found.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml

logger = logging.getLogger(__name__)

PROVINCES_FILE = Path(__file__).resolve().parent.parent / "data" / "provinces.yaml"

MIIT_HOST_SUFFIX = ".miit.gov.cn"


@dataclass(frozen=True)
class Province:
    """One provincial-level division with its cities, counties and MIIT subdomain."""

    name: str
    short: str
    en: str
    municipality: bool = False
    miit_prefix: str | None = None
    cities: dict[str, str] = field(default_factory=dict)
    counties: tuple[str, ...] = ()


@dataclass(frozen=True)
class RegionTables:
    """Lookups built once from provinces.yaml."""

    provinces: dict[str, Province]
    by_alias: dict[str, str]
    city_province: dict[str, str]
    city_en: dict[str, str]
    county_province: dict[str, str]
    miit_prefixes: dict[str, str]
    domains: dict[str, str]
    pinyin_province: dict[str, str]
    name_pattern: re.Pattern[str]


def _build_province(entry: dict[str, Any]) -> Province:
    return Province(
        name=entry["name"],
        short=entry["short"],
        en=entry["en"],
        municipality=bool(entry.get("municipality", False)),
        miit_prefix=entry.get("miit_prefix"),
        cities=dict(entry.get("cities") or {}),
        counties=tuple(entry.get("counties") or ()),
    )


def _pinyin_labels(provinces: dict[str, Province]) -> dict[str, str]:
    """Map lower-case English names (guangzhou, luzhou) to provinces, leaving out clashes.

    Suzhou (苏州, 宿州), Taizhou (泰州, 台州), Fuzhou (福州, 抚州) and Yichun (宜春, 伊春)
    name cities in two provinces, so a host label with such a name identifies none.
    """
    seen: dict[str, set[str]] = {}
    for province in provinces.values():
        labels = [province.en] + list(province.cities.values())
        for label in labels:
            key = re.sub(r"[^a-z]", "", label.lower())
            seen.setdefault(key, set()).add(province.name)

    return {key: names.pop() for key, names in seen.items() if len(names) == 1}


def _name_pattern(
    provinces: dict[str, Province], ambiguous: set[str]
) -> re.Pattern[str]:
    """Build one alternation of every province, city and county name, longest first."""
    names: set[str] = set()
    for province in provinces.values():
        names.update({province.name, province.short})
        for city in province.cities:
            names.add(f"{city}市")
            if city not in ambiguous:
                names.add(city)
        for county in province.counties:
            names.add(county)

    ordered = sorted(names, key=len, reverse=True)
    return re.compile("|".join(re.escape(name) for name in ordered))


@cache
def region_tables() -> RegionTables:
    """Load provinces.yaml once and build the lookups."""
    data = yaml.safe_load(PROVINCES_FILE.read_text(encoding="utf-8"))
    provinces = {entry["name"]: _build_province(entry) for entry in data["provinces"]}

    by_alias: dict[str, str] = {}
    city_province: dict[str, str] = {}
    city_en: dict[str, str] = {}
    county_province: dict[str, str] = {}
    miit_prefixes: dict[str, str] = {}
    for province in provinces.values():
        by_alias[province.name] = province.name
        by_alias[province.short] = province.name
        for city, english in province.cities.items():
            city_province[city] = province.name
            city_province[f"{city}市"] = province.name
            city_en[city] = english
        for county in province.counties:
            county_province[county] = province.name
        if province.miit_prefix:
            miit_prefixes[province.miit_prefix] = province.name

    ambiguous = set(data.get("ambiguous_city_names") or ())
    return RegionTables(
        provinces=provinces,
        by_alias=by_alias,
        city_province=city_province,
        city_en=city_en,
        county_province=county_province,
        miit_prefixes=miit_prefixes,
        domains=dict(data.get("domains") or {}),
        pinyin_province=_pinyin_labels(provinces),
        name_pattern=_name_pattern(provinces, ambiguous),
    )


def canonical_province(name: str) -> str | None:
    """Return the full name of a province given its full or short name (广东 → 广东省)."""
    return region_tables().by_alias.get(name.strip())


def province_of_city(city: str) -> str | None:
    """Return the province of a prefecture-level city, written with or without 市."""
    return region_tables().city_province.get(city.strip())


def city_english_name(city: str) -> str | None:
    """Return the English name of a prefecture-level city (泸州市 → Luzhou)."""
    return region_tables().city_en.get(city.strip().removesuffix("市"))


def find_province(text: str) -> str | None:
    """Return the first province named in a text, by full or short name or by a known city.

    The earliest name in the text wins, so 青岛市黄岛区 gives 山东省 and
    四川省通信管理局、重庆市通信管理局 gives 四川省. A few city names that are also common
    words (朝阳, 北海, 中山 ...) count only when followed by 市.
    """
    if not text:
        return None

    tables = region_tables()
    match = tables.name_pattern.search(text)
    if match is None:
        return None

    name = match.group(0)
    return (
        tables.by_alias.get(name)
        or tables.city_province.get(name)
        or tables.county_province.get(name)
    )


def _province_from_host(host: str) -> str | None:
    tables = region_tables()

    for domain in sorted(tables.domains, key=len, reverse=True):
        if host == domain or host.endswith(f".{domain}"):
            return tables.domains[domain]

    if host.endswith(MIIT_HOST_SUFFIX):
        prefix = host.removesuffix(MIIT_HOST_SUFFIX).split(".")[-1]
        return tables.miit_prefixes.get(prefix)

    # PBC branch sites and many local portals put the city's pinyin in the host
    # (guangzhou.pbc.gov.cn, scjgj.luzhou.gov.cn).
    if host.endswith(".gov.cn"):
        for label in host.removesuffix(".gov.cn").split("."):
            if label in tables.pinyin_province:
                return tables.pinyin_province[label]

    return None


def province_from_url(url: str) -> str | None:
    """Return the province a URL's host identifies, or None for national or unknown hosts.

    Checks the domain table of provinces.yaml first, then the MIIT provincial
    subdomains (gdca.miit.gov.cn → 广东省), then a host label equal to the English
    name of a province or city that is unique across provinces.
    """
    if not url:
        return None

    candidate = url if "//" in url else f"//{url}"
    try:
        host = (urlsplit(candidate).hostname or "").lower()
    except ValueError:
        logger.debug("invalid URL, no province taken from it: %r", url)
        return None

    if not host:
        return None
    return _province_from_host(host)


def province_label(name: str, lang: Literal["zh", "en"]) -> str:
    """Return a province's label for the dashboard: its full Chinese name or its English name.

    A name that is not a known province comes back unchanged.
    """
    full = canonical_province(name) if name else None
    if full is None:
        return name

    if lang == "en":
        return region_tables().provinces[full].en
    return full
