"""Hybrid search must beat keyword-only search on the labelled statements over the real records.

Builds one warehouse per module from the archive of real public records (EINTEL_ARCHIVE),
as `eintel import` and `eintel load` do, embeds it with the default encoder, and scores
tests/nlp/eval_set.yaml. Skips when the archive is absent. `benchmarks/search_quality.py`
prints the same figures as a table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eintel.cli import main
from eintel.settings import get_settings
from nlp.embed import embed_cases
from nlp.evaluate import ModeResult, evaluate, format_table, load_eval_set
from nlp.search import default_encoder
from tests.realdata import archive_file
from warehouse.db import connect

pytestmark = pytest.mark.real_data

EVAL_SET = Path(__file__).with_name("eval_set.yaml")


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, ModeResult]:
    archive_file("lawdatify/appviol/docs.json")
    folder = tmp_path_factory.mktemp("quality")
    db = folder / "eintel.duckdb"

    assert main(["--db", str(db), "import", "--archive", str(get_settings().archive_path)]) == 0
    # An empty crawl archive keeps locally crawled responses out of the build.
    assert main(["--db", str(db), "load", "--crawl-archive", str(folder / "no-crawls")]) == 0

    encoder: Any = default_encoder()
    statements = load_eval_set(EVAL_SET)
    con = connect(db)
    try:
        embed_cases(con, encoder)
        scored = evaluate(con, statements, encoder=encoder)
    finally:
        con.close()
    print("\n" + format_table(scored, statements))
    return scored


def test_hybrid_recall_beats_keyword(results: dict[str, ModeResult]) -> None:
    assert results["hybrid"].mean_recall > results["keyword"].mean_recall


def test_hybrid_ndcg_beats_keyword(results: dict[str, ModeResult]) -> None:
    assert results["hybrid"].mean_ndcg > results["keyword"].mean_ndcg
