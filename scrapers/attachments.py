"""Text and tables of attachments (PDF, DOCX, DOC, XLS, XLSX, images)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class AttachmentText:
    """What could be read from one attachment."""

    format: str
    text: str = ""
    tables: list[list[list[str]]] = field(default_factory=list)
    needs_ocr: bool = False
    error: str = ""


def extract_attachment(body: bytes, url: str = "", content_type: str = "") -> AttachmentText:
    # TODO: replaced by the attachment extractors (in progress).
    return AttachmentText(format="unknown", error="attachment extraction not implemented yet")
