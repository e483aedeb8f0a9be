"""Reads and writes of the NLP layer: the `passages` table and its `passage_embeddings`.

Tables (warehouse/schema.sql):
- passages: primary key passage_id; offsets index the case's `field` ("text" or "summary").
- passage_embeddings: primary key (passage_id, model_id); `embedding` is a FLOAT[] of the
  model's dimension, L2-normalized. A row counts only while its text_hash equals the
  passage's, so an edited passage is never matched with the vector of its old text.

Every write runs in one transaction, as in warehouse/load.py.
"""

from __future__ import annotations

import logging
import warnings
from dataclasses import dataclass
from typing import Iterable, Protocol, Sequence

import duckdb
import numpy as np
import pyarrow as pa

logger = logging.getLogger(__name__)

PASSAGE_SCHEMA = pa.schema([
    ("passage_id", pa.string()),
    ("case_id", pa.string()),
    ("field", pa.string()),
    ("kind", pa.string()),
    ("start_offset", pa.int32()),
    ("end_offset", pa.int32()),
    ("text", pa.string()),
    ("text_hash", pa.string()),
])
PASSAGE_COLUMNS = [column.name for column in PASSAGE_SCHEMA]


class EmbeddingStoreError(Exception):
    """Raised when a batch of passages or embeddings is invalid; the transaction is rolled back."""


class PassageLike(Protocol):
    """Fields of a passage that `replace_passages` reads (nlp.passages.Passage has them)."""

    passage_id: str
    case_id: str
    field: str
    kind: str
    start: int
    end: int
    text: str
    text_hash: str


@dataclass
class PassageReport:
    """Row counts of one `replace_passages`."""

    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0


def _run_in_transaction(con: duckdb.DuckDBPyConnection, statements: Iterable[tuple[str, list[object]]]) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        for sql, parameters in statements:
            con.execute(sql, parameters)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


# Passages --------------------------------------------------------------------------------


def replace_passages(con: duckdb.DuckDBPyConnection, passages: Sequence[PassageLike]) -> PassageReport:
    """Make the passages table equal to `passages`, touching only rows that changed.

    Passages absent from `passages` are deleted: those of deleted cases, and those cut
    differently after a text changed. Their embeddings stay until `delete_stale_embeddings`,
    so that a passage with the same text can still reuse a vector. Raises
    EmbeddingStoreError, and changes nothing, when two passages share an id.
    """
    ids = [passage.passage_id for passage in passages]
    if len(set(ids)) != len(ids):
        duplicates = sorted({passage_id for passage_id in ids if ids.count(passage_id) > 1})[:5]
        raise EmbeddingStoreError(f"duplicate passage ids in one batch: {duplicates}")

    table = pa.Table.from_pylist(
        [
            {
                "passage_id": passage.passage_id,
                "case_id": passage.case_id,
                "field": passage.field,
                "kind": passage.kind,
                "start_offset": passage.start,
                "end_offset": passage.end,
                "text": passage.text,
                "text_hash": passage.text_hash,
            }
            for passage in passages
        ],
        schema=PASSAGE_SCHEMA,
    )
    report = PassageReport()
    changed = "i.end_offset <> p.end_offset OR i.text_hash <> p.text_hash OR i.case_id <> p.case_id"

    con.execute("BEGIN TRANSACTION")
    try:
        con.register("incoming_passages", table)
        report.deleted = con.execute(
            "SELECT count(*) FROM passages p ANTI JOIN incoming_passages i USING (passage_id)"
        ).fetchone()[0]
        report.updated = con.execute(
            f"SELECT count(*) FROM incoming_passages i JOIN passages p USING (passage_id) WHERE {changed}"
        ).fetchone()[0]
        con.execute("DELETE FROM passages WHERE passage_id NOT IN (SELECT passage_id FROM incoming_passages)")
        # Changed rows are replaced by delete + insert, as warehouse/load.py does for cases.
        con.execute(
            "DELETE FROM passages WHERE passage_id IN "
            f"(SELECT i.passage_id FROM incoming_passages i JOIN passages p USING (passage_id) WHERE {changed})"
        )
        before = con.execute("SELECT count(*) FROM passages").fetchone()[0]
        con.execute(
            f"INSERT INTO passages ({', '.join(PASSAGE_COLUMNS)}) "
            f"SELECT {', '.join('i.' + column for column in PASSAGE_COLUMNS)} "
            "FROM incoming_passages i ANTI JOIN passages p USING (passage_id)"
        )
        after = con.execute("SELECT count(*) FROM passages").fetchone()[0]
        report.inserted = after - before - report.updated
        report.unchanged = len(passages) - report.inserted - report.updated
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("incoming_passages")

    logger.info(
        "stored passages: inserted=%d updated=%d deleted=%d unchanged=%d",
        report.inserted, report.updated, report.deleted, report.unchanged,
    )
    return report


