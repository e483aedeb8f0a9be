"""Helpers for decisions that name several parties (当事人) in one document.

A decision against a bank and its staff (NFRA tables) or a listed company and its officers
(CSRC decisions) states every party's penalty in one passage: 「对甲银行股份有限公司罚款
人民币50万元；对李明给予警告」. The source parsers split such a passage into clauses and give
each party the clauses that name it, so that one party's case never carries another's fine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from etl.normalize.parties import PLACEHOLDERS, looks_like_person, split_outside_brackets

NAME_SEPARATORS = "、；;\n"

BRACKETED_RE = re.compile(r"[（(][^（）()]*[）)]")
# A penalty passage breaks into clauses at sentence ends, line breaks, and before 「对」 after a comma.
CLAUSE_SPLIT_RE = re.compile(r"[；;。\n]+|[，,](?=对)")


@dataclass
class PartyMention:
    """A party as a decision names it, with the strings that identify it in a penalty clause."""

    name: str
    individual: bool = False
    keys: list[str] = field(default_factory=list)


def split_names(value: str) -> list[str]:
    """Split a cell naming several parties at 、 ； ; and line breaks outside brackets, dropping placeholders.

    A comma does not split, because a person's cell continues 「李明，时任…」.
    """
    cleaned = [name.strip().rstrip("，,。") for name in split_outside_brackets(value, NAME_SEPARATORS)]
    return [name for name in cleaned if name and name not in PLACEHOLDERS]


def bare_name(name: str) -> str:
    """Strip bracketed notes and a comma-separated tail from a name: 「李明（时任甲银行行长）」 gives 「李明」."""
    return BRACKETED_RE.sub("", name).split("，")[0].split(",")[0].strip()


def match_keys(name: str, legal_form_suffixes: list[str], aliases: list[str] | None = None) -> list[str]:
    """List the strings that identify a party in a clause: its bare name, the name without its legal form, aliases.

    A short form must keep at least two characters, so 「甲公司」 is never cut to 「甲」.
    """
    bare = bare_name(name)
    keys = [bare] if bare else []
    for suffix in sorted(legal_form_suffixes, key=len, reverse=True):
        if bare.endswith(suffix) and len(bare) - len(suffix) >= 2:
            keys.append(bare[: -len(suffix)])
            break
    for alias in aliases or []:
        if len(alias) >= 2 and alias not in keys:
            keys.append(alias)
    return keys


def split_clauses(text: str) -> list[str]:
    """Split a penalty passage into clauses (see CLAUSE_SPLIT_RE), dropping empty pieces."""
    return [piece.strip(" ，,：:") for piece in CLAUSE_SPLIT_RE.split(text or "") if piece.strip(" ，,：:")]


def assign_clauses(clauses: list[str], parties: list[PartyMention]) -> tuple[list[list[str]], list[str]]:
    """Give each party the clauses that name it, and return the clauses that name no party as well.

    Bracketed notes are ignored (「对李明（时任甲银行行长）给予警告」 names only 李明), and a key
    found inside a longer key's match counts for the longer one only, so 李明 does not
    claim a clause about 李明华.
    """
    per_party: list[list[str]] = [[] for _ in parties]
    unassigned: list[str] = []
    for clause in clauses:
        hits = _parties_named(BRACKETED_RE.sub("", clause), parties)
        if not hits:
            unassigned.append(clause)
        for index in hits:
            per_party[index].append(clause)
    return per_party, unassigned


def persons_named(parties: list[PartyMention]) -> list[str]:
    """Bare names of the natural persons among a decision's parties.

    Parsers store them in `extra["persons_named"]` of every draft of the decision, and the
    pipeline masks them in all of that document's cases when EINTEL_MASK_PERSONS is on.
    """
    names = [
        bare_name(party.name) for party in parties
        if party.individual or looks_like_person(bare_name(party.name))
    ]
    return [name for name in names if name]


def _parties_named(clause: str, parties: list[PartyMention]) -> list[int]:
    spans: list[tuple[int, int, int]] = []
    for index, party in enumerate(parties):
        for key in party.keys:
            start = clause.find(key)
            while start >= 0:
                spans.append((start, start + len(key), index))
                start = clause.find(key, start + 1)

    named: list[int] = []
    for start, end, index in spans:
        inside_longer = any(
            other_start <= start and end <= other_end and (other_end - other_start) > (end - start) and other != index
            for other_start, other_end, other in spans
        )
        if not inside_longer and index not in named:
            named.append(index)
    return sorted(named)
