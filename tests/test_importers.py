"""Tests of the archive importers: small archives written here, then the real public records."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from eintel.settings import get_settings
from etl.models import stable_id
from scrapers.importers import import_archive
from scrapers.importers.lawdatify import merge_records, split_fragment
from scrapers.importers.saved_pages import declared_url

# EINTEL_ARCHIVE, default ../shared/data/raw relative to the repository root.
ARCHIVE = get_settings().archive_path

CASE_URL = "https://amr.example.gov.cn/xzcf/post_1.html"
SHARED_URL = "https://amr.example.gov.cn/xzcf/post_2.html"
NOTICE_URL = "https://gdca.miit.gov.cn/zwgk/tzgg/art/2026/art_0001.html"
BATCH_URL = "https://www.miit.gov.cn/jgsj/xgj/tzgg/art/2026/art_0002.html"


def write_archive(root: Path, local_lines: list[str] | None = None) -> Path:
    """Write a small archive with the real file layout and bare-fact record values."""
    cases = {
        "meta": {"updated": "2026-09-16"},
        "cases": [
            {"title": "甲科技有限公司案", "url": CASE_URL, "date": "2026-09-01", "fact": "罚款5000元"},
            {"title": "乙公司案", "url": SHARED_URL, "date": "2026-08-01", "fact": "短", "kind": "行政处罚决定书"},
            {"title": "丙案", "url": SHARED_URL + "#c2", "date": "2026-08-01", "fact": "警告"},
        ],
    }
    local = local_lines or [
        json.dumps(
            {
                "title": "乙公司案",
                "url": SHARED_URL,
                "date": "",
                "fact": "较长的事实文本",
                "caseno": "乙罚〔2026〕1号",
                "agency": "某市市场监督管理局",
                "kind": "行政处罚决定书",
            },
            ensure_ascii=False,
        ),
        json.dumps({"title": "丁案", "url": "https://amr.example.gov.cn/xzcf/post_3.html", "fact": ""}, ensure_ascii=False),
    ]
    docs = {
        "meta": {"updated": "2026-09-18"},
        "docs": [{"id": "a1", "title": "通报", "url": NOTICE_URL, "date": "2026-01-01", "entries": []}],
    }
    batches = {"meta": {"updated": "2026-09-15"}, "batches": [{"title": "第1批", "url": BATCH_URL, "date": "2026-08-25"}]}
    page = '<html><head><meta name="Url" content="/zhengwugongkai/1/index.html"></head><body></body></html>'

    files = {
        "lawdatify/cases/cases.json": json.dumps(cases, ensure_ascii=False),
        "lawdatify/cases/local_amr.jsonl": "\n".join(local) + "\n",
        "lawdatify/appviol/docs.json": json.dumps(docs, ensure_ascii=False),
        "lawdatify/appviol/batches.json": json.dumps(batches, ensure_ascii=False),
        "lawdatify/appviol/apps.json": json.dumps({"meta": {"apps": 0}, "apps": []}),
        "pages/pbc/pbc_penalty_detail.html": page,
        "notes/extra.csv": "a,b\n",
        "SOURCES.md": "# sources\n",
    }
    for relative_path, text in files.items():
        path = root / relative_path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


@pytest.fixture()
def small_archive(tmp_path: Path) -> Path:
    return write_archive(tmp_path)


def test_archive_missing_folder_raises(tmp_path: Path) -> None:
    missing = tmp_path / "absent"

    with pytest.raises(FileNotFoundError) as error:
        import_archive(missing)

    assert str(missing) in str(error.value)
    assert "EINTEL_ARCHIVE" in str(error.value)
    assert "ARCHIVE=" in str(error.value)


def test_archive_counts_per_file(small_archive: Path) -> None:
    result = import_archive(small_archive)

    assert result.files == {
        "lawdatify/cases/cases.json": 3,
        "lawdatify/cases/local_amr.jsonl": 1,
        "lawdatify/appviol/docs.json": 1,
        "lawdatify/appviol/batches.json": 1,
        "pages/pbc/pbc_penalty_detail.html": 1,
    }
    assert len(result.documents) == 7


@pytest.mark.parametrize(
    ("path", "reason_part"),
    [
        ("lawdatify/appviol/apps.json", "metadata only"),
        ("notes/extra.csv", "not listed"),
    ],
)
def test_archive_skipped_files(small_archive: Path, path: str, reason_part: str) -> None:
    skipped = dict(import_archive(small_archive).skipped)

    assert path in skipped
    assert reason_part in skipped[path]


def test_archive_documentation_not_skipped(small_archive: Path) -> None:
    skipped = dict(import_archive(small_archive).skipped)

    assert "SOURCES.md" not in skipped


def test_archive_corrupt_line_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    good = json.dumps({"title": "戊案", "url": "https://amr.example.gov.cn/xzcf/post_9.html"}, ensure_ascii=False)
    root = write_archive(tmp_path, local_lines=[good, '{"title": "broken"', good.replace("post_9", "post_10")])

    result = import_archive(root)

    assert ("lawdatify/cases/local_amr.jsonl:2" in dict(result.skipped))
    assert result.files["lawdatify/cases/local_amr.jsonl"] == 2
    assert any("line=2" in record.getMessage() and record.levelname == "WARNING" for record in caplog.records)


def test_archive_corrupt_file_reported(small_archive: Path) -> None:
    (small_archive / "lawdatify/appviol/batches.json").write_text("{not json", encoding="utf-8")

    result = import_archive(small_archive)

    assert "lawdatify/appviol/batches.json" in dict(result.skipped)
    assert "lawdatify/appviol/batches.json" not in result.files
    assert result.files["lawdatify/appviol/docs.json"] == 1


def test_cases_shared_url_merged(small_archive: Path) -> None:
    documents = [doc for doc in import_archive(small_archive).documents if doc.url == SHARED_URL and not doc.meta["record_key"]]

    assert len(documents) == 1
    content = documents[0].json_content()
    assert content["fact"] == "较长的事实文本"
    assert content["date"] == "2026-08-01"
    assert content["caseno"] == "乙罚〔2026〕1号"
    assert [origin["dataset"] for origin in content["merged_from"]] == ["cases.json", "local_amr.jsonl"]
    assert documents[0].meta["merged_from"] == ["cases.json", "local_amr.jsonl"]


def test_cases_fragment_is_record_key(small_archive: Path) -> None:
    document = next(doc for doc in import_archive(small_archive).documents if doc.meta.get("record_key") == "c2")

    assert document.url == SHARED_URL
    assert document.meta["upstream_url"] == SHARED_URL + "#c2"
    assert document.document_id == stable_id("lawdatify_cases", SHARED_URL, "c2")


@pytest.mark.parametrize(
    ("source", "fetched_date"),
    [
        ("lawdatify_cases", "2026-09-16"),
        ("lawdatify_appviol", "2026-09-18"),
        ("lawdatify_batches", "2026-09-15"),
    ],
)
def test_fetched_at_meta_updated(small_archive: Path, source: str, fetched_date: str) -> None:
    documents = [doc for doc in import_archive(small_archive).documents if doc.source == source]

    assert {doc.fetched_at.date().isoformat() for doc in documents} == {fetched_date}


def test_saved_page_url_from_meta(small_archive: Path) -> None:
    page = next(doc for doc in import_archive(small_archive).documents if doc.source == "pbc")

    assert page.url == "http://www.pbc.gov.cn/zhengwugongkai/1/index.html"
    assert page.content_type == "text/html"


def test_document_ids_stable(small_archive: Path) -> None:
    first = [doc.document_id for doc in import_archive(small_archive).documents]
    second = [doc.document_id for doc in import_archive(small_archive).documents]

    assert first == second
    assert len(set(first)) == len(first)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ({"fact": "长文本内容", "caseno": ""}, {"fact": "短", "caseno": "甲〔2026〕1号"}, {"fact": "短", "caseno": "甲〔2026〕1号"}),
        ({"fact": "短"}, {"fact": "长文本内容", "attach": ["a.pdf"]}, {"fact": "长文本内容", "attach": ["a.pdf"]}),
        ({"date": "2026-09-03", "fact": "a"}, {"date": "", "fact": "abc", "src": "x"}, {"date": "2026-09-03", "fact": "abc", "src": "x"}),
    ],
)
def test_merge_records_richer_wins(first: dict, second: dict, expected: dict) -> None:
    assert merge_records(first, second) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://a.gov.cn/p.html#c1", ("https://a.gov.cn/p.html", "c1")),
        ("https://a.gov.cn/p.html", ("https://a.gov.cn/p.html", "")),
        (" http://a.gov.cn/p/ ", ("http://a.gov.cn/p/", "")),
    ],
)
def test_split_fragment_cases(url: str, expected: tuple[str, str]) -> None:
    assert split_fragment(url) == expected


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<html><head><meta name="Url" content="/a/index.html"></head></html>', "http://www.pbc.gov.cn/a/index.html"),
        ('<html><head><meta name="url" content=" /b/ "></head></html>', "http://www.pbc.gov.cn/b/"),
        ("<html><head><title>x</title></head></html>", None),
        ("", None),
    ],
)
def test_declared_url_cases(html: str, expected: str | None) -> None:
    assert declared_url(html, "http://www.pbc.gov.cn") == expected


# Real public records (read-only archive; never copied into the repository).


@pytest.fixture(scope="module")
def real_import():
    if not ARCHIVE.is_dir():
        pytest.skip(f"archive folder {ARCHIVE} not found; set EINTEL_ARCHIVE to the real public records")
    return import_archive(ARCHIVE)


@pytest.mark.real_data
@pytest.mark.parametrize(
    ("path", "documents"),
    [
        ("lawdatify/cases/cases.json", 699),
        ("lawdatify/cases/local_amr.jsonl", 34),
        ("lawdatify/appviol/docs.json", 655),
        ("lawdatify/appviol/batches.json", 111),
        ("pages/pbc/pbc_penalty_detail.html", 1),
    ],
)
def test_real_documents_per_file(real_import, path: str, documents: int) -> None:
    assert real_import.files[path] == documents


@pytest.mark.real_data
def test_real_cases_one_per_url(real_import) -> None:
    cases = [doc for doc in real_import.documents if doc.source == "lawdatify_cases"]
    upstream_urls = Counter(doc.meta["upstream_url"] for doc in cases)

    assert len(cases) == 733
    assert max(upstream_urls.values()) == 1
    assert sum(1 for doc in cases if "merged_from" in doc.meta) == 200


@pytest.mark.real_data
def test_real_ids_unique(real_import) -> None:
    ids = [doc.document_id for doc in real_import.documents]

    assert len(set(ids)) == len(ids) == 1500


@pytest.mark.real_data
def test_real_pbc_url(real_import) -> None:
    page = next(doc for doc in real_import.documents if doc.source == "pbc")

    assert page.url == (
        "http://www.pbc.gov.cn/zhengwugongkai/4081330/4081344/4081407/4081705/2026092418294123383/index.html"
    )


@pytest.mark.real_data
@pytest.mark.parametrize(
    ("path", "reason_part"),
    [
        ("lawdatify/appviol/apps.json", "metadata only"),
        ("gdpr_cms_enforcementtracker_busera/gdpr_fines_enforcementtracker_CLEANED.csv", "not a Chinese enforcement source"),
    ],
)
def test_real_skipped_files(real_import, path: str, reason_part: str) -> None:
    assert reason_part in dict(real_import.skipped)[path]


@pytest.mark.real_data
def test_real_nothing_else_skipped(real_import) -> None:
    assert len(real_import.skipped) == 2
