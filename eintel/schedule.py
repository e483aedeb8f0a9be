"""`eintel schedule`: crawl each source by its cron expression, then load (and embed).

The schedule file and its checks are in eintel/schedule_config.py.

Each run of a source starts `eintel crawl SOURCE` as a child process, because Twisted's
reactor starts only once per process. Then it runs `eintel load`, and `eintel embed`
when the command line has that command. One lock keeps two loads from running at once.
A source never runs twice at the same time (max_instances=1), and runs missed while the
scheduler was down are merged into one (coalesce).

SIGTERM or SIGINT stops the scheduler. A running crawl gets SIGTERM, so Scrapy closes
the run as interrupted and keeps what it archived. A running load or embed may finish.
A child still running STOP_TIMEOUT_SECONDS later is killed, and a second signal kills
at once.
"""

from __future__ import annotations

import argparse
import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from eintel.schedule_config import Schedule, ScheduleError, SourceJob, dry_run_lines, load_schedule

logger = logging.getLogger(__name__)

# Below systemd's default TimeoutStopSec (90 s), so the scheduler kills its own
# children before systemd kills the whole unit.
STOP_TIMEOUT_SECONDS = 60
# How often the main thread checks for a finished run or a received signal.
POLL_SECONDS = 0.2


def cli_has_command(name: str) -> bool:
    """Tell whether the `eintel` parser has the subcommand `name`."""
    from eintel.cli import build_parser

    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return name in action.choices
    return False


@dataclass(frozen=True)
class StageOptions:
    """Options that `eintel schedule` passes on to every child `eintel` command."""

    db: str | None = None
    crawl_archive: str | None = None
    config_dir: str | None = None
    # NAME=VALUE pairs for `eintel crawl --set`; they win over a source's own settings.
    settings: tuple[str, ...] = ()
    verbose: bool = False


@dataclass
class _Child:
    process: subprocess.Popen[bytes]
    label: str
    # A crawl is stopped on a signal; a load or embed is left to finish.
    stop_on_signal: bool


