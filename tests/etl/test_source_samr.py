"""Parser of SAMR and local market-regulator decisions: 公开表 tables, decision texts, bundles."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from eintel.raw import ATTACHMENT_CONTENT_TYPE
from etl.models import RawDocument
from etl.pipeline import normalize_draft
from etl.sources import parse_document
from etl.sources.samr import (
    bundle_numbers,
    decided_penalty,
    field_of_label,
    signature_date,
    signature_regulator,
)

FETCHED = datetime(2026, 12, 1, tzinfo=UTC)
PAGE_URL = "https://scjgj.example.gov.cn/zwgk/xzcf/art/2026/art_d4f6b8d0f2b4d6f8b0d2f4b6d8f0b2d4.html"
CONTEXT = {"site": "local", "issuer": "青岛市黄岛区市场监督管理局", "province": "山东省", "list_date": "2026-05-12"}

LABEL_VALUE_TABLE = """<html><head><meta name="ArticleTitle" content="行政处罚信息公开表"></head><body>
<table>
<tr><td>行政处罚决定书文号</td><td colspan="3">青黄市监罚〔2026〕1234号</td></tr>
<tr><td>行政相对人名称</td><td>青岛海润网络科技有限公司</td><td>统一社会信用代码</td><td>91370211MA3C******</td></tr>
<tr><td>法定代表人</td><td>李明</td><td>住所</td><td>青岛市黄岛区***</td></tr>
<tr><td>违法行为类型</td><td colspan="3">侵害消费者个人信息</td></tr>
<tr><td>处罚依据</td><td colspan="3">《中华人民共和国消费者权益保护法》第五十六条第一款第（九）项</td></tr>
<tr><td>处罚内容</td><td colspan="3">警告</td></tr>
<tr><td>罚款金额（万元）</td><td>5</td><td>没收违法所得、没收非法财物的金额（万元）</td><td>1.2</td></tr>
<tr><td>处罚机关</td><td>青岛市黄岛区市场监督管理局</td><td>处罚决定日期</td><td>2026年5月8日</td></tr>
</table></body></html>"""

ROW_TABLE = """<html><body><h1>行政处罚信息公示</h1><table>
<tr><th>序号</th><th>行政处罚决定书文号</th><th>当事人名称</th><th>违法行为类型</th><th>处罚内容</th><th>处罚日期</th></tr>
<tr><td>1</td><td>杭市监罚处〔2026〕58号</td><td>杭州星河网络科技有限公司</td><td>侵害消费者个人信息</td><td>罚款人民币3万元</td><td>2026-03-02</td></tr>
<tr><td>2</td><td>杭市监罚处〔2026〕59号</td><td>杭州明月食品有限公司</td><td>销售过期食品</td><td>警告</td><td>2026-03-04</td></tr>
</table></body></html>"""

DECISION_TEXT = """<html><head><meta name="ArticleTitle" content="行政处罚决定书（青黄市监罚〔2026〕1518号）"></head><body>
<p>行政处罚决定书</p><p>青黄市监罚〔2026〕1518号</p>
<p>当事人：***网络科技有限公司</p><p>统一社会信用代码：***</p>
<p>经查，当事人未经消费者同意收集消费者个人信息。</p>
<p>依据《中华人民共和国消费者权益保护法》第五十六条第一款第（九）项的规定，本局决定：</p>
<p>1.责令当事人改正违法行为；2.罚款人民币叁万元。</p>
<p>当事人应当自收到本行政处罚决定书之日起十五日内缴纳罚款。</p>
<p>青岛市黄岛区市场监督管理局</p><p>2026年4月18日</p></body></html>"""

BUNDLE_TEMPLATE = """<html><head><meta name="ArticleTitle" content="行政处罚决定书送达公告（青黄市监罚送告〔2026〕8020-8022号）">
</head><body><p>因下列当事人下落不明，本局决定公告送达。</p>{table}</body></html>"""
BUNDLE_TABLE = """<table><tr><td>序号</td><td>当事人名称</td><td>统一社会信用代码</td><td>违法行为</td><td>处罚内容</td></tr>
<tr><td>1</td><td>青岛蓝湾贸易有限公司</td><td>9137***1</td><td>未按规定公示年度报告</td><td>罚款人民币2000元</td></tr>
<tr><td>2</td><td>青岛东港物流有限公司</td><td>9137***2</td><td>擅自改变登记住所</td><td>罚款人民币5000元</td></tr>
{extra_row}</table>"""
THIRD_ROW = "<tr><td>3</td><td>青岛启航电子商务有限公司</td><td>9137***3</td><td>未明码标价</td><td>警告</td></tr>"


def page_document(html: str, fields: dict | None = None) -> RawDocument:
    return RawDocument.build(source="samr", url=PAGE_URL, content=html, content_type="text/html", fetched_at=FETCHED,
                             meta={"kind": "detail", "context": CONTEXT, "fields": fields or {}})


def attachment_document(extracted: dict | str) -> RawDocument:
    context = {**CONTEXT, "issuer": "国家市场监督管理总局", "province": "",
               "parent_url": "https://www.samr.gov.cn/fldes/tzgg/xzcf/art/2026/art_a1c3e5a7c9e1a3c5e7a9c1e3a5c7e9a1.html",
               "parent_title": "国家市场监督管理总局行政处罚决定书（国市监处罚〔2026〕5号）", "parent_date": "2026-07-14"}
    content = extracted if isinstance(extracted, str) else json.dumps(extracted, ensure_ascii=False)
    return RawDocument.build(source="samr", url="https://www.samr.gov.cn/cms_files/gsjcf-2026-5.docx", content=content,
                             content_type=ATTACHMENT_CONTENT_TYPE, fetched_at=FETCHED,
                             meta={"kind": "attachment", "context": context, "fields": {}})


# 行政处罚信息公开表 -----------------------------------------------------------------------


def test_label_value_table_draft():
    drafts = parse_document(page_document(LABEL_VALUE_TABLE))
    assert len(drafts) == 1
    draft = drafts[0]
    assert draft.party_raw == "青岛海润网络科技有限公司"
    assert draft.decision_number_raw == "青黄市监罚〔2026〕1234号"
    assert draft.regulator_raw == "青岛市黄岛区市场监督管理局"
    assert draft.decision_date_raw == "2026年5月8日"
    assert draft.violation_raw == ["侵害消费者个人信息"]
    assert draft.legal_basis_raw == ["《中华人民共和国消费者权益保护法》第五十六条第一款第（九）项"]
    assert draft.party_type_hint == "company"
    assert draft.extra["layout"] == "label-value"
    assert draft.extra["party_id_masked"] is True


def test_table_amount_columns_in_penalty():
    case = normalize_draft(parse_document(page_document(LABEL_VALUE_TABLE))[0])
    assert case.fine_cny == 50000
    assert case.confiscation_cny == 12000
    assert "warning" in case.outcome_types
    assert "consumer_personal_info" in case.violation_types


def test_table_text_leaves_out_persons():
    draft = parse_document(page_document(LABEL_VALUE_TABLE))[0]
    assert "李明" not in draft.text
    assert "91370211MA3C" not in draft.text
    assert "违法行为类型：侵害消费者个人信息" in draft.text


def test_row_table_one_draft_per_row():
    drafts = parse_document(page_document(ROW_TABLE))
    assert [draft.party_raw for draft in drafts] == ["杭州星河网络科技有限公司", "杭州明月食品有限公司"]
    assert [draft.decision_number_raw for draft in drafts] == ["杭市监罚处〔2026〕58号", "杭市监罚处〔2026〕59号"]
    assert drafts[0].decision_date_raw == "2026-03-02"
    assert drafts[0].penalty_raw == "罚款人民币3万元"
    assert drafts[0].regulator_raw == "青岛市黄岛区市场监督管理局"
    assert drafts[0].extra["layout"] == "table-row"


# Decision texts -----------------------------------------------------------------------


def test_masked_decision_text():
    drafts = parse_document(page_document(DECISION_TEXT))
    assert len(drafts) == 1
    draft = drafts[0]
    assert draft.party_raw == "***网络科技有限公司"
    assert draft.extra["party_masked"] is True
    assert draft.decision_number_raw == "青黄市监罚〔2026〕1518号"
    assert draft.decision_date_raw == "2026年4月18日"
    assert draft.regulator_raw == "青岛市黄岛区市场监督管理局"
    assert draft.penalty_raw == "1.责令当事人改正违法行为；2.罚款人民币叁万元。"
    assert draft.publish_date_raw == "2026-05-12"


def test_masked_decision_normalized():
    case = normalize_draft(parse_document(page_document(DECISION_TEXT))[0])
    assert case.fine_cny == 30000
    assert case.province == "山东省"
    assert "rectification_order" in case.outcome_types


def test_masked_number_kept_raw():
    html = DECISION_TEXT.replace("青黄市监罚〔2026〕1518号", "青黄市监罚〔2026〕***号")
    draft = parse_document(page_document(html))[0]
    assert draft.decision_number_raw == "青黄市监罚〔2026〕***号"
    case = normalize_draft(draft)
    assert case.decision_number is None
    assert "decision_number_masked" in [warning.kind for warning in case.parse_warnings]


def test_attachment_page_gives_nothing():
    html = "<html><body><h1>国家市场监督管理总局行政处罚决定书（国市监处罚〔2026〕5号）</h1><p>全文见附件。</p></body></html>"
    assert parse_document(page_document(html, fields={"attachments": ["https://www.samr.gov.cn/a.docx"]})) == []


def test_page_without_decision_gives_nothing():
    html = "<html><body><h1>市场监管总局召开专题会议</h1><p>会议强调，要加强执法。</p></body></html>"
    assert parse_document(page_document(html)) == []


def test_docx_attachment_decision():
    text = ("国家市场监督管理总局\n行政处罚决定书\n国市监处罚〔2026〕5号\n当事人：北京数联信息服务有限公司\n"
            "经查，当事人未经消费者同意向第三方提供消费者个人信息。\n本局决定如下：\n一、没收违法所得12.6万元；\n"
            "二、罚款人民币50万元。\n当事人应当自收到本决定书之日起十五日内缴纳罚没款。\n国家市场监督管理总局\n2026年7月10日")
    extracted = {"format": "docx", "text": text, "tables": [], "needs_ocr": False, "error": ""}
    drafts = parse_document(attachment_document(extracted))
    assert len(drafts) == 1
    draft = drafts[0]
    assert draft.party_raw == "北京数联信息服务有限公司"
    assert draft.decision_number_raw == "国市监处罚〔2026〕5号"
    assert draft.publish_date_raw == "2026-07-14"
    assert draft.extra["parent_url"].endswith("art_a1c3e5a7c9e1a3c5e7a9c1e3a5c7e9a1.html")
    case = normalize_draft(draft)
    assert case.fine_cny == 500000
    assert case.confiscation_cny == 126000


def test_attachment_error_gives_nothing():
    extracted = {"format": "doc", "text": "", "tables": [], "needs_ocr": False, "error": "DOC is damaged."}
    assert parse_document(attachment_document(extracted)) == []


def test_attachment_invalid_json_gives_nothing():
    assert parse_document(attachment_document("[1, 2")) == []


# Bundles ------------------------------------------------------------------------------


def test_bundle_rows_paired_with_range():
    html = BUNDLE_TEMPLATE.format(table=BUNDLE_TABLE.format(extra_row=THIRD_ROW))
    drafts = parse_document(page_document(html))
    assert [draft.decision_number_raw for draft in drafts] == [
        "青黄市监罚送告〔2026〕8020号", "青黄市监罚送告〔2026〕8021号", "青黄市监罚送告〔2026〕8022号"]
    assert [draft.party_raw for draft in drafts] == ["青岛蓝湾贸易有限公司", "青岛东港物流有限公司", "青岛启航电子商务有限公司"]
    assert drafts[0].extra["bundle"] == "青黄市监罚送告〔2026〕8020号…青黄市监罚送告〔2026〕8022号"


def test_bundle_count_mismatch_unassigned():
    html = BUNDLE_TEMPLATE.format(table=BUNDLE_TABLE.format(extra_row=""))
    drafts = parse_document(page_document(html))
    assert [draft.decision_number_raw for draft in drafts] == ["", ""]
    assert len(drafts[0].extra["bundle_numbers"]) == 3


def test_bundle_without_parties():
    drafts = parse_document(page_document(BUNDLE_TEMPLATE.format(table="")))
    assert [draft.decision_number_raw for draft in drafts] == [
        "青黄市监罚送告〔2026〕8020号", "青黄市监罚送告〔2026〕8021号", "青黄市监罚送告〔2026〕8022号"]
    assert all(draft.party_raw == "" for draft in drafts)
    assert len({draft.record_key for draft in drafts}) == 3


# Helpers ------------------------------------------------------------------------------


def test_bundle_numbers_of_title():
    assert len(bundle_numbers("送达公告（青黄市监罚送告〔2026〕8020-8044号）")) == 25
    assert bundle_numbers("行政处罚决定书（青黄市监罚〔2026〕1518号）") == []


def test_field_of_label():
    assert field_of_label("罚款金额（万元）") == "fine_wan"
    assert field_of_label("罚款金额") == "fine"
    assert field_of_label("作出处罚决定的日期") == "decision_date"
    assert field_of_label("被处罚当事人名称") == "party"
    assert field_of_label("青岛海润网络科技有限公司") is None


def test_decided_penalty_bounds():
    text = "依据上述规定，本局决定如下：罚款人民币1万元。如不服本决定，可申请行政复议。"
    assert decided_penalty(text) == "罚款人民币1万元。"
    assert decided_penalty("没有决定部分的文字") == ""


def test_signature_of_decision():
    text = "……当事人应当缴纳罚款。\n广州市天河区市场监督管理局\n2026 年 3 月 9 日"
    assert signature_regulator(text) == "广州市天河区市场监督管理局"
    assert signature_date(text) == "2026年3月9日"


def test_roundup_one_draft_per_case():
    html = """<html><head><meta name="ArticleTitle" content="市场监管总局曝光3起侵害消费者个人信息典型案例"></head><body>
    <p>近日，市场监管总局公布一批侵害消费者个人信息典型案例。</p>
    <p>一、上海市市场监管局查处上海星辰网络科技有限公司侵害消费者个人信息案。当事人未经消费者同意收集个人信息，被罚款人民币20万元。</p>
    <p>二、浙江省市场监管局查处杭州云途信息技术有限公司侵害消费者个人信息案。当事人向第三方提供消费者个人信息，被罚款人民币15万元。</p>
    <p>三、广东省市场监管局查处深圳明视科技有限公司侵害消费者个人信息案。当事人泄露消费者个人信息，被警告并罚款人民币8万元。</p>
    </body></html>"""
    drafts = parse_document(page_document(html))
    assert [draft.party_raw for draft in drafts] == ["上海星辰网络科技有限公司", "杭州云途信息技术有限公司", "深圳明视科技有限公司"]
    assert [draft.record_key for draft in drafts] == ["case-1", "case-2", "case-3"]
    assert drafts[1].regulator_raw == "浙江省市场监管局"
    assert drafts[0].extra["layout"] == "roundup"
    assert normalize_draft(drafts[2]).fine_cny == 80000
