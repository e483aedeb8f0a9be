"""The schedule file of `eintel schedule`: reading it, checking it, next fire times.

The file (EINTEL_SCHEDULE, default scrapers/schedule.yaml) reads:

    timezone: Asia/Shanghai          # IANA name; the default of every source
    misfire_grace_seconds: 3600      # a run missed by less than this still starts
    sources:
      pbc:
        cron: "10 1 * * *"           # minute hour day-of-month month day-of-week
        enabled: true
        timezone: Asia/Shanghai      # optional, overrides the default
        settings:                    # optional Scrapy settings for this source's crawls
          DOWNLOAD_DELAY: 2

Cron expressions follow crontab: day of week 0 and 7 are Sunday, names sun..sat work
too. APScheduler 3.x counts weekdays from Monday = 0, so the day-of-week field is
translated into weekday names before it reaches APScheduler.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from apscheduler.triggers.cron import CronTrigger

logger = logging.getLogger(__name__)

DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_MISFIRE_GRACE_SECONDS = 3600
DRY_RUN_FIRE_TIMES = 3

CRON_EXAMPLE = '"15 2 * * *" (02:15 every day)'
_TOP_KEYS = ("timezone", "misfire_grace_seconds", "sources")
_SOURCE_KEYS = ("cron", "enabled", "timezone", "settings")
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")


class ScheduleError(ValueError):
    """Raised when the schedule file is missing or invalid; the message lists every problem."""


@dataclass(frozen=True)
class SourceJob:
    """One source's entry of the schedule file."""

    source: str
    cron: str
    enabled: bool
    timezone: tzinfo
    trigger: CronTrigger
    # Scrapy settings (NAME=VALUE) passed to this source's crawls with --set.
    settings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Schedule:
    """The schedule file, checked: every source known, every cron expression valid."""

    path: Path
    timezone: tzinfo
    misfire_grace_seconds: int
    jobs: tuple[SourceJob, ...]
    # Sources that have a spider but no entry in the file; the scheduler never crawls them.
    unscheduled: tuple[str, ...] = ()

    @property
    def enabled_jobs(self) -> list[SourceJob]:
        return [job for job in self.jobs if job.enabled]


def _zone(name: object) -> tzinfo:
    """Return the IANA time zone `name`; raise ValueError with the fix otherwise."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"invalid timezone {name!r}: write an IANA name such as Asia/Shanghai or UTC")
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError(
            f"invalid timezone {name!r}: write an IANA name such as Asia/Shanghai or UTC"
        ) from error


def _weekday_number(text: str) -> int:
    """Crontab day number of a day-of-week value: 0-7 with 0 and 7 for Sunday, or sun..sat."""
    lowered = text.strip().lower()
    if lowered in _WEEKDAYS:
        return _WEEKDAYS.index(lowered)
    if lowered.isdigit() and 0 <= int(lowered) <= 7:
        return int(lowered)
    raise ValueError(f"invalid day of week {text!r}: use 0-7 (0 and 7 are Sunday) or sun..sat")


def crontab_weekdays(text: str) -> str:
    """Translate a crontab day-of-week field into the weekday names APScheduler reads.

    Takes lists, ranges and steps ("1-5", "0,6", "*/2", "mon-fri"). Returns "*" when
    every day matches.
    """
    if text == "*":
        return "*"

    days: set[int] = set()
    for part in text.split(","):
        spec, has_step, step_text = part.partition("/")
        step = 1
        if has_step:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(f"invalid step {step_text!r} in day of week {text!r}: use a whole number above 0")
            step = int(step_text)

        if spec == "*":
            first, last = 0, 6
        elif "-" in spec:
            start_text, end_text = spec.split("-", 1)
            first, last = _weekday_number(start_text), _weekday_number(end_text)
        else:
            # A single day with a step ("1/2") runs from that day to Saturday, as in Vixie cron.
            first = _weekday_number(spec)
            last = 6 if has_step else first
        if last < first:
            raise ValueError(f"invalid range {spec!r} in day of week {text!r}: the first day must come first")
        days.update(day % 7 for day in range(first, last + 1, step))

    if len(days) == 7:
        return "*"
    return ",".join(_WEEKDAYS[day] for day in sorted(days))


def cron_trigger(expression: str, timezone: tzinfo) -> CronTrigger:
    """Build the trigger of a 5-field crontab expression; raise ValueError saying what is wrong.

    Classic cron fires when either the day of month or the day of week matches, if both
    are restricted, but APScheduler requires both to match. An expression that restricts
    both is therefore rejected rather than run on other days than cron would.
    """
    fields = expression.split()
    if len(fields) != 5:
        raise ValueError(
            f"expected 5 fields (minute hour day-of-month month day-of-week), found {len(fields)}"
        )
    minute, hour, day, month, day_of_week = fields
    if not day.startswith("*") and not day_of_week.startswith("*"):
        raise ValueError(
            "it restricts both the day of month and the day of week, which cron and this "
            "scheduler read differently; restrict only one of them"
        )

    trigger = CronTrigger(
        minute=minute, hour=hour, day=day, month=month,
        day_of_week=crontab_weekdays(day_of_week), timezone=timezone,
    )
    if trigger.get_next_fire_time(None, datetime.now(timezone)) is None:
        raise ValueError("it never fires (no date matches it)")
    return trigger


def _settings_list(source: str, value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, dict) or not all(isinstance(name, str) and name for name in value):
        raise ValueError(f"settings of source {source} must map Scrapy setting names to values, e.g. DOWNLOAD_DELAY: 2")
    bad = [name for name, setting in value.items() if isinstance(setting, (dict, list)) or setting is None]
    if bad:
        raise ValueError(
            f"settings {', '.join(bad)} of source {source} must be a single number, word or true/false"
        )
    return tuple(f"{name}={_setting_text(setting)}" for name, setting in value.items())


def _setting_text(value: object) -> str:
    # YAML hands over Python bools, and str() of those gives the "True"/"False" Scrapy reads.
    return str(value)


def _source_job(source: str, entry: object, default_zone: tzinfo, where: str) -> SourceJob:
    """Check one source's entry; raise ValueError naming the source, the value and the fix."""
    if not isinstance(entry, dict):
        raise ValueError(f"source {source} in {where}: write a mapping with cron and enabled, e.g. cron: {CRON_EXAMPLE}")

    unknown = sorted(set(entry) - set(_SOURCE_KEYS))
    if unknown:
        raise ValueError(f"source {source} in {where}: unknown key(s) {', '.join(map(str, unknown))}; "
                         f"allowed keys are {', '.join(_SOURCE_KEYS)}")

    expression = entry.get("cron")
    if not isinstance(expression, str) or not expression.strip():
        raise ValueError(f"source {source} in {where}: missing cron expression; add e.g. cron: {CRON_EXAMPLE}")

    enabled = entry.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ValueError(f"source {source} in {where}: enabled must be true or false, found {enabled!r}")

    try:
        zone = _zone(entry["timezone"]) if "timezone" in entry else default_zone
    except ValueError as error:
        raise ValueError(f"source {source} in {where}: {error}") from error

    try:
        trigger = cron_trigger(expression.strip(), zone)
    except ValueError as error:
        raise ValueError(
            f"source {source} in {where}: invalid cron expression {expression!r}: {error}. "
            f"Write minute hour day-of-month month day-of-week, e.g. {CRON_EXAMPLE}"
        ) from error

    return SourceJob(source=source, cron=expression.strip(), enabled=enabled, timezone=zone, trigger=trigger,
                     settings=_settings_list(source, entry.get("settings")))


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ScheduleError(
            f"schedule file not found: {path}; create it (see docs/crawling.md) or name another one "
            "with --config or EINTEL_SCHEDULE"
        ) from error
    except yaml.YAMLError as error:
        raise ScheduleError(f"schedule file {path} is not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise ScheduleError(f"schedule file {path} must contain a mapping with a `sources:` key, "
                            f"found {type(data).__name__}")
    return data


