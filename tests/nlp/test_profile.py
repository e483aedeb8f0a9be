"""Risk profiles read from YAML: the example file, label normalization and every error kind."""

from __future__ import annotations

from pathlib import Path

import pytest

from etl.taxonomy import load_taxonomy
from nlp.profile import (
    EXAMPLE_FILE,
    ProfileError,
    data_categories,
    data_category,
    load_profile,
    mechanism_term,
    parse_profile,
    transfer_mechanisms,
)

MINIMAL = """
company: 示例科技有限公司
industry: internet_platforms
practices:
  - statement: App 首次启动即读取设备 IMEI。
"""


def _error(text: str) -> ProfileError:
    with pytest.raises(ProfileError) as caught:
        parse_profile(text, source="test.yaml")
    return caught.value


def test_example_loads() -> None:
    profile = load_profile(EXAMPLE_FILE)

    assert profile.company == "示例出行科技有限公司"
    assert profile.industry == "internet_platforms"
    assert profile.provinces == ["广东省", "上海市"]
    assert [practice.id for practice in profile.practices] == ["P1", "P2", "P3", "P4", "P5", "P6"]
    assert [transfer.mechanism for transfer in profile.cross_border_transfers] == ["none", "standard_contract"]
    assert len(profile.controls_in_place) == 3


def test_example_practices_have_statements() -> None:
    profile = load_profile(EXAMPLE_FILE)

    assert all(len(practice.statement) > 20 for practice in profile.practices)


def test_single_practice_mapping_numbered() -> None:
    profile = parse_profile("company: 测试公司\nindustry: education\npractices:\n  statement: App首次启动时索要通讯录权限\n")

    assert [practice.id for practice in profile.practices] == ["P1"]
    assert profile.practices[0].statement == "App首次启动时索要通讯录权限"


def test_minimal_profile_defaults() -> None:
    profile = parse_profile(MINIMAL)

    assert profile.provinces == []
    assert profile.cross_border_transfers == []
    assert profile.practices[0].id == "P1"
    assert profile.practices[0].data_categories == []


@pytest.mark.parametrize("value", ["互联网平台与应用", "Internet platforms and apps", "INTERNET_PLATFORMS"])
def test_industry_label_becomes_code(value: str) -> None:
    profile = parse_profile(MINIMAL.replace("internet_platforms", value))

    assert profile.industry == "internet_platforms"


@pytest.mark.parametrize(("value", "expected"), [("广东", "广东省"), ("广东省", "广东省"), ("Guangdong", "广东省"),
                                                 ("shanghai", "上海市"), ("新疆", "新疆维吾尔自治区")])
def test_province_normalized(value: str, expected: str) -> None:
    profile = parse_profile(MINIMAL + f"provinces: [{value}]\n")

    assert profile.provinces == [expected]


def test_provinces_deduplicated() -> None:
    profile = parse_profile(MINIMAL + "provinces: [广东, 广东省, Guangdong, 上海]\n")

    assert profile.provinces == ["广东省", "上海市"]


def test_single_province_as_text() -> None:
    profile = parse_profile(MINIMAL + "provinces: 浙江\n")

    assert profile.provinces == ["浙江省"]


@pytest.mark.parametrize("value", ["biometric", "生物识别信息", "Biometric information"])
def test_data_category_label_becomes_code(value: str) -> None:
    profile = parse_profile(MINIMAL + f"data_categories: [{value}]\n")

    assert profile.data_categories == ["biometric"]


@pytest.mark.parametrize(("value", "expected"), [("标准合同", None), ("个人信息出境标准合同", "standard_contract"),
                                                 ("Security assessment", "security_assessment"), ("无", "none")])
def test_mechanism_label_becomes_code(value: str, expected: str | None) -> None:
    text = MINIMAL + f"cross_border_transfers:\n  - destination: 新加坡\n    mechanism: {value}\n"

    if expected is None:
        assert _error(text).issues[0].kind == "unknown_mechanism"
    else:
        assert parse_profile(text).cross_border_transfers[0].mechanism == expected


