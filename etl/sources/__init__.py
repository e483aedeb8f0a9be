"""Source parsers: each turns a raw document of its source into case drafts of raw strings.

`parse_document` dispatches on `RawDocument.source` through `PARSERS`; every parser module
exposes `parse_document(doc) -> list[CaseDraft]`.
"""

from __future__ import annotations

from collections.abc import Callable

from etl.models import CaseDraft, RawDocument
from etl.sources import lawdatify_appviol, lawdatify_batches, lawdatify_cases, pbc, sample
from etl.sources.overlap import resolve_overlaps

Parser = Callable[[RawDocument], list[CaseDraft]]

PARSERS: dict[str, Parser] = {
    "lawdatify_cases": lawdatify_cases.parse_document,
    "lawdatify_appviol": lawdatify_appviol.parse_document,
    "lawdatify_batches": lawdatify_batches.parse_document,
    "pbc": pbc.parse_document,
    "sample": sample.parse_document,
}


class UnknownSourceError(LookupError):
    """Raised when a raw document's source has no parser in `PARSERS`."""


def parse_document(doc: RawDocument) -> list[CaseDraft]:
    """Parse a raw document with the parser of its source.

    Raises UnknownSourceError when no parser is registered for the source.
    """
    parser = PARSERS.get(doc.source)
    if parser is None:
        raise UnknownSourceError(
            f"no parser for source {doc.source!r} (document {doc.document_id}). "
            f"Known sources: {', '.join(sorted(PARSERS))}. Register the parser in etl.sources.PARSERS."
        )
    return parser(doc)


__all__ = ["PARSERS", "UnknownSourceError", "parse_document", "resolve_overlaps"]
