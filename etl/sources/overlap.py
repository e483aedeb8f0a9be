"""Resolve notices and decisions that several datasets (or one dataset twice) carry.

Seen in the lawdatify datasets on 2026-12-04:

- A national MIIT/CAC batch is in batches.json, in docs.json with its app rows, and in
  cases.json as an 「App通报」/「App(SDK)通报」 record, all under one URL.
- docs.json repeats some notices under two URLs: http and https of one page, or two
  columns of one provincial site (ids 26ec418b4885 and 3b7187a383a7), with the same title,
  date, issuer and app rows.
- cases.json repeats some SAMR decisions under an art/2022 and an art/2023 URL with the
  same title, date, issuer and text.

Documents are linked when they share a key (see `document_keys`). In each linked group the
drafts of the richest document are kept, and the others are returned as superseded. Superseded
documents stay in the raw layer.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections import Counter
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from etl.models import CaseDraft

logger = logging.getLogger(__name__)

# Record keys of drafts that stand for a whole notice or record rather than one party row.
# The per-party drafts of a cases.json round-up ("case-1", "case-2" …) are party rows.
NOTICE_LEVEL_KEYS = {"notice", "case"}

# On equal app rows, the dataset whose notice-level draft carries the most structure wins:
# docs.json has the notice kind, province and date precision, batches.json the batch
# numbers and co-issuers, cases.json only a text excerpt.
SOURCE_PREFERENCE = ("lawdatify_appviol", "lawdatify_batches", "lawdatify_cases")

WHITESPACE_RE = re.compile(r"\s+")

Key = tuple[Hashable, ...]


def canonical_url(url: str) -> str:
    """Return a URL without scheme, fragment and trailing slash, host lowercased, for comparison."""
    parts = urlsplit(url.strip())
    canonical = parts.netloc.lower() + parts.path.rstrip("/")
    if parts.query:
        canonical += "?" + parts.query
    return canonical


def resolve_overlaps(
    drafts: list[CaseDraft],
) -> tuple[list[CaseDraft], list[tuple[CaseDraft, str]]]:
    """Keep the drafts of the richest document of each linked group and return the rest as superseded.

    Documents are linked by the same canonical URL (plus the upstream record on the page),
    by the same docs.json notice (title, date, issuer and app rows), or by the same
    cases.json decision (title, date, issuer and text). Kept drafts list the documents they
    replace in `extra["superseded_documents"]` and take the legal bases those cite when
    they cite none; superseded drafts name the winner in `extra["superseded_by"]` and in
    the reason, "superseded by <document_id> (...)".
    """
    documents = _drafts_by_document(drafts)
    plan = OverlapPlan.build(summarize_document(document_drafts) for document_drafts in documents.values())

    applied = {document_id: plan.apply(document_drafts) for document_id, document_drafts in documents.items()}
    kept: list[CaseDraft] = []
    superseded: list[tuple[CaseDraft, str]] = []
    # Walk the input once more, so both lists keep the input order of the drafts.
    seen: Counter[str] = Counter()
    for draft in drafts:
        document_kept, document_superseded = applied[draft.document_id]
        index = seen[draft.document_id]
        seen[draft.document_id] += 1
        if document_kept:
            kept.append(document_kept[index])
        else:
            superseded.append(document_superseded[index])
    logger.info(
        "resolved overlaps: drafts=%d kept=%d superseded=%d linked_groups=%d",
        len(drafts), len(kept), len(superseded), plan.groups,
    )
    return kept, superseded


@dataclass
class DocumentSummary:
    """What overlap resolution needs of one document, without its texts.

    Keys are hashed, so a plan over a million documents fits in memory. `legal_bases`
    are the raw legal-basis citations of its drafts in order, which a winner inherits.
    """

    document_id: str
    source: str
    keys: list[tuple[str, bytes]]
    rank: tuple[int, int, int, int, str]
    legal_bases: list[str]


def summarize_document(document_drafts: list[CaseDraft]) -> DocumentSummary:
    """Summarize the drafts of one document (all with the same document_id)."""
    first = document_drafts[0]
    legal_bases: list[str] = []
    for draft in document_drafts:
        legal_bases += [raw for raw in draft.legal_basis_raw if raw not in legal_bases]
    return DocumentSummary(
        document_id=first.document_id,
        source=first.source,
        keys=[(str(key[0]), hashlib.sha1(repr(key).encode("utf-8")).digest()) for key in document_keys(document_drafts)],
        rank=_rank(document_drafts),
        legal_bases=legal_bases,
    )


@dataclass
class OverlapPlan:
    """The winner of every superseded document, decided once over all documents.

    Build it from the summaries of every document of a run, then `apply` it to the drafts
    of each document in turn. The drafts need not be in memory all at once.
    """

    winners: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    winner_sources: dict[str, str] = field(default_factory=dict)
    replaced: dict[str, list[str]] = field(default_factory=dict)
    inherited_legal_bases: dict[str, list[str]] = field(default_factory=dict)
    groups: int = 0

    @classmethod
    def build(cls, summaries: Iterable[DocumentSummary]) -> OverlapPlan:
        documents = {summary.document_id: summary for summary in summaries}
        plan = cls()
        groups = _linked_groups(documents)
        plan.groups = len(groups)
        for group in groups:
            winner = min(group, key=lambda document_id: documents[document_id].rank)
            for document_id in group:
                if document_id == winner:
                    continue
                kinds = _shared_key_kinds(documents, document_id, group)
                plan.winners[document_id] = winner
                plan.winner_sources[document_id] = documents[winner].source
                plan.reasons[document_id] = f"superseded by {winner} ({documents[winner].source}; same {', '.join(kinds)})"
        plan.replaced = _replaced_documents(plan.winners)

        # A notice can reach us twice: as per-app rows without legal bases and as a
        # notice-level record that cites them (e.g. the CAC app notices cite the
        # 《App违法违规收集使用个人信息行为认定方法》). The winner takes the citations of the
        # copies it replaced, in document order.
        for document_id, summary in documents.items():
            winner = plan.winners.get(document_id)
            if winner and summary.legal_bases:
                inherited = plan.inherited_legal_bases.setdefault(winner, [])
                inherited += [raw for raw in summary.legal_bases if raw not in inherited]
        return plan

    def apply(self, document_drafts: list[CaseDraft]) -> tuple[list[CaseDraft], list[tuple[CaseDraft, str]]]:
        """Split the drafts of one document into kept and superseded ones, marked as in `resolve_overlaps`."""
        document_id = document_drafts[0].document_id
        winner = self.winners.get(document_id)
        if winner is not None:
            mark = {"superseded_by": {"document_id": winner, "source": self.winner_sources[document_id]}}
            reason = self.reasons[document_id]
            return [], [(draft.model_copy(update={"extra": {**draft.extra, **mark}}), reason) for draft in document_drafts]

        kept = [_with_replaced(draft, self.replaced.get(document_id, [])) for draft in document_drafts]
        inherited = self.inherited_legal_bases.get(document_id)
        if inherited:
            kept = [
                draft if draft.legal_basis_raw else draft.model_copy(update={"legal_basis_raw": list(inherited)})
                for draft in kept
            ]
        return kept, []


def count_superseded(superseded: list[tuple[CaseDraft, str]]) -> Counter[tuple[str, str, str]]:
    """Count superseded drafts by (their source, draft level "row"/"notice", winning source)."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for draft, _reason in superseded:
        level = "notice" if draft.record_key in NOTICE_LEVEL_KEYS else "row"
        counts[(draft.source, level, draft.extra.get("superseded_by", {}).get("source", ""))] += 1
    return counts


