"""Parse lawdatify app-infringement notices (docs.json) into case drafts, one per app row.

The party of an app row is its operator company (`dev`). Upstream parsed the app lists
from HTML tables, text, PDF and OCR of list images, so operator names can carry line-break
spaces and a few rows are headings of the notice (「附件1」, 「责令整改通知书」). Heading rows
still yield a draft, marked `extra["suspect_row"]`, so the normalizer can flag them.
A notice without app rows yields one notice-level draft (record key "notice").
"""

from __future__ import annotations

import logging
import re
from typing import Any

from etl.models import CaseDraft, RawDocument, stable_id
from etl.sources.lawdatify_cases import load_patterns

logger = logging.getLogger(__name__)

NOTICE_RECORD_KEY = "notice"

# Batch fields a notice may carry (2026-09-18 version of docs.json).
BATCH_FIELDS = ("batch_total", "seq_batch", "year_batch", "batch_year", "total_batch", "quarter")


def parse_document(doc: RawDocument) -> list[CaseDraft]:
    """Parse one notice into one draft per app row, or one notice-level draft when it has none."""
    notice = doc.json_content()
    entries = notice.get("entries") or []
    if not entries:
        return [_notice_draft(doc, notice)]

    return [_row_draft(doc, notice, index, entry) for index, entry in enumerate(entries)]


def row_record_key(index: int, app: str, dev: str) -> str:
    """Return the stable record key of an app row: its position plus a hash of app and operator."""
    return f"{index}-{stable_id(app, dev, length=8)}"


def is_suspect_row(app: str, dev: str) -> bool:
    """Tell whether an app row looks like a heading of the notice rather than an app."""
    if not app.strip() and not dev.strip():
        return True

    patterns = load_patterns()["appviol"]["heading_row_patterns"]
    return any(re.search(pattern, app.strip()) for pattern in patterns)


def app_row_text(app: str, company: str, version: str = "", store: str = "", problems: list[str] | None = None) -> str:
    """Render one app row of a notice as the case text, one 「label：value」 line per field."""
    lines = [f"应用名称：{app}", f"运营者：{company}"]
    optional = (("版本", version), ("应用来源", store), ("所涉问题", "；".join(problems or [])))
    lines += [f"{label}：{value}" for label, value in optional if value]
    return "\n".join(lines)


def _row_draft(doc: RawDocument, notice: dict[str, Any], index: int, entry: dict[str, Any]) -> CaseDraft:
    app = _text(entry.get("app"))
    dev = _text(entry.get("dev"))
    extra = _notice_extra(notice)
    extra.update(
        {
            "app": app,
            "version": _text(entry.get("ver")),
            "store": _text(entry.get("store")),
            "region": _text(entry.get("region")),
            "row": index,
        }
    )
    if is_suspect_row(app, dev):
        extra["suspect_row"] = True

    draft = _base_draft(doc, notice, row_record_key(index, app, dev), extra)
    draft.party_raw = dev
    draft.violation_raw = [_text(label) for label in entry.get("probs") or [] if _text(label)]
    draft.text = app_row_text(app, dev, extra["version"], extra["store"], draft.violation_raw)
    return draft


def _notice_draft(doc: RawDocument, notice: dict[str, Any]) -> CaseDraft:
    return _base_draft(doc, notice, NOTICE_RECORD_KEY, _notice_extra(notice))


def _base_draft(doc: RawDocument, notice: dict[str, Any], record_key: str, extra: dict[str, Any]) -> CaseDraft:
    return CaseDraft(
        document_id=doc.document_id,
        source=doc.source,
        source_url=doc.url,
        record_key=record_key,
        title=_text(notice.get("title")),
        regulator_raw=_text(notice.get("org")),
        publish_date_raw=_text(notice.get("date")),
        penalty_raw=_text(notice.get("notice_kind")),
        province_hint=_text(notice.get("province")),
        extra=extra,
    )


def _notice_extra(notice: dict[str, Any]) -> dict[str, Any]:
    """Collect the notice fields every draft of the notice carries."""
    return {
        "notice_kind": _text(notice.get("notice_kind")),
        "batch": {key: notice[key] for key in BATCH_FIELDS if notice.get(key) is not None},
        "carrier": _text(notice.get("carrier")),
        "date_precision": _text(notice.get("date_precision")),
        "date_source": _text(notice.get("date_src")),
        "date_conflict": notice.get("date_conflict"),
        "scope": _text(notice.get("scope")),
        "declared_apps": notice.get("declared"),
        "app_rows": len(notice.get("entries") or []),
        "upstream_id": _text(notice.get("id")),
    }


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()
