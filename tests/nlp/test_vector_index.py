"""Exact and HNSW top-k search checked against a brute-force sort."""

from __future__ import annotations

import numpy as np
import pytest

from nlp.vector_index import ExactIndex, HNSWIndex, build_vector_index, top_rows

ROWS = 4000
DIMENSION = 48
CLUSTERS = 40


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def vectors() -> np.ndarray:
    """Clustered unit vectors: a random centre per cluster plus a smaller random offset."""
    rng = np.random.default_rng(7)
    centres = rng.standard_normal((CLUSTERS, DIMENSION))
    members = rng.integers(0, CLUSTERS, ROWS)
    return _unit(centres[members] + 0.4 * rng.standard_normal((ROWS, DIMENSION)))


@pytest.fixture(scope="module")
def queries(vectors: np.ndarray) -> np.ndarray:
    rng = np.random.default_rng(8)
    return _unit(vectors[:50] + 0.3 * rng.standard_normal((50, DIMENSION)))


def _brute_force(vectors: np.ndarray, query: np.ndarray, n: int) -> list[int]:
    return list(np.argsort(-(vectors @ query), kind="stable")[:n])


def test_top_rows_sorted_descending() -> None:
    positions, scores = top_rows(np.array([0.1, 0.9, 0.5, 0.9, 0.3]), 3)

    assert positions.tolist() == [1, 3, 2]
    assert scores.tolist() == [0.9, 0.9, 0.5]


def test_top_rows_more_than_available() -> None:
    positions, _ = top_rows(np.array([0.2, 0.4]), 5)

    assert positions.tolist() == [1, 0]


def test_exact_matches_brute_force(vectors: np.ndarray, queries: np.ndarray) -> None:
    index = ExactIndex(vectors)

    for query in queries:
        positions, scores = index.search(query, 10)
        assert positions.tolist() == _brute_force(vectors, query, 10)
        assert np.allclose(scores, vectors[positions] @ query)


def test_exact_filter_keeps_allowed_rows(vectors: np.ndarray, queries: np.ndarray) -> None:
    allowed = np.zeros(ROWS, dtype=bool)
    allowed[::5] = True
    index = ExactIndex(vectors)

    positions, _ = index.search(queries[0], 10, allowed)

    kept = np.flatnonzero(allowed)
    expected = kept[_brute_force(vectors[kept], queries[0], 10)]
    assert positions.tolist() == expected.tolist()


def test_hnsw_recall_against_exact(vectors: np.ndarray, queries: np.ndarray) -> None:
    exact = ExactIndex(vectors)
    approximate = HNSWIndex(vectors)

    found = 0
    for query in queries:
        truth = set(exact.search(query, 10)[0].tolist())
        found += len(truth & set(approximate.search(query, 10)[0].tolist()))

    assert found / (10 * len(queries)) >= 0.9


def test_hnsw_filter_returns_allowed_only(vectors: np.ndarray, queries: np.ndarray) -> None:
    allowed = np.zeros(ROWS, dtype=bool)
    allowed[::3] = True
    approximate = HNSWIndex(vectors)

    positions, _ = approximate.search(queries[1], 10, allowed)

    assert len(positions) == 10
    assert allowed[positions].all()


def test_hnsw_narrow_filter_falls_back_to_exact(vectors: np.ndarray, queries: np.ndarray) -> None:
    # Twelve allowed rows are too few to survive the oversampled HNSW candidates.
    allowed = np.zeros(ROWS, dtype=bool)
    allowed[np.arange(0, ROWS, ROWS // 12)] = True
    approximate = HNSWIndex(vectors)

    positions, _ = approximate.search(queries[2], 10, allowed)

    assert positions.tolist() == ExactIndex(vectors).search(queries[2], 10, allowed)[0].tolist()


def test_build_picks_by_threshold(vectors: np.ndarray) -> None:
    assert isinstance(build_vector_index(vectors, approximate_threshold=ROWS + 1), ExactIndex)
    assert isinstance(build_vector_index(vectors, approximate_threshold=ROWS), HNSWIndex)


@pytest.mark.parametrize("step", [1, 2, 3, 5, 50])
def test_exact_filter_wide_and_narrow(vectors: np.ndarray, queries: np.ndarray, step: int) -> None:
    allowed = np.zeros(ROWS, dtype=bool)
    allowed[::step] = True
    allowed[7] = False
    index = ExactIndex(vectors)
    kept = np.flatnonzero(allowed)

    for query in queries[:10]:
        positions, scores = index.search(query, 10, allowed)

        expected = kept[_brute_force(vectors[kept], query, 10)]
        assert positions.tolist() == expected.tolist()
        assert np.allclose(scores, vectors[positions] @ query)


def test_exact_wide_filter_fewer_rows_than_n(vectors: np.ndarray, queries: np.ndarray) -> None:
    small = vectors[:8]
    allowed = np.array([True, True, True, False, True, True, True, True])
    index = ExactIndex(small)

    positions, _ = index.search(queries[0], 10, allowed)

    assert sorted(positions.tolist()) == [0, 1, 2, 4, 5, 6, 7]
