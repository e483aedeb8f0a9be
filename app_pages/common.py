"""Shared parts of the dashboard: the warehouse connection, cached queries,
the language switch, the sidebar filters and the code-to-label maps.

Reads EINTEL_DB (warehouse file) and EINTEL_LANG (default language) through
`eintel.settings`.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Callable, TypeVar

import duckdb
import streamlit as st

from app_pages.i18n import (
    LANGUAGE_NAMES,
    LANGUAGES,
    family_label,
    format_date,
    is_missing,
    province_label,
    regulator_label,
    t,
)
from eintel.settings import get_settings
from warehouse import queries
from warehouse.db import LOCK_RETRY_SECONDS, WarehouseError, WarehouseLockedError
from warehouse.queries import Filters

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Query results are cached this long. A load that renames a new file over the warehouse
# shows up at once, because the file's identity is part of the cache key.
CACHE_TTL_SECONDS = 600
# Seconds a page waits for a process that writes the warehouse file directly to release it.
READ_LOCK_WAIT_SECONDS = 30.0

ALL_DOMAINS = "all"
DEFAULT_DOMAIN = "data_protection"

# Sidebar multiselects: filter kind (a key of `filter_options`) -> session-state key.
MULTISELECT_FILTERS: dict[str, str] = {
    kind: f"filter_{kind}"
    for kind in ("regulator_families", "regulators", "provinces", "industries", "violation_types", "outcome_types")
}

# Widgets whose options show a label in the chosen language; their values are codes.
LABELLED_WIDGET_KEYS: tuple[str, ...] = (
    "filter_domain",
    *MULTISELECT_FILTERS.values(),
    "trends_dimension",
    "case_pick",
    "search_mode",
    "match_restrict",
)

_QUERIES: dict[str, Callable[..., Any]] = {
    fn.__name__: fn
    for fn in (
        queries.filter_options,
        queries.overview_metrics,
        queries.fine_documents,
        queries.newest_cases,
        queries.monthly_counts,
        queries.yearly_counts,
        queries.year_only_count,
        queries.undated_count,
        queries.fine_distribution,
        queries.top_fines,
        queries.breakdown,
        queries.search_cases,
        queries.case_detail,
        queries.labels,
        queries.source_health,
        queries.recent_crawl_runs,
        queries.raw_document_statuses,
    )
}


def warehouse_path() -> Path:
    """Return the warehouse file: EINTEL_DB read now, else the settings' default.

    EINTEL_DB is read on every call, not through the once-per-process settings,
    so tests can point one process at several files.
    """
    settings = get_settings()
    override = os.environ.get("EINTEL_DB")
    return settings.resolve(Path(override)) if override else settings.db_path


# Name of the attached warehouse in the dashboard's DuckDB instances.
_ATTACHED_AS = "warehouse"


@dataclass
class _Reader:
    """A read-only DuckDB instance of one warehouse file, and the file's identity when it opened."""

    identity: tuple[int, int, int]
    connection: duckdb.DuckDBPyConnection


# Warehouse path -> its open reader, shared by every session of the server process.
_readers: dict[str, _Reader] = {}
_readers_lock = threading.Lock()


def _file_identity(path: str) -> tuple[int, int, int]:
    """Return (st_dev, st_ino, st_mtime_ns): a file renamed over `path` changes the inode."""
    stat = os.stat(path)
    return stat.st_dev, stat.st_ino, stat.st_mtime_ns


def _missing_file_error(path: str) -> WarehouseError:
    return WarehouseError(
        f"warehouse file not found: {path}. Build it with `eintel demo` or "
        "`eintel import` then `eintel load`, or set EINTEL_DB to an existing file."
    )