def document_keys(document_drafts: list[CaseDraft]) -> list[Key]:
    """Return the keys that link a document (given as its drafts) to copies in other datasets."""
    first = document_drafts[0]
    keys: list[Key] = [("URL", canonical_url(first.source_url), str(first.extra.get("page_record", "")))]
    title = WHITESPACE_RE.sub("", first.title)

    if first.source == "lawdatify_appviol":
        rows = tuple(
            (draft.extra.get("app", ""), draft.party_raw)
            for draft in document_drafts
            if draft.record_key not in NOTICE_LEVEL_KEYS
        )
        # Year-only dates (YYYY-01-01) are shared by unrelated notices with one generic title
        # (「…关于下架1款侵害用户权益APP的通报」), so a notice without app rows needs a day date.
        if rows or first.extra.get("date_precision") == "day":
            keys.append(("notice", title, first.publish_date_raw, first.regulator_raw, rows))

    # A round-up gives one draft per listed case, each with its own text, so the key takes
    # the texts of all drafts to compare whole documents.
    text = "\n".join(draft.text for draft in document_drafts)
    if first.source == "lawdatify_cases" and first.publish_date_raw and text:
        keys.append(("decision", title, first.publish_date_raw, first.regulator_raw, text))
    return keys


def _drafts_by_document(drafts: list[CaseDraft]) -> dict[str, list[CaseDraft]]:
    documents: dict[str, list[CaseDraft]] = {}
    for draft in drafts:
        documents.setdefault(draft.document_id, []).append(draft)
    return documents


def _linked_groups(documents: dict[str, DocumentSummary]) -> list[list[str]]:
    """Group documents that share any key (union-find), keeping only groups of two or more."""
    parent = {document_id: document_id for document_id in documents}

    def find(document_id: str) -> str:
        while parent[document_id] != document_id:
            parent[document_id] = parent[parent[document_id]]
            document_id = parent[document_id]
        return document_id

    first_holder: dict[Key, str] = {}
    for document_id, summary in documents.items():
        for key in summary.keys:
            holder = first_holder.setdefault(key, document_id)
            parent[find(document_id)] = find(holder)

    groups: dict[str, list[str]] = {}
    for document_id in documents:
        groups.setdefault(find(document_id), []).append(document_id)
    return [members for members in groups.values() if len(members) > 1]


def _rank(document_drafts: list[CaseDraft]) -> tuple[int, int, int, int, str]:
    """Sort key of a document within its group, smallest for the richest document."""
    first = document_drafts[0]
    party_rows = sum(1 for draft in document_drafts if draft.party_raw or draft.extra.get("app"))
    preference = SOURCE_PREFERENCE.index(first.source) if first.source in SOURCE_PREFERENCE else len(SOURCE_PREFERENCE)
    text_length = sum(len(draft.text) for draft in document_drafts)
    insecure = 0 if first.source_url.startswith("https://") else 1
    return (-party_rows, preference, -text_length, insecure, first.document_id)


def _shared_key_kinds(documents: dict[str, DocumentSummary], document_id: str, group: list[str]) -> list[str]:
    own = documents[document_id].keys
    others = {key for member in group if member != document_id for key in documents[member].keys}
    kinds = sorted({str(key[0]) for key in own if key in others})
    return kinds or ["linked group"]


def _replaced_documents(winners: dict[str, str]) -> dict[str, list[str]]:
    replaced: dict[str, list[str]] = {}
    for loser, winner in sorted(winners.items()):
        replaced.setdefault(winner, []).append(loser)
    return replaced


def _with_replaced(draft: CaseDraft, replaced: list[str]) -> CaseDraft:
    if not replaced:
        return draft
    return draft.model_copy(update={"extra": {**draft.extra, "superseded_documents": replaced}})
