"""Tests of the taxonomy files and their loader (etl.taxonomy)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from etl.taxonomy import (
    LOOKUP_FIELDS,
    Category,
    TaxonomyError,
    all_codes,
    label,
    load_lookups,
    load_taxonomy,
    normalize_text,
    read_taxonomy_file,
)

KINDS = ["violation_types", "outcome_types", "industries", "domains"]

REQUIRED_CODES = {
    "violation_types": [
        "excessive_collection",
        "no_consent",
        "undisclosed_rules",
        "third_party_sharing",
        "cross_border_transfer",
        "security_failure",
        "credit_information",
        "forced_permissions",
        "misleading_users",
        "frequent_self_start",
        "account_deletion",
        "targeted_push",
        "illegal_data_trading",
        "content_security",
        "minors_protection",
        "biometric_sensitive",
        "consumer_personal_info",
        "other",
    ],
    "outcome_types": [
        "warning",
        "fine",
        "confiscation",
        "rectification_order",
        "app_removal",
        "interview",
        "suspension",
        "licence_revocation",
        "public_notice",
        "criminal_referral",
        "other",
    ],
    "industries": [
        "banking",
        "insurance",
        "securities",
        "internet_platforms",
        "telecom",
        "healthcare",
        "education",
        "ecommerce_retail",
        "automotive",
        "logistics",
        "manufacturing",
        "public_sector",
        "other",
    ],
    "domains": ["data_protection", "other"],
}

VALID_ENTRY = """\
  - code: {code}
    zh: 测试
    en: Test
    description_en: A test entry.
