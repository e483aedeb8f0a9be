"""Enforcement Intel dashboard (执法情报台): run with `streamlit run app.py`.

The entry file draws the sidebar (language switch and shared filters), then runs
the chosen page from app_pages/: Overview (概览), Trends (趋势), Cases (案例), Search
(检索), Risk match (风险匹配) and Data health (数据健康).
Reads the warehouse named by EINTEL_DB and the default language from EINTEL_LANG.
"""

from __future__ import annotations

import streamlit as st

from app_pages import common
from app_pages.i18n import t

st.set_page_config(page_title="执法情报台 Enforcement Intel", page_icon="⚖️", layout="wide")

# The title goes above the language switch but needs the language, so its slot is reserved first.
heading = st.sidebar.container()
lang = common.language_switch()
heading.title(t("app_title", lang))
heading.caption(t("app_tagline", lang))

pages = [
    st.Page("app_pages/overview.py", title=t("nav_overview", lang), icon=":material/dashboard:", url_path="overview", default=True),
    st.Page("app_pages/trends.py", title=t("nav_trends", lang), icon=":material/trending_up:", url_path="trends"),
    st.Page("app_pages/cases.py", title=t("nav_cases", lang), icon=":material/gavel:", url_path="cases"),
    st.Page("app_pages/search.py", title=t("nav_search", lang), icon=":material/search:", url_path="search"),
    st.Page("app_pages/match.py", title=t("nav_match", lang), icon=":material/fact_check:", url_path="match"),
    st.Page("app_pages/health.py", title=t("nav_health", lang), icon=":material/monitor_heart:", url_path="health"),
]
page = st.navigation(pages, position="top")

# Crawl runs reach the warehouse before any case does, so the health page also opens
# on a warehouse without cases and can show why a crawl brought none.
common.stop_without_warehouse(lang, allow_empty=page.url_path == "health")

st.session_state["filters"] = common.sidebar_filters(lang)
page.run()
