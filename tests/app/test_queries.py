"""Query functions of warehouse/queries.py against the fixture warehouse (see conftest.py).

Of the sixteen fixture cases, fifteen are data protection; eight of those carry a
fine: 49,000, 50,000, 250,000, 300,000, 400,000, 17,124,000, 50,000,000 and
8,026,000,000 yuan (sum 8,094,173,000; median (300,000 + 400,000) / 2).
"""

from __future__ import annotations

import statistics
from datetime import date
from decimal import Decimal

import duckdb
import pytest

from tests.app.conftest import CASES, case_id
from warehouse import queries
from warehouse.queries import Filters, QueryError

DATA_PROTECTION = [case for case in CASES if case.domain == "data_protection"]
FINED = [case for case in DATA_PROTECTION if case.fine_cny]
FOOD_SAFETY_ID = case_id("luzhou_food", "1")
GUANGFA_ID = case_id("pbc", "104")


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("cases", 15),
        ("cases_with_fine", 8),
        ("fine_total_cny", Decimal("8094173000")),
        ("fine_median_cny", Decimal("350000")),
        ("confiscation_total_cny", Decimal("16217.47")),
        ("regulators", 10),
        ("provinces", 3),
    ],
)
def test_overview_metrics_default(con: duckdb.DuckDBPyConnection, key: str, expected: object) -> None:
    assert queries.overview_metrics(con, Filters())[key] == expected


def test_overview_metrics_share_without_fine(con: duckdb.DuckDBPyConnection) -> None:
    assert queries.overview_metrics(con, Filters())["share_without_fine"] == pytest.approx(7 / 15)


def test_overview_metrics_match_constants(con: duckdb.DuckDBPyConnection) -> None:
    metrics = queries.overview_metrics(con, Filters())

    assert metrics["cases"] == len(DATA_PROTECTION)
    assert metrics["fine_total_cny"] == sum(case.fine_cny for case in FINED)
    assert metrics["fine_median_cny"] == statistics.median(case.fine_cny for case in FINED)


def test_overview_metrics_all_domains(con: duckdb.DuckDBPyConnection) -> None:
    metrics = queries.overview_metrics(con, Filters(domain=None))

    assert metrics["cases"] == 16
    assert metrics["fine_total_cny"] == Decimal("8094178000")


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        # Three PBC parties share one notice table; didi, cnki, nfra, csrc and shenzhen have one each.
        (Filters(), 6),
        (Filters(regulator_families=("PBC",)), 1),
        # Food safety adds its document; the Hangzhou fine was not parsed, so its document does not count.
        (Filters(domain=None), 7),
        (Filters(regulator_families=("MPS",)), 0),
        (Filters(text="no such party"), 0),
    ],
)
def test_fine_documents(con: duckdb.DuckDBPyConnection, filters: Filters, expected: int) -> None:
    assert queries.fine_documents(con, filters) == expected


def test_overview_metrics_no_match(con: duckdb.DuckDBPyConnection) -> None:
    metrics = queries.overview_metrics(con, Filters(text="no such party"))

    assert metrics["cases"] == 0
    assert metrics["fine_median_cny"] is None
    assert metrics["share_without_fine"] is None
    assert metrics["fine_total_cny"] == Decimal(0)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        (Filters(), 15),
        (Filters(domain="other"), 1),
        (Filters(domain=None), 16),
        (Filters(regulator_families=("PBC",)), 3),
        (Filters(regulator_families=("CAC", "CSRC")), 4),
        (Filters(regulators=("工业和信息化部",)), 3),
        (Filters(provinces=("广东省",)), 3),
        (Filters(industries=("banking", "insurance")), 4),
        (Filters(violation_types=("excessive_collection",)), 4),
        # the undated MIIT case cites no violation, which the views count as "other"
        (Filters(violation_types=("other",)), 1),
        (Filters(outcome_types=("app_removal",)), 2),
        (Filters(outcome_types=("warning",)), 4),
        (Filters(date_from=date(2025, 1, 1)), 7),
        (Filters(date_to=date(2021, 12, 31)), 3),
        (Filters(date_from=date(2024, 1, 1), date_to=date(2024, 12, 31)), 2),
        (Filters(provinces=("广东省",), outcome_types=("fine",)), 2),
    ],
)
def test_filters_narrow_cases(con: duckdb.DuckDBPyConnection, filters: Filters, expected: int) -> None:
    assert queries.overview_metrics(con, filters)["cases"] == expected


