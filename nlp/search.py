"""Search the warehouse's passages by keyword (BM25), by meaning (dense vectors) or both, one hit per case.

- keyword: BM25 over jieba tokens (`nlp.keyword`); needs only the `passages` table.
- dense: cosine similarity between the query's embedding and each passage's stored
  embedding for the encoder's model_id (`eintel embed` writes them).
- hybrid: reciprocal rank fusion (RRF) of the two passage rankings. The keyword ranking
  counts with the share of the query's tokens that occur in the passages at all, so a
  query whose tokens the index barely contains (an English one over Chinese texts) leans on the dense
  ranking instead of on matches of one or two stray words.

A case scores as its best passage, and its hit carries that passage with the spans of
the query's tokens inside it. The BM25 index and the embedding matrix are cached per
process and per warehouse file, and reloaded when their table changes.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal, get_args

import duckdb
import numpy as np

from nlp.keyword import BM25Index, database_key, keyword_index, match_spans, query_terms
from nlp.vector_index import VectorIndex, build_vector_index
from warehouse.embeddings import load_embeddings, passage_rows
from warehouse.queries import Filters, filtered_case_ids

logger = logging.getLogger(__name__)

Mode = Literal["keyword", "dense", "hybrid"]
MODES: tuple[str, ...] = get_args(Mode)

# RRF constant: a passage at rank r adds 1 / (RRF_K + r), so a larger constant flattens
# the lead of the first ranks. 60 is the customary value and was not tuned here.
RRF_K = 60

# Passages taken from the top of the dense ranking into the fusion. A passage below
# this rank would add less than 1 / (RRF_K + 1000) < 0.001, a tenth of what rank 40 adds.
DENSE_DEPTH = 1000

# The dense-only mode starts with this many passages per requested case and doubles
# them until enough distinct cases are found.
DENSE_PASSAGES_PER_CASE = 20


class SearchError(Exception):
    """Raised when a search cannot run: invalid arguments or a warehouse without what it needs."""


class NoPassagesError(SearchError):
    """Raised when the warehouse has no `passages` table or an empty one."""


class MissingEmbeddingsError(SearchError):
    """Raised when the warehouse stores no embeddings for the encoder's model."""


@dataclass(frozen=True)
class SearchHit:
    """One case found by a search, with the passage that matched best.

    `score` is the BM25 score (keyword), the cosine similarity (dense) or the weighted
    RRF sum (hybrid). `start`/`end` are the passage's character offsets into the case's
    `field` ("text" or "summary"). `highlights` are [start, end) spans inside
    `passage_text` of the query's tokens. `keyword_rank` and `dense_rank` are the
    1-based ranks of this passage in the keyword and dense passage rankings; None
    when the passage shares no token with the query, or lies below the dense depth.
    """

    case_id: str
    score: float
    passage_id: str
    passage_kind: str
    field: str
    start: int
    end: int
    passage_text: str
    highlights: list[tuple[int, int]]
    keyword_rank: int | None
    dense_rank: int | None


def search(
    con: duckdb.DuckDBPyConnection,
    query: str,
    filters: Filters | None = None,
    k: int = 10,
    mode: Mode = "hybrid",
    encoder: Any | None = None,
) -> list[SearchHit]:
    """Return up to `k` cases whose passages best match `query`, best first.

    `filters` restricts the hits to the cases the dashboard's filters keep (None
    keeps every case). Dense and hybrid modes embed the query with `encoder`, or with
    the default encoder (loaded once per process) when None. Raises SearchError for
    an unknown mode, a k below 1 or a warehouse without passages, and
    MissingEmbeddingsError when no passage has an embedding of the encoder's model.
    A blank query returns no hits.
    """
    if mode not in MODES:
        raise SearchError(f"unknown search mode {mode!r}; choose one of {list(MODES)}")
    if k < 1:
        raise SearchError(f"k must be at least 1, got {k}")
    if not query.strip():
        return []

    _require_passages(con)
    allowed = _AllowedCases(con, filters)

    keyword_ranking: list[tuple[str, str, float]] = []
    keyword_weight = 1.0
    if mode in ("keyword", "hybrid"):
        index = keyword_index(con)
        keyword_ranking = _keyword_ranking(index, query, allowed.cases())
        keyword_weight = index.coverage(query_terms(query))

    dense_ranking: list[tuple[str, str, float]] = []
    if mode in ("dense", "hybrid"):
        model = encoder if encoder is not None else default_encoder()
        vectors = dense_vectors(con, model.model_id)
        query_vector = model.encode([query])[0]
        depth = DENSE_DEPTH if mode == "hybrid" else k * DENSE_PASSAGES_PER_CASE
        rows = None if filters is None else vectors.allowed_rows_for(filters, allowed.cases)
        dense_ranking = _dense_ranking(vectors, query_vector, rows, depth, k if mode == "dense" else None)

    if mode == "keyword":
        scored = _best_per_case(keyword_ranking)
    elif mode == "dense":
        scored = _best_per_case(dense_ranking)
    else:
        scored = _best_per_case(fuse_rankings(keyword_ranking, dense_ranking, weights=(keyword_weight, 1.0)))

    keyword_ranks = {passage_id: rank for rank, (passage_id, _, _) in enumerate(keyword_ranking, start=1)}
    dense_ranks = {passage_id: rank for rank, (passage_id, _, _) in enumerate(dense_ranking, start=1)}
    return _hits(con, scored[:k], query_terms(query), keyword_ranks, dense_ranks)


