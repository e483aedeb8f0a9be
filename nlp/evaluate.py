"""Retrieval quality of `nlp.search.search` on labelled practice statements: recall@k and nDCG@k.

An evaluation set (tests/nlp/eval_set.yaml) lists statements, each with the case_ids a
reviewer judged relevant and a grade: 2 for the same practice penalized, 1 for clearly
related conduct. Per statement and search mode:

- recall@k = relevant cases in the top k / min(k, number of relevant cases), so a
  statement with more than k relevant cases can still reach 1.
- nDCG@k = DCG@k / ideal DCG@k with gain 2^grade - 1 (3 for grade 2, 1 for grade 1)
  and discount 1 / log2(rank + 1); the ideal ranking puts the highest grades first.

The reported figure of a mode is the mean over the statements.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Sequence

import duckdb
import numpy as np
import yaml

from nlp.search import MODES, search
from warehouse.queries import Filters

logger = logging.getLogger(__name__)

CUTOFF = 10


class EvalSetError(ValueError):
    """Raised when an evaluation set file lacks a field or has an invalid grade."""


@dataclass(frozen=True)
class Statement:
    """One labelled statement: its text, language and relevant case_id -> grade (1 or 2)."""

    statement_id: str
    text: str
    language: str
    relevant: dict[str, int]
    broad: bool = False


@dataclass
class ModeResult:
    """Per-statement recall@k and nDCG@k of one search mode, keyed by statement_id."""

    mode: str
    recall: dict[str, float] = field(default_factory=dict)
    ndcg: dict[str, float] = field(default_factory=dict)

    @property
    def mean_recall(self) -> float:
        return _mean(self.recall.values())

    @property
    def mean_ndcg(self) -> float:
        return _mean(self.ndcg.values())


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def load_eval_set(path: Path) -> list[Statement]:
    """Read the statements of an evaluation set; raises EvalSetError naming the bad entry."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    statements = []
    for number, entry in enumerate(data.get("statements") or [], start=1):
        try:
            relevant = {str(case["case_id"]): int(case["grade"]) for case in entry["relevant"]}
            statement = Statement(
                statement_id=str(entry["id"]),
                text=str(entry["statement"]),
                language=str(entry.get("language", "zh")),
                relevant=relevant,
                broad=bool(entry.get("broad", False)),
            )
        except (KeyError, TypeError, ValueError) as error:
            raise EvalSetError(f"{path}: statement {number} is missing a field or has a bad value: {error!r}") from error
        bad = {case_id: grade for case_id, grade in relevant.items() if grade not in (1, 2)}
        if bad:
            raise EvalSetError(f"{path}: statement {statement.statement_id} has grades outside 1..2: {bad}")
        statements.append(statement)
    if not statements:
        raise EvalSetError(f"{path}: no statements found under `statements:`")
    return statements


def recall_at(ranked: Sequence[str], relevant: dict[str, int], k: int = CUTOFF) -> float:
    """Return the share of relevant cases in the top k, out of min(k, number relevant)."""
    if not relevant:
        return 0.0
    found = sum(1 for case_id in ranked[:k] if case_id in relevant)
    return found / min(k, len(relevant))


def ndcg_at(ranked: Sequence[str], relevant: dict[str, int], k: int = CUTOFF) -> float:
    """Return nDCG@k with gain 2^grade - 1 and discount 1 / log2(rank + 1)."""
    gains = [2 ** relevant.get(case_id, 0) - 1 for case_id in ranked[:k]]
    ideal = sorted((2 ** grade - 1 for grade in relevant.values()), reverse=True)[:k]
    ideal_dcg = _dcg(ideal)
    return _dcg(gains) / ideal_dcg if ideal_dcg else 0.0


def _dcg(gains: Sequence[float]) -> float:
    return sum(gain / math.log2(rank + 1) for rank, gain in enumerate(gains, start=1))


class _MemoEncoder:
    """An encoder wrapper that embeds each distinct text once, because dense and hybrid search embed the same statement."""

    def __init__(self, encoder: Any) -> None:
        self.encoder = encoder
        self.model_id = encoder.model_id
        self.dim = encoder.dim
        self._vectors: dict[str, np.ndarray] = {}

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        new = [text for text in dict.fromkeys(texts) if text not in self._vectors]
        if new:
            self._vectors.update(zip(new, self.encoder.encode(new, batch_size=batch_size)))
        return np.stack([self._vectors[text] for text in texts]) if texts else self.encoder.encode([])


def evaluate(
    con: duckdb.DuckDBPyConnection,
    statements: Sequence[Statement],
    modes: Sequence[str] = MODES,
    k: int = CUTOFF,
    encoder: Any | None = None,
    filters: Filters | None = None,
) -> dict[str, ModeResult]:
    """Search every statement in every mode and score the top k; return the results per mode.

    `encoder` None means the default encoder, loaded once per process.
    """
    from nlp.search import default_encoder

    if any(mode != "keyword" for mode in modes):
        encoder = _MemoEncoder(encoder if encoder is not None else default_encoder())
    results = {mode: ModeResult(mode) for mode in modes}
    for statement in statements:
        for mode in modes:
            hits = search(con, statement.text, filters=filters, k=k, mode=mode, encoder=encoder)  # type: ignore[arg-type]
            ranked = [hit.case_id for hit in hits]
            results[mode].recall[statement.statement_id] = recall_at(ranked, statement.relevant, k)
            results[mode].ndcg[statement.statement_id] = ndcg_at(ranked, statement.relevant, k)
        logger.debug("evaluated statement %s", statement.statement_id)
    return results


def format_table(results: dict[str, ModeResult], statements: Sequence[Statement], k: int = CUTOFF) -> str:
    """Format mean recall@k and nDCG@k per mode as a Markdown table, overall and per language."""
    languages = sorted({statement.language for statement in statements})
    header = ["mode", f"recall@{k}", f"nDCG@{k}"]
    for language in languages:
        header += [f"recall@{k} ({language})", f"nDCG@{k} ({language})"]

    lines = ["| " + " | ".join(header) + " |", "|---" + "|---:" * (len(header) - 1) + "|"]
    for mode, result in results.items():
        cells = [mode, f"{result.mean_recall:.3f}", f"{result.mean_ndcg:.3f}"]
        for language in languages:
            ids = [statement.statement_id for statement in statements if statement.language == language]
            cells += [f"{_mean(result.recall[i] for i in ids):.3f}", f"{_mean(result.ndcg[i] for i in ids):.3f}"]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
