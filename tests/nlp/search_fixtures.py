"""A small warehouse with case texts, split into passages and embedded, for the search tests.

The texts are written for these tests (made-up companies and facts) in the shape of
real decisions and app notices. Each case has a distinct subject, so a query about one
subject has one correct case. The face-recognition case never contains "face" in English,
so an English query reaches it through the dense (multilingual) embeddings only.
"""

from __future__ import annotations

import socket
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator

import pytest

from etl.models import Case, LegalBasis
from nlp.embed import embed_cases
from nlp.search import default_encoder
from tests.app.conftest import CASES, build_warehouse, make_case
from warehouse.db import connect

PIPL = "中华人民共和国个人信息保护法"

FACE_TEXT = (
    "当事人：杭州明镜商业管理有限公司。经查，当事人在其经营的三家门店入口安装人脸识别摄像头，"
    "未经顾客同意采集人脸信息共计十二万余条，也未告知处理目的和方式。"
    "上述行为违反了《中华人民共和国个人信息保护法》第十三条、第二十六条的规定。"
    "决定对当事人给予警告，并处罚款人民币五十万元。"
)
SDK_TEXT = (
    "应用名称：星河天气\n运营者：深圳星河天气科技有限公司\n版本：5.2.0\n"
    "所涉问题：违规收集个人信息；APP强制、频繁、过度索取权限；第三方SDK违规收集设备标识符"
)
CONSENT_TEXT = "应用名称：云帆专车\n运营者：北京云帆网络科技有限公司\n所涉问题：APP在征得用户同意前就开始收集个人信息"
CREDIT_TEXT = (
    "经查，当事人存在以下违法行为：工作人员未经本人同意查询个人信用报告二百余笔。"
    "违反了《征信业管理条例》第四十条的规定。决定给予警告，并处罚款人民币三十万元。"
)
SECURITY_TEXT = (
    "经查明，当事人未建立数据安全管理制度，未对客户数据采取加密、访问控制等安全技术措施，"
    "致使部分客户资料被他人非法获取。违反了《中华人民共和国网络安全法》第二十一条的规定。"
    "决定责令改正，给予警告，并处罚款人民币四十万元。"
)
MINOR_TEXT = (
    "经查，当事人运营的儿童英语学习App在收集未满十四周岁未成年人的个人信息时，"
    "未取得其父母或者其他监护人的同意，也未制定专门的个人信息处理规则。"
    "依据有关规定，决定对当事人进行约谈，责令限期整改。"
)
SHARING_TEXT = (
    "经查，当事人将投保人的姓名、手机号码和保单信息提供给合作的第三方营销公司，"
    "未向投保人单独告知接收方名称和处理目的，也未取得其单独同意。"
    "违反了《中华人民共和国个人信息保护法》第二十三条的规定。决定罚款人民币二十五万元。"
)
MARKETING_TEXT = (
    "经查，当事人通过短信和电话频繁向消费者推销会员服务，消费者明确表示拒绝后仍继续发送营销信息。"
    "违反了《中华人民共和国消费者权益保护法》第二十九条的规定。决定责令改正，并处罚款人民币四万九千元。"
)
FOOD_TEXT = "经查，当事人销售超过保质期的食品。违反了《中华人民共和国食品安全法》的规定。决定罚款人民币五千元。"

_DAY = {"decision_date_precision": "day"}

