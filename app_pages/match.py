"""Risk match (风险匹配): match a company's risk profile to similar enforcement cases.

The reader uploads a profile (YAML) or edits the one in the text area, which starts as
examples/profile.example.yaml; validation problems show beside the editor. For each
practice the page shows the risk level with its reasons, the matched cases with the
evidence passage and its matched terms marked, the legal bases and outcomes the cases
share, and their fines. Markdown and Excel reports download from the page.

The profile stays on this machine: matching reads the warehouse and a local encoder and
makes no network call, and the page writes no file. The sidebar filters apply only when
the reader ticks the box for them.
"""

from __future__ import annotations

import html
from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from app_pages import common
from app_pages.i18n import format_cny, format_date, province_label, regulator_label, t
from eintel.settings import get_settings
from nlp.encoders import EncoderError
from nlp.match import MatchedCase, MatchReport, NoEmbeddingsError, PracticeMatch, match_profile
from nlp.profile import ProfileError, RiskProfile, data_category, example_profile_text, parse_profile
from nlp.report import excel_bytes, markdown_report
from nlp.report import text as report_text
from nlp.search import SearchError
from warehouse.queries import Filters

EDITOR_KEY = "match_profile_text"
REQUEST_KEY = "match_request"
UPLOAD_ERROR_KEY = "match_upload_error"

CASE_COUNTS = (3, 5, 10, 20)
DEFAULT_CASE_COUNT = 10
RESTRICTIONS = ("provinces", "industry")

BADGE_COLOURS = {"high": "red", "medium": "orange", "low": "green"}
BADGE_ICONS = {"high": ":material/error:", "medium": ":material/warning:", "low": ":material/check_circle:"}

# Characters with an inline meaning in Streamlit Markdown; "<" and ">" are HTML-escaped before.
_MARKDOWN_SPECIALS = "\\`*_{}[]#|~$"


def _escape(value: str) -> str:
    """Escape HTML, then Markdown syntax, so party names masked as 张** stay literal."""
    escaped = html.escape(value, quote=False)
    escaped = "".join("\\" + char if char in _MARKDOWN_SPECIALS else char for char in escaped)
    return escaped.replace("\n", "<br>")


def evidence_markup(case: MatchedCase) -> str:
    """Return the evidence passage as Markdown with each highlighted span inside <mark>."""
    parts: list[str] = []
    position = 0
    for start, end in sorted(case.highlights):
        if start < position:
            continue
        parts.append(_escape(case.passage_text[position:start]))
        parts.append(f"<mark>{_escape(case.passage_text[start:end])}</mark>")
        position = end
    parts.append(_escape(case.passage_text[position:]))
    return "".join(parts)


def _load_upload() -> None:
    """Copy an uploaded profile into the editor; a file that is not UTF-8 leaves the editor as it was."""
    uploaded = st.session_state.get("match_upload")
    st.session_state[UPLOAD_ERROR_KEY] = None
    if uploaded is None:
        return
    try:
        st.session_state[EDITOR_KEY] = uploaded.getvalue().decode("utf-8")
    except UnicodeDecodeError:
        st.session_state[UPLOAD_ERROR_KEY] = uploaded.name


def _restore_example() -> None:
    st.session_state[EDITOR_KEY] = example_profile_text()
    st.session_state[UPLOAD_ERROR_KEY] = None


def _validate(text: str) -> tuple[RiskProfile | None, ProfileError | None]:
    try:
        return parse_profile(text, source="profile"), None
    except ProfileError as error:
        return None, error


@st.cache_resource(show_spinner=False)
def _encoder(model: str) -> Any:
    """Load the embedding model once per server process and model name, from local files only."""
    from nlp.encoders import load_encoder

    return load_encoder(model)


@st.cache_data(ttl=common.CACHE_TTL_SECONDS, show_spinner=False, max_entries=20)
def _match(path: str, text: str, k: int, restrict_to: tuple[str, ...], filters: Filters | None, model: str) -> MatchReport:
    """Match one profile text; cached per profile and options, kept in memory only."""
    profile = parse_profile(text, source="profile")
    cursor = common.warehouse_cursor(path)
    try:
        return match_profile(cursor, profile, _encoder(model), k=k, restrict_to=restrict_to, filters=filters)
    finally:
        cursor.close()


def level_badge(level: str, lang: str) -> None:
    st.badge(t(f"match_level_{level}", lang), color=BADGE_COLOURS[level], icon=BADGE_ICONS[level])


def _counts_frame(counts: Any, lang: str, title_key: str) -> pd.DataFrame:
    return pd.DataFrame(
        {t(title_key, lang): [count.label(lang) for count in counts], t("match_col_cases", lang): [count.count for count in counts]}
    )


