"""The whole flow, spreadsheet in → results out: what the CLI and library callers run."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import logging
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Literal, Protocol

from . import __version__
from .catalog import catalog_path, describe, load_catalog
from .client import QualiphyClient
from .errors import UsageError
from .fields import DateOrderDecision
from .journal import Journal, default_journal_path
from .load import open_table
from .models import CheckedRow, RowResult, RunSummary, SourceRow, Status, Table
from .report import RESULT_COLUMNS, ResultsWriter, restore
from .secret import Secret
from .send import VERIFY_ADVICE, Job, RowEvent, Sender
from .settings import Settings, canonical_base_url
from .validate import make_checker

log = logging.getLogger("bulk_invite.pipeline")

Command = Literal["check", "send"]

# Columns an earlier results workbook added; reading one back (the fix loop) drops them, but
# keeps ``source_row`` so the new results say where each row first came from.
_OLD_RESULT_COLUMNS = frozenset(RESULT_COLUMNS) | {"error"}


class Progress(Protocol):
    """Receives progress: a phase with its row total (None when unknown), then each row."""

    def start(self, phase: str, total: int | None) -> None:
        """A phase begins."""

    def advance(self, event: RowEvent) -> None:
        """One row reached its final status."""


# Messages for rows the journal already knows.
_ALREADY_SENT = "Already sent on {sent_at} (row {row} of an earlier run); not sent again."
_STILL_UNKNOWN = "An earlier run may have created this invite (its outcome is unknown)." + (
    VERIFY_ADVICE
)


def default_output(path: Path) -> Path:
    """``<input stem>.results.xlsx`` beside the input, or ``.results-2.xlsx``, ``-3``… : a default
    name never replaces an existing workbook, which may hold a person's fixes (``-o`` does)."""
    match = re.fullmatch(r"(.*)\.results(?:-(\d+))?", path.stem)
    stem, number = (path.stem, 1) if match is None else (match[1], int(match[2] or 1) + 1)
    while True:
        name = f"{stem}.results.xlsx" if number == 1 else f"{stem}.results-{number}.xlsx"
        candidate = path.with_name(name)
        if not candidate.exists() and candidate != path:
            return candidate
        number += 1


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def exit_code_for(counts: Mapping[str, int], stop_code: int | None) -> int:
    """The documented exit code for a run's counts and early stop, most serious first."""
    if stop_code is not None:
        return stop_code
    if counts.get(Status.UNKNOWN, 0):
        return 4
    if any(counts.get(s, 0) for s in (Status.INVALID, Status.DUPLICATE, Status.REJECTED)):
        return 1
    if counts.get(Status.NOT_SENT, 0):
        return 1
    return 0


def _check_result(row: CheckedRow) -> RowResult:
    return RowResult(
        status=row.status,
        error=" ".join(i.message for i in row.errors),
        warnings=" ".join(i.message for i in row.warnings),
    )


@dataclasses.dataclass
class _Sent:
    """What the send phase hands back to the writer."""

    results: dict[int, RowResult]
    journal: Path
    requests: int = 0
    seconds: float = 0.0
    stop_reason: str | None = None
    stop_code: int | None = None
    recovered: int = 0


