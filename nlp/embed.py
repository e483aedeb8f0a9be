"""Split every case into passages and embed the passages that have no current vector.

`embed_cases` is incremental. A passage keeps its embedding while its text_hash and the
model_id stay the same. A passage whose text is already embedded elsewhere (same hash and
model) gets a copy. Only the rest goes through the encoder, each distinct text once.
Passages of deleted cases and the embeddings of passages that are gone or changed are
removed. Vectors are stored every STORE_CHUNK texts, so an interrupted run keeps what it
computed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Protocol

import duckdb
import numpy as np
from tqdm import tqdm

from nlp.passages import Passage, split_passages
from warehouse.embeddings import (
    delete_stale_embeddings,
    passages_missing_embeddings,
    replace_passages,
    reuse_embeddings,
    store_embeddings,
)

logger = logging.getLogger(__name__)

# Distinct texts encoded and stored per transaction.
STORE_CHUNK = 1024


class TextEncoder(Protocol):
    """Part of nlp.encoders.Encoder that `embed_cases` uses."""

    model_id: str
    dim: int

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray: ...


@dataclass
class EmbedReport:
    """Counts of one `embed_cases` run."""

    # Passages of all cases, as now stored.
    passages: int = 0
    # Passages given a newly computed vector.
    embedded: int = 0
    # Distinct texts sent through the encoder (passages may share a text).
    encoded_texts: int = 0
    # Passages whose vector was kept, or copied from another passage with the same text.
    reused: int = 0
    # Passages removed because their case is gone or their text changed.
    deleted: int = 0
    # Wall time of the run.
    seconds: float = 0.0


def case_passages(con: duckdb.DuckDBPyConnection) -> list[Passage]:
    """Split every case of the warehouse into passages, in case_id order."""
    passages: list[Passage] = []
    cursor = con.execute("SELECT case_id, title, summary, text FROM cases ORDER BY case_id")
    while rows := cursor.fetchmany(1000):
        for case_id, title, summary, text in rows:
            passages += split_passages(case_id, title or "", summary or "", text or "")
    return passages


def embed_cases(
    con: duckdb.DuckDBPyConnection, encoder: TextEncoder, progress: bool = False, batch_size: int = 64
) -> EmbedReport:
    """Bring the passages and `encoder`'s embeddings of every case up to date (see the module docstring).

    `progress` shows a tqdm bar on stderr while encoding, and `batch_size` is the number
    of texts per encoder call.
    """
    started = time.perf_counter()
    passages = case_passages(con)
    stored = replace_passages(con, passages)
    copied = reuse_embeddings(con, encoder.model_id)
    missing = passages_missing_embeddings(con, encoder.model_id)

    texts: dict[str, str] = {}
    passages_of: dict[str, list[str]] = {}
    for passage_id, text, text_hash in missing:
        texts.setdefault(text_hash, text)
        passages_of.setdefault(text_hash, []).append(passage_id)
    hashes = list(texts)

    with tqdm(total=len(missing), unit="passage", desc=f"embed {encoder.model_id}", disable=not progress) as bar:
        for first in range(0, len(hashes), STORE_CHUNK):
            chunk = hashes[first:first + STORE_CHUNK]
            vectors = _encode(encoder, [texts[text_hash] for text_hash in chunk], batch_size)
            rows = [
                (passage_id, text_hash, vector)
                for text_hash, vector in zip(chunk, vectors)
                for passage_id in passages_of[text_hash]
            ]
            store_embeddings(con, encoder.model_id, rows)
            bar.update(len(rows))

    delete_stale_embeddings(con)
    report = EmbedReport(
        passages=len(passages),
        embedded=len(missing),
        encoded_texts=len(hashes),
        reused=len(passages) - len(missing),
        deleted=stored.deleted,
        seconds=time.perf_counter() - started,
    )
    logger.info(
        "embedded cases: model_id=%s passages=%d embedded=%d texts=%d reused=%d (copied=%d) deleted=%d seconds=%.1f",
        encoder.model_id, report.passages, report.embedded, report.encoded_texts, report.reused, copied,
        report.deleted, report.seconds,
    )
    return report


def _encode(encoder: TextEncoder, texts: list[str], batch_size: int) -> np.ndarray:
    """Encode `texts` and check the shape, so a wrong model cannot store misaligned rows."""
    vectors = encoder.encode(texts, batch_size=batch_size)
    if vectors.shape != (len(texts), encoder.dim):
        raise ValueError(
            f"encoder {encoder.model_id} returned shape {vectors.shape} for {len(texts)} texts; expected "
            f"({len(texts)}, {encoder.dim})"
        )
    return vectors
