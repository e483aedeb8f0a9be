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
    amounts_in_text,
    decision_date_from_text,
    decision_number_from_title,
    extract_party,
    legal_basis_sentences,
    penalty_sentences,
    regulator_before_chachu,
    regulator_in_case,
    roundup_total,
    split_roundup,
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
        ("李明销售侵犯注册商标专用权的商品案（泸市监处罚〔2026〕54号）", "销售侵权商品", "行政处罚信息公开表", "李明", "title"),
        ("宋国玖商业贿赂案（泸市监罚〔2026〕45号）", "", "行政处罚信息公开表", "宋国玖", "title"),
        ("四川川一口腔门诊部有限公司发布医疗广告案", "", "行政处罚信息公开表", "四川川一口腔门诊部有限公司", "title"),
        ("国控**医药连锁有限公司**店通过网络销售药品案", "", "行政处罚信息公开表", "国控**医药连锁有限公司**店", "title"),
        ("泸州市龙马潭区吴氏美容美发中心（王小明）经营药品案", "", "行政处罚信息公开表", "泸州市龙马潭区吴氏美容美发中心（王小明）", "title"),
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
        ("李明销售侵犯注册商标专用权的商品案", "", "行政处罚决定书"),
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


# lawdatify_cases round-ups (one draft per listed case that names a party)

ROUNDUP_URL = "https://scjgj.example.gov.cn/art/2026/art_7.html"

ORDINAL_FACT = (
    "某市局近日公布一批案例，现公布如下： "
    "一、甲区市场监管局查处甲科技有限公司虚假宣传案 （一）案件介绍 2026年3月2日，甲区局检查当事人。"
    "当事人的行为违反了《中华人民共和国反不正当竞争法》第八条第一款的规定。甲区局作出罚款15万元的行政处罚。 "
    "二、乙县市场监督管理局查处乙食品厂生产不合格食品案 （一）案件介绍 乙县局没收违法所得5万元，罚款1.2万元。 "
    "三、丙区市场监管局查处丙丁商行销售侵权商品案 丙区局对当事人罚款"
)
LABEL_FACT = (
    "为发挥警示作用，现公布3起案例。 "
    "案例一：丁区市场监管局查处某熟食店经营过期食品案 案情简介 经查，当事人销售过期食品。"
    "丁区局依法作出如下行政处罚：1.没收违法所得69元；2.罚款2万元。 "
    "案例二：戊区市场监管局查处朱某销售假冒商品案 案情简介 戊区局将案件移送公安机关。 "
    "案例三：己区市场监管局查处"
)
DOTTED_FACT = (
    "现将部分典型案例公布如下： "
    "1.庚县市场监管局查处庚贸易公司销售侵权钢材案 2024年2月6日，庚县局对庚贸易公司作出罚款47720.7元的行政处罚。 "
    "2.辛县市场监管局查处辛化工有限公司生产不合格化肥案 辛县局对当事人罚款3000元。"
)
CLAUSE_FACT = (
    "近日，某省局公布了一批案例。 壬区市场监管局查处壬电子有限公司破坏计量器具准确度案。"
    "经查，当事人改装电子秤，壬区局罚款9000元。 不合格校服类案件包括癸区市场监管局查处癸服装厂生产不合格校服案，"
    "子市市场监管局查处子服饰有限公司销售不合格学生装案。"
)


def roundup_document(title: str, fact: str, fines: list[str], **fields: Any) -> RawDocument:
    record = {
        "title": title,
        "url": ROUNDUP_URL,
        "date": "2026-09-07",
        "org": "地方市场监管局",
        "agency": None,
        "type": "产品质量",
        "laws": ["中华人民共和国产品质量法"],
        "fines": fines,
        "fact": fact,
        "kind": "行政处罚/通报",
        "attach": [],
    }
    record.update(fields)
    return make_document("lawdatify_cases", record, url=ROUNDUP_URL, record_key="r1")


