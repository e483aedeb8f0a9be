"""Tests of the built-in sample data set and its source parser (etl/sources/sample.py)."""

from __future__ import annotations

import json
import logging
import re
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from eintel.settings import get_settings
from etl.models import CaseDraft, RawDocument
from etl.sources.sample import parse_document, read_sample

SAMPLE_FILE = get_settings().sample_path / "cases.jsonl"
ARCHIVE = get_settings().archive_path

SAMPLE_DOCUMENTS, SAMPLE_SKIPPED = read_sample(SAMPLE_FILE)
SAMPLE_DRAFTS: list[CaseDraft] = [
    draft for document in SAMPLE_DOCUMENTS for draft in parse_document(document)
]
DRAFT_IDS = [draft.record_key for draft in SAMPLE_DRAFTS]

# Regulator families of the real records, recognised by substrings of the regulator name.
REGULATOR_FAMILIES = {
    "cac": ("网信",),
    "miit": ("通信管理局", "工业和信息化部"),
    "pbc": ("人民银行",),
    "samr": ("市场监督管理", "市场监管"),
    "public_security": ("公安",),
}

# A summary in our own words shares no run of this many characters with a record's text.
COPY_RUN_LENGTH = 20

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

# Bare facts of one real PBC row (银罚决字〔2026〕106号) plus text written for this test.
HAND_WRITTEN_LINE = {
    "id": "T001",
    "source_url": "https://www.pbc.gov.cn/zhengwugongkai/4081330/4081344/4081407/4081705/2026092418294123383/index.html",
    "title": "银罚决字〔2026〕104-116号",
    "regulator": "中国人民银行",
    "decision_number": "银罚决字〔2026〕106号",
    "party": "陈某香（广发银行股份有限公司信用卡中心）",
    "party_type": "individual",
    "decision_date": "2026-09-08",
    "publish_date": "2026-09-24",
    "violations": ["违反信用信息采集、提供、查询及相关管理规定"],
    "legal_bases": [],
    "penalty": "罚款7万元",
    "fines": ["7万元"],
    "province": "",
    "summary": "测试用摘要。",
    "summary_en": "Test summary.",
    "origin": "pages/pbc/pbc_penalty_detail.html",
    "app": "",
}


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def hand_written_draft(**changes: object) -> list[CaseDraft]:
    record = {**HAND_WRITTEN_LINE, **changes}
    document = RawDocument.build(
        source="sample",
        url=str(record["source_url"]),
        content=json.dumps(record, ensure_ascii=False),
        content_type="application/json",
        fetched_at=datetime(2026, 12, 4, tzinfo=timezone.utc),
        record_key=str(record["id"]),
    )
    return parse_document(document)


def test_sample_file_no_skipped_lines() -> None:
    assert SAMPLE_SKIPPED == 0


def test_sample_case_count() -> None:
    assert len(SAMPLE_DRAFTS) >= 40


def test_sample_one_draft_per_line() -> None:
    assert len(SAMPLE_DRAFTS) == len(SAMPLE_DOCUMENTS)


def test_sample_ids_unique() -> None:
    assert len(set(DRAFT_IDS)) == len(DRAFT_IDS)


def test_sample_document_ids_stable() -> None:
    documents, _ = read_sample(SAMPLE_FILE)

    assert [doc.document_id for doc in documents] == [doc.document_id for doc in SAMPLE_DOCUMENTS]
    assert [doc.content_hash for doc in documents] == [doc.content_hash for doc in SAMPLE_DOCUMENTS]


def test_sample_fetched_at_fixed() -> None:
    fetch_times = {doc.fetched_at for doc in SAMPLE_DOCUMENTS}

    assert fetch_times == {datetime(2026, 12, 4, tzinfo=timezone.utc)}


@pytest.mark.parametrize("family", REGULATOR_FAMILIES)
def test_sample_regulator_family_present(family: str) -> None:
    substrings = REGULATOR_FAMILIES[family]
    matches = [
        draft.record_key
        for draft in SAMPLE_DRAFTS
        if any(part in draft.regulator_raw for part in substrings)
    ]

    assert matches, f"no sample case from the {family} family ({substrings})"


