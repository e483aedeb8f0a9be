"""`eintel crawl` checks its input before any request: data files, --config-dir, --set."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from scrapers.runner import CrawlSetupError, parse_setting
from tests.scrapers.conftest import run_crawl, write_config
from tests.scrapers.server import FixtureServer
from tests.scrapers.test_spider_pbc import configure


def test_missing_key_exits_2(server: FixtureServer, tmp_path: Path):
    write_config(tmp_path / "config", "pbc", {"sites": [{"id": "hq", "name": "x", "list_url": server.url("/")}]})
    result = run_crawl(["pbc"], tmp_path)
    assert result.returncode == 2
    assert "lacks the key(s) detail_link_pattern" in result.stderr
    assert "Traceback" not in result.stderr
    assert server.requests == []


def test_invalid_yaml_exits_2(tmp_path: Path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "pbc.yaml").write_text("sites: [unclosed\n", encoding="utf-8")
    result = run_crawl(["pbc"], tmp_path)
    assert result.returncode == 2
    assert "is not valid YAML" in result.stderr


def test_config_dir_without_file_exits_2(tmp_path: Path):
    (tmp_path / "config").mkdir()
    result = run_crawl(["pbc"], tmp_path)
    assert result.returncode == 2
    assert "has no pbc.yaml" in result.stderr


def test_site_without_url_exits_2(server: FixtureServer, tmp_path: Path):
    configure(server, tmp_path)
    path = tmp_path / "config" / "pbc.yaml"
    config = yaml.safe_load(path.read_text(encoding="utf-8"))
    write_config(tmp_path / "config", "pbc", {**config, "sites": [{"id": "hq", "name": "x", "list_url": None}]})
    result = run_crawl(["pbc"], tmp_path)
    assert result.returncode == 2
    assert "no enabled site has a list_url" in result.stderr


def test_same_source_twice_runs_once(server: FixtureServer, tmp_path: Path):
    configure(server, tmp_path)
    server.add("/zhengwugongkai/4081330/4081344/4081407/4081705/index.html", "<html><body></body></html>")
    result = run_crawl(["pbc", "pbc"], tmp_path)
    assert result.stdout.count("\npbc ") == 1
    assert "another process" not in result.stderr


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("DOWNLOAD_DELAYY=0", "unknown setting 'DOWNLOAD_DELAYY'"),
        ("DOWNLOAD_DELAY=abc", "write a number"),
        ("ROBOTSTXT_OBEY=maybe", "write true or false"),
        ("DOWNLOAD_DELAY", "write it as NAME=VALUE"),
    ],
)
def test_invalid_setting_rejected(text: str, message: str):
    with pytest.raises(CrawlSetupError, match=message):
        parse_setting(text)


def test_valid_setting_accepted():
    assert parse_setting("DOWNLOAD_DELAY=2.5") == ("DOWNLOAD_DELAY", "2.5")
    assert parse_setting("AUTOTHROTTLE_ENABLED=False") == ("AUTOTHROTTLE_ENABLED", "False")
