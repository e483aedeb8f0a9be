"""The whole pipeline through the `eintel` command: import, load and report into a real DuckDB file."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import duckdb
import pytest

from eintel.cli import main
from eintel.settings import get_settings
from etl.models import RawDocument
from warehouse.db import connect
from warehouse.load import store_raw_documents
from warehouse.quality import field_coverage

ARCHIVE = get_settings().archive_path
needs_archive = pytest.mark.skipif(
    not ARCHIVE.exists(), reason=f"archive folder {ARCHIVE} not found; set EINTEL_ARCHIVE to the raw records"
)


def _cases(db) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute("SELECT * FROM cases ORDER BY case_id").fetchall()


def _scalar(db, sql: str, params: list | None = None):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchone()[0]


@pytest.fixture(scope="module")
def sample_db(tmp_path_factory):
    db = tmp_path_factory.mktemp("sample") / "eintel.duckdb"
    assert main(["--db", str(db), "import", "--no-archive"]) == 0
    assert main(["--db", str(db), "load"]) == 0
    return db


@pytest.fixture(scope="module")
def real_db(tmp_path_factory):
    if not ARCHIVE.exists():
        pytest.skip(f"archive folder {ARCHIVE} not found; set EINTEL_ARCHIVE to the raw records")
    db = tmp_path_factory.mktemp("real") / "eintel.duckdb"
    assert main(["--db", str(db), "import", "--archive", str(ARCHIVE)]) == 0
    assert main(["--db", str(db), "load"]) == 0
    return db


def test_sample_loads_forty_cases(sample_db):
    assert _scalar(sample_db, "SELECT count(*) FROM cases WHERE source = 'sample'") >= 40


@pytest.mark.parametrize("family", ["CAC", "MIIT", "PBC", "SAMR", "MPS"])
def test_sample_covers_regulator_family(sample_db, family):
    count = _scalar(sample_db, "SELECT count(*) FROM cases WHERE regulator_family = ?", [family])

    assert count > 0, f"no sample case of regulator family {family}"


def test_sample_has_both_domains(sample_db):
    domains = dict(duckdb.connect(str(sample_db), read_only=True).execute(
        "SELECT domain, count(*) FROM cases GROUP BY domain"
    ).fetchall())

    assert domains.get("data_protection", 0) > 0
    assert domains.get("other", 0) > 0


def test_reload_leaves_same_rows(sample_db):
    before = _cases(sample_db)

    assert main(["--db", str(sample_db), "import", "--no-archive"]) == 0
    assert main(["--db", str(sample_db), "load"]) == 0

    assert _cases(sample_db) == before


def test_broken_document_flagged_not_fatal(tmp_path):
    db = tmp_path / "eintel.duckdb"
    assert main(["--db", str(db), "import", "--no-archive"]) == 0
    broken = RawDocument.build(
        "pbc", "http://www.pbc.gov.cn/broken/index.html", "<html><p>no table here</p></html>", "text/html",
        datetime(2026, 9, 24),
    )
    with connect(db) as con:
        store_raw_documents(con, [broken])

    assert main(["--db", str(db), "load"]) == 0

    status, note = duckdb.connect(str(db), read_only=True).execute(
        "SELECT parse_status, parse_note FROM raw_documents WHERE document_id = ?", [broken.document_id]
    ).fetchone()
    assert status == "failed"
    assert "TableShapeError" in note
    assert _scalar(db, "SELECT count(*) FROM cases WHERE source = 'sample'") >= 40


def test_import_missing_archive_exits_2(tmp_path, capsys):
    code = main(["--db", str(tmp_path / "e.duckdb"), "import", "--archive", str(tmp_path / "missing")])

    assert code == 2
    assert "archive folder not found" in capsys.readouterr().err


def test_load_without_import_exits_2(tmp_path, capsys):
    code = main(["--db", str(tmp_path / "e.duckdb"), "load"])

    assert code == 2
    assert "eintel import" in capsys.readouterr().err


@needs_archive
@pytest.mark.real_data
@pytest.mark.parametrize(
    ("source", "minimum"),
    [("lawdatify_appviol", 5500), ("lawdatify_cases", 500), ("lawdatify_batches", 10), ("pbc", 13)],
)
def test_real_cases_per_source(real_db, source, minimum):
    assert _scalar(real_db, "SELECT count(*) FROM cases WHERE source = ?", [source]) >= minimum


@needs_archive
@pytest.mark.real_data
def test_real_sample_not_imported(real_db):
    assert _scalar(real_db, "SELECT count(*) FROM raw_documents WHERE source = 'sample'") == 0


@needs_archive
@pytest.mark.real_data
def test_real_pbc_bank_row(real_db):
    row = duckdb.connect(str(real_db), read_only=True).execute(
        "SELECT party_type, fine_cny, confiscation_cny, decision_date, regulator, domain, violation_types "
        "FROM cases WHERE source = 'pbc' AND decision_number = '银罚决字〔2026〕104号'"
    ).fetchone()

    assert row[0] == "company"
    assert row[1] == Decimal("17124000.00")
    assert row[2] == Decimal("16217.47")
    assert str(row[3]) == "2026-09-08"
    assert row[4] == "中国人民银行"
    assert row[5] == "data_protection"
    assert "credit_information" in row[6]
    assert "other" in row[6]


@needs_archive
@pytest.mark.real_data
def test_real_persons_masked(real_db):
    unmasked = duckdb.connect(str(real_db), read_only=True).execute(
        "SELECT party_name FROM cases WHERE party_type = 'individual' "
        "AND NOT regexp_matches(party_name, '某|\\*')"
    ).fetchall()

    assert unmasked == []


@needs_archive
@pytest.mark.real_data
def test_real_same_notice_loaded_once(real_db):
    # The 2026 batch 5 MIIT notice is in three datasets; its apps must appear once each.
    duplicates = _scalar(
        real_db,
        "SELECT count(*) FROM (SELECT app_name, party_name, publish_date FROM cases "
        "WHERE title LIKE '%2026年第5批，总第58批%' AND app_name IS NOT NULL "
        "GROUP BY ALL HAVING count(*) > 1)",
    )
    apps = _scalar(real_db, "SELECT count(*) FROM cases WHERE title LIKE '%2026年第5批，总第58批%'")

    assert apps > 0
    assert duplicates == 0


# Floors measured on the real records, a few points below the measured share.
COVERAGE_FLOORS = {
    "date": 0.98,
    "regulator": 0.99,
    "province (non-national regulator)": 0.98,
    "industry": 0.90,
    "violation type": 0.80,
    "outcome type": 0.90,
    "fine (where stated)": 0.85,
}


@needs_archive
@pytest.mark.real_data
@pytest.mark.parametrize("field", sorted(COVERAGE_FLOORS))
def test_real_field_coverage(real_db, field):
    with duckdb.connect(str(real_db), read_only=True) as con:
        coverage = {row.field: row for row in field_coverage(con)}

    assert coverage[field].share >= COVERAGE_FLOORS[field], (
        f"{field}: {coverage[field].parsed}/{coverage[field].applicable}"
    )


@needs_archive
@pytest.mark.real_data
def test_stats_prints_report(real_db, capsys):
    assert main(["--db", str(real_db), "stats"]) == 0

    output = capsys.readouterr().out
    assert "| lawdatify_appviol |" in output
    assert "## Parse warnings by kind" in output


def test_worker_processes_give_same_cases(monkeypatch):
    import etl.pipeline as pipeline
    from etl.sources.sample import read_sample

    documents, _ = read_sample(get_settings().sample_path / "cases.jsonl")
    broken = RawDocument.build(
        "pbc", "http://www.pbc.gov.cn/broken/index.html", "<html><p>no table here</p></html>", "text/html",
        datetime(2026, 9, 24),
    )
    documents.append(broken)
    serial = pipeline.run_etl(documents)

    monkeypatch.setattr(pipeline, "PARALLEL_MIN_DOCUMENTS", 0)
    monkeypatch.setattr(pipeline, "WORKER_BATCH", 7)
    run = pipeline.EtlRun(lambda: documents, workers=2, total=len(documents))
    run.plan()
    parallel = list(run.cases())

    assert len(parallel) == len(serial.cases) > 0
    assert [case.model_dump_json() for case in parallel] == [case.model_dump_json() for case in serial.cases]
    assert run.statuses == serial.statuses
    assert run.statuses[broken.document_id][0] == "failed"