@pytest.mark.parametrize("draft", SAMPLE_DRAFTS, ids=DRAFT_IDS)
def test_sample_case_required_fields(draft: CaseDraft) -> None:
    assert draft.source_url.startswith("http")
    assert draft.regulator_raw
    assert draft.publish_date_raw
    assert draft.summary
    assert draft.extra["summary_en"]
    assert draft.extra["origin"]


@pytest.mark.parametrize("draft", SAMPLE_DRAFTS, ids=DRAFT_IDS)
def test_sample_case_dates_iso(draft: CaseDraft) -> None:
    assert ISO_DATE.fullmatch(draft.publish_date_raw)
    assert date.fromisoformat(draft.publish_date_raw)

    if draft.decision_date_raw:
        decided = date.fromisoformat(draft.decision_date_raw)
        assert decided <= date.fromisoformat(draft.publish_date_raw)


@pytest.mark.parametrize("draft", SAMPLE_DRAFTS, ids=DRAFT_IDS)
def test_sample_case_amounts_match_penalty(draft: CaseDraft) -> None:
    if "罚款" in draft.penalty_raw:
        assert draft.amounts_raw, "the penalty names a fine but no amount is listed"

    for amount in draft.amounts_raw:
        assert amount in draft.penalty_raw


@pytest.mark.parametrize("draft", SAMPLE_DRAFTS, ids=DRAFT_IDS)
def test_sample_case_text_joins_summary_and_penalty(draft: CaseDraft) -> None:
    assert draft.text.startswith(draft.summary)
    assert draft.text.endswith(draft.penalty_raw)


@pytest.mark.parametrize("draft", SAMPLE_DRAFTS, ids=DRAFT_IDS)
def test_sample_case_persons_masked(draft: CaseDraft) -> None:
    if draft.party_type_hint == "individual":
        assert "某" in draft.party_raw, "a natural person must stay masked as published"


def test_sample_mostly_without_amounts() -> None:
    with_amounts = [draft for draft in SAMPLE_DRAFTS if draft.amounts_raw]

    assert 0 < len(with_amounts) < len(SAMPLE_DRAFTS) / 2


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("record_key", "T001"),
        ("source", "sample"),
        ("source_url", HAND_WRITTEN_LINE["source_url"]),
        ("title", "银罚决字〔2026〕104-116号"),
        ("party_raw", "陈某香（广发银行股份有限公司信用卡中心）"),
        ("party_type_hint", "individual"),
        ("decision_number_raw", "银罚决字〔2026〕106号"),
        ("regulator_raw", "中国人民银行"),
        ("decision_date_raw", "2026-09-08"),
        ("publish_date_raw", "2026-09-24"),
        ("violation_raw", ["违反信用信息采集、提供、查询及相关管理规定"]),
        ("legal_basis_raw", []),
        ("penalty_raw", "罚款7万元"),
        ("amounts_raw", ["7万元"]),
        ("province_hint", ""),
        ("summary", "测试用摘要。"),
        ("text", "测试用摘要。\n罚款7万元"),
        (
            "extra",
            {"app": "", "summary_en": "Test summary.", "origin": "pages/pbc/pbc_penalty_detail.html"},
        ),
    ],
)
def test_parse_document_field(field: str, expected: object) -> None:
    (draft,) = hand_written_draft()

    assert getattr(draft, field) == expected


@pytest.mark.parametrize(
    ("changes", "field", "expected"),
    [
        ({"party_type": "person"}, "party_type_hint", None),
        ({"party_type": ""}, "party_type_hint", None),
        ({"fines": "7万元"}, "amounts_raw", ["7万元"]),
        ({"violations": None}, "violation_raw", []),
        ({"decision_number": 106}, "decision_number_raw", "106"),
        ({"penalty": ""}, "text", "测试用摘要。"),
    ],
)
def test_parse_document_odd_value(changes: dict[str, object], field: str, expected: object) -> None:
    (draft,) = hand_written_draft(**changes)

    assert getattr(draft, field) == expected