def test_all_data_categories_union() -> None:
    profile = load_profile(EXAMPLE_FILE)

    codes = profile.all_data_categories()

    assert codes[:5] == ["contact_details", "device_identifiers", "precise_location", "biometric", "financial_accounts"]
    assert "contacts_list" in codes
    assert "browsing_history" in codes
    assert len(codes) == len(set(codes))


def test_practice_lookup_by_id() -> None:
    profile = load_profile(EXAMPLE_FILE)

    assert profile.practice("P3").data_categories == ["biometric"]
    with pytest.raises(KeyError):
        profile.practice("P99")


# Every kind of error: (YAML text, field path, issue kind, text the message must contain).
ERROR_CASES = [
    pytest.param(MINIMAL.replace("internet_platforms", "ecommerce"), "industry", "unknown_industry",
                 "'ecommerce' is not a known industry code; use one of: public_sector", id="unknown-industry"),
    pytest.param(MINIMAL + "provinces: [Canton]\n", "provinces[0]", "unknown_province", "'Canton'", id="unknown-province"),
    pytest.param(MINIMAL + "provinces: [广东, 深圳]\n", "provinces[1]", "city_not_province", "广东省", id="city"),
    pytest.param(MINIMAL + "data_categories: [biometric, dna]\n", "data_categories[1]", "unknown_data_category",
                 "'dna' is not a known data category; use one of: biometric", id="unknown-category"),
    pytest.param(MINIMAL.replace("  - statement: App 首次启动即读取设备 IMEI。", "  - statement: a\n  - tags: [x]"),
                 "practices[1].statement", "missing", "describe the practice", id="missing-statement"),
    pytest.param(MINIMAL.replace("App 首次启动即读取设备 IMEI。", "''"), "practices[0].statement", "empty",
                 "is empty", id="empty-statement"),
    pytest.param(MINIMAL.replace("App 首次启动即读取设备 IMEI。", ""), "practices[0].statement", "empty",
                 "is empty", id="blank-statement"),
    pytest.param(MINIMAL.replace("  - statement: App 首次启动即读取设备 IMEI。", "  []").replace("practices:\n", "practices:"),
                 "practices", "empty", "at least one practice", id="no-practices"),
    pytest.param("industry: banking\npractices:\n  - statement: a\n", "company", "missing", "company's name",
                 id="missing-company"),
    pytest.param(MINIMAL.replace("示例科技有限公司", "[a, b]"), "company", "string_type", "must be text", id="company-list"),
    pytest.param(MINIMAL + "practise: []\n", "practise", "extra_forbidden",
                 "'practise' is not a field here; the fields are: company, industry", id="unknown-field"),
    pytest.param(MINIMAL.replace("  - statement:", "  - note: x\n    statement:"), "practices[0].note",
                 "extra_forbidden", "the fields are: id, statement, data_categories, tags", id="unknown-practice-field"),
    pytest.param(MINIMAL + "cross_border_transfers:\n  - destination: 美国\n    mechanism: contract\n",
                 "cross_border_transfers[0].mechanism", "unknown_mechanism",
                 "'contract' is not a known transfer mechanism; use one of: standard_contract", id="unknown-mechanism"),
    pytest.param(MINIMAL + "cross_border_transfers:\n  - destination: 美国\n", "cross_border_transfers[0].mechanism",
                 "missing", "standard_contract, certification, security_assessment, none", id="missing-mechanism"),
    pytest.param(MINIMAL + "cross_border_transfers:\n  - destination: 美国\n    mechanism:\n",
                 "cross_border_transfers[0].mechanism", "missing_mechanism", "is empty", id="empty-mechanism"),
    pytest.param(MINIMAL + "cross_border_transfers:\n  - mechanism: none\n", "cross_border_transfers[0].destination",
                 "missing", "country or region", id="missing-destination"),
    pytest.param(MINIMAL.replace("  - statement:", "  - tags: 5\n    statement:"), "practices[0].tags", "list_type",
                 "must be a list", id="tags-number"),
    pytest.param(MINIMAL.replace("  - statement: App 首次启动即读取设备 IMEI。", "  - 读取 IMEI"), "practices[0]",
                 "model_type", "must be a mapping with the fields id, statement", id="practice-as-text"),
    pytest.param(MINIMAL + "  - id: P1\n    statement: b\n", "practices[1].id", "duplicate_practice_id",
                 "'P1' is used by an earlier practice", id="duplicate-id"),
]


