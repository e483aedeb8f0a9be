"""Normalization of case drafts into cases, and the pipeline's handling of overlaps and failures."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal

from etl.models import CaseDraft, RawDocument
from etl.pipeline import persons_by_document, normalize_draft, run_etl

FETCHED = datetime(2026, 9, 24)


def _draft(**fields: object) -> CaseDraft:
    values: dict[str, object] = dict(
        document_id="doc1", source="sample", source_url="https://www.samr.gov.cn/x.html", record_key="r1",
    )
    values.update(fields)
    return CaseDraft(**values)


def test_pbc_row_fields():
    case = normalize_draft(_draft(
        source="pbc",
        party_raw="广发银行股份有限公司",
        decision_number_raw="银罚决字〔2026〕104号",
        regulator_raw="中国人民银行",
        decision_date_raw="2026年9月8日",
        publish_date_raw="2026-09-24 18:29:48",
        violation_raw=["违反数据安全管理规定", "违反信用信息采集、提供、查询及相关管理规定", "违反反假货币业务管理规定"],
        penalty_raw="警告，没收违法所得1.621747万元，罚款1712.4万元",
    ))

    assert case.party_type == "company"
    assert case.regulator == "中国人民银行"
    assert case.regulator_family == "PBC"
    assert case.fine_cny == Decimal("17124000")
    assert case.confiscation_cny == Decimal("16217.47")
    assert case.decision_date == date(2026, 9, 8)
    assert case.decision_date_precision == "day"
    assert case.industry == "banking"
    assert case.domain == "data_protection"
    assert set(case.outcome_types) >= {"warning", "fine", "confiscation"}


def test_unmatched_violation_item_adds_other():
    case = normalize_draft(_draft(
        source="pbc", regulator_raw="中国人民银行",
        violation_raw=["违反数据安全管理规定", "违反反假货币业务管理规定"],
    ))

    assert case.violation_types == ["security_failure", "other"]


def test_person_masked_in_title_and_text():
    case = normalize_draft(_draft(
        party_raw="李明", title="李明销售侵犯注册商标专用权的商品案", text="当事人李明销售商品。",
        regulator_raw="泸州市市场监督管理局",
    ))

    assert case.party_name == "李某"
    assert case.party_type == "individual"
    assert "李明" not in case.title
    assert "李明" not in case.text


def test_generic_regulator_refined_from_title():
    case = normalize_draft(_draft(regulator_raw="地方市场监管局", title="江苏省苏州市市场监管局公布5起典型案例"))

    assert case.regulator == "苏州市市场监督管理局"
    assert case.province == "江苏省"
    assert not any(w.kind == "regulator_generic" for w in case.parse_warnings)


def test_missing_party_warned():
    case = normalize_draft(_draft(regulator_raw="国家互联网信息办公室", title="关于30款App个人信息收集使用问题的通报"))

    assert case.party_name is None
    assert [w.kind for w in case.parse_warnings] == ["party_missing"]


def test_masked_decision_number_warned():
    case = normalize_draft(_draft(decision_number_raw="揭市监行处字〔2022〕***号"))

    assert case.decision_number is None
    assert "decision_number_masked" in [w.kind for w in case.parse_warnings]


def test_ambiguous_listed_amounts_unset():
    case = normalize_draft(_draft(amounts_raw=["4.9万元", "5万元"], text="两家公司分别受到处理。"))

    assert case.fine_cny is None
    assert "amount_ambiguous" in [w.kind for w in case.parse_warnings]


def test_year_precision_kept():
    case = normalize_draft(_draft(publish_date_raw="2021-01-01", extra={"date_precision": "year"}))

    assert case.publish_date == date(2021, 1, 1)
    assert case.publish_date_precision == "year"


def _json_document(source: str, url: str, record: dict) -> RawDocument:
    return RawDocument.build(source, url, json.dumps(record, ensure_ascii=False), "application/json", FETCHED)


def test_broken_document_marked_failed():
    broken = RawDocument.build("pbc", "http://www.pbc.gov.cn/x/index.html", "<p>no table</p>", "text/html", FETCHED)
    unknown = RawDocument.build("nosuch", "http://example.invalid/", "{}", "application/json", FETCHED)

    result = run_etl([broken, unknown])

    assert result.cases == []
    assert result.statuses[broken.document_id][0] == "failed"
    assert "TableShapeError" in result.statuses[broken.document_id][1]
    assert result.statuses[unknown.document_id][0] == "failed"


def test_superseded_notice_gives_legal_basis():
    url = "https://www.cac.gov.cn/2026-06/11/c_1782920097670955.htm"
    notice = _json_document("lawdatify_cases", url, {
        "title": "关于30款App个人信息收集使用问题的通报", "url": url, "date": "2026-06-11", "org": "国家网信办",
        "type": "移动应用与个人信息", "laws": ["App违法违规收集使用个人信息行为认定方法"], "fines": [], "fact": "",
        "kind": "App通报",
    })
    apps = _json_document("lawdatify_appviol", url, {
        "id": "a1", "title": "关于30款App个人信息收集使用问题的通报", "url": url, "date": "2026-06-11",
        "org": "国家网信办", "scope": "国家", "notice_kind": "批次通报", "carrier": "image-ocr",
        "date_precision": "day", "entries": [
            {"app": "锐新教育", "dev": "北京锐新科技有限公司", "ver": "", "store": "", "probs": ["超范围收集/违规收集"], "region": ""},
        ],
    })

    result = run_etl([notice, apps])

    assert [case.source for case in result.cases] == ["lawdatify_appviol"]
    assert result.statuses[notice.document_id][0] == "superseded"
    assert [basis.law for basis in result.cases[0].legal_bases] == ["App违法违规收集使用个人信息行为认定方法"]


def test_staff_names_masked_in_company_case():
    company = _draft(record_key="1", party_raw="示例消费金融股份有限公司",
                     text="示例消费金融股份有限公司违规查询信用信息，信息科技部负责人李明对此负有责任。")
    staff = _draft(record_key="2", party_raw="李明（示例消费金融股份有限公司信息科技部）", text="李明对违规查询负有责任。")
    persons = persons_by_document([company, staff])
    company_case = normalize_draft(company, co_party_persons=persons["doc1"])
    staff_case = normalize_draft(staff, co_party_persons=persons["doc1"])
    unmasked = normalize_draft(company, mask_persons=False, co_party_persons=persons["doc1"])

    assert persons == {"doc1": ("李明",)}
    assert "李明" not in company_case.text
    assert "李某" in company_case.text
    assert "李明" not in staff_case.text
    assert "李明" in unmasked.text


def test_staff_affiliation_kept_in_text():
    staff = _draft(record_key="2", party_raw="王小明（青禾数科有限公司信息科技部）",
                   text="当事人名称：王小明（青禾数科有限公司信息科技部）\n备注：王小明已缴纳罚款")
    case = normalize_draft(staff)

    assert "王小明" not in case.text
    assert "王某某（青禾数科有限公司信息科技部）" in case.text
    assert "备注：王某某已缴纳罚款" in case.text
