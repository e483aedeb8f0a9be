"""Tests for etl.normalize.regulators: aliases, local name patterns, joint issuers, warnings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from etl.normalize.regulators import regulator_family_label, resolve_regulator

RAW = Path("/work/shared/data/raw/lawdatify")

# (issuer string, canonical, family, level, province)
SINGLE_CASES = [
    ("中央网信办", "国家互联网信息办公室", "CAC", "national", None),
    ("国家网信办", "国家互联网信息办公室", "CAC", "national", None),
    ("国家互联网信息办公室", "国家互联网信息办公室", "CAC", "national", None),
    ("中央网信办秘书局", "国家互联网信息办公室", "CAC", "national", None),
    ("中央网信办 · 秘书局", "国家互联网信息办公室", "CAC", "national", None),
    ("网信中国", "国家互联网信息办公室", "CAC", "national", None),
    ("浙江网信办", "浙江省互联网信息办公室", "CAC", "provincial", "浙江省"),
    ("浙江省委网信办", "浙江省互联网信息办公室", "CAC", "provincial", "浙江省"),
    ("天津市委网信办", "天津市互联网信息办公室", "CAC", "provincial", "天津市"),
    ("海南省互联网信息办公室", "海南省互联网信息办公室", "CAC", "provincial", "海南省"),
    ("工信部", "工业和信息化部", "MIIT", "national", None),
    ("工业和信息化部 · 信息通信管理局", "工业和信息化部", "MIIT", "national", None),
    ("工信部信息通信管理局", "工业和信息化部", "MIIT", "national", None),
    ("广东省通信管理局", "广东省通信管理局", "MIIT", "provincial", "广东省"),
    ("广东省通信 管理局", "广东省通信管理局", "MIIT", "provincial", "广东省"),
    ("我为群众办实事丨安徽省通信管理局", "安徽省通信管理局", "MIIT", "provincial", "安徽省"),
    ("宁夏回族自治区通信管理局", "宁夏回族自治区通信管理局", "MIIT", "provincial", "宁夏回族自治区"),
    ("中国人民银行", "中国人民银行", "PBC", "national", None),
    ("人民银行总行", "中国人民银行", "PBC", "national", None),
    ("中国人民银行广东省分行", "中国人民银行广东省分行", "PBC", "provincial", "广东省"),
    ("中国人民银行深圳市分行", "中国人民银行深圳市分行", "PBC", "municipal", "广东省"),
    ("中国人民银行泸州市中心支行", "中国人民银行泸州市中心支行", "PBC", "municipal", "四川省"),
    ("中国人民银行营业管理部", "中国人民银行营业管理部", "PBC", "provincial", "北京市"),
    ("国家金融监督管理总局", "国家金融监督管理总局", "NFRA", "national", None),
    ("中国银行保险监督管理委员会", "国家金融监督管理总局", "NFRA", "national", None),
    ("国家金融监督管理总局广东监管局", "国家金融监督管理总局广东监管局", "NFRA", "provincial", "广东省"),
    ("国家金融监督管理总局佛山监管分局", "国家金融监督管理总局佛山监管分局", "NFRA", "municipal", "广东省"),
    ("广东银保监局", "国家金融监督管理总局广东监管局", "NFRA", "provincial", "广东省"),
    ("证监会", "中国证券监督管理委员会", "CSRC", "national", None),
    ("深圳证监局", "中国证券监督管理委员会深圳监管局", "CSRC", "municipal", "广东省"),
    ("中国证券监督管理委员会广东监管局", "中国证券监督管理委员会广东监管局", "CSRC", "provincial", "广东省"),
    ("市场监管总局", "国家市场监督管理总局", "SAMR", "national", None),
    ("广东省市场监督管理局", "广东省市场监督管理局", "SAMR", "provincial", "广东省"),
    ("泸州市市场监督管理局", "泸州市市场监督管理局", "SAMR", "municipal", "四川省"),
    ("佛山市市场监督管理局（佛山市知识产权局）", "佛山市市场监督管理局", "SAMR", "municipal", "广东省"),
    ("青岛市黄岛区市场监督管理局", "青岛市黄岛区市场监督管理局", "SAMR", "county", "山东省"),
    ("天津市市场监管委", "天津市市场监督管理委员会", "SAMR", "provincial", "天津市"),
    ("吉林市市场监督管理局", "吉林市市场监督管理局", "SAMR", "municipal", "吉林省"),
    ("公安部", "公安部", "MPS", "national", None),
    ("广东省公安厅", "广东省公安厅", "MPS", "provincial", "广东省"),
    ("深圳市公安局", "深圳市公安局", "MPS", "municipal", "广东省"),
    ("北京市公安局海淀分局", "北京市公安局海淀分局", "MPS", "county", "北京市"),
    ("公安部第三研究所检测中心", "公安部第三研究所", "MPS", "national", None),
    ("自然资源部", "自然资源部", "MNR", "national", None),
    ("最高人民检察院", "最高人民检察院", "SPP", "national", None),
]


@pytest.mark.parametrize(("name", "canonical", "family", "level", "province"), SINGLE_CASES)
def test_resolve_single_issuer(name: str, canonical: str, family: str, level: str, province: str | None) -> None:
    regulators, warnings = resolve_regulator(name)

    assert len(regulators) == 1
    assert regulators[0].canonical == canonical
    assert regulators[0].family == family
    assert regulators[0].level == level
    assert regulators[0].province == province
    assert warnings == []


@pytest.mark.parametrize(
    ("name", "canonicals"),
    [
        ("四川省通信管理局、重庆市通信管理局", ["四川省通信管理局", "重庆市通信管理局"]),
        ("甘肃省通信管理局 甘肃省互联网信息办公室", ["甘肃省通信管理局", "甘肃省互联网信息办公室"]),
        ("工信部；国家网信办", ["工业和信息化部", "国家互联网信息办公室"]),
        ("中央网信办、国家互联网信息办公室", ["国家互联网信息办公室"]),
    ],
)
def test_resolve_joint_issuers(name: str, canonicals: list[str]) -> None:
    regulators, warnings = resolve_regulator(name)

    assert [regulator.canonical for regulator in regulators] == canonicals
    assert warnings == []


@pytest.mark.parametrize(
    ("name", "english"),
    [
        ("中央网信办", "Cyberspace Administration of China"),
        ("广东省通信管理局", "Guangdong Communications Administration"),
        ("泸州市市场监督管理局", "Luzhou Administration for Market Regulation"),
    ],
)
def test_resolve_english_name(name: str, english: str) -> None:
    regulators, _ = resolve_regulator(name)

    assert regulators[0].name_en == english


def test_resolve_generic_local_market_regulator() -> None:
    regulators, warnings = resolve_regulator("地方市场监管局")

    assert [regulator.canonical for regulator in regulators] == ["地方市场监督管理部门"]
    assert regulators[0].family == "SAMR"
    assert regulators[0].level == "municipal"
    assert regulators[0].province is None
    assert [warning.kind for warning in warnings] == ["regulator_generic"]


@pytest.mark.parametrize("name", ["某某协会", "省委网信办", "通信管理局", "XYZ"])
def test_resolve_unknown_name(name: str) -> None:
    regulators, warnings = resolve_regulator(name)

    assert regulators == []
    assert [warning.kind for warning in warnings] == ["regulator_unknown"]
    assert warnings[0].field == "regulator"
    assert warnings[0].raw == name


def test_resolve_joint_with_unknown_part() -> None:
    regulators, warnings = resolve_regulator("四川省通信管理局、某某委员会")

    assert [regulator.canonical for regulator in regulators] == ["四川省通信管理局"]
    assert [(warning.kind, warning.raw) for warning in warnings] == [("regulator_unknown", "某某委员会")]


@pytest.mark.parametrize("name", ["", "   "])
def test_resolve_empty_name(name: str) -> None:
    assert resolve_regulator(name) == ([], [])


def test_resolve_unknown_county_province() -> None:
    regulators, warnings = resolve_regulator("中国人民银行古蔺县支行")

    assert regulators[0].level == "county"
    assert regulators[0].province is None
    assert [warning.kind for warning in warnings] == ["regulator_province_unknown"]


@pytest.mark.parametrize(
    ("family", "lang", "label"),
    [
        ("CAC", "zh", "网信部门"),
        ("PBC", "en", "People's Bank of China (PBC)"),
        ("SAMR", "en", "Market regulators (SAMR)"),
        ("nonexistent", "en", "nonexistent"),
    ],
)
def test_family_label(family: str, lang: str, label: str) -> None:
    assert regulator_family_label(family, lang) == label  # type: ignore[arg-type]


def _real_issuer_values() -> list[str]:
    cases = json.loads((RAW / "cases" / "cases.json").read_text(encoding="utf-8"))["cases"]
    lines = (RAW / "cases" / "local_amr.jsonl").read_text(encoding="utf-8").splitlines()
    local = [json.loads(line) for line in lines if line.strip()]
    docs = json.loads((RAW / "appviol" / "docs.json").read_text(encoding="utf-8"))["docs"]
    batches = json.loads((RAW / "appviol" / "batches.json").read_text(encoding="utf-8"))["batches"]

    values = [record["org"] for record in cases + local + docs + batches]
    values += [record["agency"] for record in cases + local if record.get("agency")]
    values += [org for record in batches for org in record.get("orgs") or []]
    return values


@pytest.mark.real_data
def test_resolve_real_issuers() -> None:
    if not RAW.is_dir():
        pytest.skip(f"real records not found at {RAW}")

    values = _real_issuer_values()
    resolved = [value for value in values if resolve_regulator(value)[0]]

    # Measured 2315 of 2315 values (org, agency, orgs) on the 2026-12-04 copy.
    assert len(values) > 2000
    assert len(resolved) / len(values) >= 0.99