def run(
    path: Path,
    settings: Settings,
    *,
    command: Command = "check",
    stop_event: threading.Event | None = None,
    progress: Progress | None = None,
    today: date | None = None,
) -> RunSummary:
    """Check (or check and send) one patient list, write its results workbook, return a summary."""
    started = datetime.now(UTC)
    clock = time.monotonic()
    run_id = uuid.uuid4().hex[:12]
    sha256 = file_sha256(path) if path.is_file() else ""
    table = open_table(path, sheet=settings.sheet, encoding=settings.encoding)
    _require_headers(table, settings.required_headers)
    echo = list(range(len(table.headers)))
    if _is_results_workbook(table.headers):
        table = _read_back(table)
        echo = _echoed_columns(table.headers)
    output = settings.output or default_output(path)
    catalog = settings.catalog
    if catalog is None:
        catalog = load_catalog(catalog_path(settings.base_url, sandbox=settings.sandbox))
    checker = make_checker(table, settings, catalog, today=today)
    log.info("run started")  # only once the file and its columns are known to be usable
    checked = checker.check(table.rows)
    counts: Counter[str] = Counter({s.value: 0 for s in Status})
    sent: _Sent | None = None
    if command == "send" and not settings.dry_run:
        # Sending needs every row's fate before the results can be written in input order.
        rows = list(checked)
        sent = _send(rows, settings, run_id, started, path.name, sha256, stop_event, progress,
                     catalog)  # fmt: skip
        checked = iter(rows)
    elif progress is not None:
        progress.start("Checking", None)
    with ResultsWriter(output, [table.headers[i] for i in echo]) as writer:
        for row in checked:
            if sent is None:
                result = _check_result(row)
                if progress is not None:
                    progress.advance(RowEvent(row.source.number, result.status, None, 0, ""))
            else:
                result = _with_warnings(sent.results[row.source.number], row)
            counts[result.status] += 1
            source = row.source
            if len(echo) != len(table.headers):
                source = SourceRow(source.number, tuple(source.cells[i] for i in echo))
            writer.add(source, result)
        summary = RunSummary(
            command=command if not settings.dry_run else "send --dry-run",
            counts=dict(counts),
            rows=sum(counts.values()),
            exit_code=exit_code_for(counts, sent.stop_code if sent else None),
            input_file=path.name,
            input_sha256=sha256,
            results_file=str(output),
            run_id=run_id,
            started_at=started.isoformat(timespec="seconds"),
            finished_at=datetime.now(UTC).isoformat(timespec="seconds"),
            duration_seconds=time.monotonic() - clock,
            version=__version__,
            journal=str(sent.journal) if sent else None,
            sent_requests=sent.requests if sent else 0,
            achieved_rate=round(sent.requests / sent.seconds, 3) if sent and sent.seconds else None,
            aborted_reason=sent.stop_reason if sent else None,
            settings=settings.public(),
            date_order=checker.date_order.order if checker.date_order else None,
            notes=(
                *table.notes,
                *_run_notes(checker.date_order, catalog),
                *_journal_notes(sent),
            ),
        )
        writer.finish(summary)
    log.info("run finished", extra={"count": summary.rows, "exit_code": summary.exit_code})
    return summary


def _require_headers(table: Table, required: tuple[str, ...]) -> None:
    """A ``--map`` naming a column the file lacks is a typo, not a mapping for another export."""
    present = {h.strip().casefold() for h in table.headers}
    missing = [h for h in required if h.strip().casefold() not in present]
    if missing:
        raise UsageError(
            f"--map names a column {table.source_name} does not have: {', '.join(missing)} "
            f"(its columns are: {', '.join(table.headers)})."
        )


def _is_results_workbook(headers: tuple[str, ...]) -> bool:
    """True for our own Results or To fix sheet (not a file that has a "Status" column)."""
    names = {h.strip().lower() for h in headers}
    return {"status", "meeting_url", "sent_at"} <= names or {"error", "source_row"} <= names


def _read_back(table: Table) -> Table:
    """A results workbook fed back in (the fix loop): cells as the person typed them."""
    rows = (SourceRow(r.number, tuple(restore(c) for c in r.cells)) for r in table.rows)
    return dataclasses.replace(table, rows=rows)


def _echoed_columns(headers: tuple[str, ...]) -> list[int]:
    """Input columns echoed into the results: all but an earlier run's result columns."""
    return [i for i, h in enumerate(headers) if h.strip().lower() not in _OLD_RESULT_COLUMNS]


def _journal_notes(sent: _Sent | None) -> list[str]:
    if sent is None or not sent.recovered:
        return []
    return [
        f"{sent.recovered} invites were being sent when an earlier run stopped; they are now "
        "unknown (check the Qualiphy portal, then --resend-unknown if they are missing)."
    ]


def _run_notes(order: DateOrderDecision | None, catalog: Mapping[int, int] | None) -> list[str]:
    notes = []
    names = {"mdy": "month/day/year", "dmy": "day/month/year", "ymd": "year/month/day"}
    if order is not None and order.conflicting:
        notes.append(
            "Dates of birth in this file are written both day-first and month-first; dates "
            f"like 03/04/1990 were read as {names[order.order]} and carry a warning: check them."
        )
    elif order is not None and order.from_header:
        notes.append(
            f"Dates of birth were read as {names[order.order]}, as the column header says."
        )
    elif order is not None and order.assumed and (order.month_first or order.day_first) == 0:
        notes.append(
            f"Dates of birth like 03/04/1990 were read as {names[order.order]} "
            "(--date-order): no date in the file could tell."
        )
    elif order is not None and not order.assumed and (order.month_first or order.day_first):
        notes.append(
            f"Dates of birth were read as {'day' if order.order == 'dmy' else 'month'} first, "
            "as the file's unambiguous dates show."
        )
    notes.append(
        f"Exam catalog: {describe(catalog)}."
        if catalog
        else "No exam catalog: exam IDs were not checked (run `bulk-invite exams --save`)."
    )
    return notes


