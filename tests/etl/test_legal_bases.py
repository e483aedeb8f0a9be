"""Tests for legal bases: canonical law titles and 《law》第…条 citations."""

from __future__ import annotations

import json
import re

import pytest

from etl.models import LegalBasis, ParseWarning
from etl.normalize.legal_bases import (
    extract_legal_bases,
    legal_bases_from_titles,
    normalize_law_title,
)
from tests.realdata import archive_file


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("《中华人民共和国个人信息保护法》", "个人信息保护法"),
        ("个人信息保护法", "个人信息保护法"),
        ("个保法", "个人信息保护法"),
        ("《网安法》", "网络安全法"),
        ("中华人民共和国 食品安全法", "食品安全法"),
        ("《中 华人民共和国反垄断法》", "反垄断法"),
        ("市场监 督管理行政处罚听证办法", "市场监督管理行政处罚听证办法"),
        ("中华人民共和国反不正当竞争法（2019年修正）", "反不正当竞争法"),
        ("网络交易监督管理办法（2025修正）", "网络交易监督管理办法"),
        ("垄断协议个人责任适用指引（征求意见稿）", "垄断协议个人责任适用指引（征求意见稿）"),
        ("燃油加油机计量检定规程 (试行)", "燃油加油机计量检定规程（试行）"),
        ("广东省实施<中华人民共和国计量法>办法", "广东省实施〈中华人民共和国计量法〉办法"),
        ("《App违法违规收集使用个人信息行为认定方法》", "App违法违规收集使用个人信息行为认定方法"),
        ("APP违法违规收集使用个人信息行为认定方法", "App违法违规收集使用个人信息行为认定方法"),
        ("食品安全国家标准 食品添加剂使用标准", "食品安全国家标准食品添加剂使用标准"),
        ("  《数据安全法》 ", "数据安全法"),
    ],
)
def test_normalize_law_title_value(title: str, expected: str) -> None:
    assert normalize_law_title(title) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("《中华人民共和国个人信息保护法》第六十六条", [("个人信息保护法", 66, "")]),
        ("《个人信息保护法》第66条第一款", [("个人信息保护法", 66, "第一款")]),
        ("《个人信息保护法》第66条第1款", [("个人信息保护法", 66, "第一款")]),
        ("《网络安全法》第四十一条、第六十四条第一款", [("网络安全法", 41, ""), ("网络安全法", 64, "第一款")]),
        (
            "依据《中华人民共和国数据安全法》第二十七条、第四十五条和《行政处罚法》第三十二条第（一）项",
            [("数据安全法", 27, ""), ("数据安全法", 45, ""), ("行政处罚法", 32, "第（一）项")],
        ),
        ("根据《广告法》第十条和第五十七条", [("广告法", 10, ""), ("广告法", 57, "")]),
        ("《食品安全法》第一百二十二条第二款", [("食品安全法", 122, "第二款")]),
        ("《特种设备安全法》第八十五条第一款第二项", [("特种设备安全法", 85, "第一款第（二）项")]),
        ("《反垄断法》第十七条第一 项", [("反垄断法", 17, "第（一）项")]),
        ("《价格法》第十四条第(三)项", [("价格法", 14, "第（三）项")]),
        ("《专利代理条例》第二十五条第（二）规定的情形", [("专利代理条例", 25, "第（二）项")]),
        ("《专利代理条例》第二十五条第（二）、第（三）规定", [("专利代理条例", 25, "第（二）项"), ("专利代理条例", 25, "第（三）项")]),
        ("《专利代理条例》第二十五条第二规定", [("专利代理条例", 25, "")]),
        (
            "违反了《企业信息公示暂行条例》第八条第一款、第二款的规定",
            [("企业信息公示暂行条例", 8, "第一款"), ("企业信息公示暂行条例", 8, "第二款")],
        ),
        (
            "《特种设备安全法》第八十二条第一款第（一）项、第（二）项",
            [("特种设备安全法", 82, "第一款第（一）项"), ("特种设备安全法", 82, "第一款第（二）项")],
        ),
        (
            "违反《反不正当竞争法》第八条第一款的规定，依据该法第二十条第一款",
            [("反不正当竞争法", 8, "第一款"), ("反不正当竞争法", 20, "第一款")],
        ),
        ("符合《规范申请专利行为的规定》（国家知识产权局令第77号）第三条的情形", [("规范申请专利行为的规定", 3, "")]),
        ("违反《公平竞争审查条例》的第八条第四项规定", [("公平竞争审查条例", 8, "第（四）项")]),
        ("《刑法》第二百八十六条之一", [("刑法", 286, "之一")]),
        (
            "《中华人民共和国个人信息保护法》（以下简称《个保法》）第十条；违反《个保法》第十条",
            [("个人信息保护法", 10, "")],
        ),
        ("《网络安全法》第四十一条。又依据《网络安全法》第四十一条", [("网络安全法", 41, "")]),
        ("依据《App违法违规收集使用个人信息行为认定方法》进行认定", [("App违法违规收集使用个人信息行为认定方法", None, "")]),
        ("当事人出具了《营业执照》和《询问笔录》", []),
        ("《网络安全法》规定……违反《网络安全法》第二十二条", [("网络安全法", 22, "")]),
    ],
)
def test_extract_legal_bases_items(text: str, expected: list[tuple[str, int | None, str]]) -> None:
    bases, _ = extract_legal_bases(text)

    assert [(basis.law, basis.article, basis.clause) for basis in bases] == expected


