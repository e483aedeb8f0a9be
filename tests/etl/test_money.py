"""Tests for money amounts: single amount strings, penalty texts and upstream amount lists."""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from lxml import html

from etl.normalize.money import (
    extract_penalty_amounts,
    parse_amount,
    sum_listed_amounts,
)
from tests.realdata import archive_file


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5780元", "5780"),
        ("4.9万元", "49000"),
        ("400000元", "400000"),
        ("444.11元", "444.11"),
        ("80.26亿元", "8026000000"),
        ("1.2亿元", "120000000"),
        ("3千元", "3000"),
        ("1,234.5元", "1234.5"),
        ("52,596.50元", "52596.5"),
        ("１２３４元", "1234"),
        ("１．５万元", "15000"),
        ("一百零六万元", "1060000"),
        ("壹佰万元", "1000000"),
        ("贰仟伍佰元", "2500"),
        ("叁仟元整", "3000"),
        ("贰万柒仟柒佰零玖元陆角壹分", "27709.61"),
        ("十万元", "100000"),
        ("两万元", "20000"),
        ("人民币50万元", "500000"),
        ("50万元人民币", "500000"),
        ("罚款人民币50万元", "500000"),
        ("28万余元", "280000"),
        ("50 万 元", "500000"),
        ("5万", "50000"),
        ("1.621747万元", "16217.47"),
        ("￥80000", "80000"),
        ("¥8,000", "8000"),
    ],
)
def test_parse_amount_value(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "罚款人民币若干元",
        "10万元以上50万元以下",
        "5万至50万元",
        "二万元以上二十万元以下",
        "一百万元以下",
        "警告",
        "500000",
        "5万元和6万元",
    ],
)
def test_parse_amount_none(text: str) -> None:
    assert parse_amount(text) is None


# (text, fine in yuan or None, confiscation in yuan or None)
PENALTY_CASES = [
    ("警告，没收违法所得1.621747万元，罚款1712.4万元", "17124000", "16217.47"),
    ("警告，罚款16万元", "160000", None),
    ("罚款3.5万元", "35000", None),
    ("作出罚款8万元、没收违法所得814.5元的行政处罚", "80000", "814.5"),
    ("作出警告、没收违法所得并罚款6.24万元的行政处罚", "62400", None),
    ("依法作出如下行政处罚：1.没收违法所得69元；2.罚款2万元", "20000", "69"),
    ("作出没收违法所得16253.6元并处等额罚款的行政处罚", "16253.6", "16253.6"),
    ("对当事人作出警告，没收违法所得 132 元，并处罚款 50\n,000 元的行政处罚", "50000", "132"),
    ("没收违法所得539889.73元，罚款32000\n0.00元的行政处罚", "320000", "539889.73"),
    ("罚款3000.00元（人民币：叁仟元）", "3000", None),
    ("处 27709 .61 元罚款(人民币贰万柒仟柒佰零玖元陆角壹分)", "27709.61", None),
    ("对两家公司分别处以175万元罚款", "1750000", None),
    ("被责令停止违法行为并各处250万元罚款", "2500000", None),
    ("罚款：274274元", "274274", None),
    ("决定罚款10万元。当事人应当自收到本决定书之日起十五日内缴纳罚款10万元", "100000", None),
    ("1.罚款2万元；2.罚款3万元", "50000", None),
    ("合计罚款12万元，其中1.罚款2万元；2.罚款10万元", "120000", None),
    ("罚款合计12万元", "120000", None),
    ("没收违法所得合计5万元", None, "50000"),
    ("没收其违法所得1000元，罚款2000元", "2000", "1000"),
    ("违法所得为19823.47元。", None, None),
    ("经查，当事人违法所得8097.99元。决定罚款2万元", "20000", None),
    ("违法所得合计5392.95元", None, None),
    ("逾期未清退违法所得28万余元，被依法没收违法所得", None, None),
    ("罚款28万余元", "280000", None),
    ("罚没款合计51.79亿元", None, None),
    ("依据上述规定，处二万元以上二十万元以下罚款", None, None),
    ("警告，责令改正", None, None),
]


@pytest.mark.parametrize(("text", "fine", "confiscation"), PENALTY_CASES)
def test_extract_penalty_fine(text: str, fine: str | None, confiscation: str | None) -> None:
    result = extract_penalty_amounts(text)

    assert result.fine_cny == (Decimal(fine) if fine else None)


@pytest.mark.parametrize(("text", "fine", "confiscation"), PENALTY_CASES)
def test_extract_penalty_confiscation(text: str, fine: str | None, confiscation: str | None) -> None:
    result = extract_penalty_amounts(text)

    assert result.confiscation_cny == (Decimal(confiscation) if confiscation else None)


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [
        ("处二万元以上二十万元以下罚款", "20000", "200000"),
        ("处 5 万元以上 20 万元以下的罚款", "50000", "200000"),
        ("处十万以上五十万元以下罚款", "100000", "500000"),
        ("可处5万至50万元罚款", "50000", "500000"),
        ("可以处一百万元以下的罚款", None, "1000000"),
        ("罚款不超过5万元", None, "50000"),
    ],
)
def test_extract_penalty_range(text: str, low: str | None, high: str | None) -> None:
    result = extract_penalty_amounts(text)
    ranges = [amount for amount in result.amounts if amount.kind == "range"]

    assert len(ranges) == 1
    assert ranges[0].low_cny == (Decimal(low) if low else None)
    assert ranges[0].high_cny == (Decimal(high) if high else None)
    assert result.fine_cny is None


def test_extract_penalty_range_beside_fine() -> None:
    result = extract_penalty_amounts("依法可处十万元以上一百万元以下罚款，决定罚款20万元")

    assert result.fine_cny == Decimal("200000")
    assert [amount.kind for amount in result.amounts] == ["range", "fine"]


