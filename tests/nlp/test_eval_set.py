"""Check the labeled evaluation set of practice statements (eval_set.yaml): shape, limits and case ids.

The shape checks read only the YAML file. The id check builds one warehouse per module from
the real archive (EINTEL_ARCHIVE), the way `eintel demo --no-app` does, and skips when the
archive is absent.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import duckdb
import pytest
import yaml

from eintel.cli import main
from eintel.settings import get_settings
from tests.realdata import archive_file

EVAL_SET = Path(__file__).with_name("eval_set.yaml")
STATEMENTS = yaml.safe_load(EVAL_SET.read_text(encoding="utf-8"))["statements"]
MAX_RELEVANT = 40
# case_id is 16 hex digits; the YAML quotes it, because a YAML 1.2 reader takes 28207e6615596663 for a float.
CASE_ID = re.compile(r"[0-9a-f]{16}")


@pytest.fixture(scope="module")
def real_case_ids(tmp_path_factory) -> set[str]:
    archive_file("lawdatify/appviol/docs.json")
    folder = tmp_path_factory.mktemp("evalset")
    db = folder / "eintel.duckdb"
    archive = get_settings().archive_path

    assert main(["--db", str(db), "import", "--archive", str(archive)]) == 0
    # An empty crawl archive keeps locally crawled responses out of the build.
    assert main(["--db", str(db), "load", "--crawl-archive", str(folder / "no-crawls")]) == 0

    with duckdb.connect(str(db), read_only=True) as con:
        return {row[0] for row in con.execute("SELECT case_id FROM cases").fetchall()}


def test_eval_set_has_thirty_statements():
    assert len(STATEMENTS) >= 30


def test_eval_set_ids_unique():
    repeated = [sid for sid, count in Counter(s["id"] for s in STATEMENTS).items() if count > 1]

    assert repeated == []


def test_eval_set_has_english_statements():
    languages = Counter(s["language"] for s in STATEMENTS)

    assert set(languages) == {"zh", "en"}
    assert languages["en"] >= 5


@pytest.mark.parametrize("statement", STATEMENTS, ids=[s["id"] for s in STATEMENTS])
def test_statement_relevant_count(statement):
    count = len(statement["relevant"])

    assert 1 <= count <= MAX_RELEVANT, f"{statement['id']} lists {count} cases"


@pytest.mark.parametrize("statement", STATEMENTS, ids=[s["id"] for s in STATEMENTS])
def test_statement_grades_valid(statement):
    grades = {case["grade"] for case in statement["relevant"]}

    assert grades <= {1, 2}, f"{statement['id']} has grades {sorted(grades)}"
    assert 2 in grades, f"{statement['id']} has no grade-2 case"


@pytest.mark.parametrize("statement", STATEMENTS, ids=[s["id"] for s in STATEMENTS])
def test_statement_cases_unique(statement):
    repeated = [cid for cid, count in Counter(c["case_id"] for c in statement["relevant"]).items() if count > 1]

    assert repeated == [], f"{statement['id']} lists {repeated} twice"


@pytest.mark.parametrize("statement", STATEMENTS, ids=[s["id"] for s in STATEMENTS])
def test_statement_fields_filled(statement):
    assert statement["statement"].strip()
    assert isinstance(statement["broad"], bool)
    assert len(statement["how_found"]) >= 2, f"{statement['id']} records fewer than two queries"
    assert all(case["note"].strip() for case in statement["relevant"])


@pytest.mark.parametrize("statement", STATEMENTS, ids=[s["id"] for s in STATEMENTS])
def test_statement_case_ids_hex(statement):
    invalid = [case["case_id"] for case in statement["relevant"]
               if not isinstance(case["case_id"], str) or not CASE_ID.fullmatch(case["case_id"])]

    assert invalid == [], f"{statement['id']} has case ids that are not 16 hex digits: {invalid}"


@pytest.mark.real_data
def test_eval_set_cases_exist(real_case_ids):
    missing = sorted(
        (statement["id"], case["case_id"])
        for statement in STATEMENTS
        for case in statement["relevant"]
        if case["case_id"] not in real_case_ids
    )

    assert missing == [], f"{len(missing)} case ids not in a warehouse built from the real records: {missing[:10]}"
