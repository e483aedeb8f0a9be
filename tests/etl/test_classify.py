"""Tests of the keyword and regex classifiers (etl.taxonomy.classify).

The tables use bare facts (names, amounts, labels as published) and sentences written
for these tests. The tests marked real_data run the classifiers over the public
records in the raw archive and check the measured coverage rates.
"""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest

from etl.taxonomy import all_codes
from etl.taxonomy.classify import (
    classify_app_problem_labels,
    classify_domain,
    classify_industry,
    classify_outcomes,
    classify_violations,
)

RAW_DIR = Path("/work/shared/data/raw")
APP_DOCS = RAW_DIR / "lawdatify" / "appviol" / "docs.json"
CASES = RAW_DIR / "lawdatify" / "cases" / "cases.json"

# Regulator family of each `org` value in cases.json, for the domain coverage test.
CASE_ORG_FAMILIES = {
    "地方市场监管局": "SAMR",
    "市场监管总局": "SAMR",
    "工业和信息化部": "MIIT",
    "公安部": "MPS",
    "自然资源部": "MNR",
    "最高人民检察院": "SPP",
}


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        (["该App存在超范围收集个人信息的问题。"], ["excessive_collection"]),
        (["App在用户同意隐私政策前就开始收集设备信息。"], ["no_consent"]),
        (["注册页面默认勾选同意隐私政策。"], ["no_consent"]),
        (["未公开收集使用规则"], ["undisclosed_rules"]),
        (["未经用户同意向第三方提供个人信息。"], ["third_party_sharing"]),
        (["该公司未经安全评估向境外提供个人信息。"], ["cross_border_transfer"]),
        (["违反数据安全管理规定"], ["security_failure"]),
        (["未履行网络安全等级保护义务，导致数据泄露。"], ["security_failure"]),
        (["违反信用信息采集、提供、查询及相关管理规定"], ["credit_information"]),
        (["强制、频繁、过度索取权限"], ["forced_permissions"]),
        (["利用弹窗欺骗误导用户下载其他应用。"], ["misleading_users"]),
        (["频繁自启动和关联启动"], ["frequent_self_start"]),
        (["未提供注销用户账号功能。"], ["account_deletion"]),
        (["个性化推荐未提供关闭选项。"], ["targeted_push"]),
        (["犯罪嫌疑人非法获取公民个人信息3万余条并出售牟利。"], ["illegal_data_trading"]),
        (["平台未履行信息内容管理主体责任。"], ["content_security"]),
        (["未经监护人同意收集未成年人个人信息。"], ["no_consent", "minors_protection"]),
        (["在门店使用人脸识别设备采集顾客人脸信息。"], ["biometric_sensitive"]),
        (["当事人侵害消费者个人信息依法得到保护的权利。"], ["consumer_personal_info"]),
        (
            ["1.违反账户管理规定; 5.违反数据安全管理规定; 8.违反信用信息采集、提供、查询及相关管理规定。"],
            ["security_failure", "credit_information"],
        ),
        (["违反个人金融信息保护规定。"], ["security_failure"]),
        (["未按规定履行客户身份识别义务。"], ["other"]),
        (["当事人销售过期食品。"], ["other"]),
        (["企业未按时在企业信用信息公示系统报送年度报告。"], ["other"]),
        (["", "  "], []),
        ([], []),
    ],
)
def test_classify_violations_table(texts: list[str], expected: list[str]) -> None:
    assert classify_violations(texts) == expected


