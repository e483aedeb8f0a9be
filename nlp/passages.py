"""Split a case's text into passages of facts, violations and decision, with exact offsets.

A passage is the unit that search embeds and shows: `text[start:end] == passage.text`
always holds for the field it was cut from, so a hit can be highlighted in place.

1. The text is cut into units at sentence ends and where a heading of nlp/passages.yaml
   starts (违法事实, 违法行为类型, 处罚内容, ...).
2. Each unit takes a kind: a heading's kind, else the kind of the first marker phrase
   in it (经查, 违反了, 决定：, 责令改正, ...), else the kind of the last marker before it.
   Text before the first marker counts as facts. A text with no marker at all is one
   run of "violations", as are app rows (label lists starting with 应用名称：).
3. Consecutive units of one kind form a passage. Passages longer than `max_chars` are
   cut at sentence ends, a longer sentence at a clause end, and whitespace at either
   end is left out.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml

from eintel.raw import content_hash, stable_id

logger = logging.getLogger(__name__)

RULES_PATH = Path(__file__).with_name("passages.yaml")

Kind = Literal["facts", "violations", "decision"]
KINDS: tuple[str, ...] = ("facts", "violations", "decision")
# The kind of a text without any marker: app rows and one-line summaries name the conduct.
FALLBACK_KIND = "violations"
# The kind of the text before the first marker: party details and the course of the case.
LEADING_KIND = "facts"


@dataclass(frozen=True)
class Passage:
    """One passage of a case. `start`/`end` are character offsets into the case's `field`
    ("text", or "summary" when the text is empty); `text_hash` is the SHA-256 of `text`."""

    passage_id: str
    case_id: str
    field: str
    kind: str
    start: int
    end: int
    text: str
    text_hash: str


@dataclass(frozen=True)
class PassageRules:
    """The markers and limits of nlp/passages.yaml, compiled."""

    max_chars: int
    min_chars: int
    sentence_ends: frozenset[str]
    clause_ends: tuple[str, ...]
    label_list_prefixes: tuple[str, ...]
    headings: tuple[tuple[str, re.Pattern[str]], ...]
    phrases: tuple[tuple[str, re.Pattern[str]], ...]


class PassageRulesError(Exception):
    """Raised when nlp/passages.yaml (or a replacement file) is invalid."""


@cache
def load_rules(path: Path = RULES_PATH) -> PassageRules:
    """Read and compile the passage rules. Raises PassageRulesError naming the invalid entry."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        max_chars = int(data["max_chars"])
        min_chars = int(data["min_chars"])
        rules = PassageRules(
            max_chars=max_chars,
            min_chars=min_chars,
            sentence_ends=frozenset(data["sentence_ends"]),
            clause_ends=tuple(data["clause_ends"]),
            label_list_prefixes=tuple(data.get("label_list_prefixes") or ()),
            headings=_compile_markers(data["headings"], path, "headings"),
            phrases=_compile_markers(data["phrases"], path, "phrases"),
        )
    except (KeyError, TypeError, ValueError) as error:
        raise PassageRulesError(f"invalid passage rules in {path}: {error!r}; compare with {RULES_PATH}") from error
    if not 0 <= min_chars < max_chars:
        raise PassageRulesError(f"{path}: need 0 <= min_chars < max_chars, got min_chars={min_chars} max_chars={max_chars}")
    return rules


