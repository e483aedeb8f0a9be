"""The synthetic corpus generator: its archive goes through the real importer and ETL.

About 500 cases are generated from the real records, imported and loaded with the `eintel`
command in a subprocess, and compared with a warehouse built the same way from the real
records. Skips when the real records are absent.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from eintel.settings import REPO_ROOT, get_settings

pytestmark = pytest.mark.real_data

TARGET_CASES = 500
EINTEL = Path(sys.executable).with_name("eintel")


def _load_generator():
    spec = importlib.util.spec_from_file_location("synth_corpus", REPO_ROOT / "benchmarks" / "synth_corpus.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["synth_corpus"] = module
    spec.loader.exec_module(module)
    return module


def _real_root() -> Path:
    root = get_settings().archive_path
    if not (root / "lawdatify" / "appviol" / "docs.json").is_file():
        pytest.skip(f"real records not found at {root}; set EINTEL_ARCHIVE to the raw data folder")
    return root


def _build_warehouse(archive: Path, db: Path) -> None:
    for command in (["import", "--archive", str(archive), "--no-sample"], ["load"]):
        completed = subprocess.run(
            [str(EINTEL), "--db", str(db), *command], capture_output=True, text=True, timeout=300, cwd=REPO_ROOT
        )
        assert completed.returncode == 0, f"eintel {command[0]} failed:\n{completed.stderr[-2000:]}"


@pytest.fixture(scope="module")
def synth():
    return _load_generator()


@pytest.fixture(scope="module")
def built(synth, tmp_path_factory):
    real_root = _real_root()
    folder = tmp_path_factory.mktemp("synth")
    archive = folder / "archive"
    summary = synth.generate(archive, TARGET_CASES, seed=11, real_root=real_root)

    synthetic_db, real_db = folder / "synthetic.duckdb", folder / "real.duckdb"
    _build_warehouse(archive, synthetic_db)
    _build_warehouse(real_root, real_db)
    return {"summary": summary, "archive": archive, "synthetic_db": synthetic_db, "real_db": real_db}


def _query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_case_count_within_tolerance(built):
    cases = _query(built["synthetic_db"], "SELECT count(*) FROM cases")[0][0]

    assert abs(built["summary"]["cases_expected"] - TARGET_CASES) <= TARGET_CASES * 0.02
    assert cases == built["summary"]["cases_expected"]


def test_documents_all_parsed_none_superseded(built):
    statuses = dict(_query(built["synthetic_db"], "SELECT parse_status, count(*) FROM raw_documents GROUP BY 1"))

    assert statuses.get("superseded", 0) == 0
    assert set(statuses) == {"parsed"}
    assert statuses["parsed"] == sum(built["summary"]["documents"].values())


def test_case_ids_and_urls_distinct(built):
    documents = _query(built["synthetic_db"], "SELECT count(DISTINCT document_id) FROM cases")[0][0]
    raw_documents, urls = _query(built["synthetic_db"], "SELECT count(*), count(DISTINCT url) FROM raw_documents")[0]
    # The ETL renames a case whose id another case of the run already has, and warns.
    renamed = _query(built["synthetic_db"], "SELECT count(*) FROM v_parse_warnings WHERE kind = 'duplicate_record_key'")[0][0]

    assert renamed == 0
    assert documents == raw_documents
    assert urls == raw_documents


def test_party_names_made_up(built):
    synthetic = {row[0] for row in _query(built["synthetic_db"], "SELECT party_name FROM cases WHERE party_name IS NOT NULL")}
    real = {row[0] for row in _query(built["real_db"], "SELECT party_name FROM cases WHERE party_name IS NOT NULL")}

    assert len(synthetic) > 100
    # Masked names (张某), media and public bodies (日报社) and names in which no brand part is
    # found stay as they were; 1.4% of the distinct names at 10k cases (seed 7).
    assert len(synthetic & real) / len(synthetic) < 0.05


def test_main_shares_close_to_real(synth, built):
    real = synth.distribution_table(built["real_db"])
    synthetic = synth.distribution_table(built["synthetic_db"])
    real_families, synthetic_families = dict(real["regulator_family"]), dict(synthetic["regulator_family"])

    assert {"MIIT", "SAMR"} <= set(synthetic_families)
    assert set(synthetic_families) <= set(real_families)
    assert abs(synthetic_families["MIIT"] - real_families["MIIT"]) < 0.05
    assert abs(synthetic_families["SAMR"] - real_families["SAMR"]) < 0.05
    assert abs(dict(synthetic["industry"])["internet_platforms"] - dict(real["industry"])["internet_platforms"]) < 0.05
    assert abs(dict(synthetic["violation_type"])["excessive_collection"] - dict(real["violation_type"])["excessive_collection"]) < 0.07
    assert synthetic["fine"]["share_with_fine"] > 0
    assert abs(synthetic["fine"]["share_with_fine"] - real["fine"]["share_with_fine"]) < 0.01
    assert abs(synthetic["text_length"]["0.5"] - real["text_length"]["0.5"]) <= 5


def test_output_same_from_command_line(built, tmp_path):
    # Another process with another string hash seed must write the same bytes for the same seed.
    again = tmp_path / "again"
    completed = subprocess.run(
        [sys.executable, str(REPO_ROOT / "benchmarks" / "synth_corpus.py"), "--cases", str(TARGET_CASES),
         "--out", str(again), "--seed", "11", "--real-root", str(_real_root())],
        capture_output=True, text=True, timeout=300, cwd=REPO_ROOT, env={**os.environ, "PYTHONHASHSEED": "123"},
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert json.loads(completed.stdout)["cases_expected"] == built["summary"]["cases_expected"]

    for relative in built["summary"]["documents"]:
        assert (built["archive"] / relative).read_bytes() == (again / relative).read_bytes(), relative


def test_output_files_parse_as_json(built):
    for relative in built["summary"]["documents"]:
        text = (built["archive"] / relative).read_text(encoding="utf-8")
        if relative.endswith(".jsonl"):
            records = [json.loads(line) for line in text.splitlines()]
        else:
            data = json.loads(text)
            assert data["meta"]["synthetic"] is True
            records = next(value for key, value in data.items() if key != "meta")
        assert len(records) == built["summary"]["documents"][relative], relative


def test_other_seed_gives_other_names(synth, built, tmp_path):
    synth.generate(tmp_path / "other", TARGET_CASES, seed=12, real_root=_real_root())
    relative = "lawdatify/appviol/docs.json"

    assert (built["archive"] / relative).read_bytes() != (tmp_path / "other" / relative).read_bytes()


def test_output_inside_repository_rejected(synth):
    with pytest.raises(ValueError, match="inside the repository"):
        synth.generate(REPO_ROOT / "data" / "synthetic", 10)


def test_scale_amounts_keeps_ranges(synth):
    text = "依据规定处十万元以上一百万元以下罚款，决定罚款5万元，没收违法所得1,200元。"

    scaled = synth.scale_amounts(text, Decimal("0.5"))

    assert "十万元以上一百万元以下" in scaled
    assert "罚款2.5万元" in scaled
    assert "违法所得600元" in scaled


def test_shift_text_dates(synth):
    text = "2024年2月28日立案，2024年 3 月 6 日作出行政处罚决定，2月30日无效日期2024年2月30日。"

    shifted = synth.shift_text_dates(text, 2)

    assert shifted.startswith("2024年3月1日立案，2024年 3 月 8 日作出")
    assert shifted.endswith("2024年2月30日。")


def test_synthetic_url_keeps_fragment(synth):
    assert synth.synthetic_url("https://a.gov.cn/x.html#c2", 5) == "https://a.gov.cn/x.html?synth=5#c2"
    assert synth.synthetic_url("https://a.gov.cn/x?id=1", 6) == "https://a.gov.cn/x?id=1&synth=6"
