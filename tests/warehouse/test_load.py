"""Idempotent loads into a real DuckDB file."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import duckdb
import pytest

from etl.models import Case, LegalBasis, ParseWarning, RawDocument
from warehouse.db import WarehouseError, connect
from warehouse.load import LoadError, replace_cases, store_raw_documents

FETCHED = datetime(2026, 9, 24, 18, 29, 48)


def _document(url: str, content: str = "<table></table>") -> RawDocument:
    return RawDocument.build("pbc", url, content, "text/html", FETCHED)


def _case(document: RawDocument, key: str, **changes: object) -> Case:
    values: dict[str, object] = dict(
        case_id=f"{document.document_id}-{key}",
        document_id=document.document_id,
        source=document.source,
        source_url=document.url,
        title="银罚决字〔2026〕104-116号",
        decision_number=f"银罚决字〔2026〕{key}号",
        regulator="中国人民银行",
        party_name="广发银行股份有限公司",
        party_type="company",
        violation_types=["security_failure", "credit_information"],
        legal_bases=[LegalBasis(law="数据安全法", article=45)],
        outcome_types=["warning", "fine"],
        fine_cny=Decimal("17124000"),
        confiscation_cny=Decimal("16217.47"),
        decision_date=date(2026, 9, 8),
        decision_date_precision="day",
        parse_warnings=[ParseWarning(kind="amount_unclassified", field="fine_cny", raw="5万元")],
    )
    values.update(changes)
    return Case(**values)


def _table(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT * FROM cases ORDER BY case_id").fetchall()


@pytest.fixture()
def con(tmp_path):
    with connect(tmp_path / "eintel.duckdb") as connection:
        yield connection


def test_raw_store_is_idempotent(con):
    documents = [_document("http://www.pbc.gov.cn/a"), _document("http://www.pbc.gov.cn/b")]

    first = store_raw_documents(con, documents)
    rows_after_first = con.execute("SELECT * FROM raw_documents ORDER BY document_id").fetchall()
    second = store_raw_documents(con, documents)

    assert (first.inserted, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 2)
    assert con.execute("SELECT * FROM raw_documents ORDER BY document_id").fetchall() == rows_after_first


def test_raw_store_updates_changed_content(con):
    store_raw_documents(con, [_document("http://www.pbc.gov.cn/a", "old")])

    report = store_raw_documents(con, [_document("http://www.pbc.gov.cn/a", "new")])

    assert report.updated == 1
    assert con.execute("SELECT count(*), any_value(content) FROM raw_documents").fetchone() == (1, "new")


def test_case_load_twice_same_rows(con):
    document = _document("http://www.pbc.gov.cn/a")
    store_raw_documents(con, [document])
    cases = [_case(document, "104"), _case(document, "105", party_name="X某", party_type="individual")]

    first = replace_cases(con, cases, ["pbc"], {document.document_id: ("parsed", None)})
    rows_after_first = _table(con)
    second = replace_cases(con, cases, ["pbc"], {document.document_id: ("parsed", None)})

    assert first.inserted == 2
    assert (second.inserted, second.updated, second.deleted, second.unchanged) == (0, 0, 0, 2)
    assert _table(con) == rows_after_first
    assert con.execute("SELECT count(*) FROM load_runs").fetchone()[0] == 1


def test_changed_case_updated_not_duplicated(con):
    document = _document("http://www.pbc.gov.cn/a")
    store_raw_documents(con, [document])
    replace_cases(con, [_case(document, "104")], ["pbc"], {})

    report = replace_cases(con, [_case(document, "104", fine_cny=Decimal("500000"))], ["pbc"], {})

    assert report.updated == 1
    assert con.execute("SELECT count(*), any_value(fine_cny) FROM cases").fetchone() == (1, Decimal("500000.00"))


def test_case_missing_from_reload_deleted(con):
    document = _document("http://www.pbc.gov.cn/a")
    replace_cases(con, [_case(document, "104"), _case(document, "105")], ["pbc"], {})

    report = replace_cases(con, [_case(document, "104")], ["pbc"], {})

    assert report.deleted == 1
    assert [row[0] for row in con.execute("SELECT case_id FROM cases").fetchall()] == [f"{document.document_id}-104"]


def test_other_sources_untouched(con):
    pbc = _document("http://www.pbc.gov.cn/a")
    sample = RawDocument.build("sample", "http://www.cac.gov.cn/x", "{}", "application/json", FETCHED)
    replace_cases(con, [_case(sample, "1", source="sample")], ["sample"], {})

    replace_cases(con, [_case(pbc, "104")], ["pbc"], {})

    assert con.execute("SELECT count(*) FROM cases WHERE source = 'sample'").fetchone()[0] == 1


def test_failed_load_leaves_warehouse_unchanged(con):
    document = _document("http://www.pbc.gov.cn/a")
    replace_cases(con, [_case(document, "104")], ["pbc"], {})
    before = _table(con)

    duplicate = [_case(document, "105"), _case(document, "105")]
    with pytest.raises(LoadError, match="duplicate case ids"):
        replace_cases(con, duplicate, ["pbc"], {})
    with pytest.raises(LoadError, match="not declared"):
        replace_cases(con, [_case(document, "106", source="sample")], ["pbc"], {})

    assert _table(con) == before


def test_error_inside_transaction_rolls_back(con):
    document = _document("http://www.pbc.gov.cn/a")
    replace_cases(con, [_case(document, "104")], ["pbc"], {})
    before = _table(con)
    # A title over DuckDB's NOT NULL constraint fails mid-transaction, after the delete.
    broken = _case(document, "105")
    object.__setattr__(broken, "title", None)

    with pytest.raises(duckdb.ConstraintException):
        replace_cases(con, [broken], ["pbc"], {})

    assert _table(con) == before


def test_views_expose_lists_and_event_month(con):
    document = _document("http://www.pbc.gov.cn/a")
    year_only = _case(document, "105", decision_date=date(2021, 1, 1), decision_date_precision="year")
    replace_cases(con, [_case(document, "104"), year_only], ["pbc"], {})

    months = dict(con.execute("SELECT decision_number, event_month FROM v_cases").fetchall())
    laws = con.execute("SELECT DISTINCT law, article FROM v_case_legal_bases").fetchall()
    warnings = con.execute("SELECT count(*) FROM v_parse_warnings").fetchone()[0]

    assert months["银罚决字〔2026〕104号"] == date(2026, 9, 1)
    assert months["银罚决字〔2026〕105号"] is None
    assert laws == [("数据安全法", 45)]
    assert warnings == 2


def test_read_only_missing_file_error(tmp_path):
    with pytest.raises(WarehouseError, match="eintel demo"):
        connect(tmp_path / "missing.duckdb", read_only=True)
