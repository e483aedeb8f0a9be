"""Overview (概览): headline counts and fines of the filtered cases, and the newest cases."""

from __future__ import annotations

import streamlit as st

from app_pages import common
from app_pages.i18n import format_cny, format_share, t
from warehouse import queries

lang = common.current_lang()
filters = common.current_filters()

st.title(t("overview_title", lang))
st.caption(t("overview_intro", lang))

metrics = common.query(queries.overview_metrics, filters)

first_row = st.columns(4)
first_row[0].metric(t("metric_cases", lang), f"{metrics['cases']:,}", border=True)
first_row[1].metric(t("metric_cases_with_fine", lang), f"{metrics['cases_with_fine']:,}", border=True)
first_row[2].metric(t("metric_fine_total", lang), format_cny(metrics["fine_total_cny"], lang), border=True)
first_row[3].metric(
    t("metric_fine_median", lang),
    format_cny(metrics["fine_median_cny"], lang),
    help=t("metric_fine_median_help", lang),
    border=True,
)

second_row = st.columns(4)
second_row[0].metric(t("metric_confiscation_total", lang), format_cny(metrics["confiscation_total_cny"], lang), border=True)
second_row[1].metric(t("metric_regulators", lang), f"{metrics['regulators']:,}", border=True)
second_row[2].metric(t("metric_provinces", lang), f"{metrics['provinces']:,}", border=True)
second_row[3].metric(t("metric_without_fine", lang), format_share(metrics["share_without_fine"]), border=True)

if metrics["cases"]:
    st.info(t("no_fine_note", lang, share=format_share(metrics["share_without_fine"])))
if metrics["cases_with_fine"]:
    documents = common.query(queries.fine_documents, filters)
    st.caption(t("fine_documents_note", lang, cases=metrics["cases_with_fine"], documents=documents))

st.subheader(t("newest_cases", lang))
newest = common.query(queries.newest_cases, filters, 10)
common.show_case_table(newest, lang, key="newest_cases")
