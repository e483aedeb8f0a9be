"""Match a risk profile's practices to enforcement cases and summarize what the cases share.

For each practice, `match_profile` runs a hybrid search (`nlp.search.search`) with the
statement as query and keeps the top-k cases, each with its evidence passage and the
cosine similarity of that passage to the statement. Over those cases it counts the
legal bases (处罚依据), outcomes and violation types, and summarizes the fines in yuan.
The risk level of each practice and the profile's own findings come from the point
rule of nlp/risk.py.

Matching reads the warehouse and encodes text with a local encoder; it makes no
network call.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Sequence

import duckdb
import numpy as np
import yaml

from nlp.profile import Practice, RiskProfile
from nlp.risk import LEVELS, ProfileFinding, Reason, RiskRules, default_rules, most_common, practice_reasons, profile_findings
from warehouse.queries import Filters

if TYPE_CHECKING:
    from nlp.encoders import Encoder

logger = logging.getLogger(__name__)

LAW_NAMES_FILE = Path(__file__).with_name("law_names.yaml")

# Profile fields a search can be restricted to.
RESTRICTIONS = ("provinces", "industry")

# The fine percentiles use NumPy's default method, "linear": the value at rank
# (n - 1) * q, interpolated between the two neighbouring fines (type 7 of Hyndman and Fan, 1996).
PERCENTILE_METHOD = "linear"

NATIONAL_PREFIX = "中华人民共和国"


class MatchError(Exception):
    """Raised when a profile cannot be matched, such as a warehouse without cases."""


class NoEmbeddingsError(MatchError):
    """Raised when the warehouse has no passage embeddings of the encoder's model."""


@cache
def _law_names() -> dict[str, str]:
    return yaml.safe_load(LAW_NAMES_FILE.read_text(encoding="utf-8"))["laws"]


# Report records ------------------------------------------------------------------------------

@dataclass(frozen=True)
class LabelCount:
    """A code (or a law and article) with its labels and the number of matched cases that carry it."""

    code: str
    zh: str
    en: str
    count: int

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@dataclass(frozen=True)
class LegalBasisRef:
    """A provision a case cites: law title (without 「中华人民共和国」), article and clause."""

    law: str
    article: int | None
    clause: str = ""

    @property
    def key(self) -> str:
        return f"{self.law}|{self.article if self.article is not None else ''}"

    def label(self, lang: str) -> str:
        """Name the law and article: 《个人信息保护法》第66条, or Personal Information Protection Law, Art. 66."""
        if lang == "zh":
            return f"《{self.law}》" + (f"第{self.article}条" if self.article is not None else "")
        name = _law_names().get(self.law, f"《{self.law}》")
        return name + (f", Art. {self.article}" if self.article is not None else "")


@dataclass(frozen=True)
class FineSummary:
    """The fines of the matched cases in yuan; the statistics cover the cases with a fine only.

    Median and 90th percentile use `numpy.percentile` with PERCENTILE_METHOD; all three
    are None when no matched case has a fine.
    """

    cases_with_fine: int
    cases_without_fine: int
    median_cny: float | None
    p90_cny: float | None
    max_cny: float | None


@dataclass(frozen=True)
class MatchedCase:
    """One case found for a practice, with the passage that matched and the case's facts.

    `score` is the search's rank-fused score; `similarity` is the cosine of the statement
    and the evidence passage. `start`/`end` are offsets of the passage in the case's
    `field` ("text" or "summary"); `highlights` are spans inside `passage_text`.
    `fine_cny` is in yuan, None when the case states no fine.
    """

    rank: int
    case_id: str
    score: float
    similarity: float
    close: bool
    keyword_rank: int | None
    dense_rank: int | None
    passage_id: str
    passage_kind: str
    field: str
    start: int
    end: int
    passage_text: str
    highlights: tuple[tuple[int, int], ...]
    title: str
    party_name: str | None
    app_name: str | None
    regulator: str | None
    province: str | None
    event_date: date | None
    event_date_precision: str | None
    decision_number: str | None
    outcome_types: tuple[str, ...]
    violation_types: tuple[str, ...]
    legal_bases: tuple[LegalBasisRef, ...]
    fine_cny: float | None
    source_url: str

    @property
    def party(self) -> str:
        """The party (当事人), else the app, else the title."""
        return self.party_name or self.app_name or self.title