@cache
def default_encoder() -> Any:
    """Load the configured encoder once per process (EINTEL_EMBEDDING_MODEL, else the default)."""
    from nlp.encoders import load_encoder

    return load_encoder()


def fuse_rankings(
    *rankings: list[tuple[str, str, float]], k: int = RRF_K, weights: Sequence[float] | None = None
) -> list[tuple[str, str, float]]:
    """Fuse passage rankings by reciprocal rank: each passage scores the sum of weight / (k + rank).

    Each ranking is a list of (passage_id, case_id, score), best first; `weights`
    gives one weight per ranking (all 1 when None). Returns the same triples with the
    fused score, best first, ties by passage_id.
    """
    weights = [1.0] * len(rankings) if weights is None else list(weights)
    if len(weights) != len(rankings):
        raise ValueError(f"got {len(weights)} weights for {len(rankings)} rankings; give one per ranking")

    fused: dict[str, float] = {}
    cases: dict[str, str] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, (passage_id, case_id, _) in enumerate(ranking, start=1):
            fused[passage_id] = fused.get(passage_id, 0.0) + weight / (k + rank)
            cases[passage_id] = case_id
    ordered = sorted(fused.items(), key=lambda item: (-item[1], item[0]))
    return [(passage_id, cases[passage_id], score) for passage_id, score in ordered]


def _best_per_case(ranking: Iterable[tuple[str, str, float]]) -> list[tuple[str, str, float]]:
    """Keep the first (best) passage of each case from a ranking sorted best first."""
    seen: set[str] = set()
    best: list[tuple[str, str, float]] = []
    for passage_id, case_id, score in ranking:
        if case_id not in seen:
            seen.add(case_id)
            best.append((passage_id, case_id, score))
    return best


def _require_passages(con: duckdb.DuckDBPyConnection) -> None:
    try:
        count = con.execute("SELECT count(*) FROM passages").fetchone()[0]
    except duckdb.CatalogException:
        count = 0
    if not count:
        raise NoPassagesError("the warehouse has no passages to search; run `eintel embed` to split and embed the cases")


class _AllowedCases:
    """The case ids one search's filters keep, read from the warehouse at most once and only when needed."""

    def __init__(self, con: duckdb.DuckDBPyConnection, filters: Filters | None) -> None:
        self.con = con
        self.filters = filters
        self._cases: set[str] | None = None

    def cases(self) -> set[str] | None:
        if self.filters is None:
            return None
        if self._cases is None:
            self._cases = set(filtered_case_ids(self.con, self.filters))
        return self._cases


def _allowed_mask(case_ids: np.ndarray, allowed_cases: set[str] | None) -> np.ndarray | None:
    if allowed_cases is None:
        return None
    return np.fromiter((case_id in allowed_cases for case_id in case_ids), dtype=bool, count=len(case_ids))


def _keyword_ranking(index: BM25Index, query: str, allowed_cases: set[str] | None) -> list[tuple[str, str, float]]:
    ranked = index.rank(query, _allowed_mask(index.case_ids, allowed_cases))
    return [(index.passage_ids[position], index.case_ids[position], score) for position, score in ranked]


# Dense vectors, cached per process --------------------------------------------------------