def test_classify_violations_taxonomy_order() -> None:
    codes = classify_violations(["账号注销难", "超范围收集", "账号注销难"])

    assert codes == ["excessive_collection", "account_deletion"]


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        (["超范围收集/违规收集"], ["excessive_collection"]),
        (["强制频繁过度索取权限"], ["forced_permissions"]),
        (["频繁自启动/关联启动"], ["frequent_self_start"]),
        (["信息窗口/弹窗跳转"], ["misleading_users"]),
        (["违规使用个人信息"], ["third_party_sharing"]),
        (["未向用户明示申请的全部隐私权限。2"], ["undisclosed_rules"]),
        (["未经⽤户同意收集使⽤个⼈信息"], ["no_consent"]),
        (["APP在征得用户同意前就开始收集个人信息。3"], ["no_consent"]),
        (["无隐私政策。2"], ["undisclosed_rules"]),
        (["方式和范围等。"], ["undisclosed_rules"]),
        (["Java代码反编译风险等中高危漏洞多处。。"], ["app_vulnerability"]),
        (["投诉举报/权利请求渠道缺失"], ["data_subject_rights"]),
        (["应用分发平台上的APP信息明示不到位"], ["app_store_disclosure"]),
        (["强制自动续费"], ["auto_renewal"]),
        (["未对⽤户身份证号码等敏感数据进⾏加密"], ["security_failure", "biometric_sensitive"]),
        (["定向推送/个性化推荐", "账号注销难"], ["account_deletion", "targeted_push"]),
        (["科技有限公司"], ["other"]),
        (["浙ICP备16034179号-5A"], ["other"]),
        (["科技有限公司", "账号注销难"], ["account_deletion"]),
        ([""], []),
        ([], []),
    ],
)
def test_classify_app_problem_labels_table(labels: list[str], expected: list[str]) -> None:
    assert classify_app_problem_labels(labels) == expected


@pytest.mark.parametrize(
    ("text", "fine", "confiscation", "notice_kind", "expected"),
    [
        ("责令改正，给予警告", None, None, "", ["warning", "rectification_order"]),
        (
            "警告，没收违法所得1.621747万元，罚款1712.4万元",
            Decimal("17124000"),
            Decimal("16217.47"),
            "",
            ["warning", "fine", "confiscation"],
        ),
        ("罚款7万元", Decimal("70000"), None, "", ["fine"]),
        ("", Decimal("50000"), None, "", ["fine"]),
        ("", None, Decimal("444.11"), "", ["confiscation"]),
        ("", None, None, "批次通报", ["rectification_order", "public_notice"]),
        ("", None, None, "下架处置", ["app_removal"]),
        ("", None, None, "整改复核", ["public_notice"]),
        ("", None, None, "App(SDK)通报", ["public_notice"]),
        ("", None, None, "行政处罚决定书", ["other"]),
        ("监管部门约谈了该公司负责人。", None, None, "", ["interview"]),
        ("责令暂停新用户注册。", None, None, "", ["suspension"]),
        ("决定吊销其营业执照。", None, None, "", ["licence_revocation"]),
        ("拟作出处罚：吊销营业执照。", None, None, "行政处罚告知送达公告", ["other"]),
        ("对当事人予以通报批评。", None, None, "", ["public_notice"]),
        ("案件已移送公安机关，涉案人员被刑事拘留。", None, None, "", ["criminal_referral"]),
        ("依据该法可处十万元以上一百万元以下罚款。", None, None, "", ["other"]),
        ("依据该法可处十万元以上一百万元以下罚款，决定罚款20万元。", None, None, "", ["fine"]),
        ("对当事人作出警告、罚款5000元的行政处罚。", None, None, "", ["warning", "fine"]),
        ("对当事人作出警告并罚款5万元的行政处罚。", None, None, "", ["warning", "fine"]),
        ("依据条例处警告或者二千元以下罚款。", None, None, "", ["other"]),
        ("", Decimal("0"), None, "", ["other"]),
        ("", None, None, "", []),
    ],
)
def test_classify_outcomes_table(
    text: str,
    fine: Decimal | None,
    confiscation: Decimal | None,
    notice_kind: str,
    expected: list[str],
) -> None:
    assert classify_outcomes(text, fine, confiscation, notice_kind) == expected


