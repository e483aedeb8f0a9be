"""Tests of the CAC article and attachment parser on the spider fixtures and on pages written here."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from eintel.raw import ATTACHMENT_CONTENT_TYPE
from etl.models import RawDocument
from etl.pipeline import normalize_draft
from etl.sources import parse_document
from etl.sources.cac import (
    app_rows_from_lines,
    app_rows_from_table,
    executives_fined,
    issuing_office,
    office_named_in,
)

FIXTURES = Path(__file__).resolve().parents[1] / "scrapers" / "fixtures"
FETCHED = datetime(2026, 9, 20, tzinfo=UTC)
NATIONAL = {"site": "zcfg_a093601", "site_name": "国家互联网信息办公室", "province": None}
BEIJING = {"site": "beijing", "site_name": "北京市互联网信息办公室", "province": "北京市"}


def article(
    html: str,
    context: dict[str, Any] | None = None,
    fields: dict[str, Any] | None = None,
    source: str = "cac",
    url: str = "https://www.cac.gov.cn/2026-09/15/c_1790000000000001.htm",
) -> RawDocument:
    return RawDocument.build(
        source=source, url=url, content=html, content_type="text/html", fetched_at=FETCHED,
        meta={"kind": "detail", "context": context or NATIONAL, "fields": fields or {}},
    )


def fixture(name: str, **options: Any) -> RawDocument:
    return article((FIXTURES / name).read_text(encoding="utf-8"), **options)


def attachment(content: dict[str, Any] | str, context: dict[str, Any] | None = None) -> RawDocument:
    text = content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)
    parent = {
        **NATIONAL,
        "parent_url": "https://www.cac.gov.cn/2026-06/11/c_1790000000000003.htm",
        "parent_title": "关于2款App违法违规收集使用个人信息情况的通报",
        "parent_date": "2026-06-11",
        "issuer": "国家网信办",
        "attachment_kind": "image",
        **(context or {}),
    }
    return RawDocument.build(
        source="cac", url="https://www.cac.gov.cn/rootimages/uploadimg/applist.png", content=text,
        content_type=ATTACHMENT_CONTENT_TYPE, fetched_at=FETCHED, meta={"kind": "attachment", "context": parent},
    )


def page(body: str, title: str) -> str:
    return (f"<html><head><meta charset='utf-8'><meta name='PubDate' content='2026-05-06 10:00'></head><body>"
            f"<h1 id='title'>{title}</h1><span id='source'>来源：网信中国</span>"
            f"<div id='BodyLabel'>{body}</div></body></html>")


# Round-ups ----------------------------------------------------------------------------------


def test_roundup_one_draft_per_case():
    drafts = parse_document(fixture("cac/detail_roundup.html"))
    assert [draft.record_key for draft in drafts] == ["case-1", "case-2", "case-3"]
    assert [draft.party_raw for draft in drafts] == ["示例云数据科技有限公司", "示例健康管理有限公司", "示例教育科技有限公司"]
    assert [draft.regulator_raw for draft in drafts] == ["国家网信办"] * 3
    assert [draft.extra["roundup_total"] for draft in drafts] == [3, 3, 3]


def test_roundup_case_fields():
    first = parse_document(fixture("cac/detail_roundup.html"))[0]
    assert first.summary == "示例云数据科技有限公司未履行数据安全保护义务案"
    assert first.violation_raw[0] == "示例云数据科技有限公司未履行数据安全保护义务案"
    assert first.violation_raw[1].startswith("经查，示例云数据科技有限公司")
    assert "罚款人民币50万元" in first.penalty_raw
    assert first.legal_basis_raw == [first.penalty_raw]
    assert first.publish_date_raw == "2026-09-15 10:30"
    assert first.province_hint == ""
    assert first.extra["issuer"] == "网信中国"


def test_roundup_closing_cut():
    last = parse_document(fixture("cac/detail_roundup.html"))[-1]
    assert last.text.endswith("并处罚款人民币10万元。")
    assert "下一步" not in last.text


def test_roundup_case_label_markers():
    drafts = parse_document(fixture("cac_provincial/bj_roundup.html", context=BEIJING, source="cac_provincial"))
    assert [draft.party_raw for draft in drafts] == ["示例外卖科技有限公司", "示例房产经纪有限公司", "示例影音文化传媒有限公司"]
    assert [draft.summary for draft in drafts][1] == "示例房产经纪有限公司泄露客户个人信息案"
    assert [draft.province_hint for draft in drafts] == ["北京市"] * 3
    assert [draft.regulator_raw for draft in drafts] == ["北京市网信办"] * 3


def test_roundup_dotted_markers_city_offices():
    drafts = parse_document(fixture("cac_provincial/zj_roundup.html", source="cac_provincial",
                                    context={"site": "zhejiang", "site_name": "浙江省互联网信息办公室", "province": "浙江省"}))
    assert [draft.party_raw for draft in drafts] == ["示例直播科技有限公司", "示例物流信息技术有限公司", "示例网络科技有限公司"]
    assert [draft.regulator_raw for draft in drafts] == ["杭州市网信办", "宁波市网信办", "温州市网信办"]
    assert [draft.extra["party_from"] for draft in drafts] == ["round-up 查处"] * 3


def test_roundup_case_without_party_kept():
    body = ("<p>现将3起典型案例公布如下。</p><p>一、示例数据服务有限公司违规出境数据案</p>"
            "<p>经查，该公司未申报数据出境安全评估。国家网信办依法责令其改正。</p>"
            "<p>二、某科技公司违规收集个人信息案</p><p>经查，某科技公司超范围收集个人信息。国家网信办依法给予警告。</p>"
            "<p>三、一款健康类App违规收集个人信息案</p><p>经查，该App未经同意收集健康信息。国家网信办依法责令下架。</p>")
    drafts = parse_document(article(page(body, "国家网信办公布3起执法典型案例")))
    assert [draft.record_key for draft in drafts] == ["case-1", "case-2", "case-3"]
    assert [draft.party_raw for draft in drafts] == ["示例数据服务有限公司", "某科技公司", ""]
    assert "party_from" not in drafts[2].extra
    assert "责令下架" in drafts[2].penalty_raw


# Press releases of one decision ---------------------------------------------------------------


def test_decision_company_and_executives():
    drafts = parse_document(fixture("cac/detail_decision.html"))
    assert [draft.record_key for draft in drafts] == ["case", "person-1", "person-2"]
    assert [draft.party_raw for draft in drafts] == ["示例出行科技有限公司", "张伟", "李明"]
    assert drafts[0].extra["party_from"] == "title"
    assert drafts[0].extra["persons_fined"] == ["张伟", "李明"]
    assert drafts[1].party_type_hint == "individual"
    assert drafts[1].extra["company"] == "示例出行科技有限公司"


def test_decision_penalty_split_by_party():
    company, person, _ = parse_document(fixture("cac/detail_decision.html"))
    assert company.penalty_raw.endswith("依法对示例出行科技有限公司处人民币80.26亿元罚款")
    assert "100万元" not in company.penalty_raw
    assert person.penalty_raw == "对该公司董事长兼CEO张伟、总裁李明各处人民币100万元罚款。"
    assert company.decision_number_raw == ""
    assert company.decision_date_raw == "2026年7月21日"


def test_decision_normalized_fines():
    company, first_person, _ = (normalize_draft(draft) for draft in parse_document(fixture("cac/detail_decision.html")))
    assert company.fine_cny == 8026000000
    assert company.regulator == "国家互联网信息办公室"
    assert company.province is None
    assert first_person.fine_cny == 1000000
    assert first_person.party_name == "张某"


def test_executives_fined_by_name_only():
    clauses = ["对该公司主要负责人处以罚款5万元", "对公司法定代表人王小明处以罚款5万元"]
    assert executives_fined(clauses) == [("王小明", "对公司法定代表人王小明处以罚款5万元")]


def test_decision_party_after_yuetan():
    drafts = parse_document(fixture("cac/detail_broken.html"))
    assert [draft.party_raw for draft in drafts] == ["示例短视频科技有限公司"]
    assert "约谈" in drafts[0].text
    assert drafts[0].publish_date_raw.startswith("2026年04月02日")


def test_decision_without_party_kept():
    body = "<p>国家网信办依法对一批违规账号予以处置，责令相关平台限期整改。</p>"
    drafts = parse_document(article(page(body, "国家网信办依法查处一批违规账号")))
    assert [draft.record_key for draft in drafts] == ["case"]
    assert drafts[0].party_raw == ""
    assert "责令相关平台限期整改" in drafts[0].penalty_raw


def test_meeting_news_no_draft():
    assert parse_document(fixture("cac/detail_meeting.html")) == []


def test_page_without_content_no_draft():
    assert parse_document(fixture("cac/detail_no_content.html")) == []


def test_spider_fields_win():
    fields = {"title": "列表所示标题", "date": "2026-05-20", "issuer": "国家网信办", "content_xpath": "//*[@id='BodyLabel']"}
    draft = parse_document(fixture("cac/detail_retry.html", fields=fields))[0]
    assert draft.title == "列表所示标题"
    assert draft.publish_date_raw == "2026-05-20"
    assert draft.extra["issuer"] == "国家网信办"
    assert draft.party_raw == "示例知识网络技术有限公司"


def test_provincial_newspaper_issuer_ignored():
    draft = parse_document(fixture("cac_provincial/bj_decision.html", context=BEIJING, source="cac_provincial"))[0]
    # 来源 is a newspaper, so the office named in the penalty sentence is the regulator.
    assert draft.extra["issuer"] == "北京日报"
    assert draft.regulator_raw == "北京市网信办"
    assert normalize_draft(draft).province == "北京市"


# App notices --------------------------------------------------------------------------------


def test_app_notice_image_notice_draft():
    images = ["https://www.cac.gov.cn/rootimages/uploadimg/1790000000000003_html_applist.png"]
    drafts = parse_document(fixture("cac/detail_app_notice.html", fields={"images": images}))
    assert [draft.record_key for draft in drafts] == ["notice"]
    assert drafts[0].party_raw == ""
    assert drafts[0].extra["app_list_images"] == images
    assert drafts[0].regulator_raw == "国家网信办"


def test_app_notice_table_rows():
    body = ("<p>现将有关情况通报如下。</p><table>"
            "<tr><td>序号</td><td>App名称</td><td>运营者</td><td>版本</td><td>主要问题</td></tr>"
            "<tr><td>1</td><td>示例天气</td><td>示例气象信息技术有限公司</td><td>3.2.1</td>"
            "<td>1.未公开收集使用规则；2.超范围收集个人信息</td></tr>"
            "<tr><td>2</td><td>示例相机</td><td>示例影像科技有限公司</td><td>1.0</td><td>未提供注销账号功能</td></tr>"
            "</table>")
    drafts = parse_document(article(page(body, "关于2款App个人信息收集使用问题的通报")))
    assert [draft.record_key for draft in drafts] == ["app-1", "app-2"]
    assert [draft.extra["app"] for draft in drafts] == ["示例天气", "示例相机"]
    assert [draft.party_raw for draft in drafts] == ["示例气象信息技术有限公司", "示例影像科技有限公司"]
    assert drafts[0].violation_raw == ["未公开收集使用规则", "超范围收集个人信息"]
    assert drafts[0].extra["app_version"] == "3.2.1"
    assert drafts[0].extra["notice_kind"] == "批次通报"


def test_attachment_table_rows():
    content = {"format": "docx", "text": "", "needs_ocr": False, "error": "", "tables": [[
        ["序号", "App名称", "运营者", "存在问题"],
        ["1", "示例优选", "示例电子商务有限公司", "未公开收集使用规则；未提供注销账号功能"],
        ["2", "示例出行助手", "示例出行服务有限公司", "超范围收集个人信息"],
    ]]}
    drafts = parse_document(attachment(content, context={**BEIJING, "issuer": "北京市委网信办"}))
    assert [draft.extra["app"] for draft in drafts] == ["示例优选", "示例出行助手"]
    assert [draft.party_raw for draft in drafts] == ["示例电子商务有限公司", "示例出行服务有限公司"]
    assert drafts[0].violation_raw == ["未公开收集使用规则", "未提供注销账号功能"]
    assert drafts[0].title == "关于2款App违法违规收集使用个人信息情况的通报"
    assert drafts[0].publish_date_raw == "2026-06-11"
    assert drafts[0].regulator_raw == "北京市委网信办"
    assert drafts[0].province_hint == "北京市"
    assert drafts[0].extra["attachment_format"] == "docx"


def test_attachment_ocr_lines_merged_header():
    # OCR merged the first two header cells, so data rows are read by their shape.
    text = ("附件：App列表\n序号App名称\t运营者\t存在问题\n"
            "1\t晴天记账\t示例网络科技有限公司\t超范围收集个人信息\n"
            "2\t快读小说\t示例文化传媒有限公司\t未提供注销账号功能")
    drafts = parse_document(attachment({"format": "image", "text": text, "tables": [], "needs_ocr": False, "error": ""}))
    assert [draft.extra["app"] for draft in drafts] == ["晴天记账", "快读小说"]
    assert [draft.party_raw for draft in drafts] == ["示例网络科技有限公司", "示例文化传媒有限公司"]
    assert drafts[1].violation_raw == ["未提供注销账号功能"]
    assert drafts[0].regulator_raw == "国家网信办"
    assert drafts[0].extra["notice_kind"] == "批次通报"


def test_attachment_needs_ocr_no_draft():
    content = {"format": "image", "text": "", "tables": [], "needs_ocr": True,
               "error": "Image text was not read because OCR is not installed"}
    assert parse_document(attachment(content)) == []


@pytest.mark.parametrize("content", ["not json", "[1, 2]"])
def test_attachment_bad_content_no_draft(content: str):
    assert parse_document(attachment(content)) == []


def test_app_rows_table_without_header():
    rows = app_rows_from_table([["3", "示例地图", "示例导航科技有限公司", "2.0.1", "强制索取定位权限"]])
    assert len(rows) == 1
    assert rows[0].app == "示例地图"
    assert rows[0].operator == "示例导航科技有限公司"
    assert rows[0].version == "2.0.1"
    assert rows[0].problems == ("强制索取定位权限",)


def test_app_rows_heading_lines_skipped():
    rows = app_rows_from_lines("（一）未公开收集使用规则\t共2款App\n1\t示例阅读\t示例书城有限公司")
    assert [row.app for row in rows] == ["示例阅读"]


def test_app_rows_headerless_need_operator():
    lines = "1\t示例阅读\t示例书城有限公司\n2\t第三条\t数据处理者应当履行保护义务"
    assert [row.app for row in app_rows_from_lines(lines)] == ["示例阅读"]
    assert app_rows_from_table([["示例阅读", "示例书城有限公司"]], headerless=False) == []


def test_article_table_without_app_header_ignored():
    body = ("<p>国家网信办依法对示例数据有限公司作出行政处罚，给予警告。</p>"
            "<table><tr><td>1</td><td>示例数据有限公司</td><td>警告</td></tr></table>")
    drafts = parse_document(article(page(body, "国家网信办依法对示例数据有限公司作出行政处罚")))
    assert [draft.record_key for draft in drafts] == ["case"]
    assert drafts[0].party_raw == "示例数据有限公司"


# Offices ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "office"), [
    ("近期北京市网信办依法约谈…", "北京市网信办"),
    ("2026年7月21日，国家互联网信息办公室依据…", "国家互联网信息办公室"),
    ("中央网信办部署开展专项行动", "中央网信办"),
    ("经查，浙江省委网信办发现…", "浙江省委网信办"),
    ("杭州市网信办调查发现", "杭州市网信办"),
    ("属地网信办依法处置", ""),
    ("网信部门将持续加强执法", ""),
])
def test_office_named_in(text: str, office: str):
    assert office_named_in(text) == office


def test_issuing_office_choice():
    assert issuing_office("网信中国", "国家互联网信息办公室") == "网信中国"
    assert issuing_office("上海市委网信办", "上海市互联网信息办公室") == "上海市委网信办"
    assert issuing_office("北京日报", "北京市互联网信息办公室") == "北京市互联网信息办公室"
    assert issuing_office("", "浙江省互联网信息办公室") == "浙江省互联网信息办公室"
