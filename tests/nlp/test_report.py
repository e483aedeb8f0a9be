"""Markdown and Excel exports of a match report, read back after writing."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Iterator

import duckdb
import pytest
from openpyxl import load_workbook

from nlp.match import MatchReport, build_matched_case, read_cases, read_labels, summarize_practice
from nlp.profile import EXAMPLE_FILE, load_profile
from nlp.risk import default_rules, profile_findings
from nlp.report import (
    EVIDENCE_CHARS,
    escape_markdown,
    evidence_markdown,
    excel_bytes,
    markdown_report,
    text_summary,
    write_excel,
    write_markdown,
)
from nlp.search import SearchHit
from tests.nlp.match_cases import CASE_FIELDS, build_match_warehouse, case_id
from warehouse.db import connect

# Fixture case keys and similarities matched to each practice of the example profile, best first.
MATCHES: dict[str, list[tuple[str, float]]] = {
    "P1": [("device_ids", 0.81), ("sdk_notice", 0.7), ("permissions", 0.62)],
    "P2": [("permissions", 0.45), ("location", 0.42)],
    "P3": [("face", 0.77)],
    "P4": [("sdk_decision", 0.8), ("sdk_notice", 0.74), ("marketing", 0.3)],
    "P5": [("deletion", 0.66)],
    "P6": [],
}


def _hit(key: str, rank: int) -> SearchHit:
    text = CASE_FIELDS[key][2]["text"]
    spans = [(match.start(), match.end()) for match in re.finditer("IMEI|设备标识符|人脸", text)]
    return SearchHit(
        case_id=case_id(key), score=2 / (60 + rank), passage_id=f"passage-{key}", passage_kind="violations",
        field="text", start=0, end=len(text), passage_text=text, highlights=spans, keyword_rank=None, dense_rank=rank,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MatchReport]:
    path = tmp_path_factory.mktemp("report") / "eintel.duckdb"
    build_match_warehouse(path)
    con: duckdb.DuckDBPyConnection = connect(path, read_only=True)
    # Pinned thresholds: the expected levels below follow from them, whatever risk_rules.yaml sets.
    rules = replace(default_rules(), close_similarity=0.5, keyword_close_rank=10, keyword_close_similarity=0.3,
                    many_close_cases=3, large_fine_cny=1_000_000.0, recent_years=3, levels={"high": 4, "medium": 2})
    labels = read_labels(con)
    profile = load_profile(EXAMPLE_FILE)

    practices = []
    for practice in profile.practices:
        scored = MATCHES[practice.id]
        hits = [_hit(key, rank) for rank, (key, _) in enumerate(scored, start=1)]
        rows = read_cases(con, [hit.case_id for hit in hits])
        cases = [build_matched_case(rank, hit, rows[hit.case_id], similarity, rules)
                 for rank, (hit, (_, similarity)) in enumerate(zip(hits, scored), start=1)]
        practices.append(summarize_practice(practice, profile, cases, rules, labels, date(2026, 10, 1)))

    yield MatchReport(
        profile=profile, practices=tuple(practices), findings=tuple(profile_findings(profile, rules)),
        model_id="usem3:test", k=10, restrict_to=(), filters=None, as_of=date(2026, 10, 1),
        generated_at=datetime(2026, 10, 1, 8, 0, tzinfo=timezone.utc), rules=rules,
    )
    con.close()


def _section(markdown: str, heading: str) -> str:
    """Return the text under a level-2 heading, up to the next one."""
    start = markdown.index(f"## {heading}\n")
    end = markdown.find("\n## ", start + 1)
    return markdown[start:] if end < 0 else markdown[start:end]


# Markdown --------------------------------------------------------------------------------------

def test_markdown_zh_headings(report: MatchReport) -> None:
    markdown = markdown_report(report, "zh")

    assert markdown.startswith("# 风险匹配报告：示例出行科技有限公司\n")
    assert re.findall(r"^## 做法 (P\d)$", markdown, flags=re.MULTILINE) == ["P1", "P2", "P3", "P4", "P5", "P6"]
    assert "## 出境传输与数据类别" in markdown
    assert "## 方法说明" in markdown


def test_markdown_zh_header_facts(report: MatchReport) -> None:
    markdown = markdown_report(report, "zh")

    assert "- 行业：互联网平台与应用" in markdown
    assert "- 省份：广东省、上海市" in markdown
    assert "- 风险等级：高 3 项 · 中 1 项 · 低 2 项" in markdown


def test_markdown_practice_section(report: MatchReport) -> None:
    section = _section(markdown_report(report, "zh"), "做法 P4")

    assert "风险等级：**高**（5 分）" in section
    assert "| 《个人信息保护法》第66条 | 1 |" in section
    assert "有罚款的案例 2 个，无罚款的案例 1 个；中位数 61.5万元，90 分位数 108.3万元，最高 120万元。" in section
    assert len(re.findall(r"^\d+\. \[", section, flags=re.MULTILINE)) == 3


def test_markdown_cases_link_and_escape(report: MatchReport) -> None:
    section = _section(markdown_report(report, "zh"), "做法 P4")

    assert "1. [行政处罚决定书](https://www.gdwx.gov.cn/test/art_0007.html)" in section
    assert "张\\*\\*" in section
    assert "张**" not in section.replace("张\\*\\*", "")


def test_markdown_highlights_bold(report: MatchReport) -> None:
    section = _section(markdown_report(report, "zh"), "做法 P1")

    assert "**IMEI**" in section
    assert "**设备标识符**" in section


def test_markdown_reasons_listed(report: MatchReport) -> None:
    section = _section(markdown_report(report, "zh"), "做法 P1")
    reasons = [line for line in section.splitlines() if line.startswith("- ")]

    assert reasons[0].startswith("- 3 个案例与该做法相近")
    assert reasons[0].endswith("。（+1 分）")
    assert len(reasons) == len(report.practices[0].reasons)


def test_markdown_no_match_section(report: MatchReport) -> None:
    section = _section(markdown_report(report, "zh"), "做法 P6")

    assert "没有匹配的案例。" in section
    assert "风险等级：**低**（0 分）" in section


def test_markdown_findings_and_controls(report: MatchReport) -> None:
    markdown = markdown_report(report, "zh")
    findings = _section(markdown, "出境传输与数据类别")
    controls = _section(markdown, "已有的控制措施")

    assert "| 出境传输 | 新加坡（区域总部） | 高 |" in findings
    assert "第三十八条" in findings
    assert "- 人脸照片加密存储" in controls


def test_markdown_en(report: MatchReport) -> None:
    markdown = markdown_report(report, "en")

    assert markdown.startswith("# Risk match report: 示例出行科技有限公司\n")
    assert "- Provinces: Guangdong, Shanghai" in markdown
    assert "Risk level: **High** (5 points)" in _section(markdown, "Practice P4")
    assert "Risk level: **Medium** (2 points)" in _section(markdown, "Practice P2")
    assert "| Personal Information Protection Law, Art. 66 | 1 |" in markdown
    assert "median CNY 615,000, 90th percentile CNY 1,083,000, maximum CNY 1,200,000" in markdown
    assert "linear method" in markdown
    assert "新加坡（区域总部）" in markdown


def test_markdown_file_round_trip(report: MatchReport, tmp_path: Path) -> None:
    path = write_markdown(report, tmp_path / "report.md", "en")

    assert path.read_text(encoding="utf-8") == markdown_report(report, "en")


def test_escape_markdown_folds_lines() -> None:
    assert escape_markdown("a|b\n*c*") == "a\\|b \\*c\\*"


def test_evidence_cut_around_highlight(report: MatchReport) -> None:
    case = report.practices[0].cases[0]
    long_case = type(case)(**{**case.__dict__, "passage_text": "前" * 1000 + "IMEI" + "后" * 1000,
                              "highlights": ((1000, 1004),)})

    evidence = evidence_markdown(long_case)

    assert evidence.startswith("…")
    assert evidence.endswith("…")
    assert "**IMEI**" in evidence
    assert len(evidence) <= EVIDENCE_CHARS + 6


# Excel -----------------------------------------------------------------------------------------

def test_excel_zh_sheets(report: MatchReport, tmp_path: Path) -> None:
    workbook = load_workbook(write_excel(report, tmp_path / "report.xlsx", "zh"))

    assert workbook.sheetnames == ["概览", "匹配案例", "出境与数据类别"]


def test_excel_summary_rows(report: MatchReport, tmp_path: Path) -> None:
    sheet = load_workbook(write_excel(report, tmp_path / "report.xlsx", "zh"))["概览"]
    rows = list(sheet.iter_rows(values_only=True))
    header_index = next(index for index, row in enumerate(rows) if row[0] == "编号")
    practices = [row for row in rows[header_index + 1:] if row[0]]

    assert rows[0][0] == "风险匹配报告：示例出行科技有限公司"
    assert [row[0] for row in practices] == ["P1", "P2", "P3", "P4", "P5", "P6"]
    assert [row[2] for row in practices] == ["高", "中", "高", "高", "低", "低"]
    assert practices[3][13] == 615000
    assert practices[3][15] == 1200000


def test_excel_cases_links(report: MatchReport, tmp_path: Path) -> None:
    sheet = load_workbook(write_excel(report, tmp_path / "report.xlsx", "zh"))["匹配案例"]
    header = [cell.value for cell in sheet[1]]
    rows = list(sheet.iter_rows(min_row=2))
    source = header.index("原文链接")
    title = header.index("标题")
    fine = header.index("罚款（元）")

    assert len(rows) == sum(len(practice.cases) for practice in report.practices)
    assert rows[0][source].hyperlink.target == rows[0][source].value
    assert rows[0][title].hyperlink.target == "https://www.miit.gov.cn/test/art_0001.html"
    fines = {row[header.index("当事人")].value: row[fine].value for row in rows}
    assert fines["快帆出行服务有限公司"] == 1200000
    assert fines["星途出行科技有限公司"] is None


def test_excel_findings(report: MatchReport, tmp_path: Path) -> None:
    sheet = load_workbook(write_excel(report, tmp_path / "report.xlsx", "zh"))["出境与数据类别"]
    rows = list(sheet.iter_rows(min_row=2, values_only=True))

    assert len(rows) == len(report.findings)
    assert rows[0][:3] == ("出境传输", "新加坡（区域总部）", "高")


def test_excel_en_bytes(report: MatchReport, tmp_path: Path) -> None:
    path = tmp_path / "report-en.xlsx"
    path.write_bytes(excel_bytes(report, "en"))
    workbook = load_workbook(path)
    header = [cell.value for cell in workbook["Matched cases"][1]]

    assert workbook.sheetnames == ["Summary", "Matched cases", "Transfers and categories"]
    assert header[:4] == ["ID", "Rank", "Similarity", "Close"]
    assert workbook["Summary"]["A1"].value == "Risk match report: 示例出行科技有限公司"


# Terminal summary -----------------------------------------------------------------------------

def test_text_summary_lines(report: MatchReport) -> None:
    summary = text_summary(report, "en").splitlines()

    assert summary[1] == "Risk levels: 3 high · 1 medium · 2 low"
    assert summary[2].startswith("[High] P1 Close cases 3/3 · Best similarity 0.81")
    assert any(line.startswith("[High] Cross-border transfer: 新加坡（区域总部）") for line in summary)
