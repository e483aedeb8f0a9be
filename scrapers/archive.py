"""Raw response archive of the crawlers: bodies by content hash, an SQLite index, crawl runs.

Layout under the archive folder:

    objects/ab/<sha256>.gz   each distinct body once, gzip-compressed, written atomically
    derived/ab/<sha256>.<key>  results computed from a body (attachment text), reusable
    index.sqlite3            responses (one row per new or changed body per URL), urls
                             (crawl state per URL), pending (requests that failed and are
                             retried first on the next run) and crawl_runs (one row per run)
    locks/<source>.lock      held while a crawl of that source runs

Every write commits before the crawler moves on, so a crawl killed with SIGKILL keeps
every response it archived. A body is written before its index row: a kill in between
leaves an unreferenced object, which the next run overwrites with the same bytes.

The warehouse never reads this module's SQLite file while a crawl runs; `eintel load`
copies what is new into DuckDB.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import logging
import os
import sqlite3
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

logger = logging.getLogger(__name__)

Outcome = Literal["new", "updated", "unchanged"]
RunStatus = Literal["running", "ok", "shape_changed", "failed", "interrupted"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS crawl_runs (
    run_id        TEXT PRIMARY KEY,
    source        TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    pages         INTEGER NOT NULL DEFAULT 0,
    new_items     INTEGER NOT NULL DEFAULT 0,
    updated_items INTEGER NOT NULL DEFAULT 0,
    errors        INTEGER NOT NULL DEFAULT 0,
    status        TEXT NOT NULL,
    message       TEXT NOT NULL DEFAULT '',
    full_crawl    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS crawl_runs_source ON crawl_runs (source, started_at);

CREATE TABLE IF NOT EXISTS responses (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    source       TEXT NOT NULL,
    url          TEXT NOT NULL,
    kind         TEXT NOT NULL,
    status       INTEGER NOT NULL,
    sha256       TEXT NOT NULL,
    content_type TEXT NOT NULL,
    headers      TEXT NOT NULL,
    meta         TEXT NOT NULL,
    fetched_at   TEXT NOT NULL,
    run_id       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS responses_url ON responses (source, url, id);

CREATE TABLE IF NOT EXISTS pending (
    source       TEXT NOT NULL,
    url          TEXT NOT NULL,
    callback     TEXT NOT NULL,
    meta         TEXT NOT NULL,
    error        TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    updated_at   TEXT NOT NULL,
    PRIMARY KEY (source, url)
);

CREATE TABLE IF NOT EXISTS urls (
    source         TEXT NOT NULL,
    url            TEXT NOT NULL,
    kind           TEXT NOT NULL,
    sha256         TEXT NOT NULL,
    fingerprint    TEXT NOT NULL DEFAULT '',
    etag           TEXT NOT NULL DEFAULT '',
    last_modified  TEXT NOT NULL DEFAULT '',
    first_run_id   TEXT NOT NULL,
    last_run_id    TEXT NOT NULL,
    first_seen     TEXT NOT NULL,
    last_changed   TEXT NOT NULL,
    PRIMARY KEY (source, url)
);
"""


class ArchiveError(Exception):
    """Raised when the archive folder cannot be used (unwritable, locked, corrupt index)."""


class SourceLockedError(ArchiveError):
    """Raised when another process is already crawling the same source."""


@dataclass(frozen=True)
class ArchivedResponse:
    """One row of the responses index: a body as fetched, with its context."""

    id: int
    source: str
    url: str
    kind: str
    status: int
    sha256: str
    content_type: str
    headers: dict[str, str]
    meta: dict[str, Any]
    fetched_at: datetime
    run_id: str


@dataclass(frozen=True)
class UrlState:
    """Crawl state of one URL: its last body and HTTP validators."""

    sha256: str
    fingerprint: str
    etag: str
    last_modified: str
    first_run_id: str
    first_run_finished: bool


@dataclass(frozen=True)
class PendingRequest:
    """A request that failed in an earlier run, to be tried again first."""

    url: str
    callback: str
    meta: dict[str, Any]
    error: str
    attempts: int


@dataclass
class RunCounts:
    """Counters of one crawl run, written to its crawl_runs row."""

    pages: int = 0
    new_items: int = 0
    updated_items: int = 0
    errors: int = 0
    messages: list[str] = field(default_factory=list)


def utcnow() -> datetime:
    return datetime.now(UTC)


