"""Formatting behind the data-health page (app_pages/health.py): status names and
colours, times in China Standard Time and the documents-by-status table.

Plain functions, so tests call them without running the page.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from app_pages.common import EMPTY_CELL
from app_pages.i18n import is_missing, load_strings, t

# crawl_runs stores UTC; operators of Chinese regulator crawls read China Standard Time.
DISPLAY_TIMEZONE = ZoneInfo("Asia/Shanghai")

# Badge colour of each crawl_runs status; an unknown status shows grey.
STATUS_COLOURS = {
    "ok": "green",
    "shape_changed": "orange",
    "failed": "red",
    "interrupted": "gray",
    "running": "blue",
}
# parse_status values the ETL load writes (pending until a load reads the document), in table order.
PARSE_STATUSES = ("parsed", "empty", "superseded", "failed", "pending")


def status_label(status: str, lang: str) -> str:
    """Name a crawl_runs status in `lang`; an unknown status shows as itself."""
    key = f"status_{status}"
    return t(key, lang) if key in load_strings()["ui"] else status


def format_time(value: Any, missing: str = EMPTY_CELL) -> str:
    """Format a naive UTC timestamp as China Standard Time, minutes precision."""
    if is_missing(value):
        return missing
    moment = pd.Timestamp(value).tz_localize("UTC").tz_convert(DISPLAY_TIMEZONE)
    return moment.strftime("%Y-%m-%d %H:%M")


def document_table(statuses: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Pivot the per-status counts into one row per source, a column per status and a total."""
    table = statuses.pivot_table(index="source", columns="parse_status", values="documents",
                                 aggfunc="sum", fill_value=0)
    # The usual statuses come first in a fixed order; any other status follows.
    order = [status for status in PARSE_STATUSES if status in table.columns]
    order += sorted(set(table.columns) - set(order))
    table = table[order].astype(int)
    table.columns.name = None
    table[t("col_total", lang)] = table.sum(axis=1)

    names = {status: t(f"parse_status_{status}", lang) if status in PARSE_STATUSES else status for status in order}
    table = table.rename(columns=names).reset_index()
    return table.rename(columns={"source": t("col_crawl_source", lang)})
