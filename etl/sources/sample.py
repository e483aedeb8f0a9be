"""Source parser for the built-in sample data set, `data/sample/cases.jsonl`.

The file contains one case per line as a JSON object (fields listed in
`data/sample/README.md`). `read_sample` turns each line into a raw document of
source "sample", and `parse_document` turns one such document into a case draft.
A malformed line is logged and skipped so that the rest of the sample still loads.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast, get_args

from etl.models import CaseDraft, PartyType, RawDocument

logger = logging.getLogger(__name__)

SOURCE = "sample"
CONTENT_TYPE = "application/json"

# A fixed fetch time keeps document ids and content hashes the same on every load.
# data/sample/README.md states the same date.
SAMPLE_FETCHED_AT = datetime(2026, 12, 4, tzinfo=timezone.utc)

# Without these two a line cannot be addressed: they make the document id.
REQUIRED_FIELDS = ("id", "source_url")

# Sample field -> CaseDraft field, for single strings.
STRING_FIELDS = {
    "title": "title",
    "party": "party_raw",
    "decision_number": "decision_number_raw",
    "regulator": "regulator_raw",
    "decision_date": "decision_date_raw",
    "publish_date": "publish_date_raw",
    "penalty": "penalty_raw",
    "province": "province_hint",
    "summary": "summary",
}

# Sample field -> CaseDraft field, for lists of strings.
LIST_FIELDS = {
    "violations": "violation_raw",
    "legal_bases": "legal_basis_raw",
    "fines": "amounts_raw",
}

EXTRA_FIELDS = ("app", "summary_en", "origin")

KNOWN_FIELDS = frozenset(
    {*REQUIRED_FIELDS, "party_type", *STRING_FIELDS, *LIST_FIELDS, *EXTRA_FIELDS}
)

PARTY_TYPES: frozenset[str] = frozenset(get_args(PartyType))


def read_sample(path: Path) -> tuple[list[RawDocument], int]:
    """Read the sample JSONL file into raw documents, one per non-blank line.

    Returns the documents and the number of skipped lines. A line that is not
    UTF-8, is not a JSON object, lacks `id` or `source_url`, or repeats an earlier
    `id` is logged as a WARNING with the file and line number and skipped. Raises
    OSError when the file cannot be read.
    """
    documents: list[RawDocument] = []
    seen_ids: set[str] = set()
    skipped = 0

    with path.open("rb") as lines:
        for line_number, line_bytes in enumerate(lines, start=1):
            if not line_bytes.strip():
                continue

            loaded = _load_line(path, line_number, line_bytes)
            if loaded is None:
                skipped += 1
                continue

            line, record = loaded

            record_id = _as_text(record["id"])
            if record_id in seen_ids:
                logger.warning("Skipped %s line %d: duplicate id %r", path, line_number, record_id)
                skipped += 1
                continue

            seen_ids.add(record_id)
            documents.append(_build_document(path, line_number, line, record))

    logger.info(
        "Read sample file %s: %d documents, %d lines skipped", path, len(documents), skipped
    )
    return documents, skipped


def parse_document(doc: RawDocument) -> list[CaseDraft]:
    """Turn one sample document into a single case draft.

    Returns an empty list, with a WARNING, when the content is not a JSON object.
    Values of the wrong type are coerced to strings so that the normalizers see
    and judge them.
    """
    try:
        record = doc.json_content()
    except json.JSONDecodeError as error:
        logger.warning("Sample document %s is not valid JSON: %s", doc.document_id, error)
        return []

    if not isinstance(record, dict):
        logger.warning(
            "Sample document %s is invalid: expected a JSON object, got %s",
            doc.document_id,
            type(record).__name__,
        )
        return []

    _log_unknown_fields(doc, record)

    draft_fields: dict[str, Any] = {
        target: _as_text(record.get(name)) for name, target in STRING_FIELDS.items()
    }
    draft_fields.update(
        {target: _as_text_list(record.get(name)) for name, target in LIST_FIELDS.items()}
    )
    draft_fields["party_type_hint"] = _party_type_hint(doc, record.get("party_type"))
    draft_fields["text"] = "\n".join(
        part for part in (draft_fields["summary"], draft_fields["penalty_raw"]) if part
    )
    draft_fields["extra"] = {name: _as_text(record.get(name)) for name in EXTRA_FIELDS}

    draft = CaseDraft(
        document_id=doc.document_id,
        source=doc.source,
        source_url=doc.url,
        record_key=_as_text(record.get("id")),
        **draft_fields,
    )
    return [draft]


def _load_line(
    path: Path, line_number: int, line_bytes: bytes
) -> tuple[str, dict[str, Any]] | None:
    """Decode and parse one line, or log why it is skipped and return None."""
    try:
        line = line_bytes.decode("utf-8-sig" if line_number == 1 else "utf-8")
    except UnicodeDecodeError as error:
        logger.warning("Skipped %s line %d: invalid UTF-8 (%s)", path, line_number, error)
        return None

    try:
        record = json.loads(line)
    except json.JSONDecodeError as error:
        logger.warning("Skipped %s line %d: invalid JSON (%s)", path, line_number, error)
        return None

    if not isinstance(record, dict):
        logger.warning(
            "Skipped %s line %d: expected a JSON object, got %s",
            path,
            line_number,
            type(record).__name__,
        )
        return None

    for field in REQUIRED_FIELDS:
        if not _as_text(record.get(field)):
            logger.warning("Skipped %s line %d: missing field %r", path, line_number, field)
            return None

    return line, record


def _build_document(path: Path, line_number: int, line: str, record: dict[str, Any]) -> RawDocument:
    return RawDocument.build(
        source=SOURCE,
        url=_as_text(record["source_url"]),
        content=line.strip(),
        content_type=CONTENT_TYPE,
        fetched_at=SAMPLE_FETCHED_AT,
        record_key=_as_text(record["id"]),
        meta={"file": path.name, "line": line_number},
    )


def _log_unknown_fields(doc: RawDocument, record: dict[str, Any]) -> None:
    unknown = sorted(set(record) - KNOWN_FIELDS)
    if unknown:
        logger.warning(
            "Sample document %s has unknown fields %s; "
            "add them to the parser or drop them from the file",
            doc.document_id,
            unknown,
        )


def _party_type_hint(doc: RawDocument, value: Any) -> PartyType | None:
    text = _as_text(value)
    if not text:
        return None

    if text not in PARTY_TYPES:
        logger.warning(
            "Sample document %s has party_type %r, expected one of %s",
            doc.document_id,
            text,
            sorted(PARTY_TYPES),
        )
        return None

    return cast(PartyType, text)


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    return value.strip() if isinstance(value, str) else str(value)


def _as_text_list(value: Any) -> list[str]:
    if value is None:
        return []

    items = value if isinstance(value, list) else [value]
    texts = (_as_text(item) for item in items)
    return [text for text in texts if text]
