"""Tests of the CSRC 行政处罚决定书 parser over pages and attachments built here."""

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
from etl.sources.csrc import parse_document

PAGE_URL = "https://www.csrc.gov.cn/csrc/c101928/c7001001/content.shtml"
CONTEXT = {"channel": "hq", "issuer": "中国证券监督管理委员会", "list_title": "列表标题",
           "list_date": "2026-01-12 17:00:00", "published_ms": 1768208400000}

METADATA = """
<div class="xxgk-table"><table>
<tr><th>索引号：</th><td>bm56000001/2026-00000012</td><th>分类：</th><td>行政处罚;行政处罚决定</td></tr>
<tr><th>发布机构：</th><td>中国证监会</td><th>发文日期：</th><td>2026年01月12日</td></tr>
<tr><th>名称：</th><td colspan="3">中国证监会行政处罚决定书（甲科技股份有限公司、李明）</td></tr>
<tr><th>文号：</th><td>〔2026〕12号</td><th>主题词：</th><td></td></tr>
</table></div>
"""

BODY = """
<p>中国证监会行政处罚决定书（甲科技股份有限公司、李明）</p>
<p>〔2026〕12号</p>
<p>当事人：甲科技股份有限公司（以下简称甲科技或公司），住所：北京市海淀区。</p>
<p>当事人：李明，男，1978年3月出生，时任甲科技董事长，住址：北京市朝阳区。</p>
<p>经查明，甲科技未按规定披露重大事件。李明是直接负责的主管人员。</p>
<p>甲科技的上述行为违反了《证券法》第七十八条第一款的规定。</p>
<p>依据《证券法》第一百九十七条第一款的规定，我会决定：</p>
<p>一、对甲科技责令改正，给予警告，并处以200万元罚款；</p>
<p>二、对李明给予警告，并处以100万元罚款。</p>
<p>上述当事人应自收到本处罚决定书之日起15日内，将罚款汇交中国证券监督管理委员会开户银行。</p>
<p>中国证监会</p>
<p>2026年1月8日</p>
"""


def page(body: str = BODY, *, metadata: str = METADATA, head: str = "", context: dict[str, Any] | None = None,
         fields: dict[str, Any] | None = None) -> RawDocument:
    html = (f"<html><head><meta charset='utf-8'>{head}</head><body>{metadata}"
            f"<div class='content'><div class='detail-news'>{body}</div></div></body></html>")
    return RawDocument.build(
        source="csrc", url=PAGE_URL, content=html, content_type="text/html",
        fetched_at=datetime(2026, 1, 13, tzinfo=timezone.utc),
        meta={"kind": "detail", "context": context if context is not None else CONTEXT, "fields": fields or {}},
    )


def attachment(text: str, *, parent_parties: int = 0, error: str = "") -> RawDocument:
    content = {"format": "docx", "text": text, "tables": [], "needs_ocr": False, "error": error}
    context = {**CONTEXT, "parent_url": PAGE_URL, "parent_title": "中国证监会行政处罚决定书（丁投资咨询有限公司）",
               "parent_date": "2026-02-13 16:20:00", "parent_parties": parent_parties}
    return RawDocument.build(
        source="csrc", url="https://www.csrc.gov.cn/csrc/c101928/c7001004/files/decision.docx",
        content=json.dumps(content, ensure_ascii=False), content_type=ATTACHMENT_CONTENT_TYPE,
        fetched_at=datetime(2026, 2, 14, tzinfo=timezone.utc), meta={"kind": "attachment", "context": context},
    )


def test_parties_from_lines() -> None:
    drafts = parse_document(page())

    assert [draft.party_raw for draft in drafts] == ["甲科技股份有限公司", "李明"]
    assert [draft.party_type_hint for draft in drafts] == [None, "individual"]
    assert [draft.record_key for draft in drafts] == ["party-1", "party-2"]


def test_alias_matches_items() -> None:
    company, person = parse_document(page())

    assert company.penalty_raw == "一、对甲科技责令改正，给予警告，并处以200万元罚款"
    assert person.penalty_raw == "二、对李明给予警告，并处以100万元罚款"
    assert company.extra["name_forms"] == ["甲科技"]


def test_text_drops_other_items() -> None:
    company, person = parse_document(page())

    assert "100万元" not in company.text
    assert "200万元" not in person.text
    assert "我会决定：" in person.text
    assert "上述当事人应自收到本处罚决定书之日起15日内" in person.text


def test_persons_named_for_masking() -> None:
    company, person = parse_document(page())

    assert company.extra["persons_named"] == ["李明"]
    assert person.extra["persons_named"] == ["李明"]


def test_pipeline_masks_persons_in_all_cases() -> None:
    cases = run_etl([page()]).cases
    company = next(case for case in cases if case.party_type == "company")

    assert "李某是直接负责的主管人员" in company.text
    assert "李明" not in company.text
    assert company.title == "中国证监会行政处罚决定书（甲科技股份有限公司、李某）"
    assert all("李明" not in case.text for case in cases)


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("decision_number_raw", "〔2026〕12号"),
        ("regulator_raw", "中国证监会"),
        ("decision_date_raw", "2026年1月8日"),
        ("publish_date_raw", "1768208400000"),
        ("title", "中国证监会行政处罚决定书（甲科技股份有限公司、李明）"),
        ("source_url", PAGE_URL),
    ],
)
def test_page_fields(field: str, expected: str) -> None:
    drafts = parse_document(page())

    assert getattr(drafts[1], field) == expected


def test_metadata_index_number_extra() -> None:
    drafts = parse_document(page())

    assert drafts[0].extra["index_number"] == "bm56000001/2026-00000012"
    assert drafts[0].extra["parties_in_decision"] == 2