@pytest.mark.parametrize(
    ("text", "expected_parties"),
    [
        ("广发", {"广发银行股份有限公司"}),
        ("星河", {"星河消费金融有限公司", "深圳星河科技有限公司"}),
        ("云帆出行", {"北京云帆网络科技有限公司"}),
        ("〔2024〕12号", {"泸州恒达商贸有限公司"}),
        ("信用信息采集", {"广发银行股份有限公司"}),
        ("知网", {"同方知网（北京）技术有限公司"}),
        ("张**", {"张**"}),
        ("100%", set()),
    ],
)
def test_search_cases_text(con: duckdb.DuckDBPyConnection, text: str, expected_parties: set[str]) -> None:
    frame = queries.search_cases(con, Filters(text=text))

    assert set(frame["party_name"]) == expected_parties


def test_search_cases_text_case_insensitive(con: duckdb.DuckDBPyConnection) -> None:
    lower = queries.search_cases(con, Filters(text="app的通报"))
    upper = queries.search_cases(con, Filters(text="APP的通报"))

    assert len(lower) == 4
    assert list(lower["case_id"]) == list(upper["case_id"])


def test_search_cases_order_newest_first(con: duckdb.DuckDBPyConnection) -> None:
    frame = queries.search_cases(con, Filters())
    dated = frame["event_date"].dropna().tolist()

    assert dated == sorted(dated, reverse=True)
    assert frame["event_date"].isna().tolist()[-1]


def test_search_cases_pages_do_not_overlap(con: duckdb.DuckDBPyConnection) -> None:
    first = queries.search_cases(con, Filters(), limit=8, offset=0)
    second = queries.search_cases(con, Filters(), limit=8, offset=8)

    assert len(first) + len(second) == 15
    assert not set(first["case_id"]) & set(second["case_id"])


def test_search_cases_has_source_url(con: duckdb.DuckDBPyConnection) -> None:
    frame = queries.search_cases(con, Filters(text="广发"))

    assert frame["source_url"].iloc[0].startswith("https://www.pbc.gov.cn/")


def test_newest_cases_limit(con: duckdb.DuckDBPyConnection) -> None:
    frame = queries.newest_cases(con, Filters(), limit=3)

    assert frame["decision_number"].tolist() == ["银罚决字〔2026〕104号", "银罚决字〔2026〕105号", "银罚决字〔2026〕106号"]


def test_domain_default_excludes_food_safety(con: duckdb.DuckDBPyConnection) -> None:
    frame = queries.search_cases(con, Filters())

    assert FOOD_SAFETY_ID not in set(frame["case_id"])


def test_domain_none_includes_food_safety(con: duckdb.DuckDBPyConnection) -> None:
    frame = queries.search_cases(con, Filters(domain=None))

    assert FOOD_SAFETY_ID in set(frame["case_id"])


def test_monthly_counts_exclude_year_only(con: duckdb.DuckDBPyConnection) -> None:
    frame = queries.monthly_counts(con, Filters(), "regulator")

    # 15 cases, less one year-only and one undated case
    assert frame["cases"].sum() == 13
    assert "广东省通信管理局" not in set(frame["group"])