@pytest.mark.parametrize(
    ("title", "fact", "fines", "parties", "amounts", "record_keys"),
    [
        (
            "某市公布3起典型案例",
            ORDINAL_FACT,
            ["15万元", "5万元", "1.2万元"],
            ["甲科技有限公司", "乙食品厂", "丙丁商行"],
            [["15万元"], ["5万元", "1.2万元"], []],
            ["case-1", "case-2", "case-3"],
        ),
        (
            "某市公布三起典型案例",
            LABEL_FACT,
            ["69元", "2万元"],
            ["某熟食店", "朱某"],
            [["69元", "2万元"], []],
            ["case-1", "case-2"],
        ),
        (
            "某省公布一批典型案例（第四批）",
            DOTTED_FACT,
            ["47720.7元", "3000元"],
            ["庚贸易公司", "辛化工有限公司"],
            [["47720.7元"], ["3000元"]],
            ["case-1", "case-2"],
        ),
        (
            "某省公布一批典型案例",
            CLAUSE_FACT,
            ["9000元"],
            ["壬电子有限公司", "癸服装厂", "子服饰有限公司"],
            [["9000元"], [], []],
            ["case-1", "case-2", "case-3"],
        ),
    ],
    ids=["ordinal", "label", "dotted", "clause"],
)
def test_roundup_drafts_per_case(
    title: str, fact: str, fines: list[str], parties: list[str], amounts: list[list[str]], record_keys: list[str]
) -> None:
    drafts = parse_document(roundup_document(title, fact, fines))

    assert len(drafts) == len(parties)
    assert [draft.party_raw for draft in drafts] == parties
    assert [draft.amounts_raw for draft in drafts] == amounts
    assert [draft.record_key for draft in drafts] == record_keys


def test_roundup_case_fields() -> None:
    first, second, third = parse_document(roundup_document("某市公布3起典型案例", ORDINAL_FACT, ["15万元", "5万元", "1.2万元"]))

    assert first.regulator_raw == "甲区市场监管局"
    assert second.regulator_raw == "乙县市场监督管理局"
    assert first.text.startswith("一、甲区市场监管局查处甲科技有限公司")
    assert "乙食品厂" not in first.text
    assert first.penalty_raw == "甲区局作出罚款15万元的行政处罚。"
    assert first.legal_basis_raw == ["当事人的行为违反了《中华人民共和国反不正当竞争法》第八条第一款的规定。"]
    assert second.legal_basis_raw == []
    assert first.publish_date_raw == "2026-09-07"
    assert first.extra["roundup_position"] == 1
    assert third.extra["roundup_position"] == 3
    assert first.extra["roundup_total"] == 3
    assert first.extra["page_record"] == "r1"
    assert first.extra["kind"] == "行政处罚/通报"
    assert "parties_mentioned" not in first.extra


def test_roundup_truncated_last_case() -> None:
    drafts = parse_document(roundup_document("某市公布3起典型案例", ORDINAL_FACT, []))

    assert drafts[-1].extra["truncated"] is True
    assert "truncated" not in drafts[0].extra


def test_roundup_complete_not_truncated() -> None:
    drafts = parse_document(roundup_document("某省公布一批典型案例（第四批）", DOTTED_FACT, []))

    assert all("truncated" not in draft.extra for draft in drafts)


def test_roundup_decision_date_per_case() -> None:
    fact = (
        "一、甲区市场监管局查处甲科技有限公司虚假宣传案 甲区局于2026年4月1日对当事人作出行政处罚决定。 "
        "二、乙区市场监管局查处乙丙商行虚假宣传案 乙区局责令改正。"
    )

    first, second = parse_document(roundup_document("某市公布2起典型案例", fact, []))

    assert first.decision_date_raw == "2026年4月1日"
    assert second.decision_date_raw == ""


def test_roundup_single_case_keeps_laws() -> None:
    fact = "现公布如下： 一、甲区市场监管局查处甲科技有限公司销售不合格产品案 甲区局罚款"

    [draft] = parse_document(roundup_document("某市公布一批典型案例", fact, []))

    assert draft.legal_basis_raw == ["中华人民共和国产品质量法"]


def test_roundup_co_parties() -> None:
    fact = "一、甲区市场监管局查处甲科技有限公司、乙仪器有限公司、徐某侵犯商业秘密案 经查，"

    [draft] = parse_document(roundup_document("某局公布六起侵犯商业秘密典型案例", fact, []))

    assert draft.party_raw == "甲科技有限公司"
    assert draft.extra["co_parties_mentioned"] == ["乙仪器有限公司", "徐某"]
    assert draft.extra["roundup_total"] == 6


def test_roundup_without_party_one_draft() -> None:
    fact = "现公布如下： 一、甲区局对多家门店开展检查案 二、乙区局开展专项整治案 "

    [draft] = parse_document(roundup_document("某市公布2起典型案例", fact, ["5000元"]))

    assert draft.record_key == "case"
    assert draft.party_raw == ""
    assert draft.amounts_raw == ["5000元"]


