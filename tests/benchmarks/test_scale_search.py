"""benchmarks/scale_search.py at tiny sizes: exact recall, row fields and the product path on a real warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.scale_search import measure_embedding, measure_vector_search
from tests.app.conftest import build_warehouse
from tests.nlp.search_fixtures import ALL_CASES

SIZE = 600
QUERIES = 8


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scale") / "eintel.duckdb"
    build_warehouse(path, ALL_CASES)
    return path


def test_exact_index_recall_is_one() -> None:
    rows = measure_vector_search(sizes=(SIZE,), queries=QUERIES)

    assert [row["method"] for row in rows] == ["brute force (numpy)", "index: ExactIndex (numpy)"]
    for row in rows:
        assert row["vectors"] == SIZE
        assert row["recall_at_10"] == 1.0
        assert 0 < row["p50_ms"] <= row["p95_ms"]
        assert row["index_mb"] == pytest.approx(SIZE * 512 * 4 / 1e6, abs=0.1)
    assert rows[1]["build_seconds"] >= 0


def test_sizes_below_top_k_rejected() -> None:
    with pytest.raises(ValueError, match="below top-10"):
        measure_vector_search(sizes=(5,), queries=QUERIES)


def test_product_rows_on_warehouse(warehouse: Path, tmp_path: Path) -> None:
    rows = measure_vector_search(sizes=(SIZE,), queries=QUERIES, db=warehouse, workdir=tmp_path)

    methods = [row["method"] for row in rows]
    assert methods[0] == "brute force (numpy)"
    assert methods[1] == "index: ExactIndex (numpy)"
    assert methods[2].endswith("no filters")
    assert methods[3].endswith("dashboard default filters")
    for row in rows:
        assert row["recall_at_10"] == 1.0
        assert 0 < row["p50_ms"] <= row["p95_ms"]
    assert rows[2]["cold_start_seconds"] >= 0
    assert rows[2]["load_embeddings_seconds"] >= 0
    assert (tmp_path / f"scale-search-{SIZE}-20261204.duckdb").is_file()


def test_product_warehouse_reused(warehouse: Path, tmp_path: Path) -> None:
    measure_vector_search(sizes=(SIZE,), queries=2, db=warehouse, workdir=tmp_path)
    target = tmp_path / f"scale-search-{SIZE}-20261204.duckdb"
    built = target.stat().st_mtime_ns

    rows = measure_vector_search(sizes=(SIZE,), queries=2, db=warehouse, workdir=tmp_path)

    assert target.stat().st_mtime_ns == built
    assert rows[2]["recall_at_10"] == 1.0


def test_embedding_pipeline_and_bare(warehouse: Path) -> None:
    result = measure_embedding(warehouse, passages=10)

    assert result["passages"] >= 10
    assert 0 < result["distinct_texts"] <= result["passages"]
    assert result["pipeline_texts_per_second"] > 0
    assert result["bare_texts_per_second"] > 0
    assert result["pipeline_to_bare_ratio"] == pytest.approx(
        result["pipeline_texts_per_second"] / result["bare_texts_per_second"], rel=0.01)