def sha256_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class CrawlArchive:
    """The archive folder of one installation; safe to share between processes."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        try:
            (self.root / "objects").mkdir(parents=True, exist_ok=True)
            (self.root / "locks").mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ArchiveError(
                f"cannot create the crawl archive folder {self.root}: {exc.strerror}. "
                "Name a writable folder with --crawl-archive or EINTEL_CRAWL_ARCHIVE."
            ) from exc
        self.index_path = self.root / "index.sqlite3"
        try:
            self._db = sqlite3.connect(self.index_path, timeout=30, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ArchiveError(
                f"cannot open the archive index {self.index_path}: {exc}. Check that the folder and the "
                "file are writable by this user; if the file is damaged, restore it from a backup."
            ) from exc
        self._db.row_factory = sqlite3.Row
        self._locks: dict[str, int] = {}

    def close(self) -> None:
        for source in list(self._locks):
            self.release_source(source)
        self._db.close()

    def __enter__(self) -> CrawlArchive:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # Bodies ---------------------------------------------------------------------------

    def object_path(self, sha256: str) -> Path:
        return self.root / "objects" / sha256[:2] / f"{sha256}.gz"

    def write_body(self, body: bytes) -> str:
        """Store a body under its SHA-256 and return the hash; an existing object is kept."""
        digest = sha256_of(body)
        path = self.object_path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(handle, "wb") as tmp:
                tmp.write(gzip.compress(body, mtime=0))
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        return digest

    def read_body(self, sha256: str) -> bytes:
        path = self.object_path(sha256)
        try:
            return gzip.decompress(path.read_bytes())
        except FileNotFoundError as exc:
            raise ArchiveError(
                f"archived body {sha256} is missing ({path}). Run the crawl again with --full to refetch it."
            ) from exc

    def read_derived(self, sha256: str, key: str) -> bytes | None:
        """Read the result stored for a body under `key`; None when there is none."""
        path = self.root / "derived" / sha256[:2] / f"{sha256}.{key}"
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None

    def write_derived(self, sha256: str, key: str, data: bytes) -> None:
        path = self.root / "derived" / sha256[:2] / f"{sha256}.{key}"
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        with os.fdopen(handle, "wb") as tmp:
            tmp.write(data)
        os.replace(tmp_name, path)

    # Crawl state ----------------------------------------------------------------------

    def url_state(self, source: str, url: str) -> UrlState | None:
        row = self._db.execute(
            """
            SELECT u.sha256, u.fingerprint, u.etag, u.last_modified, u.first_run_id,
                   r.finished_at IS NOT NULL AND r.status NOT IN ('running', 'interrupted', 'failed') AS done
            FROM urls u LEFT JOIN crawl_runs r ON r.run_id = u.first_run_id
            WHERE u.source = ? AND u.url = ?
            """,
            (source, url),
        ).fetchone()
        if row is None:
            return None
        return UrlState(
            sha256=row["sha256"],
            fingerprint=row["fingerprint"],
            etag=row["etag"],
            last_modified=row["last_modified"],
            first_run_id=row["first_run_id"],
            first_run_finished=bool(row["done"]),
        )

    def store_response(
        self,
        *,
        source: str,
        url: str,
        kind: str,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str],
        meta: dict[str, Any],
        run_id: str,
        fingerprint: str = "",
        fetched_at: datetime | None = None,
    ) -> tuple[Outcome, str]:
        """Archive one parsed response and return whether its URL is new, updated or unchanged.

        An unchanged body (same SHA-256 as the URL's last one) writes nothing, so a re-run
        that finds nothing new leaves the index as it was.
        """
        fetched = (fetched_at or utcnow()).isoformat()
        previous = self.url_state(source, url)
        if previous is not None and previous.sha256 == sha256_of(body):
            if previous.fingerprint != fingerprint and fingerprint:
                self._db.execute(
                    "UPDATE urls SET fingerprint = ? WHERE source = ? AND url = ?", (fingerprint, source, url)
                )
            self.remove_pending(source, url)
            return "unchanged", previous.sha256

        digest = self.write_body(body)
        etag = headers.get("etag", "")
        last_modified = headers.get("last-modified", "")
        with self._transaction():
            self._db.execute(
                """
                INSERT INTO responses (source, url, kind, status, sha256, content_type, headers, meta, fetched_at, run_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    source,
                    url,
                    kind,
                    status,
                    digest,
                    content_type,
                    json.dumps(headers, ensure_ascii=False, sort_keys=True),
                    json.dumps(meta, ensure_ascii=False, sort_keys=True, default=str),
                    fetched,
                    run_id,
                ),
            )
            self._db.execute(
                """
                INSERT INTO urls (source, url, kind, sha256, fingerprint, etag, last_modified,
                                  first_run_id, last_run_id, first_seen, last_changed)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (source, url) DO UPDATE SET
                    sha256 = excluded.sha256, fingerprint = excluded.fingerprint,
                    etag = excluded.etag, last_modified = excluded.last_modified,
                    last_run_id = excluded.last_run_id, last_changed = excluded.last_changed
                """,
                (source, url, kind, digest, fingerprint, etag, last_modified, run_id, run_id, fetched, fetched),
            )
            self._db.execute("DELETE FROM pending WHERE source = ? AND url = ?", (source, url))
        return ("new" if previous is None else "updated"), digest

    def iter_responses(
        self, sources: list[str] | None = None, after_id: int = 0, latest_only: bool = True
    ) -> Iterator[ArchivedResponse]:
        """Yield archived responses in archive order, by default only the latest body per URL."""
        clauses = ["id > ?"]
        params: list[Any] = [after_id]
        if sources:
            clauses.append(f"source IN ({', '.join('?' for _ in sources)})")
            params.extend(sources)
        if latest_only:
            clauses.append("id = (SELECT max(id) FROM responses r2 WHERE r2.source = responses.source AND r2.url = responses.url)")
        query = f"SELECT * FROM responses WHERE {' AND '.join(clauses)} ORDER BY id"
        for row in self._db.execute(query, params):
            yield ArchivedResponse(
                id=row["id"],
                source=row["source"],
                url=row["url"],
                kind=row["kind"],
                status=row["status"],
                sha256=row["sha256"],
                content_type=row["content_type"],
                headers=json.loads(row["headers"]),
                meta=json.loads(row["meta"]),
                fetched_at=datetime.fromisoformat(row["fetched_at"]),
                run_id=row["run_id"],
            )

    def max_response_id(self) -> int:
        return int(self._db.execute("SELECT coalesce(max(id), 0) FROM responses").fetchone()[0])

    def count_responses(self, source: str | None = None) -> int:
        if source is None:
            return int(self._db.execute("SELECT count(*) FROM responses").fetchone()[0])
        return int(self._db.execute("SELECT count(*) FROM responses WHERE source = ?", (source,)).fetchone()[0])

    def add_pending(self, source: str, url: str, callback: str, meta: dict[str, Any], error: str) -> None:
        """Remember a request that failed so that the next run tries it before anything else."""
        self._db.execute(
            """
            INSERT INTO pending (source, url, callback, meta, error, attempts, updated_at)
            VALUES (?, ?, ?, ?, ?, 1, ?)
            ON CONFLICT (source, url) DO UPDATE SET
                callback = excluded.callback, meta = excluded.meta, error = excluded.error,
                attempts = pending.attempts + 1, updated_at = excluded.updated_at
            """,
            (source, url, callback, json.dumps(meta, ensure_ascii=False, default=str), error[:2000], utcnow().isoformat()),
        )

    def remove_pending(self, source: str, url: str) -> None:
        self._db.execute("DELETE FROM pending WHERE source = ? AND url = ?", (source, url))

    def pending(self, source: str) -> list[PendingRequest]:
        rows = self._db.execute(
            "SELECT url, callback, meta, error, attempts FROM pending WHERE source = ? ORDER BY updated_at", (source,)
        )
        return [
            PendingRequest(url=row["url"], callback=row["callback"], meta=json.loads(row["meta"]),
                           error=row["error"], attempts=row["attempts"])
            for row in rows
        ]

    # Runs -----------------------------------------------------------------------------

    def acquire_source(self, source: str) -> None:
        """Take the per-source lock; the kernel releases it when the process dies, even on SIGKILL."""
        path = self.root / "locks" / f"{source}.lock"
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(handle)
            raise SourceLockedError(
                f"source {source!r} is being crawled by another process (lock {path}). "
                "Wait for that crawl to finish."
            ) from exc
        self._locks[source] = handle

    def release_source(self, source: str) -> None:
        handle = self._locks.pop(source, None)
        if handle is not None:
            fcntl.flock(handle, fcntl.LOCK_UN)
            os.close(handle)

    def start_run(self, source: str, full_crawl: bool = False) -> str:
        """Open a crawl_runs row; runs of this source left 'running' by a killed process become 'interrupted'."""
        self.acquire_source(source)
        stale = self._db.execute(
            "UPDATE crawl_runs SET status = 'interrupted', message = 'process ended before the run finished' "
            "WHERE source = ? AND status = 'running'",
            (source,),
        ).rowcount
        if stale:
            logger.warning("Marked %d unfinished run(s) of source %s as interrupted", stale, source)
        run_id = uuid.uuid4().hex
        self._db.execute(
            "INSERT INTO crawl_runs (run_id, source, started_at, status, full_crawl) VALUES (?, ?, ?, 'running', ?)",
            (run_id, source, utcnow().isoformat(), int(full_crawl)),
        )
        return run_id

    def update_run(self, run_id: str, counts: RunCounts) -> None:
        """Write the counters so far, so a killed run still shows what it did."""
        self._db.execute(
            "UPDATE crawl_runs SET pages = ?, new_items = ?, updated_items = ?, errors = ? WHERE run_id = ?",
            (counts.pages, counts.new_items, counts.updated_items, counts.errors, run_id),
        )

    def finish_run(self, run_id: str, counts: RunCounts, status: RunStatus) -> None:
        self._db.execute(
            """
            UPDATE crawl_runs SET finished_at = ?, pages = ?, new_items = ?, updated_items = ?,
                   errors = ?, status = ?, message = ?
            WHERE run_id = ?
            """,
            (
                utcnow().isoformat(),
                counts.pages,
                counts.new_items,
                counts.updated_items,
                counts.errors,
                status,
                "\n".join(counts.messages)[:4000],
                run_id,
            ),
        )
        row = self._db.execute("SELECT source FROM crawl_runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is not None:
            self.release_source(row["source"])

    def crawl_runs(self, source: str | None = None) -> list[dict[str, Any]]:
        query = "SELECT * FROM crawl_runs"
        params: tuple[Any, ...] = ()
        if source is not None:
            query += " WHERE source = ?"
            params = (source,)
        return [dict(row) for row in self._db.execute(query + " ORDER BY started_at", params)]

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")
