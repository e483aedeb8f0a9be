"""Tests of the NFRA 行政处罚信息公开表 parser over detail JSON and attachments built here."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any

import pytest

from eintel.raw import ATTACHMENT_CONTENT_TYPE
from etl.models import RawDocument
from etl.sources import parse_document as parse_any
from etl.pipeline import run_etl
from etl.sources.nfra import parse_document

DETAIL_URL = "https://www.nfra.gov.cn/cn/static/data/DocInfo/SelectByDocId/data_docId=1001.json"
CONTEXT = {"item_id": 4113, "item_name": "总局机关", "issuer": "国家金融监督管理总局", "doc_id": "1001",
           "list_title": "列表标题", "list_date": "2026-03-20 10:15:00"}


def row(label: str, value: str, **attributes: str) -> str:
    extra = "".join(f' {name}="{value}"' for name, value in attributes.items())
    return f"<tr><td{extra}>{label}</td><td>{value}</td></tr>"


BANK_TABLE = f"""
<p>国家金融监督管理总局行政处罚信息公开表</p>
<table>
{row("行政处罚决定书文号", "金罚决字〔2026〕3-5号", colspan="2")}
<tr><td rowspan="4">被处罚当事人</td><td>单位名称</td><td>甲银行股份有限公司</td></tr>
<tr><td>法定代表人（主要负责人）姓名</td><td>王小明</td></tr>
<tr><td>个人姓名</td><td>李明（时任甲银行股份有限公司个人金融部总经理）</td></tr>
<tr><td>个人姓名</td><td>张伟（时任甲银行股份有限公司信息科技部副总经理）</td></tr>
{row("主要违法违规事实（案由）", "<p>1.客户个人信息保护管理不到位；</p><p>2.李明、张伟对上述行为负有责任。</p>", colspan="2")}
{row("行政处罚依据", "《中华人民共和国银行业监督管理法》第四十六条、第四十八条", colspan="2")}
{row("行政处罚决定", "对甲银行股份有限公司罚款人民币50万元；对李明给予警告并处罚款人民币5万元；对张伟给予警告。", colspan="2")}
{row("作出处罚决定的机关名称", "国家金融监督管理总局", colspan="2")}
{row("作出处罚决定的日期", "2026年3月12日", colspan="2")}
</table>
"""

# An old CBRC Word export: 单位 and 名称 in two cells, 「—」 in the person field.
WORD_TABLE = """
<table class=MsoNormalTable border=1>
<tr><td colspan=3><p class=MsoNormal><span>行政处罚决定书文号</span></p></td><td><p class=MsoNormal><span>银监罚决字〔2018〕7号</span></p></td></tr>
<tr><td rowspan=3><p class=MsoNormal>被处罚当事人姓名或名称</p></td><td colspan=2><p class=MsoNormal>个人姓名</p></td><td><p class=MsoNormal>—</p></td></tr>
<tr><td rowspan=2><p class=MsoNormal>单位</p></td><td><p class=MsoNormal>名称</p></td><td><p class=MsoNormal>乙信托有限责任公司</p></td></tr>
<tr><td><p class=MsoNormal>法定代表人（主要负责人）姓名</p></td><td><p class=MsoNormal>刘芳</p></td></tr>
<tr><td colspan=3><p class=MsoNormal>主要违法违规事实（案由）</p></td><td><p class=MsoNormal>违规向第三方机构提供客户个人信息</p></td></tr>
<tr><td colspan=3><p class=MsoNormal>行政处罚依据</p></td><td><p class=MsoNormal>《中华人民共和国银行业监督管理法》第四十六条</p></td></tr>
<tr><td colspan=3><p class=MsoNormal>行政处罚决定</p></td><td><p class=MsoNormal>罚款人民币40万元</p></td></tr>
<tr><td colspan=3><p class=MsoNormal>作出处罚决定的机关名称</p></td><td><p class=MsoNormal>中国银行业监督管理委员会</p></td></tr>
<tr><td colspan=3><p class=MsoNormal>作出处罚决定的日期</p></td><td><p class=MsoNormal>2018年5月28日</p></td></tr>
</table>
"""

HORIZONTAL_TABLE = """
<table>
<tr><td colspan="5">行政处罚信息公开表</td></tr>
<tr><td>序号</td><td>当事人名称</td><td>主要违法违规行为</td><td>行政处罚内容</td><td>作出决定机关</td></tr>
<tr><td>1</td><td>丙农村商业银行股份有限公司</td><td>未按规定履行客户身份识别义务</td><td>罚款人民币30万元</td><td>国家金融监督管理总局佛山监管分局</td></tr>
<tr><td>2</td><td>丁村镇银行股份有限公司、戊村镇银行股份有限公司</td><td>泄露客户信息</td><td>分别罚款人民币20万元</td><td>国家金融监督管理总局佛山监管分局</td></tr>
</table>
"""


def detail(clob: str, *, title: str = "国家金融监督管理总局行政处罚信息公开表\n（金罚决字〔2026〕3-5号）",
           context: dict[str, Any] | None = None, fields: dict[str, Any] | None = None) -> RawDocument:
    payload = {"rptCode": 200, "msg": "成功", "data": {
        "docId": 1001, "docTitle": title, "publishDate": "2026-03-20 10:15:00", "docClob": clob, "pdfFileUrl": "",
    }}
    return RawDocument.build(
        source="nfra", url=DETAIL_URL, content=json.dumps(payload, ensure_ascii=False),
        content_type="application/json", fetched_at=datetime(2026, 3, 21, tzinfo=timezone.utc),
        meta={"kind": "detail", "context": context if context is not None else CONTEXT, "fields": fields or {}},
    )


def attachment(tables: list[list[list[str]]], *, parent_table_rows: int = 0, error: str = "") -> RawDocument:
    content = {"format": "pdf", "text": "", "tables": tables, "needs_ocr": False, "error": error}
    context = {**CONTEXT, "parent_url": DETAIL_URL, "parent_title": "国家金融监督管理总局行政处罚信息公开表",
               "parent_date": "2026-04-08 16:00:00", "parent_table_rows": parent_table_rows}
    return RawDocument.build(
        source="nfra", url="https://www.nfra.gov.cn/cn/static/data/DocInfo/pdf/1003.pdf",
        content=json.dumps(content, ensure_ascii=False), content_type=ATTACHMENT_CONTENT_TYPE,
        fetched_at=datetime(2026, 4, 9, tzinfo=timezone.utc), meta={"kind": "attachment", "context": context},
    )


def test_vertical_one_draft_per_party() -> None:
    drafts = parse_document(detail(BANK_TABLE))

    assert [draft.party_raw for draft in drafts] == [
        "甲银行股份有限公司",
        "李明（时任甲银行股份有限公司个人金融部总经理）",
        "张伟（时任甲银行股份有限公司信息科技部副总经理）",
    ]
    assert [draft.party_type_hint for draft in drafts] == ["company", "individual", "individual"]
    assert [draft.record_key for draft in drafts] == ["decision-party-1", "decision-party-2", "decision-party-3"]


def test_vertical_range_number_per_party() -> None:
    drafts = parse_document(detail(BANK_TABLE))

    assert [draft.decision_number_raw for draft in drafts] == [
        "金罚决字〔2026〕3号", "金罚决字〔2026〕4号", "金罚决字〔2026〕5号",
    ]


def test_vertical_penalty_per_party() -> None:
    drafts = parse_document(detail(BANK_TABLE))

    assert [draft.penalty_raw for draft in drafts] == [
        "对甲银行股份有限公司罚款人民币50万元",
        "对李明给予警告并处罚款人民币5万元",
        "对张伟给予警告",
    ]
    assert all("penalty_shared" not in draft.extra for draft in drafts)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("regulator_raw", "国家金融监督管理总局"),
        ("decision_date_raw", "2026年3月12日"),
        ("publish_date_raw", "2026-03-20 10:15:00"),
        ("title", "国家金融监督管理总局行政处罚信息公开表 （金罚决字〔2026〕3-5号）"),
        ("legal_basis_raw", ["《中华人民共和国银行业监督管理法》第四十六条、第四十八条"]),
        ("violation_raw", ["客户个人信息保护管理不到位"]),
        ("source_url", DETAIL_URL),
    ],
)
def test_vertical_shared_fields(field: str, expected: object) -> None:
    drafts = parse_document(detail(BANK_TABLE))

    assert getattr(drafts[1], field) == expected


def test_vertical_legal_representative_extra() -> None:
    drafts = parse_document(detail(BANK_TABLE))

    assert drafts[0].extra["legal_representative"] == "王小明"
    assert "legal_representative" not in drafts[1].extra
    assert drafts[0].extra["layout"] == "vertical"
    assert drafts[0].extra["parties_in_decision"] == 3
    assert drafts[0].extra["doc_id"] == "1001"
    assert drafts[0].extra["liability_note"] == "李明、张伟对上述行为负有责任"


def test_vertical_text_own_penalty_only() -> None:
    bank, person, _ = parse_document(detail(BANK_TABLE))

    assert "行政处罚决定：对甲银行股份有限公司罚款人民币50万元" in bank.text
    assert "5万元" not in bank.text
    assert "50万元" not in person.text


def test_vertical_staff_named_for_masking() -> None:
    bank, person, _ = parse_document(detail(BANK_TABLE))

    assert bank.extra["persons_named"] == ["李明", "张伟"]
    assert "李明、张伟对上述行为负有责任" in person.text


def test_pipeline_masks_staff_in_bank_case() -> None:
    cases = run_etl([detail(BANK_TABLE)]).cases
    bank = next(case for case in cases if case.party_type != "individual")

    assert "李某、张某对上述行为负有责任" in bank.text
    assert all("李明" not in case.text and "张伟" not in case.text for case in cases)


def test_word_export_placeholder_skipped() -> None:
    [draft] = parse_document(detail(WORD_TABLE, title="中国银监会行政处罚信息公开表"))

    assert draft.party_raw == "乙信托有限责任公司"
    assert draft.party_type_hint == "company"
    assert draft.decision_number_raw == "银监罚决字〔2018〕7号"
    assert draft.penalty_raw == "罚款人民币40万元"
    assert draft.regulator_raw == "中国银行业监督管理委员会"
    assert draft.decision_date_raw == "2018年5月28日"
    assert draft.extra["legal_representative"] == "刘芳"


def test_horizontal_rows_and_joint_parties() -> None:
    drafts = parse_document(detail(HORIZONTAL_TABLE, context={**CONTEXT, "issuer": ""}))

    assert [(draft.record_key, draft.party_raw) for draft in drafts] == [
        ("row-1", "丙农村商业银行股份有限公司"),
        ("row-2-party-1", "丁村镇银行股份有限公司"),
        ("row-2-party-2", "戊村镇银行股份有限公司"),
    ]
    assert drafts[0].penalty_raw == "罚款人民币30万元"
    assert drafts[0].regulator_raw == "国家金融监督管理总局佛山监管分局"
    assert drafts[0].violation_raw == ["未按规定履行客户身份识别义务"]
    assert drafts[0].extra["layout"] == "horizontal"
    assert drafts[0].extra["row_number"] == "1"


def test_horizontal_joint_row_flagged_shared() -> None:
    drafts = parse_document(detail(HORIZONTAL_TABLE))

    assert drafts[1].penalty_raw == "分别罚款人民币20万元"
    assert drafts[1].extra["penalty_shared"] is True
    assert drafts[2].extra["penalty_shared"] is True


def test_number_lines_naming_parties() -> None:
    table = f"""<table>
    {row("行政处罚决定书文号", "李明：金罚决字〔2026〕8号<br>甲银行股份有限公司：金罚决字〔2026〕7号")}
    <tr><td rowspan="2">被处罚当事人</td><td>单位名称</td><td>甲银行股份有限公司</td></tr>
    <tr><td>个人姓名</td><td>李明</td></tr>
    {row("行政处罚决定", "对甲银行股份有限公司罚款人民币50万元；对李明给予警告")}
    </table>"""

    drafts = parse_document(detail(table))

    assert [draft.decision_number_raw for draft in drafts] == ["金罚决字〔2026〕7号", "金罚决字〔2026〕8号"]


def test_issuer_fills_missing_regulator() -> None:
    table = f"""<table>
    {row("行政处罚决定书文号", "金罚决字〔2026〕11号")}
    <tr><td>被处罚当事人</td><td>单位名称</td><td>己保险代理有限公司</td></tr>
    {row("行政处罚决定", "罚款人民币10万元")}
    </table>"""

    [draft] = parse_document(detail(table))

    assert draft.regulator_raw == "国家金融监督管理总局"
    assert draft.decision_number_raw == "金罚决字〔2026〕11号"


def test_invalid_json_returns_empty(caplog: pytest.LogCaptureFixture) -> None:
    doc = detail(BANK_TABLE).model_copy(update={"content": '{"rptCode": 200, "data": {"docClob": "<table>'})

    with caplog.at_level(logging.WARNING, logger="etl.sources.nfra"):
        assert parse_document(doc) == []
    assert "not valid JSON" in caplog.text


def test_missing_data_returns_empty() -> None:
    doc = detail(BANK_TABLE).model_copy(update={"content": '{"rptCode": 200, "data": null}'})

    assert parse_document(doc) == []


def test_no_table_warns(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="etl.sources.nfra"):
        assert parse_document(detail("<p>行政处罚信息公开表见附件。</p>")) == []
    assert "no 行政处罚信息公开表" in caplog.text


def test_no_table_with_attachment_quiet(caplog: pytest.LogCaptureFixture) -> None:
    doc = detail("<p>见附件。</p>", fields={"attachments": ["https://www.nfra.gov.cn/a.pdf"]})

    with caplog.at_level(logging.WARNING, logger="etl.sources.nfra"):
        assert parse_document(doc) == []
    assert caplog.text == ""


ATTACHMENT_TABLE = [
    ["序号", "当事人名称", "行政处罚决定书文号", "主要违法违规行为", "行政处罚内容", "作出决定机关", "作出决定日期"],
    ["1", "丙财产保险股份有限公司", "金罚决字〔2026〕9号", "未经客户同意向第三方提供投保人个人信息",
     "罚款人民币30万元", "国家金融监督管理总局", "2026年4月2日"],
    ["2", "王芳（时任丙财产保险股份有限公司电话销售中心负责人）", "金罚决字〔2026〕10号", "对上述行为负有直接责任",
     "警告，并处罚款人民币3万元", "国家金融监督管理总局", "2026年4月2日"],
]


def test_attachment_rows_parsed() -> None:
    drafts = parse_document(attachment([ATTACHMENT_TABLE]))

    assert [draft.party_raw for draft in drafts] == [
        "丙财产保险股份有限公司", "王芳（时任丙财产保险股份有限公司电话销售中心负责人）",
    ]
    assert [draft.decision_number_raw for draft in drafts] == ["金罚决字〔2026〕9号", "金罚决字〔2026〕10号"]
    assert drafts[1].penalty_raw == "警告，并处罚款人民币3万元"
    assert drafts[1].decision_date_raw == "2026年4月2日"
    assert drafts[0].title == "国家金融监督管理总局行政处罚信息公开表"
    assert drafts[0].publish_date_raw == "2026-04-08 16:00:00"
    assert drafts[0].extra["attachment_format"] == "pdf"
    assert drafts[0].extra["parent_url"] == DETAIL_URL


def test_attachment_repeating_page_skipped() -> None:
    assert parse_document(attachment([ATTACHMENT_TABLE], parent_table_rows=9)) == []


def test_attachment_error_skipped(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="etl.sources.nfra"):
        assert parse_document(attachment([], error="PDF is encrypted")) == []
    assert "PDF is encrypted" in caplog.text


def test_registry_dispatches_nfra() -> None:
    drafts = parse_any(detail(BANK_TABLE))

    assert len(drafts) == 3