def test_extract_penalty_total_kind() -> None:
    result = extract_penalty_amounts("罚没款合计51.79亿元")

    assert result.amounts[0].kind == "total"
    assert result.amounts[0].value_cny == Decimal("5179000000")


@pytest.mark.parametrize(
    ("text", "field_name"),
    [
        ("罚款10万元。罚款20万元", "fine_cny"),
        ("对甲公司罚款10万元，对乙公司罚款20万元", "fine_cny"),
        ("对两家公司分别罚款10万元、20万元", "fine_cny"),
    ],
)
def test_extract_penalty_ambiguous(text: str, field_name: str) -> None:
    result = extract_penalty_amounts(text)
    kinds = [(warning.kind, warning.field) for warning in result.warnings]

    assert result.fine_cny is None
    assert ("amount_ambiguous", field_name) in kinds


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("该公司年报显示资产50元，经核对", "50"),
        ("当事人称其中2万元系借款", "20000"),
    ],
)
def test_extract_penalty_unclassified(text: str, value: str) -> None:
    result = extract_penalty_amounts(text)
    warnings = [warning for warning in result.warnings if warning.kind == "amount_unclassified"]

    assert result.amounts[0].kind == "unknown"
    assert result.amounts[0].value_cny == Decimal(value)
    assert len(warnings) == 1
    assert warnings[0].field == "fine_cny"
    assert value[0] in warnings[0].raw


@pytest.mark.parametrize(
    "text",
    ["货值金额8252元", "销售金额116.39万元", "按1元/度的标准收取电费", "向李行贿20万元"],
)
def test_extract_penalty_not_penalty(text: str) -> None:
    result = extract_penalty_amounts(text)

    assert result.amounts[0].kind == "unknown"
    assert result.warnings == []
    assert result.fine_cny is None


@pytest.mark.parametrize(
    "text",
    ["违法所得为19823.47元", "认定违法所得53313.6元", "违法所得合计5392.95元", "逾期未清退违法所得28万余元"],
)
def test_extract_penalty_finding(text: str) -> None:
    result = extract_penalty_amounts(text)

    assert [amount.kind for amount in result.amounts] == ["unknown"]
    assert result.warnings == []
    assert result.confiscation_cny is None


@pytest.mark.parametrize(
    ("text", "approximate"),
    [("罚款28万余元", True), ("罚款11万多元", True), ("罚款28万元", False)],
)
def test_extract_penalty_approximate(text: str, approximate: bool) -> None:
    result = extract_penalty_amounts(text)

    assert result.amounts[0].approximate is approximate
    assert result.warnings == []


@pytest.mark.parametrize("text", ["罚款人民币若干元", "罚款***元"])
def test_extract_penalty_unparsed(text: str) -> None:
    result = extract_penalty_amounts(text)
    kinds = [warning.kind for warning in result.warnings]

    assert kinds == ["amount_unparsed"]
    assert result.fine_cny is None


def test_sum_listed_amounts_values() -> None:
    values, warnings = sum_listed_amounts(["4.9万元", "5万元", "5780元"])

    assert values == [Decimal("49000"), Decimal("50000"), Decimal("5780")]
    assert warnings == []


def test_sum_listed_amounts_warns() -> None:
    values, warnings = sum_listed_amounts(["4.9万元", "若干元", "10万元以上50万元以下"])

    assert values == [Decimal("49000")]
    assert [warning.raw for warning in warnings] == ["若干元", "10万元以上50万元以下"]
    assert {warning.kind for warning in warnings} == {"amount_unparsed"}


def _lawdatify_records() -> list[dict]:
    cases = json.loads(archive_file("lawdatify/cases/cases.json").read_text(encoding="utf-8"))["cases"]
    lines = archive_file("lawdatify/cases/local_amr.jsonl").read_text(encoding="utf-8").splitlines()
    return cases + [json.loads(line) for line in lines if line.strip()]


@pytest.mark.real_data
def test_real_fines_lists_parse() -> None:
    fines = [value for record in _lawdatify_records() for value in record.get("fines") or []]
    values, warnings = sum_listed_amounts(fines)

    # Measured 2026-12-04: 631 of 631 strings parse.
    assert len(fines) > 600
    assert len(values) / len(fines) >= 0.99


@pytest.mark.real_data
def test_real_pbc_cells_fine() -> None:
    tree = html.parse(str(archive_file("pages/pbc/pbc_penalty_detail.html")))
    rows = [[cell.text_content().strip() for cell in row.xpath("./td")] for row in tree.xpath("//table//tr")]
    cells = [row[4] for row in rows if len(row) >= 7 and row[0].isdigit()]
    results = [extract_penalty_amounts(cell) for cell in cells]

    # The page lists the bank and 12 staff; every 行政处罚内容 cell states a fine.
    assert len(cells) == 13
    assert all(result.fine_cny is not None for result in results)
    assert results[0].fine_cny == Decimal("17124000")
    assert results[0].confiscation_cny == Decimal("16217.47")


@pytest.mark.real_data
def test_real_facts_fine_found() -> None:
    facts = [record.get("fact") or "" for record in _lawdatify_records()]
    with_fine = [fact for fact in facts if re.search(r"罚款[^，。；]{0,6}\d", fact)]
    resolved = 0
    for fact in with_fine:
        result = extract_penalty_amounts(fact)
        ambiguous = any(warning.kind == "amount_ambiguous" for warning in result.warnings)
        resolved += result.fine_cny is not None or ambiguous

    # Measured 2026-12-04: 40 of 42 excerpts that name a fine amount give a fine or an
    # ambiguity warning. The other two are cut off before the unit 元.
    assert len(with_fine) > 30
    assert resolved / len(with_fine) >= 0.9
