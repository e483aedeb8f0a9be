"""Importers that turn the saved public-record archive into raw documents.

The archive root is the folder named by `ARCHIVE=` on the command line or the
`EINTEL_ARCHIVE` environment variable. Which files it contains, their source names and their
upstream origin are listed in archive.yaml beside this module.
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import yaml

from eintel.raw import RawDocument
from scrapers.importers.lawdatify import Skipped, import_appviol_docs, import_batches, import_cases
from scrapers.importers.saved_pages import import_saved_pages

logger = logging.getLogger(__name__)

ARCHIVE_SPEC_PATH = Path(__file__).with_name("archive.yaml")

# Documentation files of the archive, not records.
DOCUMENTATION_SUFFIXES = (".md",)


@dataclass
class ImportResult:
    """Raw documents imported from an archive, documents per file, and what was left out and why."""

    documents: list[RawDocument] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)


@functools.cache
def load_archive_spec() -> dict[str, Any]:
    """Load archive.yaml: the archive's files, their sources and upstream origin."""
    with ARCHIVE_SPEC_PATH.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def import_archive(root: Path) -> ImportResult:
    """Import every file listed in archive.yaml under `root` as raw documents.

    Raises FileNotFoundError when `root` is not a folder. A missing file, an invalid JSON
    file or line, and files the listing does not know are reported in `skipped`.
    """
    result = ImportResult()
    for documents, skipped in iter_archive(root):
        result.documents.extend(documents)
        result.skipped.extend(skipped)
    result.files = _documents_per_file(result.documents)
    logger.info(
        "imported archive: root=%s documents=%d files=%s skipped=%d",
        root, len(result.documents), result.files, len(result.skipped),
    )
    return result


def iter_archive(root: Path) -> Iterator[tuple[list[RawDocument], Skipped]]:
    """Yield the raw documents of the archive's files one dataset at a time, as `import_archive` reads them.

    Only one dataset's records are in memory at a time, so a caller that stores each
    batch before taking the next needs memory for the largest file, not for all of them.
    The last item carries no documents, only the files left out (documentation, unlisted).
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(
            f"archive folder not found: {root}. Set ARCHIVE=<folder> or EINTEL_ARCHIVE to the "
            "folder that contains lawdatify/ and pages/."
        )
    spec = load_archive_spec()
    lawdatify = spec["lawdatify"]
    yield import_cases(root, lawdatify["cases"], lawdatify["local_amr"])
    yield import_appviol_docs(root, lawdatify["appviol_docs"])
    yield import_batches(root, lawdatify["batches"])
    yield import_saved_pages(root, spec["saved_pages"])
    yield [], _declared_skips(root, spec) + _unlisted_files(root, spec)


def _documents_per_file(documents: list[RawDocument]) -> dict[str, int]:
    counts = Counter(str(document.meta.get("archive_path", "")) for document in documents)
    return dict(counts)


def _declared_skips(root: Path, spec: dict[str, Any]) -> list[tuple[str, str]]:
    return [(entry["path"], entry["reason"]) for entry in spec["skipped"] if (root / entry["path"]).exists()]


def _unlisted_files(root: Path, spec: dict[str, Any]) -> list[tuple[str, str]]:
    listed = {entry["path"] for entry in spec["lawdatify"].values()}
    listed |= {entry["path"] for entry in spec["saved_pages"]}
    listed |= {entry["path"] for entry in spec["skipped"]}

    unlisted = []
    for path in sorted(root.rglob("*")):
        relative_path = path.relative_to(root).as_posix()
        if path.is_file() and relative_path not in listed and path.suffix not in DOCUMENTATION_SUFFIXES:
            logger.warning("archive file not listed in archive.yaml: path=%s", relative_path)
            unlisted.append((relative_path, "not listed in scrapers/importers/archive.yaml"))
    return unlisted


__all__ = ["ImportResult", "import_archive", "load_archive_spec"]