def _attach(path: str) -> duckdb.DuckDBPyConnection:
    """Open a read-only DuckDB instance of its own with the warehouse attached and in use.

    `duckdb.connect(path)` would return the instance another connection of this process
    already has open for `path`, which keeps reading the old file after a writer renamed
    a new one over it. An in-memory instance that attaches the file always opens the file
    now at `path`. While a process writes the file directly (not through a renamed copy),
    attaching waits up to READ_LOCK_WAIT_SECONDS, then raises WarehouseLockedError.
    """
    if not os.path.exists(path):
        raise _missing_file_error(path)

    deadline = time.monotonic() + READ_LOCK_WAIT_SECONDS
    while True:
        con = duckdb.connect(":memory:")
        try:
            con.execute(f"ATTACH ? AS {_ATTACHED_AS} (READ_ONLY)", [path])
            con.execute(f"USE {_ATTACHED_AS}")
            return con
        except duckdb.IOException as error:
            con.close()
            if "lock" not in str(error).lower():
                raise WarehouseError(
                    f"cannot open the warehouse file {path}: {error}. Point EINTEL_DB at a DuckDB file "
                    "built by `eintel demo`."
                ) from error
            if time.monotonic() >= deadline:
                raise WarehouseLockedError(
                    f"the warehouse file {path} is in use by another process that writes it directly: {error}. "
                    "Reload the page when it finishes."
                ) from error
            logger.info("Warehouse %s is locked by a writer; retrying", path)
            time.sleep(LOCK_RETRY_SECONDS)
        except duckdb.Error:
            con.close()
            raise


def _open(path: str) -> duckdb.DuckDBPyConnection:
    """Return a new cursor on this process's read-only connection to `path`; the caller closes it.

    The connection stays open between queries, so DuckDB keeps the file's blocks in its
    buffer cache. It is reopened when the file at `path` changes (another inode, as after
    the `os.replace` of a load, or another mtime). Queries already running keep reading
    the old file through their cursors, and its instance closes with the last of them.
    Each call returns its own cursor, because a DuckDB connection must not be used by
    two threads at once and Streamlit runs each session in its own thread.
    NOTE: a process that opens the file for writing directly (not through
    `warehouse.db.open_for_update`) waits for the dashboard's shared lock for as long as
    the dashboard runs.
    """
    try:
        identity = _file_identity(path)
    except FileNotFoundError:
        with _readers_lock:
            _readers.pop(path, None)
        raise _missing_file_error(path) from None

    with _readers_lock:
        reader = _readers.get(path)
        if reader is None or reader.identity != identity:
            if reader is not None:
                logger.info("Warehouse %s was replaced; reopening it", path)
            # The identity is read before attaching, so a file replaced meanwhile opens again on the next query.
            reader = _Reader(identity, _attach(path))
            _readers[path] = reader
        cursor = reader.connection.cursor()
    cursor.execute(f"USE {_ATTACHED_AS}")
    return cursor


def run_query(path: str, name: str, args: tuple[Any, ...]) -> Any:
    """Run the query `name` of `_QUERIES` on the warehouse at `path`, without the cache."""
    cursor = _open(path)
    try:
        return _QUERIES[name](cursor, *args)
    finally:
        cursor.close()


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _cached_query(path: str, identity: tuple[int, int, int] | None, name: str, args: tuple[Any, ...]) -> Any:
    """Run a query, cached per file version: `identity` is part of the key, so a replaced file misses the cache."""
    return run_query(path, name, args)


def warehouse_cursor(path: str) -> duckdb.DuckDBPyConnection:
    """Return a new read-only cursor on the warehouse at `path`; the caller closes it."""
    return _open(path)


def query(fn: Callable[..., T], *args: Any) -> T:
    """Run a function of `warehouse.queries` on the warehouse, cached per arguments."""
    if fn.__name__ not in _QUERIES:
        raise ValueError(f"{fn.__name__} is not a warehouse query; add it to _QUERIES")
    path = str(warehouse_path())
    try:
        identity = _file_identity(path)
    except FileNotFoundError:
        identity = None  # run_query raises WarehouseError for the missing file
    return _cached_query(path, identity, fn.__name__, args)


def warehouse_problem() -> str | None:
    """Return why the warehouse cannot be shown ("missing", "busy" or "empty"), or None when it has cases."""
    path = warehouse_path()
    try:
        cursor = _open(str(path))
    except WarehouseLockedError as error:
        logger.warning("warehouse is locked by a writer: path=%s error=%s", path, error)
        return "busy"
    except (WarehouseError, duckdb.Error) as error:
        logger.warning("warehouse cannot be opened: path=%s error=%s", path, error)
        return "missing"

    try:
        count = cursor.execute("SELECT count(*) FROM cases").fetchone()[0]
    except duckdb.CatalogException:
        count = 0
    finally:
        cursor.close()
    return None if count else "empty"


