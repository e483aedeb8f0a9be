"""benchmarks/dashboard_queries.py: the recorded bare SQL returns what the dashboard's query path returns.

Runs on a warehouse built from the real public records (skipped when they are absent),
and on the fixture warehouse of the dashboard tests.
"""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pytest

from app_pages import common
from benchmarks.dashboard_queries import Workload, capture_statements, dashboard_workload, replay, replicate_warehouse
from eintel.cli import main
from eintel.settings import get_settings
from tests.app.conftest import build_warehouse
from tests.realdata import archive_file


@pytest.fixture(scope="module")
def real_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse built from the real records as `eintel import` and `eintel load` build it."""
    archive_file("lawdatify/appviol/docs.json")
    folder = tmp_path_factory.mktemp("real-dashboard")
    db = folder / "eintel.duckdb"
    assert main(["--db", str(db), "import", "--archive", str(get_settings().archive_path)]) == 0
    assert main(["--db", str(db), "load", "--crawl-archive", str(folder / "no-crawls")]) == 0
    return db


@pytest.fixture(scope="module")
def fixture_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dashboard-fixture") / "eintel.duckdb"
    build_warehouse(path)
    return path


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float) and math.isnan(left) and math.isnan(right):
        return True
    if left is None or (isinstance(left, float) and math.isnan(left)) or left is pd.NaT:
        return right is None
    if isinstance(left, pd.Timestamp):
        # pandas turns DATE columns into Timestamps, fetchall() into dates.
        left = left.date() if type(right) is date else left.to_pydatetime()
    if hasattr(left, "tolist"):  # numpy scalars and arrays, such as a list column's value
        left = left.tolist()
    if isinstance(left, float) or isinstance(right, float):
        return math.isclose(float(left), float(right), rel_tol=1e-9)
    return left == right


def _app_rows(result: Any) -> list[tuple[Any, ...]]:
    """Turn a DataFrame result into row tuples comparable with fetchall()."""
    return [tuple(row) for row in result.itertuples(index=False, name=None)]


def _check_same_result(path: Path, item: Workload) -> None:
    con = duckdb.connect(str(path), read_only=True)
    try:
        _, statements = capture_statements(con, item.name, item.args)
        bare = replay(con, statements)
    finally:
        con.close()
    app = common.run_query(str(path), item.name, item.args)

    assert statements, f"{item.name} ({item.label}) sent no statement"
    if isinstance(app, pd.DataFrame):
        app_rows = _app_rows(app)
        assert len(app_rows) == len(bare[-1]), f"{item.name} ({item.label}): row counts differ"
        for app_row, bare_row in zip(app_rows, bare[-1]):
            assert all(_same(a, b) for a, b in zip(app_row, bare_row)), f"{item.name} ({item.label}): {app_row} != {bare_row}"
    elif isinstance(app, int):
        assert bare[-1] == [(app,)], f"{item.name} ({item.label})"
    elif item.name == "overview_metrics":
        assert bare[0][0][0] == app["cases"], f"{item.name} ({item.label})"
        assert bare[0][0][1] == app["cases_with_fine"], f"{item.name} ({item.label})"
    elif item.name == "case_detail":
        assert bare[0][0][0] == app["case_id"]
        assert len(bare[2]) == len(app["siblings"])
    elif item.name == "labels":
        assert dict(bare[0]) == app
    elif item.name == "filter_options":
        assert [row[0] for row in bare[0]] == app["regulators"]
        assert list(bare[-1][0]) == app["date_range"]
    else:
        pytest.fail(f"no comparison for {item.name}; add one")


def test_capture_replays_same_rows_real(real_warehouse: Path) -> None:
    with duckdb.connect(str(real_warehouse), read_only=True) as con:
        work = dashboard_workload(con)

    assert len({item.name for item in work}) == len(common._QUERIES)
    for item in work:
        _check_same_result(real_warehouse, item)


def test_capture_replays_same_rows_fixture(fixture_warehouse: Path) -> None:
    with duckdb.connect(str(fixture_warehouse), read_only=True) as con:
        work = dashboard_workload(con)

    for item in work:
        _check_same_result(fixture_warehouse, item)


def test_replicate_warehouse_grows_cases(fixture_warehouse: Path, tmp_path: Path) -> None:
    target = tmp_path / "grown.duckdb"

    built = replicate_warehouse(fixture_warehouse, target, copies=3)

    with duckdb.connect(str(target), read_only=True) as con:
        cases, distinct_ids = con.execute("SELECT count(*), count(DISTINCT case_id) FROM cases").fetchone()
        orphans = con.execute(
            "SELECT count(*) FROM cases WHERE document_id NOT IN (SELECT document_id FROM raw_documents)"
        ).fetchone()[0]
        year_dates_off_january = con.execute(
            "SELECT count(*) FROM cases WHERE publish_date_precision = 'year' AND strftime(publish_date, '%m-%d') <> '01-01'"
        ).fetchone()[0]
    assert built["cases"] == 3 * 16
    assert cases == distinct_ids == 48
    assert orphans == 0
    assert year_dates_off_january == 0