def _show_counts(practice: PracticeMatch, lang: str) -> None:
    columns = st.columns(3)
    for column, (title_key, counts) in zip(columns, (
        ("match_legal_bases", practice.legal_bases),
        ("match_outcomes", practice.outcomes),
        ("match_violations", practice.violation_types),
    )):
        with column:
            st.markdown(f"**{t(title_key, lang)}**")
            if counts:
                st.dataframe(_counts_frame(counts, lang, title_key), hide_index=True, width="stretch")
            else:
                st.caption(t("match_none_cited", lang))


def _show_fines(practice: PracticeMatch, lang: str) -> None:
    fines = practice.fines
    st.markdown(f"**{t('match_fines', lang)}**")
    columns = st.columns(5)
    columns[0].metric(t("match_fine_with", lang), fines.cases_with_fine)
    columns[1].metric(t("match_fine_without", lang), fines.cases_without_fine)
    columns[2].metric(t("match_fine_median", lang), format_cny(fines.median_cny, lang))
    columns[3].metric(t("match_fine_p90", lang), format_cny(fines.p90_cny, lang))
    columns[4].metric(t("match_fine_max", lang), format_cny(fines.max_cny, lang))
    st.caption(t("match_fines_note", lang))


def _show_case(case: MatchedCase, practice: PracticeMatch, lang: str) -> None:
    outcome_labels = {count.code: count.label(lang) for count in practice.outcomes}
    separator = "、" if lang == "zh" else ", "
    with st.container(border=True):
        similarity = t("match_similarity", lang, value=f"{case.similarity:.2f}")
        if case.close:
            similarity += f" · {t('match_close', lang)}"
        st.page_link("app_pages/cases.py", label=f"{case.rank}. {case.title}", query_params={"case": case.case_id},
                     icon=":material/gavel:", help=t("match_open_case", lang))
        facts = [
            common.party_label(case.party_name, case.app_name, lang),
            regulator_label(case.regulator, lang),
            province_label(case.province, lang),
            format_date(case.event_date, case.event_date_precision, lang),
            separator.join(outcome_labels.get(code, code) for code in case.outcome_types) or common.EMPTY_CELL,
            format_cny(case.fine_cny, lang),
            similarity,
        ]
        st.caption(" · ".join(_escape(str(fact)) for fact in facts))
        st.markdown(evidence_markup(case), unsafe_allow_html=True)
        target = case.source_url.replace(")", "%29").replace(" ", "%20")
        st.markdown(f"[{t('open_source', lang)}]({target})")


def show_practice(practice: PracticeMatch, lang: str) -> None:
    """Draw one practice: level badge, reasons, shared legal bases and outcomes, fines and cases."""
    item = practice.practice
    st.subheader(f"{item.id} · {item.statement}")
    level_badge(practice.level, lang)
    categories = [data_category(code).label(lang) for code in item.data_categories]
    if categories:
        st.caption(t("match_categories", lang, categories=("、" if lang == "zh" else ", ").join(categories)))

    st.markdown(f"**{t('match_reasons', lang, points=practice.points)}**")
    st.markdown("\n".join(
        f"- {_escape(reason.text(lang))}{t('match_reason_points', lang, points=reason.points)}" for reason in practice.reasons
    ))

    _show_counts(practice, lang)
    _show_fines(practice, lang)

    with st.expander(t("match_cases", lang, count=len(practice.cases)), expanded=practice.level != "low"):
        if not practice.cases:
            st.caption(t("match_no_cases", lang))
        for case in practice.cases:
            _show_case(case, practice, lang)


