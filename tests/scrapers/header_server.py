"""A fixture server that also records request headers, for spiders that must send Referer and Accept."""

from __future__ import annotations

from typing import Any

from tests.scrapers.server import FixtureServer


class HeaderRecordingServer(FixtureServer):
    """A FixtureServer that keeps (path, lower-case headers) of every request in `headers`."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[tuple[str, dict[str, str]]] = []

    def _answer(self, handler: Any, body: bytes) -> None:
        self.headers.append((handler.path, {name.lower(): value for name, value in handler.headers.items()}))
        super()._answer(handler, body)
