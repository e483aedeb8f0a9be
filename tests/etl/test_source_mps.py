"""Tests of the public-security (MPS) Clean Net announcement parser on documents built here."""

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
from etl.sources.mps import (
    data_volume,
    find_party,
    handling_police,
    issuer_of,
    offence_in_heading,
    outcome_sentences,
    party_at_start,
    suspects_arrested,
)

FIXTURES = Path(__file__).resolve().parents[1] / "scrapers" / "fixtures" / "mps"
FETCHED = datetime(2026, 3, 13, tzinfo=UTC)
ARTICLE_URL = "https://www.mps.gov.cn/n2254098/n4904352/c10400001/content.html"
ROUNDUP_TITLE = "公安机关依法严厉打击侵犯公民个人信息违法犯罪 公布净网2026专项行动4起典型案例"

MINISTRY_CONTEXT = {"site": "mps", "site_name": "公安部", "issuer": "公安部", "province": "",
                    "list_title": ROUNDUP_TITLE, "list_date": "2026-03-12"}
PROVINCIAL_CONTEXT = {"site": "guangdong", "site_name": "广东省公安厅", "issuer": "广东省公安厅", "province": "广东",
                      "list_title": "广东警方侦破一起侵犯公民个人信息案", "list_date": "2026-03-01"}


def article(html: str, fields: dict[str, Any], context: dict[str, Any] | None = None,
            url: str = ARTICLE_URL) -> RawDocument:
    meta = {"kind": "detail", "context": context or MINISTRY_CONTEXT, "fields": fields}
    return RawDocument.build(source="mps", url=url, content=html, content_type="text/html",
                             fetched_at=FETCHED, meta=meta)


def attachment(content: str, context: dict[str, Any] | None = None) -> RawDocument:
    parent = context or {
        "site": "guangdong", "issuer": "广东省公安厅", "province": "广东",
        "parent_url": "https://gdga.gd.gov.cn/jwzx/jsyw/content/post_4400001.html",
        "parent_title": "广东省公安厅公布“净网2026”专项行动典型案例", "parent_date": "2026-03-05",
        "parent_source": "广东省公安厅", "attachment_title": "典型案例.docx",
    }
    return RawDocument.build(source="mps", url="https://gdga.gd.gov.cn/attachment/4400001.docx", content=content,
                             content_type=ATTACHMENT_CONTENT_TYPE, fetched_at=FETCHED,
                             meta={"kind": "attachment", "context": parent, "fields": {"size": 1}})


def extracted(text: str, error: str = "") -> str:
    return json.dumps({"format": "docx", "text": text, "tables": [], "needs_ocr": False, "error": error},
                      ensure_ascii=False)


def page(body: str, title: str = "") -> str:
    return f"<html><head><title>{title}</title></head><body><div id='ztdx'>{body}</div></body></html>"


ROUNDUP_FIELDS = {"title": ROUNDUP_TITLE, "date": "2026-03-12", "source": "公安部网站", "issuer": "公安部",
                  "site": "mps", "body_xpath": "//div[@id='ztdx']", "attachments": []}


@pytest.fixture(scope="module")
def roundup_drafts():
    html = (FIXTURES / "detail_roundup.html").read_text(encoding="utf-8")
    return parse_document(article(html, ROUNDUP_FIELDS))


# Round-ups -------------------------------------------------------------------------------


def test_roundup_one_draft_per_case(roundup_drafts):
    assert [draft.record_key for draft in roundup_drafts] == ["case-1", "case-2", "case-3", "case-4"]
    assert [draft.party_raw for draft in roundup_drafts] == ["某公司", "李某某", "某网络科技有限公司", "王某"]
    assert [draft.province_hint for draft in roundup_drafts] == ["江苏省", "浙江省", "广东省", "四川省"]
    assert {draft.regulator_raw for draft in roundup_drafts} == {"公安部"}
    assert {draft.publish_date_raw for draft in roundup_drafts} == {"2026-03-12"}
    assert {draft.title for draft in roundup_drafts} == {ROUNDUP_TITLE}