@pytest.mark.parametrize(("text", "path", "kind", "fragment"), ERROR_CASES)
def test_profile_error(text: str, path: str, kind: str, fragment: str) -> None:
    error = _error(text)
    issue = error.issues[0]

    assert issue.path == path
    assert issue.kind == kind
    assert fragment in issue.message
    assert str(error).startswith(f"test.yaml: {path}: ")


def test_error_lists_every_issue() -> None:
    text = "company: x\nindustry: ecommerce\nprovinces: [Canton]\npractices:\n  - statement: ''\n"

    error = _error(text)

    assert [issue.path for issue in error.issues] == ["industry", "provinces[0]", "practices[0].statement"]
    assert "3 problems" in str(error)


def test_invalid_yaml_names_line() -> None:
    error = _error("company: x\nindustry: [banking\npractices: []\n")

    assert error.issues[0].kind == "invalid_yaml"
    assert "line 3" in error.issues[0].message


def test_empty_text_rejected() -> None:
    error = _error("# nothing yet\n")

    assert error.issues[0].kind == "empty"
    assert "examples/profile.example.yaml" in error.issues[0].message


def test_list_document_rejected() -> None:
    error = _error("- company: x\n")

    assert error.issues[0].kind == "not_a_mapping"
    assert "got list" in error.issues[0].message


def test_missing_file_rejected(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as caught:
        load_profile(tmp_path / "absent.yaml")

    assert caught.value.issues[0].kind == "file_not_found"
    assert "absent.yaml" in str(caught.value)


def test_non_utf8_file_rejected(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes(MINIMAL.encode("gbk"))

    with pytest.raises(ProfileError) as caught:
        load_profile(path)

    assert caught.value.issues[0].kind == "not_utf8"
    assert "save it as UTF-8" in str(caught.value)


def test_long_value_cut_in_message() -> None:
    error = _error(MINIMAL.replace("internet_platforms", "x" * 200))

    assert "..." in error.issues[0].message
    assert "x" * 100 not in error.issues[0].message


def test_data_categories_have_labels() -> None:
    incomplete = [term.code for term in data_categories() if not (term.zh and term.en and term.note_zh and term.note_en)]

    assert incomplete == []


def test_sensitive_categories_of_pipl() -> None:
    sensitive = {term.code for term in data_categories() if term.sensitive}

    assert sensitive == {"biometric", "religious_beliefs", "specific_identity", "health", "financial_accounts",
                         "precise_location", "minors"}


def test_labels_unique_across_vocabularies() -> None:
    for terms in (data_categories(), transfer_mechanisms()):
        zh = [term.zh for term in terms]
        en = [term.en.lower() for term in terms]
        assert len(zh) == len(set(zh))
        assert len(en) == len(set(en))


def test_zh_labels_of_terms() -> None:
    assert data_category("minors").label("zh") == "不满十四周岁未成年人的个人信息"
    assert data_category("device_identifiers").label("en") == "Device identifiers"
    assert mechanism_term("security_assessment").label("zh") == "数据出境安全评估"


def test_industry_labels_do_not_clash() -> None:
    categories = load_taxonomy("industries")
    keys = [category.zh for category in categories] + [category.en.lower() for category in categories]

    assert len(keys) == len(set(keys))
