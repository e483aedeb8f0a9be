"""The example profile matched against the warehouse of real public records.

The checks are properties a reader can verify in the report: each practice's evidence
passages name the practice's problem, app notices carry no fines, labels come from
the taxonomy, and the levels follow from the reasons. Skips when the archive is absent.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pytest
from openpyxl import load_workbook

from etl.taxonomy import label as taxonomy_label
from nlp.match import MatchReport, PracticeMatch, match_profile
from nlp.profile import EXAMPLE_FILE, load_profile
from nlp.report import markdown_report, write_excel
from nlp.search import default_encoder
from tests.nlp.network_guard import no_network  # noqa: F401 (a fixture)
from tests.nlp.real_warehouse import embedded_real_warehouse
from warehouse.db import connect

pytestmark = pytest.mark.real_data

AS_OF = date(2026, 12, 1)
K = 10

# Practice id → (word, minimum): at least `minimum` of the practice's matched cases must
# have the word in their evidence passage, because the practice is about it.
EVIDENCE_WORDS: dict[str, tuple[str, int]] = {
    "P1": ("同意", 5),
    "P2": ("权限", 8),
    "P3": ("人脸", 1),
    "P4": ("第三方", 4),
    "P5": ("注销", 8),
    "P6": ("定向推送", 2),
}


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(embedded_real_warehouse(tmp_path_factory), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def report(con: duckdb.DuckDBPyConnection) -> MatchReport:
    return match_profile(con, load_profile(EXAMPLE_FILE), default_encoder(), k=K, as_of=AS_OF)


def _practice(report: MatchReport, practice_id: str) -> PracticeMatch:
    return next(practice for practice in report.practices if practice.practice.id == practice_id)


def test_real_match_without_network(con: duckdb.DuckDBPyConnection, no_network: list[Any]) -> None:
    report = match_profile(con, load_profile(EXAMPLE_FILE), default_encoder(), k=3, as_of=AS_OF)

    assert len(report.practices) == 6
    assert no_network == []


def test_real_every_practice_has_k_cases(report: MatchReport) -> None:
    assert [len(practice.cases) for practice in report.practices] == [K] * 6


@pytest.mark.parametrize("practice_id", sorted(EVIDENCE_WORDS))
def test_real_evidence_names_problem(report: MatchReport, practice_id: str) -> None:
    word, minimum = EVIDENCE_WORDS[practice_id]
    practice = _practice(report, practice_id)

    matching = [case for case in practice.cases if word in case.passage_text]

    assert len(matching) >= minimum, [case.passage_text for case in practice.cases]


@pytest.mark.parametrize("practice_id", sorted(EVIDENCE_WORDS))
def test_real_practice_has_close_case(report: MatchReport, practice_id: str) -> None:
    assert _practice(report, practice_id).close_cases


def test_real_deletion_cases_classified(report: MatchReport) -> None:
    codes = [count.code for count in _practice(report, "P5").violation_types]

    assert "account_deletion" in codes or "data_subject_rights" in codes


def test_real_evidence_offsets(report: MatchReport, con: duckdb.DuckDBPyConnection) -> None:
    for practice in report.practices:
        for case in practice.cases:
            source = con.execute(f"SELECT {case.field} FROM cases WHERE case_id = ?", [case.case_id]).fetchone()[0]
            assert source[case.start:case.end] == case.passage_text


def test_real_outcome_labels_from_taxonomy(report: MatchReport) -> None:
    for practice in report.practices:
        for count in practice.outcomes:
            assert count.zh == taxonomy_label("outcome_types", count.code, "zh")
            assert count.en == taxonomy_label("outcome_types", count.code, "en")


def test_real_outcomes_most_common_first(report: MatchReport) -> None:
    for practice in report.practices:
        counts = [count.count for count in practice.outcomes]
        assert counts == sorted(counts, reverse=True)
        assert counts[0] <= len(practice.cases)


def test_real_app_notices_without_fines(report: MatchReport) -> None:
    practice = _practice(report, "P5")

    assert practice.fines.cases_with_fine == sum(1 for case in practice.cases if case.fine_cny)
    assert practice.fines.cases_without_fine == K - practice.fines.cases_with_fine


def test_real_levels_follow_points(report: MatchReport) -> None:
    for practice in report.practices:
        assert practice.points == sum(reason.points for reason in practice.reasons)
        assert practice.level == report.rules.level(practice.points)


def test_real_profile_reasons_present(report: MatchReport) -> None:
    face = [reason.code for reason in _practice(report, "P3").reasons]

    assert "sensitive_data" in face
    assert "transfer_without_mechanism" in face
    assert "sensitive_data" not in [reason.code for reason in _practice(report, "P1").reasons]


def test_real_transfer_finding_high(report: MatchReport) -> None:
    transfers = [finding for finding in report.findings if finding.kind == "cross_border_transfer"]

    assert [finding.level for finding in transfers] == ["high", "low"]


def test_real_reports_export(report: MatchReport, tmp_path: Path) -> None:
    markdown = markdown_report(report, "zh")
    workbook = load_workbook(write_excel(report, tmp_path / "real.xlsx", "en"))

    assert markdown.count("\n## 做法 ") == 6
    assert workbook["Matched cases"].max_row == 1 + 6 * K
