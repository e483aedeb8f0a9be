"""Archived responses become raw documents: decoding, list pages left out, attachment cache."""

from __future__ import annotations

import json
from io import BytesIO
from pathlib import Path

import openpyxl

from eintel.raw import ATTACHMENT_CONTENT_TYPE
from scrapers.archive import CrawlArchive
from scrapers.attachments import EXTRACTION_VERSION
from scrapers.documents import iter_raw_documents


def archive_response(archive: CrawlArchive, run_id: str, url: str, body: bytes, kind: str, content_type: str) -> None:
    archive.store_response(
        source="pbc", url=url, kind=kind, status=200, body=body, content_type=content_type,
        headers={"content-type": content_type}, meta={"context": {"list_date": "2026-11-03"}, "fields": {}},
        run_id=run_id,
    )


def xlsx_bytes() -> bytes:
    book = openpyxl.Workbook()
    book.active.append(["当事人名称", "行政处罚内容"])
    book.active.append(["示例支付有限公司", "罚款30万元"])
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_gbk_page_decoded(tmp_path: Path):
    with CrawlArchive(tmp_path) as archive:
        run_id = archive.start_run("pbc")
        page = "<html><body>行政处罚公示</body></html>".encode("gbk")
        archive_response(archive, run_id, "http://a/detail.html", page, "detail", "text/html; charset=gbk")
        documents = list(iter_raw_documents(archive))
    assert len(documents) == 1
    assert "行政处罚公示" in documents[0].content
    assert documents[0].content_type == "text/html"
    assert documents[0].meta["context"] == {"list_date": "2026-11-03"}
    assert documents[0].meta["kind"] == "detail"


def test_list_pages_not_loaded(tmp_path: Path):
    with CrawlArchive(tmp_path) as archive:
        run_id = archive.start_run("pbc")
        archive_response(archive, run_id, "http://a/index.html", b"<html>list</html>", "list", "text/html")
        assert list(iter_raw_documents(archive)) == []


def test_attachment_extracted_and_cached(tmp_path: Path):
    url = "http://a/penalties.xlsx"
    content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    with CrawlArchive(tmp_path) as archive:
        run_id = archive.start_run("pbc")
        archive_response(archive, run_id, url, xlsx_bytes(), "attachment", content_type)
        first = list(iter_raw_documents(archive))[0]
        sha = first.meta["sha256"]
        cached = archive.read_derived(sha, f"attachment-v{EXTRACTION_VERSION}")
        # A second load reads the cached result instead of the spreadsheet.
        archive.write_derived(sha, f"attachment-v{EXTRACTION_VERSION}",
                              json.dumps({"format": "xlsx", "text": "cached", "tables": [], "needs_ocr": False, "error": ""}).encode())
        second = list(iter_raw_documents(archive))[0]
    assert first.content_type == ATTACHMENT_CONTENT_TYPE
    assert first.json_content()["tables"] == [[["当事人名称", "行政处罚内容"], ["示例支付有限公司", "罚款30万元"]]]
    assert first.meta["attachment_format"] == "xlsx"
    assert json.loads(cached) == first.json_content()
    assert second.json_content()["text"] == "cached"
