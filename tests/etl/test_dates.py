"""Tests for dates: single values with their precision, and dates found in prose."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
from lxml import html

from etl.normalize.dates import find_dates, parse_date
from tests.realdata import archive_file


@pytest.mark.parametrize(
    ("value", "expected", "precision"),
    [
        ("2026年9月8日", date(2026, 9, 8), "day"),
        ("2026年09月08日", date(2026, 9, 8), "day"),
        ("2026 年 9 月 8 日", date(2026, 9, 8), "day"),
        ("202 6 年 9 月 8 日", date(2026, 9, 8), "day"),
        ("20 26 年 1 1 月 3 0 日", date(2026, 11, 30), "day"),
        ("２０２６年９月８日", date(2026, 9, 8), "day"),
        ("二〇二六年九月八日", date(2026, 9, 8), "day"),
        ("二○二六年九月八日", date(2026, 9, 8), "day"),
        ("二零二六年十二月三十一日", date(2026, 12, 31), "day"),
        ("2026年9月8号", date(2026, 9, 8), "day"),
        ("2026-09-24", date(2026, 9, 24), "day"),
        ("2026/9/24", date(2026, 9, 24), "day"),
        ("2026.09.24", date(2026, 9, 24), "day"),
        ("2026-09-29 18:16:53", date(2026, 9, 29), "day"),
        ("2026-09-24T10:00:00+08:00", date(2026, 9, 24), "day"),
        ("2026-09-23T20:00:00Z", date(2026, 9, 23), "day"),
        ("20260924", date(2026, 9, 24), "day"),
        # 2026-09-23 16:00 UTC is 2026-09-24 00:00 in Beijing.
        (1790179200000, date(2026, 9, 24), "day"),
        ("1790179200000", date(2026, 9, 24), "day"),
        (1790179200, date(2026, 9, 24), "day"),
        ("1790179200", date(2026, 9, 24), "day"),
        ("2026年9月", date(2026, 9, 1), "month"),
        ("2026-09", date(2026, 9, 1), "month"),
        ("2026年", date(2026, 1, 1), "year"),
        ("2026", date(2026, 1, 1), "year"),
        (2026, date(2026, 1, 1), "year"),
        ("发布时间：2026年09月24日", date(2026, 9, 24), "day"),
    ],
)
def test_parse_date_value(value: str | int, expected: date, precision: str) -> None:
    parsed, warnings = parse_date(value)

    assert parsed is not None
    assert parsed.value == expected
    assert parsed.precision == precision
    assert warnings == []


@pytest.mark.parametrize("value", [None, "", "   ", float("nan")])
def test_parse_date_absent(value: str | float | None) -> None:
    assert parse_date(value) == (None, [])


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("2026-02-30", "date_invalid"),
        ("2026年13月1日", "date_invalid"),
        ("1899-01-01", "date_invalid"),
        ("2188年1月1日", "date_invalid"),
        ("近日", "date_unparsed"),
        ("2026年9月8日、2026年9月9日", "date_unparsed"),
        ("12345", "date_unparsed"),
        (True, "date_unparsed"),
    ],
)
def test_parse_date_warning(value: str | bool, kind: str) -> None:
    parsed, warnings = parse_date(value, field="decision_date")

    assert parsed is None
    assert len(warnings) == 1
    assert warnings[0].kind == kind
    assert warnings[0].field == "decision_date"
    assert warnings[0].raw == str(value)


@pytest.mark.parametrize(
    ("value", "hint", "expected", "precision"),
    [
        ("2024-01-01", "year", date(2024, 1, 1), "year"),
        ("2024-05-17", "month", date(2024, 5, 1), "month"),
        ("2024年", "month", date(2024, 1, 1), "year"),
        ("2024-05-17", None, date(2024, 5, 17), "day"),
    ],
)
def test_parse_date_precision_hint(value: str, hint: str | None, expected: date, precision: str) -> None:
    parsed, _ = parse_date(value, precision_hint=hint)

    assert parsed is not None
    assert parsed.value == expected
    assert parsed.precision == precision


def test_find_dates_order() -> None:
    text = "当事人于2026年1月21日至6月30日期间销售，2026年8月立案，二〇二六年九月八日作出决定，2026.9.24公示"
    found = find_dates(text)

    assert [item.value for item in found] == [date(2026, 1, 21), date(2026, 8, 1), date(2026, 9, 8), date(2026, 9, 24)]
    assert [item.precision for item in found] == ["day", "month", "day", "day"]
    assert found[2].raw == "二〇二六年九月八日"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("于 20 21 年 11 月对该协会立案", [date(2021, 11, 1)]),
        ("现予公告。 202 3 年 4 月 7 日", [date(2023, 4, 7)]),
        ("序号 1 2023年5月6日", [date(2023, 5, 6)]),
        ("检验报告编号为JHYPD2019-03-13-01，抽样日期2019-03-10", [date(2019, 3, 10)]),
    ],
)
def test_find_dates_values(text: str, expected: list[date]) -> None:
    assert [item.value for item in find_dates(text)] == expected


@pytest.mark.parametrize(
    "text",
    [
        "公示2018、2019、2020年度的企业年报",
        "GB 4943.22-2019",
        "2026年2月30日",
        "第十二条",
        "报送 202 3 年、 202 4 年企业年度报告",
        "检验报告编号为JHYPD2019-03-13-01",
        "样品编号2019-03-13-01",
        "批号 12 2023 年",
    ],
)
def test_find_dates_none(text: str) -> None:
    assert find_dates(text) == []


@pytest.mark.real_data
def test_real_record_dates_parse() -> None:
    cases = json.loads(archive_file("lawdatify/cases/cases.json").read_text(encoding="utf-8"))["cases"]
    docs = json.loads(archive_file("lawdatify/appviol/docs.json").read_text(encoding="utf-8"))["docs"]
    batches = json.loads(archive_file("lawdatify/appviol/batches.json").read_text(encoding="utf-8"))["batches"]
    values = [record["date"] for record in cases + docs + batches if record.get("date")]
    parsed = [parse_date(value)[0] for value in values]

    # Measured 2026-12-04: 1,413 of 1,413 non-empty dates parse.
    assert len(values) > 1000
    assert sum(item is not None for item in parsed) / len(values) >= 0.99


@pytest.mark.real_data
def test_real_docs_year_precision() -> None:
    docs = json.loads(archive_file("lawdatify/appviol/docs.json").read_text(encoding="utf-8"))["docs"]
    year_only = [doc for doc in docs if doc.get("date_precision") == "year"]
    parsed = [parse_date(doc["date"], precision_hint="year")[0] for doc in year_only]

    assert len(year_only) == 107
    assert all(item is not None and item.precision == "year" for item in parsed)


@pytest.mark.real_data
def test_real_pbc_decision_dates() -> None:
    tree = html.parse(str(archive_file("pages/pbc/pbc_penalty_detail.html")))
    rows = [[cell.text_content().strip() for cell in row.xpath("./td")] for row in tree.xpath("//table//tr")]
    cells = [row[6] for row in rows if len(row) >= 7 and row[0].isdigit()]

    assert len(cells) == 13
    assert {parse_date(cell)[0].value for cell in cells} == {date(2026, 9, 8)}


@pytest.mark.real_data
def test_real_facts_dates_found() -> None:
    cases = json.loads(archive_file("lawdatify/cases/cases.json").read_text(encoding="utf-8"))["cases"]
    facts = [case.get("fact") or "" for case in cases]
    with_day = [fact for fact in facts if re.search(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日", fact)]
    found = [fact for fact in with_day if any(item.precision == "day" for item in find_dates(fact))]

    # Measured 2026-12-04: every excerpt with a written day gives at least one day date.
    assert len(with_day) > 200
    assert len(found) / len(with_day) >= 0.99
