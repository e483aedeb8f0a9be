"""Raw documents: one fetched response or one imported dataset record, as received.

The scrapers and importers produce them, the warehouse stores them in its raw layer and
the ETL parses them, so this module depends on none of those packages.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


def stable_id(*parts: object, length: int = 16) -> str:
    """Hash the parts into a short hex id that stays the same across runs and machines."""
    joined = "\x1f".join("" if part is None else str(part) for part in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:length]


def content_hash(content: str | bytes) -> str:
    """SHA-256 of a document's content, the raw layer's address."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    return hashlib.sha256(data).hexdigest()


class RawDocument(BaseModel):
    """One document as received: a fetched page or one record of an imported dataset.

    Primary key: `document_id`, derived from source and URL (plus a record key when
    one URL carries several records), so a re-import of the same record updates the
    same row.
    """

    document_id: str
    source: str
    url: str
    fetched_at: datetime
    content_type: str
    content: str
    content_hash: str
    meta: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def build(
        cls,
        source: str,
        url: str,
        content: str,
        content_type: str,
        fetched_at: datetime,
        record_key: str = "",
        meta: dict[str, Any] | None = None,
    ) -> RawDocument:
        """Create a document whose id and hash are derived from its source, URL and content."""
        return cls(
            document_id=stable_id(source, url, record_key),
            source=source,
            url=url,
            fetched_at=fetched_at,
            content_type=content_type,
            content=content,
            content_hash=content_hash(content),
            meta=meta or {},
        )

    def json_content(self) -> Any:
        """Decode the content of a JSON document."""
        return json.loads(self.content)


# Content type of an attachment's raw document: JSON of scrapers.attachments.AttachmentText
# (format, text, tables as rows of cells, needs_ocr, error).
ATTACHMENT_CONTENT_TYPE = "application/vnd.eintel.attachment+json"
