"""Bilingual (zh/en) taxonomies of violation types, outcome types, industries and domains.

Each taxonomy is a YAML file beside this module (`<kind>.yaml`) with a `categories`
list. An entry has a snake_case English `code`, a Chinese `zh` label, an English `en`
label, a one-line `description_en` and its matching rules: `keywords` (plain
substrings), optional `patterns` (regexes) and optional `exclude` regexes. Some kinds
allow extra lookup lists per entry (see `LOOKUP_FIELDS`), read with `load_lookups`.

Matching runs on text normalized by `normalize_text` (NFKC, lower case), so a keyword
written with full-width brackets or upper-case letters still matches. Files are read
once per process and validated on load; a bad file raises `TaxonomyError`.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

logger = logging.getLogger(__name__)

TaxonomyKind = Literal["violation_types", "outcome_types", "industries", "domains"]
Language = Literal["zh", "en"]

TAXONOMY_DIR = Path(__file__).parent
REQUIRED_TEXT_FIELDS = ("code", "zh", "en", "description_en")
RULE_FIELDS = ("keywords", "patterns", "exclude")

# Extra per-entry lists that a kind may carry beside its matching rules.
LOOKUP_FIELDS: dict[str, tuple[str, ...]] = {
    "violation_types": (),
    "outcome_types": ("notice_kinds",),
    "industries": ("text_keywords",),
    "domains": ("regulator_families", "upstream_types"),
}

CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")


class TaxonomyError(ValueError):
    """Raised when a taxonomy file is missing, unreadable or has an invalid entry."""


@dataclass(frozen=True)
class Category:
    """One taxonomy entry with its labels and matching rules.

    `exclude` spans are blanked out of the text before `keywords` and `patterns` are
    tried, so a statutory range such as 「处十万元以上一百万元以下罚款」 can be kept from
    counting as an imposed fine while a real fine in the same text still counts.
    """

    code: str
    zh: str
    en: str
    description_en: str
    keywords: tuple[str, ...]
    patterns: tuple[re.Pattern, ...]
    exclude: tuple[re.Pattern, ...]

    def matches(self, normalized_text: str) -> bool:
        """Return True when a keyword or pattern occurs in text already passed through `normalize_text`."""
        text = normalized_text
        for pattern in self.exclude:
            text = pattern.sub(" ", text)

        if any(keyword in text for keyword in self.keywords):
            return True

        return any(pattern.search(text) for pattern in self.patterns)


# Every classifier folds its input, so one case's title and text are folded several times.
# The cache also serves the labels and regulator names that repeat across cases.
@lru_cache(maxsize=8192)
def normalize_text(text: str) -> str:
    """Normalize text for matching: NFKC (full-width and Kangxi-radical forms folded) and lower case.

    Runs of whitespace become one space. A name split by a PDF or OCR line break
    (「北京七彩拇指科技有限公 司」) keeps that space, so name matching removes it first.
    """
    folded = unicodedata.normalize("NFKC", text).lower()
    return re.sub(r"\s+", " ", folded).strip()


def load_taxonomy(kind: TaxonomyKind) -> list[Category]:
    """Return the categories of one taxonomy in file order, read and validated once.

    Raises TaxonomyError naming the file, the entry and the field when the file is
    missing, is not valid YAML, or has an invalid entry.
    """
    categories, _lookups = _load(kind)
    return list(categories)


def load_lookups(kind: TaxonomyKind) -> dict[str, dict[str, tuple[str, ...]]]:
    """Return the extra lookup lists of each category (code → field → normalized values).

    Only the fields listed in `LOOKUP_FIELDS` for the kind are present; a category
    without one gets an empty tuple.
    """
    _categories, lookups = _load(kind)
    return {code: dict(fields) for code, fields in lookups.items()}


def label(kind: TaxonomyKind, code: str, lang: Language) -> str:
    """Return the zh or en label of a code; an unknown code is returned unchanged."""
    for category in load_taxonomy(kind):
        if category.code == code:
            return category.zh if lang == "zh" else category.en
    return code


def all_codes(kind: TaxonomyKind) -> list[str]:
    """Return every code of a taxonomy in file order."""
    return [category.code for category in load_taxonomy(kind)]


def all_label_rows() -> list[tuple[str, str, str, str]]:
    """Return (kind, code, zh, en) for every code of every taxonomy, for the warehouse."""
    return [
        (kind, category.code, category.zh, category.en)
        for kind in get_args(TaxonomyKind)
        for category in load_taxonomy(kind)
    ]


def read_taxonomy_file(path: Path, kind: TaxonomyKind) -> list[Category]:
    """Read and validate one taxonomy file without caching (for checking an edited or new file).

    Raises TaxonomyError naming the file, the entry and the field.
    """
    categories, _lookups = _parse_file(path, kind)
    return list(categories)


@cache
def _load(kind: str) -> tuple[tuple[Category, ...], dict[str, dict[str, tuple[str, ...]]]]:
    if kind not in get_args(TaxonomyKind):
        raise TaxonomyError(f"Invalid taxonomy kind {kind!r}; expected one of {get_args(TaxonomyKind)}")

    categories, lookups = _parse_file(TAXONOMY_DIR / f"{kind}.yaml", kind)
    logger.debug("Loaded taxonomy %s: %d categories", kind, len(categories))
    return categories, lookups


def _parse_file(path: Path, kind: str) -> tuple[tuple[Category, ...], dict[str, dict[str, tuple[str, ...]]]]:
    entries = _read_entries(path)
    lookup_fields = LOOKUP_FIELDS.get(kind, ())

    categories: list[Category] = []
    lookups: dict[str, dict[str, tuple[str, ...]]] = {}
    for index, entry in enumerate(entries):
        category = _build_category(path, index, entry, lookup_fields)
        if category.code in lookups:
            raise TaxonomyError(f"{path.name}: entry {index} ({category.code}): duplicate code {category.code!r}")

        categories.append(category)
        lookups[category.code] = {
            field: _string_list(path, category.code, entry, field, normalize=True) for field in lookup_fields
        }

    if "other" not in lookups:
        raise TaxonomyError(f"{path.name}: missing the fallback entry with code 'other'")
    return tuple(categories), lookups


def _read_entries(path: Path) -> list[Any]:
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise TaxonomyError(f"{path.name}: failed to read taxonomy file {path}: {error}") from error
    except yaml.YAMLError as error:
        raise TaxonomyError(f"{path.name}: invalid YAML: {error}") from error

    if not isinstance(document, dict) or not isinstance(document.get("categories"), list):
        raise TaxonomyError(f"{path.name}: expected a mapping with a 'categories' list at the top level")
    return document["categories"]


def _build_category(path: Path, index: int, entry: Any, lookup_fields: tuple[str, ...]) -> Category:
    if not isinstance(entry, dict):
        raise TaxonomyError(f"{path.name}: entry {index}: expected a mapping, got {type(entry).__name__}")

    name = str(entry.get("code") or f"#{index}")
    allowed = set(REQUIRED_TEXT_FIELDS) | set(RULE_FIELDS) | set(lookup_fields)
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise TaxonomyError(f"{path.name}: entry {name}: unknown field(s) {unknown}; allowed are {sorted(allowed)}")

    for field in REQUIRED_TEXT_FIELDS:
        value = entry.get(field)
        if not isinstance(value, str) or not value.strip():
            raise TaxonomyError(f"{path.name}: entry {name}: field {field!r} is missing or empty")

    if not CODE_RE.match(entry["code"]):
        raise TaxonomyError(f"{path.name}: entry {name}: field 'code' must be snake_case ASCII, got {entry['code']!r}")

    return Category(
        code=entry["code"],
        zh=entry["zh"].strip(),
        en=entry["en"].strip(),
        description_en=entry["description_en"].strip(),
        keywords=_string_list(path, name, entry, "keywords", normalize=True),
        patterns=_compile_patterns(path, name, entry, "patterns"),
        exclude=_compile_patterns(path, name, entry, "exclude"),
    )


def _string_list(path: Path, name: str, entry: dict[str, Any], field: str, normalize: bool) -> tuple[str, ...]:
    values = entry.get(field) or []
    if not isinstance(values, list):
        raise TaxonomyError(f"{path.name}: entry {name}: field {field!r} must be a list, got {type(values).__name__}")

    strings: list[str] = []
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise TaxonomyError(f"{path.name}: entry {name}: field {field!r} has an empty or non-string item {value!r}")
        strings.append(normalize_text(value) if normalize else value)
    return tuple(strings)


def _compile_patterns(path: Path, name: str, entry: dict[str, Any], field: str) -> tuple[re.Pattern, ...]:
    compiled: list[re.Pattern] = []
    for source in _string_list(path, name, entry, field, normalize=False):
        try:
            compiled.append(re.compile(source, re.IGNORECASE))
        except re.error as error:
            raise TaxonomyError(f"{path.name}: entry {name}: field {field!r}: invalid regex {source!r}: {error}") from error
    return tuple(compiled)