def test_monthly_counts_months(con: duckdb.DuckDBPyConnection) -> None:
    frame = queries.monthly_counts(con, Filters(), "regulator_family")
    months = sorted({month.date() for month in frame["month"]})

    assert months == [
        date(2021, 3, 1), date(2022, 7, 1), date(2023, 9, 1), date(2024, 5, 1), date(2024, 12, 1),
        date(2025, 2, 1), date(2025, 3, 1), date(2025, 8, 1), date(2025, 11, 1), date(2026, 9, 1),
    ]


def test_monthly_counts_pbc_september(con: duckdb.DuckDBPyConnection) -> None:
    frame = queries.monthly_counts(con, Filters(), "regulator_family")
    row = frame[(frame["group"] == "PBC")].iloc[0]

    assert row["month"].date() == date(2026, 9, 1)
    assert row["cases"] == 3
    assert row["fine_total_cny"] == pytest.approx(17_474_000)


def test_monthly_counts_multi_valued_groups(con: duckdb.DuckDBPyConnection) -> None:
    frame = queries.monthly_counts(con, Filters(), "violation_type")
    july_2022 = frame[frame["month"].dt.date == date(2022, 7, 1)]

    assert set(july_2022["group"]) == {"excessive_collection", "security_failure"}
    assert july_2022["fine_total_cny"].tolist() == [8_026_000_000, 8_026_000_000]


def test_year_only_count(con: duckdb.DuckDBPyConnection) -> None:
    assert queries.year_only_count(con, Filters()) == 1


def test_year_only_count_filtered_out(con: duckdb.DuckDBPyConnection) -> None:
    assert queries.year_only_count(con, Filters(regulator_families=("PBC",))) == 0


def test_undated_count(con: duckdb.DuckDBPyConnection) -> None:
    assert queries.undated_count(con, Filters()) == 1


def test_yearly_counts_include_year_only(con: duckdb.DuckDBPyConnection) -> None:
    frame = queries.yearly_counts(con, Filters(), "province")
    per_year = frame.groupby("year")["cases"].sum().to_dict()

    assert per_year == {2020: 1, 2021: 2, 2022: 1, 2023: 1, 2024: 2, 2025: 4, 2026: 3}


def test_yearly_counts_null_province_group(con: duckdb.DuckDBPyConnection) -> None:
    frame = queries.yearly_counts(con, Filters(), "province")
    national_2026 = frame[(frame["year"] == 2026) & frame["group"].isna()]

    assert national_2026["cases"].tolist() == [3]


def test_fine_distribution_fined_only(con: duckdb.DuckDBPyConnection) -> None:
    frame = queries.fine_distribution(con, Filters())

    assert frame["fine_cny"].tolist() == sorted(float(case.fine_cny) for case in FINED)


def test_top_fines_order(con: duckdb.DuckDBPyConnection) -> None:
    frame = queries.top_fines(con, Filters(), limit=3)

    assert frame["party_name"].tolist() == ["滴滴全球股份有限公司", "同方知网（北京）技术有限公司", "广发银行股份有限公司"]


def test_top_fines_skip_unparsed_fine(con: duckdb.DuckDBPyConnection) -> None:
    frame = queries.top_fines(con, Filters(), limit=20)

    assert len(frame) == 8
    assert "杭州数澜网络科技有限公司" not in set(frame["party_name"])


@pytest.mark.parametrize(
    ("by", "group", "cases", "cases_with_fine", "fine_total"),
    [
        ("industry", "banking", 3, 3, 17_474_000),
        ("industry", "internet_platforms", 6, 1, 8_026_000_000),
        ("regulator_family", "MIIT", 4, 0, 0),
        ("regulator", "国家互联网信息办公室", 2, 2, 8_076_000_000),
        ("province", "广东省", 3, 2, 299_000),
        ("violation_type", "security_failure", 4, 3, 8_026_700_000),
        # the Hangzhou case names a fine whose amount could not be parsed
        ("outcome_type", "fine", 9, 8, 8_094_173_000),
        ("outcome_type", "warning", 4, 2, 17_524_000),
    ],
)
def test_breakdown_groups(
    con: duckdb.DuckDBPyConnection, by: str, group: str, cases: int, cases_with_fine: int, fine_total: int
) -> None:
    frame = queries.breakdown(con, Filters(), by)
    row = frame[frame["group"] == group].iloc[0]

    assert row["cases"] == cases
    assert row["cases_with_fine"] == cases_with_fine
    assert row["fine_total_cny"] == pytest.approx(fine_total)


