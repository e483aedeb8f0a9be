"""Read-only queries behind the dashboard, over the `v_*` views of the warehouse.

Every function takes a DuckDB connection (a read-only one is enough) and, where the
result depends on the sidebar, a `Filters` value. Values reach SQL only as bound
parameters. The only text spliced into SQL is fixed: column expressions from
`_DIMENSIONS` and `_TEXT_FIELDS`, and one `?` placeholder per chosen filter value.
Amounts are in yuan (CNY). Money totals in the returned dicts are `Decimal`; money
columns of the returned DataFrames are float64, as DuckDB hands DECIMAL columns to pandas.
"""

from __future__ import annotations

import logging
import unicodedata
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

# A case without any violation type counts as "other", as in the v_case_violations view.
_VIOLATION_LIST = "CASE WHEN len(c.violation_types) = 0 THEN ['other'] ELSE c.violation_types END"

# Dimension -> group expression over `v_cases AS c`. The list-valued dimensions unnest
# their list in the SELECT, so a case with two violation types counts in both groups.
# Unnesting the row's own list is much faster than joining the one-row-per-value views
# on case_id, and count(*) counts each case once per group without a count(DISTINCT
# case_id) because a list contains each code once (as in every list of the real records).
# NOTE: a list that repeated a code would count its case twice in that group.
_DIMENSIONS: dict[str, str] = {
    "industry": "c.industry",
    "regulator": "c.regulator",
    "regulator_family": "c.regulator_family",
    "province": "c.province",
    "violation_type": f"unnest({_VIOLATION_LIST})",
    "outcome_type": "unnest(c.outcome_types)",
}

# Columns of the case table: what a reader scans before opening one case.
_TABLE_COLUMNS = """
    c.case_id, c.event_date, c.event_date_precision, c.party_name, c.app_name,
    c.regulator, c.regulator_family, c.province, c.industry, c.violation_types,
    c.outcome_types, c.fine_cny, c.confiscation_cny, c.decision_number, c.title,
    c.source, c.source_url, c.warning_count
"""

_TEXT_FIELDS = ("c.title", "c.party_name", "c.app_name", "c.decision_number", "c.summary")

# Unicode categories of characters that DuckDB's lower() leaves as they are and that no
# other character lowers to: letters without case (CJK ideographs are "Lo"), digits,
# punctuation, spaces and symbols. tests/app/test_queries.py checks this against the
# lower() of the installed DuckDB (2.0.1 when written) for every code point.
_CASELESS_CATEGORIES = frozenset({"Lo", "Nd", "Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Zs", "Sm", "Sc", "Sk"})

# Characters other than the upper-case letter whose DuckDB lower() is an ASCII letter.
_ASCII_LOWER_SOURCES = {"i": "\u0130", "k": "\u212a"}

# ASCII letters from the least to the most frequent in English text. A search prefilters
# on the first of its letters in this order, because that one is likely the rarest in the rows.
_RARE_LETTERS_FIRST = "zqxjkvbpygfwmucldrhsnioate"


def is_caseless(char: str) -> bool:
    """Tell whether lower() keeps `char` and maps no other character to it."""
    return (
        unicodedata.category(char) in _CASELESS_CATEGORIES and char.lower() == char and char.upper() == char
    )


def _caseless_runs(needle: str) -> list[str]:
    runs: list[str] = []
    current = ""
    for char in needle:
        if is_caseless(char):
            current += char
        elif current:
            runs.append(current)
            current = ""
    if current:
        runs.append(current)
    return runs


