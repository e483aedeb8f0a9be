"""Tests for decision numbers (文号): canonical form, search in text, and ranges."""

from __future__ import annotations

import json
import re

import pytest
from lxml import html

from etl.normalize.decision_numbers import (
    decision_number_key,
    expand_decision_number_range,
    find_decision_numbers,
    is_decision_number_range,
    normalize_decision_number,
)
from tests.realdata import archive_file


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("银罚决字〔2026〕104号", "银罚决字〔2026〕104号"),
        ("京网信罚〔2023〕1号", "京网信罚〔2023〕1号"),
        ("泸市监罚〔2024〕37号", "泸市监罚〔2024〕37号"),
        ("粤市监处罚〔2026〕14号", "粤市监处罚〔2026〕14号"),
        ("泸市监罚【2026】4号", "泸市监罚〔2026〕4号"),
        ("黔市监价处[2020]4号", "黔市监价处〔2020〕4号"),
        ("黔市监价处［2020］4号", "黔市监价处〔2020〕4号"),
        ("佛知纠字（2022）第10号案", "佛知纠字〔2022〕10号"),
        ("京网信罚(2023)1号", "京网信罚〔2023〕1号"),
        ("京网信罚 (2023) 1 号", "京网信罚〔2023〕1号"),
        ("黔市监价告〔 2022〕3号", "黔市监价告〔2022〕3号"),
        ("闽市监反垄断字〔 2023 〕005号", "闽市监反垄断字〔2023〕005号"),
        ("京网信罚〔２０２３〕１号", "京网信罚〔2023〕1号"),
        ("〔2026〕第12号", "〔2026〕12号"),
        ("〔2026〕12号", "〔2026〕12号"),
        ("玉明司鉴中心[2026]文鉴字第07号", "玉明司鉴中心〔2026〕文鉴字07号"),
        ("粤市监罚〔2026〕广州办0423号", "粤市监罚〔2026〕广州办0423号"),
        ("东市监处罚〔2024〕Z60306001号", "东市监处罚〔2024〕Z60306001号"),
        ("沪市监反垄 处 〔 2023〕20230140 2 号", "沪市监反垄处〔2023〕202301402号"),
        ("决定书（沪市监反垄 处 〔 2023〕20230140 2 号", "沪市监反垄处〔2023〕202301402号"),
        ("管理局 鲁青市监罚〔2023〕1号", "鲁青市监罚〔2023〕1号"),
        ("揭市监行处字〔2022〕***号，京网信罚〔2023〕1号", "京网信罚〔2023〕1号"),
        ("青黄市监罚送告〔2026〕8020-8044号", "青黄市监罚送告〔2026〕8020-8044号"),
        ("浙市监处罚〔2025〕5—9号", "浙市监处罚〔2025〕5-9号"),
        ("文书送达公告青黄市监罚送告〔2026〕7380-7442号", "青黄市监罚送告〔2026〕7380-7442号"),
        ("理咨询有限公司云市监昆罚告〔2025〕2414号", "云市监昆罚告〔2025〕2414号"),
        ("行政处罚决定书银罚决字〔2026〕104号", "银罚决字〔2026〕104号"),
    ],
)
def test_normalize_decision_number_value(text: str, expected: str) -> None:
    assert normalize_decision_number(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "暂无", "2026年第七批", "京网信罚2023年1号", "网络交易监督管理办法（2025修正）", "揭市监行处字〔2022〕***号"],
)
def test_normalize_decision_number_none(text: str) -> None:
    assert normalize_decision_number(text) is None


def test_find_decision_numbers_masked() -> None:
    # Two masked decisions of one issuer and year would share one id, so neither is a number.
    text = "揭市监行处字〔2022〕***号；揭市监行处字〔2022〕**号；揭市监行处字〔2022〕15号"

    assert find_decision_numbers(text) == ["揭市监行处字〔2022〕15号"]


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("闽市监反垄断字〔2023〕005号", "闽市监反垄断字〔2023〕5号"),
        ("闽市监反垄断字〔2023〕5号", "闽市监反垄断字〔2023〕5号"),
        ("粤市监罚〔2025〕粤北办007号", "粤市监罚〔2025〕粤北办7号"),
        ("云昆市监撤〔2026〕9-001号", "云昆市监撤〔2026〕9-1号"),
        ("京市监垄罚〔2023〕06002-06010号", "京市监垄罚〔2023〕6002-6010号"),
        ("京网信罚〔2020〕10号", "京网信罚〔2020〕10号"),
        ("揭市监行处字〔2022〕***号", None),
        ("暂无", None),
    ],
)
def test_decision_number_key_value(number: str, expected: str | None) -> None:
    assert decision_number_key(number) == expected


def test_decision_number_key_keeps_canonical() -> None:
    # The canonical form keeps the zeros as written; only the matching key drops them.
    assert normalize_decision_number("闽市监反垄断字〔2023〕005号") == "闽市监反垄断字〔2023〕005号"


