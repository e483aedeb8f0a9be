"""Tokenizer and BM25 index of the keyword search, and the per-process index cache."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from nlp.keyword import (
    B,
    K1,
    BM25Index,
    bm25_term_weight,
    keyword_index,
    load_config,
    match_spans,
    query_terms,
    tokenize,
)
from warehouse.db import connect

# Three passages of two-character words that jieba keeps whole and that contain no shorter
# dictionary word, so each token counts once: lengths 3, 2 and 1, average 2.
PASSAGES = [
    ("p0", "case-a", "收集 收集 征信"),
    ("p1", "case-b", "征信 权限"),
    ("p2", "case-c", "权限"),
]


def _texts(text: str) -> list[str]:
    return [token.text for token in tokenize(text)]


def test_tokenize_keeps_domain_terms() -> None:
    tokens = _texts("超范围收集设备标识符并强制索取权限")

    assert "超范围收集" in tokens
    assert "设备标识符" in tokens
    assert "强制索取权限" in tokens


def test_tokenize_adds_words_inside_terms() -> None:
    tokens = _texts("强制索取权限")

    assert "索取" in tokens
    assert "权限" in tokens


def test_tokenize_drops_punctuation_and_stop_words() -> None:
    tokens = _texts("收集、使用的个人信息，以及《征信》！")

    assert tokens == ["收集", "使用", "个人信息", "个人", "信息", "征信"]


def test_tokenize_folds_case_and_width() -> None:
    assert _texts("ＳＤＫ") == ["sdk"]
    assert _texts("SDK") == ["sdk"]
    assert _texts("App") == ["app"]


def test_token_spans_point_into_text() -> None:
    text = "某APP，违规收集设备标识符。"

    for token in tokenize(text):
        assert text[token.start : token.end].lower() == token.text


def test_query_terms_are_distinct() -> None:
    assert query_terms("征信 征信 权限") == ["征信", "权限"]


def test_match_spans_merges_overlaps() -> None:
    text = "App强制索取权限，频繁索取权限"

    spans = match_spans(text, query_terms("强制索取权限"))

    assert spans == [(3, 9), (12, 16)]
    assert text[3:9] == "强制索取权限"
    assert text[12:16] == "索取权限"


def test_match_spans_without_shared_token() -> None:
    assert match_spans("未履行网络安全保护义务", ["人脸识别"]) == []


def test_config_lists_terms_and_stop_words() -> None:
    config = load_config()

    assert "人脸识别" in config.terms
    assert "的" in config.stop_words
    assert "个人信息" not in config.stop_words


def test_config_missing_list_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "terms.yaml"
    path.write_text("terms: [征信]\n", encoding="utf-8")

    with pytest.raises(ValueError, match="stop_words"):
        load_config(path)


def test_bm25_scores_hand_computed() -> None:
    index = BM25Index(PASSAGES)

    # 收集: N=3, df=1, idf = ln(1 + 2.5/1.5) = ln(8/3) = 0.980829.
    # p0: tf=2, |d|=3, avgdl=2, so norm = 1.5 * (0.25 + 0.75 * 1.5) = 2.0625 and
    # the score is 0.980829 * 2 * 2.5 / (2 + 2.0625) = 1.207174.
    scores = index.scores(["收集"])
    assert scores[0] == pytest.approx(1.207174, abs=1e-6)
    assert scores[1] == 0
    assert scores[2] == 0

    # 征信 and 权限: df=2, idf = ln(1 + 1.5/2.5) = ln(1.6) = 0.470004 each.
    # p0: 征信 tf=1, norm 2.0625: 0.470004 * 2.5 / 3.0625 = 0.383677.
    # p1: both, norm = 1.5 * (0.25 + 0.75) = 1.5: 2 * 0.470004 * 2.5 / 2.5 = 0.940007.
    # p2: 权限 tf=1, norm = 1.5 * (0.25 + 0.375) = 0.9375: 0.470004 * 2.5 / 1.9375 = 0.606456.
    scores = index.scores(["征信", "权限"])
    assert scores[0] == pytest.approx(0.383677, abs=1e-6)
    assert scores[1] == pytest.approx(0.940007, abs=1e-6)
    assert scores[2] == pytest.approx(0.606456, abs=1e-6)


def test_bm25_matches_term_formula() -> None:
    index = BM25Index(PASSAGES)

    expected = bm25_term_weight(tf=2, df=1, count=3, length=3, average_length=2)

    assert index.scores(["收集"])[0] == pytest.approx(expected)
    assert expected == pytest.approx(math.log(8 / 3) * 2 * (K1 + 1) / (2 + K1 * (1 - B + B * 1.5)))


def test_bm25_idf_positive_for_common_term() -> None:
    # 权限 is in four of five passages, where Okapi's original idf would be negative.
    index = BM25Index([(f"p{n}", "c", "权限") for n in range(4)] + [("p4", "c", "征信")])

    assert index.idf[index.vocabulary["权限"]] > 0


def test_bm25_rank_orders_and_filters() -> None:
    index = BM25Index(PASSAGES)

    ranked = index.rank("征信权限")
    assert [position for position, _ in ranked] == [1, 2, 0]

    only_first_two = index.rank("征信权限", allowed=np.array([True, True, False]))
    assert [position for position, _ in only_first_two] == [1, 0]


def test_coverage_counts_known_terms() -> None:
    index = BM25Index(PASSAGES)

    assert index.coverage(["征信", "人脸识别", "征信"]) == 0.5
    assert index.coverage(["收集", "权限"]) == 1.0
    assert index.coverage([]) == 0.0


def test_bm25_rank_unknown_terms_empty() -> None:
    assert BM25Index(PASSAGES).rank("人脸识别") == []


def test_bm25_empty_index() -> None:
    index = BM25Index([])

    assert len(index) == 0
    assert index.rank("征信") == []


def _write_passages(con, rows: list[tuple[str, str, str]]) -> None:
    con.execute("DELETE FROM passages")
    for number, (passage_id, case_id, text) in enumerate(rows):
        con.execute(
            "INSERT INTO passages (passage_id, case_id, field, kind, start_offset, end_offset, text, text_hash) "
            "VALUES (?, ?, 'text', 'violations', 0, ?, ?, ?)",
            [passage_id, case_id, len(text), text, f"hash-{number}-{text}"],
        )


def test_index_cache_rebuilds_after_change(tmp_path: Path) -> None:
    con = connect(tmp_path / "eintel.duckdb")
    try:
        _write_passages(con, PASSAGES)
        first = keyword_index(con)
        again = keyword_index(con)

        _write_passages(con, [*PASSAGES, ("p3", "case-d", "人脸识别")])
        rebuilt = keyword_index(con)
    finally:
        con.close()

    assert again is first
    assert rebuilt is not first
    assert len(rebuilt) == 4
    assert rebuilt.rank("人脸识别")[0][0] == rebuilt.passage_ids.index("p3")