def stop_without_warehouse(lang: str, allow_empty: bool = False) -> None:
    """Explain how to build the warehouse and stop the page when it is missing, or empty unless `allow_empty`."""
    problem = warehouse_problem()
    if problem is None or (problem == "empty" and allow_empty):
        return

    if problem == "busy":
        st.warning(t("warehouse_busy", lang, path=warehouse_path()))
        st.stop()
    key = "warehouse_missing" if problem == "missing" else "warehouse_empty"
    st.error(t(key, lang, path=warehouse_path()))
    st.markdown(t("warehouse_build_help", lang))
    st.stop()


def _relabel_widgets() -> None:
    """Write the code values of the labelled widgets back, so they redraw in the new language.

    Streamlit 1.67 sends a selectbox or multiselect value to the browser as its display
    label and reads the label back with the current `format_func`. After a language
    switch the browser would send the old language's labels, which match no option,
    and the stale label would become the filter value. A value written through
    session state makes Streamlit send the labels again. This callback runs before
    the widgets are drawn, so the old language's labels still decode to codes.
    """
    for key in LABELLED_WIDGET_KEYS:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def language_switch() -> str:
    """Draw the language switch in the sidebar and return the chosen language."""
    if "lang" not in st.session_state:
        st.session_state["lang"] = get_settings().lang
    st.sidebar.radio(
        "语言 / Language",
        options=list(LANGUAGES),
        format_func=LANGUAGE_NAMES.__getitem__,
        horizontal=True,
        key="lang",
        on_change=_relabel_widgets,
    )
    return st.session_state["lang"]


def current_lang() -> str:
    """Return the language chosen in the sidebar (the settings' default before the first run)."""
    return st.session_state.get("lang", get_settings().lang)


def current_filters() -> Filters:
    """Return the filters set in the sidebar by the entry file."""
    return st.session_state.get("filters", Filters())


def code_labels(kind: str, lang: str) -> dict[str, str]:
    """Return the code-to-label map of a taxonomy kind in `lang`."""
    return query(queries.labels, kind, lang)


def label_formatter(kind: str, lang: str) -> Callable[[Any], str]:
    """Return a function that names one value of a filter dimension in `lang`.

    `kind` is a taxonomy kind, or "regulators", "regulator_families" or "provinces".
    An unknown code shows as itself.
    """
    if kind == "regulators":
        return lambda value: regulator_label(value, lang)
    if kind == "regulator_families":
        return lambda value: family_label(value, lang)
    if kind == "provinces":
        return lambda value: province_label(value, lang)

    names = code_labels(kind, lang)
    return lambda value: t("not_stated", lang) if is_missing(value) else names.get(value, value)


def _date_bounds(picked: Any, first: date, last: date) -> tuple[date | None, date | None]:
    """Turn the date widget's value into filter bounds; the full range means no bound.

    Leaving the full range unbounded keeps the cases without any date in view.
    """
    if not isinstance(picked, (tuple, list)) or not picked:
        return None, None

    start = picked[0]
    end = picked[1] if len(picked) > 1 else None
    return (None if start == first else start), (None if end in (None, last) else end)


def _reset_filters() -> None:
    """Set every filter widget, and the case search, back to its default.

    Deleting the keys would not do: the browser keeps showing the old choices and
    sends them back on the next change. Writing the defaults redraws the widgets.
    """
    first, last = query(queries.filter_options)["date_range"]
    if first is not None:
        st.session_state["filter_dates"] = (first, last)
    st.session_state["filter_domain"] = DEFAULT_DOMAIN
    for key in MULTISELECT_FILTERS.values():
        st.session_state[key] = []
    if "cases_text" in st.session_state:
        st.session_state["cases_text"] = ""


