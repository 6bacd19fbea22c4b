"""What the sandbox remembers: a durable log of created invites, and every request's arrival."""

from __future__ import annotations

import bisect
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: The invite fields kept in the log (the API key is never kept).
LOGGED_FIELDS = (
    "exams",
    "email",
    "first_name",
    "last_name",
    "dob",
    "phone_number",
    "tele_state",
    "additional_data",
)


@dataclass(frozen=True)
class RequestRecord:
    """One request as the sandbox saw it: when, where, and what it answered."""

    monotonic: float
    wall: float
    method: str
    path: str
    #: The status answered (or started), None when the connection was closed without an answer.
    status: int | None
    #: The injected fault (``"429"``, ``"503"``, ``"500"``, ``"drop"``, ``"late"``, ``"huge"``,
    #: ``"redirect"``, ``"rate_limit"``) or None for a plain answer.
    fault: str | None
    #: True when the request created an invite.
    created: bool


class InviteLog:
    """Append-only JSON Lines file of created invites; each line is on disk before the answer."""

    def __init__(self, path: Path) -> None:
        self.path = path
        # 0600 from birth: the log holds patient data.
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
        os.fchmod(self._fd, 0o600)
        self._lock = threading.Lock()

    def append(self, record: dict[str, Any]) -> None:
        """Write one invite as one line and fsync it."""
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._lock:
            view = memoryview(line)
            while view:
                written = os.write(self._fd, view)
                view = view[written:]
            os.fsync(self._fd)

    def close(self) -> None:
        """Close the file (idempotent)."""
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1


def read_invite_log(path: Path) -> list[dict[str, Any]]:
    """Every invite recorded in a sandbox invite log, in creation order (missing file: none)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    lines = text.split("\n")
    # A last line without its newline was cut short by a crash: it is not a record.
    complete = lines[:-1]
    return [json.loads(line) for line in complete if line.strip()]


def max_requests_in_window(times: Sequence[float], window: float = 1.0) -> int:
    """The most timestamps found in any half-open interval ``[t, t + window)``."""
    if window <= 0:
        raise ValueError("window must be positive")
    ordered = sorted(times)
    best = 0
    for i, start in enumerate(ordered):
        end = bisect.bisect_left(ordered, start + window, lo=i)
        best = max(best, end - i)
    return best
