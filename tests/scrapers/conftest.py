"""Fixtures of the spider tests: a loopback server and a helper that runs `eintel crawl`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

import pytest
import yaml

from tests.scrapers.server import FixtureServer

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).with_name("fixtures")

# No delays against the local server; retries wait 50 ms instead of seconds.
FAST_SETTINGS = [
    "DOWNLOAD_DELAY=0",
    "AUTOTHROTTLE_ENABLED=False",
    "EINTEL_RETRY_BACKOFF_BASE=0.05",
    "DOWNLOAD_TIMEOUT=10",
    "LOG_LEVEL=INFO",
]


@dataclass
class CrawlResult:
    returncode: int
    items: list[dict[str, Any]]
    stdout: str
    stderr: str

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [item for item in self.items if item["kind"] == kind]

    def by_url(self, url: str) -> dict[str, Any]:
        matches = [item for item in self.items if item["url"] == url]
        assert matches, f"no item for {url}; items: {[item['url'] for item in self.items]}"
        return matches[-1]


@pytest.fixture
def server() -> Iterator[FixtureServer]:
    running = FixtureServer().start()
    yield running
    running.stop()


def write_config(config_dir: Path, source: str, config: dict[str, Any]) -> Path:
    config_dir.mkdir(parents=True, exist_ok=True)
    path = config_dir / f"{source}.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def crawl_command(sources: list[str], workdir: Path, *extra: str) -> list[str]:
    command = [
        sys.executable, "-m", "eintel.cli",
        "--db", str(workdir / "eintel.duckdb"),
        "crawl", *sources,
        "--crawl-archive", str(workdir / "crawl"),
        "--config-dir", str(workdir / "config"),
        "--items", str(workdir / "items.jsonl"),
    ]
    for setting in FAST_SETTINGS:
        command += ["--set", setting]
    return command + list(extra)


def run_crawl(sources: list[str], workdir: Path, *extra: str, timeout: float = 120) -> CrawlResult:
    """Run `eintel crawl` in a child process (Twisted's reactor starts once per process)."""
    items_path = workdir / "items.jsonl"
    items_path.unlink(missing_ok=True)
    completed = subprocess.run(
        crawl_command(sources, workdir, *extra), cwd=REPO, capture_output=True, text=True, timeout=timeout,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    items = []
    if items_path.exists():
        items = [json.loads(line) for line in items_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return CrawlResult(completed.returncode, items, completed.stdout, completed.stderr)


def run_load(workdir: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eintel.cli", "--db", str(workdir / "eintel.duckdb"), "load",
         "--crawl-archive", str(workdir / "crawl"), *extra],
        cwd=REPO, capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