@dataclass
class Pipeline:
    """Runs crawl, load and embed as child `eintel` processes, with one load at a time."""

    options: StageOptions
    stop_timeout: float = STOP_TIMEOUT_SECONDS
    embed_available: bool = field(default_factory=lambda: cli_has_command("embed"))
    stopping: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._load_lock = threading.Lock()
        self._children: dict[int, _Child] = {}
        self._children_lock = threading.Lock()
        self._active_runs = 0
        self._active_lock = threading.Lock()

    # Commands ------------------------------------------------------------------------

    def _eintel(self) -> list[str]:
        command = [sys.executable, "-m", "eintel.cli"]
        if self.options.db:
            command += ["--db", self.options.db]
        if self.options.verbose:
            command.append("-v")
        return command

    def crawl_command(self, job: SourceJob) -> list[str]:
        # --no-warehouse: the load that follows copies the run records. A crawl that
        # wrote to DuckDB while another source's load had the file open would fail.
        command = [*self._eintel(), "crawl", job.source, "--no-warehouse"]
        if self.options.crawl_archive:
            command += ["--crawl-archive", self.options.crawl_archive]
        if self.options.config_dir:
            command += ["--config-dir", self.options.config_dir]
        for setting in (*job.settings, *self.options.settings):
            command += ["--set", setting]
        return command

    def load_command(self) -> list[str]:
        command = [*self._eintel(), "load"]
        if self.options.crawl_archive:
            command += ["--crawl-archive", self.options.crawl_archive]
        return command

    def embed_command(self) -> list[str]:
        return [*self._eintel(), "embed"]

    # Child processes -----------------------------------------------------------------

    def run_child(self, label: str, command: list[str], stop_on_signal: bool) -> int | None:
        """Run one command to its end and return its exit code, or None when stopping kept it from starting."""
        with self._children_lock:
            if self.stopping.is_set():
                logger.info("Not starting %s: the scheduler is stopping", label)
                return None
            # A session of its own keeps a terminal's Ctrl+C away from the child; the
            # scheduler forwards the stop itself, once.
            process = subprocess.Popen(command, start_new_session=True)
            self._children[process.pid] = _Child(process, label, stop_on_signal)

        logger.info("Started %s (pid %d)", label, process.pid)
        try:
            code = process.wait()
        finally:
            with self._children_lock:
                self._children.pop(process.pid, None)

        log = logger.info if code == 0 else logger.warning
        log("%s (pid %d) ended with exit code %d", label, process.pid, code)
        return code

    def stop(self, reason: str) -> None:
        """Start no new child, send SIGTERM to running crawls and kill every child after the timeout.

        A second call kills the running children at once.
        """
        with self._children_lock:
            children = list(self._children.values())
            if self.stopping.is_set():
                logger.warning("Stopping again (%s): killing %d running child process(es)", reason, len(children))
                for child in children:
                    _send(child, signal.SIGKILL)
                return
            self.stopping.set()

        logger.warning("Stopping (%s): %d child process(es) running", reason, len(children))
        for child in children:
            if child.stop_on_signal:
                logger.warning("Sent SIGTERM to %s (pid %d); Scrapy closes the run as interrupted",
                               child.label, child.process.pid)
                _send(child, signal.SIGTERM)
            else:
                logger.warning("Letting %s (pid %d) finish, for at most %.0f s",
                               child.label, child.process.pid, self.stop_timeout)
        timer = threading.Timer(self.stop_timeout, self._kill_remaining)
        timer.daemon = True
        timer.start()

    def _kill_remaining(self) -> None:
        with self._children_lock:
            children = list(self._children.values())
        for child in children:
            logger.error("Killing %s (pid %d): still running %.0f s after the stop", child.label,
                         child.process.pid, self.stop_timeout)
            _send(child, signal.SIGKILL)

    # Stages --------------------------------------------------------------------------

    def load_and_embed(self) -> bool:
        """Run `eintel load`, then `eintel embed` when the command exists; one at a time across sources."""
        with self._load_lock:
            load = self.run_child("load", self.load_command(), stop_on_signal=False)
            if load != 0:
                return False
            if not self.embed_available:
                logger.info("Skipping embed: this version of `eintel` has no embed command")
                return True
            return self.run_child("embed", self.embed_command(), stop_on_signal=False) == 0

    def run_source(self, job: SourceJob) -> bool:
        """Crawl one source, then load; the job function of the scheduler.

        Returns True when the crawl and the load succeeded. A child that cannot start
        (OSError) is logged and returns False.
        """
        with self._active_lock:
            self._active_runs += 1
        try:
            crawl = self.run_child(f"crawl of {job.source}", self.crawl_command(job), stop_on_signal=True)
            if crawl is None or self.stopping.is_set():
                logger.warning("Not loading after the crawl of %s: the scheduler is stopping; "
                               "the next `eintel load` stores what it archived", job.source)
                return False
            loaded = self.load_and_embed()
            return crawl == 0 and loaded
        except OSError as error:
            logger.error("Could not start a stage of source %s: %s", job.source, error)
            return False
        finally:
            with self._active_lock:
                self._active_runs -= 1

    def run_once(self, jobs: Sequence[SourceJob]) -> bool:
        """Crawl every job's source one after the other, then load once; True when every step succeeded."""
        crawled_ok = True
        try:
            for job in jobs:
                code = self.run_child(f"crawl of {job.source}", self.crawl_command(job), stop_on_signal=True)
                if code is None or self.stopping.is_set():
                    logger.warning("Stopped before the remaining sources and the load")
                    return False
                crawled_ok = crawled_ok and code == 0
            return self.load_and_embed() and crawled_ok
        except OSError as error:
            logger.error("Could not start a stage: %s", error)
            return False

    def is_idle(self) -> bool:
        """Tell whether no job of the scheduler is running."""
        with self._active_lock:
            return self._active_runs == 0


def _send(child: _Child, signum: int) -> None:
    try:
        child.process.send_signal(signum)
    except ProcessLookupError:
        pass


# Scheduler -------------------------------------------------------------------------------


def build_scheduler(schedule: Schedule, pipeline: Pipeline) -> BackgroundScheduler:
    """Add one job per enabled source to a (not yet started) background scheduler.

    A source never runs twice at once (max_instances=1); runs missed while the scheduler
    was down merge into one (coalesce) and start only within misfire_grace_seconds.
    Every source has a worker thread, so sources due at the same time all start.
    """
    jobs = schedule.enabled_jobs
    scheduler = BackgroundScheduler(
        timezone=schedule.timezone,
        executors={"default": ThreadPoolExecutor(max_workers=max(1, len(jobs)))},
        job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": schedule.misfire_grace_seconds},
    )
    for job in jobs:
        scheduler.add_job(pipeline.run_source, trigger=job.trigger, args=[job], id=job.source, name=f"crawl {job.source}")
    return scheduler


