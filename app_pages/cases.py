"""Cases (案例): the filtered case table with a text search, and one case in detail.

A case opens from the picker below the table, from the table's detail link, or
directly by URL with `?case=<case_id>`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import streamlit as st

from app_pages import common
from app_pages.i18n import family_label, format_cny, format_date, province_label, regulator_label, t
from warehouse import queries

# The table shows this many rows; the search narrows it further.
TABLE_LIMIT = 500

# Sibling cases of one document listed open; more start folded.
SIBLINGS_UNFOLDED = 6

# Characters with an inline meaning in Streamlit Markdown ($ starts LaTeX). List markers
# only count at the start of a line, which `escape_markdown` handles separately.
_MARKDOWN_SPECIALS = "\\`*_{}[]<>#|~$"


def escape_markdown(text: str) -> str:
    """Escape Markdown syntax, since party names are masked with asterisks (张**)."""
    escaped = "".join("\\" + char if char in _MARKDOWN_SPECIALS else char for char in text)
    lines = ["\\" + line if line[:1] in ("-", "+") else line for line in escaped.split("\n")]
    return "\n".join(lines)


def _open_case(case_id: str) -> None:
    st.query_params["case"] = case_id
    st.session_state["case_pick"] = case_id


def _on_pick() -> None:
    picked = st.session_state.get("case_pick")
    if picked:
        st.query_params["case"] = picked
    elif "case" in st.query_params:
        del st.query_params["case"]


def _close_case() -> None:
    """Close the open case when the search changes, so its detail and any not-found note go."""
    st.session_state["case_pick"] = None
    if "case" in st.query_params:
        del st.query_params["case"]


def _pick_label(row: dict[str, Any], lang: str) -> str:
    date_text = format_date(row.get("event_date"), row.get("event_date_precision"), lang)
    party = common.party_label(row.get("party_name"), row.get("app_name"), lang)
    reference = common.first_present(row.get("decision_number"), row.get("title"))
    return f"{date_text} · {party} · {reference}"


def case_picker(frame: Any, lang: str) -> str | None:
    """Draw the case picker, kept in step with the `case` query parameter; return the open case_id.

    Nothing opens until the reader picks a case or the URL names one. An unknown
    case_id in the URL shows a warning and opens nothing.
    """
    requested = st.query_params.get("case")
    choices = {row["case_id"]: _pick_label(row, lang) for row in frame.to_dict("records")}

    # A case opened by URL may lie outside the current filters; it still gets a choice.
    if requested and requested not in choices:
        detail = common.query(queries.case_detail, requested)
        if detail is not None:
            choices = {requested: _pick_label(detail, lang), **choices}
        else:
            st.warning(t("case_not_found", lang, case_id=requested))
            requested = None

    if st.session_state.get("case_pick") != requested:
        st.session_state["case_pick"] = requested

    return st.selectbox(
        t("case_picker", lang),
        options=list(choices),
        index=None,
        format_func=choices.__getitem__,
        placeholder=t("case_picker_placeholder", lang),
        key="case_pick",
        on_change=_on_pick,
    )


def _date_line(value: Any, precision: str | None, lang: str) -> str:
    text = format_date(value, precision, lang)
    if value is not None and precision in ("month", "year"):
        text += t(f"precision_{precision}", lang)
    return text


def _facts(case: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    violations = common.label_formatter("violation_types", lang)
    outcomes = common.label_formatter("outcome_types", lang)
    industries = common.label_formatter("industries", lang)
    separator = "、" if lang == "zh" else ", "

    return [
        (t("col_party", lang), common.first_present(case["party_name"], default=t("party_not_named", lang))),
        (t("field_app", lang), case["app_name"] or "—"),
        (t("col_regulator", lang), regulator_label(case["regulator"], lang)),
        (t("filter_regulator_families", lang), family_label(case["regulator_family"], lang)),
        (t("col_province", lang), province_label(case["province"], lang)),
        (t("col_decision_number", lang), case["decision_number"] or t("not_stated", lang)),
        (t("field_decision_date", lang), _date_line(case["decision_date"], case["decision_date_precision"], lang)),
        (t("field_publish_date", lang), _date_line(case["publish_date"], case["publish_date_precision"], lang)),
        (t("dimension_industry", lang), industries(case["industry"])),
        (t("col_violations", lang), separator.join(violations(code) for code in case["violation_types"]) or "—"),
        (t("col_outcomes", lang), separator.join(outcomes(code) for code in case["outcome_types"]) or "—"),
    ]


def _document_section(case: dict[str, Any], lang: str) -> None:
    document = case["document"]
    st.subheader(t("document_title", lang))
    # A bare ")" or space would end the Markdown link target early.
    target = document["url"].replace(")", "%29").replace(" ", "%20")
    lines = [
        f"**{t('field_source', lang)}**: {escape_markdown(document['source'])}",
        f"**{t('field_url', lang)}**: [{escape_markdown(document['url'])}]({target})",
    ]
    if document["fetched_at"] is not None:
        lines.append(f"**{t('field_fetched_at', lang)}**: {document['fetched_at']:%Y-%m-%d %H:%M} UTC")
    st.markdown("  \n".join(lines))

    siblings = case["siblings"]
    if not siblings:
        st.caption(t("no_siblings", lang))
        return

    # A notice can name dozens of apps, so long lists start folded and fill three columns.
    with st.expander(t("siblings_title", lang, count=len(siblings)), expanded=len(siblings) <= SIBLINGS_UNFOLDED):
        columns = st.columns(3)
        for index, sibling in enumerate(siblings):
            columns[index % 3].button(
                _sibling_label(sibling, lang),
                key=f"sibling_{sibling['case_id']}",
                on_click=_open_case,
                args=(sibling["case_id"],),
                width="stretch",
            )


def _sibling_label(sibling: dict[str, Any], lang: str) -> str:
    parts = [sibling["app_name"], sibling["party_name"], sibling["decision_number"]]
    if sibling["fine_cny"] is not None:
        parts.append(format_cny(sibling["fine_cny"], lang))
    return " · ".join(str(part) for part in parts if part) or sibling["case_id"]


def _warnings_section(case: dict[str, Any], lang: str) -> None:
    warnings = case["warnings"]
    st.subheader(t("warnings_title", lang, count=len(warnings)))
    if not warnings:
        st.caption(t("no_warnings", lang))
        return

    lines = [
        f"- **{escape_markdown(w['field'])}** ({escape_markdown(w['kind'])}): "
        f"`{w['raw'].replace('`', '')}` {escape_markdown(w['message'] or '')}"
        for w in warnings
    ]
    st.warning(t("warnings_intro", lang) + "\n\n" + "\n".join(lines))


def show_case(case: dict[str, Any], lang: str) -> None:
    """Draw one case: facts, amounts, legal bases, summary and text, document and parse warnings."""
    st.divider()
    st.header(case["title"] or case["party_name"] or case["case_id"])

    facts, amounts = st.columns([3, 1])
    with facts:
        st.markdown("  \n".join(f"**{label}**: {escape_markdown(value)}" for label, value in _facts(case, lang)))
    with amounts:
        st.metric(t("col_fine", lang), format_cny(case["fine_cny"], lang, compact=False))
        st.metric(t("field_confiscation", lang), format_cny(case["confiscation_cny"], lang, compact=False))
        if case["fine_cny"] is not None and len(case["violation_types"]) > 1:
            st.caption(t("fine_not_split", lang))

    st.subheader(t("legal_bases_title", lang))
    if case["legal_bases"]:
        st.markdown("\n".join(f"- {escape_markdown(basis['label'])}" for basis in case["legal_bases"]))
    else:
        st.caption(t("no_legal_bases", lang))

    if case["summary"]:
        st.subheader(t("summary_title", lang))
        st.markdown(escape_markdown(case["summary"]))
    if case["text"]:
        with st.expander(t("text_title", lang)):
            st.markdown(escape_markdown(case["text"]).replace("\n", "\n\n"))

    _document_section(case, lang)
    _warnings_section(case, lang)
    st.caption(t("case_id_line", lang, case_id=case["case_id"]))


lang = common.current_lang()
st.title(t("cases_title", lang))

text = st.text_input(
    t("search_label", lang), placeholder=t("search_placeholder", lang), key="cases_text", on_change=_close_case
)
filters = replace(common.current_filters(), text=text)

total = common.query(queries.overview_metrics, filters)["cases"]
frame = common.query(queries.search_cases, filters, TABLE_LIMIT, 0)
st.caption(t("table_count", lang, shown=f"{len(frame):,}", total=f"{total:,}"))
common.show_case_table(frame, lang, key="case_table", height=420)

picked = case_picker(frame, lang)
if picked:
    detail = common.query(queries.case_detail, picked)
    if detail is None:
        st.warning(t("case_not_found", lang, case_id=picked))
    else:
        show_case(detail, lang)
