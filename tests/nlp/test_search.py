"""Keyword, dense and hybrid search over a small embedded warehouse, checked against brute force."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import duckdb
import numpy as np
import pytest

from nlp.embed import embed_cases
from nlp.search import (
    RRF_K,
    MissingEmbeddingsError,
    NoPassagesError,
    SearchError,
    default_encoder,
    fuse_rankings,
    hit_cases,
    mark_highlights,
    search,
)
from tests.app.conftest import case_id, make_case
from tests.nlp.search_fixtures import ALL_CASES, build_search_warehouse, no_network  # noqa: F401
from warehouse.db import connect
from warehouse.embeddings import load_embeddings
from warehouse.load import replace_cases
from warehouse.queries import Filters

FACE = case_id("hangzhou", "face")
SDK = case_id("miit", "星河天气")
CONSENT = case_id("miit", "云帆专车")
CREDIT = case_id("pbc", "credit")
SECURITY = case_id("csrc", "security")
FOOD = case_id("luzhou_food", "expired")


@pytest.fixture(scope="module")
def encoder() -> Any:
    return default_encoder()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, encoder: Any) -> Path:
    return build_search_warehouse(tmp_path_factory.mktemp("search") / "eintel.duckdb")


@pytest.fixture
def con(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(warehouse, read_only=True)
    yield connection
    connection.close()


def _case_text(con: duckdb.DuckDBPyConnection, case: str, field: str) -> str:
    return con.execute(f"SELECT {field} FROM cases WHERE case_id = ?", [case]).fetchone()[0]


def test_keyword_finds_face_case(con: duckdb.DuckDBPyConnection) -> None:
    hits = search(con, "人脸识别", mode="keyword")

    assert hits[0].case_id == FACE
    assert hits[0].keyword_rank == 1
    assert hits[0].dense_rank is None


def test_keyword_highlights_query_terms(con: duckdb.DuckDBPyConnection) -> None:
    hit = search(con, "人脸识别摄像头", mode="keyword")[0]

    # Adjacent matches merge into one span, so the two words show as one mark.
    marked = [hit.passage_text[start:end] for start, end in hit.highlights]
    assert "人脸识别摄像头" in marked
    assert "人脸" in marked


def test_hit_offsets_point_into_case(con: duckdb.DuckDBPyConnection) -> None:
    for hit in search(con, "收集个人信息", mode="hybrid", k=5):
        source = _case_text(con, hit.case_id, hit.field)
        assert source[hit.start : hit.end] == hit.passage_text


def test_one_hit_per_case(con: duckdb.DuckDBPyConnection) -> None:
    hits = search(con, "决定 罚款 警告 违反", mode="hybrid", k=20)
    cases = [hit.case_id for hit in hits]

    assert len(cases) == len(set(cases))


def test_keyword_ranking_matches_bm25(con: duckdb.DuckDBPyConnection) -> None:
    from nlp.keyword import keyword_index, query_terms

    index = keyword_index(con)
    scores = index.scores(query_terms("违规收集设备标识符"))
    best_per_case: dict[str, float] = {}
    for position in np.flatnonzero(scores > 0):
        case = index.case_ids[position]
        best_per_case[case] = max(best_per_case.get(case, 0.0), float(scores[position]))

    hits = search(con, "违规收集设备标识符", mode="keyword", k=50)

    assert [hit.case_id for hit in hits] == sorted(best_per_case, key=lambda case: -best_per_case[case])
    assert [hit.score for hit in hits] == pytest.approx(sorted(best_per_case.values(), reverse=True))


def test_dense_matches_brute_force(con: duckdb.DuckDBPyConnection, encoder: Any) -> None:
    query = "银行员工未经授权查询客户的信用报告"
    passage_ids, matrix = load_embeddings(con, encoder.model_id)
    case_of = dict(con.execute("SELECT passage_id, case_id FROM passages").fetchall())
    similarities = matrix @ encoder.encode([query])[0]
    best_per_case: dict[str, float] = {}
    for passage_id, similarity in zip(passage_ids, similarities):
        case = case_of[passage_id]
        best_per_case[case] = max(best_per_case.get(case, -1.0), float(similarity))
    expected = sorted(best_per_case, key=lambda case: -best_per_case[case])[:5]

    hits = search(con, query, mode="dense", k=5, encoder=encoder)

    assert [hit.case_id for hit in hits] == expected
    assert [hit.score for hit in hits] == pytest.approx([best_per_case[case] for case in expected], abs=1e-5)
    assert hits[0].case_id == CREDIT


def test_dense_finds_english_query(con: duckdb.DuckDBPyConnection, encoder: Any) -> None:
    hits = search(con, "shops film customers' faces at the door without asking them", mode="dense", k=3,
                  encoder=encoder)

    assert hits[0].case_id == FACE
    assert hits[0].highlights == []


def test_keyword_misses_english_query(con: duckdb.DuckDBPyConnection) -> None:
    assert search(con, "shops film customers' faces at the door without asking them", mode="keyword") == []


def test_hybrid_score_is_weighted_rrf(con: duckdb.DuckDBPyConnection, encoder: Any) -> None:
    from nlp.keyword import keyword_index, query_terms

    query = "未经同意收集个人信息和星际航行日志"
    keyword_weight = keyword_index(con).coverage(query_terms(query))

    hits = search(con, query, mode="hybrid", k=10, encoder=encoder)

    assert 0 < keyword_weight < 1
    for hit in hits:
        expected = 0.0
        if hit.keyword_rank is not None:
            expected += keyword_weight / (RRF_K + hit.keyword_rank)
        if hit.dense_rank is not None:
            expected += 1 / (RRF_K + hit.dense_rank)
        assert hit.score == pytest.approx(expected)
    assert [hit.score for hit in hits] == sorted((hit.score for hit in hits), reverse=True)


def test_hybrid_keeps_dense_only_hits(con: duckdb.DuckDBPyConnection, encoder: Any) -> None:
    hits = search(con, "shops film customers' faces at the door without asking them", mode="hybrid", k=3,
                  encoder=encoder)

    assert hits[0].case_id == FACE
    assert hits[0].keyword_rank is None
    assert hits[0].dense_rank == 1


def test_fuse_rankings_sums_reciprocal_ranks() -> None:
    keyword = [("p1", "a", 9.0), ("p2", "b", 5.0)]
    dense = [("p2", "b", 0.9), ("p3", "c", 0.8)]

    fused = fuse_rankings(keyword, dense, k=60)

    assert [passage for passage, _, _ in fused] == ["p2", "p1", "p3"]
    assert fused[0][2] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1][2] == pytest.approx(1 / 61)
    assert fused[2][2] == pytest.approx(1 / 62)


def test_fuse_rankings_weights() -> None:
    keyword = [("p1", "a", 9.0)]
    dense = [("p2", "b", 0.9)]

    fused = fuse_rankings(keyword, dense, k=60, weights=(0.5, 1.0))

    assert [passage for passage, _, _ in fused] == ["p2", "p1"]
    assert fused[1][2] == pytest.approx(0.5 / 61)


def test_fuse_rankings_weight_count_checked() -> None:
    with pytest.raises(ValueError, match="got 1 weights for 2 rankings"):
        fuse_rankings([], [], weights=(1.0,))


def test_filters_restrict_cases(con: duckdb.DuckDBPyConnection, encoder: Any) -> None:
    filters = Filters(regulator_families=("MIIT",))

    hits = search(con, "收集个人信息", filters=filters, mode="hybrid", k=10, encoder=encoder)

    assert {hit.case_id for hit in hits} == {SDK, CONSENT}


def test_default_domain_filter_drops_other(con: duckdb.DuckDBPyConnection) -> None:
    unfiltered = search(con, "食品 保质期", mode="keyword")
    filtered = search(con, "食品 保质期", filters=Filters(), mode="keyword")

    assert unfiltered[0].case_id == FOOD
    assert FOOD not in {hit.case_id for hit in filtered}


def test_date_filter(con: duckdb.DuckDBPyConnection) -> None:
    from datetime import date

    hits = search(con, "罚款", filters=Filters(date_from=date(2025, 1, 1), date_to=date(2025, 12, 31)), mode="keyword")

    assert hits
    assert CREDIT not in {hit.case_id for hit in hits}
    assert FACE in {hit.case_id for hit in hits}


def test_filtered_case_ids_follow_filters(con: duckdb.DuckDBPyConnection) -> None:
    from warehouse.queries import filtered_case_ids

    pbc = filtered_case_ids(con, Filters(regulator_families=("PBC",)))
    everything = filtered_case_ids(con, Filters(domain=None))

    assert CREDIT in pbc
    assert len(pbc) == 4
    assert pbc == sorted(pbc)
    assert len(everything) == con.execute("SELECT count(*) FROM cases").fetchone()[0]


def test_blank_query_returns_nothing(con: duckdb.DuckDBPyConnection) -> None:
    assert search(con, "   ", mode="keyword") == []


def test_invalid_mode_rejected(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(SearchError, match="unknown search mode 'fuzzy'"):
        search(con, "征信", mode="fuzzy")  # type: ignore[arg-type]


def test_invalid_k_rejected(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(SearchError, match="k must be at least 1"):
        search(con, "征信", k=0)


def test_search_makes_no_network_call(con: duckdb.DuckDBPyConnection, no_network: list[Any]) -> None:
    from nlp.encoders import load_encoder

    hits = search(con, "第三方SDK收集设备信息", mode="hybrid", encoder=load_encoder())

    assert hits[0].case_id == SDK
    assert no_network == []


def test_hit_cases_facts(con: duckdb.DuckDBPyConnection) -> None:
    facts = hit_cases(con, [FACE, CREDIT])

    assert facts[FACE]["party_name"] == "杭州明镜商业管理有限公司"
    assert facts[CREDIT]["fine_cny"] == 300000
    assert facts[CREDIT]["source_url"].startswith("https://www.pbc.gov.cn/")


def test_mark_highlights() -> None:
    assert mark_highlights("违规收集设备标识符", [(2, 4), (4, 9)]) == "违规【收集】【设备标识符】"


def test_missing_embeddings_error(tmp_path: Path, encoder: Any) -> None:
    path = build_search_warehouse(tmp_path / "eintel.duckdb", embed=False)
    con = connect(path, read_only=True)
    try:
        keyword_hits = search(con, "人脸识别", mode="keyword")
        with pytest.raises(MissingEmbeddingsError, match="run `eintel embed`"):
            search(con, "人脸识别", mode="hybrid", encoder=encoder)
    finally:
        con.close()

    assert keyword_hits[0].case_id == FACE


def test_no_passages_error(tmp_path: Path) -> None:
    con = connect(tmp_path / "eintel.duckdb")
    try:
        with pytest.raises(NoPassagesError, match="run `eintel embed`"):
            search(con, "人脸识别", mode="keyword")
    finally:
        con.close()


def test_new_case_found_after_embed(tmp_path: Path, encoder: Any) -> None:
    path = build_search_warehouse(tmp_path / "eintel.duckdb")
    added = make_case("luzhou_warning", "rider", title="行政处罚决定书", regulator="泸州市市场监督管理局",
                      regulator_level="municipal", regulator_family="SAMR", province="四川省",
                      party_name="泸州快送配送有限公司", party_type="company", industry="logistics",
                      domain="data_protection", violation_types=["excessive_collection"],
                      outcome_types=["warning"], text="经查，当事人持续收集外卖骑手轨迹并用于考核以外的用途。")
    con = connect(path)
    try:
        before = search(con, "外卖骑手轨迹", mode="hybrid", encoder=encoder)
        sources = [added.source]
        kept = [case for case in ALL_CASES if case.source == added.source]
        replace_cases(con, [*kept, added], sources, {})
        embed_cases(con, encoder)
        after = search(con, "外卖骑手轨迹", mode="hybrid", encoder=encoder)
    finally:
        con.close()

    assert added.case_id not in {hit.case_id for hit in before}
    assert after[0].case_id == added.case_id
    assert after[0].keyword_rank == 1
    assert after[0].dense_rank is not None
