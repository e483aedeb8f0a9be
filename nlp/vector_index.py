"""Top-k inner-product search over L2-normalized float32 rows: exact with numpy, or HNSW with faiss.

Rows are unit vectors, so the inner product is the cosine similarity. Below
`APPROXIMATE_THRESHOLD` rows the exact search is used. The real records give about 6,300
passages, where one exact query costs about a millisecond.
`benchmarks/vector_search.py` measures both at 100k and 1M rows.
"""

from __future__ import annotations

import logging
from typing import Protocol

import numpy as np

logger = logging.getLogger(__name__)

# Rows from which `build_vector_index` builds an HNSW graph instead of scanning every row.
APPROXIMATE_THRESHOLD = 200_000

# HNSW graph degree and build/search beam widths (faiss IndexHNSWFlat). On 1M clustered
# synthetic 512-d vectors they gave recall@10 0.998 against exact search, at 0.6 ms per
# query and a 277 s build on 2 cores (benchmarks/vector_search.py, 2026-12-04).
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 256

# The exact index scores only the allowed rows when they are fewer than 1 / NARROW_FILTER_SHARE
# of all rows, and else scores every row and masks the rest.
NARROW_FILTER_SHARE = 4

# With a filter, the approximate index fetches this many times the wanted rows before
# dropping the filtered-out ones, and falls back to the exact search when too few remain.
FILTER_OVERSAMPLING = 8


class VectorIndex(Protocol):
    """Top-k search over a fixed matrix of unit rows."""

    size: int

    def search(self, query: np.ndarray, n: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return (row positions, cosine scores) of the `n` best rows, best first."""
        ...


class ExactIndex:
    """Brute-force search: one matrix-vector product and a partial sort."""

    def __init__(self, matrix: np.ndarray) -> None:
        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        self.size = len(self.matrix)

    def search(self, query: np.ndarray, n: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return the `n` rows most similar to `query` among the `allowed` mask (all rows when None)."""
        if allowed is None:
            return top_rows(self.matrix @ query.astype(np.float32), n)

        positions = np.flatnonzero(allowed)
        if len(positions) * NARROW_FILTER_SHARE < self.size:
            # Scoring only the allowed rows keeps a narrow filter as cheap as its row count.
            best, scores = top_rows(self.matrix[positions] @ query.astype(np.float32), n)
            return positions[best], scores

        # A wide filter would copy most of the matrix (about 185 MB at 100k 512-d rows) on every
        # query, so every row is scored and the filtered-out ones are masked instead.
        scores = self.matrix @ query.astype(np.float32)
        best, _ = top_rows(np.where(allowed, scores, -np.inf), min(n, len(positions)))
        return best, scores[best]


class HNSWIndex:
    """Approximate search over a faiss HNSW graph; filtered searches oversample, then fall back to exact."""

    def __init__(self, matrix: np.ndarray, m: int = HNSW_M, ef_construction: int = HNSW_EF_CONSTRUCTION,
                 ef_search: int = HNSW_EF_SEARCH) -> None:
        import faiss

        self._faiss = faiss
        rows = np.ascontiguousarray(matrix, dtype=np.float32)
        self.size, dimension = rows.shape
        self.index = faiss.IndexHNSWFlat(dimension, m, faiss.METRIC_INNER_PRODUCT)
        self.index.hnsw.efConstruction = ef_construction
        self.index.add(rows)
        del rows
        # The exact fallback reads the vectors the graph stores instead of a second copy
        # of its own (2 GB at 1M 512-d rows). The view lives as long as self.index.
        storage = faiss.downcast_index(self.index.storage)
        stored = faiss.rev_swig_ptr(storage.get_xb(), self.size * dimension)
        self.exact = ExactIndex(np.asarray(stored).reshape(self.size, dimension))
        self.ef_search = ef_search
        logger.info("HNSW index built: rows=%d m=%d ef_construction=%d", self.size, m, ef_construction)

    def search(self, query: np.ndarray, n: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return about the `n` rows most similar to `query` among the `allowed` mask (all rows when None)."""
        n = min(n, self.size)
        if n <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)

        wanted = n if allowed is None else min(self.size, n * FILTER_OVERSAMPLING)
        # An efSearch below the number of results would cut the result list short.
        parameters = self._faiss.SearchParametersHNSW(efSearch=max(self.ef_search, wanted))
        scores, positions = self.index.search(query.astype(np.float32).reshape(1, -1), wanted, params=parameters)
        scores, positions = scores[0], positions[0]
        found = positions >= 0
        scores, positions = scores[found], positions[found]

        if allowed is not None:
            kept = allowed[positions]
            scores, positions = scores[kept], positions[kept]
            if len(positions) < n:
                return self.exact.search(query, n, allowed)
        return positions[:n].astype(np.int64), scores[:n]


def top_rows(scores: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the positions and values of the `n` largest scores, largest first (ties by position)."""
    n = min(n, len(scores))
    if n <= 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=scores.dtype)
    candidates = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
    order = np.lexsort((candidates, -scores[candidates]))
    best = candidates[order]
    return best.astype(np.int64), scores[best]


def build_vector_index(matrix: np.ndarray, approximate_threshold: int = APPROXIMATE_THRESHOLD) -> VectorIndex:
    """Return an exact index below `approximate_threshold` rows, else an HNSW index."""
    if len(matrix) < approximate_threshold:
        return ExactIndex(matrix)
    return HNSWIndex(matrix)