def test_roundup_mentions_kept_without_markers() -> None:
    fact = "甲区局依法查处甲科技有限公司、乙商行等违法行为。"

    [draft] = parse_document(roundup_document("某市公布一批典型案例", fact, []))

    assert draft.record_key == "case"
    assert draft.extra["parties_mentioned"] == ["甲科技有限公司"]


def test_single_case_record_key_kept() -> None:
    fact = "某区市场监管局查处甲乙科技有限公司虚假宣传案。"

    [draft] = parse_document(roundup_document("某市场监管局通报", fact, []))

    assert draft.record_key == "case"
    assert draft.party_raw == "甲乙科技有限公司"


@pytest.mark.parametrize(
    ("fact", "starts"),
    [
        ("引言。 一、甲局查处甲有限公司案 正文。 二、乙局查处乙厂案 正文。", ["一、甲局", "二、乙局"]),
        ("引言。 一、甲局查处甲有限公司案 （一）案件介绍 正文 （二）典型意义 正文", ["一、甲局"]),
        ("引言，统一、规范经营。 一、甲局查处甲有限公司案", ["一、甲局"]),
        ("引言。 案 例 1 甲局查处甲有限公司案 罚款：1.没收；2.罚款。 案 例 2 乙局查处乙厂案", ["案 例 1", "案 例 2"]),
        ("共查处违法案件1640件。 案例一：甲有限公司虚假宣传案", ["案例一：甲"]),
        ("依法作出如下处罚：1.没收违法所得；2.罚款1万元。", []),
        ("引言。 二、乙局查处乙厂案", []),
    ],
)
def test_split_roundup_cases(fact: str, starts: list[str]) -> None:
    segments = split_roundup(fact)

    assert [segment[: len(start)] for segment, start in zip(segments, starts)] == starts
    assert len(segments) == len(starts)


@pytest.mark.parametrize(
    ("title", "total"),
    [
        ("苏州公布5起典型案例", 5),
        ("市场监管总局公布六起侵犯商业秘密典型案例", 6),
        ("新疆公布5件电子计价秤计量违法典型案例", 5),
        ("2023年铁拳行动十大典型案例", 10),
        ("某局发布典型案例（第一批）", None),
    ],
)
def test_roundup_total_cases(title: str, total: int | None) -> None:
    assert roundup_total(title) == total


@pytest.mark.parametrize(
    ("segment", "regulator"),
    [
        ("一、江苏省淮安市淮阴区市场监管局查处甲有限公司案", "江苏省淮安市淮阴区市场监管局"),
        ("在上海市市场监管局执法总队查处甲餐饮公司案中", "上海市市场监管局"),
        ("不合格校服类案件包括太原市杏花岭区市场监管局查处甲服装厂案", "太原市杏花岭区市场监管局"),
        ("案例一：宜兴市市场监督管理局查处某熟食店案", "宜兴市市场监督管理局"),
        ("一、甲有限公司虚假宣传案 执法人员检查时发现", ""),
    ],
)
def test_regulator_before_chachu_cases(segment: str, regulator: str) -> None:
    assert regulator_before_chachu(segment) == regulator


@pytest.mark.parametrize(
    ("segment", "regulator"),
    [
        ("案例一 甲有限公司虚假宣传案 2026年1月5日，甲县市场监管局执法人员检查时发现", "甲县市场监管局"),
        ("一、乙区市场监管局查处乙有限公司案 丙市市场监督管理局复核", "乙区市场监管局"),
        ("一、丁有限公司虚假宣传案 执法人员检查时发现", ""),
    ],
)
def test_regulator_in_case_cases(segment: str, regulator: str) -> None:
    assert regulator_in_case(segment) == regulator


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("罚款15万元。", ["15万元"]),
        ("没收5万元，罚款1.2万元。", ["5万元", "1.2万元"]),
        ("罚款 5000 元。", ["5000元"]),
        ("罚款2.5万元。", []),
    ],
)
def test_amounts_in_text_cases(text: str, found: list[str]) -> None:
    assert amounts_in_text(["15万元", "5万元", "1.2万元", "5000元", "5万元"], text) == found


# lawdatify_appviol


