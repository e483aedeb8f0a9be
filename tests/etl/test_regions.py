"""Tests for etl.normalize.regions: provinces in texts and URLs, dashboard labels."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from etl.normalize.regions import find_province, province_from_url, province_label, region_tables

DOCS = Path("/work/shared/data/raw/lawdatify/appviol/docs.json")


@pytest.mark.parametrize(
    ("text", "province"),
    [
        ("广东省通信管理局", "广东省"),
        ("浙江网信办", "浙江省"),
        ("广西壮族自治区通信管理局", "广西壮族自治区"),
        ("内蒙古自治区通信管理局", "内蒙古自治区"),
        ("新疆公布5件电子计价秤计量违法典型案例", "新疆维吾尔自治区"),
        ("北京市通信管理局", "北京市"),
        ("山西省通信管理局", "山西省"),
        ("陕西省通信管理局", "陕西省"),
        ("泸州市市场监督管理局", "四川省"),
        ("青岛市黄岛区市场监督管理局", "山东省"),
        ("昆明市市场监督管理局", "云南省"),
        ("无锡市市场监督管理局", "江苏省"),
        ("江门市市场监督管理局", "广东省"),
        ("佛山市市场监督管理局", "广东省"),
        ("深圳市大鹏新区综合办公室", "广东省"),
        ("武安市融媒体中心", "河北省"),
        ("四川省通信管理局、重庆市通信管理局", "四川省"),
        ("北京市朝阳区", "北京市"),
        ("朝阳市", "辽宁省"),
        ("浙江西部", "浙江省"),
    ],
)
def test_find_province_hit(text: str, province: str) -> None:
    assert find_province(text) == province


@pytest.mark.parametrize(
    "text",
    ["中国人民银行", "国家网信办", "工业和信息化部", "朝阳区", "北海公园", "长治久安", "三明治", "", "腾讯"],
)
def test_find_province_miss(text: str) -> None:
    assert find_province(text) is None


@pytest.mark.parametrize(
    ("url", "province"),
    [
        ("https://gdca.miit.gov.cn/xxgk/tzgg/art/2026/art_0.html", "广东省"),
        ("https://sxca.miit.gov.cn/", "山西省"),
        ("https://shxca.miit.gov.cn/", "陕西省"),
        ("https://hbca.miit.gov.cn/xxgk/tzgg/", "河北省"),
        ("https://hubca.miit.gov.cn/", "湖北省"),
        ("https://hnca.miit.gov.cn/", "河南省"),
        ("https://nxca.miit.gov.cn/", "宁夏回族自治区"),
        ("http://scjgj.luzhou.gov.cn/zwgk/", "四川省"),
        ("https://amr.gd.gov.cn/zwgk/", "广东省"),
        ("https://fsamr.foshan.gov.cn/", "广东省"),
        ("https://scjgj.km.gov.cn/", "云南省"),
        ("https://amr.guizhou.gov.cn/", "贵州省"),
        ("https://amr.qingdao.gov.cn/", "山东省"),
        ("http://www.jiangmen.gov.cn/", "广东省"),
        ("https://guangzhou.pbc.gov.cn/", "广东省"),
        ("scjgj.wuxi.gov.cn/art/1.html", "江苏省"),
    ],
)
def test_province_from_url_hit(url: str, province: str) -> None:
    assert province_from_url(url) == province


@pytest.mark.parametrize(
    "url",
    [
        "https://www.miit.gov.cn/jgsj/",
        "https://www.cac.gov.cn/2026-07/06/c_1.htm",
        "https://www.samr.gov.cn/",
        "https://www.mstl.org.cn/",
        "https://suzhou.gov.cn/",
        "http://[invalid",
        "",
    ],
)
def test_province_from_url_miss(url: str) -> None:
    assert province_from_url(url) is None


@pytest.mark.parametrize(
    ("name", "lang", "label"),
    [
        ("广东省", "en", "Guangdong"),
        ("广东", "zh", "广东省"),
        ("内蒙古自治区", "en", "Inner Mongolia"),
        ("陕西省", "en", "Shaanxi"),
        ("山西省", "en", "Shanxi"),
        ("某地", "en", "某地"),
    ],
)
def test_province_label(name: str, lang: str, label: str) -> None:
    assert province_label(name, lang) == label  # type: ignore[arg-type]


def test_tables_mainland_provinces() -> None:
    provinces = region_tables().provinces

    assert len(provinces) == 34
    assert "广西壮族自治区" in provinces
    assert provinces["新疆维吾尔自治区"].short == "新疆"


def _docs() -> list[dict]:
    return json.loads(DOCS.read_text(encoding="utf-8"))["docs"]


@pytest.mark.real_data
def test_province_from_url_real_notices() -> None:
    if not DOCS.is_file():
        pytest.skip(f"real records not found at {DOCS}")

    # The upstream labels every hbca page 湖北省, though hbca is the Hebei site.
    notices = [
        doc
        for doc in _docs()
        if doc["province"] and urlsplit(doc["url"]).hostname != "hbca.miit.gov.cn"
    ]
    agreeing = [doc for doc in notices if province_from_url(doc["url"]) == doc["province"]]

    # Measured 545 of 545 on the 2026-12-04 copy.
    assert len(notices) > 500
    assert len(agreeing) / len(notices) >= 0.99


@pytest.mark.real_data
def test_find_province_real_issuers() -> None:
    if not DOCS.is_file():
        pytest.skip(f"real records not found at {DOCS}")

    notices = [
        doc
        for doc in _docs()
        if doc["province"] and urlsplit(doc["url"]).hostname not in {"hbca.miit.gov.cn", "cqca.miit.gov.cn"}
    ]
    agreeing = [doc for doc in notices if find_province(doc["org"]) == doc["province"]]

    # cqca pages carry the joint 四川+重庆 issuer, whose first province is 四川省.
    # Measured 484 of 484 on the 2026-12-04 copy.
    assert len(notices) > 400
    assert len(agreeing) / len(notices) >= 0.99
