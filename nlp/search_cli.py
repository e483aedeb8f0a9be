"""The `eintel search` command: print the cases whose passages best match a query.

    eintel search QUERY [--mode keyword|dense|hybrid] [-k N] [--regulator NAME ...]
                  [--province NAME ...] [--industry CODE ...] [--violation CODE ...]
                  [--outcome CODE ...] [--since DATE] [--until DATE] [--all-domains] [--model NAME]

Reads the warehouse (--db or EINTEL_DB) read-only, and the embedding model from --model
or EINTEL_EMBEDDING_MODEL. Module-level imports stay light, because `eintel` builds
this parser on every start.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

MODES = ("keyword", "dense", "hybrid")

# Characters of a passage printed around its first matched term; a longer passage is cut.
SNIPPET_CHARS = 240


def add_search_command(sub: Any) -> None:
    """Add the `search` subcommand to the `eintel` subparsers."""
    p = sub.add_parser("search", help="find the cases whose passages best match a query (run `eintel embed` first)")
    p.add_argument("query", metavar="QUERY", help="what to look for, e.g. 未经同意收集人脸信息")
    p.add_argument("--mode", choices=MODES, default="hybrid",
                   help="keyword (BM25), dense (embeddings) or hybrid (both, rank-fused; default)")
    p.add_argument("-k", type=positive_int, default=10, help="number of cases to print (default 10)")
    p.add_argument("--regulator", action="append", metavar="NAME", help="only this regulator (repeatable), e.g. 工业和信息化部")
    p.add_argument("--province", action="append", metavar="NAME", help="only this province (repeatable), e.g. 广东省")
    p.add_argument("--industry", action="append", metavar="CODE", help="only this industry code (repeatable), e.g. banking")
    p.add_argument("--violation", action="append", metavar="CODE",
                   help="only this violation type code (repeatable), e.g. excessive_collection")
    p.add_argument("--outcome", action="append", metavar="CODE", help="only this outcome code (repeatable), e.g. fine")
    p.add_argument("--since", type=_date, metavar="DATE", help="only cases dated on or after DATE (YYYY-MM-DD)")
    p.add_argument("--until", type=_date, metavar="DATE", help="only cases dated on or before DATE (YYYY-MM-DD)")
    p.add_argument("--all-domains", action="store_true",
                   help="search every domain, not only data security and personal information")
    p.add_argument("--model", help="embedding model (default: EINTEL_EMBEDDING_MODEL or usem3)")
    p.set_defaults(func=run_search)


# Filter option -> (Filters field, SQL listing the values the warehouse holds).
FILTER_VALUES = {
    "--regulator": ("regulators", "SELECT DISTINCT regulator FROM cases WHERE regulator IS NOT NULL"),
    "--province": ("provinces", "SELECT DISTINCT province FROM cases WHERE province IS NOT NULL"),
    "--industry": ("industries", "SELECT DISTINCT industry FROM cases"),
    "--violation": ("violation_types", "SELECT code FROM taxonomy_labels WHERE kind = 'violation_types'"),
    "--outcome": ("outcome_types", "SELECT code FROM taxonomy_labels WHERE kind = 'outcome_types'"),
}


def unknown_filter_value(con: Any, filters: Any) -> str | None:
    """Name the first filter value the warehouse does not know, with the values it does; None when all are known."""
    for option, (field, sql) in FILTER_VALUES.items():
        wanted = getattr(filters, field)
        if not wanted:
            continue
        known = sorted(row[0] for row in con.execute(sql).fetchall())
        for value in wanted:
            if value not in known:
                shown = ", ".join(known[:40]) + (" ..." if len(known) > 40 else "")
                return f"unknown {option} value {value!r}; the warehouse has: {shown}"
    return None


def positive_int(text: str) -> int:
    """Parse a command-line count of at least 1, e.g. of the cases to return."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}; give a whole number of cases such as 10") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"invalid number {value}; give at least 1")
    return value


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}; use YYYY-MM-DD, e.g. 2024-01-31") from None


