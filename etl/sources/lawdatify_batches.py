"""Parse lawdatify national app-notice batches (batches.json) into notice-level case drafts.

A batch record names no app (upstream's `apps` list is empty), so each record yields one
draft without a party. Some records are commentary or meeting news rather than notices
(`apps_count` null); they pass through and the normalizer decides.
"""

from __future__ import annotations

import logging
from typing import Any

from etl.models import CaseDraft, RawDocument

logger = logging.getLogger(__name__)

NOTICE_RECORD_KEY = "notice"


def parse_document(doc: RawDocument) -> list[CaseDraft]:
    """Parse one batch record into one notice-level draft."""
    batch = doc.json_content()
    extra: dict[str, Any] = {
        "kind": _text(batch.get("kind")),
        "apps_count": batch.get("apps_count"),
        "orgs": list(batch.get("orgs") or []),
        "batch": {
            "year": batch.get("year"),
            "batch_in_year": batch.get("batch_in_year"),
            "batch_total": batch.get("batch_total"),
        },
        "images": list(batch.get("images") or []),
        "categories": list(batch.get("categories") or []),
    }
    draft = CaseDraft(
        document_id=doc.document_id,
        source=doc.source,
        source_url=doc.url,
        record_key=NOTICE_RECORD_KEY,
        title=_text(batch.get("title")),
        regulator_raw=_text(batch.get("org")),
        publish_date_raw=_text(batch.get("date")),
        extra=extra,
    )
    return [draft]


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()
