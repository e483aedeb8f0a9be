"""Keyword search over passages: jieba tokens scored with Okapi BM25.

Tokens come from jieba's precise mode with the domain terms of `keyword_terms.yaml`
added to its dictionary. The index covers every passage of the `passages` table. It is
cached per process and per warehouse file, and rebuilt when the table's fingerprint
changes: the row count plus an order-free hash of passage_id and text_hash.
"""

from __future__ import annotations

import logging
import math
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Iterable, NamedTuple

import duckdb
import jieba
import numpy as np
import yaml
from scipy import sparse

logger = logging.getLogger(__name__)

TERMS_FILE = Path(__file__).with_name("keyword_terms.yaml")

# Okapi BM25 parameters: k1 sets how fast repeated terms saturate, b how much a long
# passage is penalized. 1.5 and 0.75 are common textbook values, not tuned on this data.
K1 = 1.5
B = 0.75

# jieba's dictionary frequency for the domain terms: high enough that precise mode keeps
# a term whole even where the default dictionary prefers a split.
TERM_FREQUENCY = 100_000

# Unicode categories that never form a token: punctuation, symbols, separators, controls.
_DROPPED_CATEGORIES = ("P", "S", "Z", "C")

# Indexes kept per process, one per warehouse file; a dashboard opens one or two.
_CACHE_SIZE = 4


class Token(NamedTuple):
    """A token and its character span [start, end) in the text it came from."""

    text: str
    start: int
    end: int


@dataclass(frozen=True)
class TokenizerConfig:
    """The domain terms and stop words of `keyword_terms.yaml`."""

    terms: tuple[str, ...]
    stop_words: frozenset[str]


def load_config(path: Path = TERMS_FILE) -> TokenizerConfig:
    """Read the domain terms and stop words; raise ValueError when a list is missing."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for key in ("terms", "stop_words"):
        if not isinstance(data.get(key), list):
            raise ValueError(f"{path}: `{key}` must be a list of strings, got {data.get(key)!r}")
    return TokenizerConfig(
        terms=tuple(str(term) for term in data["terms"]),
        stop_words=frozenset(_normalize(str(word)) for word in data["stop_words"]),
    )


@cache
def _tokenizer() -> tuple[jieba.Tokenizer, TokenizerConfig]:
    """Build a private jieba tokenizer with the domain terms, once per process.

    A private instance leaves jieba's global dictionary alone for other callers.
    """
    config = load_config()
    # jieba logs its dictionary loading at DEBUG through a stderr handler of its own.
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for term in config.terms:
        tokenizer.add_word(_normalize(term), freq=TERM_FREQUENCY)
    logger.info("jieba tokenizer ready: terms=%d stop_words=%d", len(config.terms), len(config.stop_words))
    return tokenizer, config


def _normalize(text: str) -> str:
    """Fold width and case one character at a time, so offsets stay those of the original.

    NFKC maps full-width Ｓ to S, but it can also turn one character into several
    (㈱ to (株)); such characters are kept as they are.
    """
    folded = []
    for char in text:
        mapped = unicodedata.normalize("NFKC", char)
        folded.append(mapped.lower() if len(mapped) == 1 else char)
    return "".join(folded)


def _is_word(token: str) -> bool:
    return any(unicodedata.category(char)[0] not in _DROPPED_CATEGORIES for char in token)


def tokenize(text: str) -> list[Token]:
    """Split text into normalized tokens with their spans in `text`.

    Precise mode gives the main tokens. A token of three or more characters also
    yields the dictionary words inside it (超范围收集 gives 范围 and 收集), so a query
    word still matches a longer compound. Punctuation, whitespace and stop words are
    dropped. Latin letters are lower-cased and full-width forms folded.
    """
    tokenizer, config = _tokenizer()
    normalized = _normalize(text)
    dictionary = tokenizer.FREQ
    tokens: list[Token] = []

    for word, start, end in tokenizer.tokenize(normalized, mode="default", HMM=True):
        if not _is_word(word) or word in config.stop_words:
            continue
        tokens.append(Token(word, start, end))

        length = end - start
        for size in range(2, length):
            for offset in range(length - size + 1):
                part = word[offset : offset + size]
                if dictionary.get(part) and part not in config.stop_words:
                    tokens.append(Token(part, start + offset, start + offset + size))
    return tokens


def query_terms(query: str) -> list[str]:
    """Return the distinct tokens of a query, in order of first appearance."""
    return list(dict.fromkeys(token.text for token in tokenize(query)))


def match_spans(text: str, terms: Iterable[str]) -> list[tuple[int, int]]:
    """Return the merged spans of `text` whose tokens are among `terms`, in order.

    Overlapping or touching spans merge, so 强制索取权限 and its part 索取 mark one span.
    """
    wanted = set(terms)
    spans = sorted((token.start, token.end) for token in tokenize(text) if token.text in wanted)

    merged: list[tuple[int, int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


class BM25Index:
    """Okapi BM25 over a fixed list of passages, with the passage_ids and case_ids in index order.

    The score of passage d for query terms q is the sum over distinct terms t of
    idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * len(d) / avg_len)), with
    idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5)). This idf is Lucene's variant of
    Okapi's: it stays positive for a term in more than half of the passages.
    """

    def __init__(self, passages: Iterable[tuple[str, str, str]], k1: float = K1, b: float = B) -> None:
        """Index (passage_id, case_id, text) triples."""
        self.k1 = k1
        self.b = b
        passage_ids: list[str] = []
        case_ids: list[str] = []
        vocabulary: dict[str, int] = {}
        rows: list[int] = []
        columns: list[int] = []
        lengths: list[int] = []

        for row, (passage_id, case_id, text) in enumerate(passages):
            passage_ids.append(passage_id)
            case_ids.append(case_id)
            tokens = [token.text for token in tokenize(text)]
            lengths.append(len(tokens))
            for token in tokens:
                rows.append(row)
                columns.append(vocabulary.setdefault(token, len(vocabulary)))

        self.passage_ids = passage_ids
        self.case_ids = np.array(case_ids, dtype=object)
        self.vocabulary = vocabulary
        self.lengths = np.array(lengths, dtype=np.float64)
        count = len(passage_ids)
        self.average_length = float(self.lengths.mean()) if count and self.lengths.sum() else 1.0

        # Duplicate (row, column) entries sum, which turns token occurrences into term frequencies.
        frequencies = sparse.coo_matrix(
            (np.ones(len(rows), dtype=np.float64), (rows, columns)), shape=(count, len(vocabulary))
        ).tocsc()
        frequencies.sum_duplicates()
        document_frequency = np.diff(frequencies.indptr)
        self.idf = np.log1p((count - document_frequency + 0.5) / (document_frequency + 0.5))

        # Precompute every (passage, term) weight, so a query only sums the columns of its terms.
        tf = frequencies.data
        norm = k1 * (1 - b + b * self.lengths[frequencies.indices] / self.average_length)
        idf_per_entry = np.repeat(self.idf, document_frequency)
        weights = frequencies.copy()
        weights.data = idf_per_entry * tf * (k1 + 1) / (tf + norm)
        self.weights = weights

    def __len__(self) -> int:
        return len(self.passage_ids)

    def scores(self, terms: Iterable[str]) -> np.ndarray:
        """Return the BM25 score of every passage for the distinct `terms`; unknown terms add nothing."""
        columns = sorted({self.vocabulary[term] for term in terms if term in self.vocabulary})
        if not columns:
            return np.zeros(len(self), dtype=np.float64)
        return np.asarray(self.weights[:, columns].sum(axis=1)).ravel()

    def coverage(self, terms: Iterable[str]) -> float:
        """Return the share of the distinct `terms` that occur in at least one passage (0 for no terms)."""
        distinct = set(terms)
        if not distinct:
            return 0.0
        return sum(1 for term in distinct if term in self.vocabulary) / len(distinct)

    def rank(self, query: str, allowed: np.ndarray | None = None) -> list[tuple[int, float]]:
        """Rank the passages that share a token with `query`: (position, score), best first.

        `allowed` is a boolean mask over the passages; masked-out passages are left
        out. Ties keep index order, so a ranking is the same on every run.
        """
        scores = self.scores(query_terms(query))
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        positions = np.flatnonzero(scores > 0)
        order = positions[np.argsort(-scores[positions], kind="stable")]
        return [(int(position), float(scores[position])) for position in order]


def bm25_term_weight(tf: float, df: int, count: int, length: float, average_length: float,
                     k1: float = K1, b: float = B) -> float:
    """Return one term's BM25 contribution to one passage, by the formula of `BM25Index`."""
    idf = math.log(1 + (count - df + 0.5) / (df + 0.5))
    return idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * length / average_length))