def load_schedule(path: Path, available: Sequence[str]) -> Schedule:
    """Read and check the schedule file against the available spider names.

    Raises ScheduleError listing every invalid entry: an unknown source, a bad cron
    expression or time zone, a non-boolean `enabled`.
    """
    data = _read_yaml(path)
    problems: list[str] = []

    unknown_keys = sorted(set(data) - set(_TOP_KEYS))
    if unknown_keys:
        problems.append(f"unknown key(s) {', '.join(map(str, unknown_keys))} in {path}; "
                        f"allowed keys are {', '.join(_TOP_KEYS)}")

    default_zone: tzinfo = ZoneInfo(DEFAULT_TIMEZONE)
    try:
        default_zone = _zone(data.get("timezone", DEFAULT_TIMEZONE))
    except ValueError as error:
        problems.append(f"{path}: {error}")

    grace = data.get("misfire_grace_seconds", DEFAULT_MISFIRE_GRACE_SECONDS)
    if isinstance(grace, bool) or not isinstance(grace, int) or grace <= 0:
        problems.append(f"{path}: misfire_grace_seconds must be a whole number of seconds above 0, found {grace!r}")
        grace = DEFAULT_MISFIRE_GRACE_SECONDS

    sources = data.get("sources")
    if not isinstance(sources, dict) or not sources:
        problems.append(f"{path} lists no sources; add a `sources:` mapping such as\n"
                        f"sources:\n  pbc:\n    cron: \"10 1 * * *\"\n    enabled: true")
        sources = {}

    jobs: list[SourceJob] = []
    for source, entry in sources.items():
        if source not in available:
            problems.append(
                f"unknown source {source!r} in {path}; available sources: {', '.join(available) or '(none)'}. "
                "Fix the name or remove the entry."
            )
            continue
        try:
            jobs.append(_source_job(source, entry, default_zone, str(path)))
        except ValueError as error:
            problems.append(str(error))

    if problems:
        raise ScheduleError("invalid schedule:\n- " + "\n- ".join(problems))

    unscheduled = tuple(sorted(set(available) - set(sources)))
    return Schedule(path=path, timezone=default_zone, misfire_grace_seconds=grace, jobs=tuple(jobs),
                    unscheduled=unscheduled)


def next_fire_times(job: SourceJob, count: int, now: datetime) -> list[datetime]:
    """Return the next `count` fire times of a job after `now`, in the job's time zone."""
    times: list[datetime] = []
    current = now
    while len(times) < count:
        fire = job.trigger.get_next_fire_time(None, current)
        if fire is None:
            break
        times.append(fire)
        current = fire + timedelta(microseconds=1)
    return times


def dry_run_lines(schedule: Schedule, now: datetime, count: int = DRY_RUN_FIRE_TIMES) -> list[str]:
    """Describe each source's cron expression and its next `count` fire times, one line each."""
    lines = [f"schedule {schedule.path} (default timezone {schedule.timezone})"]
    for job in schedule.jobs:
        if not job.enabled:
            lines.append(f"{job.source}: {job.cron} ({job.timezone}) disabled")
            continue
        lines.append(f"{job.source}: {job.cron} ({job.timezone})")
        for fire in next_fire_times(job, count, now):
            lines.append(f"  {fire.isoformat(sep=' ')} {fire:%a}")
    for source in schedule.unscheduled:
        lines.append(f"{source}: not in the schedule file, never crawled by the scheduler")
    return lines