def test_breakdown_most_cases_first(con: duckdb.DuckDBPyConnection) -> None:
    frame = queries.breakdown(con, Filters(), "industry")

    assert frame["cases"].tolist() == sorted(frame["cases"], reverse=True)


@pytest.mark.parametrize("query", [queries.breakdown, queries.monthly_counts, queries.yearly_counts])
def test_unknown_dimension_raises(con: duckdb.DuckDBPyConnection, query: object) -> None:
    with pytest.raises(QueryError, match="unknown dimension 'party_name'"):
        query(con, Filters(), "party_name")  # type: ignore[operator]


def test_case_detail_siblings(con: duckdb.DuckDBPyConnection) -> None:
    detail = queries.case_detail(con, GUANGFA_ID)

    assert [s["decision_number"] for s in detail["siblings"]] == ["银罚决字〔2026〕105号", "银罚决字〔2026〕106号"]


def test_case_detail_document(con: duckdb.DuckDBPyConnection) -> None:
    document = queries.case_detail(con, GUANGFA_ID)["document"]

    assert document["source"] == "pbc"
    assert document["fetched_at"].date() == date(2026, 9, 25)


def test_case_detail_amounts(con: duckdb.DuckDBPyConnection) -> None:
    detail = queries.case_detail(con, GUANGFA_ID)

    assert detail["fine_cny"] == Decimal("17124000")
    assert detail["confiscation_cny"] == Decimal("16217.47")
    assert detail["outcome_types"] == ["warning", "confiscation", "fine"]


def test_case_detail_legal_bases_in_order(con: duckdb.DuckDBPyConnection) -> None:
    detail = queries.case_detail(con, case_id("didi", "1"))

    assert [basis["label"] for basis in detail["legal_bases"]] == [
        "《中华人民共和国网络安全法》第64条",
        "《中华人民共和国数据安全法》第45条",
        "《中华人民共和国个人信息保护法》第66条",
    ]


def test_case_detail_legal_basis_clause(con: duckdb.DuckDBPyConnection) -> None:
    detail = queries.case_detail(con, case_id("hangzhou", "1"))

    assert detail["legal_bases"][0]["label"] == "《中华人民共和国网络安全法》第64条第一款"


def test_case_detail_parse_warnings(con: duckdb.DuckDBPyConnection) -> None:
    detail = queries.case_detail(con, case_id("hangzhou", "1"))

    assert detail["warnings"] == [
        {"kind": "amount", "field": "fine_cny", "raw": "罚款人民币若干万元", "message": "no amount in the penalty text"}
    ]


def test_case_detail_single_case_document(con: duckdb.DuckDBPyConnection) -> None:
    assert queries.case_detail(con, case_id("didi", "1"))["siblings"] == []


def test_case_detail_unknown_id(con: duckdb.DuckDBPyConnection) -> None:
    assert queries.case_detail(con, "0000000000000000") is None


def test_filter_options_values(con: duckdb.DuckDBPyConnection) -> None:
    options = queries.filter_options(con)

    assert options["regulator_families"] == ["CAC", "CSRC", "MIIT", "MPS", "NFRA", "PBC", "SAMR"]
    assert options["provinces"] == ["四川省", "广东省", "浙江省"]
    assert options["domains"] == ["data_protection", "other"]
    assert "other" in options["violation_types"]