def test_roundup_case_text_is_own(roundup_drafts):
    first, second = roundup_drafts[0], roundup_drafts[1]
    assert first.summary == "江苏南京警方侦破某公司侵犯公民个人信息案"
    assert first.text.startswith("一、江苏南京警方")
    assert "浙江杭州" not in first.text
    assert "现公布4起典型案例" not in first.text
    assert second.text.startswith("二、浙江杭州警方")


def test_roundup_extra_facts(roundup_drafts):
    first = roundup_drafts[0].extra
    assert first["suspects_arrested"] == 8
    assert first["data_volume"] == "12万余条"
    assert first["handling_police"] == "江苏南京警方"
    assert first["roundup_position"] == 1
    assert first["roundup_segments"] == 4
    assert first["roundup_total"] == 4
    assert first["party_from"] == "heading 侦破"
    assert roundup_drafts[1].extra["party_group"] is True
    assert "party_group" not in first


def test_roundup_offence_and_outcomes(roundup_drafts):
    assert roundup_drafts[0].violation_raw == ["侵犯公民个人信息"]
    assert roundup_drafts[1].violation_raw == ["非法获取计算机信息系统数据"]
    assert roundup_drafts[2].violation_raw == ["未履行数据安全保护义务"]
    assert "5人已被依法逮捕" in roundup_drafts[0].penalty_raw
    assert "罚款10万元" in roundup_drafts[2].penalty_raw
    assert roundup_drafts[2].legal_basis_raw[0].startswith("依据《中华人民共和国网络安全法》第五十九条")


def test_roundup_normalized_cases(roundup_drafts):
    cases = [normalize_draft(draft) for draft in roundup_drafts]
    assert [case.party_type for case in cases] == ["company", "individual", "company", "individual"]
    assert [case.province for case in cases] == ["江苏省", "浙江省", "广东省", "四川省"]
    assert {case.regulator for case in cases} == {"公安部"}
    assert cases[0].outcome_types == ["criminal_referral"]
    assert cases[2].outcome_types == ["warning", "fine", "rectification_order"]
    assert cases[2].fine_cny == 100000
    assert cases[3].outcome_types == ["criminal_referral"]


# Single cases and articles without cases ------------------------------------------------


def test_single_case_article():
    html = page("<p>近日，深圳市公安局南山分局侦破一起侵犯公民个人信息案，抓获犯罪嫌疑人陈某某等3人。</p>"
                "<p>经查，陈某某通过非法渠道购买公民个人信息8000余条。目前，3人已被依法刑事拘留。</p>")
    fields = {"title": "深圳警方侦破一起侵犯公民个人信息案", "date": "2026-03-01", "source": "",
              "issuer": "广东省公安厅", "body_xpath": "//div[@id='ztdx']", "attachments": []}
    drafts = parse_document(article(html, fields, PROVINCIAL_CONTEXT))
    assert len(drafts) == 1
    draft = drafts[0]
    assert draft.record_key == "case"
    assert draft.party_raw == "陈某某"
    assert draft.party_type_hint is None
    assert draft.extra["party_from"] == "text 犯罪嫌疑人"
    assert draft.extra["suspects_arrested"] == 3
    assert draft.extra["data_volume"] == "8000余条"
    assert draft.regulator_raw == "广东省公安厅"
    assert draft.province_hint == "广东省"
    assert draft.summary == "深圳警方侦破一起侵犯公民个人信息案"


def test_site_province_fallback():
    html = page("<p>警方侦破一起侵犯公民个人信息案，依法对某科技有限公司给予行政处罚。</p>")
    fields = {"title": "警方侦破一起侵犯公民个人信息案", "issuer": "广东省公安厅", "body_xpath": "//div[@id='ztdx']"}
    drafts = parse_document(article(html, fields, PROVINCIAL_CONTEXT))
    assert drafts[0].province_hint == "广东"
    assert "handling_police" not in drafts[0].extra
    assert drafts[0].party_raw == "某科技有限公司"


def test_reminder_gives_no_case():
    html = page("<p>公安部网安局提示广大群众：谨慎授予App敏感权限，发现个人信息被非法获取的，及时报案。</p>")
    fields = {"title": "公安部网安局提示：警惕App过度收集个人信息", "body_xpath": "//div[@id='ztdx']"}
    assert parse_document(article(html, fields)) == []


