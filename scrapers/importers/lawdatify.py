"""Import the lawdatify-site datasets (chenluo951-oss/lawdatify-site) as raw documents.

One raw document per record, with no parsing of meaning:

- `lawdatify_cases`: cases.json and local_amr.jsonl. Upstream merged local_amr into
  cases.json, so 200 of local_amr's 234 URLs appear in both files (seen 2026-12-04). The
  records of one URL become one document: the richer record's non-empty fields win, and
  every original is kept under `merged_from` in the content.
- `lawdatify_appviol`: one document per notice of docs.json, its `entries` included.
- `lawdatify_batches`: one document per record of batches.json.

A URL fragment such as `#c2` marks one of several decisions that upstream cut out of one
page, so it becomes the document's record key and the URL is stored without it.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from eintel.raw import RawDocument

logger = logging.getLogger(__name__)

Skipped = list[tuple[str, str]]

JSON_CONTENT_TYPE = "application/json"


def import_cases(
    root: Path, cases_spec: dict[str, str], local_spec: dict[str, str]
) -> tuple[list[RawDocument], Skipped]:
    """Import cases.json and local_amr.jsonl as one document per distinct record URL."""
    skipped: Skipped = []
    cases_data = _read_json(root, cases_spec["path"], skipped)
    cases = _list_field(cases_data, "cases", cases_spec["path"], skipped)
    fetched_at = _fetched_at(cases_data, root / cases_spec["path"], root / local_spec["path"])
    local_lines = _read_jsonl(root, local_spec["path"], skipped)

    groups: dict[str, list[tuple[dict[str, str], dict[str, Any], str]]] = {}
    for index, record in enumerate(cases):
        _add_to_group(groups, cases_spec, record, f"{cases_spec['path']} record {index}", skipped)
    for line_number, record in local_lines:
        _add_to_group(groups, local_spec, record, f"{local_spec['path']}:{line_number}", skipped)

    documents = [_case_document(url, members, fetched_at) for url, members in groups.items()]
    merged = sum(1 for members in groups.values() if len(members) > 1)
    logger.info(
        "imported lawdatify cases: documents=%d merged_urls=%d cases_records=%d local_amr_records=%d",
        len(documents), merged, len(cases), len(local_lines),
    )
    return documents, skipped


def import_appviol_docs(root: Path, spec: dict[str, str]) -> tuple[list[RawDocument], Skipped]:
    """Import each notice of docs.json, its app rows (`entries`) included, as one document."""
    documents, skipped = _import_record_list(root, spec, "docs")
    for document in documents:
        document.meta["upstream_id"] = document.json_content().get("id", "")
    return documents, skipped


def import_batches(root: Path, spec: dict[str, str]) -> tuple[list[RawDocument], Skipped]:
    """Import each record of batches.json as one document."""
    return _import_record_list(root, spec, "batches")


def _import_record_list(root: Path, spec: dict[str, str], list_key: str) -> tuple[list[RawDocument], Skipped]:
    """Import each record of the file's `list_key` list as one document."""
    skipped: Skipped = []
    data = _read_json(root, spec["path"], skipped)
    records = _list_field(data, list_key, spec["path"], skipped)
    fetched_at = _fetched_at(data, root / spec["path"])

    documents = []
    for index, record in enumerate(records):
        document = _record_document(spec, record, fetched_at, f"{spec['path']} record {index}", skipped)
        if document is not None:
            documents.append(document)
    logger.info("imported lawdatify records: documents=%d list=%s file=%s", len(documents), list_key, spec["path"])
    return documents, skipped


def split_fragment(url: str) -> tuple[str, str]:
    """Split a URL into the page URL and its fragment (without '#')."""
    page_url, _, fragment = url.strip().partition("#")
    return page_url, fragment


def _add_to_group(
    groups: dict[str, list[tuple[dict[str, str], dict[str, Any], str]]],
    spec: dict[str, str],
    record: Any,
    where: str,
    skipped: Skipped,
) -> None:
    url = record.get("url", "").strip() if isinstance(record, dict) else ""
    if not url:
        logger.warning("record without url skipped: where=%s", where)
        skipped.append((where, "record has no url"))
        return

    groups.setdefault(url, []).append((spec, record, where))