def test_parse_document_unknown_field_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="etl.sources.sample"):
        (draft,) = hand_written_draft(status="final")

    assert draft.record_key == "T001"
    assert "status" in caplog.text


@pytest.mark.parametrize("content", ["not json", "[1, 2]", '"S001"'])
def test_parse_document_bad_content(content: str, caplog: pytest.LogCaptureFixture) -> None:
    document = RawDocument.build(
        source="sample",
        url="https://example.invalid/sample",
        content=content,
        content_type="application/json",
        fetched_at=datetime(2026, 12, 4, tzinfo=timezone.utc),
    )

    with caplog.at_level(logging.WARNING, logger="etl.sources.sample"):
        drafts = parse_document(document)

    assert drafts == []
    assert document.document_id in caplog.text


def test_read_sample_skips_malformed_lines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = json.dumps(HAND_WRITTEN_LINE, ensure_ascii=False)
    second = json.dumps({**HAND_WRITTEN_LINE, "id": "T002"}, ensure_ascii=False)
    no_url = json.dumps({**HAND_WRITTEN_LINE, "id": "T003", "source_url": ""}, ensure_ascii=False)
    sample = write_lines(
        tmp_path / "cases.jsonl",
        [good, '{"id": "T009", "source_url": ', "", no_url, "[1, 2]", good, second],
    )

    with caplog.at_level(logging.WARNING, logger="etl.sources.sample"):
        documents, skipped = read_sample(sample)

    assert [doc.meta["line"] for doc in documents] == [1, 7]
    assert skipped == 4
    assert f"{sample} line 2: invalid JSON" in caplog.text
    assert f"{sample} line 4: missing field 'source_url'" in caplog.text
    assert f"{sample} line 5: expected a JSON object" in caplog.text
    assert f"{sample} line 6: duplicate id 'T001'" in caplog.text


def test_read_sample_skips_invalid_utf8(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = json.dumps(HAND_WRITTEN_LINE, ensure_ascii=False).encode("utf-8")
    sample = tmp_path / "cases.jsonl"
    sample.write_bytes(b"\xef\xbb\xbf" + good + b"\n" + b'{"id": "\xff"}\n')

    with caplog.at_level(logging.WARNING, logger="etl.sources.sample"):
        documents, skipped = read_sample(sample)

    assert [doc.meta["line"] for doc in documents] == [1]
    assert skipped == 1
    assert f"{sample} line 2: invalid UTF-8" in caplog.text


def test_read_sample_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_sample(tmp_path / "absent.jsonl")


def record_texts(archive: Path) -> str:
    """Join the `fact` text of every case record in the real archive."""
    cases_file = archive / "lawdatify" / "cases" / "cases.json"
    local_file = archive / "lawdatify" / "cases" / "local_amr.jsonl"

    records = json.loads(cases_file.read_text(encoding="utf-8"))["cases"]
    with local_file.open(encoding="utf-8") as lines:
        records += [json.loads(line) for line in lines if line.strip()]

    return "\n".join(record.get("fact", "") for record in records)


@pytest.mark.real_data
def test_sample_summaries_own_words() -> None:
    if not (ARCHIVE / "lawdatify" / "cases").is_dir():
        pytest.skip(f"real archive not found at {ARCHIVE}; set EINTEL_ARCHIVE to check summaries")

    facts = record_texts(ARCHIVE)
    copied: dict[str, list[str]] = {}
    for draft in SAMPLE_DRAFTS:
        runs = {
            draft.summary[start : start + COPY_RUN_LENGTH]
            for start in range(len(draft.summary) - COPY_RUN_LENGTH + 1)
        }
        found = sorted(run for run in runs if run in facts)
        if found:
            copied[draft.record_key] = found

    assert copied == {}
