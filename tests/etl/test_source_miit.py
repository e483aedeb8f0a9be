"""Parser of MIIT and provincial 通信管理局 app notices: tables, attachments, batches."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from eintel.raw import ATTACHMENT_CONTENT_TYPE
from etl.models import RawDocument
from etl.pipeline import normalize_draft
from etl.sources import parse_document
from etl.sources.miit import (
    declared_count,
    header_columns,
    join_lines,
    notice_kind,
    parse_batch,
    split_problems,
)

FETCHED = datetime(2026, 12, 1, tzinfo=UTC)
NOTICE_URL = "https://gdca.miit.gov.cn/zwgk/tzgg/art/2026/art_5d7f9b1c3e4a6c8e0a2c4e6a8c0e2a65.html"
CONTEXT = {"site": "gdca", "issuer": "广东省通信管理局", "province": "广东省", "list_title": "", "list_date": ""}

TABLE_PAGE = """<html><head>
<meta name="ArticleTitle" content="广东省通信管理局关于侵害用户权益行为的APP通报（2026年第3批，总第21批）">
<meta name="PubDate" content="2026-06-08 17:20"></head><body>
<div class="article-content">
<p>依据《中华人民共和国个人信息保护法》等法律法规，我局对3款APP进行了检测，现将有关情况通报如下。</p>
<p>上述APP应于2026年6月20日前完成整改。逾期不整改的，我局将依法依规开展下架等处置工作。</p>
<table>
<tr><td>序号</td><td>应用名称</td><td>应用开发者</td><td>应用版本</td><td>应用来源</td><td>所涉问题</td></tr>
<tr><td colspan="6">一、未完成整改的APP</td></tr>
<tr><td>1</td><td>快看天气</td><td rowspan="2"><p>广州晴朗网络科技</p><p>有限公司</p></td><td>3.2.1</td>
    <td>小米应用商店</td><td>超范围收集个人信息</td></tr>
<tr><td>2</td><td>晴朗日历</td><td>1.0.5</td><td>华为应用市场</td><td>1.强制、频繁、过度索取权限；2.APP频繁自启动和关联启动</td></tr>
<tr><td>序号</td><td>应用名称</td><td>应用开发者</td><td>应用版本</td><td>应用来源</td><td>所涉问题</td></tr>
<tr><td>3</td><td>悦读小说</td><td>深圳书香信息技术有限公司</td><td>5.0.0</td><td>应用宝</td>
    <td><p>违规收集个人信息</p><p>欺骗误导强迫用户</p></td></tr>
