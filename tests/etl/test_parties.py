"""Tests for etl.normalize.parties: cleaning, classification, masking and splitting."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from etl.normalize.parties import (
    classify_party,
    clean_party_name,
    mask_names_in_text,
    mask_person_name,
    split_parties,
)

DOCS = Path("/work/shared/data/raw/lawdatify/appviol/docs.json")
PBC_PAGE = Path("/work/shared/data/raw/pages/pbc/pbc_penalty_detail.html")


@pytest.mark.parametrize(
    ("raw", "cleaned"),
    [
        ("北京七彩拇指科技有限公 司", "北京七彩拇指科技有限公司"),
        ("深圳某某科 技有限公司", "深圳某某科技有限公司"),
        ("杏树林信息技术（北京） 有限公司", "杏树林信息技术（北京）有限公司"),
        ("小鸟创新(北京)科技有限公司", "小鸟创新（北京）科技有限公司"),
        ("当事人：深圳某某科技有限公司。", "深圳某某科技有限公司"),
        ("当事人名称：******有限公司；", "******有限公司"),
        ("Beijing Apa Kelan Technology Group Co., Ltd.", "Beijing Apa Kelan Technology Group Co., Ltd."),
        ("游 道 易 Yodo1 （Yodo1, LTD）", "游道易Yodo1（Yodo1, LTD）"),
        ("  ", ""),
    ],
)
def test_clean_party_name(raw: str, cleaned: str) -> None:
    assert clean_party_name(raw) == cleaned


# (raw, name shown, party type, masked, affiliation)
CLASSIFY_CASES = [
    ("广发银行股份有限公司", "广发银行股份有限公司", "company", False, None),
    ("北京七彩拇指科技有限公 司", "北京七彩拇指科技有限公司", "company", False, None),
    ("北京蓝色脉动科技有限责 任公司", "北京蓝色脉动科技有限责任公司", "company", False, None),
    ("iFlyPlus Co.,Ltd", "iFlyPlus Co.,Ltd", "company", False, None),
    ("JellyBus Inc.", "JellyBus Inc.", "company", False, None),
    ("格林豪泰酒店管 理集团", "格林豪泰酒店管理集团", "company", False, None),
    ("长丰县双凤经济 开发区桂芳推拿 经营部", "长丰县双凤经济开发区桂芳推拿经营部", "company", False, None),
    ("太原市尖草坪区卫鑫商店", "太原市尖草坪区卫鑫商店", "company", False, None),
    ("香河益民村镇银行", "香河益民村镇银行", "company", False, None),
    ("珠海斗门码云信 息技术服务中心", "珠海斗门码云信息技术服务中心", "company", False, None),
    ("雷霆游戏 (Xiamen Leiting Network Technology Co., Ltd.)", "雷霆游戏（Xiamen Leiting Network Technology Co., Ltd.）", "company", False, None),
    ("江苏省中医院", "江苏省中医院", "institution", False, None),
    ("内蒙古青年志愿者协会", "内蒙古青年志愿者协会", "institution", False, None),
    ("武安市融媒体中心", "武安市融媒体中心", "institution", False, None),
    ("通化市融媒体中心（通化 日报社、通化广播电视台）", "通化市融媒体中心（通化日报社、通化广播电视台）", "institution", False, None),
    ("呼和浩特市人力资源和社会保障局", "呼和浩特市人力资源和社会保障局", "institution", False, None),
    ("内蒙古自治区卫生健康委员会", "内蒙古自治区卫生健康委员会", "institution", False, None),
    ("中国共产党容城县委员会宣传部", "中国共产党容城县委员会宣传部", "institution", False, None),
    ("大连理工大学", "大连理工大学", "institution", False, None),
    ("中国人民银行", "中国人民银行", "institution", False, None),
    ("张冬冬", "张某某", "individual", True, None),
    ("李明", "李某", "individual", True, None),
    ("欧阳娜娜", "欧阳某某", "individual", True, None),
    ("张某", "张某", "individual", True, None),
    ("X某", "X某", "individual", True, None),
    ("李某某", "李某某", "individual", True, None),
    ("陈X", "陈X", "individual", True, None),
    ("张*（个人开发者）", "张*", "individual", True, None),
    ("冯**(个人开发者）", "冯**", "individual", True, None),
    ("蒋某（广发银行股份有限公司资产托管部）", "蒋某", "individual", True, "广发银行股份有限公司资产托管部"),
    ("陈某香（广发银行股份有限公司信用卡中心）", "陈某香", "individual", True, "广发银行股份有限公司信用卡中心"),
    ("谢某升（广发银行股份有限公司零售信贷部、零售业务管理部）", "谢某升", "individual", True, "广发银行股份有限公司零售信贷部、零售业务管理部"),
    ("某某（某银行信用卡中心）", "某某", "individual", True, "某银行信用卡中心"),
    ("陈X （身份证号码：4210XXXXXXXXX）", "陈X", "individual", True, None),
    ("******代理事务所（普通合伙）", "******代理事务所（普通合伙）", "company", True, None),
    ("广州XXXXXX生物科技有限公司", "广州XXXXXX生物科技有限公司", "company", True, None),
    ("***************食品卫生工业检验所", "***************食品卫生工业检验所", "institution", True, None),
    ("泸州市龙马潭区吴氏美容美发中心（王小明）", "泸州市龙马潭区吴氏美容美发中心（王某某）", "company", True, None),
]


@pytest.mark.parametrize(("raw", "name", "party_type", "masked", "affiliation"), CLASSIFY_CASES)
def test_classify_party(raw: str, name: str, party_type: str, masked: bool, affiliation: str | None) -> None:
    party, warnings = classify_party(raw)

    assert party.name == name
    assert party.party_type == party_type
    assert party.masked is masked
    assert party.affiliation == affiliation
    assert party.raw == raw
    assert warnings == []


@pytest.mark.parametrize(
    ("raw", "name", "masked"),
    [
        ("李明", "李明", False),
        ("张某", "张某", True),
        ("泸州市龙马潭区吴氏美容美发中心（王小明）", "泸州市龙马潭区吴氏美容美发中心（王小明）", False),
    ],
)
def test_classify_party_unmasked(raw: str, name: str, masked: bool) -> None:
    party, _ = classify_party(raw, mask_persons=False)

    assert party.name == name
    assert party.masked is masked


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("—", "party_placeholder"),
        ("-", "party_placeholder"),
        ("无", "party_placeholder"),
        ("附件1", "party_not_a_name"),
        ("责令整改通知书", "party_not_a_name"),
        ("序号", "party_not_a_name"),
        ("1.0.1", "party_not_a_name"),
        ("2021年10月22日前完成整改", "party_not_a_name"),
        ("微信小程序", "party_not_a_name"),
    ],
)
def test_classify_party_no_name(raw: str, kind: str) -> None:
    party, warnings = classify_party(raw)

    assert party.name is None
    assert party.party_type == "unknown"
    assert [(warning.kind, warning.raw) for warning in warnings] == [(kind, raw)]


def test_classify_party_empty() -> None:
    party, warnings = classify_party("")

    assert party.name is None
    assert party.party_type == "unknown"
    assert warnings == []


@pytest.mark.parametrize(
    ("raw", "party_type", "kind"),
    [
        # Brands without a legal form are not persons: type unknown, name kept.
        ("腾讯", "unknown", "party_type_unknown"),
        ("华为", "unknown", "party_type_unknown"),
        ("QYER", "unknown", "party_type_unknown"),
        ("***", "unknown", "party_type_unknown"),
        ("网络科技有限", "company", "party_incomplete"),
        ("北京立奇科技", "company", "party_incomplete"),
    ],
)
def test_classify_party_uncertain(raw: str, party_type: str, kind: str) -> None:
    party, warnings = classify_party(raw)

    assert party.name == clean_party_name(raw)
    assert party.party_type == party_type
    assert [warning.kind for warning in warnings] == [kind]


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("李明", "李某"),
        ("宋国玖", "宋某某"),
        ("欧阳娜娜", "欧阳某某"),
        ("司马光", "司马某"),
        ("诸葛亮", "诸葛某"),
        ("上官婉儿", "上官某某"),
        ("买买提·艾力", "买某某·某某"),
        ("张某", "张某"),
        ("X某", "X某"),
        ("陈某香", "陈某香"),
        ("***", "***"),
        ("张", "张"),
        ("John Smith", "J*** *****"),
    ],
)
def test_mask_person_name(name: str, masked: str) -> None:
    assert mask_person_name(name) == masked


@pytest.mark.parametrize(
    ("text", "names", "masked"),
    [
        ("李明销售侵犯“郎”注册商标专用权的商品案", ["李明"], "李某销售侵犯“郎”注册商标专用权的商品案"),
        ("宋国玖商业贿赂案（泸市监罚〔2026〕45号）", ["宋国玖"], "宋某某商业贿赂案（泸市监罚〔2026〕45号）"),
        ("李明辉与李明", ["李明", "李明辉"], "李某某与李某"),
        ("张某与李四", ["张某", "李四"], "张某与李某"),
        ("不含人名", ["李明"], "不含人名"),
        ("李明案", [], "李明案"),
    ],
)
def test_mask_names_in_text(text: str, names: list[str], masked: str) -> None:
    assert mask_names_in_text(text, names) == masked


@pytest.mark.parametrize(
    ("raw", "parts"),
    [
        ("甲科技有限公司、乙网络有限公司", ["甲科技有限公司", "乙网络有限公司"]),
        ("甲科技有限公司；乙网络有限公司", ["甲科技有限公司", "乙网络有限公司"]),
        ("甲科技有限公司\n乙网络有限公司\n", ["甲科技有限公司", "乙网络有限公司"]),
        ("谢某升（广发银行股份有限公司零售信贷部、零售业务管理部）", ["谢某升（广发银行股份有限公司零售信贷部、零售业务管理部）"]),
        ("通化市融媒体中心（通化日报社、通化广播电视台）、张某", ["通化市融媒体中心（通化日报社、通化广播电视台）", "张某"]),
        ("Beijing Pengtuzhumeng Technology Co., Ltd.", ["Beijing Pengtuzhumeng Technology Co., Ltd."]),
        ("", []),
    ],
)
def test_split_parties(raw: str, parts: list[str]) -> None:
    assert split_parties(raw) == parts


@pytest.mark.real_data
def test_classify_real_operators() -> None:
    if not DOCS.is_file():
        pytest.skip(f"real records not found at {DOCS}")

    docs = json.loads(DOCS.read_text(encoding="utf-8"))["docs"]
    operators = [entry["dev"] for doc in docs for entry in doc.get("entries") or [] if (entry.get("dev") or "").strip()]
    parties = [classify_party(operator)[0] for operator in operators]
    typed = [party for party in parties if party.party_type != "unknown" or party.name is None]
    spaced = [party for party in parties if party.name and re.search(r"[\u4e00-\u9fff] | [\u4e00-\u9fff]", party.name)]

    # Measured 5491 of 5505 operator names typed or set aside as headings (99.7%)
    # on the 2026-12-04 copy.
    assert len(operators) > 5000
    assert len(typed) / len(operators) >= 0.99
    assert spaced == []


def _pbc_party_cells() -> list[str]:
    page = PBC_PAGE.read_text(encoding="utf-8")
    rows = re.findall(r"<tr.*?</tr>", page, re.S)[1:]
    cells = [re.findall(r"<td.*?</td>", row, re.S) for row in rows]
    return [html.unescape(re.sub(r"<[^>]+>", "", row[1])).strip() for row in cells if len(row) > 1]


@pytest.mark.real_data
def test_classify_real_pbc_parties() -> None:
    if not PBC_PAGE.is_file():
        pytest.skip(f"real page not found at {PBC_PAGE}")

    parties = [classify_party(cell)[0] for cell in _pbc_party_cells()]
    staff = parties[1:]

    assert len(parties) == 13
    assert parties[0].party_type == "company"
    assert all(party.party_type == "individual" for party in staff)
    assert all(party.masked for party in staff)
    assert all((party.affiliation or "").startswith("广发银行股份有限公司") for party in staff)