@pytest.mark.parametrize(
    ("party", "text", "default", "expected"),
    [
        ("广发银行股份有限公司", "", "other", "banking"),
        ("蒋某（广发银行股份有限公司资产托管部）", "", "other", "banking"),
        ("某某汽车金融有限公司", "", "other", "banking"),
        ("中国人寿保险股份有限公司某某分公司", "", "other", "insurance"),
        ("某某健康保险股份有限公司", "", "other", "insurance"),
        ("某某证券股份有限公司", "", "other", "securities"),
        ("云南滇中华侨产业园股权投资基金管理有限公司", "", "other", "securities"),
        ("中国移动通信集团某某有限公司", "", "other", "telecom"),
        ("国控**医药连锁有限公司**店", "", "other", "healthcare"),
        ("四川天轶星教育咨询有限公司", "", "internet_platforms", "education"),
        ("新余市第九中学", "", "other", "education"),
        ("某某市教育局", "", "other", "public_sector"),
        ("某某汽车销售服务有限公司", "", "other", "automotive"),
        ("中向荣（青岛）供应链管理有限公司", "", "internet_platforms", "logistics"),
        ("北京某某网络科技有限公司", "", "other", "internet_platforms"),
        ("北京七彩拇指科技有限公 司", "", "internet_platforms", "internet_platforms"),
        ("某某网络科 技有限公司", "", "other", "internet_platforms"),
        ("山东新明辉安全科技有限公司", "", "internet_platforms", "internet_platforms"),
        ("某某电子商务有限公司", "", "other", "ecommerce_retail"),
        ("锡山区东港小吴饭店", "", "other", "food_catering"),
        ("某某餐厅", "", "other", "food_catering"),
        ("某某机械制造有限公司", "", "other", "manufacturing"),
        ("某某市公安局", "", "other", "public_sector"),
        ("某某有限公司", "该公司在信用卡业务中违规查询客户信用报告。", "other", "banking"),
        (None, "该快递公司泄露面单上的收件人信息。", "other", "logistics"),
        ("", "", "internet_platforms", "internet_platforms"),
        (None, "", "other", "other"),
    ],
)
def test_classify_industry_table(party: str | None, text: str, default: str, expected: str) -> None:
    assert classify_industry(party, text, default) == expected


def test_classify_industry_party_wins() -> None:
    text = "该App在用户同意前收集个人信息，并在小程序中重复索取权限。"

    assert classify_industry("某某银行股份有限公司", text, "internet_platforms") == "banking"


@pytest.mark.parametrize(
    ("texts", "violations", "family", "upstream_type", "expected"),
    [
        (["关于侵害用户权益行为的APP通报"], [], "MIIT", "移动应用与个人信息", "data_protection"),
        ([""], [], "CAC", "", "data_protection"),
        ([], [], "MPS", "", "data_protection"),
        (["公安机关侦破一起侵犯公民个人信息案。"], ["illegal_data_trading"], "MPS", "", "data_protection"),
        (["某地公布一批网络餐饮食品安全典型案例。"], ["other"], "MPS", "食品安全", "other"),
        (["当事人销售不符合标准的车用汽油。"], ["other"], "SAMR", "计量与质量", "other"),
        (["当事人未经消费者同意收集消费者个人信息。"], ["consumer_personal_info"], "SAMR", "消费者权益", "data_protection"),
        (["违反账户管理规定; 违反数据安全管理规定"], ["security_failure"], "PBC", "", "data_protection"),
        (["违反信用信息采集、提供、查询及相关管理规定"], ["credit_information"], "PBC", "", "data_protection"),
        (["未按规定履行客户身份识别义务"], ["other"], "PBC", "", "other"),
        (
            ["自然资源部通报违法采矿问题整改情况，没收矿产品。"],
            ["other"],
            "MNR",
            "移动应用与个人信息",
            "other",
        ),
        (
            ["垄断协议涉及数据安全等重点领域时，反垄断执法机构将严格追究个人责任，经营者集中另行审查。"],
            ["other"],
            "SAMR",
            "反垄断",
            "other",
        ),
        (["某地召开工作座谈会。"], [], None, "移动应用与个人信息", "data_protection"),
        (["某地召开工作座谈会。"], [], None, "反垄断", "other"),
        (["某地召开工作座谈会。"], [], None, "", "other"),
        ([], [], None, "", "other"),
    ],
)
def test_classify_domain_table(
    texts: list[str],
    violations: list[str],
    family: str | None,
    upstream_type: str,
    expected: str,
) -> None:
    assert classify_domain(texts, violations, family, upstream_type) == expected


