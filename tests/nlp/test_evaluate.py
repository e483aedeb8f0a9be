"""Recall@k and nDCG@k against hand-computed values, the eval-set reader, and a tiny evaluation."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from nlp.evaluate import EvalSetError, Statement, evaluate, format_table, load_eval_set, ndcg_at, recall_at
from nlp.search import default_encoder
from tests.app.conftest import case_id
from tests.nlp.search_fixtures import build_search_warehouse
from warehouse.db import connect

EVAL_SET = Path(__file__).with_name("eval_set.yaml")


def test_recall_counts_top_k() -> None:
    relevant = {"a": 2, "b": 1, "c": 1}

    assert recall_at(["a", "x", "b", "y"], relevant, k=3) == pytest.approx(2 / 3)
    assert recall_at(["x", "y", "a"], relevant, k=2) == 0


def test_recall_caps_denominator_at_k() -> None:
    relevant = {f"case{n}": 1 for n in range(15)}

    assert recall_at([f"case{n}" for n in range(10)], relevant, k=10) == 1.0


def test_ndcg_hand_computed() -> None:
    relevant = {"a": 2, "b": 1}

    # Ranked b, x, a: DCG = 1/log2(2) + 3/log2(4) = 1 + 1.5 = 2.5.
    # Ideal a, b: 3/log2(2) + 1/log2(3) = 3 + 0.630930 = 3.630930.
    assert ndcg_at(["b", "x", "a"], relevant, k=10) == pytest.approx(2.5 / (3 + 1 / math.log2(3)))


def test_ndcg_ideal_order_is_one() -> None:
    assert ndcg_at(["a", "b"], {"a": 2, "b": 1}) == pytest.approx(1.0)


def test_ndcg_nothing_found_is_zero() -> None:
    assert ndcg_at(["x", "y"], {"a": 2}) == 0


def test_load_eval_set_reads_grades(tmp_path: Path) -> None:
    path = tmp_path / "eval.yaml"
    path.write_text(
        "statements:\n"
        "  - id: t1\n    statement: 人脸识别\n    language: zh\n"
        "    relevant:\n      - {case_id: '0123456789abcdef', grade: 2}\n",
        encoding="utf-8",
    )

    statements = load_eval_set(path)

    assert statements == [Statement("t1", "人脸识别", "zh", {"0123456789abcdef": 2})]


def test_load_eval_set_rejects_bad_grade(tmp_path: Path) -> None:
    path = tmp_path / "eval.yaml"
    path.write_text(
        "statements:\n  - id: t1\n    statement: x\n    relevant:\n      - {case_id: a, grade: 3}\n",
        encoding="utf-8",
    )

    with pytest.raises(EvalSetError, match="grades outside 1..2"):
        load_eval_set(path)


def test_load_eval_set_rejects_missing_field(tmp_path: Path) -> None:
    path = tmp_path / "eval.yaml"
    path.write_text("statements:\n  - id: t1\n    relevant: []\n", encoding="utf-8")

    with pytest.raises(EvalSetError, match="statement 1"):
        load_eval_set(path)


def test_repository_eval_set_loads() -> None:
    statements = load_eval_set(EVAL_SET)

    assert len(statements) >= 30
    assert {statement.language for statement in statements} == {"zh", "en"}


def test_evaluate_tiny_set(tmp_path: Path) -> None:
    encoder: Any = default_encoder()
    statements = [
        Statement("face", "门店用人脸识别摄像头采集顾客人脸", "zh", {case_id("hangzhou", "face"): 2}),
        Statement("credit", "Bank staff looked up customers' credit reports without consent", "en",
                  {case_id("pbc", "credit"): 2, case_id("pbc", "104"): 1}),
    ]
    con = connect(build_search_warehouse(tmp_path / "eintel.duckdb"), read_only=True)
    try:
        results = evaluate(con, statements, encoder=encoder)
    finally:
        con.close()

    assert results["keyword"].recall["face"] == 1.0
    assert results["keyword"].recall["credit"] == 0.0
    assert results["dense"].recall["credit"] > 0
    assert results["hybrid"].mean_ndcg >= results["keyword"].mean_ndcg
    table = format_table(results, statements)
    assert table.splitlines()[0] == "| mode | recall@10 | nDCG@10 | recall@10 (en) | nDCG@10 (en) | recall@10 (zh) | nDCG@10 (zh) |"
    assert len(table.splitlines()) == 5