@dataclass(frozen=True)
class PracticeMatch:
    """The cases matched to one practice, what they share and the practice's risk level."""

    practice: Practice
    cases: tuple[MatchedCase, ...]
    legal_bases: tuple[LabelCount, ...]
    outcomes: tuple[LabelCount, ...]
    violation_types: tuple[LabelCount, ...]
    fines: FineSummary
    level: str
    points: int
    reasons: tuple[Reason, ...]

    @property
    def close_cases(self) -> tuple[MatchedCase, ...]:
        return tuple(case for case in self.cases if case.close)

    @property
    def best_similarity(self) -> float | None:
        return max((case.similarity for case in self.cases), default=None)


@dataclass(frozen=True)
class MatchReport:
    """The result of matching one profile: a PracticeMatch per practice and the profile findings.

    `as_of` is the date recency counts from. `restrict_to` names the profile fields
    the search was limited to, and `filters` are the search filters used (None: all cases).
    """

    profile: RiskProfile
    practices: tuple[PracticeMatch, ...]
    findings: tuple[ProfileFinding, ...]
    model_id: str
    k: int
    restrict_to: tuple[str, ...]
    filters: Filters | None
    as_of: date
    generated_at: datetime
    rules: RiskRules = field(repr=False)

    def level_counts(self) -> dict[str, int]:
        """Count the practices per level, in the order high, medium, low."""
        counts = Counter(practice.level for practice in self.practices)
        return {level: counts.get(level, 0) for level in LEVELS}


# Warehouse reads ------------------------------------------------------------------------------

_CASE_COLUMNS = """
    case_id, title, party_name, app_name, regulator, province, event_date,
    event_date_precision, decision_number, outcome_types, violation_types, legal_bases,
    fine_cny::DOUBLE AS fine_cny, source_url
"""


