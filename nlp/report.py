"""Export a MatchReport as Markdown or as an Excel workbook, in Chinese or English.

The Markdown report starts with a summary table and gives each practice a section:
its level and reasons, the legal bases, outcomes and violation types its cases share,
their fines, and the matched cases with the evidence passage and its matched terms in
bold. The profile findings, the controls in place and a note on the method follow.
The workbook has three sheets: a summary row per practice, the matched cases with
links to their sources, and the profile findings. Texts live in report_strings.yaml
beside this module. Amounts are in yuan.
"""

from __future__ import annotations

import io
import logging
from functools import cache
from pathlib import Path
from typing import Any, Sequence

import yaml
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from etl.normalize.regions import province_label
from etl.taxonomy import label as taxonomy_label
from nlp.formatting import format_cny, format_date, format_similarity, join_items
from nlp.match import LabelCount, MatchedCase, MatchReport, PracticeMatch
from nlp.risk import Reason
from nlp.profile import data_category

logger = logging.getLogger(__name__)

STRINGS_FILE = Path(__file__).with_name("report_strings.yaml")

# Characters with an inline meaning in Markdown ($ starts LaTeX in some viewers); party
# names are masked with asterisks (张**), so they must be escaped.
_MARKDOWN_SPECIALS = "\\`*_{}[]<>#|~$"

# Evidence passages in the Markdown report are cut to this many characters around the first highlight.
EVIDENCE_CHARS = 400

# Legal bases, outcomes and violation types listed per practice in the summary sheet.
SUMMARY_TOP = 5

FINE_FORMAT = "#,##0.00"
EXCEL_COLUMN_WIDTH_MAX = 60


@cache
def _strings() -> dict[str, dict[str, str]]:
    return yaml.safe_load(STRINGS_FILE.read_text(encoding="utf-8"))


def text(key: str, lang: str, **values: Any) -> str:
    """Return the report text of `key` in `lang`, with `values` filled in."""
    entry = _strings()[key]
    template = entry["zh"] if lang == "zh" else entry["en"]
    return template.format(**values) if values else template


def level_label(level: str, lang: str) -> str:
    return text(f"level_{level}", lang)


def escape_markdown(value: str) -> str:
    """Escape Markdown syntax and fold line breaks, so a value stays inline text."""
    escaped = "".join("\\" + char if char in _MARKDOWN_SPECIALS else char for char in value)
    return " ".join(escaped.split())


def _reason_line(reason: Reason, lang: str, markdown: bool = True) -> str:
    """Return a reason's sentence followed by its points: 「…。（+1 分）」 or "…. (+1)"."""
    sentence = escape_markdown(reason.text(lang)) if markdown else reason.text(lang)
    separator = "" if lang == "zh" else " "
    return f"{sentence}{separator}{text('reason_points', lang, points=reason.points)}"


def _label_separator(lang: str) -> str:
    return "：" if lang == "zh" else ": "


def _cell(value: str) -> str:
    return escape_markdown(value) or "—"