class _StopSignals:
    """SIGTERM and SIGINT received so far.

    The handler only records the signal. The main thread acts on it, because a handler
    that takes a lock the interrupted code already holds would deadlock.
    """

    def __init__(self) -> None:
        self.received: list[signal.Signals] = []
        self._handled = 0

    def install(self) -> None:
        signal.signal(signal.SIGTERM, self._record)
        signal.signal(signal.SIGINT, self._record)

    def _record(self, signum: int, frame: object) -> None:
        self.received.append(signal.Signals(signum))

    def forward(self, pipeline: Pipeline) -> None:
        """Stop the pipeline once for every signal not yet acted on."""
        while self._handled < len(self.received):
            pipeline.stop(self.received[self._handled].name)
            self._handled += 1


def _wait_until(done: Callable[[], bool], pipeline: Pipeline, signals: _StopSignals) -> None:
    while not done():
        time.sleep(POLL_SECONDS)
        signals.forward(pipeline)
    signals.forward(pipeline)


def serve(schedule: Schedule, pipeline: Pipeline) -> int:
    """Run the scheduler until SIGTERM or SIGINT, then wait for the running jobs."""
    signals = _StopSignals()
    signals.install()
    scheduler = build_scheduler(schedule, pipeline)
    scheduler.start()
    for job in scheduler.get_jobs():
        logger.info("Scheduled %s: next run %s", job.id, job.next_run_time.isoformat(sep=" "))
    for job in schedule.jobs:
        if not job.enabled:
            logger.info("Source %s is disabled in %s", job.source, schedule.path)
    logger.info("Scheduler started with %d source(s); SIGTERM or Ctrl+C stops it", len(scheduler.get_jobs()))

    _wait_until(lambda: bool(signals.received), pipeline, signals)
    scheduler.shutdown(wait=False)
    # A second signal while the jobs wind down kills their children (Pipeline.stop).
    _wait_until(pipeline.is_idle, pipeline, signals)
    logger.info("Scheduler stopped; no job is running")
    return 0


def run_once(schedule: Schedule, pipeline: Pipeline) -> int:
    """Crawl every enabled source now, one after the other, then load once.

    Returns 0 when every step succeeded, 1 when one failed, and 128 + the signal number
    when SIGTERM or SIGINT stopped the run.
    """
    jobs = schedule.enabled_jobs
    if not jobs:
        logger.warning("No source is enabled in %s; nothing to crawl", schedule.path)
        return 0

    signals = _StopSignals()
    signals.install()
    logger.info("Crawling %d source(s) once: %s", len(jobs), ", ".join(job.source for job in jobs))
    outcome: list[bool] = []
    worker = threading.Thread(target=lambda: outcome.append(pipeline.run_once(jobs)), name="schedule-once")
    worker.start()
    _wait_until(lambda: not worker.is_alive(), pipeline, signals)

    if signals.received:
        return 128 + signals.received[0].value
    ok = bool(outcome and outcome[0])
    logger.info("Run of the whole schedule %s", "succeeded" if ok else "had a failed step; see the log above")
    return 0 if ok else 1


def main(args: argparse.Namespace) -> int:
    """Entry point of `eintel schedule` (see the module docstring)."""
    from eintel.settings import get_settings
    from scrapers.runner import CrawlSetupError, available_sources, parse_setting

    # The CLI logs WARNING and above by default; a scheduler also reports its starts and stops.
    if not args.verbose:
        logger.setLevel(logging.INFO)

    path = Path(args.config).resolve() if args.config else get_settings().schedule_path
    try:
        for text in args.set or []:
            parse_setting(text)
        schedule = load_schedule(path, available_sources())
    except (ScheduleError, CrawlSetupError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    for source in schedule.unscheduled:
        logger.warning("Source %s has no entry in %s, so the scheduler never crawls it; "
                       "add one (enabled: false keeps it off)", source, path)

    if args.dry_run:
        print("\n".join(dry_run_lines(schedule, datetime.now(schedule.timezone))))
        return 0

    options = StageOptions(
        db=args.db,
        crawl_archive=args.crawl_archive,
        config_dir=args.config_dir,
        settings=tuple(args.set or ()),
        verbose=args.verbose,
    )
    pipeline = Pipeline(options)
    if args.once:
        return run_once(schedule, pipeline)
    return serve(schedule, pipeline)