def _compile_markers(section: dict[str, list[str]], path: Path, name: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    compiled = []
    for kind, patterns in section.items():
        if kind not in KINDS:
            raise PassageRulesError(f"{path}: unknown kind {kind!r} under {name}; use one of {list(KINDS)}")
        for pattern in patterns:
            try:
                compiled.append((kind, re.compile(pattern)))
            except re.error as error:
                raise PassageRulesError(f"{path}: invalid regular expression {pattern!r} under {name}.{kind}: {error}") from error
    return tuple(compiled)


def split_passages(case_id: str, title: str, summary: str, text: str, rules: PassageRules | None = None) -> list[Passage]:
    """Split one case into passages, in text order; an empty text and summary give none.

    The passages come from `text`, or from `summary` when the text is blank. `title` is
    not split into passages, because every party of a notice shares the notice's title
    and so it does not distinguish their cases.
    """
    rules = rules or load_rules()
    if text.strip():
        field, source = "text", text
    elif summary.strip():
        field, source = "summary", summary
    else:
        return []

    passages = []
    for kind, start, end in _pieces(source, rules):
        piece = source[start:end]
        passages.append(
            Passage(
                passage_id=stable_id(case_id, field, kind, start),
                case_id=case_id,
                field=field,
                kind=kind,
                start=start,
                end=end,
                text=piece,
                text_hash=content_hash(piece),
            )
        )
    return passages


# Units and kinds ---------------------------------------------------------------------------


def _pieces(source: str, rules: PassageRules) -> list[tuple[str, int, int]]:
    """Return (kind, start, end) of every passage of `source`, trimmed of whitespace."""
    if source.lstrip().startswith(rules.label_list_prefixes):
        units = [(FALLBACK_KIND, start, end) for start, end in _sentence_units(source, rules, set())]
    else:
        units = _kinded_units(source, rules)

    pieces: list[tuple[str, int, int]] = []
    for kind, run in _runs(units):
        for start, end in _pack(source, run, rules):
            trimmed = _trim(source, start, end)
            if trimmed:
                pieces.append((kind, *trimmed))
    return _join_short(source, pieces, rules)


def _heading_starts(source: str, rules: PassageRules) -> dict[int, str]:
    """Map the start of each heading to its kind. A heading counts at the start of the text or
    after whitespace or a sentence end."""
    starts: dict[int, str] = {}
    for kind, pattern in rules.headings:
        for match in pattern.finditer(source):
            position = match.start()
            before = source[position - 1] if position else ""
            if position == 0 or before.isspace() or before in rules.sentence_ends:
                starts.setdefault(position, kind)
    return starts


def _sentence_units(source: str, rules: PassageRules, extra_starts: set[int]) -> list[tuple[int, int]]:
    """Cut `source` after every sentence end and at `extra_starts`. The units cover the whole text."""
    bounds = {0, len(source)} | {index + 1 for index, char in enumerate(source) if char in rules.sentence_ends}
    bounds |= extra_starts
    ordered = sorted(bound for bound in bounds if 0 <= bound <= len(source))
    return [(start, end) for start, end in zip(ordered, ordered[1:]) if end > start]


def _kinded_units(source: str, rules: PassageRules) -> list[tuple[str, int, int]]:
    """Cut `source` into units and give each its kind (step 2 of the module docstring)."""
    headings = _heading_starts(source, rules)
    phrases = sorted(
        (match.start(), kind) for kind, pattern in rules.phrases for match in pattern.finditer(source)
    )
    if not headings and not phrases:
        return [(FALLBACK_KIND, start, end) for start, end in _sentence_units(source, rules, set())]

    units = []
    carried = LEADING_KIND
    phrase_index = 0
    for start, end in _sentence_units(source, rules, set(headings)):
        markers = [headings[start]] if start in headings else []
        while phrase_index < len(phrases) and phrases[phrase_index][0] < end:
            if phrases[phrase_index][0] >= start:
                markers.append(phrases[phrase_index][1])
            phrase_index += 1
        kind = markers[0] if markers else carried
        if markers:
            carried = markers[-1]
        units.append((kind, start, end))
    return units


def _runs(units: list[tuple[str, int, int]]) -> list[tuple[str, list[tuple[int, int]]]]:
    """Group consecutive units of one kind."""
    runs: list[tuple[str, list[tuple[int, int]]]] = []
    for kind, start, end in units:
        if runs and runs[-1][0] == kind:
            runs[-1][1].append((start, end))
        else:
            runs.append((kind, [(start, end)]))
    return runs


# Lengths -----------------------------------------------------------------------------------


def _pack(source: str, units: list[tuple[int, int]], rules: PassageRules) -> list[tuple[int, int]]:
    """Pack consecutive units into spans of at most max_chars (whitespace at the ends not counted)."""
    spans: list[tuple[int, int]] = []
    current: tuple[int, int] | None = None
    for start, end in units:
        if current is not None and _trimmed_length(source, current[0], end) <= rules.max_chars:
            current = (current[0], end)
            continue
        if current is not None:
            spans.append(current)
        current = None
        for piece in _cut_long(source, start, end, rules):
            if current is not None:
                spans.append(current)
            current = piece
    if current is not None:
        spans.append(current)
    return spans


def _cut_long(source: str, start: int, end: int, rules: PassageRules) -> list[tuple[int, int]]:
    """Cut one unit longer than max_chars after clause ends, or at max_chars where there is none."""
    pieces = []
    while _trimmed_length(source, start, end) > rules.max_chars:
        # Skip leading whitespace so the limit applies to the characters kept.
        while start < end and source[start].isspace():
            start += 1
        limit = start + rules.max_chars
        cut = _last_clause_end(source, start, limit, rules)
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def _last_clause_end(source: str, start: int, limit: int, rules: PassageRules) -> int:
    """Return the position after the last clause end in source[start:limit], trying clause_ends
    in order. Return `limit` when the window has none."""
    window = source[start:limit]
    for mark in rules.clause_ends:
        index = window.rfind(mark)
        # A cut in the first half would leave a short piece and a long rest, so it is skipped.
        if index >= len(window) // 2:
            return start + index + 1
    return limit


def _trimmed_length(source: str, start: int, end: int) -> int:
    trimmed = _trim(source, start, end)
    return trimmed[1] - trimmed[0] if trimmed else 0


def _trim(source: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and source[start].isspace():
        start += 1
    while end > start and source[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def _join_short(source: str, pieces: list[tuple[str, int, int]], rules: PassageRules) -> list[tuple[str, int, int]]:
    """Join a piece shorter than min_chars to the next piece (the last one to the one before),
    when the two together stay within max_chars."""
    joined: list[tuple[str, int, int]] = []
    pending: tuple[str, int, int] | None = None
    for kind, start, end in pieces:
        if pending is not None:
            if end - pending[1] <= rules.max_chars:
                start = pending[1]
            else:
                joined.append(pending)
            pending = None
        if end - start < rules.min_chars:
            pending = (kind, start, end)
            continue
        joined.append((kind, start, end))

    if pending is not None:
        if joined and pending[2] - joined[-1][1] <= rules.max_chars:
            kind, start, _ = joined.pop()
            joined.append((kind, start, pending[2]))
        else:
            joined.append(pending)
    return joined