@dataclass(frozen=True)
class DenseVectors:
    """The stored embeddings of one model, with each row's passage_id and case_id.

    `case_codes` gives each row's position in `case_names`, so a case filter becomes one
    boolean lookup per row instead of a set lookup per row.
    """

    model_id: str
    passage_ids: list[str]
    case_ids: np.ndarray
    index: VectorIndex
    case_names: list[str]
    case_codes: np.ndarray

    # Row masks of recent filters. Vectors are reloaded when the warehouse changes, so a
    # mask never outlives the cases it was computed from.
    masks: dict[Filters, np.ndarray] = field(default_factory=dict, compare=False)

    def allowed_rows_for(self, filters: Filters, allowed_cases: Callable[[], set[str] | None]) -> np.ndarray | None:
        """Return the row mask of `filters`, computing it from `allowed_cases()` only on a cache miss.

        At 1M rows the filtered case ids and the mask take about 0.6 s, while a search
        takes milliseconds, and the dashboard keeps one filter for many searches.
        """
        mask = self.masks.get(filters)
        if mask is None:
            mask = self.allowed_rows(allowed_cases())
            with _lock:
                while len(self.masks) >= _MASK_CACHE_SIZE:
                    self.masks.pop(next(iter(self.masks)))
                self.masks[filters] = mask
        return mask

    def allowed_rows(self, allowed_cases: set[str] | None) -> np.ndarray | None:
        """Return the mask of rows whose case is in `allowed_cases` (None when every case is allowed)."""
        if allowed_cases is None:
            return None
        allowed_codes = np.fromiter((name in allowed_cases for name in self.case_names), dtype=bool,
                                    count=len(self.case_names))
        return allowed_codes[self.case_codes]


@dataclass(frozen=True)
class _CachedVectors:
    """A cache entry: the file state and table fingerprint the vectors were loaded at."""

    file_state: tuple[object, ...] | None
    fingerprint: tuple[int, int]
    vectors: DenseVectors


_lock = threading.Lock()
_vectors: dict[tuple[str, str], _CachedVectors] = {}
_CACHE_SIZE = 4
# Filters whose row masks each cached model keeps.
_MASK_CACHE_SIZE = 8


def _embeddings_fingerprint(con: duckdb.DuckDBPyConnection, model_id: str) -> tuple[int, int]:
    """Return (rows, XOR of a hash per row) of one model's embeddings joined to their passages."""
    count, digest = con.execute(
        """
        SELECT count(*), coalesce(bit_xor(hash(e.passage_id, e.text_hash, p.text_hash, p.case_id)), 0)
        FROM passage_embeddings AS e JOIN passages AS p USING (passage_id)
        WHERE e.model_id = ?
        """,
        [model_id],
    ).fetchone()
    return int(count), int(digest)


def database_file_state(path: str) -> tuple[object, ...] | None:
    """Return (device, inode, size, mtime, ctime) of a database file and of its write-ahead log.

    DuckDB (2.0.1) writes every committed change to the `.wal` file or to the database file
    itself, so a commit, a checkpoint or a file swapped in with os.replace() changes the
    state (tests/nlp/test_dense_cache.py checks these). Returns None for an in-memory
    database or a file that cannot be read.
    """
    if path.startswith("memory:") or path == ":memory:":
        return None
    state: list[object] = []
    for name in (path, path + ".wal"):
        try:
            info = os.stat(name)
        except FileNotFoundError:
            state.append(None)
            continue
        except OSError:
            return None
        state.append((info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns))
    return tuple(state) if state[0] is not None else None


def dense_vectors(con: duckdb.DuckDBPyConnection, model_id: str) -> DenseVectors:
    """Return the embeddings of `model_id`, loaded on first use and again after the table changes.

    While the database file and its write-ahead log keep their state, the cached vectors
    are returned without a query. Otherwise a fingerprint of the embeddings table decides
    whether they are reloaded. Raises MissingEmbeddingsError when the warehouse stores none
    for that model.
    """
    key = (database_key(con), model_id)
    # NOTE: a change inside the caller's own open transaction is not in the files yet, so
    # a search inside that transaction returns the vectors of the last commit.
    file_state = database_file_state(key[0])
    with _lock:
        cached = _vectors.get(key)
    if cached is not None and file_state is not None and cached.file_state == file_state:
        return cached.vectors

    fingerprint = _embeddings_fingerprint(con, model_id)
    if cached is not None and cached.fingerprint == fingerprint:
        with _lock:
            _vectors[key] = _CachedVectors(file_state, fingerprint, cached.vectors)
        return cached.vectors

    vectors = _load_dense_vectors(con, model_id)
    logger.info("dense vectors loaded: database=%s model_id=%s rows=%d", key[0], model_id, len(vectors.passage_ids))

    with _lock:
        _vectors.pop(key, None)
        while len(_vectors) >= _CACHE_SIZE:
            _vectors.pop(next(iter(_vectors)))
        _vectors[key] = _CachedVectors(file_state, fingerprint, vectors)
    return vectors