def passage_rows(con: duckdb.DuckDBPyConnection, passage_ids: Sequence[str]) -> list[dict[str, object]]:
    """Return the passages rows (every column, as a dict) of `passage_ids`, in that order.
    Ids not in the table are left out."""
    if not passage_ids:
        return []
    cursor = con.execute(
        f"SELECT {', '.join(PASSAGE_COLUMNS)} FROM passages WHERE list_contains(?::VARCHAR[], passage_id)",
        [list(passage_ids)],
    )
    by_id = {row[0]: dict(zip(PASSAGE_COLUMNS, row)) for row in cursor.fetchall()}
    return [by_id[passage_id] for passage_id in passage_ids if passage_id in by_id]


# Embeddings ------------------------------------------------------------------------------

# Passages without a current embedding of one model (the parameter); passage_id and text_hash.
_MISSING_SQL = """
    SELECT p.passage_id, p.text_hash
    FROM passages AS p
    ANTI JOIN (SELECT passage_id, text_hash FROM passage_embeddings WHERE model_id = ?) AS e
        ON e.passage_id = p.passage_id AND e.text_hash = p.text_hash
"""

# Embeddings whose passage is gone or whose text changed since they were computed.
_STALE_WHERE = (
    "NOT EXISTS (SELECT 1 FROM passages AS p WHERE p.passage_id = e.passage_id AND p.text_hash = e.text_hash)"
)


def passages_missing_embeddings(con: duckdb.DuckDBPyConnection, model_id: str) -> list[tuple[str, str, str]]:
    """Return (passage_id, text, text_hash) of every passage without a current embedding of
    `model_id`, in passage_id order."""
    return con.execute(
        """
        SELECT p.passage_id, p.text, p.text_hash
        FROM passages AS p
        ANTI JOIN (SELECT passage_id, text_hash FROM passage_embeddings WHERE model_id = ?) AS e
            ON e.passage_id = p.passage_id AND e.text_hash = p.text_hash
        ORDER BY p.passage_id
        """,
        [model_id],
    ).fetchall()


def reuse_embeddings(con: duckdb.DuckDBPyConnection, model_id: str) -> int:
    """Copy an embedding of the same text (same text_hash and model) to each passage that lacks
    one, such as a passage whose offsets moved. Return the number of passages given a copy."""
    missing = "(" + _MISSING_SQL + ")"
    count = con.execute(
        f"SELECT count(*) FROM {missing} AS m "
        "WHERE m.text_hash IN (SELECT text_hash FROM passage_embeddings WHERE model_id = ?)",
        [model_id, model_id],
    ).fetchone()[0]
    if not count:
        return 0
    _run_in_transaction(con, [
        (
            "CREATE OR REPLACE TEMP TABLE reused_embeddings AS "
            f"SELECT m.passage_id, m.text_hash, s.embedding FROM {missing} AS m JOIN ("
            "  SELECT text_hash, any_value(embedding) AS embedding FROM passage_embeddings "
            "  WHERE model_id = ? GROUP BY text_hash"
            ") AS s USING (text_hash)",
            [model_id, model_id],
        ),
        (
            "DELETE FROM passage_embeddings WHERE model_id = ? "
            "AND passage_id IN (SELECT passage_id FROM reused_embeddings)",
            [model_id],
        ),
        (
            "INSERT INTO passage_embeddings (passage_id, model_id, text_hash, embedding) "
            "SELECT passage_id, ?, text_hash, embedding FROM reused_embeddings",
            [model_id],
        ),
        ("DROP TABLE reused_embeddings", []),
    ])
    logger.info("reused embeddings of unchanged texts: model_id=%s passages=%d", model_id, count)
    return count


