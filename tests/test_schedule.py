"""`eintel schedule`: the schedule file's checks, fire times, --dry-run, and real runs.

The runs crawl the PBC fixture column served on 127.0.0.1 (tests/scrapers) with the
fast settings of the spider tests, passed through `eintel schedule --set`, and load
into a DuckDB file in the test's tmp folder.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator
from zoneinfo import ZoneInfo

import duckdb
import pytest
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED

from eintel.cli import main
from eintel.schedule import Pipeline, StageOptions, build_scheduler, cli_has_command
from eintel.schedule_config import ScheduleError, crontab_weekdays, dry_run_lines, load_schedule, next_fire_times
from eintel.settings import REPO_ROOT
from scrapers.archive import CrawlArchive
from scrapers.runner import available_sources
from tests.scrapers.conftest import FAST_SETTINGS
from tests.scrapers.server import FixtureServer
from tests.scrapers.test_spider_pbc import configure, serve_clean_column

AVAILABLE = ["miit", "pbc"]
SHANGHAI = ZoneInfo("Asia/Shanghai")
# 2026-03-01 08:00 in Shanghai, a Sunday.
NOW = datetime(2026, 3, 1, 0, 0, tzinfo=timezone.utc)
# Upper bound for a crawl and a load of the fixture column on a slow machine, not an expectation.
RUN_TIMEOUT_SECONDS = 180


def write_schedule(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def schedule_problem(tmp_path: Path, text: str) -> str:
    with pytest.raises(ScheduleError) as raised:
        load_schedule(write_schedule(tmp_path / "schedule.yaml", text), AVAILABLE)
    return str(raised.value)


# Validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('sources:\n  cacx:\n    cron: "0 2 * * *"\n', ["unknown source 'cacx'", "available sources: miit, pbc"]),
        ('sources:\n  pbc:\n    cron: "61 2 * * *"\n', ["source pbc", "'61 2 * * *'", "(61) is higher", "e.g."]),
        ('sources:\n  pbc:\n    cron: "2 * *"\n', ["source pbc", "expected 5 fields", "found 3"]),
        ('sources:\n  pbc:\n    cron: "0 2 30 2 *"\n', ["source pbc", "never fires"]),
        ('sources:\n  pbc:\n    cron: "0 2 1 * 1"\n', ["source pbc", "restrict only one of them"]),
        ('sources:\n  pbc:\n    cron: "0 2 * * 8"\n', ["source pbc", "invalid day of week '8'"]),
        ('timezone: Mars/Base\nsources:\n  pbc:\n    cron: "0 2 * * *"\n',
         ["invalid timezone 'Mars/Base'", "Asia/Shanghai"]),
        ('sources:\n  pbc:\n    cron: "0 2 * * *"\n    timezone: Asia/Shangai\n',
         ["source pbc", "invalid timezone 'Asia/Shangai'"]),
        ('sources:\n  pbc:\n    cron: "0 2 * * *"\n    enabled: sometimes\n',
         ["source pbc", "enabled must be true or false", "'sometimes'"]),
        ("sources:\n  pbc:\n    enabled: true\n", ["source pbc", "missing cron expression"]),
        ('sources:\n  pbc:\n    crons: "0 2 * * *"\n', ["source pbc", "unknown key(s) crons", "cron, enabled"]),
        ('sources:\n  pbc:\n    cron: "0 2 * * *"\n    settings: [DOWNLOAD_DELAY]\n',
         ["settings of source pbc", "DOWNLOAD_DELAY: 2"]),
        ('sources:\n  pbc:\n    cron: "0 2 * * *"\n    settings:\n      FEEDS: {a: b}\n',
         ["settings FEEDS of source pbc"]),
        ('misfire_grace_seconds: -5\nsources:\n  pbc:\n    cron: "0 2 * * *"\n',
         ["misfire_grace_seconds", "-5"]),
        ('timezon: UTC\nsources:\n  pbc:\n    cron: "0 2 * * *"\n', ["unknown key(s) timezon"]),
        ("timezone: UTC\n", ["lists no sources", "sources:"]),
        ("- pbc\n", ["must contain a mapping", "list"]),
        ("sources: [\n", ["not valid YAML"]),
    ],
)
def test_schedule_invalid(tmp_path: Path, text: str, expected: list[str]) -> None:
    message = schedule_problem(tmp_path, text)

    for part in expected:
        assert part in message


def test_schedule_every_problem_listed(tmp_path: Path) -> None:
    message = schedule_problem(tmp_path, 'sources:\n  nope:\n    cron: "0 2 * * *"\n  pbc:\n    cron: "x"\n')

    assert "unknown source 'nope'" in message
    assert "invalid cron expression 'x'" in message


def test_schedule_file_missing(tmp_path: Path) -> None:
    with pytest.raises(ScheduleError, match="schedule file not found: .*--config or EINTEL_SCHEDULE"):
        load_schedule(tmp_path / "absent.yaml", AVAILABLE)


def test_schedule_defaults(tmp_path: Path) -> None:
    schedule = load_schedule(write_schedule(tmp_path / "s.yaml", 'sources:\n  pbc:\n    cron: "10 1 * * *"\n'), AVAILABLE)

    assert str(schedule.timezone) == "Asia/Shanghai"
    assert schedule.misfire_grace_seconds == 3600
    assert schedule.jobs[0].enabled is True
    assert schedule.unscheduled == ("miit",)


def test_schedule_source_settings(tmp_path: Path) -> None:
    text = 'sources:\n  pbc:\n    cron: "10 1 * * *"\n    settings:\n      DOWNLOAD_DELAY: 3\n      ROBOTSTXT_OBEY: true\n'
    job = load_schedule(write_schedule(tmp_path / "s.yaml", text), AVAILABLE).jobs[0]

    assert job.settings == ("DOWNLOAD_DELAY=3", "ROBOTSTXT_OBEY=True")


def test_shipped_schedule_valid() -> None:
    schedule = load_schedule(REPO_ROOT / "scrapers" / "schedule.yaml", available_sources())
    starts = [(job.cron.split()[1], job.cron.split()[0]) for job in schedule.jobs]

    assert schedule.unscheduled == (), f"add these spiders to scrapers/schedule.yaml: {schedule.unscheduled}"
    assert len(set(starts)) == len(starts), f"two sources start at the same time: {starts}"


# Cron expressions and fire times -------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("*", "*"),
        ("0", "sun"),
        ("7", "sun"),
        ("1-5", "mon,tue,wed,thu,fri"),
        ("mon-fri", "mon,tue,wed,thu,fri"),
        ("0,6", "sun,sat"),
        ("5-7", "sun,fri,sat"),
        ("*/2", "sun,tue,thu,sat"),
        ("1/3", "mon,thu"),
        ("0-6", "*"),
    ],
)
def test_crontab_weekdays(field: str, expected: str) -> None:
    assert crontab_weekdays(field) == expected


@pytest.mark.parametrize("field", ["8", "5-1", "*/0", "funday"])
def test_crontab_weekdays_invalid(field: str) -> None:
    with pytest.raises(ValueError, match="day of week"):
        crontab_weekdays(field)


def _job(tmp_path: Path, cron: str, zone: str = "Asia/Shanghai"):
    text = f'timezone: {zone}\nsources:\n  pbc:\n    cron: "{cron}"\n'
    return load_schedule(write_schedule(tmp_path / "s.yaml", text), AVAILABLE).jobs[0]


def test_next_fire_times_configured_zone(tmp_path: Path) -> None:
    times = next_fire_times(_job(tmp_path, "15 2 * * *"), 3, NOW)

    assert [str(fire) for fire in times] == [
        "2026-03-02 02:15:00+08:00", "2026-03-03 02:15:00+08:00", "2026-03-04 02:15:00+08:00",
    ]
    assert times[0].tzinfo == SHANGHAI
    assert times[0].astimezone(timezone.utc) == datetime(2026, 3, 1, 18, 15, tzinfo=timezone.utc)


def test_next_fire_times_same_day(tmp_path: Path) -> None:
    # 08:00 in Shanghai: 23:30 is still ahead today.
    assert next_fire_times(_job(tmp_path, "30 23 * * *"), 1, NOW)[0] == datetime(2026, 3, 1, 23, 30, tzinfo=SHANGHAI)


def test_next_fire_times_crontab_monday(tmp_path: Path) -> None:
    times = next_fire_times(_job(tmp_path, "0 3 * * 1"), 2, NOW)

    assert [fire.strftime("%a") for fire in times] == ["Mon", "Mon"]
    assert times[0].date().isoformat() == "2026-03-02"


def test_next_fire_times_sunday_zero(tmp_path: Path) -> None:
    assert next_fire_times(_job(tmp_path, "0 9 * * 0"), 1, NOW)[0].date().isoformat() == "2026-03-01"


def test_next_fire_times_daylight_saving(tmp_path: Path) -> None:
    # New York moves to daylight saving time on 2026-03-08; the wall-clock hour stays 09:00.
    times = next_fire_times(_job(tmp_path, "0 9 * * *", "America/New_York"), 10, NOW)

    assert [fire.hour for fire in times] == [9] * 10
    assert str(times[6]) == "2026-03-07 09:00:00-05:00"
    assert str(times[7]) == "2026-03-08 09:00:00-04:00"


def test_dry_run_lines(tmp_path: Path) -> None:
    text = 'sources:\n  pbc:\n    cron: "10 1 * * *"\n  miit:\n    cron: "55 1 * * *"\n    enabled: false\n'
    lines = dry_run_lines(load_schedule(write_schedule(tmp_path / "s.yaml", text), AVAILABLE), NOW, count=2)

    assert lines[1:] == [
        "pbc: 10 1 * * * (Asia/Shanghai)",
        "  2026-03-02 01:10:00+08:00 Mon",
        "  2026-03-03 01:10:00+08:00 Tue",
        "miit: 55 1 * * * (Asia/Shanghai) disabled",
    ]


# The command line -----------------------------------------------------------------------


def test_cli_dry_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_schedule(tmp_path / "s.yaml", 'sources:\n  pbc:\n    cron: "10 1 * * *"\n')

    code = main(["schedule", "--config", str(config), "--dry-run"])
    lines = capsys.readouterr().out.splitlines()
    fire_lines = [line for line in lines if line.startswith("  ")]
    others = sorted(set(available_sources()) - {"pbc"})

    assert code == 0
    assert lines[0] == f"schedule {config} (default timezone Asia/Shanghai)"
    assert lines[1] == "pbc: 10 1 * * * (Asia/Shanghai)"
    assert len(fire_lines) == 3
    assert all(line.endswith(":00+08:00 " + line.split()[-1]) for line in fire_lines)
    assert all(" 01:10:00+08:00 " in line for line in fire_lines)
    assert [line.split(":")[0] for line in lines[5:]] == others


def test_cli_invalid_schedule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_schedule(tmp_path / "s.yaml", 'sources:\n  pbc:\n    cron: "10 25 * * *"\n')

    code = main(["schedule", "--config", str(config), "--dry-run"])
    error = capsys.readouterr().err

    assert code == 2
    assert "source pbc" in error
    assert "'10 25 * * *'" in error


def test_cli_invalid_setting(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = write_schedule(tmp_path / "s.yaml", 'sources:\n  pbc:\n    cron: "10 1 * * *"\n')

    code = main(["schedule", "--config", str(config), "--once", "--set", "DOWNLOAD_DELAY"])

    assert code == 2
    assert "NAME=VALUE" in capsys.readouterr().err


def test_cli_once_and_dry_run_exclusive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main(["schedule", "--once", "--dry-run"])

    assert raised.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


# Pipeline commands ----------------------------------------------------------------------


def test_cli_has_command() -> None:
    assert cli_has_command("crawl") is True
    assert cli_has_command("embed") is True
    assert cli_has_command("no-such-command") is False


def test_crawl_command_forwards_options(tmp_path: Path) -> None:
    text = 'sources:\n  pbc:\n    cron: "10 1 * * *"\n    settings:\n      DOWNLOAD_DELAY: 3\n'
    job = load_schedule(write_schedule(tmp_path / "s.yaml", text), AVAILABLE).jobs[0]
    options = StageOptions(db="w.duckdb", crawl_archive="crawl", config_dir="config", settings=("DOWNLOAD_DELAY=0",))
    command = Pipeline(options, embed_available=False).crawl_command(job)

    assert command[1:] == [
        "-m", "eintel.cli", "--db", "w.duckdb", "crawl", "pbc", "--no-warehouse", "--crawl-archive", "crawl",
        "--config-dir", "config", "--set", "DOWNLOAD_DELAY=3", "--set", "DOWNLOAD_DELAY=0",
    ]


def test_load_command_forwards_archive() -> None:
    command = Pipeline(StageOptions(db="w.duckdb", crawl_archive="crawl"), embed_available=False).load_command()

    assert command[1:] == ["-m", "eintel.cli", "--db", "w.duckdb", "load", "--crawl-archive", "crawl"]


def test_scheduler_job_options(tmp_path: Path) -> None:
    text = 'misfire_grace_seconds: 600\nsources:\n  pbc:\n    cron: "10 1 * * *"\n  miit:\n    cron: "0 3 * * *"\n    enabled: false\n'
    schedule = load_schedule(write_schedule(tmp_path / "s.yaml", text), AVAILABLE)
    scheduler = build_scheduler(schedule, Pipeline(StageOptions(), embed_available=False))
    # Jobs take the scheduler's defaults when it starts; paused, none of them runs.
    scheduler.start(paused=True)
    try:
        jobs = scheduler.get_jobs()
    finally:
        scheduler.shutdown(wait=False)

    assert [job.id for job in jobs] == ["pbc"]
    assert jobs[0].max_instances == 1
    assert jobs[0].coalesce is True
    assert jobs[0].misfire_grace_time == 600


# Real runs against the loopback PBC column ----------------------------------------------


@pytest.fixture
def pbc_site(tmp_path: Path) -> Iterator[FixtureServer]:
    server = FixtureServer().start()
    serve_clean_column(server)
    configure(server, tmp_path)
    yield server
    server.stop()


def _schedule_command(workdir: Path, *extra: str) -> list[str]:
    command = [
        sys.executable, "-m", "eintel.cli", "--db", str(workdir / "eintel.duckdb"), "schedule",
        "--config", str(workdir / "schedule.yaml"), "--crawl-archive", str(workdir / "crawl"),
        "--config-dir", str(workdir / "config"),
    ]
    return command + list(extra)


def _fast_settings() -> list[str]:
    return [part for setting in FAST_SETTINGS for part in ("--set", setting)]


def _child_env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO_ROOT)}


def _warehouse_rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_once_crawls_and_loads(pbc_site: FixtureServer, tmp_path: Path) -> None:
    write_schedule(tmp_path / "schedule.yaml", 'sources:\n  pbc:\n    cron: "10 1 * * *"\n')
    completed = subprocess.run(
        _schedule_command(tmp_path, "--once", *_fast_settings()), cwd=REPO_ROOT, env=_child_env(),
        capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS,
    )
    db = tmp_path / "eintel.duckdb"
    runs = _warehouse_rows(db, "SELECT source, status, new_items FROM crawl_runs")
    numbers = [row[0] for row in _warehouse_rows(db, "SELECT decision_number FROM cases WHERE source = 'pbc'")]
    embedded = _warehouse_rows(
        db, "SELECT count(DISTINCT p.case_id), count(e.passage_id) FROM passages p LEFT JOIN passage_embeddings e USING (passage_id)"
    )
    passages = _warehouse_rows(db, "SELECT count(*) FROM passages")[0][0]

    assert completed.returncode == 0, completed.stderr[-3000:]
    assert runs == [("pbc", "ok", 7)]
    # Seven detail pages of two table rows each (银罚决字〔2026〕200号 to 206号 and their second rows).
    assert len(numbers) == 14
    assert "银罚决字〔2026〕200号" in numbers
    # `eintel embed` ran after the load: every case has passages, every passage a vector.
    assert embedded == [(14, passages)]
    assert "Skipping embed" not in completed.stderr
    assert "Run of the whole schedule succeeded" in completed.stderr


def test_once_skips_disabled(pbc_site: FixtureServer, tmp_path: Path) -> None:
    write_schedule(tmp_path / "schedule.yaml", 'sources:\n  pbc:\n    cron: "10 1 * * *"\n    enabled: false\n')
    completed = subprocess.run(
        _schedule_command(tmp_path, "--once", *_fast_settings()), cwd=REPO_ROOT, env=_child_env(),
        capture_output=True, text=True, timeout=RUN_TIMEOUT_SECONDS,
    )

    assert completed.returncode == 0
    assert "nothing to crawl" in completed.stderr
    assert pbc_site.requests == []


def test_once_sigterm_interrupts_crawl(pbc_site: FixtureServer, tmp_path: Path) -> None:
    write_schedule(tmp_path / "schedule.yaml", 'sources:\n  pbc:\n    cron: "10 1 * * *"\n')
    # One request a second keeps the crawl running while the signal arrives.
    slow = ["--set", "DOWNLOAD_DELAY=1", "--set", "AUTOTHROTTLE_ENABLED=False", "--set", "LOG_LEVEL=WARNING"]
    process = subprocess.Popen(_schedule_command(tmp_path, "--once", *slow), cwd=REPO_ROOT, env=_child_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # Wait for the first archived page, so Scrapy is crawling when the signal comes.
        deadline = time.monotonic() + RUN_TIMEOUT_SECONDS
        while pbc_site.hits("/zhengwugongkai/4081330/4081344/4081407/4081705/index.html") == 0:
            assert time.monotonic() < deadline, "the crawl never requested the first list page"
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=RUN_TIMEOUT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    with CrawlArchive(tmp_path / "crawl") as archive:
        runs = archive.crawl_runs("pbc")

    assert process.returncode == 128 + signal.SIGTERM
    assert [run["status"] for run in runs] == ["interrupted"]
    assert "Sent SIGTERM to crawl of pbc" in stderr
    assert "Stopped before the remaining sources and the load" in stderr
    assert not (tmp_path / "eintel.duckdb").exists()


def test_scheduler_fires_job(pbc_site: FixtureServer, tmp_path: Path) -> None:
    config = write_schedule(tmp_path / "schedule.yaml", 'sources:\n  pbc:\n    cron: "10 1 1 1 *"\n')
    schedule = load_schedule(config, available_sources())
    options = StageOptions(
        db=str(tmp_path / "eintel.duckdb"), crawl_archive=str(tmp_path / "crawl"),
        config_dir=str(tmp_path / "config"), settings=tuple(FAST_SETTINGS),
    )
    scheduler = build_scheduler(schedule, Pipeline(options))
    finished = threading.Event()
    outcomes: list[object] = []

    def on_job_end(event: object) -> None:
        outcomes.append(getattr(event, "retval", None) if getattr(event, "exception", None) is None else event)
        finished.set()

    scheduler.add_listener(on_job_end, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    # The cron expression fires once a year; moving the next run to now makes it fire at once.
    scheduler.start(paused=True)
    try:
        scheduler.modify_job("pbc", next_run_time=datetime.now(SHANGHAI))
        scheduler.resume()
        fired = finished.wait(RUN_TIMEOUT_SECONDS)
        next_run = scheduler.get_job("pbc").next_run_time
    finally:
        scheduler.shutdown(wait=True)

    runs = _warehouse_rows(tmp_path / "eintel.duckdb", "SELECT source, status FROM crawl_runs")
    cases = _warehouse_rows(tmp_path / "eintel.duckdb", "SELECT count(*) FROM cases WHERE source = 'pbc'")[0][0]

    assert fired
    assert outcomes == [True]
    assert runs == [("pbc", "ok")]
    assert cases == 14
    assert (next_run.month, next_run.day, next_run.hour, next_run.minute) == (1, 1, 1, 10)


def test_serve_stops_on_sigterm(tmp_path: Path) -> None:
    write_schedule(tmp_path / "schedule.yaml", 'sources:\n  pbc:\n    cron: "10 1 1 1 *"\n')
    process = subprocess.Popen(_schedule_command(tmp_path), cwd=REPO_ROOT, env=_child_env(),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    started: list[str] = []
    try:
        # Read the log until the scheduler reports it has started, then stop it.
        for line in process.stderr:
            started.append(line)
            if "Scheduler started" in line:
                break
        process.send_signal(signal.SIGTERM)
        _, rest = process.communicate(timeout=RUN_TIMEOUT_SECONDS)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()

    assert process.returncode == 0
    assert any("Scheduled pbc: next run " in line and "01:10:00+08:00" in line for line in started)
    assert "Stopping (SIGTERM): 0 child process(es) running" in rest
    assert "Scheduler stopped; no job is running" in rest