def test_without_metadata_reads_text() -> None:
    body = BODY.replace("<p>中国证监会</p>", "<p>中国证券监督管理委员会北京监管局</p>")

    drafts = parse_document(page(body, metadata="", head="<title>北京局决定_中国证券监督管理委员会</title>",
                                 context={"issuer": "中国证券监督管理委员会", "list_date": "2026-01-12 17:00:00"}))

    assert drafts[0].decision_number_raw == "〔2026〕12号"
    assert drafts[0].regulator_raw == "中国证券监督管理委员会北京监管局"
    assert drafts[0].title == "北京局决定"
    assert drafts[0].publish_date_raw == "2026-01-12 17:00:00"


def test_regulator_from_title() -> None:
    body = BODY.replace("<p>中国证监会</p>", "")
    head = "<meta name='ArticleTitle' content='中国证券监督管理委员会上海监管局行政处罚决定书（甲科技股份有限公司）'>"

    drafts = parse_document(page(body, metadata="", head=head))

    assert drafts[0].regulator_raw == "中国证券监督管理委员会上海监管局"
    assert drafts[0].decision_date_raw == "2026年1月8日"


def test_regulator_from_channel() -> None:
    body = BODY.replace("<p>中国证监会</p>", "")

    drafts = parse_document(page(body, metadata="", head="<title>决定书</title>"))

    assert drafts[0].regulator_raw == "中国证券监督管理委员会"


def test_inline_decision_with_br() -> None:
    body = ("<p>〔2026〕15号<br>当事人：王小明，男，1980年5月出生。<br>经查明，王小明内幕交易。<br>"
            "依据《证券法》第一百九十一条第一款的规定，我会决定：对王小明给予警告，没收违法所得1.621747万元，罚款1712.4万元。<br>"
            "当事人如果对本处罚决定不服，可申请行政复议。<br>中国证监会<br>二〇二六年一月二十日</p>")

    [draft] = parse_document(page(body, metadata=""))

    assert draft.party_raw == "王小明"
    assert draft.penalty_raw == "对王小明给予警告，没收违法所得1.621747万元，罚款1712.4万元"
    assert draft.decision_date_raw == "二〇二六年一月二十日"
    assert draft.decision_number_raw == "〔2026〕15号"


def test_several_named_in_one_item() -> None:
    body = ("<p>当事人：乙资产管理有限公司，住所：上海市。</p><p>当事人：张伟，男，1975年8月出生。</p>"
            "<p>当事人：刘芳，女，1983年11月出生。</p><p>我会决定：</p>"
            "<p>一、对乙资产管理有限公司罚款人民币50万元；</p><p>二、对张伟、刘芳给予警告，并分别处以30万元罚款。</p>")

    drafts = parse_document(page(body, metadata=""))

    assert [draft.penalty_raw for draft in drafts] == [
        "一、对乙资产管理有限公司罚款人民币50万元",
        "二、对张伟、刘芳给予警告，并分别处以30万元罚款",
        "二、对张伟、刘芳给予警告，并分别处以30万元罚款",
    ]


def test_unnamed_items_shared_flag() -> None:
    body = ("<p>当事人：乙资产管理有限公司。</p><p>当事人：张伟，男，1975年8月出生。</p>"
            "<p>我会决定：</p><p>责令改正，给予警告。</p>")

    drafts = parse_document(page(body, metadata=""))

    assert [draft.penalty_raw for draft in drafts] == ["责令改正，给予警告", "责令改正，给予警告"]
    assert all(draft.extra["penalty_shared"] is True for draft in drafts)


def test_no_container_returns_empty(caplog: pytest.LogCaptureFixture) -> None:
    doc = page().model_copy(update={"content": "<html><body><div class='article'>当事人：甲公司</div></body></html>"})

    with caplog.at_level(logging.WARNING, logger="etl.sources.csrc"):
        assert parse_document(doc) == []
    assert "0 content containers" in caplog.text


def test_no_party_line_returns_empty(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="etl.sources.csrc"):
        assert parse_document(page("<p>全文见附件。</p>")) == []
    assert "names no party" in caplog.text


ATTACHMENT_TEXT = """中国证监会行政处罚决定书（丁投资咨询有限公司）
〔2026〕27号
当事人：丁投资咨询有限公司，住所：深圳市福田区。
依据《证券法》第二百零二条的规定，我会决定：对丁投资咨询有限公司责令改正，没收违法所得30万元，并处以90万元罚款。
当事人如果对本处罚决定不服，可在收到本处罚决定书之日起60日内申请行政复议。
中国证监会
2026年2月10日"""


def test_attachment_text_parsed() -> None:
    [draft] = parse_document(attachment(ATTACHMENT_TEXT))

    assert draft.party_raw == "丁投资咨询有限公司"
    assert draft.decision_number_raw == "〔2026〕27号"
    assert draft.penalty_raw == "对丁投资咨询有限公司责令改正，没收违法所得30万元，并处以90万元罚款"
    assert draft.decision_date_raw == "2026年2月10日"
    assert draft.regulator_raw == "中国证监会"
    assert draft.publish_date_raw == "1768208400000"
    assert draft.title == "中国证监会行政处罚决定书（丁投资咨询有限公司）"
    assert draft.extra["attachment_format"] == "docx"


def test_attachment_repeating_page_skipped() -> None:
    assert parse_document(attachment(ATTACHMENT_TEXT, parent_parties=1)) == []


def test_attachment_error_skipped(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="etl.sources.csrc"):
        assert parse_document(attachment("", error="DOC file is damaged")) == []
    assert "DOC file is damaged" in caplog.text


def test_registry_dispatches_csrc() -> None:
    assert len(parse_any(page())) == 2