def test_filter_options_date_range(con: duckdb.DuckDBPyConnection) -> None:
    assert queries.filter_options(con)["date_range"] == [date(2020, 1, 1), date(2026, 9, 8)]


@pytest.mark.parametrize(
    ("kind", "lang", "code", "expected"),
    [
        ("outcome_types", "zh", "app_removal", "下架"),
        ("outcome_types", "en", "app_removal", "App removal"),
        ("violation_types", "zh", "no_consent", "未经同意处理个人信息"),
        ("industries", "en", "banking", "Banking"),
    ],
)
def test_labels_lookup(con: duckdb.DuckDBPyConnection, kind: str, lang: str, code: str, expected: str) -> None:
    assert queries.labels(con, kind, lang)[code] == expected


def test_labels_unknown_language(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(QueryError, match="unknown language 'fr'"):
        queries.labels(con, "outcome_types", "fr")  # type: ignore[arg-type]


# Text search without lower() on every row ------------------------------------------------------

# The text search as it was written first: lower() on every field, then contains().
LOWER_SCAN = " OR ".join(
    f"contains(lower(coalesce({field}, '')), ?)" for field in ("title", "party_name", "app_name", "decision_number", "summary")
)


def _lower_scan_ids(con: duckdb.DuckDBPyConnection, needle: str, domain: str | None) -> list[str]:
    rows = con.execute(
        f"SELECT case_id FROM v_cases WHERE ({LOWER_SCAN}) AND (? IS NULL OR domain = ?) ORDER BY case_id",
        [needle] * 5 + [domain, domain],
    ).fetchall()
    return [row[0] for row in rows]


@pytest.mark.parametrize(
    "text",
    ["星河", "app", "APP", "App的通报", "的通报app", "pbc", "k", "zz", "〔2024〕", "100%", "张**", "Ｋ", "科技a"],
)
def test_text_search_matches_lower_scan(con: duckdb.DuckDBPyConnection, text: str) -> None:
    found = sorted(queries.search_cases(con, Filters(domain=None, text=text), limit=1000)["case_id"])

    assert found == _lower_scan_ids(con, text.lower(), None)


def test_text_search_kelvin_sign_prefilter() -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (title VARCHAR)")
    con.execute("INSERT INTO t VALUES ('\u212a线'), ('K线'), ('k线'), ('线')")
    params: list[object] = []
    condition = queries._text_match("title", "k线", params)

    rows = con.execute(f"SELECT title FROM t WHERE {condition} ORDER BY title", params).fetchall()

    assert [row[0] for row in rows] == sorted(["\u212a线", "K线", "k线"])


@pytest.fixture(scope="module")
def lowered_code_points() -> list[tuple[int, str]]:
    """(code point, DuckDB lower() of it) for every Unicode scalar value."""
    con = duckdb.connect()
    return con.execute(
        "SELECT i, lower(chr(i::INTEGER)) FROM range(0, 1114112) AS t(i) WHERE i NOT BETWEEN 55296 AND 57343"
    ).fetchall()


def test_lower_keeps_caseless_characters(lowered_code_points: list[tuple[int, str]]) -> None:
    changed = [hex(point) for point, lowered in lowered_code_points if queries.is_caseless(chr(point)) and lowered != chr(point)]

    assert changed == []


def test_lower_makes_no_caseless_character(lowered_code_points: list[tuple[int, str]]) -> None:
    made = [
        hex(point) for point, lowered in lowered_code_points
        if lowered != chr(point) and any(queries.is_caseless(char) for char in lowered)
    ]

    assert made == []


def test_lower_ascii_letter_sources(lowered_code_points: list[tuple[int, str]]) -> None:
    sources = {
        chr(point): lowered for point, lowered in lowered_code_points
        if not chr(point).isascii() and any(char.isascii() and char.isalpha() for char in lowered)
    }

    assert sources == {source: letter for letter, source in queries._ASCII_LOWER_SOURCES.items()}