# Per-process cache of indexes -------------------------------------------------------------

_lock = threading.Lock()
_indexes: dict[str, tuple[tuple[int, int], BM25Index]] = {}


def database_key(con: duckdb.DuckDBPyConnection) -> str:
    """Name the database behind a connection: its file path, or an id for an in-memory one."""
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    return row[0] if row and row[0] else f"memory:{id(con)}"


def passages_fingerprint(con: duckdb.DuckDBPyConnection) -> tuple[int, int]:
    """Return (row count, XOR of hash(passage_id, text_hash)) over the `passages` table.

    The XOR does not depend on row order and changes when any passage is added,
    removed or edited, at the cost of one scan of two short columns.
    """
    count, digest = con.execute(
        "SELECT count(*), coalesce(bit_xor(hash(passage_id, text_hash)), 0) FROM passages"
    ).fetchone()
    return int(count), int(digest)


def keyword_index(con: duckdb.DuckDBPyConnection) -> BM25Index:
    """Return the BM25 index of the warehouse's passages, built on first use and after a change."""
    key = database_key(con)
    fingerprint = passages_fingerprint(con)
    with _lock:
        cached = _indexes.get(key)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]

    rows = con.execute("SELECT passage_id, case_id, text FROM passages ORDER BY passage_id").fetchall()
    index = BM25Index(rows)
    logger.info("keyword index built: database=%s passages=%d terms=%d", key, len(index), len(index.vocabulary))

    with _lock:
        _indexes.pop(key, None)
        while len(_indexes) >= _CACHE_SIZE:
            _indexes.pop(next(iter(_indexes)))
        _indexes[key] = (fingerprint, index)
    return index
