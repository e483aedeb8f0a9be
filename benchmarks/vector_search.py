"""Top-10 latency and recall of the dense search indexes on synthetic 512-d unit vectors.

For each collection size the script generates clustered float32 unit vectors, times
one-query-at-a-time top-10 searches with the exact numpy index and the faiss HNSW
index of `nlp/vector_index.py`, and measures the HNSW recall@10 against the exact
top 10 of each query.

    .venv/bin/python benchmarks/vector_search.py [--sizes 100000 1000000] [--queries 200]

The vectors imitate sentence embeddings rather than uniform noise. In uniform noise every
point is about as far from every other, so no index can find true neighbours. Here each
vector is a topic centre (from a 64-d subspace, so topics are correlated), plus a move
along 8 directions of its own topic, plus small isotropic noise. Queries come from the same
distribution but are not in the collection. 1M vectors take 2 GB; the HNSW graph adds
about 0.3 GB and takes minutes to build on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from datetime import datetime
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.machine import cpu_model  # noqa: E402
from nlp.vector_index import HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_M, ExactIndex, HNSWIndex  # noqa: E402

DIMENSION = 512
TOPIC_SUBSPACE = 64
TOPIC_DIRECTIONS = 8
# One topic per this many vectors, so the clusters keep their size as the collection grows.
VECTORS_PER_TOPIC = 500
TOPIC_SPREAD = 1.0
NOISE = 0.3
TOP_K = 10
EF_SEARCH_VALUES = (64, 128, HNSW_EF_SEARCH, 512)
CHUNK = 50_000


class TopicModel:
    """Draws clustered unit vectors: topic centre + in-topic move + isotropic noise."""

    def __init__(self, topics: int, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        mixing = self.rng.standard_normal((DIMENSION, TOPIC_SUBSPACE)).astype(np.float32) / np.sqrt(TOPIC_SUBSPACE)
        self.centres = self.rng.standard_normal((topics, TOPIC_SUBSPACE)).astype(np.float32) @ mixing.T
        self.directions = (
            self.rng.standard_normal((topics, DIMENSION, TOPIC_DIRECTIONS)).astype(np.float32) / np.sqrt(TOPIC_DIRECTIONS)
        )

    def draw(self, count: int) -> np.ndarray:
        topics = self.rng.integers(0, len(self.centres), count)
        moves = self.rng.standard_normal((count, TOPIC_DIRECTIONS)).astype(np.float32) * TOPIC_SPREAD
        vectors = self.centres[topics] + np.einsum("nds,ns->nd", self.directions[topics], moves)
        vectors += NOISE * self.rng.standard_normal((count, DIMENSION)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors.astype(np.float32)


def collection(size: int, queries: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Return (vectors, queries) of one collection, drawn in chunks to bound temporary memory."""
    model = TopicModel(max(1, size // VECTORS_PER_TOPIC), seed)
    vectors = np.empty((size, DIMENSION), dtype=np.float32)
    for start in range(0, size, CHUNK):
        stop = min(size, start + CHUNK)
        vectors[start:stop] = model.draw(stop - start)
    return vectors, model.draw(queries)


def timed_search(index: object, queries: np.ndarray) -> tuple[list[np.ndarray], np.ndarray]:
    """Search each query alone, after one warm-up search; return the top-10 rows per query and the latencies in ms."""
    index.search(queries[0], TOP_K)  # type: ignore[attr-defined]
    results, latencies = [], []
    for query in queries:
        started = time.perf_counter()
        positions, _ = index.search(query, TOP_K)  # type: ignore[attr-defined]
        latencies.append((time.perf_counter() - started) * 1000)
        results.append(positions)
    return results, np.array(latencies)


def recall_at_k(found: list[np.ndarray], truth: list[np.ndarray]) -> float:
    """Return the share of the exact top-10 rows of each query that `found` contains."""
    hits = sum(len(set(a.tolist()) & set(b.tolist())) for a, b in zip(found, truth))
    return hits / (TOP_K * len(truth))


def _row(size: int, method: str, latencies: np.ndarray, recall: float, build_seconds: float | None) -> dict[str, object]:
    return {
        "vectors": size,
        "method": method,
        "p50_ms": round(float(np.percentile(latencies, 50)), 3),
        "p95_ms": round(float(np.percentile(latencies, 95)), 3),
        "recall_at_10": round(recall, 4),
        "build_seconds": None if build_seconds is None else round(build_seconds, 1),
    }


def measure(size: int, query_count: int, seed: int) -> list[dict[str, object]]:
    vectors, queries = collection(size, query_count, seed)
    print(f"{size:,} vectors generated", file=sys.stderr, flush=True)

    exact = ExactIndex(vectors)
    truth, latencies = timed_search(exact, queries)
    rows = [_row(size, "exact (numpy)", latencies, 1.0, None)]

    started = time.perf_counter()
    hnsw = HNSWIndex(vectors)
    build_seconds = time.perf_counter() - started
    print(f"{size:,} vectors: HNSW built in {build_seconds:.0f} s", file=sys.stderr, flush=True)
    for ef_search in EF_SEARCH_VALUES:
        hnsw.ef_search = ef_search
        found, latencies = timed_search(hnsw, queries)
        rows.append(_row(size, f"HNSW (faiss, M={HNSW_M}, efConstruction={HNSW_EF_CONSTRUCTION}, efSearch={ef_search})", latencies, recall_at_k(found, truth), build_seconds))
    return rows



def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="collection sizes (vectors)")
    parser.add_argument("--queries", type=int, default=200, help="queries per size (default 200)")
    parser.add_argument("--seed", type=int, default=20261204, help="random seed")
    parser.add_argument("--output", default=str(REPO / "benchmarks" / "results" / "vector_search.json"),
                        help="JSON file for the results")
    args = parser.parse_args()

    import faiss

    rows = [row for size in args.sizes for row in measure(size, args.queries, args.seed)]
    machine = (f"{cpu_model()}, {len(os.sched_getaffinity(0))} CPUs, {platform.machine()}, "
               f"CPython {platform.python_version()}, numpy {np.__version__}, faiss-cpu {faiss.__version__}")
    command = (".venv/bin/python benchmarks/vector_search.py --sizes " + " ".join(map(str, args.sizes))
               + f" --queries {args.queries}")
    record = {
        "measured_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine,
        "command": command,
        "dimension": DIMENSION,
        "top_k": TOP_K,
        "results": rows,
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    print(f"Machine: {machine}")
    print(f"Command: {command}")
    print()
    print("| vectors | method | p50 ms | p95 ms | recall@10 | build s |")
    print("|---:|---|---:|---:|---:|---:|")
    for row in rows:
        build = "—" if row["build_seconds"] is None else row["build_seconds"]
        print(f"| {row['vectors']:,} | {row['method']} | {row['p50_ms']} | {row['p95_ms']} "
              f"| {row['recall_at_10']} | {build} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