def test_article_with_attachments_defers():
    html = page("<p>广东省公安厅公布一批典型案例，详见附件。警方侦破多起侵犯公民个人信息案。</p>")
    fields = {"title": "广东省公安厅公布典型案例", "body_xpath": "//div[@id='ztdx']",
              "attachments": ["https://gdga.gd.gov.cn/attachment/4400001.docx"]}
    assert parse_document(article(html, fields, PROVINCIAL_CONTEXT)) == []


def test_missing_body_reads_page():
    html = ("<html><body><div class='nav'>首页</div><div class='main'><p>江苏苏州警方侦破某公司侵犯公民个人信息案，"
            "抓获犯罪嫌疑人5名。</p></div><script>var a='侦破';</script></body></html>")
    drafts = parse_document(article(html, {"title": "江苏苏州警方侦破某公司侵犯公民个人信息案",
                                           "body_xpath": "//div[@id='ztdx']"}))
    assert len(drafts) == 1
    assert drafts[0].extra["body_from"] == "page"
    assert drafts[0].party_raw == "某公司"
    assert "var a" not in drafts[0].text


def test_invalid_body_xpath_reads_page():
    html = page("<p>浙江宁波警方侦破某公司侵犯公民个人信息案。</p>")
    drafts = parse_document(article(html, {"title": "浙江宁波警方侦破某公司侵犯公民个人信息案", "body_xpath": "//div[@id="}))
    assert drafts[0].extra["body_from"] == "page"
    assert drafts[0].province_hint == "浙江省"


@pytest.mark.parametrize("html", ["", "   ", "<html><head><title>x", "\x00\x01"])
def test_broken_html_no_raise(html: str):
    assert parse_document(article(html, {"title": "", "body_xpath": "//div[@id='ztdx']"})) == []


def test_title_from_list_context():
    html = page("<p>浙江杭州警方侦破李某侵犯公民个人信息案，李某已被刑事拘留。</p>")
    drafts = parse_document(article(html, {"body_xpath": "//div[@id='ztdx']"}))
    assert drafts[0].title == ROUNDUP_TITLE
    assert drafts[0].publish_date_raw == "2026-03-12"
    assert drafts[0].regulator_raw == "公安部"


# Attachments -----------------------------------------------------------------------------


ATTACHMENT_LINES = [
    "广东省公安机关“净网2026”专项行动典型案例",
    "案例一：广州警方侦破某数据服务有限公司侵犯公民个人信息案",
    "警方抓获犯罪嫌疑人6名，查获公民个人信息5万余条，6人均已被依法刑事拘留。",
    "案例二：东莞警方查处刘某某违反网络安全法案",
    "依据《中华人民共和国网络安全法》第四十四条，警方对刘某某处罚款5000元。",
]
ATTACHMENT_TEXT = "\n".join(ATTACHMENT_LINES)


def test_attachment_cases():
    drafts = parse_document(attachment(extracted(ATTACHMENT_TEXT)))
    assert [draft.record_key for draft in drafts] == ["case-1", "case-2"]
    assert [draft.party_raw for draft in drafts] == ["某数据服务有限公司", "刘某某"]
    assert {draft.regulator_raw for draft in drafts} == {"广东省公安厅"}
    assert {draft.province_hint for draft in drafts} == {"广东省"}
    assert {draft.publish_date_raw for draft in drafts} == {"2026-03-05"}
    assert drafts[0].title == "广东省公安厅公布“净网2026”专项行动典型案例"
    assert drafts[0].extra["attachment_title"] == "典型案例.docx"
    assert drafts[0].extra["attachment_format"] == "docx"
    assert drafts[0].extra["suspects_arrested"] == 6
    assert drafts[0].extra["parent_url"].endswith("post_4400001.html")


def test_attachment_error_flagged():
    drafts = parse_document(attachment(extracted(ATTACHMENT_TEXT, error="DOCX has 2 damaged parts.")))
    assert len(drafts) == 2
    assert drafts[0].extra["attachment_error"] == "DOCX has 2 damaged parts."


