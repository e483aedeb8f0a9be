"""Retry backoff: delays grow per attempt, respect the cap and the server's Retry-After."""

from __future__ import annotations

from email.utils import format_datetime
from datetime import UTC, datetime, timedelta

import pytest
from scrapy.http import Response

from scrapers.middlewares import BackoffRetryMiddleware, retry_after
from scrapers.runner import project_settings


@pytest.fixture
def middleware() -> BackoffRetryMiddleware:
    return BackoffRetryMiddleware(project_settings({"EINTEL_RETRY_BACKOFF_BASE": 2, "EINTEL_RETRY_BACKOFF_MAX": 10}))


def test_backoff_doubles(middleware: BackoffRetryMiddleware):
    assert [middleware.backoff_delay(attempt, 0) for attempt in (1, 2, 3)] == [2, 4, 8]


def test_backoff_capped(middleware: BackoffRetryMiddleware):
    assert middleware.backoff_delay(6, 0) == 10


def test_backoff_honours_retry_after(middleware: BackoffRetryMiddleware):
    assert middleware.backoff_delay(1, 7) == 7
    assert middleware.backoff_delay(1, 600) == 10


def test_retry_after_seconds():
    assert retry_after(Response("http://x", headers={"Retry-After": "30"})) == 30


def test_retry_after_http_date():
    moment = datetime.now(UTC) + timedelta(seconds=120)
    seconds = retry_after(Response("http://x", headers={"Retry-After": format_datetime(moment, usegmt=True)}))
    assert 100 < seconds <= 120


def test_retry_after_invalid():
    assert retry_after(Response("http://x", headers={"Retry-After": "soon"})) == 0
    assert retry_after(Response("http://x")) == 0


def test_polite_defaults():
    settings = project_settings()
    assert settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") == 1
    assert settings.getfloat("DOWNLOAD_DELAY") >= 1
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert "EnforcementIntel" in settings.get("USER_AGENT")