def test_appviol_one_draft_per_row() -> None:
    notice = make_notice([app_row("甲商城", "甲科技有限公司"), app_row("乙助手", "", ["强制频繁过度索取权限"])])

    drafts = parse_document(make_document("lawdatify_appviol", notice))

    assert [draft.party_raw for draft in drafts] == ["甲科技有限公司", ""]
    assert [draft.extra["app"] for draft in drafts] == ["甲商城", "乙助手"]
    assert drafts[1].violation_raw == ["强制频繁过度索取权限"]
    assert drafts[0].record_key == row_record_key(0, "甲商城", "甲科技有限公司")


def test_appviol_row_text() -> None:
    notice = make_notice([app_row("乙助手", "乙网络科技有限公司", ["强制频繁过度索取权限", "违规收集个人信息"])])

    [draft] = parse_document(make_document("lawdatify_appviol", notice))

    assert "应用名称：乙助手" in draft.text
    assert "运营者：乙网络科技有限公司" in draft.text
    assert "所涉问题：强制频繁过度索取权限；违规收集个人信息" in draft.text


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
    document = make_document("no_such_source", {"url": "https://example.org/a.html"})

    with pytest.raises(UnknownSourceError) as error:
        parse_document(document)

    assert "'no_such_source'" in str(error.value)
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


def test_overlap_republished_roundup() -> None:
    first = parse_document(roundup_document("某市公布3起典型案例", ORDINAL_FACT, []))
    second_document = roundup_document("某市公布3起典型案例", ORDINAL_FACT, [])
    second = parse_document(make_document(
        "lawdatify_cases", second_document.json_content(), url=ROUNDUP_URL.replace("2026", "2027"), record_key="r2"
    ))

    kept, superseded = resolve_overlaps(first + second)

    assert [draft.record_key for draft in kept] == ["case-1", "case-2", "case-3"]
    assert len(superseded) == 3
    assert all("same decision" in reason for _draft, reason in superseded)


def test_overlap_roundup_cases_kept() -> None:
    roundup = parse_document(roundup_document("某市公布3起典型案例", ORDINAL_FACT, []))
    other = parse_document(roundup_document("某市公布3起典型案例", DOTTED_FACT, [], url="https://scjgj.example.gov.cn/b.html"))

    kept, superseded = resolve_overlaps(roundup + other)

    assert len(kept) == 5
    assert superseded == []


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
        ("lawdatify_cases", "notice", 672),
        ("lawdatify_cases", "row", 68),
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
        ("lawdatify_cases", "notice", "lawdatify_cases", 65),
        ("lawdatify_cases", "row", "lawdatify_cases", 1),
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


@pytest.fixture(scope="module")
def real_roundup_drafts() -> list[list[CaseDraft]]:
    """Drafts of each real round-up that names organisations after 查处 (41 records)."""
    if not ARCHIVE.is_dir():
        pytest.skip(f"archive folder {ARCHIVE} not found; set EINTEL_ARCHIVE to the real public records")

    from scrapers.importers import import_archive

    roundups: list[list[CaseDraft]] = []
    for document in import_archive(ARCHIVE).documents:
        if document.source != "lawdatify_cases":
            continue
        record = document.json_content()
        fact = strip_page_chrome(str(record.get("fact") or ""))
        if extract_party(str(record.get("title") or ""), fact, str(record.get("kind") or ""))[2]:
            roundups.append(parse_document(document))
    return roundups


@pytest.mark.real_data
def test_real_roundup_records(real_roundup_drafts: list[list[CaseDraft]]) -> None:
    assert len(real_roundup_drafts) == 41


@pytest.mark.real_data
def test_real_roundup_draft_count(real_roundup_drafts: list[list[CaseDraft]]) -> None:
    # Measured 2026-12-04 with this parser on the archive: 47 drafts, because most round-up excerpts are cut off after the first case.
    assert sum(len(drafts) for drafts in real_roundup_drafts) >= 47


@pytest.mark.real_data
def test_real_roundup_party_share(real_roundup_drafts: list[list[CaseDraft]]) -> None:
    drafts = [draft for document_drafts in real_roundup_drafts for draft in document_drafts]

    # Measured 2026-12-04 with this parser on the archive: all 47 drafts name a party.
    assert sum(1 for draft in drafts if draft.party_raw) / len(drafts) >= 0.95


@pytest.mark.real_data
def test_real_roundup_keys_per_case(real_roundup_drafts: list[list[CaseDraft]]) -> None:
    keys = [draft.record_key for drafts in real_roundup_drafts for draft in drafts]

    assert all(key.startswith("case-") for key in keys)
