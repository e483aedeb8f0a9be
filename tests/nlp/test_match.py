"""Aggregation (nlp/match.py) and the risk rule (nlp/risk.py), on search hits built by hand over a real warehouse."""

from __future__ import annotations

import string
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Iterator

import duckdb
import pytest

from etl.taxonomy import label as taxonomy_label
from nlp.match import (
    MatchError,
    MatchedCase,
    NoEmbeddingsError,
    build_matched_case,
    check_embeddings,
    count_codes,
    count_legal_bases,
    fine_summary,
    practice_filters,
    read_cases,
    read_labels,
    summarize_practice,
)
from nlp.profile import EXAMPLE_FILE, load_profile, parse_profile
from nlp.risk import RiskRules, RiskRulesError, default_rules, profile_findings
from nlp.search import SearchHit
from tests.nlp.match_cases import CASE_FIELDS, build_match_warehouse, case_id
from warehouse.db import connect
from warehouse.queries import Filters

AS_OF = date(2026, 10, 1)

# The thresholds the expected results below follow from, pinned so that tuning
# risk_rules.yaml does not change what these tests check.
RULES = replace(default_rules(), close_similarity=0.5, keyword_close_rank=10, keyword_close_similarity=0.3,
                many_close_cases=3, large_fine_cny=1_000_000.0, recent_years=3, levels={"high": 4, "medium": 2})


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    path = tmp_path_factory.mktemp("match") / "eintel.duckdb"
    build_match_warehouse(path)
    connection = connect(path, read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def labels(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], tuple[str, str]]:
    return read_labels(con)


def _hit(key: str, rank: int, keyword_rank: int | None = None) -> SearchHit:
    """A hit on a fixture case's whole text; without a keyword rank, as if found by the dense ranking only."""
    text = CASE_FIELDS[key][2]["text"]
    return SearchHit(
        case_id=case_id(key), score=1 / (60 + rank), passage_id=f"passage-{key}", passage_kind="violations",
        field="text", start=0, end=len(text), passage_text=text, highlights=[],
        keyword_rank=keyword_rank, dense_rank=rank,
    )


def _cases(
    con: duckdb.DuckDBPyConnection, scored: list[tuple[str, float]], keyword_ranks: list[int | None] | None = None
) -> list[MatchedCase]:
    """Build matched cases from (fixture case key, similarity) pairs, best first."""
    ranks = keyword_ranks or [None] * len(scored)
    hits = [_hit(key, rank, keyword_rank) for rank, ((key, _), keyword_rank) in enumerate(zip(scored, ranks), start=1)]
    rows = read_cases(con, [hit.case_id for hit in hits])
    return [
        build_matched_case(rank, hit, rows[hit.case_id], similarity, RULES)
        for rank, (hit, (_, similarity)) in enumerate(zip(hits, scored), start=1)
    ]


def _profile(practice_categories: str = "[]", transfers: str = "") -> object:
    return parse_profile(
        "company: 示例出行科技有限公司\nindustry: internet_platforms\nprovinces: [广东, 上海]\n"
        f"practices:\n  - statement: 测试做法\n    data_categories: {practice_categories}\n{transfers}"
    )


def _codes(result: object) -> list[str]:
    return [reason.code for reason in result.reasons]  # type: ignore[attr-defined]


# Reading the warehouse ------------------------------------------------------------------------

def test_read_cases_facts(con: duckdb.DuckDBPyConnection) -> None:
    rows = read_cases(con, [case_id("face"), "unknown-case"])

    assert list(rows) == [case_id("face")]
    assert rows[case_id("face")]["fine_cny"] == 500000.0
    assert rows[case_id("face")]["outcome_types"] == ["warning", "fine"]


def test_read_cases_empty(con: duckdb.DuckDBPyConnection) -> None:
    assert read_cases(con, []) == {}


def test_matched_case_joins_hit(con: duckdb.DuckDBPyConnection) -> None:
    [case] = _cases(con, [("sdk_decision", 0.72)])

    assert case.party == "快帆出行服务有限公司"
    assert case.fine_cny == 1200000.0
    assert case.event_date == date(2025, 2, 14)
    assert [basis.law for basis in case.legal_bases] == ["个人信息保护法", "个人信息保护法", "网络安全法"]
    assert case.close


def test_close_threshold(con: duckdb.DuckDBPyConnection) -> None:
    threshold = RULES.close_similarity
    at, below = _cases(con, [("face", threshold), ("credit", threshold - 0.01)])

    assert at.close
    assert not below.close