@pytest.mark.parametrize("content", ["not json", "[1, 2]", extracted("", error="PDF is encrypted")])
def test_unreadable_attachment_empty(content: str):
    assert parse_document(attachment(content)) == []


# Helpers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("某公司侵犯公民个人信息案", ("某公司", False)),
        ("南京某科技有限公司非法获取", ("南京某科技有限公司", False)),
        ("某科技有限公司、某网络公司侵犯…", ("某科技有限公司", True)),
        ("李某某等人侵犯公民个人信息案", ("李某某", True)),
        ("李某某等人利用某公司平台出售数据", ("李某某", True)),
        ("王某侵犯公民个人信息案", ("王某", False)),
        ("某某科技有限公司泄露数据案", ("某某科技有限公司", False)),
        ("一起侵犯公民个人信息案", ("", False)),
        ("犯罪团伙3个", ("", False)),
        ("", ("", False)),
    ],
)
def test_party_at_start(text: str, expected: tuple[str, bool]):
    assert party_at_start(text) == expected


def test_find_party_heading_first():
    assert find_party("广州警方侦破一起非法买卖个人信息案", "抓获犯罪嫌疑人赵某等2人") == ("赵某", "text 犯罪嫌疑人", True)
    assert find_party("查处某公司违反网络安全法案", "犯罪嫌疑人赵某") == ("某公司", "heading 查处", False)
    assert find_party("公安机关公布典型案例", "全国公安机关持续开展专项行动") == ("", "", False)


@pytest.mark.parametrize(
    ("heading", "text", "expected"),
    [
        ("江苏南京警方侦破某公司侵犯公民个人信息案", "", ("江苏省", "江苏南京警方")),
        ("某公司侵犯公民个人信息案", "2026年1月，南京市公安局网安支队工作发现", ("江苏省", "南京市公安局")),
        ("", "深圳市公安局南山分局侦破", ("广东省", "深圳市公安局南山分局")),
        ("", "当地警方依法处理", ("", "")),
    ],
)
def test_handling_police(heading: str, text: str, expected: tuple[str, str]):
    assert handling_police(heading, text) == expected


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("公安部网站", "公安部"),
        ("江苏省公安厅", "江苏省公安厅"),
        ("深圳市公安局南山分局", "深圳市公安局南山分局"),
        ("新华社", "广东省公安厅"),
        ("", "广东省公安厅"),
    ],
)
def test_issuer_of(source: str, expected: str):
    assert issuer_of(source, "广东省公安厅") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("警方抓获犯罪嫌疑人12名", 12),
        ("抓获犯罪嫌疑人十二名", 12),
        ("共抓获8名犯罪嫌疑人", 8),
        ("抓获犯罪嫌疑人张某某等3人", 3),
        ("依法对3人行政拘留", None),
    ],
)
def test_suspects_arrested(text: str, expected: int | None):
    assert suspects_arrested(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("非法获取公民个人信息12万余条", "12万余条"),
        ("窃取数据2.3亿条", "2.3亿条"),
        ("涉及个人信息 6000 余条", "6000余条"),
        ("抓获犯罪嫌疑人5名", ""),
    ],
)
def test_data_volume(text: str, expected: str):
    assert data_volume(text) == expected


@pytest.mark.parametrize(
    ("heading", "party", "expected"),
    [
        ("江苏南京警方侦破某公司侵犯公民个人信息案", "某公司", "侵犯公民个人信息"),
        ("浙江警方侦破李某某、王某等人侵犯公民个人信息案", "李某某", "侵犯公民个人信息"),
        ("四川成都警方侦破一起黑客攻击窃取数据案", "", "黑客攻击窃取数据"),
        ("公安部公布典型案例", "", ""),
    ],
)
def test_offence_in_heading(heading: str, party: str, expected: str):
    assert offence_in_heading(heading, party) == expected


def test_outcome_sentences():
    text = "2026年1月，警方发现该公司出售数据。警方对该公司给予警告，并处罚款1万元。李某已被依法逮捕。"
    assert outcome_sentences(text) == ["警方对该公司给予警告，并处罚款1万元。", "李某已被依法逮捕。"]