def sidebar_filters(lang: str) -> Filters:
    """Draw the shared filters in the sidebar and return them as a `Filters` value."""
    options = query(queries.filter_options)
    first, last = options["date_range"]

    with st.sidebar:
        st.subheader(t("filters", lang))

        date_from = date_to = None
        if first is not None:
            # The default goes through session state, so "Clear filters" can write it again.
            st.session_state.setdefault("filter_dates", (first, last))
            picked = st.date_input(t("filter_dates", lang), min_value=first, max_value=last, key="filter_dates")
            date_from, date_to = _date_bounds(picked, first, last)

        domain = st.selectbox(
            t("filter_domain", lang),
            options=[DEFAULT_DOMAIN, ALL_DOMAINS],
            format_func=lambda value: t("domain_all", lang) if value == ALL_DOMAINS else t("domain_data_protection", lang),
            key="filter_domain",
        )

        chosen: dict[str, tuple[str, ...]] = {}
        for kind, key in MULTISELECT_FILTERS.items():
            values = st.multiselect(
                t(f"filter_{kind}", lang),
                options=options[kind],
                format_func=label_formatter(kind, lang),
                placeholder=t("filter_any", lang),
                key=key,
            )
            chosen[kind] = tuple(values)

        st.button(t("filter_reset", lang), on_click=_reset_filters, width="stretch")

    return Filters(
        date_from=date_from,
        date_to=date_to,
        domain=None if domain == ALL_DOMAINS else domain,
        regulators=chosen["regulators"],
        regulator_families=chosen["regulator_families"],
        provinces=chosen["provinces"],
        industries=chosen["industries"],
        violation_types=chosen["violation_types"],
        outcome_types=chosen["outcome_types"],
    )


# Shown in place of an empty table cell, such as a case without a fine or a decision number.
EMPTY_CELL = "—"


def first_present(*values: Any, default: str = EMPTY_CELL) -> str:
    """Return the first value that is neither missing nor empty, as text, else `default`."""
    return next((str(value) for value in values if not is_missing(value) and value != ""), default)


def party_label(party_name: Any, app_name: Any, lang: str) -> str:
    """Name a case's party, else its app; a notice that names neither shows "(not named)"."""
    return first_present(party_name, app_name, default=t("party_not_named", lang))


def _join_labels(codes: Any, names: Callable[[Any], str], lang: str) -> str:
    separator = "、" if lang == "zh" else ", "
    return separator.join(names(code) for code in list(codes if codes is not None else [])) or EMPTY_CELL


def show_case_table(frame: Any, lang: str, key: str, height: int | str = "auto") -> None:
    """Draw a frame of `search_cases` columns as a table with labels, links and yuan amounts."""
    if frame.empty:
        st.info(t("no_cases", lang))
        return

    violations = label_formatter("violation_types", lang)
    outcomes = label_formatter("outcome_types", lang)
    table = frame.assign(
        date=[format_date(d, p, lang) for d, p in zip(frame["event_date"], frame["event_date_precision"])],
        party=[party_label(party, app, lang) for party, app in zip(frame["party_name"], frame["app_name"])],
        regulator=[regulator_label(name, lang) for name in frame["regulator"]],
        province=[province_label(name, lang) for name in frame["province"]],
        violations=[_join_labels(codes, violations, lang) for codes in frame["violation_types"]],
        outcomes=[_join_labels(codes, outcomes, lang) for codes in frame["outcome_types"]],
        detail=[f"cases?case={case_id}" for case_id in frame["case_id"]],
    )
    columns = ["date", "party", "regulator", "province", "outcomes", "fine_cny", "violations",
               "decision_number", "title", "detail", "source_url"]

    st.dataframe(
        table[columns],
        key=key,
        height=height,
        hide_index=True,
        # Without a placeholder Streamlit writes "None" into empty cells; the fine stays numeric to sort.
        placeholder=EMPTY_CELL,
        column_config={
            "date": st.column_config.TextColumn(t("col_date", lang)),
            "party": st.column_config.TextColumn(t("col_party", lang)),
            "regulator": st.column_config.TextColumn(t("col_regulator", lang)),
            "province": st.column_config.TextColumn(t("col_province", lang), width="small"),
            "violations": st.column_config.TextColumn(t("col_violations", lang)),
            "outcomes": st.column_config.TextColumn(t("col_outcomes", lang)),
            "fine_cny": st.column_config.NumberColumn(t("col_fine", lang), format="localized"),
            "decision_number": st.column_config.TextColumn(t("col_decision_number", lang)),
            "title": st.column_config.TextColumn(t("col_title", lang), width="large"),
            "detail": st.column_config.LinkColumn(t("col_detail", lang), display_text=t("open_detail", lang)),
            "source_url": st.column_config.LinkColumn(t("col_source", lang), display_text=t("open_source", lang)),
        },
    )
