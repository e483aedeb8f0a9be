"""The per-process cache of dense vectors in nlp.search: reuse, reloads and case filters."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import pytest

from nlp.passages import Passage
from nlp.search import clear_dense_cache, database_file_state, dense_vectors
from warehouse.db import connect
from warehouse.embeddings import replace_passages, store_embeddings

MODEL = "test-model"
DIMENSION = 16


def _passages(case_ids: list[str], first: int) -> list[Passage]:
    passages = []
    for offset, case_id in enumerate(case_ids):
        text = f"passage {first + offset} of {case_id}"
        passages.append(Passage(passage_id=f"p{first + offset:04d}", case_id=case_id, field="text", kind="facts",
                                start=0, end=len(text), text=text, text_hash=hashlib.sha256(text.encode()).hexdigest()))
    return passages


def _write_warehouse(path: Path, case_ids: list[str], first: int = 0, seed: int = 1) -> list[str]:
    """Store one passage per case_id with a random unit embedding; return the passage_ids."""
    passages = _passages(case_ids, first)
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((len(passages), DIMENSION)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    con = connect(path)
    try:
        replace_passages(con, passages)
        store_embeddings(con, MODEL, [(p.passage_id, p.text_hash, v) for p, v in zip(passages, vectors)])
    finally:
        con.close()
    return [passage.passage_id for passage in passages]


@pytest.fixture(autouse=True)
def empty_cache() -> None:
    clear_dense_cache()


def test_unchanged_file_returns_cached_vectors(tmp_path: Path) -> None:
    path = tmp_path / "eintel.duckdb"
    _write_warehouse(path, ["case-a", "case-b", "case-a"])
    con = connect(path, read_only=True)
    try:
        first = dense_vectors(con, MODEL)
        second = dense_vectors(con, MODEL)
    finally:
        con.close()

    assert second is first


def test_new_connection_reuses_cached_vectors(tmp_path: Path) -> None:
    path = tmp_path / "eintel.duckdb"
    _write_warehouse(path, ["case-a", "case-b"])
    with connect(path, read_only=True) as con:
        first = dense_vectors(con, MODEL)
    with connect(path, read_only=True) as con:
        second = dense_vectors(con, MODEL)

    assert second is first


def test_replaced_file_reloads_vectors(tmp_path: Path) -> None:
    path = tmp_path / "eintel.duckdb"
    replacement = tmp_path / "replacement.duckdb"
    _write_warehouse(path, ["case-a", "case-b"])
    new_ids = _write_warehouse(replacement, ["case-c", "case-d", "case-e"], first=100, seed=2)
    with connect(path, read_only=True) as con:
        before = dense_vectors(con, MODEL)

    os.replace(replacement, path)
    with connect(path, read_only=True) as con:
        after = dense_vectors(con, MODEL)

    assert before.passage_ids == ["p0000", "p0001"]
    assert after.passage_ids == new_ids
    assert after.index.size == 3


def test_committed_embeddings_reload_vectors(tmp_path: Path) -> None:
    path = tmp_path / "eintel.duckdb"
    _write_warehouse(path, ["case-a", "case-b"])
    con = connect(path)
    try:
        before = dense_vectors(con, MODEL)
        added = _passages(["case-c"], first=50)
        replace_passages(con, _passages(["case-a", "case-b"], 0) + added)
        store_embeddings(con, MODEL, [(added[0].passage_id, added[0].text_hash, np.eye(DIMENSION, dtype=np.float32)[0])])
        after = dense_vectors(con, MODEL)
    finally:
        con.close()

    assert before.index.size == 2
    assert after.index.size == 3
    assert "p0050" in after.passage_ids


def test_write_to_other_table_keeps_vectors(tmp_path: Path) -> None:
    path = tmp_path / "eintel.duckdb"
    _write_warehouse(path, ["case-a", "case-b"])
    con = connect(path)
    try:
        first = dense_vectors(con, MODEL)
        state = database_file_state(str(path))
        con.execute("CREATE TABLE scratch AS SELECT range AS n FROM range(1000)")
        changed_state = database_file_state(str(path))
        second = dense_vectors(con, MODEL)
    finally:
        con.close()

    assert changed_state != state
    assert second is first


def test_allowed_rows_follow_cases(tmp_path: Path) -> None:
    path = tmp_path / "eintel.duckdb"
    _write_warehouse(path, ["case-b", "case-a", "case-c", "case-a", "case-b"])
    with connect(path, read_only=True) as con:
        vectors = dense_vectors(con, MODEL)

    mask = vectors.allowed_rows({"case-a", "case-c", "case-unknown"})

    assert vectors.allowed_rows(None) is None
    assert mask.tolist() == [case_id in ("case-a", "case-c") for case_id in vectors.case_ids]
    assert mask.sum() == 3
    assert vectors.allowed_rows(set()).sum() == 0


def test_memory_database_has_no_file_state() -> None:
    assert database_file_state("memory:1234") is None
    assert database_file_state(":memory:") is None


def test_missing_file_has_no_file_state(tmp_path: Path) -> None:
    assert database_file_state(str(tmp_path / "absent.duckdb")) is None


def test_unchanged_file_skips_fingerprint_query(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import nlp.search

    path = tmp_path / "eintel.duckdb"
    _write_warehouse(path, ["case-a", "case-b"])
    calls: list[str] = []
    original = nlp.search._embeddings_fingerprint

    def counted(con, model_id):  # type: ignore[no-untyped-def]
        calls.append(model_id)
        return original(con, model_id)

    monkeypatch.setattr(nlp.search, "_embeddings_fingerprint", counted)
    with connect(path, read_only=True) as con:
        dense_vectors(con, MODEL)
        dense_vectors(con, MODEL)
        dense_vectors(con, MODEL)

    assert calls == [MODEL]


def test_filter_mask_computed_once_per_filter(tmp_path: Path) -> None:
    from warehouse.queries import Filters

    path = tmp_path / "eintel.duckdb"
    _write_warehouse(path, ["case-a", "case-b", "case-c"])
    con = connect(path, read_only=True)
    try:
        vectors = dense_vectors(con, MODEL)
    finally:
        con.close()
    calls: list[str] = []

    def cases(found: set[str], label: str):
        def read() -> set[str]:
            calls.append(label)
            return found
        return read

    only_a, only_bc = Filters(domain=None, provinces=("广东省",)), Filters(domain=None, provinces=("四川省",))
    first = vectors.allowed_rows_for(only_a, cases({"case-a"}, "a"))
    again = vectors.allowed_rows_for(only_a, cases({"case-b"}, "a again"))
    other = vectors.allowed_rows_for(only_bc, cases({"case-b", "case-c"}, "bc"))

    assert calls == ["a", "bc"]
    assert again is first
    assert first.tolist() == [True, False, False]
    assert other.tolist() == [False, True, True]
