"""A small real warehouse for the dashboard tests, built once per session.

Sixteen cases from twelve documents, chosen so every query has something to tell
apart. There are three parties in one PBC document and a CAC case dated by its
publication only. There are a year-only and an undated case, warnings without a
fine, app removals and an interview (约谈). One food-safety case lies outside the
data-protection domain, and one case names a fine that could not be parsed. The
expected numbers in the tests follow from these constants.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pytest

from eintel.settings import get_settings
from etl.models import Case, LegalBasis, ParseWarning, RawDocument, stable_id
from warehouse.db import connect
from warehouse.load import replace_cases, replace_labels, store_crawl_runs, store_raw_documents

FETCHED_AT = datetime(2026, 9, 25, 8, 30)

# (key, source, url) of each document.
DOCUMENTS: dict[str, tuple[str, str]] = {
    "pbc": ("pbc", "https://www.pbc.gov.cn/zhengwugongkai/4081330/4081344/4081407/4081705/2026092415000001/index.html"),
    "didi": ("cac", "https://www.cac.gov.cn/2022-07/21/c_1660021534306352.htm"),
    "cnki": ("cac", "https://www.cac.gov.cn/2023-09/06/c_1695654024248502.htm"),
    "miit": ("lawdatify_appviol", "https://www.miit.gov.cn/jgsj/xgj/APPqhyhqyzxzzxd/tzgg/art/2021/art_0a1b2c3d4e5f60718293a4b5c6d7e8f9.html"),
    "gdca": ("lawdatify_appviol", "https://gdca.miit.gov.cn/zwgk/tzgg/art/2020/art_1f2e3d4c5b6a79880716253443526170.html"),
    "luzhou_warning": ("lawdatify_cases", "https://scjgj.luzhou.gov.cn/xxgk/xzcf/2024/0510/12.html"),
    "luzhou_food": ("lawdatify_cases", "https://scjgj.luzhou.gov.cn/xxgk/xzcf/2024/0612/31.html"),
    "hangzhou": ("lawdatify_cases", "https://gaj.hangzhou.gov.cn/art/2025/3/18/art_1229_58.html"),
    "nfra": ("nfra", "https://www.nfra.gov.cn/cn/view/pages/ItemDetail.html?docId=1201234"),
    "csrc": ("csrc", "https://www.csrc.gov.cn/csrc/c101928/c7551234/content.shtml"),
    "zjcac": ("cac", "https://www.zjwx.gov.cn/art/2025/8/12/art_1673576_99.html"),
    "shenzhen": ("lawdatify_cases", "https://amr.sz.gov.cn/xxgk/qt/ztlm/xzcf/2024/1220/88.html"),
}


def document_id(key: str) -> str:
    source, url = DOCUMENTS[key]
    return stable_id(source, url, "")


def case_id(document_key: str, record_key: str) -> str:
    return stable_id(document_id(document_key), record_key)


def make_case(document_key: str, record_key: str, **fields: Any) -> Case:
    """Build a case of one of the DOCUMENTS, with its ids derived as the pipeline derives them."""
    source, url = DOCUMENTS[document_key]
    return Case(case_id=case_id(document_key, record_key), document_id=document_id(document_key),
                source=source, source_url=url, **fields)


def _day(year: int, month: int, day: int) -> dict[str, Any]:
    return {"decision_date": date(year, month, day), "decision_date_precision": "day"}


PIPL = "中华人民共和国个人信息保护法"
CSL = "中华人民共和国网络安全法"
DSL = "中华人民共和国数据安全法"

CASES: list[Case] = [
    make_case("pbc", "104", title="中国人民银行行政处罚信息公示表", decision_number="银罚决字〔2026〕104号",
          regulator="中国人民银行", regulator_level="national", regulator_family="PBC",
          party_name="广发银行股份有限公司", party_type="company", industry="banking", domain="data_protection",
          violation_types=["credit_information"], outcome_types=["warning", "confiscation", "fine"],
          legal_bases=[LegalBasis(law="征信业管理条例", article=40)],
          fine_cny=Decimal("17124000"), confiscation_cny=Decimal("16217.47"), **_day(2026, 9, 8),
          publish_date=date(2026, 9, 24), publish_date_precision="day",
          summary="违反信用信息采集、提供、查询及相关管理规定。"),
    make_case("pbc", "105", title="中国人民银行行政处罚信息公示表", decision_number="银罚决字〔2026〕105号",
          regulator="中国人民银行", regulator_level="national", regulator_family="PBC",
          party_name="张**", party_type="individual", industry="banking", domain="data_protection",
          violation_types=["credit_information"], outcome_types=["fine"],
          fine_cny=Decimal("50000"), **_day(2026, 9, 8), publish_date=date(2026, 9, 24), publish_date_precision="day"),
    make_case("pbc", "106", title="中国人民银行行政处罚信息公示表", decision_number="银罚决字〔2026〕106号",
          regulator="中国人民银行", regulator_level="national", regulator_family="PBC",
          party_name="星河消费金融有限公司", party_type="company", industry="banking", domain="data_protection",
          violation_types=["security_failure"], outcome_types=["fine"],
          fine_cny=Decimal("300000"), **_day(2026, 9, 8), publish_date=date(2026, 9, 24), publish_date_precision="day"),
    make_case("didi", "1", title="国家互联网信息办公室对滴滴全球股份有限公司依法作出网络安全审查相关行政处罚的决定",
          regulator="国家互联网信息办公室", regulator_level="national", regulator_family="CAC",
          party_name="滴滴全球股份有限公司", party_type="company", industry="internet_platforms",
          domain="data_protection", violation_types=["excessive_collection", "security_failure"],
          outcome_types=["fine"],
          legal_bases=[LegalBasis(law=CSL, article=64), LegalBasis(law=DSL, article=45), LegalBasis(law=PIPL, article=66)],
          fine_cny=Decimal("8026000000"), **_day(2022, 7, 21)),
    make_case("cnki", "1", title="网信部门依法对知网作出行政处罚", regulator="国家互联网信息办公室",
          regulator_level="national", regulator_family="CAC", party_name="同方知网（北京）技术有限公司",
          party_type="company", industry="education", domain="data_protection",
          violation_types=["excessive_collection", "no_consent"], outcome_types=["fine"],
          legal_bases=[LegalBasis(law=PIPL, article=66)], fine_cny=Decimal("50000000"),
          publish_date=date(2023, 9, 6), publish_date_precision="day"),
    make_case("miit", "星河阅读", title="关于下架侵害用户权益APP的通报", regulator="工业和信息化部",
          regulator_level="national", regulator_family="MIIT", party_name="深圳星河科技有限公司",
          party_type="company", app_name="星河阅读", industry="internet_platforms", domain="data_protection",
          violation_types=["forced_permissions"], outcome_types=["app_removal"],
          publish_date=date(2021, 3, 1), publish_date_precision="month"),
    make_case("miit", "云帆出行", title="关于下架侵害用户权益APP的通报", regulator="工业和信息化部",
          regulator_level="national", regulator_family="MIIT", party_name="北京云帆网络科技有限公司",
          party_type="company", app_name="云帆出行", industry="logistics", domain="data_protection",
          violation_types=["excessive_collection", "misleading_users"], outcome_types=["rectification_order"],
          publish_date=date(2021, 3, 1), publish_date_precision="month"),
    make_case("miit", "蓝湾相机", title="关于下架侵害用户权益APP的通报", regulator="工业和信息化部",
          regulator_level="national", regulator_family="MIIT", party_name="上海蓝湾软件有限公司",
          party_type="company", app_name="蓝湾相机", industry="internet_platforms", domain="data_protection",
          outcome_types=["app_removal"]),
    make_case("gdca", "晨光天气", title="广东省通信管理局关于侵害用户权益行为APP的通报", regulator="广东省通信管理局",
          regulator_level="provincial", regulator_family="MIIT", province="广东省",
          party_name="广州晨光信息技术有限公司", party_type="company", app_name="晨光天气",
          industry="internet_platforms", domain="data_protection", violation_types=["excessive_collection"],
          outcome_types=["rectification_order"], publish_date=date(2020, 1, 1), publish_date_precision="year"),
    make_case("luzhou_warning", "1", title="行政处罚决定书", decision_number="泸市监处罚〔2024〕12号",
          regulator="泸州市市场监督管理局", regulator_level="municipal", regulator_family="SAMR", province="四川省",
          party_name="泸州恒达商贸有限公司", party_type="company", industry="ecommerce_retail",
          domain="data_protection", violation_types=["no_consent"], outcome_types=["warning"], **_day(2024, 5, 10)),
    make_case("luzhou_food", "1", title="食品安全行政处罚决定书", decision_number="泸市监处罚〔2024〕31号",
          regulator="泸州市市场监督管理局", regulator_level="municipal", regulator_family="SAMR", province="四川省",
          party_name="泸州味源餐饮有限公司", party_type="company", industry="other", domain="other",
          outcome_types=["fine"], fine_cny=Decimal("5000"), **_day(2024, 6, 12)),
    make_case("hangzhou", "1", title="行政处罚决定书", decision_number="杭公网罚决字〔2025〕7号",
          regulator="杭州市公安局", regulator_level="municipal", regulator_family="MPS", province="浙江省",
          party_name="杭州数澜网络科技有限公司", party_type="company", industry="internet_platforms",
          domain="data_protection", violation_types=["security_failure"], outcome_types=["warning", "fine"],
          legal_bases=[LegalBasis(law=CSL, article=64, clause="第一款")], **_day(2025, 3, 18),
          parse_warnings=[ParseWarning(kind="amount", field="fine_cny", raw="罚款人民币若干万元",
                                       message="no amount in the penalty text")]),
    make_case("nfra", "1", title="行政处罚信息公开表", decision_number="粤金罚决字〔2025〕8号",
          regulator="国家金融监督管理总局广东监管局", regulator_level="provincial", regulator_family="NFRA",
          province="广东省", party_name="华南财产保险股份有限公司广州分公司", party_type="company",
          industry="insurance", domain="data_protection", violation_types=["third_party_sharing"],
          outcome_types=["fine"], fine_cny=Decimal("250000"), **_day(2025, 2, 14)),
    make_case("csrc", "1", title="行政处罚决定书", decision_number="〔2025〕112号",
          regulator="中国证券监督管理委员会", regulator_level="national", regulator_family="CSRC",
          party_name="东方远景证券股份有限公司", party_type="company", industry="securities",
          domain="data_protection", violation_types=["security_failure"], outcome_types=["warning", "fine"],
          fine_cny=Decimal("400000"), **_day(2025, 11, 3)),
    make_case("zjcac", "1", title="浙江省网信办依法约谈一批企业", regulator="浙江省互联网信息办公室",
          regulator_level="provincial", regulator_family="CAC", province="浙江省",
          party_name="杭州青禾网络科技有限公司", party_type="company", industry="internet_platforms",
          domain="data_protection", violation_types=["cross_border_transfer"], outcome_types=["interview"],
          decision_date=date(2025, 8, 1), decision_date_precision="month"),
    make_case("shenzhen", "1", title="行政处罚决定书", decision_number="深市监罚字〔2024〕88号",
          regulator="深圳市市场监督管理局", regulator_level="municipal", regulator_family="SAMR", province="广东省",
          party_name="深圳康宁医疗器械有限公司", party_type="company", industry="healthcare",
          domain="data_protection", violation_types=["third_party_sharing"], outcome_types=["fine"],
          fine_cny=Decimal("49000"), **_day(2024, 12, 20)),
]

LABELS: list[tuple[str, str, str, str]] = [
    ("violation_types", "excessive_collection", "超范围收集个人信息", "Excessive collection"),
    ("violation_types", "no_consent", "未经同意处理个人信息", "Processing without consent"),
    ("violation_types", "third_party_sharing", "违规向第三方提供", "Sharing with third parties"),
    ("violation_types", "cross_border_transfer", "违规出境", "Cross-border transfer"),
    ("violation_types", "security_failure", "未履行安全保护义务", "Security failure"),
    ("violation_types", "credit_information", "违反征信管理规定", "Credit information rules"),
    ("violation_types", "forced_permissions", "强制索取权限", "Forced permissions"),
    ("violation_types", "misleading_users", "欺骗误导用户", "Misleading users"),
    ("violation_types", "other", "其他", "Other"),
    ("outcome_types", "warning", "警告", "Warning"),
    ("outcome_types", "fine", "罚款", "Fine"),
    ("outcome_types", "confiscation", "没收违法所得", "Confiscation"),
    ("outcome_types", "rectification_order", "责令整改", "Rectification order"),
    ("outcome_types", "app_removal", "下架", "App removal"),
    ("outcome_types", "interview", "约谈", "Interview"),
    ("industries", "banking", "银行", "Banking"),
    ("industries", "insurance", "保险", "Insurance"),
    ("industries", "securities", "证券", "Securities"),
    ("industries", "internet_platforms", "互联网平台", "Internet platforms"),
    ("industries", "education", "教育", "Education"),
    ("industries", "ecommerce_retail", "电商零售", "E-commerce and retail"),
    ("industries", "healthcare", "医疗健康", "Healthcare"),
    ("industries", "logistics", "物流出行", "Logistics"),
    ("industries", "other", "其他", "Other"),
    ("domains", "data_protection", "数据安全与个人信息保护", "Data protection"),
    ("domains", "other", "其他", "Other"),
]


# Crawl runs as the crawl archive returns them (ISO times in UTC): pbc ok twice, cac ok
# then shape_changed, nfra failed on both runs and never succeeded.
CRAWL_RUNS: list[dict[str, Any]] = [
    {"run_id": "pbc-1", "source": "pbc", "started_at": "2026-09-23T17:10:00+00:00",
     "finished_at": "2026-09-23T17:12:30+00:00", "pages": 12, "new_items": 3, "updated_items": 0, "errors": 0,
     "status": "ok", "message": "", "full_crawl": 0},
    {"run_id": "pbc-2", "source": "pbc", "started_at": "2026-09-24T17:10:00+00:00",
     "finished_at": "2026-09-24T17:11:40+00:00", "pages": 4, "new_items": 1, "updated_items": 1, "errors": 0,
     "status": "ok", "message": "", "full_crawl": 0},
    {"run_id": "cac-1", "source": "cac", "started_at": "2026-09-23T17:25:00+00:00",
     "finished_at": "2026-09-23T17:31:05+00:00", "pages": 20, "new_items": 5, "updated_items": 0, "errors": 0,
     "status": "ok", "message": "", "full_crawl": 1},
    {"run_id": "cac-2", "source": "cac", "started_at": "2026-09-24T17:25:00+00:00",
     "finished_at": "2026-09-24T17:26:10+00:00", "pages": 6, "new_items": 0, "updated_items": 0, "errors": 0,
     "status": "shape_changed",
     "message": "shape_changed https://www.cac.gov.cn/2026-09/24/c_1727000000000001.htm: no article body found",
     "full_crawl": 0},
    {"run_id": "nfra-1", "source": "nfra", "started_at": "2026-09-23T18:25:00+00:00",
     "finished_at": "2026-09-23T18:25:40+00:00", "pages": 0, "new_items": 0, "updated_items": 0, "errors": 3,
     "status": "failed", "message": "error https://www.nfra.gov.cn/cn/view/pages/index.html: HTTP 503",
     "full_crawl": 0},
    {"run_id": "nfra-2", "source": "nfra", "started_at": "2026-09-24T18:25:00+00:00",
     "finished_at": "2026-09-24T18:26:00+00:00", "pages": 1, "new_items": 0, "updated_items": 0, "errors": 2,
     "status": "failed",
     "message": "error https://www.nfra.gov.cn/cn/view/pages/ItemDetail.html?docId=1201234: HTTP 503\n"
                "error https://www.nfra.gov.cn/cn/view/pages/ItemDetail.html?docId=1201235: TimeoutError: timed out",
     "full_crawl": 0},
]


def _raw_documents() -> list[RawDocument]:
    return [
        RawDocument.build(source=source, url=url, content=f"fixture document {key}",
                          content_type="text/html", fetched_at=FETCHED_AT)
        for key, (source, url) in DOCUMENTS.items()
    ]


def build_warehouse(path: Path, cases: list[Case] = CASES, crawl_runs: list[dict[str, Any]] = CRAWL_RUNS) -> None:
    """Write the fixture documents, `cases`, labels and `crawl_runs` into a new warehouse file."""
    con = connect(path)
    try:
        documents = _raw_documents()
        store_raw_documents(con, documents)
        statuses = {doc.document_id: ("parsed", None) for doc in documents}
        replace_cases(con, cases, sorted({case.source for case in cases}), statuses)
        replace_labels(con, LABELS)
        store_crawl_runs(con, crawl_runs)
    finally:
        con.close()


@pytest.fixture(scope="session")
def warehouse_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of the fixture warehouse; build it once per session and never write to it again."""
    path = tmp_path_factory.mktemp("warehouse") / "eintel.duckdb"
    build_warehouse(path)
    return path


@pytest.fixture(scope="session")
def con(warehouse_file: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """Read-only connection to the fixture warehouse, as the dashboard opens it."""
    connection = connect(warehouse_file, read_only=True)
    yield connection
    connection.close()


@pytest.fixture
def app_env(warehouse_file: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point the dashboard at the fixture warehouse, with the default language, for one test."""
    monkeypatch.setenv("EINTEL_DB", str(warehouse_file))
    monkeypatch.delenv("EINTEL_LANG", raising=False)
    # The settings are read once per process, so clear them for this test to read its own environment.
    get_settings.cache_clear()
    yield warehouse_file
    get_settings.cache_clear()
