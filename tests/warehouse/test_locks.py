"""Another process holding the warehouse file: readers and writers wait, then fail clearly."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from warehouse.db import WarehouseLockedError, connect

HOLD = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
print("held", flush=True)
time.sleep(float(sys.argv[3]))
con.close()
"""


def hold_file(path: Path, mode: str, seconds: float) -> subprocess.Popen[str]:
    """Start a process that keeps the file open, and return once it holds the lock."""
    child = subprocess.Popen([sys.executable, "-c", HOLD, str(path), mode, str(seconds)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "held"
    return child


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "eintel.duckdb"
    connect(path).close()
    return path


def test_reader_fails_fast_without_wait(warehouse: Path):
    child = hold_file(warehouse, "rw", 5)
    try:
        with pytest.raises(WarehouseLockedError, match=f"PID {child.pid}"):
            connect(warehouse, read_only=True)
    finally:
        child.kill()
        child.wait()


def test_reader_waits_for_writer(warehouse: Path):
    child = hold_file(warehouse, "rw", 1.0)
    started = time.monotonic()
    con = connect(warehouse, read_only=True, wait_seconds=20)
    waited = time.monotonic() - started
    con.close()
    child.wait()
    assert waited > 0.3


def test_writer_waits_for_reader(warehouse: Path):
    child = hold_file(warehouse, "ro", 1.0)
    con = connect(warehouse, wait_seconds=20)
    assert con.execute("SELECT count(*) FROM cases").fetchone()[0] == 0
    con.close()
    child.wait()


def test_cli_load_reports_lock(warehouse: Path, tmp_path: Path):
    child = hold_file(warehouse, "rw", 30)
    try:
        result = subprocess.run(
            [sys.executable, "-c",
             "import sys; import eintel.cli as cli; cli.LOCK_WAIT_SECONDS = 0.5; "
             f"sys.exit(cli.main(['--db', {str(warehouse)!r}, 'load', '--crawl-archive', {str(tmp_path / 'none')!r}]))"],
            capture_output=True, text=True, timeout=60,
        )
    finally:
        child.kill()
        child.wait()
    assert result.returncode == 2
    assert "in use by another process" in result.stderr
    assert "Traceback" not in result.stderr
