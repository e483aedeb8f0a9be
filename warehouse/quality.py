"""Coverage report of the normalized cases: what share of each field was parsed."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

# (label, SQL condition of a parsed value, SQL condition of the rows it applies to)
_FIELDS: list[tuple[str, str, str]] = [
    ("date", "event_date IS NOT NULL", "TRUE"),
    ("date at day precision", "event_date_precision = 'day'", "TRUE"),
    ("regulator", "regulator IS NOT NULL", "TRUE"),
    ("province", "province IS NOT NULL", "TRUE"),
    # National regulators act for the whole country; a province applies below them.
    ("province (non-national regulator)", "province IS NOT NULL", "coalesce(regulator_level, '') <> 'national'"),
    ("party", "party_name IS NOT NULL", "TRUE"),
    ("industry", "industry <> 'other'", "TRUE"),
    ("violation type", "len(violation_types) > 0 AND violation_types <> ['other']", "TRUE"),
    ("outcome type", "len(outcome_types) > 0 AND outcome_types <> ['other']", "TRUE"),
    ("legal basis", "len(legal_bases) > 0", "TRUE"),
    # A fine can be parsed only where the text states one. The denominator is therefore
    # the cases whose text or title mentions 罚款 followed by an amount in yuan.
    ("fine (where stated)", "fine_cny IS NOT NULL",
     "regexp_matches(coalesce(text, '') || title, '罚款[^。；;]{0,20}[0-9一二三四五六七八九十百千万壹贰叁肆伍陆柒捌玖拾佰仟]+(\\.[0-9]+)?\\s*(万|亿)?元')"),
]


@dataclass
class FieldCoverage:
    field: str
    parsed: int
    applicable: int

    @property
    def share(self) -> float:
        return self.parsed / self.applicable if self.applicable else 0.0


def cases_per_source(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int]]:
    """Return (source, cases, data-protection cases) per source."""
    return con.execute(
        "SELECT source, count(*), count(*) FILTER (WHERE domain = 'data_protection') "
        "FROM cases GROUP BY source ORDER BY source"
    ).fetchall()


def field_coverage(con: duckdb.DuckDBPyConnection, domain: str | None = None) -> list[FieldCoverage]:
    """Share of cases with each field parsed, optionally within one domain."""
    scope = "domain = ?" if domain else "TRUE"
    params = [domain] if domain else []
    rows = []
    for label, parsed, applicable in _FIELDS:
        count_parsed, count_applicable = con.execute(
            f"SELECT count(*) FILTER (WHERE ({parsed}) AND ({applicable})), count(*) FILTER (WHERE {applicable}) "
            f"FROM v_cases WHERE {scope}",
            params,
        ).fetchone()
        rows.append(FieldCoverage(label, count_parsed, count_applicable))
    return rows


def warnings_by_kind(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int]]:
    """Return (warning kind, count) over all cases, most frequent first."""
    return con.execute(
        "SELECT kind, count(*) AS n FROM v_parse_warnings GROUP BY kind ORDER BY n DESC, kind"
    ).fetchall()


def document_statuses(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, int]]:
    """Return (source, parse status, documents)."""
    return con.execute(
        "SELECT source, parse_status, count(*) FROM raw_documents GROUP BY 1, 2 ORDER BY 1, 2"
    ).fetchall()


def format_report(con: duckdb.DuckDBPyConnection) -> str:
    """Render the coverage report as Markdown tables."""
    lines = ["## Cases per source", "", "| source | cases | data protection |", "|---|---:|---:|"]
    lines += [f"| {source} | {total} | {dp} |" for source, total, dp in cases_per_source(con)]

    lines += ["", "## Raw documents by parse status", "", "| source | status | documents |", "|---|---|---:|"]
    lines += [f"| {source} | {status} | {n} |" for source, status, n in document_statuses(con)]

    for domain in (None, "data_protection"):
        title = "all cases" if domain is None else "data-protection cases"
        lines += ["", f"## Field coverage, {title}", "", "| field | parsed | of | share |", "|---|---:|---:|---:|"]
        lines += [
            f"| {row.field} | {row.parsed} | {row.applicable} | {row.share:.1%} |"
            for row in field_coverage(con, domain)
        ]

    lines += ["", "## Parse warnings by kind", "", "| kind | count |", "|---|---:|"]
    lines += [f"| {kind} | {n} |" for kind, n in warnings_by_kind(con)]
    return "\n".join(lines) + "\n"
