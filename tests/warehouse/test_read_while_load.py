"""Dashboard queries in another process keep returning whole snapshots while a load runs.

Writers build a copy of the warehouse and rename it over the file (`open_for_update`), so
a reader sees the file as it was before an import or load, or as it is after, and never a
state in between. The test records the state the file is in after each command, runs the
dashboard's queries in a loop in a second process during an import and a load, and checks
every observation against those states.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from warehouse.db import WarehouseLockedError, connect, open_for_update, working_path

REPO = Path(__file__).resolve().parents[2]

REGULATORS = ("国家互联网信息办公室", "工业和信息化部", "广东省通信管理局", "上海市市场监督管理局")
VIOLATIONS = ("违法违规收集使用个人信息", "未履行数据安全保护义务", "强制、频繁、过度索取权限")
PENALTIES = ("警告", "罚款", "下架", "责令改正")

# The reader process: the queries the Overview, Trends and Cases pages run, each on a new
# read-only connection as app_pages/common.py opens them, plus the snapshot state.
READER = r"""
import json, sys, time
from warehouse.db import connect
from warehouse import queries
from warehouse.queries import Filters

path, log_path, stop_path = sys.argv[1], sys.argv[2], sys.argv[3]
everything = Filters(domain=None)
with open(log_path, "w", encoding="utf-8") as log:
    while True:
        stop = __import__("os").path.exists(stop_path)
        started = time.time()
        record = {"started": started}
        try:
            con = connect(path, read_only=True)
            try:
                record["state"] = [
                    con.execute("SELECT count(*) FROM cases").fetchall()[0][0],
                    con.execute("SELECT count(*) FROM raw_documents").fetchall()[0][0],
                    con.execute("SELECT count(*) FROM raw_documents WHERE parse_status = 'pending'").fetchall()[0][0],
                ]
                metrics = queries.overview_metrics(con, everything)
                by_regulator = queries.breakdown(con, everything, "regulator")
                monthly = queries.monthly_counts(con, everything, "regulator_family")
                page = queries.search_cases(con, everything, limit=50)
                record["checks"] = {
                    "metrics_total": int(metrics["cases"]),
                    "breakdown_total": int(by_regulator["cases"].sum()),
                    "monthly_total": int(monthly["cases"].sum()),
                    "page_rows": len(page),
                }
            finally:
                con.close()
        except Exception as error:
            record["error"] = repr(error)
        record["finished"] = time.time()
        log.write(json.dumps(record) + "\n")
        log.flush()
        if stop:
            break
"""


def write_records(path: Path, start: int, count: int) -> None:
    """Write `count` made-up decisions in the built-in sample's JSONL format."""
    with path.open("a", encoding="utf-8") as handle:
        for number in range(start, start + count):
            month = number % 12 + 1
            record = {
                "id": f"T{number:06d}",
                "source_url": f"https://www.example.gov.cn/xzcf/{number}.html",
                "title": f"关于示例{number}号信息科技有限公司违法处理个人信息的行政处罚决定",
                "regulator": REGULATORS[number % len(REGULATORS)],
                "decision_number": f"示罚字〔2025〕{number}号",
                "party": f"示例{number}号信息科技有限公司",
                "app": "",
                "decision_date": f"2025-{month:02d}-15",
                "publish_date": f"2025-{month:02d}-20",
                "violations": [VIOLATIONS[number % len(VIOLATIONS)]],
                "legal_bases": ["《中华人民共和国个人信息保护法》第六十六条"],
                "penalty": PENALTIES[number % len(PENALTIES)],
                "fines": [f"{(number % 50 + 1) * 10000}元"] if number % 4 == 1 else [],
                "summary": f"示例{number}号信息科技有限公司超范围收集用户个人信息，被责令改正。" * 3,
            }
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def eintel(db: Path, env: dict[str, str], *args: str) -> tuple[float, float]:
    """Run an eintel command in its own process; return when it started and finished."""
    started = time.time()
    result = subprocess.run(
        [sys.executable, "-m", "eintel.cli", "--db", str(db), *args],
        env=env, capture_output=True, text=True, timeout=600, cwd=REPO,
    )
    finished = time.time()
    assert result.returncode == 0, result.stderr[-2000:]
    return started, finished


def file_state(db: Path) -> list[int]:
    with connect(db, read_only=True) as con:
        return [
            con.execute("SELECT count(*) FROM cases").fetchall()[0][0],
            con.execute("SELECT count(*) FROM raw_documents").fetchall()[0][0],
            con.execute("SELECT count(*) FROM raw_documents WHERE parse_status = 'pending'").fetchall()[0][0],
        ]


