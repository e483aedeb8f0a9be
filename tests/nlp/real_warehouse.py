"""One warehouse built from the real public records and embedded with the default encoder, per test session.

Embedding the whole archive takes minutes on two cores, so every module that needs it
calls `embedded_real_warehouse` and gets the same file. The first call skips the test
when the archive folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from eintel.cli import main
from eintel.settings import get_settings
from nlp.embed import embed_cases
from nlp.search import default_encoder
from tests.realdata import archive_file
from warehouse.db import connect

_built: dict[str, Path] = {}


def embedded_real_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return the path of the session's embedded real warehouse, building it on the first call.

    Builds as `eintel import` and `eintel load` do, with an empty crawl archive so that
    locally crawled responses stay out, then runs `embed_cases` with the default encoder.
    """
    if "path" in _built:
        return _built["path"]

    archive_file("lawdatify/appviol/docs.json")
    folder = tmp_path_factory.mktemp("real-embedded")
    db = folder / "eintel.duckdb"
    assert main(["--db", str(db), "import", "--archive", str(get_settings().archive_path)]) == 0
    assert main(["--db", str(db), "load", "--crawl-archive", str(folder / "no-crawls")]) == 0

    with connect(db) as con:
        embed_cases(con, default_encoder())
    _built["path"] = db
    return db
