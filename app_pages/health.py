"""Data health (数据健康): the crawl runs of each source and the raw documents.

Per crawled source the page shows the last run, the last success, the counts, the
failed runs and the last run's messages. Then come the latest runs and the raw
documents by parse status. It reads crawl_runs (through v_source_health) and
raw_documents. Without crawl runs, as after `eintel import` alone, the page explains how
to crawl and still shows the documents.
"""

from __future__ import annotations

from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from app_pages import common
from app_pages.crawl_health import STATUS_COLOURS, document_table, format_time, status_label
from app_pages.i18n import t
from warehouse import queries

RECENT_RUNS = 50


def show_summary(health: pd.DataFrame, lang: str) -> None:
    problems = int((health["last_status"] != "ok").sum())
    columns = st.columns(4)
    columns[0].metric(t("health_metric_sources", lang), f"{len(health):,}", border=True)
    columns[1].metric(t("health_metric_ok", lang), f"{len(health) - problems:,}", border=True)
    columns[2].metric(t("health_metric_problems", lang), f"{problems:,}", border=True)
    columns[3].metric(t("health_metric_runs", lang), f"{int(health['runs'].sum()):,}", border=True)


def show_source(row: Any, lang: str) -> None:
    """Draw one source: its status badge, last success and counts, and the last run's messages."""
    with st.container(border=True, key=f"health_source_{row.source}"):
        st.subheader(row.source, anchor=False)
        badge = f":{STATUS_COLOURS.get(row.last_status, 'gray')}-badge[{status_label(row.last_status, lang)}]"
        times = t("health_times", lang, success=format_time(row.last_success_at, t("health_never", lang)),
                  last_run=format_time(row.last_run_at))
        st.markdown(f"{badge} {times}")

        columns = st.columns(4)
        columns[0].metric(t("health_pages", lang), f"{row.last_pages:,}")
        columns[1].metric(t("health_new_updated", lang), f"{row.last_new_items:,} / {row.last_updated_items:,}")
        columns[2].metric(t("health_errors", lang), f"{row.last_errors:,}")
        columns[3].metric(
            t("health_failed_runs", lang), t("health_failed_runs_value", lang, failed=row.failed_runs, runs=row.runs)
        )

        if row.last_message:
            st.caption(t("health_last_messages", lang))
            st.code(row.last_message, language=None, wrap_lines=True)


def show_recent_runs(lang: str) -> None:
    runs = common.query(queries.recent_crawl_runs, RECENT_RUNS)
    table = runs.assign(
        started=[format_time(value) for value in runs["started_at"]],
        status_label=[status_label(status, lang) for status in runs["status"]],
    )
    st.dataframe(
        table[["started", "source", "status_label", "duration_seconds", "pages", "new_items", "updated_items",
               "errors", "message"]],
        key="health_runs",
        hide_index=True,
        placeholder=common.EMPTY_CELL,
        column_config={
            "started": st.column_config.TextColumn(t("col_started_at", lang)),
            "source": st.column_config.TextColumn(t("col_crawl_source", lang)),
            "status_label": st.column_config.TextColumn(t("col_status", lang)),
            "duration_seconds": st.column_config.NumberColumn(t("col_duration", lang), format="%.0f"),
            "pages": st.column_config.NumberColumn(t("col_pages", lang)),
            "new_items": st.column_config.NumberColumn(t("col_new", lang)),
            "updated_items": st.column_config.NumberColumn(t("col_updated", lang)),
            "errors": st.column_config.NumberColumn(t("col_errors", lang)),
            "message": st.column_config.TextColumn(t("col_message", lang), width="large"),
        },
    )


def show_documents(lang: str) -> None:
    st.subheader(t("health_documents", lang), anchor=False)
    statuses = common.query(queries.raw_document_statuses)
    if statuses.empty:
        st.info(t("health_no_documents", lang))
        return
    st.caption(t("health_documents_intro", lang))
    st.dataframe(document_table(statuses, lang), key="health_documents", hide_index=True)


lang = common.current_lang()
st.title(t("health_title", lang))
st.caption(t("health_intro", lang))

try:
    health = common.query(queries.source_health)
except duckdb.CatalogException:
    # A warehouse built before crawl_runs existed lacks the table. Any writable
    # connection, such as the one of `eintel load`, adds it.
    st.error(t("health_schema_old", lang))
    st.stop()

if health.empty:
    st.info(t("health_no_crawls", lang))
else:
    show_summary(health, lang)
    # Sources whose last run was not ok come first, because those need attention.
    ordered = health.assign(ok=health["last_status"] == "ok").sort_values(["ok", "source"])
    for source_row in ordered.itertuples(index=False):
        show_source(source_row, lang)
    st.subheader(t("health_recent_runs", lang), anchor=False)
    show_recent_runs(lang)

show_documents(lang)