@pytest.mark.parametrize(
    "text",
    [
        "《网络安全法》第四十一条、第六十四条第一款",
        "依据《数据安全法》第二十七条和《行政处罚法》第三十二条第（一）项",
        "《信息技术设备 安全 第22部分：室外安装设备》",
    ],
)
def test_extract_legal_bases_no_warning(text: str) -> None:
    _, warnings = extract_legal_bases(text)

    assert warnings == []


@pytest.mark.parametrize(
    ("text", "raw_part"),
    [
        ("违反第十条规定", "第十条"),
        ("根据《XX法》第X条", "第X条"),
        ("依据《广告法》第**条", "第**条"),
    ],
)
def test_extract_legal_bases_unparsed(text: str, raw_part: str) -> None:
    _, warnings = extract_legal_bases(text)

    assert len(warnings) == 1
    assert warnings[0].kind == "legal_basis_unparsed"
    assert warnings[0].field == "legal_bases"
    assert raw_part in warnings[0].raw


def test_extract_legal_bases_empty() -> None:
    assert extract_legal_bases("") == ([], [])


def test_legal_basis_label() -> None:
    bases, _ = extract_legal_bases("《中华人民共和国个人信息保护法》第六十六条第一款")

    assert bases[0].label() == "《个人信息保护法》第66条第一款"


def test_legal_bases_from_titles_values() -> None:
    bases = legal_bases_from_titles(["中华人民共和国食品安全法", "广告法", "食品安全法", "中华人民共和国刑法"])

    assert bases == [LegalBasis(law="食品安全法"), LegalBasis(law="广告法"), LegalBasis(law="刑法")]


def test_legal_bases_from_titles_not_laws() -> None:
    warnings: list[ParseWarning] = []
    bases = legal_bases_from_titles(["检验报告", "行政处罚决定书", "意见", "广告法"], warnings)

    assert bases == [LegalBasis(law="广告法")]
    assert [warning.raw for warning in warnings] == ["检验报告", "行政处罚决定书", "意见"]
    assert {warning.kind for warning in warnings} == {"legal_basis_not_a_law"}


def _lawdatify_records() -> list[dict]:
    cases = json.loads(archive_file("lawdatify/cases/cases.json").read_text(encoding="utf-8"))["cases"]
    lines = archive_file("lawdatify/cases/local_amr.jsonl").read_text(encoding="utf-8").splitlines()
    return cases + [json.loads(line) for line in lines if line.strip()]


@pytest.mark.real_data
def test_real_law_titles_kept() -> None:
    titles = [title for record in _lawdatify_records() for title in record.get("laws") or []]
    warnings: list[ParseWarning] = []
    legal_bases_from_titles(titles, warnings)

    # Measured 2026-12-04: 1,643 of 1,762 titles name a legal instrument; the 119 left
    # out are certificates, reports, product standards and notices.
    assert len(titles) > 1500
    assert 1 - len(warnings) / len(titles) >= 0.9


@pytest.mark.real_data
def test_real_fact_articles_tied() -> None:
    facts = [record.get("fact") or "" for record in _lawdatify_records()]
    article_count = sum(len(re.findall(r"第\s*[\d零〇一二三四五六七八九十百千两]+\s*条", fact)) for fact in facts)
    results = [extract_legal_bases(fact) for fact in facts]
    unparsed = sum(len(warnings) for _, warnings in results)
    found = sum(len(bases) for bases, _ in results)

    # Measured 2026-12-04: 428 article mentions, none left untied; 481 legal bases.
    assert article_count > 400
    assert found > 400
    assert unparsed / article_count <= 0.02