def _text_match(field: str, needle: str, params: list[Any]) -> str:
    """Return SQL true when `field` contains the lower-case `needle` ignoring case; add its parameters.

    lower() on every row is the slow part of a text search, so the SQL avoids or narrows it
    without changing the result. A needle of caseless characters only (most Chinese
    searches) is found in the field exactly where it is found in lower(field). Otherwise
    the field must contain the longest caseless run of the needle, or one of the
    characters that lower to its rarest ASCII letter, before lower() runs on it.
    """
    if all(is_caseless(char) for char in needle):
        params.append(needle)
        return f"contains({field}, ?)"

    runs = _caseless_runs(needle)
    if runs:
        params.extend([max(runs, key=len), needle])
        return f"(contains({field}, ?) AND contains(lower({field}), ?))"

    letter = next((char for char in _RARE_LETTERS_FIRST if char in needle), None)
    if letter is not None:
        sources = [letter, letter.upper(), *_ASCII_LOWER_SOURCES.get(letter, "")]
        params.extend([*sources, needle])
        prefilter = " OR ".join([f"contains({field}, ?)"] * len(sources))
        return f"(({prefilter}) AND contains(lower({field}), ?))"

    params.append(needle)
    return f"contains(lower({field}), ?)"


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
            clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
            params.extend(values)

    # One list_contains per chosen code reads the row's own list, which is much faster
    # than a semi-join with the one-row-per-value views.
    for column, values in ((_VIOLATION_LIST, f.violation_types), ("c.outcome_types", f.outcome_types)):
        if values:
            clauses.append("(" + " OR ".join([f"list_contains({column}, ?)"] * len(values)) + ")")
            params.extend(values)

    needle = f.text.strip().lower()
    if needle:
        # contains() takes the text literally, so % and _ typed by a user are not wildcards.
        matches = [_text_match(field, needle, params) for field in _TEXT_FIELDS]
        clauses.append("(" + " OR ".join(matches) + ")")

    return " AND ".join(clauses), params


def _dimension(by: str) -> str:
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
    order = "c.event_date DESC NULLS LAST, c.decision_number NULLS LAST, c.case_id"
    return _case_table_page(con, where, params, order, limit, offset)


def _case_table_page(
    con: duckdb.DuckDBPyConnection, where: str, params: list[Any], order: str, limit: int, offset: int = 0
) -> pd.DataFrame:
    """Return the `_TABLE_COLUMNS` of one page of the cases matching `where`, sorted by `order`.

    The first statement sorts only the order keys and takes the page's case_ids. The
    second reads the wide columns (lists, titles, URLs) of those cases alone. Sorting
    whole rows made DuckDB (2.0.1) read every column of every matching row, which took
    about twice as long at 1M cases (benchmarks/dashboard_queries.py). `order` must end
    with c.case_id, so the page is the same in both statements.
    """
    page = con.execute(
        f"SELECT c.case_id FROM v_cases AS c WHERE {where} ORDER BY {order} LIMIT ? OFFSET ?",
        [*params, limit, offset],
    ).fetchall()
    return con.execute(
        f"""
        SELECT {_TABLE_COLUMNS}
        FROM v_cases AS c
        WHERE list_contains(?::VARCHAR[], c.case_id)
        ORDER BY {order}
        """,
        [[row[0] for row in page]],
    ).df()


def _grouped_counts(
    con: duckdb.DuckDBPyConnection, f: Filters, by: str, period: str, period_filter: str
) -> pd.DataFrame:
    group = _dimension(by)
    where, params = _where(f)
    return con.execute(
        f"""
        SELECT
            period,
            "group",
            count(*) AS cases,
            coalesce(sum(fine_cny), 0)::DOUBLE AS fine_total_cny
        FROM (
            SELECT {period} AS period, {group} AS "group", c.fine_cny
            FROM v_cases AS c
            WHERE {where} AND {period_filter}
        )
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
    return _case_table_page(con, f"{where} AND c.has_fine", params, "c.fine_cny DESC, c.case_id", limit)


def breakdown(con: duckdb.DuckDBPyConnection, f: Filters, by: Dimension) -> pd.DataFrame:
    """Count cases per group: columns group, cases, cases_with_fine, fine_total_cny, most cases first.

    Raises QueryError for an unknown `by`.
    """
    group = _dimension(by)
    where, params = _where(f)
    return con.execute(
        f"""
        SELECT
            "group",
            count(*) AS cases,
            count(*) FILTER (WHERE has_fine) AS cases_with_fine,
            coalesce(sum(fine_cny), 0)::DOUBLE AS fine_total_cny
        FROM (
            SELECT {group} AS "group", c.has_fine, c.fine_cny
            FROM v_cases AS c
            WHERE {where}
        )
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
