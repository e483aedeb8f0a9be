"""Tests of the PBC 行政处罚公示 table parser over tables written here and the saved real page."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from eintel.raw import ATTACHMENT_CONTENT_TYPE
from eintel.settings import get_settings
from etl.models import RawDocument
from etl.sources import parse_document
from etl.sources.pbc import (
    AttachmentUnreadableError,
    StubPageError,
    TableShapeError,
    is_javascript_stub,
    page_info,
    parse_penalty_table,
    split_violations,
)

# EINTEL_ARCHIVE, default ../shared/data/raw relative to the repository root.
ARCHIVE = get_settings().archive_path
REAL_PAGE = ARCHIVE / "pages" / "pbc" / "pbc_penalty_detail.html"

PAGE_URL = "http://www.pbc.gov.cn/zhengwugongkai/4081330/4081344/4081407/4081705/1/index.html"

HEADER_ROW = """
<tr>
  <td><p>序号</p></td><td><p>当事人名称</p></td><td><p>行政处罚<br> 决定书文号</p></td>
  <td><p>违法行为类型</p></td><td><p>行政处罚内容</p></td><td><p>作出行政处罚<br>决定机关名称</p></td>
  <td><p>作出行政处罚<br>&nbsp;决定日期</p></td><td><p>公示期限</p></td><td><p>备注</p></td>
</tr>
"""

# Two parties sharing the agency, date and period cells through rowspan, as branch pages do.
ROWSPAN_TABLE = f"""
<html><head><title>甲银罚决字〔2026〕1-2号</title>
<meta name="createDate" content="2026-09-24 18:29:48"></head><body>
<table><tbody>
<tr><td colspan="9">行政处罚信息公示表</td></tr>
{HEADER_ROW}
<tr>
  <td>1</td><td>甲银行股份有限公司</td><td>甲银罚决字〔2026〕1号</td>
  <td><p>1.违反账户管理规定;</p><p>2.违反数据安全管理规定；</p></td>
  <td>警告，罚款20万元</td>
  <td rowspan="2">中国人民银行甲分行</td><td rowspan="2">2026年9月8日</td><td rowspan="2">五年</td><td></td>
</tr>
<tr>
  <td>2</td><td>张某（甲银行股份有限公司）</td><td>甲银罚决字〔2026〕2号</td>
  <td><p>对甲银行股份有限公司以下违法违规行为负有责任：</p><p>违反账户管理规定。</p></td>
  <td>罚款2万元</td><td></td>
</tr>
</tbody></table></body></html>
"""

COLSPAN_TABLE = f"""
<table>
{HEADER_ROW}
<tr>
  <td>1</td><td>乙支付有限公司</td><td>乙银罚决字〔2026〕3号</td><td>违反清算管理规定</td>
  <td>罚款5万元</td><td>中国人民银行乙分行</td><td>2026年8月1日</td><td colspan="2">五年</td>