@pytest.mark.parametrize(("similarity", "keyword_rank", "close"), [
    (0.35, 10, True), (0.35, 11, False), (0.29, 1, False), (0.35, None, False), (0.5, None, True),
])
def test_close_by_keyword_rank(con: duckdb.DuckDBPyConnection, similarity: float, keyword_rank: int | None,
                               close: bool) -> None:
    [case] = _cases(con, [("push", similarity)], [keyword_rank])

    assert case.close is close


def test_party_falls_back_to_app(con: duckdb.DuckDBPyConnection) -> None:
    [case] = _cases(con, [("credit", 0.6)])

    assert case.party == "示例银行股份有限公司"
    assert case.app_name is None


def test_check_embeddings_without_table(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(NoEmbeddingsError, match="run `eintel embed`"):
        check_embeddings(con, "usem3:test")


# Counting -------------------------------------------------------------------------------------

def test_fine_summary_percentiles() -> None:
    summary = fine_summary([None, 0.0, 100.0, 200.0, 300.0, 1000.0])

    assert summary.cases_with_fine == 4
    assert summary.cases_without_fine == 2
    assert summary.median_cny == 250.0
    # Linear method: rank (4 - 1) * 0.9 = 2.7 lies 70% of the way from 300 to 1000.
    assert summary.p90_cny == pytest.approx(790.0)
    assert summary.max_cny == 1000.0


def test_fine_summary_one_fine() -> None:
    summary = fine_summary([50000.0])

    assert summary.median_cny == 50000.0
    assert summary.p90_cny == 50000.0


def test_fine_summary_no_fines() -> None:
    summary = fine_summary([None, None])

    assert summary.cases_with_fine == 0
    assert summary.cases_without_fine == 2
    assert summary.median_cny is None
    assert summary.max_cny is None


def test_outcomes_most_common_first(con: duckdb.DuckDBPyConnection, labels: dict) -> None:
    cases = _cases(con, [("device_ids", 0.8), ("permissions", 0.7), ("location", 0.6)])

    outcomes = count_codes(cases, "outcome_types", "outcome_types", labels)

    assert [(count.code, count.count) for count in outcomes] == [
        ("public_notice", 3), ("rectification_order", 2), ("app_removal", 1),
    ]
    assert outcomes[0].zh == taxonomy_label("outcome_types", "public_notice", "zh")
    assert outcomes[0].en == taxonomy_label("outcome_types", "public_notice", "en")


def test_unknown_code_keeps_itself(con: duckdb.DuckDBPyConnection) -> None:
    cases = _cases(con, [("face", 0.8)])

    counts = count_codes(cases, "outcome_types", "outcome_types", {})

    assert [(count.code, count.zh, count.en) for count in counts] == [("fine", "fine", "fine"), ("warning", "warning", "warning")]


def test_legal_bases_merge_clauses(con: duckdb.DuckDBPyConnection) -> None:
    cases = _cases(con, [("face", 0.8), ("sdk_decision", 0.7)])

    bases = count_legal_bases(cases)

    assert (bases[0].zh, bases[0].count) == ("《个人信息保护法》第66条", 2)
    assert bases[0].en == "Personal Information Protection Law, Art. 66"
    assert sorted(count.zh for count in bases[1:]) == ["《个人信息保护法》第23条", "《个人信息保护法》第29条", "《网络安全法》第64条"]


def test_legal_basis_unknown_law_english(con: duckdb.DuckDBPyConnection) -> None:
    [case] = _cases(con, [("credit", 0.6)])

    assert case.legal_bases[0].label("en") == "Regulation on the Administration of the Credit Reporting Industry, Art. 40"


# Risk rule -------------------------------------------------------------------------------------

def test_level_high(con: duckdb.DuckDBPyConnection, labels: dict) -> None:
    profile = _profile()
    cases = _cases(con, [("device_ids", 0.81), ("sdk_notice", 0.7), ("permissions", 0.62), ("deletion", 0.3)])

    result = summarize_practice(profile.practices[0], profile, cases, RULES, labels, AS_OF)

    assert _codes(result) == ["close_cases", "many_close_cases", "severe_outcome", "recent_case"]
    assert result.points == 4
    assert result.level == "high"
    assert len(result.close_cases) == 3
    assert result.best_similarity == 0.81


def test_close_reason_names_closest(con: duckdb.DuckDBPyConnection, labels: dict) -> None:
    profile = _profile()
    cases = _cases(con, [("permissions", 0.6), ("device_ids", 0.81)])

    result = summarize_practice(profile.practices[0], profile, cases, RULES, labels, AS_OF)

    assert result.reasons[0].zh == "2 个案例与该做法相近，最接近的是「星途出行科技有限公司」（相似度 0.81）。"
    assert result.reasons[0].en == "2 case(s) are close to this practice; the closest is “星途出行科技有限公司” at similarity 0.81."


def test_severe_outcome_sentence(con: duckdb.DuckDBPyConnection, labels: dict) -> None:
    profile = _profile()
    cases = _cases(con, [("device_ids", 0.8), ("sdk_decision", 0.7), ("criminal", 0.6)])

    result = summarize_practice(profile.practices[0], profile, cases, RULES, labels, AS_OF)
    severe = next(reason for reason in result.reasons if reason.code == "severe_outcome")

    assert "罚款不少于100万元（1 个案例）" in severe.zh
    assert taxonomy_label("outcome_types", "criminal_referral", "zh") in severe.zh
    assert "fine of at least CNY 1,000,000 (1 case)" in severe.en


def test_level_low_without_close_case(con: duckdb.DuckDBPyConnection, labels: dict) -> None:
    profile = _profile()
    cases = _cases(con, [("device_ids", 0.45), ("criminal", 0.4)])

    result = summarize_practice(profile.practices[0], profile, cases, RULES, labels, AS_OF)

    assert _codes(result) == ["no_close_case"]
    assert result.level == "low"
    assert result.reasons[0].en.endswith("the highest is 0.45.")
    assert "关键词排名前 10 的案例相似度也都低于 0.30" in result.reasons[0].zh


def test_no_match_reason(con: duckdb.DuckDBPyConnection, labels: dict) -> None:
    profile = _profile()

    result = summarize_practice(profile.practices[0], profile, [], RULES, labels, AS_OF)

    assert _codes(result) == ["no_match"]
    assert result.level == "low"
    assert result.best_similarity is None
    assert result.fines.cases_without_fine == 0


def test_old_case_not_recent(con: duckdb.DuckDBPyConnection, labels: dict) -> None:
    profile = _profile()
    cases = _cases(con, [("deletion", 0.7)])

    result = summarize_practice(profile.practices[0], profile, cases, RULES, labels, AS_OF)

    assert _codes(result) == ["close_cases"]
    assert result.level == "low"


@pytest.mark.parametrize(("as_of", "recent"), [(date(2026, 11, 2), True), (date(2026, 11, 3), False)])
def test_recent_boundary(con: duckdb.DuckDBPyConnection, labels: dict, as_of: date, recent: bool) -> None:
    profile = _profile()
    cases = _cases(con, [("face", 0.7)])

    result = summarize_practice(profile.practices[0], profile, cases, RULES, labels, as_of)

    assert ("recent_case" in _codes(result)) is recent


def test_sensitive_data_adds_point(con: duckdb.DuckDBPyConnection, labels: dict) -> None:
    profile = _profile("[biometric, device_identifiers]")
    cases = _cases(con, [("deletion", 0.7)])

    result = summarize_practice(profile.practices[0], profile, cases, RULES, labels, AS_OF)
    sensitive = result.reasons[-1]

    assert sensitive.code == "sensitive_data"
    assert sensitive.zh == "该做法涉及敏感个人信息：生物识别信息。"
    assert sensitive.en == "The practice touches sensitive personal information: Biometric information."
    assert result.level == "medium"


def test_transfer_without_mechanism_adds_point(con: duckdb.DuckDBPyConnection, labels: dict) -> None:
    transfers = ("cross_border_transfers:\n  - destination: 新加坡\n    data_categories: [biometric]\n    mechanism: none\n"
                 "  - destination: 美国\n    data_categories: [biometric]\n    mechanism: standard_contract\n")
    profile = _profile("[biometric]", transfers)

    result = summarize_practice(profile.practices[0], profile, [], RULES, labels, AS_OF)
    transfer = result.reasons[-1]

    assert _codes(result) == ["no_match", "sensitive_data", "transfer_without_mechanism"]
    assert "新加坡" in transfer.zh
    assert "美国" not in transfer.zh
    assert result.level == "medium"


def test_transfer_of_other_categories_ignored(con: duckdb.DuckDBPyConnection, labels: dict) -> None:
    transfers = "cross_border_transfers:\n  - destination: 新加坡\n    data_categories: [health]\n    mechanism: none\n"
    profile = _profile("[device_identifiers]", transfers)

    result = summarize_practice(profile.practices[0], profile, [], RULES, labels, AS_OF)

    assert "transfer_without_mechanism" not in _codes(result)


def test_points_sum_reasons(con: duckdb.DuckDBPyConnection, labels: dict) -> None:
    profile = _profile("[minors]")
    cases = _cases(con, [("device_ids", 0.8), ("location", 0.7), ("permissions", 0.6)])

    result = summarize_practice(profile.practices[0], profile, cases, RULES, labels, AS_OF)

    assert result.points == sum(reason.points for reason in result.reasons)
    assert result.points == 5
    assert result.level == "high"


def test_shared_counts_cover_all_cases(con: duckdb.DuckDBPyConnection, labels: dict) -> None:
    profile = _profile()
    cases = _cases(con, [("face", 0.8), ("sdk_decision", 0.3), ("marketing", 0.2)])

    result = summarize_practice(profile.practices[0], profile, cases, RULES, labels, AS_OF)

    assert result.fines.cases_with_fine == 3
    assert result.fines.median_cny == 500000.0
    assert result.fines.max_cny == 1200000.0
    assert [count.code for count in result.outcomes][:1] == ["fine"]
    assert result.outcomes[0].count == 3


# Profile findings ------------------------------------------------------------------------------

def test_example_findings() -> None:
    profile = load_profile(EXAMPLE_FILE)

    findings = profile_findings(profile, RULES)
    transfers = [finding for finding in findings if finding.kind == "cross_border_transfer"]
    categories = {finding.subject_en: finding.level for finding in findings if finding.kind == "data_category"}

    assert [finding.level for finding in transfers] == ["high", "low"]
    assert "第三十八条" in transfers[0].reasons[0].zh
    assert "Article 38" in transfers[0].reasons[0].en
    assert [reason.code for reason in transfers[0].reasons] == [
        "transfer_without_mechanism", "transfer_sensitive", "transfer_consent",
    ]
    assert "个人信息出境标准合同" in transfers[1].reasons[0].zh
    assert len(categories) == len(profile.all_data_categories())
    assert categories["Biometric information"] == "medium"
    assert categories["Contact details"] == "low"


def test_sensitive_transfer_with_mechanism_medium() -> None:
    profile = _profile(transfers="cross_border_transfers:\n  - destination: 德国\n    data_categories: [health]\n"
                                 "    mechanism: security_assessment\n")

    [transfer, *_] = profile_findings(profile, RULES)

    assert transfer.level == "medium"
    assert "数据出境安全评估" in transfer.reasons[0].zh


# Filters and rules ------------------------------------------------------------------------------

def test_filters_none_by_default() -> None:
    assert practice_filters(_profile()) is None


def test_filters_restrict_provinces() -> None:
    filters = practice_filters(_profile(), ["provinces"])

    assert filters == Filters(domain=None, provinces=("广东省", "上海市"))


def test_filters_restrict_both() -> None:
    filters = practice_filters(_profile(), ["provinces", "industry"], Filters(date_from=date(2024, 1, 1)))

    assert filters.provinces == ("广东省", "上海市")
    assert filters.industries == ("internet_platforms",)
    assert filters.date_from == date(2024, 1, 1)
    assert filters.domain == "data_protection"


def test_filters_unknown_restriction() -> None:
    with pytest.raises(MatchError, match="unknown restriction"):
        practice_filters(_profile(), ["regulator"])


def test_rules_levels() -> None:
    rules = default_rules()

    assert rules.level(rules.levels["high"]) == "high"
    assert rules.level(rules.levels["high"] - 1) == "medium"
    assert rules.level(rules.levels["medium"] - 1) == "low"


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_rule_sentences_same_placeholders() -> None:
    rules = default_rules()
    tables = {**rules.reasons, **{f"profile:{key}": value for key, value in rules.profile_reasons.items()}}

    mismatched = [code for code, sentences in tables.items()
                  if _placeholders(sentences["zh"]) != _placeholders(sentences["en"])]

    assert mismatched == []


def test_every_point_has_sentence() -> None:
    rules = default_rules()

    assert set(rules.points) <= set(rules.reasons)


def test_rules_file_invalid(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("close_similarity: 0.5\n", encoding="utf-8")

    with pytest.raises(RiskRulesError, match="keyword_close_rank"):
        RiskRules.load(path)
