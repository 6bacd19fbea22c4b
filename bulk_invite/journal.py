"""The SQLite write-ahead journal: row states, crash recovery, cross-run dedup and the run lock.

Every invite is known by a keyed hash of who it is for and which exams it asks for, so a
reordered list, a list with new rows appended, or last night's file sent again all find the
invites already made. The key is an HMAC with a secret kept in the journal itself, so the hashes
cannot be matched against guessed patients by anyone without the journal.

Row states: ``pending → sending → sent | rejected | unknown``, or back to ``pending`` when the
request provably never arrived. ``sending`` is committed before the request goes out; a row
found in ``sending`` when the journal is opened was in flight when a run died, so it is
``unknown``: the invite may exist.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import hmac
import os
import secrets
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import platformdirs

from .errors import JournalLockedError, OutputError, UsageError
from .models import invite_identity
from .settings import canonical_base_url

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS invites (
    key TEXT PRIMARY KEY,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'rejected', 'unknown')),
    run_id TEXT NOT NULL,
    source_row INTEGER,
    attempts INTEGER NOT NULL DEFAULT 0,
    http_status INTEGER,
    error TEXT NOT NULL DEFAULT '',
    meeting_url TEXT NOT NULL DEFAULT '',
    meeting_uuid TEXT NOT NULL DEFAULT '',
    patient_exam_ids TEXT NOT NULL DEFAULT '',
    sent_at TEXT NOT NULL DEFAULT '',
    sent_epoch REAL,
    updated_epoch REAL NOT NULL,
    prior_state TEXT
);
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    input_name TEXT NOT NULL,
    input_sha256 TEXT NOT NULL,
    exit_code INTEGER
);
"""


@dataclass(frozen=True, slots=True)
class Entry:
    """What the journal remembers of one invite."""

    key: str
    state: str
    run_id: str
    source_row: int | None
    attempts: int
    http_status: int | None
    error: str
    meeting_url: str
    meeting_uuid: str
    patient_exam_ids: tuple[int, ...]
    sent_at: str
    sent_epoch: float | None
    updated_epoch: float


def default_journal_path(base_url: str, *, sandbox: bool = False) -> Path:
    """The per-user journal shared by all runs against ``base_url`` (the sandbox has its own)."""
    root = Path(platformdirs.user_state_dir("bulk-invite", appauthor=False))
    if sandbox:
        return root / "sandbox-journal.sqlite"
    digest = hashlib.sha256(canonical_base_url(base_url).encode()).hexdigest()[:12]
    return root / f"journal-{digest}.sqlite"