def show_summary(report: MatchReport, lang: str) -> None:
    counts = report.level_counts()
    columns = st.columns(3)
    for column, level in zip(columns, ("high", "medium", "low")):
        column.metric(t(f"match_metric_{level}", lang), counts[level], border=True)

    rows = [
        {
            t("match_col_practice", lang): f"{practice.practice.id} · {practice.practice.statement}",
            t("match_col_level", lang): t(f"match_level_{practice.level}", lang),
            t("match_col_points", lang): practice.points,
            t("match_col_close", lang): len(practice.close_cases),
            t("match_col_best", lang): None if practice.best_similarity is None else round(practice.best_similarity, 2),
            t("match_col_fine_median", lang): practice.fines.median_cny,
        }
        for practice in report.practices
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", placeholder=common.EMPTY_CELL)


def show_findings(report: MatchReport, lang: str) -> None:
    st.header(t("match_findings", lang))
    for finding in report.findings:
        with st.container(border=True):
            kind = t(f"match_finding_{finding.kind}", lang)
            st.markdown(f"**{kind}：{_escape(finding.subject(lang))}**" if lang == "zh"
                        else f"**{kind}: {_escape(finding.subject(lang))}**")
            level_badge(finding.level, lang)
            st.markdown("\n".join(f"- {_escape(reason.text(lang))}" for reason in finding.reasons))

    st.header(t("match_controls", lang))
    if report.profile.controls_in_place:
        st.markdown("\n".join(f"- {_escape(control)}" for control in report.profile.controls_in_place))
        st.caption(t("match_controls_note", lang))
    else:
        st.caption(t("match_controls_none", lang))


def show_downloads(report: MatchReport, lang: str) -> None:
    company = report.profile.company
    left, right = st.columns(2)
    left.download_button(
        t("match_download_markdown", lang), data=markdown_report(report, lang).encode("utf-8"),
        file_name=f"{company}-risk-match-{lang}.md", mime="text/markdown", icon=":material/description:",
        key="match_download_markdown", width="stretch",
    )
    right.download_button(
        t("match_download_excel", lang), data=excel_bytes(report, lang),
        file_name=f"{company}-risk-match-{lang}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", icon=":material/table:",
        key="match_download_excel", width="stretch",
    )


def _show_issues(error: ProfileError, lang: str) -> None:
    lines = [f"- `{issue.path}`：{_escape(issue.message)}" if issue.path and lang == "zh"
             else f"- `{issue.path}`: {_escape(issue.message)}" if issue.path
             else f"- {_escape(issue.message)}"
             for issue in error.issues]
    st.error(t("match_invalid", lang, count=len(error.issues)) + "\n\n" + "\n".join(lines))


lang = common.current_lang()
st.title(t("match_title", lang))
st.caption(t("match_intro", lang))

st.session_state.setdefault(EDITOR_KEY, example_profile_text())
editor_column, check_column = st.columns([3, 2])

with editor_column:
    st.file_uploader(t("match_upload", lang), type=["yaml", "yml"], key="match_upload", on_change=_load_upload)
    text = st.text_area(t("match_editor", lang), key=EDITOR_KEY, height=460, help=t("match_editor_help", lang))
    st.button(t("match_restore", lang), on_click=_restore_example, icon=":material/restart_alt:")

with check_column:
    if st.session_state.get(UPLOAD_ERROR_KEY):
        st.error(t("match_upload_invalid", lang, name=st.session_state[UPLOAD_ERROR_KEY]))
    profile, problem = _validate(text)
    if problem is not None:
        _show_issues(problem, lang)
    else:
        st.success(t("match_valid", lang, company=profile.company, practices=len(profile.practices)))

    k = st.selectbox(t("match_k", lang), options=CASE_COUNTS, index=CASE_COUNTS.index(DEFAULT_CASE_COUNT), key="match_k")
    restrict = st.pills(t("match_restrict", lang), options=list(RESTRICTIONS), selection_mode="multi",
                        format_func=lambda value: t(f"match_restrict_{value}", lang), key="match_restrict",
                        help=t("match_restrict_help", lang))
    use_sidebar = st.checkbox(t("match_use_sidebar", lang), key="match_use_sidebar")
    if st.button(t("match_run", lang), type="primary", disabled=profile is None, icon=":material/manage_search:"):
        filters = replace(common.current_filters(), text="") if use_sidebar else None
        st.session_state[REQUEST_KEY] = (text, int(k), tuple(restrict or ()), filters)

request = st.session_state.get(REQUEST_KEY)
if request is None:
    st.info(t("match_press_run", lang))
    st.stop()
if request[0] != text:
    st.warning(t("match_stale", lang))

model = get_settings().embedding_model
try:
    with st.spinner(t("match_running", lang)):
        report = _match(str(common.warehouse_path()), *request, model)
except NoEmbeddingsError:
    st.warning(t("match_no_embeddings", lang, model=model))
    st.stop()
except (SearchError, EncoderError) as error:
    st.error(str(error))
    st.stop()

st.divider()
st.header(t("match_results", lang, company=report.profile.company))
st.caption(t("match_results_caption", lang, model=report.model_id, k=report.k))
show_downloads(report, lang)
show_summary(report, lang)
for practice in report.practices:
    st.divider()
    show_practice(practice, lang)
st.divider()
show_findings(report, lang)
with st.expander(t("match_method", lang)):
    rules = report.rules
    st.markdown(report_text("method_text", lang, k=report.k, threshold=f"{rules.close_similarity:.2f}",
                            high=rules.levels["high"], medium=rules.levels["medium"]))
