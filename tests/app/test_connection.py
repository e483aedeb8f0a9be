"""The dashboard's read-only warehouse connection: kept open, reopened when a load renames a new file over it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from app_pages import common
from tests.app.conftest import CASES, build_warehouse
from warehouse.db import WarehouseError
from warehouse.queries import Filters

EVERYTHING = Filters(domain=None)
# Cases of the second version of the warehouse, which a load renames over the first.
SMALLER = 5


def _case_count(path: Path) -> int:
    return common.run_query(str(path), "overview_metrics", (EVERYTHING,))["cases"]


@pytest.fixture(scope="module")
def versions(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two warehouse files: all fixture cases, and the first SMALLER of them."""
    folder = tmp_path_factory.mktemp("versions")
    full, smaller = folder / "full.duckdb", folder / "smaller.duckdb"
    build_warehouse(full)
    build_warehouse(smaller, CASES[:SMALLER])
    return full, smaller


def _publish(source: Path, target: Path) -> None:
    """Copy `source` next to `target` and rename it over `target`, as `open_for_update` publishes a load."""
    staging = target.with_name(target.name + ".next")
    shutil.copyfile(source, staging)
    os.replace(staging, target)


def test_replaced_file_read_by_next_query(versions: tuple[Path, Path], tmp_path: Path) -> None:
    full, smaller = versions
    path = tmp_path / "eintel.duckdb"
    _publish(full, path)
    before = _case_count(path)

    _publish(smaller, path)
    after = _case_count(path)

    assert before == len(CASES)
    assert after == SMALLER


def test_connection_kept_between_queries(versions: tuple[Path, Path], tmp_path: Path) -> None:
    path = tmp_path / "eintel.duckdb"
    _publish(versions[0], path)
    _case_count(path)
    first = common._readers[str(path)].connection

    _case_count(path)

    assert common._readers[str(path)].connection is first


def test_open_cursor_keeps_old_file(versions: tuple[Path, Path], tmp_path: Path) -> None:
    full, smaller = versions
    path = tmp_path / "eintel.duckdb"
    _publish(full, path)
    cursor = common.warehouse_cursor(str(path))
    try:
        _publish(smaller, path)
        new_count = _case_count(path)
        old_count = cursor.execute("SELECT count(*) FROM cases").fetchone()[0]
    finally:
        cursor.close()

    assert new_count == SMALLER
    assert old_count == len(CASES)


def test_queries_succeed_during_swaps(versions: tuple[Path, Path], tmp_path: Path) -> None:
    full, smaller = versions
    path = tmp_path / "eintel.duckdb"
    _publish(full, path)
    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                seen.append(_case_count(path))
            except BaseException as error:  # noqa: BLE001 - every failure is a finding of this test
                errors.append(error)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        for swap in range(30):
            _publish(smaller if swap % 2 == 0 else full, path)
            time.sleep(0.02)
    finally:
        stop.set()
        for thread in readers:
            thread.join(timeout=60)

    assert errors == []
    assert set(seen) == {len(CASES), SMALLER}


def test_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="warehouse file not found"):
        common.run_query(str(tmp_path / "absent.duckdb"), "filter_options", ())


def test_deleted_file_forgotten(versions: tuple[Path, Path], tmp_path: Path) -> None:
    path = tmp_path / "eintel.duckdb"
    _publish(versions[0], path)
    _case_count(path)

    path.unlink()

    with pytest.raises(WarehouseError, match="warehouse file not found"):
        _case_count(path)
    assert str(path) not in common._readers


HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
time.sleep(30)
"""


def test_direct_writer_makes_warehouse_busy(
    versions: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "eintel.duckdb"
    shutil.copyfile(versions[0], path)
    monkeypatch.setenv("EINTEL_DB", str(path))
    monkeypatch.setattr(common, "READ_LOCK_WAIT_SECONDS", 0.5)
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
        problem = common.warehouse_problem()
    finally:
        child.kill()
        child.wait()

    assert problem == "busy"


def test_cached_query_misses_after_replace(
    versions: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from warehouse import queries

    full, smaller = versions
    path = tmp_path / "eintel.duckdb"
    _publish(full, path)
    monkeypatch.setenv("EINTEL_DB", str(path))
    before = common.query(queries.overview_metrics, EVERYTHING)["cases"]
    cached = common.query(queries.overview_metrics, EVERYTHING)["cases"]

    _publish(smaller, path)
    after = common.query(queries.overview_metrics, EVERYTHING)["cases"]

    assert before == cached == len(CASES)
    assert after == SMALLER