def read_cases(con: duckdb.DuckDBPyConnection, case_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """Return the facts of the given cases from `v_cases`, keyed by case_id (unknown ids are left out)."""
    if not case_ids:
        return {}
    cursor = con.execute(
        f"SELECT {_CASE_COLUMNS} FROM v_cases WHERE list_contains(?::VARCHAR[], case_id)", [list(case_ids)]
    )
    names = [column[0] for column in cursor.description]
    return {row[0]: dict(zip(names, row)) for row in cursor.fetchall()}


def read_labels(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[str, str]]:
    """Return (kind, code) → (zh, en) from `taxonomy_labels`."""
    rows = con.execute("SELECT kind, code, zh, en FROM taxonomy_labels").fetchall()
    return {(kind, code): (zh, en) for kind, code, zh, en in rows}


def check_embeddings(con: duckdb.DuckDBPyConnection, model_id: str | None = None) -> int:
    """Count the current passage embeddings of `model_id` (None: of any model).

    Raises NoEmbeddingsError when there are none, telling the user to run `eintel embed`.
    """
    from warehouse.embeddings import embedding_counts

    try:
        counts = embedding_counts(con)
    except duckdb.CatalogException:
        # A warehouse built before the NLP tables existed, opened read-only, lacks them.
        counts = {}
    count = sum(counts.values()) if model_id is None else counts.get(model_id, 0)
    if count:
        return count

    if model_id is None or not counts:
        raise NoEmbeddingsError(
            "the warehouse has no passage embeddings; run `eintel embed` to build them, then match again"
        )
    raise NoEmbeddingsError(
        f"the warehouse has no passage embeddings of model {model_id}, only of {sorted(counts)}; "
        "run `eintel embed` with the same --model to build them, then match again"
    )


def stored_vectors(con: duckdb.DuckDBPyConnection, model_id: str, passage_ids: Sequence[str]) -> dict[str, np.ndarray]:
    """Return the current stored embedding of each passage that has one, keyed by passage_id."""
    if not passage_ids:
        return {}
    rows = con.execute(
        """
        SELECT e.passage_id, e.embedding
        FROM passage_embeddings AS e JOIN passages AS p USING (passage_id)
        WHERE e.model_id = ? AND e.text_hash = p.text_hash AND list_contains(?::VARCHAR[], e.passage_id)
        """,
        [model_id, list(passage_ids)],
    ).fetchall()
    return {passage_id: np.asarray(vector, dtype=np.float32) for passage_id, vector in rows}


class _MemoEncoder:
    """An encoder that remembers the vectors of the texts it encoded.

    `match_profile` encodes every statement once up front; the search then finds the
    query's vector here instead of running the model again.
    """

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self.model_id = encoder.model_id
        self.dim = encoder.dim
        self._vectors: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        missing = [text for text in dict.fromkeys(texts) if text not in self._vectors]
        if missing:
            for text, vector in zip(missing, self.encoder.encode(missing, batch_size=batch_size)):
                self._vectors[text] = vector
        if not texts:
            return np.empty((0, self.dim), dtype=np.float32)
        return np.stack([self._vectors[text] for text in texts])


# Aggregation ---------------------------------------------------------------------------------

def _law_title(law: str) -> str:
    return law.removeprefix(NATIONAL_PREFIX)


def _legal_bases(raw: Iterable[dict[str, Any]] | None) -> tuple[LegalBasisRef, ...]:
    return tuple(
        LegalBasisRef(law=_law_title(basis["law"]), article=basis["article"], clause=basis.get("clause") or "")
        for basis in raw or []
    )


def build_matched_case(rank: int, hit: Any, row: dict[str, Any], similarity: float, rules: RiskRules) -> MatchedCase:
    """Join a search hit with its case row from `read_cases`."""
    return MatchedCase(
        rank=rank,
        case_id=hit.case_id,
        score=float(hit.score),
        similarity=float(similarity),
        close=rules.is_close(float(similarity), hit.keyword_rank),
        keyword_rank=hit.keyword_rank,
        dense_rank=hit.dense_rank,
        passage_id=hit.passage_id,
        passage_kind=hit.passage_kind,
        field=hit.field,
        start=hit.start,
        end=hit.end,
        passage_text=hit.passage_text,
        highlights=tuple(tuple(span) for span in hit.highlights),
        title=row["title"],
        party_name=row["party_name"],
        app_name=row["app_name"],
        regulator=row["regulator"],
        province=row["province"],
        event_date=row["event_date"],
        event_date_precision=row["event_date_precision"],
        decision_number=row["decision_number"],
        outcome_types=tuple(row["outcome_types"] or ()),
        violation_types=tuple(row["violation_types"] or ()),
        legal_bases=_legal_bases(row["legal_bases"]),
        fine_cny=None if row["fine_cny"] is None else float(row["fine_cny"]),
        source_url=row["source_url"],
    )


def fine_summary(fines: Sequence[float | None]) -> FineSummary:
    """Summarize the fines of a set of cases; a None or zero fine counts as a case without a fine."""
    amounts = np.array([fine for fine in fines if fine is not None and fine > 0], dtype=float)
    if amounts.size == 0:
        return FineSummary(0, len(fines), None, None, None)

    median, p90 = np.percentile(amounts, [50, 90], method=PERCENTILE_METHOD)
    return FineSummary(
        cases_with_fine=int(amounts.size),
        cases_without_fine=len(fines) - int(amounts.size),
        median_cny=float(median),
        p90_cny=float(p90),
        max_cny=float(amounts.max()),
    )


def count_codes(
    cases: Sequence[MatchedCase], attribute: str, kind: str, labels: dict[tuple[str, str], tuple[str, str]]
) -> tuple[LabelCount, ...]:
    """Count the cases carrying each code of a list attribute, with zh/en labels of `kind`.

    A code without a label in `taxonomy_labels` shows as itself.
    """
    counter: Counter[str] = Counter()
    for case in cases:
        counter.update(set(getattr(case, attribute)))

    result = []
    for code, count in most_common(counter):
        zh, en = labels.get((kind, code), (code, code))
        result.append(LabelCount(code=code, zh=zh, en=en, count=count))
    return tuple(result)


def count_legal_bases(cases: Sequence[MatchedCase]) -> tuple[LabelCount, ...]:
    """Count the cases citing each law and article (clauses merged), most common first."""
    counter: Counter[str] = Counter()
    refs: dict[str, LegalBasisRef] = {}
    for case in cases:
        keys = set()
        for basis in case.legal_bases:
            keys.add(basis.key)
            refs.setdefault(basis.key, basis)
        counter.update(keys)

    return tuple(
        LabelCount(code=key, zh=refs[key].label("zh"), en=refs[key].label("en"), count=count)
        for key, count in most_common(counter)
    )


def summarize_practice(
    practice: Practice,
    profile: RiskProfile,
    cases: Sequence[MatchedCase],
    rules: RiskRules,
    labels: dict[tuple[str, str], tuple[str, str]],
    as_of: date,
) -> PracticeMatch:
    """Count what the matched cases share, summarize their fines and rate the practice."""
    reasons = practice_reasons(practice, profile, cases, rules, labels, as_of)
    points = sum(reason.points for reason in reasons)
    return PracticeMatch(
        practice=practice,
        cases=tuple(cases),
        legal_bases=count_legal_bases(cases),
        outcomes=count_codes(cases, "outcome_types", "outcome_types", labels),
        violation_types=count_codes(cases, "violation_types", "violation_types", labels),
        fines=fine_summary([case.fine_cny for case in cases]),
        level=rules.level(points),
        points=points,
        reasons=tuple(reasons),
    )


# Matching ------------------------------------------------------------------------------------

def practice_filters(
    profile: RiskProfile, restrict_to: Sequence[str] = (), base: Filters | None = None
) -> Filters | None:
    """Build the search filters: `base` (None: all cases) narrowed to the profile's provinces and/or industry.

    Restricting to provinces keeps only cases with a province, so cases of national
    regulators (国家网信办, 工业和信息化部) drop out. A profile without provinces is not
    narrowed by them. Raises MatchError for an unknown restriction.
    """
    unknown = sorted(set(restrict_to) - set(RESTRICTIONS))
    if unknown:
        raise MatchError(f"unknown restriction {unknown}; choose from {list(RESTRICTIONS)}")
    if not restrict_to:
        return base

    filters = base if base is not None else Filters(domain=None)
    if "provinces" in restrict_to and profile.provinces:
        filters = replace(filters, provinces=tuple(profile.provinces))
    if "industry" in restrict_to:
        filters = replace(filters, industries=(profile.industry,))
    return filters


def passage_similarities(con: duckdb.DuckDBPyConnection, encoder: Any, statement: str, hits: Sequence[Any]) -> list[float]:
    """Return the cosine of the statement and each hit's passage, from the stored embeddings.

    A passage without a current stored embedding is encoded here. The vectors are
    L2-normalized, so the cosine is their dot product.
    """
    if not hits:
        return []
    query = encoder.encode([statement])[0]
    stored = stored_vectors(con, encoder.model_id, [hit.passage_id for hit in hits])
    missing = [hit.passage_text for hit in hits if hit.passage_id not in stored]
    encoded = iter(encoder.encode(missing)) if missing else iter(())
    vectors = [stored[hit.passage_id] if hit.passage_id in stored else next(encoded) for hit in hits]
    return [float(vector @ query) for vector in vectors]


def match_practice(
    con: duckdb.DuckDBPyConnection,
    practice: Practice,
    profile: RiskProfile,
    encoder: Any,
    k: int,
    filters: Filters | None,
    rules: RiskRules,
    labels: dict[tuple[str, str], tuple[str, str]],
    as_of: date,
) -> PracticeMatch:
    """Search the cases like one practice and summarize them."""
    from nlp.search import search

    hits = search(con, practice.statement, filters=filters, k=k, mode="hybrid", encoder=encoder)
    rows = read_cases(con, [hit.case_id for hit in hits])
    hits = [hit for hit in hits if hit.case_id in rows]

    similarities = passage_similarities(con, encoder, practice.statement, hits)

    cases = [
        build_matched_case(rank, hit, rows[hit.case_id], similarity, rules)
        for rank, (hit, similarity) in enumerate(zip(hits, similarities), start=1)
    ]
    logger.debug("practice matched: id=%s cases=%d close=%d", practice.id, len(cases), sum(case.close for case in cases))
    return summarize_practice(practice, profile, cases, rules, labels, as_of)


def match_profile(
    con: duckdb.DuckDBPyConnection,
    profile: RiskProfile,
    encoder: Encoder | None = None,
    k: int = 10,
    *,
    restrict_to: Sequence[str] = (),
    filters: Filters | None = None,
    as_of: date | None = None,
    rules: RiskRules | None = None,
) -> MatchReport:
    """Match every practice of `profile` to its top-k cases and rate the practices and the profile.

    `encoder` defaults to the search's process-wide encoder (EINTEL_EMBEDDING_MODEL, loaded once).
    `filters` narrows the search (default: all cases) and `restrict_to` narrows it
    further to the profile's "provinces" and/or "industry". Recency counts back from
    `as_of` (default: today). Raises NoEmbeddingsError when the warehouse has no
    embeddings of the encoder's model, and MatchError for k below 1.
    """
    if k < 1:
        raise MatchError(f"k must be at least 1, got {k}")
    if encoder is None:
        from nlp.search import default_encoder

        encoder = default_encoder()

    rules = rules or default_rules()
    as_of = as_of or date.today()
    check_embeddings(con, encoder.model_id)
    memo = _MemoEncoder(encoder)
    memo.encode([practice.statement for practice in profile.practices])
    labels = read_labels(con)
    search_filters = practice_filters(profile, restrict_to, filters)

    practices = tuple(
        match_practice(con, practice, profile, memo, k, search_filters, rules, labels, as_of)
        for practice in profile.practices
    )
    report = MatchReport(
        profile=profile,
        practices=practices,
        findings=tuple(profile_findings(profile, rules)),
        model_id=encoder.model_id,
        k=k,
        restrict_to=tuple(restrict_to),
        filters=search_filters,
        as_of=as_of,
        generated_at=datetime.now(timezone.utc),
        rules=rules,
    )
    logger.info("profile matched: company=%s practices=%d levels=%s", profile.company, len(practices), report.level_counts())
    return report
