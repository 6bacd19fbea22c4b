"""The SQLite journal: states, crash recovery, keyed dedup, the run lock, file modes."""

from __future__ import annotations

import os
import sqlite3
import stat
from pathlib import Path

import pytest

from bulk_invite.errors import JournalLockedError
from bulk_invite.journal import Journal, default_journal_path, iter_entries
from bulk_invite.models import invite_identity

PAYLOAD = {
    "exams": [2, 1],
    "first_name": "Ann",
    "last_name": "Lee",
    "email": "A@Example.com",
    "dob": "1990-06-30",
    "phone_number": "+15552223344",
    "tele_state": "NY",
    "additional_data": '{"source_row": 2}',
}


def test_key_ignores_row_number_case_and_exam_order(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as j:
        other = {
            **PAYLOAD,
            "exams": [1, 2],
            "email": "a@example.com",
            "first_name": "ANN",
            "additional_data": '{"source_row": 99}',
        }
        assert j.key(PAYLOAD) == j.key(other)
        assert j.key(PAYLOAD) != j.key({**PAYLOAD, "exams": [1]})


def test_key_is_keyed_per_journal(tmp_path: Path) -> None:
    with Journal(tmp_path / "a.sqlite") as a, Journal(tmp_path / "b.sqlite") as b:
        assert a.key(PAYLOAD) != b.key(PAYLOAD)
    assert "ann" in invite_identity(PAYLOAD)


def test_key_survives_reopening(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as j:
        first = j.key(PAYLOAD)
    with Journal(tmp_path / "j.sqlite") as j:
        assert j.key(PAYLOAD) == first


def test_sending_is_committed_before_the_outcome(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as j:
        key = j.key(PAYLOAD)
        j.mark_sending(key, "run1", 2)
        # A second connection sees the committed state at once: it survives a crash here.
        db = sqlite3.connect(path)
        assert db.execute("SELECT state FROM invites").fetchone() == ("sending",)
        db.close()


def test_rows_left_sending_are_unknown_after_reopening(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as j:
        key = j.key(PAYLOAD)
        j.mark_sending(key, "run1", 2)
    with Journal(path) as j:
        assert j.recovered == 1
        entry = j.lookup(key)
        assert entry is not None and entry.state == "unknown"


def test_sent_entry_keeps_meeting_and_ids(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as j:
        key = j.key(PAYLOAD)
        j.mark_sending(key, "r", 2)
        j.mark_sent(
            key,
            http_status=200,
            meeting_url="https://m/1",
            meeting_uuid="u",
            patient_exam_ids=(5, 6),
            sent_at="2026-01-01T00:00:00+00:00",
        )
        entry = j.lookup(key)
        assert entry is not None
        assert (entry.state, entry.meeting_url, entry.patient_exam_ids) == (
            "sent",
            "https://m/1",
            (5, 6),
        )
        assert j.states() == {"sent": 1}


def test_attempts_count_within_a_run_and_restart_in_a_new_one(tmp_path: Path) -> None:
    with Journal(tmp_path / "j.sqlite") as j:
        key = j.key(PAYLOAD)
        j.mark_sending(key, "r1", 2)
        j.mark_done(key, "pending", http_status=None, error="refused")
        j.mark_sending(key, "r1", 2)
        assert j.lookup(key).attempts == 2  # type: ignore[union-attr]
        j.mark_sending(key, "r2", 2)
        assert j.lookup(key).attempts == 1  # type: ignore[union-attr]


def test_second_run_on_the_same_journal_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path), pytest.raises(JournalLockedError, match="Another bulk-invite run"):
        Journal(path)
    with Journal(path):  # released on close
        pass


def test_lock_wait_gives_up_after_the_wait(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    slept: list[float] = []
    with Journal(path), pytest.raises(JournalLockedError):
        Journal(path, lock_wait=0.05, sleep=slept.append)
    assert slept  # it waited before giving up


def test_journal_files_are_owner_only_under_a_loose_umask(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        with Journal(tmp_path / "j.sqlite") as j:
            j.mark_sending(j.key(PAYLOAD), "r", 2)
            for name in ("j.sqlite", "j.sqlite-wal", "j.sqlite-shm", "j.sqlite.lock"):
                mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
                assert mode == 0o600, (name, oct(mode))
    finally:
        os.umask(old)


def test_journal_holds_no_patient_values(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite"
    with Journal(path) as j:
        key = j.key(PAYLOAD)
        j.mark_sending(key, "r", 2)
        j.mark_sent(
            key,
            http_status=200,
            meeting_url="https://m/1",
            meeting_uuid="u",
            patient_exam_ids=(5,),
            sent_at="t",
        )
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    for value in ("Ann", "Lee", "Example.com", "1990-06-30", "5552223344"):
        assert value.encode() not in raw
    assert [e.state for e in iter_entries(path)] == ["sent"]


def test_default_journal_is_per_base_url_and_separate_for_sandbox() -> None:
    a = default_journal_path("https://api.qualiphy.me")
    assert a == default_journal_path("https://api.qualiphy.me/")
    assert a != default_journal_path("https://other.example")
    assert default_journal_path("http://127.0.0.1:1", sandbox=True).name == "sandbox-journal.sqlite"
