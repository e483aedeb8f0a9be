"""Connections to the DuckDB warehouse file and its schema."""

from __future__ import annotations

import logging
import re
import time
from importlib import resources
from pathlib import Path

import duckdb

logger = logging.getLogger(__name__)

# Pause between attempts to open a file another process has locked.
LOCK_RETRY_SECONDS = 0.2


class WarehouseError(Exception):
    """Raised when the warehouse file cannot be opened or has no data to read."""


def schema_sql() -> str:
    return resources.files("warehouse").joinpath("schema.sql").read_text(encoding="utf-8")


class WarehouseLockedError(WarehouseError):
    """Raised when another process holds the warehouse file's lock for longer than the wait."""


def connect(path: Path | str, read_only: bool = False, wait_seconds: float = 0.0) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file; a writable connection creates the file and its schema.

    A read-only connection to a missing file raises WarehouseError, because DuckDB
    would otherwise report a bare IO error. DuckDB lets one process write a file, and no
    other process read it meanwhile: while another process holds the lock, the call retries
    for up to `wait_seconds` and then raises WarehouseLockedError.
    """
    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseError(
            f"warehouse file not found: {path}. Build it with `eintel demo` or "
            "`eintel import` then `eintel load`, or set EINTEL_DB to an existing file."
        )

    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)

    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            con = duckdb.connect(str(path), read_only=read_only)
            break
        except duckdb.IOException as error:
            if not _is_lock_conflict(error):
                raise _open_error(path, error) from error
            if time.monotonic() >= deadline:
                raise WarehouseLockedError(
                    f"the warehouse file {path} is in use by another process ({_lock_holder(error)}). "
                    "A load, a crawl or the dashboard has it open; try again when it finishes, "
                    "or stop the process that holds it."
                ) from error
            logger.info("Warehouse %s is locked by another process; retrying", path)
            time.sleep(LOCK_RETRY_SECONDS)
    if not read_only:
        ensure_schema(con)
    return con


def _is_lock_conflict(error: duckdb.IOException) -> bool:
    return "lock" in str(error).lower()


def _lock_holder(error: duckdb.IOException) -> str:
    match = re.search(r"\(PID (\d+)\)", str(error))
    return f"PID {match.group(1)}" if match else "process unknown"


def _open_error(path: Path, error: duckdb.IOException) -> WarehouseError:
    return WarehouseError(
        f"cannot open the warehouse file {path}: {error}. Point EINTEL_DB (or --db) at a DuckDB "
        "file built by `eintel demo`, or at a new path to create one."
    )


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables and (re)create the views; safe to run on every connection."""
    con.execute(schema_sql())
