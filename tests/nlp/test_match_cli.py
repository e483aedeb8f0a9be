"""`eintel match`: the summary, the written reports and the errors a user can run into."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from eintel.cli import main
from nlp.embed import embed_cases
from nlp.profile import EXAMPLE_FILE
from nlp.search import default_encoder
from tests.nlp.match_cases import build_match_warehouse
from warehouse.db import connect


@pytest.fixture(scope="module")
def embedded_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("match-cli") / "eintel.duckdb"
    build_match_warehouse(path)
    with connect(path) as con:
        embed_cases(con, default_encoder())
    return path


@pytest.fixture(scope="module")
def bare_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse with cases but without passages or embeddings."""
    path = tmp_path_factory.mktemp("match-cli-bare") / "eintel.duckdb"
    build_match_warehouse(path)
    return path


def test_match_writes_reports(embedded_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    markdown = tmp_path / "report.md"
    excel = tmp_path / "report.xlsx"

    code = main(["--db", str(embedded_db), "match", str(EXAMPLE_FILE), "--markdown", str(markdown),
                 "--excel", str(excel), "--lang", "en", "-k", "3"])
    output = capsys.readouterr().out

    assert code == 0
    assert output.startswith("Risk match report: 示例出行科技有限公司\nRisk levels: ")
    assert output.count("\n[") >= 6
    assert f"written: {markdown}" in output
    assert markdown.read_text(encoding="utf-8").startswith("# Risk match report: 示例出行科技有限公司")
    assert load_workbook(excel).sheetnames == ["Summary", "Matched cases", "Transfers and categories"]


def test_missing_profile_file(embedded_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--db", str(embedded_db), "match", str(tmp_path / "absent.yaml")])
    error = capsys.readouterr().err

    assert code == 2
    assert "profile file not found" in error
    assert "docs/risk-profile.md" in error


def test_invalid_yaml(embedded_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "broken.yaml"
    profile.write_text("company: x\npractices: [\n", encoding="utf-8")

    code = main(["--db", str(embedded_db), "match", str(profile)])
    error = capsys.readouterr().err

    assert code == 2
    assert "invalid YAML at line" in error


def test_invalid_profile(embedded_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    profile = tmp_path / "profile.yaml"
    profile.write_text("company: x\nindustry: ecommerce\npractices:\n  - statement: a\n", encoding="utf-8")

    code = main(["--db", str(embedded_db), "match", str(profile)])
    error = capsys.readouterr().err

    assert code == 2
    assert "industry: 'ecommerce' is not a known industry code" in error


def test_missing_warehouse(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--db", str(tmp_path / "none.duckdb"), "match", str(EXAMPLE_FILE)])
    error = capsys.readouterr().err

    assert code == 2
    assert "warehouse file not found" in error


def test_no_embeddings(bare_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--db", str(bare_db), "match", str(EXAMPLE_FILE)])
    error = capsys.readouterr().err

    assert code == 2
    assert f"eintel --db {bare_db} embed" in error


def test_k_must_be_positive(embedded_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--db", str(embedded_db), "match", str(EXAMPLE_FILE), "-k", "0"])

    assert exit_info.value.code == 2
    assert "give at least 1" in capsys.readouterr().err


def test_unwritable_report(embedded_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["--db", str(embedded_db), "match", str(EXAMPLE_FILE), "-k", "1",
                 "--markdown", str(tmp_path / "missing-folder" / "report.md")])
    error = capsys.readouterr().err

    assert code == 2
    assert "failed to write the report" in error