def _case_document(
    url: str, members: list[tuple[dict[str, str], dict[str, Any], str]], fetched_at: datetime
) -> RawDocument:
    primary_spec = members[0][0]
    record = members[0][1]
    content: dict[str, Any] = dict(record)
    meta = _meta(primary_spec)

    if len(members) > 1:
        for _spec, other, _where in members[1:]:
            record = merge_records(record, other)
        content = dict(record)
        content["merged_from"] = [
            {"dataset": Path(spec["path"]).name, "where": where, "record": original}
            for spec, original, where in members
        ]
        meta["merged_from"] = [Path(spec["path"]).name for spec, _record, _where in members]

    return _json_document(primary_spec["source"], url, content, fetched_at, meta)


def merge_records(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """Merge two records of one URL: the richer record's non-empty fields win, the other fills gaps.

    A record is richer when it has more non-empty fields, then when its `fact` is longer.
    On a tie the first record counts as richer.
    """
    if _richness(second) > _richness(first):
        richer, poorer = second, first
    else:
        richer, poorer = first, second

    merged = dict(poorer)
    for key, value in richer.items():
        if not _is_empty(value) or key not in merged:
            merged[key] = value
    return merged


def _richness(record: dict[str, Any]) -> tuple[int, int]:
    filled = sum(1 for value in record.values() if not _is_empty(value))
    return filled, len(str(record.get("fact") or ""))


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _record_document(
    spec: dict[str, str], record: Any, fetched_at: datetime, where: str, skipped: Skipped
) -> RawDocument | None:
    url = record.get("url", "").strip() if isinstance(record, dict) else ""
    if not url:
        logger.warning("record without url skipped: where=%s", where)
        skipped.append((where, "record has no url"))
        return None

    return _json_document(spec["source"], url, record, fetched_at, _meta(spec))


def _json_document(
    source: str, url: str, content: dict[str, Any], fetched_at: datetime, meta: dict[str, Any]
) -> RawDocument:
    """Build the document of one record; a URL fragment (#c2) becomes its record key."""
    page_url, fragment = split_fragment(url)
    meta["upstream_url"] = url
    meta["record_key"] = fragment
    return RawDocument.build(
        source=source,
        url=page_url,
        content=json.dumps(content, ensure_ascii=False),
        content_type=JSON_CONTENT_TYPE,
        fetched_at=fetched_at,
        record_key=fragment,
        meta=meta,
    )


def _meta(spec: dict[str, str]) -> dict[str, Any]:
    return {
        "dataset": Path(spec["path"]).name,
        "archive_path": spec["path"],
        "upstream_repo": spec["upstream_repo"],
        "upstream_commit": spec["upstream_commit"],
    }


def _read_json(root: Path, relative_path: str, skipped: Skipped) -> Any:
    path = root / relative_path
    if not path.is_file():
        logger.warning("archive file not found: path=%s", path)
        skipped.append((relative_path, "file not found"))
        return None

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        logger.warning("invalid JSON file skipped: path=%s error=%s", path, error)
        skipped.append((relative_path, f"invalid JSON: {error}"))
        return None


def _read_jsonl(root: Path, relative_path: str, skipped: Skipped) -> list[tuple[int, Any]]:
    """Read a JSON Lines file. A line that does not parse is logged, listed in `skipped` and left out."""
    path = root / relative_path
    if not path.is_file():
        logger.warning("archive file not found: path=%s", path)
        skipped.append((relative_path, "file not found"))
        return []

    records = []
    text = path.read_text(encoding="utf-8", errors="replace")
    for line_number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append((line_number, json.loads(line)))
        except json.JSONDecodeError as error:
            logger.warning("invalid JSON line skipped: path=%s line=%d error=%s", path, line_number, error)
            skipped.append((f"{relative_path}:{line_number}", f"invalid JSON line: {error}"))
    return records


def _list_field(data: Any, key: str, relative_path: str, skipped: Skipped) -> list[Any]:
    if data is None:
        return []

    records = data.get(key) if isinstance(data, dict) else None
    if not isinstance(records, list):
        logger.warning("dataset has no record list: path=%s key=%s", relative_path, key)
        skipped.append((relative_path, f"no list under key {key!r}"))
        return []
    return records


def _fetched_at(data: Any, *fallback_paths: Path) -> datetime:
    """Return the dataset's `meta.updated` date as midnight UTC, else the first existing file's mtime."""
    updated = ""
    if isinstance(data, dict) and isinstance(data.get("meta"), dict):
        updated = str(data["meta"].get("updated") or "")

    try:
        return datetime.strptime(updated[:10], "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        pass

    for path in fallback_paths:
        if path.is_file():
            logger.warning("dataset has no meta.updated date, so the file mtime is used: path=%s", path)
            return datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc)
    return datetime.fromtimestamp(0, tz=timezone.utc)