def _owner_only(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.chmod(path, 0o600)


class Journal:
    """One open journal file: thread-safe, locked for one run at a time, durable per commit."""

    def __init__(
        self,
        path: Path,
        *,
        lock_wait: float = 0.0,
        endpoint: str | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.path = path
        self._clock = clock
        self._mutex = threading.Lock()
        old_umask = os.umask(0o077)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._lock_file = _acquire_lock(path.with_name(path.name + ".lock"), lock_wait, sleep)
            try:
                self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                self._db.executescript(SCHEMA)
            except sqlite3.DatabaseError as exc:
                self._lock_file.close()
                raise OutputError(f"Cannot open the journal {path}: {exc}.") from None
        finally:
            os.umask(old_umask)
        for suffix in ("", "-wal", "-shm"):
            _owner_only(Path(str(path) + suffix))
        try:
            self._secret = self._load_secret()
            if endpoint is not None:
                self._claim_endpoint(endpoint)
            self.recovered = self._recover()
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> Journal:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the database and release the run lock."""
        with self._mutex:
            self._db.close()
        self._lock_file.close()

    def key(self, payload: Mapping[str, Any]) -> str:
        """The dedup key of an invite: HMAC-SHA256 of its identity under the journal's secret."""
        return hmac.new(self._secret, invite_identity(payload).encode(), hashlib.sha256).hexdigest()

    def lookup(self, key: str) -> Entry | None:
        """The journal's record of ``key``, if any."""
        with self._mutex:
            row = self._db.execute("SELECT * FROM invites WHERE key = ?", (key,)).fetchone()
        return _entry(row) if row else None

    def mark_sending(self, key: str, run_id: str, source_row: int) -> None:
        """Commit that the request for ``key`` is about to go out (before the POST)."""
        now = self._clock()
        self._write(
            """INSERT INTO invites (key, state, run_id, source_row, attempts, updated_epoch)
               VALUES (?, 'sending', ?, ?, 1, ?)
               ON CONFLICT (key) DO UPDATE SET state = 'sending', run_id = excluded.run_id,
                 prior_state = CASE WHEN invites.state IN ('sent', 'unknown') THEN invites.state
                                    WHEN invites.state = 'sending' THEN invites.prior_state
                                    ELSE NULL END,
                 source_row = excluded.source_row, updated_epoch = excluded.updated_epoch,
                 attempts = CASE WHEN invites.run_id = excluded.run_id
                                 THEN invites.attempts + 1 ELSE 1 END,
                 error = '', http_status = NULL""",
            (key, run_id, source_row, now),
        )

    def mark_sent(
        self,
        key: str,
        *,
        http_status: int | None,
        meeting_url: str,
        meeting_uuid: str,
        patient_exam_ids: tuple[int, ...],
        sent_at: str,
    ) -> None:
        """Commit that the invite for ``key`` was created."""
        now = self._clock()
        self._write(
            """UPDATE invites SET state = 'sent', http_status = ?, meeting_url = ?,
                 meeting_uuid = ?, patient_exam_ids = ?, sent_at = ?, sent_epoch = ?,
                 error = '', prior_state = NULL, updated_epoch = ? WHERE key = ?""",
            (
                http_status,
                meeting_url,
                meeting_uuid,
                ",".join(str(i) for i in patient_exam_ids),
                sent_at,
                now,
                now,
                key,
            ),
        )

    def mark_done(self, key: str, state: str, *, http_status: int | None, error: str) -> None:
        """Commit a final ``rejected`` or ``unknown`` outcome, or ``pending`` (never arrived).

        A forced resend of an invite that exists (or may exist) that ends ``pending`` or
        ``rejected`` leaves the journal saying so, so a later plain run still does not send it.
        """
        if state not in ("rejected", "unknown", "pending"):
            raise ValueError(state)
        self._write(
            """UPDATE invites SET
                 state = CASE WHEN ? = 'unknown' THEN 'unknown'
                              WHEN prior_state IN ('sent', 'unknown') THEN prior_state
                              ELSE ? END,
                 prior_state = NULL, http_status = ?, error = ?, updated_epoch = ?
               WHERE key = ?""",
            (state, state, http_status, error, self._clock(), key),
        )

    def start_run(self, run_id: str, started_at: str, input_name: str, sha256: str) -> None:
        """Record that a run began."""
        self._write(
            "INSERT INTO runs (run_id, started_at, input_name, input_sha256) VALUES (?, ?, ?, ?)",
            (run_id, started_at, input_name, sha256),
        )

    def finish_run(self, run_id: str, finished_at: str, exit_code: int) -> None:
        """Record how a run ended."""
        self._write(
            "UPDATE runs SET finished_at = ?, exit_code = ? WHERE run_id = ?",
            (finished_at, exit_code, run_id),
        )

    def states(self) -> dict[str, int]:
        """How many invites the journal holds in each state."""
        with self._mutex:
            rows = self._db.execute("SELECT state, COUNT(*) FROM invites GROUP BY state")
            return {str(state): int(n) for state, n in rows}

    def _write(self, sql: str, params: tuple[Any, ...]) -> None:
        with self._mutex:
            self._db.execute(sql, params)  # autocommit: each statement is its own durable commit

    def _load_secret(self) -> bytes:
        with self._mutex:
            row = self._db.execute("SELECT value FROM meta WHERE name = 'hmac_key'").fetchone()
            if row:
                return bytes.fromhex(row[0])
            value = secrets.token_bytes(32)
            self._db.execute(
                "INSERT OR IGNORE INTO meta (name, value) VALUES ('hmac_key', ?)", (value.hex(),)
            )
            stored = self._db.execute("SELECT value FROM meta WHERE name = 'hmac_key'").fetchone()
            return bytes.fromhex(stored[0])

    def _claim_endpoint(self, endpoint: str) -> None:
        """Tie the journal to one API (or the sandbox): its records mean nothing elsewhere."""
        with self._mutex:
            self._db.execute(
                "INSERT OR IGNORE INTO meta (name, value) VALUES ('endpoint', ?)", (endpoint,)
            )
            row = self._db.execute("SELECT value FROM meta WHERE name = 'endpoint'").fetchone()
        if row[0] != endpoint:
            raise UsageError(
                f"The journal {self.path} records invites sent to {row[0]}, not {endpoint}: "
                "give this run its own --journal (or none, to use the default)."
            )

    def _recover(self) -> int:
        with self._mutex:
            cursor = self._db.execute(
                """UPDATE invites SET state = 'unknown', updated_epoch = ?,
                     error = 'A run stopped while this invite was being sent.'
                   WHERE state = 'sending'""",
                (self._clock(),),
            )
            return cursor.rowcount


def _entry(row: tuple[Any, ...]) -> Entry:
    ids = tuple(int(i) for i in str(row[9]).split(",") if i)
    return Entry(
        key=row[0],
        state=row[1],
        run_id=row[2],
        source_row=row[3],
        attempts=row[4],
        http_status=row[5],
        error=row[6],
        meeting_url=row[7],
        meeting_uuid=row[8],
        patient_exam_ids=ids,
        sent_at=row[10],
        sent_epoch=row[11],
        updated_epoch=row[12],
    )


class _LockFile:
    def __init__(self, fd: int) -> None:
        self._fd = fd

    def close(self) -> None:
        if self._fd >= 0:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = -1


def _acquire_lock(path: Path, wait: float, sleep: Callable[[float], None]) -> _LockFile:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline = time.monotonic() + wait
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return _LockFile(fd)
        except BlockingIOError:
            if time.monotonic() >= deadline:
                os.close(fd)
                advice = (
                    f"it still had it after {wait:g} s of waiting"
                    if wait
                    else "wait for it to finish, or pass --lock wait to queue behind it"
                )
                raise JournalLockedError(
                    f"Another bulk-invite run is using the journal {path.with_suffix('')}; "
                    f"{advice}."
                ) from None
            sleep(min(0.5, max(0.01, deadline - time.monotonic())))


def iter_entries(path: Path) -> Iterator[Entry]:
    """Every entry of a journal file, read without taking the run lock (for tests and audits)."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        yield from (_entry(r) for r in db.execute("SELECT * FROM invites"))
    finally:
        db.close()