def evidence_markdown(case: MatchedCase, limit: int = EVIDENCE_CHARS) -> str:
    """Return the evidence passage with its highlight spans in bold, cut to about `limit` characters.

    The cut window starts a little before the first highlight, so the matched terms stay
    in view in a long passage. A cut end is marked with an ellipsis.
    """
    passage = case.passage_text
    first = case.highlights[0][0] if case.highlights else 0
    begin = max(0, min(first - limit // 4, len(passage) - limit))
    end = min(len(passage), begin + limit)

    parts: list[str] = ["…" if begin > 0 else ""]
    position = begin
    for start, stop in sorted(case.highlights):
        start, stop = max(start, position), min(stop, end)
        if start >= stop:
            continue
        parts.append(escape_markdown(passage[position:start]))
        parts.append(f"**{escape_markdown(passage[start:stop])}**")
        position = stop
    parts.append(escape_markdown(passage[position:end]))
    parts.append("…" if end < len(passage) else "")
    return "".join(parts)


def _labels_of(counts: Sequence[LabelCount]) -> dict[str, LabelCount]:
    return {count.code: count for count in counts}


def _case_outcomes(case: MatchedCase, practice: PracticeMatch, lang: str) -> str:
    labels = _labels_of(practice.outcomes)
    return join_items((labels[code].label(lang) if code in labels else code for code in case.outcome_types), lang)


def _scope(report: MatchReport, lang: str) -> str:
    if not report.restrict_to and report.filters is None:
        return text("scope_all", lang)
    parts = [text(f"scope_{name}", lang) for name in report.restrict_to]
    if not parts:
        parts = [text("scope_filtered", lang)]
    return join_items(parts, lang)


def _provinces(report: MatchReport, lang: str) -> str:
    if not report.profile.provinces:
        return text("provinces_none", lang)
    return join_items((province_label(name, lang) for name in report.profile.provinces), lang)


def _header_facts(report: MatchReport, lang: str) -> list[tuple[str, str]]:
    return [
        (text("industry", lang), taxonomy_label("industries", report.profile.industry, lang)),
        (text("provinces", lang), _provinces(report, lang)),
        (text("generated", lang), f"{report.generated_at:%Y-%m-%d %H:%M} UTC"),
        (text("model", lang), report.model_id),
        (text("cases_per_practice", lang), str(report.k)),
        (text("scope", lang), _scope(report, lang)),
        (text("as_of", lang), format_date(report.as_of, "day", lang)),
    ]


def summary_rows(report: MatchReport, lang: str) -> list[dict[str, Any]]:
    """Return one row per practice: id, statement, level label, points, counts, best similarity, median fine."""
    rows = []
    for practice in report.practices:
        best = practice.best_similarity
        rows.append({
            "id": practice.practice.id,
            "statement": practice.practice.statement,
            "level": level_label(practice.level, lang),
            "points": practice.points,
            "close_cases": len(practice.close_cases),
            "cases": len(practice.cases),
            "best_similarity": None if best is None else round(best, 3),
            "cases_with_fine": practice.fines.cases_with_fine,
            "fine_median_cny": practice.fines.median_cny,
        })
    return rows


# Markdown -------------------------------------------------------------------------------------

def _counts_table(title: str, counts: Sequence[LabelCount], lang: str) -> list[str]:
    lines = [f"**{title}**", ""]
    if not counts:
        return lines + [text("none_cited", lang), ""]
    lines += [f"| {title} | {text('col_count', lang)} |", "|---|---:|"]
    lines += [f"| {_cell(count.label(lang))} | {count.count} |" for count in counts]
    return lines + [""]


def _fines_line(practice: PracticeMatch, lang: str) -> str:
    fines = practice.fines
    if fines.cases_with_fine == 0:
        return text("fines_none", lang, without_fine=fines.cases_without_fine)
    return text(
        "fines_line", lang,
        with_fine=fines.cases_with_fine, without_fine=fines.cases_without_fine,
        median=format_cny(fines.median_cny, lang), p90=format_cny(fines.p90_cny, lang), max=format_cny(fines.max_cny, lang),
    )


def _link_target(url: str) -> str:
    # A bare ")" or space would end the Markdown link target early.
    return url.replace(")", "%29").replace(" ", "%20")


def _case_markdown(case: MatchedCase, practice: PracticeMatch, lang: str) -> list[str]:
    facts = [
        escape_markdown(case.party),
        escape_markdown(case.regulator or "—"),
        format_date(case.event_date, case.event_date_precision, lang),
    ]
    if case.decision_number:
        facts.append(escape_markdown(case.decision_number))
    outcomes = _case_outcomes(case, practice, lang)
    if outcomes:
        facts.append(escape_markdown(outcomes))
    if case.fine_cny is not None:
        facts.append(format_cny(case.fine_cny, lang))
    similarity = text("case_line_similarity", lang, similarity=format_similarity(case.similarity))
    if case.close:
        similarity += f" · {text('close_mark', lang)}"
    facts.append(similarity)

    title = f"[{escape_markdown(case.title)}]({_link_target(case.source_url)})"
    lines = [f"{case.rank}. {title}  ", f"   {' · '.join(facts)}", ""]
    lines.append(f"   > {evidence_markdown(case)}")
    return lines + [""]


def _practice_markdown(practice: PracticeMatch, lang: str) -> list[str]:
    item = practice.practice
    lines = [f"## {text('practice_heading', lang, id=escape_markdown(item.id or ''))}", "", f"> {escape_markdown(item.statement)}", ""]
    if item.data_categories:
        categories = join_items((data_category(code).label(lang) for code in item.data_categories), lang)
        lines += [f"{text('data_categories', lang)}{_label_separator(lang)}{categories}  "]
    if item.tags:
        lines += [f"{text('tags', lang)}{_label_separator(lang)}{escape_markdown(join_items(item.tags, lang))}  "]

    lines += ["", text("level_line", lang, level=level_label(practice.level, lang), points=practice.points), ""]
    for reason in practice.reasons:
        lines.append(f"- {_reason_line(reason, lang)}")
    lines.append("")

    lines += _counts_table(text("shared_legal_bases", lang), practice.legal_bases, lang)
    lines += _counts_table(text("shared_outcomes", lang), practice.outcomes, lang)
    lines += _counts_table(text("shared_violations", lang), practice.violation_types, lang)
    lines += [f"**{text('fines_heading', lang)}**", "", _fines_line(practice, lang), ""]

    lines += [f"**{text('matched_cases', lang)}**", ""]
    if not practice.cases:
        return lines + [text("no_cases", lang), ""]
    for case in practice.cases:
        lines += _case_markdown(case, practice, lang)
    return lines


def _summary_markdown(report: MatchReport, lang: str) -> list[str]:
    header = [
        text("col_practice_id", lang), text("col_statement", lang), text("col_level", lang), text("col_points", lang),
        text("col_close_cases", lang), text("col_best_similarity", lang), text("col_cases_with_fine", lang),
        text("col_fine_median", lang),
    ]
    lines = [f"## {text('summary', lang)}", "", "| " + " | ".join(header) + " |", "|---|---|---|---:|---:|---:|---:|---:|"]
    for row in summary_rows(report, lang):
        best = "—" if row["best_similarity"] is None else format_similarity(row["best_similarity"])
        median = "—" if row["fine_median_cny"] is None else f"{row['fine_median_cny']:,.2f}"
        lines.append(
            f"| {_cell(row['id'])} | {_cell(row['statement'])} | {row['level']} | {row['points']} | "
            f"{row['close_cases']} / {row['cases']} | {best} | {row['cases_with_fine']} | {median} |"
        )
    return lines + [""]


def _findings_markdown(report: MatchReport, lang: str) -> list[str]:
    lines = [f"## {text('findings', lang)}", ""]
    lines += [
        f"| {text('col_kind', lang)} | {text('col_subject', lang)} | {text('col_level', lang)} | {text('col_reasons', lang)} |",
        "|---|---|---|---|",
    ]
    for finding in report.findings:
        reasons = "<br>".join(escape_markdown(reason.text(lang)) for reason in finding.reasons)
        lines.append(
            f"| {text(f'finding_{finding.kind}', lang)} | {_cell(finding.subject(lang))} | "
            f"{level_label(finding.level, lang)} | {reasons} |"
        )
    return lines + [""]


def _controls_markdown(report: MatchReport, lang: str) -> list[str]:
    lines = [f"## {text('controls', lang)}", ""]
    if not report.profile.controls_in_place:
        return lines + [text("controls_none", lang), ""]
    lines += [f"- {escape_markdown(control)}" for control in report.profile.controls_in_place]
    return lines + ["", text("controls_note", lang), ""]


def markdown_report(report: MatchReport, lang: str = "zh") -> str:
    """Render the report as Markdown in `lang` ("zh" or "en")."""
    counts = report.level_counts()
    lines = [f"# {text('title', lang, company=escape_markdown(report.profile.company))}", ""]
    lines += [f"- {label}{_label_separator(lang)}{escape_markdown(value)}" for label, value in _header_facts(report, lang)]
    lines += [f"- {text('levels_line', lang, **counts)}", ""]

    lines += _summary_markdown(report, lang)
    for practice in report.practices:
        lines += _practice_markdown(practice, lang)
    lines += _findings_markdown(report, lang)
    lines += _controls_markdown(report, lang)

    rules = report.rules
    lines += [
        f"## {text('method', lang)}",
        "",
        text("method_text", lang, k=report.k, threshold=format_similarity(rules.close_similarity),
             high=rules.levels["high"], medium=rules.levels["medium"]),
        "",
    ]
    return "\n".join(lines)


def write_markdown(report: MatchReport, path: Path | str, lang: str = "zh") -> Path:
    """Write the Markdown report to `path` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(markdown_report(report, lang), encoding="utf-8")
    logger.info("markdown report written: path=%s lang=%s", path, lang)
    return path


# Excel ----------------------------------------------------------------------------------------

def _top(counts: Sequence[LabelCount], lang: str) -> str:
    return "\n".join(f"{count.label(lang)} ({count.count})" for count in counts[:SUMMARY_TOP])


def _write_table(sheet: Any, first_row: int, header: list[str], rows: list[list[Any]]) -> None:
    for column, title in enumerate(header, start=1):
        cell = sheet.cell(row=first_row, column=column, value=title)
        cell.font = Font(bold=True)
    for offset, values in enumerate(rows, start=1):
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(row=first_row + offset, column=column, value=value)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.freeze_panes = sheet.cell(row=first_row + 1, column=1)


def _fit_columns(sheet: Any) -> None:
    for column_cells in sheet.columns:
        longest = max((len(str(cell.value)) for cell in column_cells if cell.value is not None), default=8)
        sheet.column_dimensions[get_column_letter(column_cells[0].column)].width = min(EXCEL_COLUMN_WIDTH_MAX, longest + 2)


def _summary_sheet(sheet: Any, report: MatchReport, lang: str) -> None:
    sheet.cell(row=1, column=1, value=text("title", lang, company=report.profile.company)).font = Font(bold=True, size=14)
    facts = _header_facts(report, lang)
    for offset, (label, value) in enumerate(facts, start=2):
        sheet.cell(row=offset, column=1, value=label).font = Font(bold=True)
        sheet.cell(row=offset, column=2, value=value)

    header = [
        text("col_practice_id", lang), text("col_statement", lang), text("col_level", lang), text("col_points", lang),
        text("col_reasons", lang), text("col_close_cases", lang), text("col_cases", lang), text("col_best_similarity", lang),
        text("col_legal_bases", lang), text("col_outcomes", lang), text("col_violations", lang),
        text("col_cases_with_fine", lang), text("col_cases_without_fine", lang), text("col_fine_median", lang),
        text("col_fine_p90", lang), text("col_fine_max", lang),
    ]
    rows = []
    for practice in report.practices:
        best = practice.best_similarity
        rows.append([
            practice.practice.id, practice.practice.statement, level_label(practice.level, lang), practice.points,
            "\n".join(reason.text(lang) for reason in practice.reasons),
            len(practice.close_cases), len(practice.cases), None if best is None else round(best, 3),
            _top(practice.legal_bases, lang), _top(practice.outcomes, lang), _top(practice.violation_types, lang),
            practice.fines.cases_with_fine, practice.fines.cases_without_fine,
            practice.fines.median_cny, practice.fines.p90_cny, practice.fines.max_cny,
        ])
    first_row = len(facts) + 3
    _write_table(sheet, first_row, header, rows)
    for row in sheet.iter_rows(min_row=first_row + 1, min_col=14, max_col=16):
        for cell in row:
            cell.number_format = FINE_FORMAT


def _cases_sheet(sheet: Any, report: MatchReport, lang: str) -> None:
    header = [
        text("col_practice_id", lang), text("col_rank", lang), text("col_similarity", lang), text("col_close", lang),
        text("col_score", lang), text("col_party", lang), text("col_title", lang), text("col_regulator", lang),
        text("col_province", lang), text("col_date", lang), text("col_decision_number", lang), text("col_outcomes", lang),
        text("col_violations", lang), text("col_legal_bases", lang), text("col_fine", lang), text("col_evidence", lang),
        text("col_source", lang), text("col_case_id", lang),
    ]
    rows = []
    for practice in report.practices:
        violations = _labels_of(practice.violation_types)
        for case in practice.cases:
            rows.append([
                practice.practice.id, case.rank, round(case.similarity, 3), text("value_yes" if case.close else "value_no", lang),
                round(case.score, 5), case.party, case.title, case.regulator,
                province_label(case.province, lang) if case.province else None,
                format_date(case.event_date, case.event_date_precision, lang), case.decision_number,
                _case_outcomes(case, practice, lang),
                join_items((violations[code].label(lang) if code in violations else code for code in case.violation_types), lang),
                join_items((basis.label(lang) for basis in case.legal_bases), lang),
                case.fine_cny, case.passage_text, case.source_url, case.case_id,
            ])
    _write_table(sheet, 1, header, rows)

    title_column, fine_column, source_column = 7, 15, 17
    for row_index, values in enumerate(rows, start=2):
        url = values[source_column - 1]
        for column in (title_column, source_column):
            cell = sheet.cell(row=row_index, column=column)
            cell.hyperlink = url
            cell.style = "Hyperlink"
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.cell(row=row_index, column=fine_column).number_format = FINE_FORMAT


def _findings_sheet(sheet: Any, report: MatchReport, lang: str) -> None:
    header = [text("col_kind", lang), text("col_subject", lang), text("col_level", lang), text("col_reasons", lang)]
    rows = [
        [text(f"finding_{finding.kind}", lang), finding.subject(lang), level_label(finding.level, lang),
         "\n".join(reason.text(lang) for reason in finding.reasons)]
        for finding in report.findings
    ]
    _write_table(sheet, 1, header, rows)


def excel_workbook(report: MatchReport, lang: str = "zh") -> Workbook:
    """Build the workbook: summary, matched cases (with links) and profile findings sheets."""
    workbook = Workbook()
    summary = workbook.active
    summary.title = text("sheet_summary", lang)
    _summary_sheet(summary, report, lang)
    _cases_sheet(workbook.create_sheet(text("sheet_cases", lang)), report, lang)
    _findings_sheet(workbook.create_sheet(text("sheet_findings", lang)), report, lang)
    for sheet in workbook.worksheets:
        _fit_columns(sheet)
    return workbook


def excel_bytes(report: MatchReport, lang: str = "zh") -> bytes:
    """Return the workbook as .xlsx bytes, for a download button."""
    buffer = io.BytesIO()
    excel_workbook(report, lang).save(buffer)
    return buffer.getvalue()


def write_excel(report: MatchReport, path: Path | str, lang: str = "zh") -> Path:
    """Write the workbook to `path` (.xlsx) and return the path."""
    path = Path(path)
    excel_workbook(report, lang).save(path)
    logger.info("excel report written: path=%s lang=%s", path, lang)
    return path


def text_summary(report: MatchReport, lang: str = "zh") -> str:
    """Return a short plain-text summary for the terminal: one line per practice, then the findings."""
    lines = [text("title", lang, company=report.profile.company), text("levels_line", lang, **report.level_counts())]
    for practice in report.practices:
        best = practice.best_similarity
        best_text = "—" if best is None else format_similarity(best)
        lines.append(
            f"[{level_label(practice.level, lang)}] {practice.practice.id} "
            f"{text('col_close_cases', lang)} {len(practice.close_cases)}/{len(practice.cases)} · "
            f"{text('col_best_similarity', lang)} {best_text} · {practice.practice.statement}"
        )
        for reason in practice.reasons:
            lines.append(f"    - {_reason_line(reason, lang, markdown=False)}")
        if practice.cases:
            top = practice.cases[0]
            lines.append(f"    > {top.party} · {top.regulator or '—'} · "
                         f"{format_date(top.event_date, top.event_date_precision, lang)} · {top.source_url}")
    lines.append(text("findings", lang))
    for finding in report.findings:
        lines.append(f"[{level_label(finding.level, lang)}] {text(f'finding_{finding.kind}', lang)}: {finding.subject(lang)}")
    return "\n".join(lines)
