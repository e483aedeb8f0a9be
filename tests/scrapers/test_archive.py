"""Crawl archive: content-addressed bodies, URL state, pending requests and run records."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from scrapers.archive import ArchiveError, CrawlArchive, RunCounts, SourceLockedError


def store(archive: CrawlArchive, run_id: str, url: str, body: bytes, fingerprint: str = "") -> str:
    outcome, _ = archive.store_response(
        source="pbc", url=url, kind="detail", status=200, body=body, content_type="text/html",
        headers={"etag": '"v1"'}, meta={"context": {"list_title": "t"}}, run_id=run_id, fingerprint=fingerprint,
    )
    return outcome


def test_archive_outcomes(tmp_path: Path):
    with CrawlArchive(tmp_path) as archive:
        run_id = archive.start_run("pbc")
        assert store(archive, run_id, "http://a/1", b"one") == "new"
        assert store(archive, run_id, "http://a/1", b"one") == "unchanged"
        assert store(archive, run_id, "http://a/1", b"two") == "updated"
        assert archive.count_responses() == 2
        latest = list(archive.iter_responses())
        everything = list(archive.iter_responses(latest_only=False))
    assert [response.sha256 for response in latest] == [everything[1].sha256]
    assert latest[0].meta == {"context": {"list_title": "t"}}
    assert latest[0].headers == {"etag": '"v1"'}


def test_archive_body_by_hash(tmp_path: Path):
    with CrawlArchive(tmp_path) as archive:
        digest = archive.write_body(b"<html>body</html>")
        again = archive.write_body(b"<html>body</html>")
        path = archive.object_path(digest)
        assert archive.read_body(digest) == b"<html>body</html>"
    assert again == digest
    assert gzip.decompress(path.read_bytes()) == b"<html>body</html>"
    assert path.parent.name == digest[:2]


def test_archive_missing_body_error(tmp_path: Path):
    with CrawlArchive(tmp_path) as archive:
        with pytest.raises(ArchiveError, match="--full"):
            archive.read_body("ab" * 32)


def test_known_only_after_finished_run(tmp_path: Path):
    with CrawlArchive(tmp_path) as archive:
        run_id = archive.start_run("pbc")
        store(archive, run_id, "http://a/1", b"one")
        assert archive.url_state("pbc", "http://a/1").first_run_finished is False
        archive.finish_run(run_id, RunCounts(), "ok")
        assert archive.url_state("pbc", "http://a/1").first_run_finished is True
        assert archive.url_state("pbc", "http://a/2") is None


def test_unfinished_run_marked_interrupted(tmp_path: Path):
    first = CrawlArchive(tmp_path)
    killed_run = first.start_run("pbc")
    first.release_source("pbc")  # what the kernel does when the process dies
    with CrawlArchive(tmp_path) as archive:
        archive.start_run("pbc")
        runs = {run["run_id"]: run for run in archive.crawl_runs("pbc")}
    first.close()
    assert runs[killed_run]["status"] == "interrupted"
    assert runs[killed_run]["finished_at"] is None


def test_second_crawl_of_source_locked(tmp_path: Path):
    with CrawlArchive(tmp_path) as first, CrawlArchive(tmp_path) as second:
        first.start_run("pbc")
        with pytest.raises(SourceLockedError, match="another process"):
            second.start_run("pbc")
        second.start_run("nfra")


def test_pending_kept_until_success(tmp_path: Path):
    with CrawlArchive(tmp_path) as archive:
        run_id = archive.start_run("pbc")
        archive.add_pending("pbc", "http://a/1", "parse_detail", {"kind": "detail"}, "HTTP 503")
        archive.add_pending("pbc", "http://a/1", "parse_detail", {"kind": "detail"}, "HTTP 502")
        pending = archive.pending("pbc")
        assert [(entry.url, entry.attempts, entry.error) for entry in pending] == [("http://a/1", 2, "HTTP 502")]
        store(archive, run_id, "http://a/1", b"one")
        assert archive.pending("pbc") == []


def test_run_counts_recorded(tmp_path: Path):
    with CrawlArchive(tmp_path) as archive:
        run_id = archive.start_run("pbc", full_crawl=True)
        counts = RunCounts(pages=5, new_items=3, updated_items=1, errors=2, messages=["error x", "error y"])
        archive.finish_run(run_id, counts, "shape_changed")
        run = archive.crawl_runs("pbc")[0]
    assert (run["pages"], run["new_items"], run["updated_items"], run["errors"]) == (5, 3, 1, 2)
    assert run["status"] == "shape_changed"
    assert run["message"] == "error x\nerror y"
    assert run["full_crawl"] == 1


def test_unwritable_archive_error(tmp_path: Path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(ArchiveError, match="EINTEL_CRAWL_ARCHIVE"):
        CrawlArchive(blocker / "archive")
