"""A small warehouse of made-up enforcement cases for the matching and report tests.

Twelve cases, one per document, each with a text written for these tests. Six are
app notice rows (device identifiers, permissions, location, account deletion, SDK
sharing, targeted push). Four are decisions with fines and legal bases (face
recognition, SDK sharing, marketing messages, credit information). One is a criminal
referral, and one a food-safety case outside data protection. Companies and apps are
invented; the expected numbers of the tests follow from these constants.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from etl.models import Case, LegalBasis, RawDocument, stable_id
from etl.taxonomy import all_label_rows
from warehouse.db import connect
from warehouse.load import replace_cases, replace_labels, store_raw_documents

FETCHED_AT = datetime(2026, 10, 1, 9, 0)
PIPL = "个人信息保护法"
CSL = "中华人民共和国网络安全法"


def _app_text(app: str, company: str, problems: str) -> str:
    return f"应用名称：{app}\n运营者：{company}\n所涉问题：{problems}"


# key → (source, url, case fields)
CASE_FIELDS: dict[str, tuple[str, str, dict[str, Any]]] = {
    "device_ids": ("miit", "https://www.miit.gov.cn/test/art_0001.html", dict(
        title="关于侵害用户权益行为的APP通报（测试第1批）", regulator="工业和信息化部", regulator_level="national",
        regulator_family="MIIT", party_name="星途出行科技有限公司", party_type="company", app_name="星途打车",
        industry="internet_platforms", domain="data_protection", violation_types=["excessive_collection"],
        outcome_types=["app_removal", "public_notice"], decision_date=date(2025, 6, 10), decision_date_precision="day",
        text=_app_text("星途打车", "星途出行科技有限公司",
                       "用户同意隐私政策前即收集设备 IMEI、Android ID 等设备标识符；超范围收集个人信息"),
    )),
    "permissions": ("miit", "https://www.miit.gov.cn/test/art_0002.html", dict(
        title="关于侵害用户权益行为的APP通报（测试第2批）", regulator="工业和信息化部", regulator_level="national",
        regulator_family="MIIT", party_name="云雀网络科技有限公司", party_type="company", app_name="云雀相册",
        industry="internet_platforms", domain="data_protection", violation_types=["forced_permissions"],
        outcome_types=["rectification_order", "public_notice"], decision_date=date(2024, 4, 2), decision_date_precision="day",
        text=_app_text("云雀相册", "云雀网络科技有限公司",
                       "用户拒绝通讯录权限后反复弹窗索取；不授权即无法使用基本功能，强制、频繁、过度索取权限"),
    )),
    "location": ("miit", "https://gdca.miit.gov.cn/test/art_0003.html", dict(
        title="广东省通信管理局关于侵害用户权益行为APP的通报（测试）", regulator="广东省通信管理局",
        regulator_level="provincial", regulator_family="MIIT", province="广东省", party_name="南风科技有限公司",
        party_type="company", app_name="南风骑行", industry="internet_platforms", domain="data_protection",
        violation_types=["excessive_collection"], outcome_types=["rectification_order", "public_notice"],
        decision_date=date(2026, 5, 1), decision_date_precision="month",
        text=_app_text("南风骑行", "南风科技有限公司", "应用在后台频繁获取用户精确位置信息，超出服务所需"),
    )),
    "deletion": ("miit", "https://shca.miit.gov.cn/test/art_0004.html", dict(
        title="上海市通信管理局关于侵害用户权益行为APP的通报（测试）", regulator="上海市通信管理局",
        regulator_level="provincial", regulator_family="MIIT", province="上海市", party_name="海豚阅读科技有限公司",
        party_type="company", app_name="海豚阅读", industry="internet_platforms", domain="data_protection",
        violation_types=["account_deletion"], outcome_types=["rectification_order"],
        decision_date=date(2021, 8, 20), decision_date_precision="day",
        text=_app_text("海豚阅读", "海豚阅读科技有限公司", "账号注销须人工审核，未提供有效的注销途径"),
    )),
    "sdk_notice": ("miit", "https://www.miit.gov.cn/test/art_0005.html", dict(
        title="关于侵害用户权益行为的APP（SDK）通报（测试第3批）", regulator="工业和信息化部", regulator_level="national",
        regulator_family="MIIT", party_name="蓝鲸广告科技有限公司", party_type="company", app_name="蓝鲸推送SDK",
        industry="internet_platforms", domain="data_protection", violation_types=["third_party_sharing"],
        outcome_types=["rectification_order", "public_notice"], decision_date=date(2025, 9, 30),
        decision_date_precision="day",
        text=_app_text("蓝鲸推送SDK", "蓝鲸广告科技有限公司", "SDK 未告知即向第三方提供设备标识符和位置信息"),
    )),
    "face": ("cac", "https://www.zjwx.gov.cn/test/art_0006.html", dict(
        title="行政处罚决定书", decision_number="浙网信罚〔2023〕6号", regulator="浙江省互联网信息办公室",
        regulator_level="provincial", regulator_family="CAC", province="浙江省", party_name="明镜智能科技有限公司",
        party_type="company", industry="internet_platforms", domain="data_protection",
        violation_types=["biometric_sensitive", "no_consent"], outcome_types=["warning", "fine"],
        legal_bases=[LegalBasis(law=PIPL, article=29), LegalBasis(law=PIPL, article=66, clause="第一款")],
        fine_cny=Decimal("500000"), decision_date=date(2023, 11, 2), decision_date_precision="day",
        text="经查，当事人运营的网约车司机端 App 集成人脸识别 SDK 核验司机身份，未告知人脸信息的处理目的和保存期限，"
             "也未取得个人的单独同意。上述行为违反《中华人民共和国个人信息保护法》第二十九条。"
             "依据第六十六条第一款，决定给予警告，并处罚款五十万元。",
    )),
    "sdk_decision": ("cac", "https://www.gdwx.gov.cn/test/art_0007.html", dict(
        title="行政处罚决定书", decision_number="粤网信罚〔2025〕7号", regulator="广东省互联网信息办公室",
        regulator_level="provincial", regulator_family="CAC", province="广东省", party_name="快帆出行服务有限公司",
        party_type="company", app_name="快帆出行", industry="internet_platforms", domain="data_protection",
        violation_types=["third_party_sharing"], outcome_types=["fine", "rectification_order"],
        legal_bases=[LegalBasis(law=PIPL, article=23), LegalBasis(law=PIPL, article=66), LegalBasis(law=CSL, article=64)],
        fine_cny=Decimal("1200000"), decision_date=date(2025, 2, 14), decision_date_precision="day",
        text="经查，当事人运营的快帆出行 App 集成第三方广告 SDK，向第三方提供用户设备标识符和行程位置信息，"
             "未向用户告知接收方名称并取得单独同意。依据《中华人民共和国个人信息保护法》第六十六条，责令改正，处罚款一百二十万元。",
    )),
    "marketing": ("samr", "https://scjgj.sh.gov.cn/test/art_0008.html", dict(
        title="行政处罚决定书", decision_number="沪市监罚〔2024〕8号", regulator="上海市市场监督管理局",
        regulator_level="provincial", regulator_family="SAMR", province="上海市", party_name="张**",
        party_type="individual", industry="ecommerce_retail", domain="data_protection",
        violation_types=["consumer_personal_info"], outcome_types=["fine"],
        legal_bases=[LegalBasis(law="消费者权益保护法", article=29), LegalBasis(law="消费者权益保护法", article=56)],
        fine_cny=Decimal("30000"), decision_date=date(2024, 7, 8), decision_date_precision="day",
        text="经查，当事人未经消费者同意，根据购物记录向消费者发送商业性短信，且未提供退订方式。处罚款三万元。",
    )),
    "credit": ("pbc", "https://www.pbc.gov.cn/test/art_0009.html", dict(
        title="行政处罚信息公示表", decision_number="银罚决字〔2026〕9号", regulator="中国人民银行", regulator_level="national",
        regulator_family="PBC", party_name="示例银行股份有限公司", party_type="company", industry="banking",
        domain="data_protection", violation_types=["credit_information"], outcome_types=["warning", "fine"],
        legal_bases=[LegalBasis(law="征信业管理条例", article=40)], fine_cny=Decimal("17124000"),
        decision_date=date(2026, 9, 8), decision_date_precision="day",
        text="违法行为类型：违反信用信息采集、提供、查询及相关管理规定。行政处罚内容：警告，罚款1712.4万元。",
    )),
    "criminal": ("mps", "https://gaj.hangzhou.gov.cn/test/art_0010.html", dict(
        title="公安机关侦破侵犯公民个人信息案", regulator="杭州市公安局", regulator_level="municipal",
        regulator_family="MPS", province="浙江省", party_name="某数据公司", party_type="company", industry="other",
        domain="data_protection", violation_types=["illegal_data_trading"], outcome_types=["criminal_referral"],
        decision_date=date(2022, 3, 15), decision_date_precision="day",
        text="当事人非法出售用户手机号码和行程位置信息五万余条，涉嫌侵犯公民个人信息罪，已移送检察机关审查起诉。",
    )),
    "food": ("samr", "https://scjgj.luzhou.gov.cn/test/art_0011.html", dict(
        title="食品安全行政处罚决定书", decision_number="泸市监处罚〔2024〕11号", regulator="泸州市市场监督管理局",
        regulator_level="municipal", regulator_family="SAMR", province="四川省", party_name="泸州味源餐饮有限公司",
        party_type="company", industry="food_catering", domain="other", outcome_types=["fine"],
        legal_bases=[LegalBasis(law="食品安全法", article=124)], fine_cny=Decimal("5000"),
        decision_date=date(2024, 6, 12), decision_date_precision="day",
        text="当事人经营超过保质期的食品，违反《中华人民共和国食品安全法》。处罚款五千元。",
    )),
    "push": ("miit", "https://www.miit.gov.cn/test/art_0012.html", dict(
        title="关于侵害用户权益行为的APP通报（测试第4批）", regulator="工业和信息化部", regulator_level="national",
        regulator_family="MIIT", party_name="橙子优选科技有限公司", party_type="company", app_name="橙子优选",
        industry="ecommerce_retail", domain="data_protection", violation_types=["targeted_push"],
        outcome_types=["rectification_order", "public_notice"], decision_date=date(2025, 11, 20),
        decision_date_precision="day",
        text=_app_text("橙子优选", "橙子优选科技有限公司", "个性化推荐未提供关闭选项；定向推送营销信息"),
    )),
}


def document_id(key: str) -> str:
    source, url, _ = CASE_FIELDS[key]
    return stable_id(source, url, "")


def case_id(key: str) -> str:
    return stable_id(document_id(key), "1")


def build_cases() -> list[Case]:
    return [
        Case(case_id=case_id(key), document_id=document_id(key), source=source, source_url=url, **fields)
        for key, (source, url, fields) in CASE_FIELDS.items()
    ]


def build_match_warehouse(path: Path) -> None:
    """Write the documents, cases and the real taxonomy labels into a new warehouse file."""
    con = connect(path)
    try:
        documents = [
            RawDocument.build(source=source, url=url, content=f"fixture document {key}",
                              content_type="text/html", fetched_at=FETCHED_AT)
            for key, (source, url, _) in CASE_FIELDS.items()
        ]
        store_raw_documents(con, documents)
        cases = build_cases()
        statuses = {doc.document_id: ("parsed", None) for doc in documents}
        replace_cases(con, cases, sorted({case.source for case in cases}), statuses)
        replace_labels(con, all_label_rows())
    finally:
        con.close()