</tr>
</table>
"""


def make_page(html: str, url: str = PAGE_URL) -> RawDocument:
    return RawDocument.build(
        source="pbc",
        url=url,
        content=html,
        content_type="text/html",
        fetched_at=datetime(2026, 9, 25, tzinfo=timezone.utc),
    )


def test_table_rowspan_copied() -> None:
    rows = parse_penalty_table(ROWSPAN_TABLE)

    assert len(rows) == 2
    assert rows[1]["作出行政处罚决定机关名称"] == "中国人民银行甲分行"
    assert rows[1]["作出行政处罚决定日期"] == "2026年9月8日"
    assert rows[1]["公示期限"] == "五年"
    assert rows[1]["备注"] == ""


def test_table_colspan_copied() -> None:
    [row] = parse_penalty_table(COLSPAN_TABLE)

    assert row["公示期限"] == "五年"
    assert row["备注"] == "五年"


def test_table_paragraphs_joined() -> None:
    rows = parse_penalty_table(ROWSPAN_TABLE)

    assert rows[0]["违法行为类型"] == "1.违反账户管理规定;\n2.违反数据安全管理规定；"


def test_table_header_keys() -> None:
    [row] = parse_penalty_table(COLSPAN_TABLE)

    assert list(row) == [
        "序号",
        "当事人名称",
        "行政处罚决定书文号",
        "违法行为类型",
        "行政处罚内容",
        "作出行政处罚决定机关名称",
        "作出行政处罚决定日期",
        "公示期限",
        "备注",
    ]


def test_table_missing_header_raises() -> None:
    html = COLSPAN_TABLE.replace("违法行为类型", "违法事实")

    with pytest.raises(TableShapeError) as error:
        parse_penalty_table(html, url=PAGE_URL)

    assert PAGE_URL in str(error.value)
    assert "违法行为类型" in str(error.value)


@pytest.mark.parametrize("html", ["", "<html><body><p>无表格</p></body></html>"])
def test_table_absent_raises(html: str) -> None:
    with pytest.raises(TableShapeError):
        parse_penalty_table(html)


def test_table_picks_matching_table() -> None:
    layout = "<table><tr><td>导航</td><td>首页</td></tr></table>"

    rows = parse_penalty_table(f"<html><body>{layout}{COLSPAN_TABLE}</body></html>")

    assert [row["当事人名称"] for row in rows] == ["乙支付有限公司"]


@pytest.mark.parametrize(
    ("html", "stub"),
    [
        ("<html><body><script>window.location=atob('x')</script>请开启JavaScript并刷新该页</body></html>", True),
        (ROWSPAN_TABLE, False),
        ("", False),
    ],
)
def test_is_javascript_stub_cases(html: str, stub: bool) -> None:
    assert is_javascript_stub(html) is stub


def test_document_stub_raises() -> None:
    with pytest.raises(StubPageError) as error:
        parse_document(make_page("<html><body>请开启JavaScript并刷新该页</body></html>"))

    assert PAGE_URL in str(error.value)


@pytest.mark.parametrize(
    ("cell", "items", "note"),
    [
        ("1.违反账户管理规定;\n2.违反数据安全管理规定；", ["违反账户管理规定", "违反数据安全管理规定"], ""),
        ("1.违反金融统计管理规定;2.违反清算管理规定;", ["违反金融统计管理规定", "违反清算管理规定"], ""),
        ("违反信用信息采集、提供、查询及相关管理规定", ["违反信用信息采集、提供、查询及相关管理规定"], ""),
        (
            "对甲银行股份有限公司以下违法违规行为负有责任：\n违反账户管理规定。",
            ["违反账户管理规定"],
            "对甲银行股份有限公司以下违法违规行为负有责任",
        ),
        ("10.未按规定报送大额交易报告。", ["未按规定报送大额交易报告"], ""),
        ("", [], ""),
    ],
)
def test_split_violations_cases(cell: str, items: list[str], note: str) -> None:
    assert split_violations(cell) == (items, note)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("party_raw", "张某（甲银行股份有限公司）"),
        ("decision_number_raw", "甲银罚决字〔2026〕2号"),
        ("regulator_raw", "中国人民银行甲分行"),
        ("decision_date_raw", "2026年9月8日"),
        ("publish_date_raw", "2026-09-24 18:29:48"),
        ("penalty_raw", "罚款2万元"),
        ("title", "甲银罚决字〔2026〕1-2号"),
        ("record_key", "2"),
        ("violation_raw", ["违反账户管理规定"]),
    ],
)
def test_document_row_fields(field: str, expected: object) -> None:
    drafts = parse_document(make_page(ROWSPAN_TABLE))

    assert getattr(drafts[1], field) == expected


def test_document_liability_note() -> None:
    drafts = parse_document(make_page(ROWSPAN_TABLE))

    assert drafts[1].extra["liability_note"] == "对甲银行股份有限公司以下违法违规行为负有责任"
    assert "liability_note" not in drafts[0].extra


def test_document_duplicate_row_numbers() -> None:
    html = ROWSPAN_TABLE.replace("<td>2</td>", "<td>1</td>")

    drafts = parse_document(make_page(html))

    assert [draft.record_key for draft in drafts] == ["1", "2"]


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<meta name="ArticleTitle" content="银罚决字〔2026〕1号"><meta name="PubDate" content="2026-09-24">', ("银罚决字〔2026〕1号", "2026-09-24")),
        ("<title> 银罚决字〔2026〕2号 </title>", ("银罚决字〔2026〕2号", "")),
    ],
)
def test_page_info_cases(head: str, expected: tuple[str, str]) -> None:
    info = page_info(f"<html><head>{head}</head><body></body></html>")

    assert (info["title"], info["publish_date"]) == expected


def test_page_info_body_date() -> None:
    info = page_info("<html><body><p class='top'>发布时间：2026年09月24日 </p></body></html>")

    assert info["publish_date"] == "2026年09月24日"


# The saved real page (read-only archive; never copied into the repository).


@pytest.fixture(scope="module")
def real_drafts():
    if not REAL_PAGE.is_file():
        pytest.skip(f"saved PBC page {REAL_PAGE} not found; set EINTEL_ARCHIVE to the real public records")

    from scrapers.importers import import_archive

    page = next(doc for doc in import_archive(ARCHIVE).documents if doc.source == "pbc")
    return parse_document(page)


@pytest.mark.real_data
def test_real_page_thirteen_rows(real_drafts) -> None:
    assert len(real_drafts) == 13


@pytest.mark.real_data
def test_real_page_decision_numbers(real_drafts) -> None:
    expected = [f"银罚决字〔2026〕{number}号" for number in range(104, 117)]

    assert [draft.decision_number_raw for draft in real_drafts] == expected


@pytest.mark.real_data
def test_real_page_first_party(real_drafts) -> None:
    assert real_drafts[0].party_raw == "广发银行股份有限公司"


@pytest.mark.real_data
def test_real_page_first_violations(real_drafts) -> None:
    violations = real_drafts[0].violation_raw

    assert len(violations) == 10
    assert "违反数据安全管理规定" in violations


@pytest.mark.real_data
@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("title", "银罚决字〔2026〕104-116号"),
        ("publish_date_raw", "2026-09-24 18:29:48"),
        ("regulator_raw", "中国人民银行"),
        ("decision_date_raw", "2026年9月8日"),
    ],
)
def test_real_page_shared_fields(real_drafts, field: str, expected: str) -> None:
    assert {getattr(draft, field) for draft in real_drafts} == {expected}


@pytest.mark.real_data
def test_real_page_staff_notes(real_drafts) -> None:
    notes = [draft.extra.get("liability_note", "") for draft in real_drafts[1:]]

    assert all("负有责任" in note for note in notes)


def attachment_document(payload: dict) -> RawDocument:
    return RawDocument.build(
        source="pbc",
        url="http://www.pbc.gov.cn/attachments/2026-08.xlsx",
        content=json.dumps(payload, ensure_ascii=False),
        content_type=ATTACHMENT_CONTENT_TYPE,
        fetched_at=datetime(2026, 12, 1, tzinfo=timezone.utc),
        meta={"kind": "attachment", "context": {"parent_title": "行政处罚信息公示表（2026年8月）", "list_date": "2026-08-15"}},
    )


def test_attachment_rows_become_drafts():
    table = [
        ["序号", "当事人名称", "行政处罚决定书文号", "违法行为类型", "行政处罚内容", "作出行政处罚决定机关名称", "作出行政处罚决定日期"],
        ["1", "示例银行股份有限公司某某支行", "银罚决字〔2026〕95号", "违反反洗钱管理规定", "罚款20万元", "中国人民银行", "2026年8月10日"],
    ]
    drafts = parse_document(attachment_document({"format": "xlsx", "text": "", "tables": [table], "needs_ocr": False, "error": ""}))
    assert len(drafts) == 1
    assert drafts[0].party_raw == "示例银行股份有限公司某某支行"
    assert drafts[0].decision_number_raw == "银罚决字〔2026〕95号"
    assert drafts[0].penalty_raw == "罚款20万元"
    assert drafts[0].title == "行政处罚信息公示表（2026年8月）"
    assert drafts[0].publish_date_raw == "2026-08-15"


def test_image_attachment_unreadable():
    document = attachment_document({"format": "image", "text": "", "tables": [], "needs_ocr": True, "error": ""})
    with pytest.raises(AttachmentUnreadableError, match="needs OCR"):
        parse_document(document)


def test_page_with_attachments_gives_no_drafts():
    document = RawDocument.build(
        source="pbc", url=PAGE_URL, content="<html><body><p>附件：公示表.xlsx</p></body></html>",
        content_type="text/html", fetched_at=datetime(2026, 12, 1, tzinfo=timezone.utc),
        meta={"kind": "detail", "fields": {"attachments": ["http://www.pbc.gov.cn/a.xlsx"]}},
    )
    assert parse_document(document) == []
