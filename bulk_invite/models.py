"""Plain data shared by every stage: rows, issues, invites, outcomes and row results."""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class Severity(enum.StrEnum):
    """How bad an issue is: errors stop the row, warnings do not."""

    ERROR = "error"
    WARNING = "warning"


class Status(enum.StrEnum):
    """The one final status every input row ends with."""

    SENT = "sent"
    ALREADY_SENT = "already_sent"
    VALID = "valid"
    INVALID = "invalid"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"
    UNKNOWN = "unknown"
    NOT_SENT = "not_sent"


#: Statuses that need a person to act before the row can go out.
NEEDS_FIXING = frozenset({Status.INVALID, Status.REJECTED})


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem with one field of one row, in words an ops person can act on."""

    row: int
    field: str
    code: str
    message: str
    severity: Severity = Severity.ERROR

    @property
    def is_error(self) -> bool:
        """True when the issue stops the row from being sent."""
        return self.severity is Severity.ERROR

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True, slots=True)
class SourceRow:
    """One data row as the person saw it: cells as text, and the row number Excel shows."""

    number: int
    cells: tuple[str, ...]


def invite_identity(payload: Mapping[str, Any]) -> str:
    """Who an invite is for and which exams it asks for: the one rule for "the same invite".

    Used both for duplicates inside a file and for the journal's cross-run dedup key.
    """
    return json.dumps(
        [
            str(payload.get("email", "")).strip().casefold(),
            str(payload.get("dob", "")),
            str(payload.get("first_name", "")).strip().casefold(),
            str(payload.get("last_name", "")).strip().casefold(),
            sorted(int(e) for e in payload.get("exams", ())),
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )


@dataclass(frozen=True, slots=True)
class Invite:
    """A validated, normalized ``exam_invite`` request body (without the API key)."""

    row: int
    payload: Mapping[str, Any]

    @property
    def exams(self) -> tuple[int, ...]:
        """The exam IDs of this invite."""
        return tuple(self.payload["exams"])

    @property
    def tele_state(self) -> str:
        """The patient's telehealth state code."""
        return str(self.payload["tele_state"])


@dataclass(frozen=True, slots=True)
class CheckedRow:
    """A source row after validation: its invite (when valid) and its issues."""

    source: SourceRow
    invite: Invite | None
    issues: tuple[Issue, ...]
    status: Status
    duplicate_of: int | None = None

    @property
    def errors(self) -> tuple[Issue, ...]:
        """The issues that stop the row."""
        return tuple(i for i in self.issues if i.is_error)

    @property
    def warnings(self) -> tuple[Issue, ...]:
        """The issues that do not stop the row."""
        return tuple(i for i in self.issues if not i.is_error)


@dataclass(frozen=True, slots=True)
class RowResult:
    """What happened to one row: the columns appended to the results workbook."""

    status: Status
    meeting_url: str = ""
    meeting_uuid: str = ""
    patient_exam_ids: tuple[int, ...] = ()
    error: str = ""
    warnings: str = ""
    attempts: int = 0
    http_status: int | None = None
    sent_at: str = ""


@dataclass(frozen=True, slots=True)
class ColumnMap:
    """Which input column feeds which API field, and which columns are passed through."""

    headers: tuple[str, ...]
    fields: Mapping[str, int]
    unknown: tuple[int, ...] = field(default=())

    def column_name(self, api_field: str) -> str:
        """The input header that feeds ``api_field`` (or the field name when absent)."""
        index = self.fields.get(api_field)
        return self.headers[index] if index is not None else api_field


@dataclass(frozen=True)
class Table:
    """A patient list as read from a file: headers, then rows streamed once, in file order."""

    headers: tuple[str, ...]
    rows: Any  # Iterable[SourceRow]; one pass only, so large files stream
    source_name: str
    format: str
    header_row: int = 1
    sheet: str | None = None
    encoding: str | None = None
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class RunSummary:
    """The outcome of a whole run, for the CLI, the JSON summary and library callers."""

    command: str
    counts: Mapping[str, int]
    rows: int
    exit_code: int
    input_file: str
    input_sha256: str
    results_file: str | None
    run_id: str
    started_at: str
    finished_at: str
    duration_seconds: float
    version: str
    journal: str | None = None
    sent_requests: int = 0
    achieved_rate: float | None = None
    aborted_reason: str | None = None
    settings: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    #: The day/month order the dob column was read with (decided from the file or assumed).
    date_order: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict: counts, rows, exit code and the rest, with no patient data."""
        return {
            "command": self.command,
            "counts": dict(self.counts),
            "rows": self.rows,
            "exit_code": self.exit_code,
            "input_file": self.input_file,
            "input_sha256": self.input_sha256,
            "results_file": self.results_file,
            "journal": self.journal,
            "run_id": self.run_id,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_seconds": round(self.duration_seconds, 3),
            "sent_requests": self.sent_requests,
            "achieved_rate": self.achieved_rate,
            "aborted_reason": self.aborted_reason,
            "settings": dict(self.settings),
            "notes": list(self.notes),
            "date_order": self.date_order,
            "version": self.version,
        }