def run_search(args: argparse.Namespace) -> int:
    """Run the search of the parsed arguments and print the hits; return the exit code."""
    from eintel.settings import get_settings
    from nlp.encoders import EncoderError, load_encoder
    from nlp.search import MissingEmbeddingsError, SearchError, hit_cases, search
    from warehouse.db import WarehouseError, connect
    from etl.normalize.regions import canonical_province
    from warehouse.queries import Filters

    db = Path(args.db).resolve() if args.db else get_settings().db_path
    if not args.query.strip():
        return _error("the query is empty; give the words to search for, e.g. eintel search \"人脸识别\"")
    provinces = [canonical_province(value) or value for value in args.province or ()]
    filters = Filters(
        date_from=args.since,
        date_to=args.until,
        domain=None if args.all_domains else "data_protection",
        regulators=tuple(args.regulator or ()),
        provinces=tuple(provinces),
        industries=tuple(args.industry or ()),
        violation_types=tuple(args.violation or ()),
        outcome_types=tuple(args.outcome or ()),
    )

    try:
        with connect(db, read_only=True) as con:
            problem = unknown_filter_value(con, filters)
            if problem:
                return _error(problem)
            encoder = None if args.mode == "keyword" else load_encoder(args.model)
            hits = search(con, args.query, filters, k=args.k, mode=args.mode, encoder=encoder)
            cases = hit_cases(con, [hit.case_id for hit in hits])
    except MissingEmbeddingsError as error:
        model_option = f" --model {args.model}" if args.model else ""
        return _error(f"{error}. Build them with `eintel --db {db} embed{model_option}`, "
                      "or search without embeddings with --mode keyword")
    except (WarehouseError, SearchError, EncoderError) as error:
        return _error(str(error))

    if not hits:
        print("no matching cases; try other words, --mode dense, or fewer filters")
        return 0
    for rank, hit in enumerate(hits, start=1):
        print(format_hit(rank, hit, cases.get(hit.case_id, {})))
    return 0


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def format_hit(rank: int, hit: Any, case: dict[str, Any]) -> str:
    """Format one hit as four lines: rank and title, case facts, passage with 【】 marks, source URL."""
    from nlp.search import mark_highlights

    ranks = [f"score {hit.score:.4g}"]
    if hit.keyword_rank is not None:
        ranks.append(f"keyword #{hit.keyword_rank}")
    if hit.dense_rank is not None:
        ranks.append(f"dense #{hit.dense_rank}")

    party = case.get("party_name") or case.get("app_name") or "(not named)"
    if case.get("app_name") and case.get("party_name"):
        party = f"{case['party_name']}「{case['app_name']}」"
    facts = [
        f"party: {party}",
        f"regulator: {case.get('regulator') or '—'}",
        f"date: {_format_date(case.get('event_date'), case.get('event_date_precision'))}",
        f"fine: {_format_fine(case.get('fine_cny'))}",
    ]

    text, spans = snippet(hit.passage_text, hit.highlights)
    passage = mark_highlights(text, spans).replace("\n", " ")
    return "\n".join([
        f"{rank}. {case.get('title') or hit.case_id}  [{', '.join(ranks)}]",
        "   " + " · ".join(facts),
        f"   {hit.passage_kind}: {passage}",
        f"   {case.get('source_url') or ''}",
    ])


def snippet(text: str, spans: list[tuple[int, int]], size: int = SNIPPET_CHARS) -> tuple[str, list[tuple[int, int]]]:
    """Cut `text` to about `size` characters around its first span; return the cut text and its spans.

    A cut end gets an ellipsis (…); the spans move with the text, and those cut off are dropped.
    """
    if len(text) <= size:
        return text, spans

    first = spans[0][0] if spans else 0
    start = max(0, min(first - size // 4, len(text) - size))
    end = start + size
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    shift = len(prefix) - start
    kept = [(s + shift, e + shift) for s, e in spans if s >= start and e <= end]
    return f"{prefix}{text[start:end]}{suffix}", kept


def _format_date(value: date | None, precision: str | None) -> str:
    if value is None:
        return "—"
    if precision == "year":
        return f"{value.year}"
    if precision == "month":
        return f"{value.year}-{value.month:02d}"
    return value.isoformat()


def _format_fine(value: Decimal | None) -> str:
    return "—" if value is None else f"{value:,.2f} yuan"