def _load_dense_vectors(con: duckdb.DuckDBPyConnection, model_id: str) -> DenseVectors:
    """Read one model's embeddings and their cases from the warehouse and build the vector index."""
    passage_ids, matrix = load_embeddings(con, model_id)
    if not len(passage_ids):
        raise MissingEmbeddingsError(
            f"the warehouse has no embeddings for model {model_id}; run `eintel embed` "
            "(with --model when the search uses another model) and search again"
        )

    case_of = dict(con.execute("SELECT passage_id, case_id FROM passages").fetchall())
    known = [position for position, passage_id in enumerate(passage_ids) if passage_id in case_of]
    if len(known) < len(passage_ids):
        logger.warning("embeddings without a passage ignored: model_id=%s count=%d", model_id, len(passage_ids) - len(known))
    missing = len(case_of) - len(known)
    if missing > 0:
        logger.warning("passages without an embedding left out of dense search: model_id=%s count=%d; "
                       "run `eintel embed`", model_id, missing)

    # Taking every row by position would copy the matrix (2 GB at 1M 512-d rows) for nothing.
    if len(known) == len(passage_ids):
        ids, rows = passage_ids, np.asarray(matrix, dtype=np.float32)
    else:
        ids = [passage_ids[position] for position in known]
        rows = np.asarray(matrix, dtype=np.float32)[known]
    case_ids = np.array([case_of[passage_id] for passage_id in ids], dtype=object)
    case_names, case_codes = np.unique(case_ids.astype(str), return_inverse=True)
    return DenseVectors(
        model_id=model_id,
        passage_ids=ids,
        case_ids=case_ids,
        index=build_vector_index(rows),
        case_names=case_names.tolist(),
        case_codes=case_codes.astype(np.int32),
    )


def clear_dense_cache() -> None:
    """Drop every cached embedding matrix and index, for callers that must free their memory."""
    with _lock:
        _vectors.clear()


def _dense_ranking(
    vectors: DenseVectors,
    query_vector: np.ndarray,
    allowed: np.ndarray | None,
    depth: int,
    distinct_cases: int | None,
) -> list[tuple[str, str, float]]:
    """Rank the top `depth` allowed passages by cosine; with `distinct_cases`, widen until that many cases appear."""
    available = vectors.index.size if allowed is None else int(allowed.sum())

    while True:
        positions, scores = vectors.index.search(query_vector, min(depth, available), allowed)
        ranking = [
            (vectors.passage_ids[position], vectors.case_ids[position], float(score))
            for position, score in zip(positions, scores)
        ]
        enough = distinct_cases is None or len({case_id for _, case_id, _ in ranking}) >= distinct_cases
        if enough or depth >= available:
            return ranking
        depth *= 2


# Hits ------------------------------------------------------------------------------------

def _hits(
    con: duckdb.DuckDBPyConnection,
    scored: list[tuple[str, str, float]],
    terms: list[str],
    keyword_ranks: dict[str, int],
    dense_ranks: dict[str, int],
) -> list[SearchHit]:
    rows = {row["passage_id"]: row for row in passage_rows(con, [passage_id for passage_id, _, _ in scored])}
    hits = []
    for passage_id, case_id, score in scored:
        row = rows[passage_id]
        hits.append(
            SearchHit(
                case_id=case_id,
                score=score,
                passage_id=passage_id,
                passage_kind=row["kind"],
                field=row["field"],
                start=row["start_offset"],
                end=row["end_offset"],
                passage_text=row["text"],
                highlights=match_spans(row["text"], terms),
                keyword_rank=keyword_ranks.get(passage_id),
                dense_rank=dense_ranks.get(passage_id),
            )
        )
    return hits


def hit_cases(con: duckdb.DuckDBPyConnection, case_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Return the facts a result list shows per case_id: title, party, app, regulator, date, fine, URL."""
    if not case_ids:
        return {}
    cursor = con.execute(
        """
        SELECT case_id, title, party_name, app_name, regulator, province, event_date, event_date_precision,
               fine_cny, decision_number, source_url, violation_types, outcome_types
        FROM v_cases WHERE list_contains(?::VARCHAR[], case_id)
        """,
        [case_ids],
    )
    names = [column[0] for column in cursor.description]
    return {row[0]: dict(zip(names, row)) for row in cursor.fetchall()}


def mark_highlights(text: str, spans: list[tuple[int, int]], opening: str = "【", closing: str = "】") -> str:
    """Wrap each span of `text` in the opening and closing marks; spans must not overlap."""
    parts: list[str] = []
    position = 0
    for start, end in spans:
        parts.append(text[position:start])
        parts.append(f"{opening}{text[start:end]}{closing}")
        position = end
    parts.append(text[position:])
    return "".join(parts)