def _with_warnings(result: RowResult, row: CheckedRow) -> RowResult:
    if row.warnings and not result.warnings:
        return dataclasses.replace(result, warnings=" ".join(i.message for i in row.warnings))
    return result


def _send(
    rows: list[CheckedRow],
    settings: Settings,
    run_id: str,
    started: datetime,
    input_name: str,
    sha256: str,
    stop_event: threading.Event | None,
    progress: Progress | None,
    catalog: Mapping[int, int] | None,
) -> _Sent:
    """Plan against the journal, send what is left, and record the run."""
    with contextlib.ExitStack() as stack:
        base_url, key = endpoint(settings, stack)
        journal_path = settings.journal or default_journal_path(base_url, sandbox=settings.sandbox)
        serves = "the sandbox" if settings.sandbox else canonical_base_url(base_url)
        journal = stack.enter_context(
            Journal(journal_path, lock_wait=settings.lock_wait, endpoint=serves)
        )
        journal.start_run(run_id, started.isoformat(timespec="seconds"), input_name, sha256)
        results, jobs = _plan(rows, journal, settings)
        sender = Sender(
            dataclasses.replace(settings, base_url=base_url),
            journal,
            lambda: QualiphyClient(
                base_url,
                key,
                timeouts=settings.timeouts,
                max_response_bytes=settings.max_response_bytes,
            ),
            run_id=run_id,
            stop_event=stop_event,
            on_row=progress.advance if progress is not None else None,
            catalog=catalog,
        )
        if progress is not None:
            progress.start("Sending", len(jobs))
        began = time.monotonic()
        results.update(sender.run(jobs))
        _account_for_every_row(rows, results)
        sent = _Sent(
            results,
            journal_path,
            sender.requests_sent,
            time.monotonic() - began,
            sender.stop_reason,
            sender.stop_exit_code,
            journal.recovered,
        )
        counts = Counter(r.status.value for r in results.values())
        journal.finish_run(
            run_id,
            datetime.now(UTC).isoformat(timespec="seconds"),
            exit_code_for(counts, sent.stop_code),
        )
    return sent


def endpoint(settings: Settings, stack: contextlib.ExitStack) -> tuple[str, Secret]:
    """The base URL and key to send with: the in-process sandbox's, or the configured ones."""
    if settings.sandbox:
        from .sandbox import DEMO_API_KEY, Sandbox

        sandbox = stack.enter_context(Sandbox().start())
        return sandbox.base_url, Secret(DEMO_API_KEY)
    if settings.api_key is None:
        raise UsageError("No API key was given for sending.")
    return settings.base_url, settings.api_key


def _plan(
    rows: Iterable[CheckedRow], journal: Journal, settings: Settings
) -> tuple[dict[int, RowResult], list[Job]]:
    """Decide, from the journal, which valid rows go out and which are already accounted for."""
    results: dict[int, RowResult] = {}
    jobs: list[Job] = []
    window = settings.dedup_window_days * 86400
    now = time.time()
    for row in rows:
        number = row.source.number
        if row.invite is None:
            results[number] = _check_result(row)
            continue
        # Repeats inside the file are already `duplicate` rows: validation and this key share
        # one identity rule (models.invite_identity).
        key = journal.key(row.invite.payload)
        entry = None if settings.force else journal.lookup(key)
        if entry is not None and entry.state == "unknown" and not settings.resend_unknown:
            # However old: nobody has yet said whether this patient got an invite.
            results[number] = RowResult(Status.UNKNOWN, error=_STILL_UNKNOWN)
            continue
        if (
            entry is not None
            and entry.state == "sent"
            and entry.sent_epoch is not None
            and now - entry.sent_epoch <= window
        ):
            results[number] = RowResult(
                Status.ALREADY_SENT,
                entry.meeting_url,
                entry.meeting_uuid,
                entry.patient_exam_ids,
                attempts=0,
                http_status=entry.http_status,
                sent_at=entry.sent_at,
                warnings=_ALREADY_SENT.format(sent_at=entry.sent_at, row=entry.source_row),
            )
            continue
        jobs.append(Job(row.invite, key))
    return results, jobs


def _account_for_every_row(rows: list[CheckedRow], results: dict[int, RowResult]) -> None:
    """The run's invariant: every input row ends with exactly one final status.

    A row without one would be a bug; it is reported ``unknown`` (never ``not_sent``, which a
    later run would send) so that nothing can go out twice because of it.
    """
    for row in rows:
        if row.source.number not in results:
            log.error("row without an outcome", extra={"row": row.source.number})
            results[row.source.number] = RowResult(
                Status.UNKNOWN, error="No outcome was recorded for this row." + VERIFY_ADVICE
            )
