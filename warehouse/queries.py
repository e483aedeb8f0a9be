"""Read-only queries behind the dashboard, over the `v_*` views of the warehouse.

Every function takes a DuckDB connection (a read-only one is enough) and, where the
result depends on the sidebar, a `Filters` value. Values reach SQL only as bound
parameters; the only text spliced into SQL is a column expression picked from the
fixed `_DIMENSIONS` table. Amounts are in yuan (CNY). Money totals in the returned
dicts are `Decimal`; money columns of the returned DataFrames are float64, as DuckDB
hands DECIMAL columns to pandas.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal, get_args

import duckdb
import pandas as pd

from etl.models import LegalBasis

logger = logging.getLogger(__name__)

Dimension = Literal["industry", "regulator", "regulator_family", "province", "violation_type", "outcome_type"]
DIMENSIONS: tuple[str, ...] = get_args(Dimension)

# Dimension -> (join clause, group expression). The list-valued dimensions go through
# their one-row-per-value views, so a case with two violation types counts in both groups.
_DIMENSIONS: dict[str, tuple[str, str]] = {
    "industry": ("", "c.industry"),
    "regulator": ("", "c.regulator"),
    "regulator_family": ("", "c.regulator_family"),
    "province": ("", "c.province"),
    "violation_type": ("JOIN v_case_violations AS g USING (case_id)", "g.violation_type"),
    "outcome_type": ("JOIN v_case_outcomes AS g USING (case_id)", "g.outcome_type"),
}

# Columns of the case table: what a reader scans before opening one case.
_TABLE_COLUMNS = """
    c.case_id, c.event_date, c.event_date_precision, c.party_name, c.app_name,
    c.regulator, c.regulator_family, c.province, c.industry, c.violation_types,
    c.outcome_types, c.fine_cny, c.confiscation_cny, c.decision_number, c.title,
    c.source, c.source_url, c.warning_count
