"""Downloader middlewares of the crawlers."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Request, Response
from scrapy.utils.response import response_status_message

logger = logging.getLogger(__name__)


class BackoffRetryMiddleware(RetryMiddleware):
    """Retry 5xx, 408, 429, timeouts and connection errors like Scrapy's RetryMiddleware, but wait between attempts.

    The wait before attempt n (counting from 1) is EINTEL_RETRY_BACKOFF_BASE * 2**(n-1)
    seconds, capped at EINTEL_RETRY_BACKOFF_MAX, or the server's Retry-After when it is
    longer. Waiting here delays only this request; other hosts keep being crawled.
    """

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.backoff_base = settings.getfloat("EINTEL_RETRY_BACKOFF_BASE", 2.0)
        self.backoff_max = settings.getfloat("EINTEL_RETRY_BACKOFF_MAX", 120.0)

    async def process_response(self, request: Request, response: Response) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        await self._wait(retry, retry_after(response))
        return retry

    async def process_exception(self, request: Request, exception: Exception) -> Request | None:
        if request.meta.get("dont_retry", False) or not isinstance(exception, self.exceptions_to_retry):
            return None
        retry = self._retry(request, exception)
        if retry is not None:
            await self._wait(retry, 0.0)
        return retry

    def backoff_delay(self, attempt: int, server_delay: float) -> float:
        """Seconds to wait before retry number `attempt` (1 for the first retry)."""
        delay = min(self.backoff_base * 2 ** (attempt - 1), self.backoff_max)
        return max(delay, min(server_delay, self.backoff_max))

    async def _wait(self, retry: Request, server_delay: float) -> None:
        delay = self.backoff_delay(retry.meta.get("retry_times", 1), server_delay)
        if delay > 0:
            logger.info("Retrying %s in %.1f s (attempt %d)", retry.url, delay, retry.meta.get("retry_times", 1))
            await asyncio.sleep(delay)


def retry_after(response: Response) -> float:
    """Seconds the server asked to wait in Retry-After (delta seconds or an HTTP date), else 0."""
    value = response.headers.get("Retry-After")
    if not value:
        return 0.0
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return 0.0
    return max((moment - datetime.now(UTC)).total_seconds(), 0.0)
