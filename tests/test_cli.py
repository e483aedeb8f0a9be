"""Errors of the `eintel` command name the bad value and the next step, with exit code 2."""

from __future__ import annotations

import pytest

from eintel.cli import main
from eintel.settings import REPO_ROOT, get_settings


@pytest.fixture()
def sample_db(tmp_path):
    db = tmp_path / "eintel.duckdb"
    assert main(["--db", str(db), "import", "--no-archive"]) == 0
    return db


def test_import_archive_is_file(tmp_path, capsys):
    code = main(["--db", str(tmp_path / "e.duckdb"), "import", "--archive", str(REPO_ROOT / "README.md")])

    assert code == 2
    assert "not a folder" in capsys.readouterr().err


def test_import_archive_without_records(tmp_path, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()

    code = main(["--db", str(tmp_path / "e.duckdb"), "import", "--archive", str(empty)])

    assert code == 2
    assert "no known record files" in capsys.readouterr().err


def test_import_named_archive_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("EINTEL_ARCHIVE", str(tmp_path / "typo"))
    get_settings.cache_clear()
    try:
        code = main(["--db", str(tmp_path / "e.duckdb"), "import"])
    finally:
        monkeypatch.delenv("EINTEL_ARCHIVE")
        get_settings.cache_clear()

    assert code == 2
    assert "typo" in capsys.readouterr().err


def test_load_missing_warehouse_not_created(tmp_path, capsys):
    db = tmp_path / "missing.duckdb"

    code = main(["--db", str(db), "load"])

    assert code == 2
    assert "eintel import" in capsys.readouterr().err
    assert not db.exists()


def test_load_unknown_source(sample_db, capsys):
    code = main(["--db", str(sample_db), "load", "--source", "nosuch"])

    error = capsys.readouterr().err
    assert code == 2
    assert "nosuch" in error
    assert "sample" in error


def test_stats_invalid_file(capsys):
    code = main(["--db", str(REPO_ROOT / "README.md"), "stats"])

    assert code == 2
    assert "EINTEL_DB" in capsys.readouterr().err


def test_stats_without_cases(sample_db, capsys):
    code = main(["--db", str(sample_db), "stats"])

    assert code == 2
    assert "eintel load" in capsys.readouterr().err