"""

_TEXT_FIELDS = ("c.title", "c.party_name", "c.app_name", "c.decision_number", "c.summary")


@dataclass(frozen=True)
class Filters:
    """The dashboard's filters; an empty tuple or None leaves that field unfiltered.

    Dates compare against `event_date` (the decision date, else the publication date),
    so a set date bound leaves out cases with no date at all. `domain=None` keeps
    every domain; `text` is a case-insensitive substring of the title, party, app,
    decision number (文号) or summary.
    """

    date_from: date | None = None
    date_to: date | None = None
    domain: str | None = "data_protection"
    regulators: tuple[str, ...] = ()
    regulator_families: tuple[str, ...] = ()
    provinces: tuple[str, ...] = ()
    industries: tuple[str, ...] = ()
    violation_types: tuple[str, ...] = ()
    outcome_types: tuple[str, ...] = ()
    text: str = ""


class QueryError(ValueError):
    """Raised when a query gets an argument outside its documented choices."""


def _where(f: Filters) -> tuple[str, list[Any]]:
    """Build the WHERE clause over `v_cases AS c` and its parameters."""
    clauses: list[str] = ["TRUE"]
    params: list[Any] = []

    if f.date_from is not None:
        clauses.append("c.event_date >= ?")
        params.append(f.date_from)
    if f.date_to is not None:
        clauses.append("c.event_date <= ?")
        params.append(f.date_to)
    if f.domain is not None:
        clauses.append("c.domain = ?")
        params.append(f.domain)

    for column, values in (
        ("c.regulator", f.regulators),
        ("c.regulator_family", f.regulator_families),
        ("c.province", f.provinces),
        ("c.industry", f.industries),
    ):
        if values:
            clauses.append(f"list_contains(?::VARCHAR[], {column})")
            params.append(list(values))

    if f.violation_types:
        clauses.append(
            "c.case_id IN (SELECT case_id FROM v_case_violations WHERE list_contains(?::VARCHAR[], violation_type))"
        )
        params.append(list(f.violation_types))
    if f.outcome_types:
        clauses.append(
            "c.case_id IN (SELECT case_id FROM v_case_outcomes WHERE list_contains(?::VARCHAR[], outcome_type))"
        )
        params.append(list(f.outcome_types))

    needle = f.text.strip().lower()
    if needle:
        # contains() takes the text literally, so % and _ typed by a user are not wildcards.
        matches = [f"contains(lower(coalesce({field}, '')), ?)" for field in _TEXT_FIELDS]
        clauses.append("(" + " OR ".join(matches) + ")")
        params.extend([needle] * len(_TEXT_FIELDS))

    return " AND ".join(clauses), params


def _dimension(by: str) -> tuple[str, str]:
    if by not in _DIMENSIONS:
        raise QueryError(f"unknown dimension {by!r}; choose one of {list(DIMENSIONS)}")
    return _DIMENSIONS[by]


def _to_decimal(value: Any) -> Decimal:
    return Decimal(0) if value is None else Decimal(value)


def filter_options(con: duckdb.DuckDBPyConnection) -> dict[str, list[Any]]:
    """Return the distinct values of every filter over all cases, sorted.

    Keys: regulators, regulator_families, provinces, industries, domains,
    violation_types, outcome_types, and date_range as [min, max] event_date (both
    None when no case has a date).
    """
    options: dict[str, list[Any]] = {}

    for key, column in (
        ("regulators", "regulator"),
        ("regulator_families", "regulator_family"),
        ("provinces", "province"),
        ("industries", "industry"),
        ("domains", "domain"),
    ):
        rows = con.execute(f"SELECT DISTINCT {column} FROM v_cases WHERE {column} IS NOT NULL ORDER BY 1").fetchall()
        options[key] = [row[0] for row in rows]

    options["violation_types"] = [
        row[0] for row in con.execute("SELECT DISTINCT violation_type FROM v_case_violations ORDER BY 1").fetchall()
    ]
    options["outcome_types"] = [
        row[0] for row in con.execute("SELECT DISTINCT outcome_type FROM v_case_outcomes ORDER BY 1").fetchall()
    ]

    first, last = con.execute("SELECT min(event_date), max(event_date) FROM v_cases").fetchone()
    options["date_range"] = [first, last]
    return options


def overview_metrics(con: duckdb.DuckDBPyConnection, f: Filters) -> dict[str, Any]:
    """Count the filtered cases and sum their fines.

    Keys: cases, cases_with_fine, fine_total_cny, fine_median_cny (over fined cases
    only, None when there are none), confiscation_total_cny, share_without_fine
    (0..1, None when there are no cases), regulators and provinces (distinct counts).
    """
    where, params = _where(f)
    row = con.execute(
        f"""
        SELECT
            count(*),
            count(*) FILTER (WHERE c.has_fine),
            sum(c.fine_cny) FILTER (WHERE c.has_fine),
            median(c.fine_cny) FILTER (WHERE c.has_fine),
            sum(c.confiscation_cny),
            count(DISTINCT c.regulator),
            count(DISTINCT c.province)
        FROM v_cases AS c
        WHERE {where}
        """,
        params,
    ).fetchone()
    cases, fined, fine_total, fine_median, confiscation_total, regulators, provinces = row

    return {
        "cases": cases,
        "cases_with_fine": fined,
        "fine_total_cny": _to_decimal(fine_total),
        "fine_median_cny": None if fine_median is None else Decimal(fine_median),
        "confiscation_total_cny": _to_decimal(confiscation_total),
        "share_without_fine": None if cases == 0 else (cases - fined) / cases,
        "regulators": regulators,
        "provinces": provinces,
    }


def fine_documents(con: duckdb.DuckDBPyConnection, f: Filters) -> int:
    """Count the distinct source documents of the filtered cases with a fine.

    One published document can carry several fined cases (a PBC notice table lists
    one row per party), so the count shows how many publications the fine figures rest on.
    """
    where, params = _where(f)
    return con.execute(
        f"SELECT count(DISTINCT c.document_id) FROM v_cases AS c WHERE {where} AND c.has_fine", params
    ).fetchone()[0]


def filtered_case_ids(con: duckdb.DuckDBPyConnection, f: Filters) -> list[str]:
    """Return the case_ids of the filtered cases, in case_id order; search restricts its hits to them."""
    where, params = _where(f)
    return [row[0] for row in con.execute(f"SELECT c.case_id FROM v_cases AS c WHERE {where} ORDER BY 1", params).fetchall()]


def newest_cases(con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 10) -> pd.DataFrame:
    """Return the `limit` newest filtered cases by event date, undated cases last."""
    return search_cases(con, f, limit=limit)


def search_cases(con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 500, offset: int = 0) -> pd.DataFrame:
    """Return one page of the filtered case table, newest first, with source_url.

    Cases of one date follow their decision number (文号), then case_id, so pages
    do not overlap.
    """
    where, params = _where(f)
    return con.execute(
        f"""
        SELECT {_TABLE_COLUMNS}
        FROM v_cases AS c
        WHERE {where}
        ORDER BY c.event_date DESC NULLS LAST, c.decision_number NULLS LAST, c.case_id
        LIMIT ? OFFSET ?
        """,
        [*params, limit, offset],
    ).df()


def _grouped_counts(
    con: duckdb.DuckDBPyConnection, f: Filters, by: str, period: str, period_filter: str
) -> pd.DataFrame:
    join, group = _dimension(by)
    where, params = _where(f)
    return con.execute(
        f"""
        SELECT
            {period} AS period,
            {group} AS "group",
            count(DISTINCT c.case_id) AS cases,
            coalesce(sum(c.fine_cny), 0)::DOUBLE AS fine_total_cny
        FROM v_cases AS c {join}
        WHERE {where} AND {period_filter}
        GROUP BY ALL
        ORDER BY period, "group" NULLS LAST
        """,
        params,
    ).df()


def monthly_counts(con: duckdb.DuckDBPyConnection, f: Filters, by: Dimension) -> pd.DataFrame:
    """Count cases and sum fines per month and group: columns month, group, cases, fine_total_cny.

    Cases dated to the year only, or not dated, are left out (see `year_only_count`
    and `undated_count`). A NULL group is a case without that attribute, such as a
    national regulator's case without a province. Raises QueryError for an unknown `by`.
    """
    frame = _grouped_counts(con, f, by, "c.event_month", "c.event_month IS NOT NULL")
    return frame.rename(columns={"period": "month"})


def yearly_counts(con: duckdb.DuckDBPyConnection, f: Filters, by: Dimension) -> pd.DataFrame:
    """Count cases and sum fines per year and group: columns year, group, cases, fine_total_cny.

    Year-only cases are included; undated cases are not. Raises QueryError for an unknown `by`.
    """
    frame = _grouped_counts(con, f, by, "c.event_year", "c.event_year IS NOT NULL")
    return frame.rename(columns={"period": "year"})


def year_only_count(con: duckdb.DuckDBPyConnection, f: Filters) -> int:
    """Count the filtered cases whose date is known to the year only (left out of monthly series)."""
    where, params = _where(f)
    return con.execute(
        f"SELECT count(*) FROM v_cases AS c WHERE {where} AND c.event_date IS NOT NULL AND c.event_month IS NULL",
        params,
    ).fetchone()[0]


def undated_count(con: duckdb.DuckDBPyConnection, f: Filters) -> int:
    """Count the filtered cases with neither a decision date nor a publication date."""
    where, params = _where(f)
    return con.execute(
        f"SELECT count(*) FROM v_cases AS c WHERE {where} AND c.event_date IS NULL", params
    ).fetchone()[0]


def fine_distribution(con: duckdb.DuckDBPyConnection, f: Filters) -> pd.DataFrame:
    """Return the fine of every filtered fined case: one column fine_cny, ascending."""
    where, params = _where(f)
    return con.execute(
        f"SELECT c.fine_cny::DOUBLE AS fine_cny FROM v_cases AS c WHERE {where} AND c.has_fine ORDER BY 1",
        params,
    ).df()


def top_fines(con: duckdb.DuckDBPyConnection, f: Filters, limit: int = 20) -> pd.DataFrame:
    """Return the `limit` largest fines among the filtered cases, largest first."""
    where, params = _where(f)
    return con.execute(
        f"""
        SELECT {_TABLE_COLUMNS}
        FROM v_cases AS c
        WHERE {where} AND c.has_fine
        ORDER BY c.fine_cny DESC, c.case_id
        LIMIT ?
        """,
        [*params, limit],
    ).df()


def breakdown(con: duckdb.DuckDBPyConnection, f: Filters, by: Dimension) -> pd.DataFrame:
    """Count cases per group: columns group, cases, cases_with_fine, fine_total_cny, most cases first.

    Raises QueryError for an unknown `by`.
    """
    join, group = _dimension(by)
    where, params = _where(f)
    return con.execute(
        f"""
        SELECT
            {group} AS "group",
            count(DISTINCT c.case_id) AS cases,
            count(DISTINCT c.case_id) FILTER (WHERE c.has_fine) AS cases_with_fine,
            coalesce(sum(c.fine_cny), 0)::DOUBLE AS fine_total_cny
        FROM v_cases AS c {join}
        WHERE {where}
        GROUP BY ALL
        ORDER BY cases DESC, "group" NULLS LAST
        """,
        params,
    ).df()


def _records(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def case_detail(con: duckdb.DuckDBPyConnection, case_id: str) -> dict[str, Any] | None:
    """Return one case with its document, sibling cases, legal bases, outcomes and parse warnings.

    The columns of `v_cases` are top-level keys (outcome_types among them), except
    that `legal_bases` gains a label and `parse_warnings` becomes `warnings`
    (kind, field, raw, message). Added keys: `document` (document_id, source, url,
    fetched_at; fetched_at is None when the raw document is not stored) and `siblings` (other cases of the same document: case_id, party_name, app_name,
    decision_number, fine_cny). A legal basis is a dict of law, article, clause and a
    label such as 《中华人民共和国个人信息保护法》第66条, in the order cited.
    Returns None for an unknown case_id.
    """
    rows = _records(con.execute("SELECT * FROM v_cases WHERE case_id = ?", [case_id]))
    if not rows:
        logger.info("case not found: case_id=%s", case_id)
        return None
    case = rows[0]

    document = _records(
        con.execute(
            "SELECT document_id, source, url, fetched_at FROM raw_documents WHERE document_id = ?",
            [case["document_id"]],
        )
    )
    case["document"] = document[0] if document else {
        "document_id": case["document_id"], "source": case["source"], "url": case["source_url"], "fetched_at": None,
    }

    case["siblings"] = _records(
        con.execute(
            """
            SELECT case_id, party_name, app_name, decision_number, fine_cny
            FROM cases WHERE document_id = ? AND case_id <> ?
            ORDER BY decision_number NULLS LAST, party_name NULLS LAST, case_id
            """,
            [case["document_id"], case_id],
        )
    )

    # Read the lists from the row itself, which keeps the order the decision cites them in.
    case["legal_bases"] = [
        {**basis, "label": LegalBasis(law=basis["law"], article=basis["article"], clause=basis["clause"] or "").label()}
        for basis in case["legal_bases"]
    ]
    case["warnings"] = case.pop("parse_warnings")
    return case


def labels(con: duckdb.DuckDBPyConnection, kind: str, lang: Literal["zh", "en"]) -> dict[str, str]:
    """Map each code of a taxonomy kind (e.g. "violation_types") to its zh or en label.

    Raises QueryError for a language other than zh or en.
    """
    if lang not in ("zh", "en"):
        raise QueryError(f"unknown language {lang!r}; choose 'zh' or 'en'")

    column = "zh" if lang == "zh" else "en"
    rows = con.execute(f"SELECT code, {column} FROM taxonomy_labels WHERE kind = ? ORDER BY code", [kind]).fetchall()
    return dict(rows)


# Crawl health ------------------------------------------------------------------------------
# crawl_runs stores naive UTC timestamps (started_at, finished_at); the page converts them.

def source_health(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Return one row per crawled source, in name order; empty when no crawl has run.

    Columns of `v_source_health`: source, last_status, last_run_at, last_success_at
    (NaT when no run ended ok), last_pages, last_new_items, last_updated_items,
    last_errors, last_message (the last run's failure messages, one per line), runs,
    failed_runs (runs that ended other than ok, running ones left out) and
    total_new_items.
    """
    return con.execute("SELECT * FROM v_source_health ORDER BY source").df()


def recent_crawl_runs(con: duckdb.DuckDBPyConnection, limit: int = 50) -> pd.DataFrame:
    """Return the `limit` latest crawl runs of every source, newest first.

    Columns: run_id, source, status, started_at, finished_at, duration_seconds (NaN
    while running), pages, new_items, updated_items, errors, message, full_crawl.
    """
    return con.execute(
        """
        SELECT
            run_id, source, status, started_at, finished_at,
            date_diff('millisecond', started_at, finished_at) / 1000.0 AS duration_seconds,
            pages, new_items, updated_items, errors, message, full_crawl
        FROM crawl_runs
        ORDER BY started_at DESC, source, run_id
        LIMIT ?
        """,
        [limit],
    ).df()


def raw_document_statuses(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Count raw documents per source and parse status (parsed, empty, superseded, failed, pending).

    Columns: source, parse_status, documents; sources in name order, then statuses.
    Imported and crawled documents both count.
    """
    return con.execute(
        """
        SELECT source, parse_status, count(*) AS documents
        FROM raw_documents
        GROUP BY ALL
        ORDER BY source, parse_status
        """
    ).df()