SEARCH_CASES: list[Case] = [
    make_case("hangzhou", "face", title="杭州明镜商业管理有限公司违法处理人脸信息案", regulator="杭州市市场监督管理局",
              regulator_level="municipal", regulator_family="SAMR", province="浙江省",
              party_name="杭州明镜商业管理有限公司", party_type="company", industry="ecommerce_retail",
              domain="data_protection", violation_types=["no_consent"], outcome_types=["warning", "fine"],
              legal_bases=[LegalBasis(law=PIPL, article=13)], fine_cny=Decimal("500000"),
              decision_date=date(2025, 6, 3), **_DAY, text=FACE_TEXT),
    make_case("miit", "星河天气", title="关于侵害用户权益行为的APP（SDK）通报", regulator="工业和信息化部",
              regulator_level="national", regulator_family="MIIT", party_name="深圳星河天气科技有限公司",
              party_type="company", app_name="星河天气", industry="internet_platforms", domain="data_protection",
              violation_types=["excessive_collection", "forced_permissions"], outcome_types=["rectification_order"],
              publish_date=date(2024, 8, 1), publish_date_precision="month", text=SDK_TEXT),
    make_case("miit", "云帆专车", title="关于侵害用户权益行为的APP（SDK）通报", regulator="工业和信息化部",
              regulator_level="national", regulator_family="MIIT", party_name="北京云帆网络科技有限公司",
              party_type="company", app_name="云帆专车", industry="logistics", domain="data_protection",
              violation_types=["no_consent"], outcome_types=["rectification_order"],
              publish_date=date(2024, 8, 1), publish_date_precision="month", text=CONSENT_TEXT),
    make_case("pbc", "credit", title="中国人民银行行政处罚信息公示表", decision_number="银罚决字〔2026〕201号",
              regulator="中国人民银行", regulator_level="national", regulator_family="PBC",
              party_name="星河商业银行股份有限公司", party_type="company", industry="banking", domain="data_protection",
              violation_types=["credit_information"], outcome_types=["warning", "fine"], fine_cny=Decimal("300000"),
              decision_date=date(2026, 9, 8), **_DAY, text=CREDIT_TEXT),
    make_case("csrc", "security", title="行政处罚决定书", decision_number="〔2025〕131号",
              regulator="中国证券监督管理委员会", regulator_level="national", regulator_family="CSRC",
              party_name="东方远景证券股份有限公司", party_type="company", industry="securities",
              domain="data_protection", violation_types=["security_failure"], outcome_types=["warning", "fine"],
              fine_cny=Decimal("400000"), decision_date=date(2025, 11, 3), **_DAY,
              text=SECURITY_TEXT),
    make_case("zjcac", "minor", title="浙江省网信办依法约谈一批企业", regulator="浙江省互联网信息办公室",
              regulator_level="provincial", regulator_family="CAC", province="浙江省",
              party_name="杭州青禾教育科技有限公司", party_type="company", industry="education",
              domain="data_protection", violation_types=["no_consent"], outcome_types=["interview"],
              decision_date=date(2025, 8, 1), decision_date_precision="month", text=MINOR_TEXT),
    make_case("nfra", "sharing", title="行政处罚信息公开表", decision_number="粤金罚决字〔2025〕19号",
              regulator="国家金融监督管理总局广东监管局", regulator_level="provincial", regulator_family="NFRA",
              province="广东省", party_name="华南财产保险股份有限公司广州分公司", party_type="company",
              industry="insurance", domain="data_protection", violation_types=["third_party_sharing"],
              outcome_types=["fine"], fine_cny=Decimal("250000"), decision_date=date(2025, 2, 14),
              **_DAY, text=SHARING_TEXT),
    make_case("shenzhen", "marketing", title="行政处罚决定书", decision_number="深市监罚字〔2024〕97号",
              regulator="深圳市市场监督管理局", regulator_level="municipal", regulator_family="SAMR", province="广东省",
              party_name="深圳康宁会员服务有限公司", party_type="company", industry="ecommerce_retail",
              domain="data_protection", violation_types=["other"], outcome_types=["fine"], fine_cny=Decimal("49000"),
              decision_date=date(2024, 12, 20), **_DAY, text=MARKETING_TEXT),
    make_case("luzhou_food", "expired", title="食品安全行政处罚决定书", decision_number="泸市监处罚〔2024〕44号",
              regulator="泸州市市场监督管理局", regulator_level="municipal", regulator_family="SAMR", province="四川省",
              party_name="泸州味源餐饮有限公司", party_type="company", industry="other", domain="other",
              outcome_types=["fine"], fine_cny=Decimal("5000"), decision_date=date(2024, 6, 12),
              **_DAY, text=FOOD_TEXT),
]

# The dashboard fixture's cases come too, so the sidebar filters have their usual values.
# They have no text, so only the one with a summary (PBC decision 104) gets a passage.
ALL_CASES: list[Case] = [*CASES, *SEARCH_CASES]


def build_search_warehouse(path: Path, embed: bool = True) -> Path:
    """Write the cases, split them into passages and, with `embed`, embed them with the default encoder."""
    build_warehouse(path, ALL_CASES)
    con = connect(path)
    try:
        if embed:
            embed_cases(con, default_encoder())
        else:
            from nlp.embed import case_passages
            from warehouse.embeddings import replace_passages

            replace_passages(con, case_passages(con))
    finally:
        con.close()
    return path


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Make every socket connection to a non-loopback address raise; yield the addresses tried."""
    attempts: list[Any] = []
    original = socket.socket.connect

    def guarded(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and (host.startswith("127.") or host in ("::1", "localhost")):
            return original(sock, address)
        if sock.family == socket.AF_UNIX:
            return original(sock, address)
        attempts.append(address)
        raise OSError(f"network access blocked in this test: {address!r}")

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield attempts
