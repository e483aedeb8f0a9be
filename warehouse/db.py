"""Connections to the DuckDB warehouse file and its schema.

Readers open the file read-only. Writers never open it: `open_for_update` copies it to a
working file, writes there and renames the result over the file (see its docstring), so
the dashboard keeps reading the old file while a load runs.
"""

from __future__ import annotations

import fcntl
import logging
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


# Free disk space a writer needs beyond the working copy itself, as a share of the file size.
FREE_SPACE_MARGIN = 0.2


def working_path(path: Path) -> Path:
    """Return the working file next to `path` that `open_for_update` writes."""
    return path.with_name(path.name + ".next")


def writer_lock_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


@contextmanager
def open_for_update(path: Path | str, wait_seconds: float = 0.0) -> Iterator[duckdb.DuckDBPyConnection]:
    """Yield a writable connection to a copy of the warehouse and swap the copy in on success.

    It takes the writer lock (`<file>.lock`, one writer at a time) and copies the file to
    `<file>.next` under a read-only connection, so no direct writer changes it mid-copy.
    The caller writes through the yielded connection. The copy is then checkpointed,
    closed and moved over the file with `os.replace`. Readers that opened the old file keep reading it
    until they close, and every new reader sees the whole new file, so a query never sees
    part of a load. If the block raises, the copy is deleted and the file stays as it was.

    Waits up to `wait_seconds` for another writer, then raises WarehouseLockedError.
    Raises WarehouseError when the disk has no room for the copy.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    with _writer_lock(path, deadline):
        work = working_path(path)
        _remove_database_file(work)  # left by a writer that was killed
        if path.exists():
            _copy_for_update(path, work, deadline)
        con = duckdb.connect(str(work))
        try:
            ensure_schema(con)
            yield con
            con.execute("CHECKPOINT")
        except BaseException:
            con.close()
            _remove_database_file(work)
            logger.warning("Warehouse update failed; %s is unchanged and the working copy was removed", path)
            raise
        con.close()
        _publish(work, path)


@contextmanager
def _writer_lock(path: Path, deadline: float) -> Iterator[None]:
    lock_path = writer_lock_path(path)
    with open(lock_path, "a+", encoding="utf-8") as handle:
        announced = False
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    handle.seek(0)
                    holder = handle.read().strip() or "unknown"
                    raise WarehouseLockedError(
                        f"the warehouse file {path} is being updated by another process (PID {holder}). "
                        "A load, an import or an embedding run is writing it; try again when it finishes."
                    ) from None
                if not announced:
                    handle.seek(0)
                    logger.warning(
                        "Warehouse %s is being updated by another process (PID %s); waiting up to %.0f s",
                        path, handle.read().strip() or "unknown", max(0.0, deadline - time.monotonic()),
                    )
                    announced = True
                time.sleep(LOCK_RETRY_SECONDS)
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def _copy_for_update(path: Path, work: Path, deadline: float) -> None:
    size = path.stat().st_size
    free = shutil.disk_usage(path.parent).free
    if free < size * (1 + FREE_SPACE_MARGIN):
        raise WarehouseError(
            f"not enough disk space to update {path}: the update writes a copy of {size / 2**20:.0f} MiB "
            f"but {free / 2**20:.0f} MiB are free in {path.parent}. Free some space and run the command again."
        )
    started = time.monotonic()
    # The read-only connection keeps out a process that opened the file for writing directly.
    live = connect(path, read_only=True, wait_seconds=max(0.0, deadline - time.monotonic()))
    try:
        shutil.copyfile(path, work)
        wal = path.with_name(path.name + ".wal")
        if wal.exists():
            # Changes a direct writer left unsaved; DuckDB replays them when it opens the copy.
            shutil.copyfile(wal, work.with_name(work.name + ".wal"))
    finally:
        live.close()
    logger.info("Copied warehouse %s for update: bytes=%d seconds=%.2f", path, size, time.monotonic() - started)


def _publish(work: Path, path: Path) -> None:
    """Rename the finished copy over the file, durably, so a crash leaves one or the other."""
    wal = work.with_name(work.name + ".wal")
    if wal.exists():
        # A closed DuckDB connection checkpoints its WAL; one left over would hold unsaved changes.
        raise WarehouseError(f"the working copy {work} still has a WAL file after closing; {path} was not replaced")
    with open(work, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(work, path)
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    logger.info("Published warehouse update: %s", path)


def _remove_database_file(path: Path) -> None:
    for leftover in (path, path.with_name(path.name + ".wal")):
        leftover.unlink(missing_ok=True)