def store_embeddings(
    con: duckdb.DuckDBPyConnection, model_id: str, rows: Sequence[tuple[str, str, np.ndarray]]
) -> int:
    """Insert or replace the embeddings of `model_id` given as (passage_id, text_hash, vector) rows.

    Every vector must have the same length. Raises EmbeddingStoreError, and changes
    nothing, for vectors of different lengths or a passage_id given twice.
    """
    if not rows:
        return 0
    ids = [row[0] for row in rows]
    if len(set(ids)) != len(ids):
        raise EmbeddingStoreError(f"a passage_id is given twice in one batch of embeddings of {model_id}")
    lengths = sorted({len(row[2]) for row in rows})
    if len(lengths) != 1:
        raise EmbeddingStoreError(f"embeddings of {model_id} have different lengths {lengths}; store one model's vectors")

    dim = lengths[0]
    matrix = np.asarray([row[2] for row in rows], dtype=np.float32)
    offsets = pa.array(np.arange(0, (len(rows) + 1) * dim, dim, dtype=np.int32))
    table = pa.table({
        "passage_id": pa.array(ids, pa.string()),
        "text_hash": pa.array([row[1] for row in rows], pa.string()),
        "embedding": pa.ListArray.from_arrays(offsets, pa.array(matrix.reshape(-1), pa.float32())),
    })

    con.register("incoming_embeddings", table)
    try:
        _run_in_transaction(con, [
            (
                "DELETE FROM passage_embeddings WHERE model_id = ? "
                "AND passage_id IN (SELECT passage_id FROM incoming_embeddings)",
                [model_id],
            ),
            (
                "INSERT INTO passage_embeddings (passage_id, model_id, text_hash, embedding) "
                "SELECT passage_id, ?, text_hash, embedding FROM incoming_embeddings",
                [model_id],
            ),
        ])
    finally:
        con.unregister("incoming_embeddings")
    return len(rows)


def load_embeddings(con: duckdb.DuckDBPyConnection, model_id: str) -> tuple[list[str], np.ndarray]:
    """Return the passage_ids (sorted) and the float32 matrix of `model_id`'s current embeddings.

    Stale rows (their passage is gone or its text changed) are left out. With no
    embedding the matrix has shape (0, 0).
    """
    # DuckDB 2.0 warns that an execute() result copies its rows into Arrow. con.sql() would
    # not copy, but it raises an error while the caller's connection has an unfinished
    # result (after a fetchone(), for one), so the copy is taken and the warning silenced.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Arrow output on a DB-API result", category=UserWarning)
        table = con.execute(
            """
            SELECT e.passage_id, e.embedding
            FROM passage_embeddings AS e JOIN passages AS p USING (passage_id)
            WHERE e.model_id = ? AND e.text_hash = p.text_hash
            ORDER BY e.passage_id
            """,
            [model_id],
        ).to_arrow_table()
    if not table.num_rows:
        return [], np.zeros((0, 0), dtype=np.float32)

    passage_ids = table.column("passage_id").to_pylist()
    vectors = table.column("embedding").combine_chunks()
    lengths = np.unique(vectors.value_lengths().to_numpy(zero_copy_only=False))
    if len(lengths) != 1:
        raise EmbeddingStoreError(
            f"embeddings of {model_id} have different lengths {lengths.tolist()}; rerun `eintel embed --model ...`"
        )
    matrix = vectors.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    return passage_ids, matrix.reshape(len(passage_ids), int(lengths[0]))


def delete_stale_embeddings(con: duckdb.DuckDBPyConnection) -> int:
    """Delete embeddings (of every model) whose passage is gone or whose text changed; return the count."""
    count = con.execute(f"SELECT count(*) FROM passage_embeddings AS e WHERE {_STALE_WHERE}").fetchone()[0]
    if count:
        _run_in_transaction(con, [(f"DELETE FROM passage_embeddings AS e WHERE {_STALE_WHERE}", [])])
        logger.info("deleted stale embeddings: rows=%d", count)
    return count


def embedding_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Return the number of current embeddings per model_id."""
    rows = con.execute(
        """
        SELECT e.model_id, count(*)
        FROM passage_embeddings AS e JOIN passages AS p USING (passage_id)
        WHERE e.text_hash = p.text_hash
        GROUP BY e.model_id ORDER BY e.model_id
        """
    ).fetchall()
    return {model_id: count for model_id, count in rows}
