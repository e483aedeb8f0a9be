"""`eintel search` against the embedded fixture warehouse: output, filters and errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from eintel.cli import main
from nlp.search_cli import snippet
from tests.nlp.search_fixtures import build_search_warehouse


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_search_warehouse(tmp_path_factory.mktemp("search_cli") / "eintel.duckdb")


def _search(capsys: pytest.CaptureFixture[str], db: Path, *arguments: str) -> tuple[int, str, str]:
    code = main(["--db", str(db), "search", *arguments])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_keyword_marks_terms(warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _search(capsys, warehouse, "人脸识别", "--mode", "keyword", "-k", "1")
    lines = out.splitlines()

    assert code == 0
    assert lines[0].startswith("1. 杭州明镜商业管理有限公司违法处理人脸信息案  [score ")
    assert lines[0].endswith(", keyword #1]")
    assert lines[1] == ("   party: 杭州明镜商业管理有限公司 · regulator: 杭州市市场监督管理局 · date: 2025-06-03 "
                        "· fine: 500,000.00 yuan")
    assert "【人脸识别】" in lines[2]
    assert lines[3] == "   https://gaj.hangzhou.gov.cn/art/2025/3/18/art_1229_58.html"
    assert len(lines) == 4


def test_cli_hybrid_prints_k_hits(warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _search(capsys, warehouse, "未经同意收集个人信息", "-k", "3")
    ranks = [line.split(".", 1)[0] for line in out.splitlines() if not line.startswith("   ")]

    assert code == 0
    assert ranks == ["1", "2", "3"]
    assert "dense #" in out


def test_cli_regulator_filter(warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _search(capsys, warehouse, "收集个人信息", "--mode", "keyword", "--regulator", "工业和信息化部")
    regulators = {line.split("regulator: ")[1].split(" · ")[0] for line in out.splitlines() if "regulator: " in line}

    assert code == 0
    assert regulators == {"工业和信息化部"}


def test_cli_date_filter(warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _search(capsys, warehouse, "罚款", "--mode", "keyword", "--since", "2026-01-01")
    dates = [line.split("date: ")[1].split(" · ")[0] for line in out.splitlines() if "date: " in line]

    assert code == 0
    assert dates == ["2026-09-08"]


def test_cli_all_domains(warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, default_out, _ = _search(capsys, warehouse, "食品 保质期", "--mode", "keyword")
    code, all_out, _ = _search(capsys, warehouse, "食品 保质期", "--mode", "keyword", "--all-domains")

    assert "食品安全行政处罚决定书" not in default_out
    assert code == 0
    assert all_out.startswith("1. 食品安全行政处罚决定书")


def test_cli_no_hits_message(warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _search(capsys, warehouse, "量子纠缠", "--mode", "keyword")

    assert code == 0
    assert out.startswith("no matching cases")


def test_cli_missing_embeddings_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    db = build_search_warehouse(tmp_path / "eintel.duckdb", embed=False)

    code, out, err = _search(capsys, db, "人脸识别", "--mode", "dense")

    assert code == 2
    assert out == ""
    assert "has no embeddings for model usem3:" in err
    assert f"`eintel --db {db} embed`" in err
    assert "--mode keyword" in err


def test_cli_missing_warehouse_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _search(capsys, tmp_path / "absent.duckdb", "人脸识别", "--mode", "keyword")

    assert code == 2
    assert "warehouse file not found" in err


def test_cli_invalid_date_rejected(warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--db", str(warehouse), "search", "征信", "--since", "2024-13-01"])

    assert exit_info.value.code == 2
    assert "invalid date '2024-13-01'" in capsys.readouterr().err


def test_cli_invalid_k_rejected(warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--db", str(warehouse), "search", "征信", "-k", "0"])

    assert exit_info.value.code == 2
    assert "give at least 1" in capsys.readouterr().err


def test_snippet_cuts_around_first_match() -> None:
    text = "甲" * 300 + "人脸识别" + "乙" * 300
    spans = [(300, 304)]

    cut, moved = snippet(text, spans, size=100)

    assert cut.startswith("…")
    assert cut.endswith("…")
    assert len(cut) == 102
    assert [cut[start:end] for start, end in moved] == ["人脸识别"]


def test_snippet_keeps_short_text() -> None:
    assert snippet("违规收集", [(2, 4)]) == ("违规收集", [(2, 4)])


def test_cli_unknown_filter_value(warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _search(capsys, warehouse, "个人信息", "--mode", "keyword", "--province", "火星")

    assert code == 2
    assert "unknown --province value '火星'" in err


def test_cli_province_short_name(warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _search(capsys, warehouse, "个人信息", "--mode", "keyword", "--province", "广东")

    assert "unknown --province" not in err
    assert code == 0


def test_cli_empty_query_rejected(warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _search(capsys, warehouse, "   ")

    assert code == 2
    assert "the query is empty" in err
