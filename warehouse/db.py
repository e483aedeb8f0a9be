"""Connections to the DuckDB warehouse file and its schema."""

from __future__ import annotations

import logging
from importlib import resources
from pathlib import Path

import duckdb

logger = logging.getLogger(__name__)


class WarehouseError(Exception):
    """Raised when the warehouse file cannot be opened or has no data to read."""


def schema_sql() -> str:
    return resources.files("warehouse").joinpath("schema.sql").read_text(encoding="utf-8")


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file; a writable connection creates the file and its schema.

    A read-only connection to a missing file raises WarehouseError, because DuckDB
    would otherwise report a bare IO error.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseError(
            f"warehouse file not found: {path}. Build it with `eintel demo` or "
            "`eintel import` then `eintel load`, or set EINTEL_DB to an existing file."
        )

    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)

    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as error:
        raise WarehouseError(
            f"cannot open the warehouse file {path}: {error}. Point EINTEL_DB (or --db) at a DuckDB "
            "file built by `eintel demo`, or at a new path to create one."
        ) from error
    if not read_only:
        ensure_schema(con)
    return con


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables and (re)create the views; safe to run on every connection."""
    con.execute(schema_sql())