</table></div></body></html>"""


def page_document(html: str, url: str = NOTICE_URL, fields: dict | None = None, context: dict | None = None) -> RawDocument:
    meta = {"kind": "detail", "context": context if context is not None else CONTEXT, "fields": fields or {}}
    return RawDocument.build(source="miit", url=url, content=html, content_type="text/html",
                             fetched_at=FETCHED, meta=meta)


def attachment_document(extracted: dict | str, url: str = "https://www.miit.gov.cn/cms_files/a/list.pdf") -> RawDocument:
    context = {
        "site": "miit", "issuer": "工业和信息化部", "province": "",
        "parent_url": "https://www.miit.gov.cn/jgsj/xgj/gzdt/art/2026/art_1f3a5c7e9b2d4f6a8c0e2b4d6f8a0c21.html",
        "parent_title": "工业和信息化部关于侵害用户权益行为的APP（SDK）通报（2026年第2批，总第52批）",
        "parent_date": "2026-05-20",
        "parent_text": "依据《中华人民共和国个人信息保护法》，现予通报。上述APP应在5个工作日内完成整改。",
    }
    content = extracted if isinstance(extracted, str) else json.dumps(extracted, ensure_ascii=False)
    return RawDocument.build(source="miit", url=url, content=content, content_type=ATTACHMENT_CONTENT_TYPE,
                             fetched_at=FETCHED, meta={"kind": "attachment", "context": context, "fields": {}})


def extracted_tables(*tables: list[list[str]], error: str = "", fmt: str = "pdf") -> dict:
    return {"format": fmt, "text": "", "tables": list(tables), "needs_ocr": False, "error": error}


# Notice pages -------------------------------------------------------------------------


def test_table_page_one_draft_per_app():
    drafts = parse_document(page_document(TABLE_PAGE))
    assert [draft.extra["app"] for draft in drafts] == ["快看天气", "晴朗日历", "悦读小说"]
    assert [draft.party_raw for draft in drafts] == ["广州晴朗网络科技有限公司", "广州晴朗网络科技有限公司", "深圳书香信息技术有限公司"]
    assert len({draft.record_key for draft in drafts}) == 3


def test_table_page_row_fields():
    draft = parse_document(page_document(TABLE_PAGE))[1]
    assert draft.violation_raw == ["强制、频繁、过度索取权限", "APP频繁自启动和关联启动"]
    assert draft.extra["version"] == "1.0.5"
    assert draft.extra["store"] == "华为应用市场"
    assert draft.extra["row_number"] == "2"
    assert draft.party_type_hint == "company"
    assert draft.regulator_raw == "广东省通信管理局"
    assert draft.province_hint == "广东省"
    assert draft.publish_date_raw == "2026-06-08 17:20"


def test_table_page_notice_facts():
    draft = parse_document(page_document(TABLE_PAGE))[0]
    assert draft.title == "广东省通信管理局关于侵害用户权益行为的APP通报（2026年第3批，总第21批）"
    assert draft.extra["notice_kind"] == "批次通报"
    assert draft.extra["batch"] == {"year": 2026, "year_batch": 3, "batch_total": 21}
    assert draft.extra["app_rows"] == 3
    assert draft.extra["carrier"] == "html-table"
    assert draft.legal_basis_raw == ["《中华人民共和国个人信息保护法》"]


def test_threat_not_penalty():
    draft = parse_document(page_document(TABLE_PAGE))[0]
    assert "完成整改" in draft.penalty_raw
    assert "下架" not in draft.penalty_raw


def test_multiline_problems_split():
    draft = parse_document(page_document(TABLE_PAGE))[2]
    assert draft.violation_raw == ["违规收集个人信息", "欺骗误导强迫用户"]


def test_attachment_notice_gives_nothing():
    html = "<html><body><h1>关于侵害用户权益行为的APP通报</h1><p>附件：名单</p></body></html>"
    fields = {"attachments": ["https://www.miit.gov.cn/cms_files/a/list.xlsx"], "carrier": "attachment"}
    assert parse_document(page_document(html, fields=fields)) == []


def test_image_notice_one_notice_draft():
    html = ("<html><body><h1>关于侵害用户权益行为的APP通报（2020年第七批）</h1>"
            "<p>现予以公开通报。</p><p><img src='/a/list.png'></p></body></html>")
    url = "https://www.miit.gov.cn/jgsj/xgj/gzdt/art/2020/art_4c6e8a0b2d3f5b7d9f1b3d5f7b9d1f54.html"
    fields = {"attachments": [], "images": ["https://www.miit.gov.cn/a/list.png"], "carrier": "image"}
    drafts = parse_document(page_document(html, url=url, fields=fields, context={"issuer": "工业和信息化部"}))
    assert len(drafts) == 1
    assert drafts[0].record_key == "notice"
    assert drafts[0].party_raw == ""
    assert drafts[0].extra["images"] == ["https://www.miit.gov.cn/a/list.png"]
    assert drafts[0].extra["carrier"] == "image"
    assert drafts[0].extra["batch"] == {"year": 2020, "year_batch": 7}


def test_undated_notice_takes_url_year():
    html = "<html><body><h1>关于侵害用户权益行为的APP通报</h1><p>现予通报。</p></body></html>"
    draft = parse_document(page_document(html))[0]
    assert draft.publish_date_raw == "2026"
    assert draft.extra["date_precision"] == "year"
    case = normalize_draft(draft)
    assert case.publish_date_precision == "year"
    assert case.publish_date.year == 2026


def test_empty_page_gives_nothing():
    assert parse_document(page_document("   ")) == []


def test_draft_normalizes_to_case():
    case = normalize_draft(parse_document(page_document(TABLE_PAGE))[1])
    assert case.app_name == "晴朗日历"
    assert case.party_name == "广州晴朗网络科技有限公司"
    assert case.province == "广东省"
    assert "forced_permissions" in case.violation_types
    assert "frequent_self_start" in case.violation_types
    assert "rectification_order" in case.outcome_types
    assert "app_removal" not in case.outcome_types


# Attachments --------------------------------------------------------------------------


def test_attachment_rows_with_parent_facts():
    table = [["序号", "APP名称", "开发者", "所涉问题"],
             ["1", "快乐找工", "武汉快乐人力资源服务有限公司", "超范围收集个人信息。2"],
             ["2", "邻里团购", "长沙邻里电子商务有限公司", "欺骗误导强迫用户"]]
    drafts = parse_document(attachment_document(extracted_tables(table)))
    assert [draft.party_raw for draft in drafts] == ["武汉快乐人力资源服务有限公司", "长沙邻里电子商务有限公司"]
    assert drafts[0].violation_raw == ["超范围收集个人信息"]
    assert drafts[0].title == "工业和信息化部关于侵害用户权益行为的APP（SDK）通报（2026年第2批，总第52批）"
    assert drafts[0].publish_date_raw == "2026-05-20"
    assert drafts[0].regulator_raw == "工业和信息化部"
    assert drafts[0].extra["parent_url"].endswith("art_1f3a5c7e9b2d4f6a8c0e2b4d6f8a0c21.html")
    assert drafts[0].extra["carrier"] == "pdf"
    assert drafts[0].legal_basis_raw == ["《中华人民共和国个人信息保护法》"]


def test_attachment_table_continues_over_page():
    first = [["序号", "应用名称", "运营者", "所涉问题"], ["1", "掌上停车", "南京易停智能科技\n有限公司", "未公开收集使用规则"]]
    second = [["2", "学霸题库", "西安学霸教育科技有限公司", "APP频繁自启动和关联启动"]]
    drafts = parse_document(attachment_document(extracted_tables(first, second)))
    assert [draft.extra["app"] for draft in drafts] == ["掌上停车", "学霸题库"]
    assert drafts[0].party_raw == "南京易停智能科技有限公司"


def test_attachment_unrelated_table_ignored():
    table = [["序号", "检测机构", "联系电话"], ["1", "某检测中心", "010-12345678"]]
    assert parse_document(attachment_document(extracted_tables(table))) == []


def test_attachment_error_gives_nothing():
    extracted = extracted_tables(error="PDF is damaged (PSEOF: Unexpected EOF). The attachment stays in the archive.")
    assert parse_document(attachment_document(extracted)) == []


def test_attachment_invalid_json_gives_nothing():
    assert parse_document(attachment_document("{not json")) == []


def test_image_attachment_without_table():
    extracted = {"format": "image", "text": "", "tables": [], "needs_ocr": True, "error": ""}
    assert parse_document(attachment_document(extracted, url="https://www.miit.gov.cn/a/list.png")) == []


# Helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize(("title", "batch"), [
    ("关于侵害用户权益行为的APP通报（2020年第七批）", {"year": 2020, "year_batch": 7}),
    ("关于侵害用户权益行为的APP（SDK）通报（2021年第3批，总第12批）", {"year": 2021, "year_batch": 3, "batch_total": 12}),
    ("四川省通信管理局关于侵害用户权益APP的通报（第二批）", {"year_batch": 2}),
    ("河北省通信管理局关于下架侵害用户权益APP名单的通报（2026年第一季度）", {"year": 2026, "quarter": 1}),
    ("关于侵害用户权益行为的APP通报", {}),
])
def test_parse_batch(title, batch):
    assert parse_batch(title) == batch


@pytest.mark.parametrize(("title", "count"), [
    ("广东省通信管理局关于下架9款APP的通报", 9),
    ("关于下架一百零六款APP的通报", 106),
    ("关于侵害用户权益行为的APP通报", None),
])
def test_declared_count(title, count):
    assert declared_count(title) == count


@pytest.mark.parametrize(("title", "kind"), [
    ("山西省通信管理局关于下架10款侵害用户权益APP的通报", "下架处置"),
    ("山东省通信管理局关于不合格APP整改情况的通报（2026年第3批）", "整改复核"),
    ("广东省通信管理局公开通报5款未按要求完成整改APP", "整改复核"),
    ("关于侵害用户权益行为的APP通报（2026年第2批，总第52批）", "批次通报"),
])
def test_notice_kind(title, kind):
    assert notice_kind(title) == kind


def test_split_problems_numbered_inline():
    assert split_problems("1.超范围收集个人信息2、强制频繁过度索取权限（3）账号注销难") == [
        "超范围收集个人信息", "强制频繁过度索取权限", "账号注销难"]


def test_header_columns_longest_alias():
    columns = header_columns(["序号", "APP名称", "开发者/运营者名称", "版本号", "问题描述"])
    assert columns == {"row_number": 0, "app": 1, "company": 2, "version": 3, "problems": 4}


def test_join_lines_keeps_latin_space():
    assert join_lines("WPS\nOffice") == "WPS Office"
    assert join_lines("北京七彩拇指科技有限公\n司") == "北京七彩拇指科技有限公司"
