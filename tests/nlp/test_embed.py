"""Incremental embedding of the sample warehouse, the embedding store and `eintel embed`."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import numpy as np
import pytest

from eintel.cli import main
from nlp.embed import case_passages, embed_cases
from nlp.encoders import DEFAULT_MODEL, Encoder, load_encoder
from nlp.passages import split_passages
from warehouse.db import connect
from warehouse.embeddings import (
    EmbeddingStoreError,
    embedding_counts,
    load_embeddings,
    passage_rows,
    passages_missing_embeddings,
    replace_passages,
    store_embeddings,
)


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    return load_encoder(DEFAULT_MODEL)


@pytest.fixture(scope="module")
def sample_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The built-in sample loaded into a warehouse, without passages; never written after."""
    db = tmp_path_factory.mktemp("sample") / "eintel.duckdb"
    assert main(["--db", str(db), "import", "--no-archive"]) == 0
    assert main(["--db", str(db), "load"]) == 0
    return db


@pytest.fixture(scope="module")
def embedded_file(sample_file: Path, encoder: Encoder, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sample warehouse after one `embed_cases` run; never written after."""
    db = tmp_path_factory.mktemp("embedded") / "eintel.duckdb"
    shutil.copy(sample_file, db)
    with connect(db) as con:
        embed_cases(con, encoder)
    return db


def _copy(source: Path, tmp_path: Path) -> Path:
    db = tmp_path / "eintel.duckdb"
    shutil.copy(source, db)
    return db


@pytest.fixture
def sample_db(sample_file: Path, tmp_path: Path) -> Path:
    return _copy(sample_file, tmp_path)


@pytest.fixture
def embedded_db(embedded_file: Path, tmp_path: Path) -> Path:
    return _copy(embedded_file, tmp_path)


def _case_with_passages(con: duckdb.DuckDBPyConnection, minimum: int = 1) -> str:
    """Return the first case_id (in id order) that has at least `minimum` passages."""
    return con.execute(
        "SELECT case_id FROM passages GROUP BY case_id HAVING count(*) >= ? ORDER BY case_id LIMIT 1", [minimum]
    ).fetchone()[0]


def _embeddings_of_others(con: duckdb.DuckDBPyConnection, case_id: str) -> list[tuple]:
    return con.execute(
        """
        SELECT e.passage_id, e.model_id, e.text_hash, e.embedding
        FROM passage_embeddings e JOIN passages p USING (passage_id)
        WHERE p.case_id <> ? ORDER BY e.passage_id, e.model_id
        """,
        [case_id],
    ).fetchall()


# embed_cases -----------------------------------------------------------------------------------


def test_first_run_embeds_every_passage(sample_db, encoder):
    with connect(sample_db) as con:
        report = embed_cases(con, encoder)
        stored = con.execute("SELECT count(*) FROM passages").fetchone()[0]
        expected = len(case_passages(con))

    assert report.passages == expected
    assert report.passages >= 40
    assert stored == report.passages
    assert report.embedded == report.passages
    assert report.reused == 0


def test_shared_text_encoded_once(sample_db, encoder):
    with connect(sample_db) as con:
        first, second = [row[0] for row in con.execute("SELECT case_id FROM cases ORDER BY case_id LIMIT 2").fetchall()]
        con.execute("UPDATE cases SET text = (SELECT text FROM cases WHERE case_id = ?) WHERE case_id = ?", [first, second])
        report = embed_cases(con, encoder)
        distinct = con.execute("SELECT count(DISTINCT text_hash) FROM passages").fetchone()[0]
        shared = con.execute(
            "SELECT count(DISTINCT embedding) FROM passage_embeddings e JOIN passages p USING (passage_id) "
            "WHERE p.case_id IN (?, ?)",
            [first, second],
        ).fetchone()[0]
        per_case = con.execute("SELECT count(*) FROM passages WHERE case_id = ?", [first]).fetchone()[0]

    assert report.encoded_texts == distinct
    assert report.encoded_texts < report.embedded
    assert shared == per_case


def test_progress_bar_on_request(sample_db, encoder, capsys):
    with connect(sample_db) as con:
        report = embed_cases(con, encoder, progress=True)
        bar = capsys.readouterr().err
        embed_cases(con, encoder, progress=False)
        quiet = capsys.readouterr().err

    assert f"embed {encoder.model_id}" in bar
    assert f"{report.embedded}/{report.embedded}" in bar
    assert quiet == ""


def test_second_run_embeds_nothing(embedded_db, encoder):
    with connect(embedded_db) as con:
        report = embed_cases(con, encoder)

    assert report.embedded == 0
    assert report.reused == report.passages
    assert report.deleted == 0


def test_changed_text_reembeds_its_passages(embedded_db, encoder):
    with connect(embedded_db) as con:
        case_id = _case_with_passages(con)
        others_before = _embeddings_of_others(con, case_id)
        con.execute(
            "UPDATE cases SET text = text || ? WHERE case_id = ?",
            ["\n经查，当事人另在其小程序中未经同意收集用户的通讯录信息。", case_id],
        )
        report = embed_cases(con, encoder)
        case_passage_count = con.execute("SELECT count(*) FROM passages WHERE case_id = ?", [case_id]).fetchone()[0]
        others_after = _embeddings_of_others(con, case_id)
        added = con.execute(
            "SELECT passage_id, text FROM passages WHERE case_id = ? AND text LIKE '%通讯录%'", [case_id]
        ).fetchone()
        ids, matrix = load_embeddings(con, encoder.model_id)

    assert 1 <= report.embedded <= case_passage_count
    assert others_after == others_before
    assert np.allclose(matrix[ids.index(added[0])], encoder.encode([added[1]])[0], atol=1e-5)


def test_moved_passage_keeps_vector(embedded_db, encoder):
    with connect(embedded_db) as con:
        case_id = _case_with_passages(con)
        ids_before = {row[0] for row in con.execute("SELECT passage_id FROM passages WHERE case_id = ?", [case_id]).fetchall()}
        # Leading whitespace moves every offset of the case, and so every passage_id, but no text.
        con.execute("UPDATE cases SET text = '  ' || text WHERE case_id = ?", [case_id])
        report = embed_cases(con, encoder)
        ids_after = {row[0] for row in con.execute("SELECT passage_id FROM passages WHERE case_id = ?", [case_id]).fetchall()}

    assert report.embedded == 0
    assert report.reused == report.passages
    assert ids_before.isdisjoint(ids_after)


def test_deleted_case_passages_removed(embedded_db, encoder):
    with connect(embedded_db) as con:
        case_id = _case_with_passages(con)
        passage_ids = [row[0] for row in con.execute("SELECT passage_id FROM passages WHERE case_id = ?", [case_id]).fetchall()]
        con.execute("DELETE FROM cases WHERE case_id = ?", [case_id])
        report = embed_cases(con, encoder)
        left = con.execute("SELECT count(*) FROM passages WHERE case_id = ?", [case_id]).fetchone()[0]
        vectors_left = con.execute(
            "SELECT count(*) FROM passage_embeddings WHERE list_contains(?::VARCHAR[], passage_id)", [passage_ids]
        ).fetchone()[0]

    assert report.deleted == len(passage_ids)
    assert report.embedded == 0
    assert left == 0
    assert vectors_left == 0


def test_second_model_kept_apart(embedded_db, encoder, tmp_path):
    folder = tmp_path / "usem3-folder"
    encoder.model.save(str(folder))
    other = load_encoder(str(folder))

    with connect(embedded_db) as con:
        first = embed_cases(con, other)
        again = embed_cases(con, encoder)
        counts = embedding_counts(con)

    assert first.embedded == first.passages
    assert again.embedded == 0
    assert counts == {encoder.model_id: first.passages, other.model_id: first.passages}


# Store -----------------------------------------------------------------------------------------


def test_stored_vectors_match_encoder(embedded_file, encoder):
    with connect(embedded_file, read_only=True) as con:
        ids, matrix = load_embeddings(con, encoder.model_id)
        rows = passage_rows(con, ids[:3])

    assert ids == sorted(ids)
    assert matrix.shape == (len(ids), 512)
    assert matrix.dtype == np.float32
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1.0, atol=1e-5)
    assert np.allclose(matrix[:3], encoder.encode([row["text"] for row in rows]), atol=1e-5)


def test_stale_embedding_not_loaded(embedded_db, encoder):
    with connect(embedded_db) as con:
        case_id = _case_with_passages(con)
        title, summary, text = con.execute("SELECT title, summary, text FROM cases WHERE case_id = ?", [case_id]).fetchone()
        original = {passage.text_hash for passage in split_passages(case_id, title, summary, text)}
        changed = split_passages(case_id, title, summary, "乙" + text[1:])
        others = [passage for passage in case_passages(con) if passage.case_id != case_id]
        # The passages table changes as `eintel embed` changes it, but no vector is computed.
        replace_passages(con, others + changed)
        ids, _ = load_embeddings(con, encoder.model_id)
        missing = {row[0] for row in passages_missing_embeddings(con, encoder.model_id)}

    edited = {passage.passage_id for passage in changed if passage.text_hash not in original}
    assert len(edited) == 1
    assert not edited & set(ids)
    assert missing == edited


def test_passage_rows_in_requested_order(embedded_file):
    with connect(embedded_file, read_only=True) as con:
        ids = [row[0] for row in con.execute("SELECT passage_id FROM passages ORDER BY passage_id DESC LIMIT 3").fetchall()]
        rows = passage_rows(con, [ids[2], "no-such-passage", ids[0], ids[1]])

    assert [row["passage_id"] for row in rows] == [ids[2], ids[0], ids[1]]
    assert set(rows[0]) == {"passage_id", "case_id", "field", "kind", "start_offset", "end_offset", "text", "text_hash"}


def test_passage_rows_offsets_index_case(embedded_file):
    with connect(embedded_file, read_only=True) as con:
        ids = [row[0] for row in con.execute("SELECT passage_id FROM passages").fetchall()]
        cases = {row[0]: row[1:] for row in con.execute("SELECT case_id, summary, text FROM cases").fetchall()}
        rows = passage_rows(con, ids)

    for row in rows:
        summary, text = cases[row["case_id"]]
        source = text if row["field"] == "text" else summary
        assert source[row["start_offset"]:row["end_offset"]] == row["text"], row["passage_id"]


def test_replace_passages_duplicate_ids(embedded_db):
    with connect(embedded_db) as con:
        passages = case_passages(con)
        before = con.execute("SELECT count(*) FROM passages").fetchone()[0]

        with pytest.raises(EmbeddingStoreError, match="duplicate passage ids"):
            replace_passages(con, [*passages, passages[0]])
        after = con.execute("SELECT count(*) FROM passages").fetchone()[0]

    assert after == before


def test_store_embeddings_mixed_lengths(embedded_db):
    with connect(embedded_db) as con:
        ids = [row[0] for row in con.execute("SELECT passage_id FROM passages LIMIT 2").fetchall()]

        with pytest.raises(EmbeddingStoreError, match="different lengths"):
            store_embeddings(con, "test-model", [(ids[0], "h0", np.zeros(4)), (ids[1], "h1", np.zeros(5))])
        stored = con.execute("SELECT count(*) FROM passage_embeddings WHERE model_id = 'test-model'").fetchone()[0]

    assert stored == 0


# eintel embed ----------------------------------------------------------------------------------


def test_cli_embed_prints_counts(sample_db, capsys):
    code = main(["--db", str(sample_db), "embed"])
    first = capsys.readouterr().out
    code_again = main(["--db", str(sample_db), "embed"])
    again = capsys.readouterr().out

    counts = re.search(r"passages: (\d+) \((\d+) embedded, (\d+) reused, 0 deleted\) with usem3:", first)
    assert code == 0
    assert counts is not None, first
    assert counts.group(1) == counts.group(2)
    assert code_again == 0
    assert f"passages: {counts.group(1)} (0 embedded, {counts.group(1)} reused" in again
    assert re.search(r"in \d+\.\d s", again)


def test_cli_embed_missing_warehouse(tmp_path, capsys):
    db = tmp_path / "missing.duckdb"

    code = main(["--db", str(db), "embed"])

    assert code == 2
    assert "eintel load" in capsys.readouterr().err
    assert not db.exists()


def test_cli_embed_unknown_model(sample_db, capsys):
    code = main(["--db", str(sample_db), "embed", "--model", str(sample_db.parent / "no-such-model-folder")])

    error = capsys.readouterr().err
    assert code == 2
    assert "no-such-model-folder" in error
    assert "EINTEL_EMBEDDING_MODEL" in error