def load_json_or_skip(path: Path) -> dict:
    if not path.exists():
        pytest.skip(f"real archive file {path} is absent; the real_data tests need the raw folder")
    return json.loads(path.read_text(encoding="utf-8"))


def app_rows() -> list[dict]:
    docs = load_json_or_skip(APP_DOCS)["docs"]
    return [row for doc in docs for row in doc.get("entries") or []]


def case_family(org: str) -> str | None:
    if "网信办" in org:
        return "CAC"
    return CASE_ORG_FAMILIES.get(org)


def case_domain(case: dict) -> str:
    texts = [case.get("title", ""), case.get("fact", ""), " ".join(case.get("laws") or [])]
    violations = classify_violations(texts)
    return classify_domain(texts, violations, case_family(case.get("org", "")), case.get("type", ""))


@pytest.mark.real_data
def test_app_labels_real_coverage() -> None:
    label_counts = Counter(label for row in app_rows() for label in row.get("probs") or [])
    total = sum(label_counts.values())

    codes_by_label = {label: classify_app_problem_labels([label]) for label in label_counts}
    mapped = sum(count for label, count in label_counts.items() if codes_by_label[label] != ["other"])
    produced = {code for codes in codes_by_label.values() for code in codes}

    # Measured 2026-12: 99.3% of 6,756 labels; the rest are operator-name fragments and ICP numbers.
    assert total > 6000
    assert mapped / total >= 0.98
    assert produced <= set(all_codes("violation_types"))


@pytest.mark.real_data
def test_app_rows_real_coverage() -> None:
    rows = app_rows()

    mapped = sum(1 for row in rows if set(classify_app_problem_labels(row.get("probs") or [])) - {"other"})

    # Measured 2026-12: 97.8% of 5,791 rows; 116 rows carry no label at all.
    assert mapped / len(rows) >= 0.97


@pytest.mark.real_data
def test_app_notice_kinds_real_outcomes() -> None:
    docs = load_json_or_skip(APP_DOCS)["docs"]

    unmapped = {doc["notice_kind"] for doc in docs if classify_outcomes("", None, None, doc["notice_kind"]) == ["other"]}

    # 行业观点 is a commentary piece, not a notice.
    assert unmapped <= {"行业观点"}


@pytest.mark.real_data
def test_cases_domain_real_app_typed() -> None:
    cases = load_json_or_skip(CASES)["cases"]
    typed = [case for case in cases if case.get("type") == "移动应用与个人信息"]

    share = sum(1 for case in typed if case_domain(case) == "data_protection") / len(typed)

    # Measured 2026-12: 111 of 113; the two others are a mining case and a pyramid-selling case.
    assert len(typed) >= 100
    assert share >= 0.97


@pytest.mark.real_data
def test_cases_domain_real_other_typed() -> None:
    cases = load_json_or_skip(CASES)["cases"]
    others = [case for case in cases if case.get("type") != "移动应用与个人信息"]

    share = sum(1 for case in others if case_domain(case) == "other") / len(others)

    # Measured 2026-12: 583 of 586; the three are CAC, MIIT and SAMR items about apps and personal information.
    assert len(others) >= 500
    assert share >= 0.98


@pytest.mark.real_data
@pytest.mark.parametrize(
    ("title_part", "expected"),
    [
        ("违法采矿问题整改情况", "other"),
        ("查处网络传销典型案例", "other"),
        ("约谈7家涉火车票销售第三方平台", "data_protection"),
    ],
)
def test_cases_domain_real_upstream_mistypes(title_part: str, expected: str) -> None:
    cases = load_json_or_skip(CASES)["cases"]
    matching = [case for case in cases if title_part in case.get("title", "")]

    assert matching, f"no case title contains {title_part}"
    assert case_domain(matching[0]) == expected