"""


def write_taxonomy(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(body, encoding="utf-8")
    return path


@pytest.mark.parametrize("kind", KINDS)
def test_load_taxonomy_required_codes(kind: str) -> None:
    codes = all_codes(kind)

    for code in REQUIRED_CODES[kind]:
        assert code in codes, f"{kind} lacks {code}"


@pytest.mark.parametrize("kind", KINDS)
def test_load_taxonomy_codes_unique(kind: str) -> None:
    codes = all_codes(kind)

    assert len(codes) == len(set(codes))


@pytest.mark.parametrize("kind", KINDS)
def test_load_taxonomy_entries_complete(kind: str) -> None:
    for category in load_taxonomy(kind):
        assert isinstance(category, Category)
        assert re.fullmatch(r"[a-z][a-z0-9_]*", category.code), category.code
        assert category.zh.strip(), category.code
        assert category.en.strip(), category.code
        assert category.description_en.strip(), category.code


@pytest.mark.parametrize("kind", ["violation_types", "outcome_types", "industries"])
def test_other_fallback_has_no_rules(kind: str) -> None:
    other = next(category for category in load_taxonomy(kind) if category.code == "other")

    assert other.keywords == ()
    assert other.patterns == ()


@pytest.mark.parametrize("kind", ["violation_types", "outcome_types", "industries"])
def test_non_fallback_entries_have_rules(kind: str) -> None:
    for category in load_taxonomy(kind):
        if category.code != "other":
            assert category.keywords or category.patterns, category.code


@pytest.mark.parametrize("kind", KINDS)
def test_load_taxonomy_returns_copy(kind: str) -> None:
    first = load_taxonomy(kind)
    first.clear()

    assert load_taxonomy(kind)


@pytest.mark.parametrize(
    ("kind", "code", "lang", "expected"),
    [
        ("violation_types", "excessive_collection", "zh", "超范围收集个人信息"),
        ("violation_types", "excessive_collection", "en", "Excessive collection of personal information"),
        ("outcome_types", "fine", "zh", "罚款"),
        ("outcome_types", "fine", "en", "Fine"),
        ("outcome_types", "interview", "zh", "约谈"),
        ("industries", "banking", "en", "Banking and payments"),
        ("industries", "internet_platforms", "zh", "互联网平台与应用"),
        ("domains", "data_protection", "en", "Data security and personal information"),
        ("domains", "other", "zh", "其他领域"),
        ("violation_types", "no_such_code", "zh", "no_such_code"),
        ("industries", "no_such_code", "en", "no_such_code"),
    ],
)
def test_label_lookup(kind: str, code: str, lang: str, expected: str) -> None:
    assert label(kind, code, lang) == expected


@pytest.mark.parametrize("kind", KINDS)
def test_load_lookups_fields(kind: str) -> None:
    lookups = load_lookups(kind)

    assert set(lookups) == set(all_codes(kind))
    for fields in lookups.values():
        assert set(fields) == set(LOOKUP_FIELDS[kind])


@pytest.mark.parametrize(
    ("kind", "code", "field", "value"),
    [
        ("outcome_types", "public_notice", "notice_kinds", "批次通报"),
        ("outcome_types", "rectification_order", "notice_kinds", "批次通报"),
        ("outcome_types", "app_removal", "notice_kinds", "下架处置"),
        ("outcome_types", "public_notice", "notice_kinds", "app(sdk)通报"),
        ("domains", "data_protection", "regulator_families", "cac"),
        ("domains", "data_protection", "upstream_types", "移动应用与个人信息"),
        ("domains", "other", "regulator_families", "samr"),
        ("industries", "banking", "text_keywords", "信用卡"),
    ],
)
def test_load_lookups_values(kind: str, code: str, field: str, value: str) -> None:
    assert value in load_lookups(kind)[code][field]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("未经⽤户同意收集使⽤个⼈信息", "未经用户同意收集使用个人信息"),
        ("APP（SDK）通报", "app(sdk)通报"),
        ("警告，罚款1712.4万元", "警告,罚款1712.4万元"),
        ("深圳某某科 技\n有限公司", "深圳某某科 技 有限公司"),
        ("  ", ""),
    ],
)
def test_normalize_text_cases(raw: str, expected: str) -> None:
    assert normalize_text(raw) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("警告,罚款16万元", True),
        ("依据该条处十万元以上一百万元以下罚款", False),
        ("依据该条处十万元以上一百万元以下罚款,决定罚款20万元", True),
    ],
)
def test_category_matches_exclude(text: str, expected: bool) -> None:
    fine = next(category for category in load_taxonomy("outcome_types") if category.code == "fine")

    assert fine.matches(normalize_text(text)) is expected


@pytest.mark.parametrize("kind", KINDS)
def test_read_taxonomy_file_real(kind: str) -> None:
    path = Path(__file__).resolve().parents[2] / "etl" / "taxonomy" / f"{kind}.yaml"

    assert [category.code for category in read_taxonomy_file(path, kind)] == all_codes(kind)


@pytest.mark.parametrize(
    ("body", "expected_fragments"),
    [
        (
            "categories:\n" + VALID_ENTRY.format(code="alpha") + VALID_ENTRY.format(code="alpha"),
            ["broken.yaml", "alpha", "duplicate code"],
        ),
        (
            "categories:\n  - code: alpha\n    en: Alpha\n    description_en: An entry.\n",
            ["broken.yaml", "alpha", "'zh'"],
        ),
        (
            "categories:\n  - code: alpha\n    zh: 甲\n    en: ''\n    description_en: An entry.\n",
            ["broken.yaml", "alpha", "'en'"],
        ),
        (
            "categories:\n" + VALID_ENTRY.format(code="alpha") + "    patterns:\n      - '(unclosed'\n",
            ["broken.yaml", "alpha", "'patterns'", "invalid regex"],
        ),
        (
            "categories:\n" + VALID_ENTRY.format(code="alpha") + "    exclude:\n      - '[a-'\n",
            ["broken.yaml", "alpha", "'exclude'", "invalid regex"],
        ),
        (
            "categories:\n" + VALID_ENTRY.format(code="alpha") + "    colour: red\n",
            ["broken.yaml", "alpha", "colour"],
        ),
        (
            "categories:\n" + VALID_ENTRY.format(code="Alpha-Beta"),
            ["broken.yaml", "Alpha-Beta", "snake_case"],
        ),
        (
            "categories:\n" + VALID_ENTRY.format(code="alpha") + "    keywords: 甲乙\n",
            ["broken.yaml", "alpha", "'keywords'", "must be a list"],
        ),
        (
            "categories:\n" + VALID_ENTRY.format(code="alpha"),
            ["broken.yaml", "'other'"],
        ),
        ("categories: [\n", ["broken.yaml", "invalid YAML"]),
        ("- code: other\n", ["broken.yaml", "'categories'"]),
    ],
)
def test_read_taxonomy_file_invalid(tmp_path: Path, body: str, expected_fragments: list[str]) -> None:
    path = write_taxonomy(tmp_path, body)

    with pytest.raises(TaxonomyError) as caught:
        read_taxonomy_file(path, "violation_types")

    for fragment in expected_fragments:
        assert fragment in str(caught.value)


def test_read_taxonomy_file_missing(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="absent.yaml"):
        read_taxonomy_file(tmp_path / "absent.yaml", "domains")


def test_read_taxonomy_file_lookup_field(tmp_path: Path) -> None:
    body = "categories:\n" + VALID_ENTRY.format(code="other") + "    notice_kinds:\n      - 批次通报\n"
    path = write_taxonomy(tmp_path, body)

    assert [category.code for category in read_taxonomy_file(path, "outcome_types")] == ["other"]
    with pytest.raises(TaxonomyError, match="notice_kinds"):
        read_taxonomy_file(path, "violation_types")


def test_load_taxonomy_unknown_kind() -> None:
    with pytest.raises(TaxonomyError, match="sectors"):
        load_taxonomy("sectors")
