"""Decoding of the JSON responses that regulator list and detail APIs return to the spiders."""

from __future__ import annotations

import json
import re
from typing import Any

from scrapy.http import Response

WHITESPACE_RE = re.compile(r"\s+")


def json_payload(response: Response, code_key: str | None = None, ok_codes: tuple[str, ...] = ("200",)) -> tuple[dict[str, Any] | None, str | None]:
    """Decode a JSON object and return it, or None and a message saying what is wrong with the response.

    With `code_key`, a response whose status field (NFRA's rptCode) is present and not one of
    `ok_codes` is rejected too.
    """
    text = response.text if hasattr(response, "text") else response.body.decode("utf-8", errors="replace")
    try:
        payload = json.loads(text)
    except ValueError as error:
        return None, f"invalid JSON ({error})"
    if not isinstance(payload, dict):
        return None, f"the answer is a JSON {type(payload).__name__}, not an object"
    if code_key is not None and payload.get(code_key) is not None and str(payload[code_key]) not in ok_codes:
        return None, f"{code_key} {payload[code_key]} instead of {' or '.join(ok_codes)}"
    return payload, None


def collapse(value: Any) -> str:
    """Text of a JSON field with every run of whitespace (titles carry line breaks) made one space."""
    return WHITESPACE_RE.sub(" ", str(value)).strip() if value is not None else ""


def count_field(value: Any) -> int:
    """Return a JSON count (total, pages) as a non-negative int, or 0 when it is missing or not a number."""
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return 0
