"""Source parsers: each turns a raw document of its source into case drafts of raw strings.

`parse_document` dispatches on `RawDocument.source` through `PARSERS`; every parser module
exposes `parse_document(doc) -> list[CaseDraft]`. The parsers of crawled sources are
imported on first use (`CRAWLED_SOURCE_MODULES`), so a source whose parser fails to import
marks its own documents as failed without stopping the others.
"""

from __future__ import annotations

import importlib
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

# Spider name -> module of its parser; both CAC spiders publish the same article format.
CRAWLED_SOURCE_MODULES: dict[str, str] = {
    "cac": "etl.sources.cac",
    "cac_provincial": "etl.sources.cac",
    "miit": "etl.sources.miit",
    "nfra": "etl.sources.nfra",
    "csrc": "etl.sources.csrc",
    "samr": "etl.sources.samr",
    "mps": "etl.sources.mps",
}


class UnknownSourceError(LookupError):
    """Raised when a raw document's source has no parser in `PARSERS`."""


def parse_document(doc: RawDocument) -> list[CaseDraft]:
    """Parse a raw document with the parser of its source.

    Raises UnknownSourceError when no parser is registered for the source.
    """
    parser = PARSERS.get(doc.source)
    if parser is None and doc.source in CRAWLED_SOURCE_MODULES:
        parser = importlib.import_module(CRAWLED_SOURCE_MODULES[doc.source]).parse_document
        PARSERS[doc.source] = parser
    if parser is None:
        raise UnknownSourceError(
            f"no parser for source {doc.source!r} (document {doc.document_id}). "
            f"Known sources: {', '.join(sorted(set(PARSERS) | set(CRAWLED_SOURCE_MODULES)))}. Register the parser in etl.sources.PARSERS."
        )
    return parser(doc)


__all__ = ["PARSERS", "UnknownSourceError", "parse_document", "resolve_overlaps"]