def test_find_decision_numbers_order() -> None:
    text = "根据京网信罚〔2023〕2号和京网信罚（2023）第1号，撤销京网信罚〔2023〕2号。"

    assert find_decision_numbers(text) == ["京网信罚〔2023〕2号", "京网信罚〔2023〕1号"]


def test_find_decision_numbers_bare_round() -> None:
    # A year in round brackets without an issuer is not taken for a decision number in prose.
    assert find_decision_numbers("见年度报告（2025）第3号附件") == []


def test_expand_range_pbc_title() -> None:
    numbers = expand_decision_number_range("银罚决字〔2026〕104-116号")

    assert len(numbers) == 13
    assert numbers[0] == "银罚决字〔2026〕104号"
    assert numbers[-1] == "银罚决字〔2026〕116号"


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("赣市监反垄断处〔2026〕1-3号", ["赣市监反垄断处〔2026〕1号", "赣市监反垄断处〔2026〕2号", "赣市监反垄断处〔2026〕3号"]),
        ("银罚决字〔2026〕104—106号", ["银罚决字〔2026〕104号", "银罚决字〔2026〕105号", "银罚决字〔2026〕106号"]),
        ("银罚决字〔2026〕104～106号", ["银罚决字〔2026〕104号", "银罚决字〔2026〕105号", "银罚决字〔2026〕106号"]),
        ("银罚决字〔2026〕104至106号", ["银罚决字〔2026〕104号", "银罚决字〔2026〕105号", "银罚决字〔2026〕106号"]),
        ("〔2026〕1、2、3号", ["〔2026〕1号", "〔2026〕2号", "〔2026〕3号"]),
        ("京市监垄罚〔2023〕06002-06004号", ["京市监垄罚〔2023〕06002号", "京市监垄罚〔2023〕06003号", "京市监垄罚〔2023〕06004号"]),
        ("豫市监处罚〔2022〕6—1至3号", ["豫市监处罚〔2022〕6-1号", "豫市监处罚〔2022〕6-2号", "豫市监处罚〔2022〕6-3号"]),
    ],
)
def test_expand_range_items(number: str, expected: list[str]) -> None:
    assert expand_decision_number_range(number) == expected


@pytest.mark.parametrize(
    "number",
    [
        "豫市监处罚〔2021〕2-1号",
        "云昆市监撤〔2026〕9-001号",
        "青黄市监罚〔2026〕1-5000号",
        "云市监昆罚催〔2025〕37-9-2号",
        "银罚决字〔2026〕104号",
        "no number",
    ],
)
def test_expand_range_unchanged(number: str) -> None:
    assert expand_decision_number_range(number) == [number]


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("银罚决字〔2026〕104-116号", True),
        ("青黄市监罚送告〔2026〕8020-8044号", True),
        ("〔2026〕1、2、3号", True),
        ("豫市监处罚〔2022〕6—1至19号", True),
        ("豫市监处罚〔2021〕2-1号", True),
        ("云市监昆罚催〔2025〕37-9-2号", False),
        ("银罚决字〔2026〕104号", False),
        ("", False),
    ],
)
def test_is_decision_number_range(number: str, expected: bool) -> None:
    assert is_decision_number_range(number) is expected


def _lawdatify_records() -> list[dict]:
    cases = json.loads(archive_file("lawdatify/cases/cases.json").read_text(encoding="utf-8"))["cases"]
    lines = archive_file("lawdatify/cases/local_amr.jsonl").read_text(encoding="utf-8").splitlines()
    return cases + [json.loads(line) for line in lines if line.strip()]


@pytest.mark.real_data
def test_real_casenos_normalize() -> None:
    values = [record["caseno"] for record in _lawdatify_records() if record.get("caseno")]
    normalized = [normalize_decision_number(value) for value in values]

    # Measured 2026-12-04: 303 of 303 non-empty caseno values normalize.
    assert len(values) > 250
    assert sum(number is not None for number in normalized) / len(values) >= 0.99


@pytest.mark.real_data
def test_real_titles_numbers_found() -> None:
    bracketed = re.compile(r"[〔\[【（(]\s*\d{4}\s*[〕\]】）)][^号]{0,12}号")
    titles = [record["title"] for record in _lawdatify_records() if bracketed.search(record.get("title", ""))]
    found = [title for title in titles if find_decision_numbers(title)]

    # Measured 2026-12-04: 291 of 291 titles with a bracketed year and 号 give a number.
    assert len(titles) > 250
    assert len(found) / len(titles) >= 0.99


@pytest.mark.real_data
def test_real_pbc_numbers_match_title_range() -> None:
    tree = html.parse(str(archive_file("pages/pbc/pbc_penalty_detail.html")))
    rows = [[cell.text_content().strip() for cell in row.xpath("./td")] for row in tree.xpath("//table//tr")]
    row_numbers = [normalize_decision_number(row[2]) for row in rows if len(row) >= 7 and row[0].isdigit()]
    title_range = find_decision_numbers(tree.findtext(".//title") or "")

    assert len(title_range) == 1
    assert expand_decision_number_range(title_range[0]) == row_numbers
