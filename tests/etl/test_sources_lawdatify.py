"""Tests of the lawdatify source parsers, the source registry and overlap resolution."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from eintel.settings import get_settings
from etl.models import CaseDraft, RawDocument
from etl.sources import PARSERS, UnknownSourceError, parse_document, resolve_overlaps
from etl.sources.lawdatify_appviol import is_suspect_row, row_record_key
from etl.sources.lawdatify_cases import (
    decision_date_from_text,
    decision_number_from_title,
    extract_party,
    legal_basis_sentences,
    penalty_sentences,
    strip_page_chrome,
)
from etl.sources.overlap import canonical_url, count_superseded

# EINTEL_ARCHIVE, default ../shared/data/raw relative to the repository root.
ARCHIVE = get_settings().archive_path

FETCHED_AT = datetime(2026, 9, 18, tzinfo=timezone.utc)
NOTICE_URL = "https://sdca.miit.gov.cn/xwdt/tzgg/art/2026/art_0001.html"


def make_document(source: str, record: dict[str, Any], url: str = "", record_key: str = "") -> RawDocument:
    return RawDocument.build(
        source=source,
        url=url or record.get("url", "https://example.gov.cn/a.html"),
        content=json.dumps(record, ensure_ascii=False),
        content_type="application/json",
        fetched_at=FETCHED_AT,
        record_key=record_key,
        meta={"record_key": record_key},
    )


def make_notice(entries: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    notice = {
        "id": "n1",
        "title": "山东省通信管理局关于不合格APP整改情况的通报（2026年第3批）",
        "url": NOTICE_URL,
        "date": "2026-09-02",
        "org": "山东省通信管理局",
        "scope": "地方",
        "notice_kind": "整改复核",
        "declared": len(entries),
        "entries": entries,
        "carrier": "html-table",
        "batch_total": None,
        "province": "山东省",
        "year_batch": 3,
        "batch_year": 2026,
        "date_precision": "day",
    }
    notice.update(fields)
    return notice


def app_row(app: str, dev: str, probs: list[str] | None = None) -> dict[str, Any]:
    return {"app": app, "dev": dev, "ver": "1.0.0", "store": "", "probs": probs or ["超范围收集/违规收集"], "region": ""}


# lawdatify_cases


@pytest.mark.parametrize(
    ("title", "fact", "kind", "party", "found_in"),
    [
        ("规范申请专利案（粤市监处罚〔2026〕14号）", "当事人：某某代理事务所（普通合伙） 住所：某市", "行政处罚决定书", "某某代理事务所（普通合伙）", "当事人 line"),
        ("发布违法广告案", "当事人:*** 统一社会信用代码：***", "行政处罚决定书", "***", "当事人 line"),
        ("肖鹏销售侵犯注册商标专用权的商品案（泸市监处罚〔2026〕54号）", "销售侵权商品", "行政处罚信息公开表", "肖鹏", "title"),
        ("宋国玖商业贿赂案（泸市监罚〔2026〕45号）", "", "行政处罚信息公开表", "宋国玖", "title"),
        ("四川川一口腔门诊部有限公司发布医疗广告案", "", "行政处罚信息公开表", "四川川一口腔门诊部有限公司", "title"),
        ("国控**医药连锁有限公司**店通过网络销售药品案", "", "行政处罚信息公开表", "国控**医药连锁有限公司**店", "title"),
        ("泸州市龙马潭区吴氏美容美发中心（宋屿江）经营药品案", "", "行政处罚信息公开表", "泸州市龙马潭区吴氏美容美发中心（宋屿江）", "title"),
        ("某市市场监管局查处违法行为", "某区市场监管局查处甲乙科技有限公司虚假宣传案。", "行政处罚/通报", "甲乙科技有限公司", "查处 sentence"),
        ("某区局通报", "某区局查处甲乙科技有限公司在其门店销售过期食品。", "行政处罚/通报", "甲乙科技有限公司", "查处 sentence"),
        ("某区局通报", "某区局查处丙医药连锁有限公司某某店销售药品案。", "行政处罚/通报", "丙医药连锁有限公司某某店", "查处 sentence"),
    ],
)
def test_extract_party_found(title: str, fact: str, kind: str, party: str, found_in: str) -> None:
    assert extract_party(title, fact, kind)[:2] == (party, found_in)


@pytest.mark.parametrize(
    ("title", "fact", "kind"),
    [
        ("当事人购进陈皮时未如实记录", "", "行政处罚信息公开表"),
        ("生产虚假标注生产日期的食品案（泸市监处〔2025〕30号）", "", "行政处罚信息公开表"),
        ("专利号为ZL202330222950.9名称为套筒扳手的外观设计专利纠纷", "", "专利侵权纠纷行政裁决"),
        ("肖鹏销售侵犯注册商标专用权的商品案", "", "行政处罚决定书"),
        ("某市公布5起典型案例", "甲区局查处甲科技有限公司虚假宣传案。", "行政处罚/通报"),
        ("某区市场监管局通报", "甲区局查处锡山区两家餐饮单位（甲饭店、乙饭店）案", "行政处罚/通报"),
    ],
)
def test_extract_party_left_empty(title: str, fact: str, kind: str) -> None:
    assert extract_party(title, fact, kind)[0] == ""


def test_extract_party_roundup_mentions() -> None:
    fact = "一、甲区局查处甲科技有限公司虚假宣传案。二、乙区局查处乙食品厂违法案。"

    party, _found_in, mentioned = extract_party("某市公布典型案例", fact, "行政处罚/通报")

    assert party == ""
    assert mentioned == ["甲科技有限公司", "乙食品厂"]


@pytest.mark.parametrize(
    ("title", "number"),
    [
        ("规范申请专利案（粤市监处罚〔2026〕14号）", "粤市监处罚〔2026〕14号"),
        ("青岛市李沧区市场监督管理局行政处罚告知书——青李沧市监批清告字〔2026〕3号", "青李沧市监批清告字〔2026〕3号"),
        ("四川巴蜀好利食品有限公司案（泸市监罚【2026】4号）", "泸市监罚【2026】4号"),
        ("行政处罚文书送达公告（青黄市监罚送告〔2026〕7514-7609号）", "青黄市监罚送告〔2026〕7514-7609号"),
        ("昆明市市场监督管理局行政处罚决定书云市监昆处罚〔2025〕1144号", "云市监昆处罚〔2025〕1144号"),
        ("专利纠纷（佛知纠字（2022）第10号案）", "佛知纠字（2022）第10号"),
        ("市场监管总局发布一批典型案例", ""),
    ],
)
def test_decision_number_from_title_cases(title: str, number: str) -> None:
    assert decision_number_from_title(title) == number


@pytest.mark.parametrize(
    ("fact", "date"),
    [
        ("本局于2024年3月6日对当事人作出行政处罚决定（东市监处罚〔2024〕1号）。", "2024年3月6日"),
        ("作出行政处罚决定日期：2026年9月8日", "2026年9月8日"),
        ("我局于2026年6月3日予以立案调查。", ""),
    ],
)
def test_decision_date_from_text_cases(fact: str, date: str) -> None:
    assert decision_date_from_text(fact) == date


@pytest.mark.parametrize(
    ("fact", "sentences"),
    [
        ("经查属实。决定给予警告，罚款5000元。", ["决定给予警告，罚款5000元。"]),
        ("责令改正；没收违法所得1.2万元。其余事项另行处理。", ["责令改正；", "没收违法所得1.2万元。"]),
        ("经查属实。", []),
    ],
)
def test_penalty_sentences_cases(fact: str, sentences: list[str]) -> None:
    assert penalty_sentences(fact) == sentences


@pytest.mark.parametrize(
    ("fact", "sentences"),
    [
        ("违反了《中华人民共和国广告法》第二十八条的规定。经查属实。", ["违反了《中华人民共和国广告法》第二十八条的规定。"]),
        ("符合《规范申请专利行为的规定》(国家知识产权局令第77号)第三条的情形。", ["符合《规范申请专利行为的规定》(国家知识产权局令第77号)第三条的情形。"]),
        ("提供《营业执照》复印件。", []),
    ],
)
def test_legal_basis_sentences_cases(fact: str, sentences: list[str]) -> None:
    assert legal_basis_sentences(fact) == sentences


@pytest.mark.parametrize(
    ("fact", "text"),
    [
        ("【 中 小 】 --> 9月7日，某局公布案例。", "9月7日，某局公布案例。"),
        ("显示全部表格信息 start--> 某局发布案例。", "某局发布案例。"),
        ("当事人：甲公司", "当事人：甲公司"),
    ],
)
def test_strip_page_chrome_cases(fact: str, text: str) -> None:
    assert strip_page_chrome(fact) == text


def test_cases_document_fields() -> None:
    record = {
        "title": "甲科技有限公司虚假宣传案（甲市监罚〔2026〕7号）",
        "url": "https://amr.example.gov.cn/xzcf/post_1.html",
        "date": "2026-09-03",
        "org": "地方市场监管局",
        "agency": "甲市市场监督管理局",
        "type": "广告违法",
        "laws": ["中华人民共和国广告法"],
        "fines": ["5000元", "1.2万元"],
        "fact": "当事人：甲科技有限公司 住所：甲市。违反《中华人民共和国广告法》第二十八条。决定罚款5000元。",
        "caseno": "",
        "kind": "行政处罚决定书",
        "attach": ["https://amr.example.gov.cn/a.pdf"],
    }
    document = make_document("lawdatify_cases", record, url=record["url"], record_key="c1")

    [draft] = parse_document(document)

    assert draft.party_raw == "甲科技有限公司"
    assert draft.decision_number_raw == "甲市监罚〔2026〕7号"
    assert draft.regulator_raw == "甲市市场监督管理局"
    assert draft.publish_date_raw == "2026-09-03"
    assert draft.decision_date_raw == ""
    assert draft.legal_basis_raw == ["中华人民共和国广告法", "违反《中华人民共和国广告法》第二十八条。"]
    assert draft.amounts_raw == ["5000元", "1.2万元"]
    assert draft.penalty_raw == "决定罚款5000元。"
    assert draft.domain_hint == "广告违法"
    assert draft.extra["attachments"] == ["https://amr.example.gov.cn/a.pdf"]
    assert draft.extra["page_record"] == "c1"
    assert draft.extra["kind"] == "行政处罚决定书"


def test_cases_regulator_falls_back_to_org() -> None:
    record = {"title": "通报", "url": "https://www.cac.gov.cn/a.htm", "org": "国家网信办", "fact": "", "laws": [], "fines": []}

    [draft] = parse_document(make_document("lawdatify_cases", record))

    assert draft.regulator_raw == "国家网信办"


# lawdatify_appviol


def test_appviol_one_draft_per_row() -> None:
    notice = make_notice([app_row("甲商城", "甲科技有限公司"), app_row("乙助手", "", ["强制频繁过度索取权限"])])

    drafts = parse_document(make_document("lawdatify_appviol", notice))

    assert [draft.party_raw for draft in drafts] == ["甲科技有限公司", ""]
    assert [draft.extra["app"] for draft in drafts] == ["甲商城", "乙助手"]
    assert drafts[1].violation_raw == ["强制频繁过度索取权限"]
    assert drafts[0].record_key == row_record_key(0, "甲商城", "甲科技有限公司")


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("regulator_raw", "山东省通信管理局"),
        ("publish_date_raw", "2026-09-02"),
        ("province_hint", "山东省"),
        ("penalty_raw", "整改复核"),
        ("title", "山东省通信管理局关于不合格APP整改情况的通报（2026年第3批）"),
    ],
)
def test_appviol_notice_fields(field: str, expected: str) -> None:
    [draft] = parse_document(make_document("lawdatify_appviol", make_notice([app_row("甲商城", "甲科技有限公司")])))

    assert getattr(draft, field) == expected


def test_appviol_year_precision_kept() -> None:
    notice = make_notice([app_row("甲商城", "甲科技有限公司")], date="2024-01-01", date_precision="year")

    [draft] = parse_document(make_document("lawdatify_appviol", notice))

    assert draft.publish_date_raw == "2024-01-01"
    assert draft.extra["date_precision"] == "year"


def test_appviol_batch_fields() -> None:
    [draft] = parse_document(make_document("lawdatify_appviol", make_notice([app_row("甲商城", "甲科技有限公司")])))

    assert draft.extra["batch"] == {"year_batch": 3, "batch_year": 2026}


def test_appviol_notice_without_rows() -> None:
    drafts = parse_document(make_document("lawdatify_appviol", make_notice([])))

    assert len(drafts) == 1
    assert drafts[0].record_key == "notice"
    assert drafts[0].party_raw == ""


def test_appviol_record_keys_stable() -> None:
    notice = make_notice([app_row("甲商城", "甲科技有限公司"), app_row("甲商城", "甲科技有限公司")])

    first = [draft.record_key for draft in parse_document(make_document("lawdatify_appviol", notice))]
    second = [draft.record_key for draft in parse_document(make_document("lawdatify_appviol", notice))]

    assert first == second
    assert len(set(first)) == 2


@pytest.mark.parametrize(
    ("app", "dev", "suspect"),
    [
        ("附件1", "", True),
        ("附件 2", "", True),
        ("责令整改通知书", "", True),
        ("责令改正通知书", "", True),
        ("（九）应用分发平台上的APP信息明示不到位", "", True),
        ("", "", True),
        ("甲商城", "甲科技有限公司", False),
        ("防沉迷应用锁", "", False),
    ],
)
def test_is_suspect_row_cases(app: str, dev: str, suspect: bool) -> None:
    assert is_suspect_row(app, dev) is suspect


def test_appviol_suspect_row_marked() -> None:
    notice = make_notice([app_row("附件1", ""), app_row("甲商城", "甲科技有限公司")])

    drafts = parse_document(make_document("lawdatify_appviol", notice))

    assert drafts[0].extra.get("suspect_row") is True
    assert "suspect_row" not in drafts[1].extra


# lawdatify_batches


def test_batches_notice_draft() -> None:
    batch = {
        "title": "关于侵害用户权益行为的APP（SDK）通报（2026年第5批，总第58批）",
        "url": "https://www.miit.gov.cn/jgsj/xgj/tzgg/art/2026/art_0002.html",
        "date": "2026-08-25",
        "org": "中央网信办",
        "orgs": ["中央网信办", "工业和信息化部", "公安部"],
        "apps_count": 26,
        "categories": [],
        "images": [],
        "kind": "App(SDK)通报",
        "year": 2026,
        "batch_in_year": 5,
        "batch_total": 58,
    }

    [draft] = parse_document(make_document("lawdatify_batches", batch))

    assert draft.party_raw == ""
    assert draft.record_key == "notice"
    assert draft.regulator_raw == "中央网信办"
    assert draft.extra["apps_count"] == 26
    assert draft.extra["orgs"] == ["中央网信办", "工业和信息化部", "公安部"]
    assert draft.extra["batch"] == {"year": 2026, "batch_in_year": 5, "batch_total": 58}


# Registry


def test_registry_unknown_source() -> None:
    document = make_document("nfra", {"url": "https://www.nfra.gov.cn/a.html"})

    with pytest.raises(UnknownSourceError) as error:
        parse_document(document)

    assert "'nfra'" in str(error.value)
    assert "lawdatify_cases" in str(error.value)


@pytest.mark.parametrize("source", ["lawdatify_cases", "lawdatify_appviol", "lawdatify_batches", "pbc", "sample"])
def test_registry_lists_source(source: str) -> None:
    assert source in PARSERS


# Overlap resolution


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("http://gdca.miit.gov.cn/a/art_1.html", "gdca.miit.gov.cn/a/art_1.html"),
        ("https://GDCA.miit.gov.cn/a/art_1.html#top", "gdca.miit.gov.cn/a/art_1.html"),
        ("https://www.samr.gov.cn/zt/pgt/", "www.samr.gov.cn/zt/pgt"),
        ("https://a.gov.cn/list?page=2", "a.gov.cn/list?page=2"),
    ],
)
def test_canonical_url_cases(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


def notice_drafts(url: str, rows: list[tuple[str, str]], **fields: Any) -> list[CaseDraft]:
    entries = [app_row(app, dev) for app, dev in rows]
    return parse_document(make_document("lawdatify_appviol", make_notice(entries, url=url, **fields)))


def test_overlap_rows_beat_batch() -> None:
    rows = notice_drafts(NOTICE_URL, [("甲商城", "甲科技有限公司"), ("乙助手", "乙公司")])
    batch = parse_document(make_document("lawdatify_batches", {"title": "第3批", "url": NOTICE_URL.replace("https", "http")}))
    case = parse_document(make_document("lawdatify_cases", {"title": "第3批", "url": NOTICE_URL + "/", "kind": "App通报"}))

    kept, superseded = resolve_overlaps(rows + batch + case)

    assert [draft.document_id for draft in kept] == [rows[0].document_id] * 2
    assert {draft.source for draft, _reason in superseded} == {"lawdatify_batches", "lawdatify_cases"}
    assert all(reason.startswith(f"superseded by {rows[0].document_id}") for _draft, reason in superseded)
    assert kept[0].extra["superseded_documents"] == sorted({batch[0].document_id, case[0].document_id})


def test_overlap_batch_beats_case() -> None:
    batch = parse_document(make_document("lawdatify_batches", {"title": "第3批", "url": NOTICE_URL}))
    case = parse_document(make_document("lawdatify_cases", {"title": "第3批", "url": NOTICE_URL, "kind": "App通报"}))

    kept, superseded = resolve_overlaps(case + batch)

    assert [draft.source for draft in kept] == ["lawdatify_batches"]
    assert superseded[0][0].extra["superseded_by"]["source"] == "lawdatify_batches"


def test_overlap_same_notice_two_urls() -> None:
    rows = [("甲商城", "甲科技有限公司")]
    first = notice_drafts(NOTICE_URL, rows)
    second = notice_drafts(NOTICE_URL.replace("xwdt/tzgg", "zwgk/wlaq").replace("0001", "0009"), rows)

    kept, superseded = resolve_overlaps(first + second)

    assert len(kept) == 1
    assert len(superseded) == 1
    assert "same notice" in superseded[0][1]


def test_overlap_different_rows_kept() -> None:
    first = notice_drafts(NOTICE_URL, [("甲商城", "甲科技有限公司")])
    second = notice_drafts(NOTICE_URL.replace("0001", "0009"), [("乙助手", "乙公司")])

    kept, superseded = resolve_overlaps(first + second)

    assert len(kept) == 2
    assert superseded == []


def test_overlap_year_only_empty_kept() -> None:
    title = "广东省通信管理局关于下架1款侵害用户权益APP的通报"
    first = notice_drafts(NOTICE_URL, [], title=title, date="2023-01-01", date_precision="year")
    second = notice_drafts(NOTICE_URL.replace("0001", "0009"), [], title=title, date="2023-01-01", date_precision="year")

    kept, superseded = resolve_overlaps(first + second)

    assert len(kept) == 2
    assert superseded == []


def test_overlap_page_records_kept() -> None:
    url = "https://scjgj.example.gov.cn/content_1"
    first = parse_document(make_document("lawdatify_cases", {"title": "甲案", "url": url}, record_key="c1"))
    second = parse_document(make_document("lawdatify_cases", {"title": "乙案", "url": url}, record_key="c2"))

    kept, superseded = resolve_overlaps(first + second)

    assert len(kept) == 2
    assert superseded == []


def test_overlap_republished_decision() -> None:
    record = {"title": "甲公司垄断协议案行政处罚决定书", "date": "2022-07-06", "org": "市场监管总局", "fact": "当事人：甲公司"}
    first = parse_document(make_document("lawdatify_cases", {**record, "url": "https://www.samr.gov.cn/art/2022/art_1.html"}))
    second = parse_document(make_document("lawdatify_cases", {**record, "url": "https://www.samr.gov.cn/art/2023/art_2.html"}))

    kept, superseded = resolve_overlaps(first + second)

    assert len(kept) == 1
    assert "same decision" in superseded[0][1]


def test_overlap_keeps_order() -> None:
    drafts = notice_drafts(NOTICE_URL, [("甲商城", "甲科技有限公司"), ("乙助手", "乙公司"), ("丙阅读", "丙公司")])

    kept, _superseded = resolve_overlaps(drafts)

    assert kept == drafts


# Real public records (read-only archive; never copied into the repository).


@pytest.fixture(scope="module")
def real_drafts() -> list[CaseDraft]:
    if not ARCHIVE.is_dir():
        pytest.skip(f"archive folder {ARCHIVE} not found; set EINTEL_ARCHIVE to the real public records")

    from scrapers.importers import import_archive

    documents = import_archive(ARCHIVE).documents
    return [draft for document in documents if document.source.startswith("lawdatify") for draft in parse_document(document)]


def level(draft: CaseDraft) -> str:
    return "notice" if draft.record_key in {"notice", "case"} else "row"


@pytest.mark.real_data
@pytest.mark.parametrize(
    ("source", "draft_level", "count"),
    [
        ("lawdatify_appviol", "row", 5791),
        ("lawdatify_appviol", "notice", 274),
        ("lawdatify_cases", "notice", 733),
        ("lawdatify_batches", "notice", 111),
    ],
)
def test_real_draft_counts(real_drafts: list[CaseDraft], source: str, draft_level: str, count: int) -> None:
    counts = Counter((draft.source, level(draft)) for draft in real_drafts)

    assert counts[(source, draft_level)] == count


@pytest.mark.real_data
def test_real_case_ids_unique(real_drafts: list[CaseDraft]) -> None:
    case_ids = [draft.case_id for draft in real_drafts]

    assert len(set(case_ids)) == len(case_ids)


@pytest.mark.real_data
def test_real_year_precision_rows(real_drafts: list[CaseDraft]) -> None:
    year_only = {draft.document_id for draft in real_drafts if draft.extra.get("date_precision") == "year"}

    assert len(year_only) == 107


@pytest.mark.real_data
@pytest.mark.parametrize(
    ("superseded_source", "draft_level", "winner_source", "count"),
    [
        ("lawdatify_batches", "notice", "lawdatify_appviol", 91),
        ("lawdatify_cases", "notice", "lawdatify_appviol", 91),
        ("lawdatify_cases", "notice", "lawdatify_batches", 20),
        ("lawdatify_cases", "notice", "lawdatify_cases", 66),
        ("lawdatify_appviol", "notice", "lawdatify_appviol", 34),
        ("lawdatify_appviol", "row", "lawdatify_appviol", 456),
    ],
)
def test_real_overlap_counts(
    real_drafts: list[CaseDraft], superseded_source: str, draft_level: str, winner_source: str, count: int
) -> None:
    _kept, superseded = resolve_overlaps(real_drafts)

    assert count_superseded(superseded)[(superseded_source, draft_level, winner_source)] == count


@pytest.mark.real_data
def test_real_overlap_pair_resolved(real_drafts: list[CaseDraft]) -> None:
    kept, _superseded = resolve_overlaps(real_drafts)
    kept_notices = {draft.extra.get("upstream_id") for draft in kept if draft.source == "lawdatify_appviol"}

    assert len(kept_notices & {"26ec418b4885", "3b7187a383a7"}) == 1