@pytest.fixture
def sample_env(tmp_path: Path) -> dict[str, str]:
    sample = tmp_path / "sample"
    sample.mkdir()
    env = dict(os.environ, EINTEL_SAMPLE=str(sample), PYTHONPATH=str(REPO))
    env.pop("EINTEL_DB", None)
    return env


def test_queries_see_whole_snapshots_during_load(tmp_path: Path, sample_env: dict[str, str]):
    db = tmp_path / "eintel.duckdb"
    records = Path(sample_env["EINTEL_SAMPLE"]) / "cases.jsonl"
    write_records(records, 0, 1500)
    eintel(db, sample_env, "import", "--no-archive")
    eintel(db, sample_env, "load")
    states = [file_state(db)]

    # The second half doubles the data, so the load below runs for seconds.
    write_records(records, 1500, 3000)
    log_path, stop_path = tmp_path / "reader.jsonl", tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(db), str(log_path), str(stop_path)],
        env=sample_env, cwd=REPO, stderr=subprocess.PIPE, text=True,
    )
    try:
        time.sleep(1.0)
        eintel(db, sample_env, "import", "--no-archive")
        states.append(file_state(db))
        load_started, load_finished = eintel(db, sample_env, "load")
        states.append(file_state(db))
        time.sleep(1.0)
    finally:
        stop_path.touch()
        _, reader_errors = reader.communicate(timeout=120)
    assert reader.returncode == 0, reader_errors[-2000:]

    observations = [json.loads(line) for line in log_path.read_text(encoding="utf-8").splitlines()]
    errors = [o["error"] for o in observations if "error" in o]
    assert errors == []

    # Each command published one whole state: 1500 cases, then 4500 documents pending, then 4500 cases.
    assert states[0][:2] == [1500, 1500]
    assert states[1] == [1500, 4500, 3000]
    assert states[2] == [4500, 4500, 0]
    unknown = [o["state"] for o in observations if o["state"] not in states]
    assert unknown == []

    for observation in observations:
        checks = observation["checks"]
        assert checks["metrics_total"] == observation["state"][0]
        assert checks["breakdown_total"] == observation["state"][0]
        assert checks["monthly_total"] == observation["state"][0]
        assert checks["page_rows"] == 50

    during_load = [o for o in observations if o["started"] >= load_started and o["finished"] <= load_finished]
    assert len(during_load) >= 3, f"only {len(during_load)} reads ran inside a load of {load_finished - load_started:.1f} s"
    assert any(o["state"] == states[1] for o in during_load)
    assert observations[-1]["state"] == states[2]


def test_failed_update_leaves_file_unchanged(tmp_path: Path):
    db = tmp_path / "eintel.duckdb"
    with open_for_update(db) as con:
        con.execute("CREATE TABLE marker (value INTEGER)")
        con.execute("INSERT INTO marker VALUES (1)")
    before = db.read_bytes()

    with pytest.raises(RuntimeError, match="broken load"):
        with open_for_update(db) as con:
            con.execute("INSERT INTO marker VALUES (2)")
            raise RuntimeError("broken load")

    assert db.read_bytes() == before
    assert not working_path(db).exists()
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT list(value) FROM marker").fetchall()[0][0] == [1]


def test_second_writer_waits_then_fails(tmp_path: Path):
    db = tmp_path / "eintel.duckdb"
    connect(db).close()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from warehouse.db import open_for_update\n"
         "with open_for_update(sys.argv[1]) as con:\n"
         "    print('writing', flush=True); time.sleep(30)",
         str(db)],
        cwd=REPO, stdout=subprocess.PIPE, text=True, env=dict(os.environ, PYTHONPATH=str(REPO)),
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "writing"
        started = time.monotonic()
        with pytest.raises(WarehouseLockedError, match=f"PID {holder.pid}"):
            with open_for_update(db, wait_seconds=0.5):
                pass
        assert time.monotonic() - started >= 0.5
        # A reader is not kept waiting by the writer.
        with connect(db, read_only=True) as con:
            assert con.execute("SELECT count(*) FROM cases").fetchall()[0][0] == 0
    finally:
        holder.kill()
        holder.wait()


def test_killed_writer_leaves_copy_that_next_writer_removes(tmp_path: Path):
    db = tmp_path / "eintel.duckdb"
    connect(db).close()
    work = working_path(db)
    work.write_bytes(b"left by a killed writer")

    with open_for_update(db) as con:
        con.execute("CREATE TABLE marker AS SELECT 7 AS value")

    assert not work.exists()
    with connect(db, read_only=True) as con:
        assert con.execute("SELECT value FROM marker").fetchall() == [(7,)]
