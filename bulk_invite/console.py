"""What a person at a terminal sees: a progress bar and the end-of-run summary."""

from __future__ import annotations

import shlex
import threading
from collections import Counter
from types import TracebackType
from typing import IO, TYPE_CHECKING

from .models import RunSummary, Status
from .send import RowEvent

if TYPE_CHECKING:
    from rich.progress import TaskID

_FAILED = frozenset({Status.INVALID, Status.REJECTED, Status.UNKNOWN, Status.NOT_SENT})


class ProgressBar:
    """A rich progress bar on stderr: rows done, sent, failed, rate and time left."""

    def __init__(self, stream: IO[str]) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[detail]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=Console(file=stream),
            transient=True,
        )
        self._task: TaskID | None = None
        self._counts: Counter[Status] = Counter()
        self._lock = threading.Lock()  # workers report rows from several threads

    def __enter__(self) -> ProgressBar:
        self._progress.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._progress.stop()

    def start(self, phase: str, total: int | None) -> None:
        """Show a new bar for ``phase``."""
        if self._task is not None:
            self._progress.remove_task(self._task)
        self._counts.clear()
        self._task = self._progress.add_task(phase, total=total, detail="")

    def advance(self, event: RowEvent) -> None:
        """Count one finished row."""
        with self._lock:
            self._count(event)

    def _count(self, event: RowEvent) -> None:
        if self._task is None:
            return
        self._counts[event.status] += 1
        done = sum(self._counts.values())
        elapsed = self._progress.tasks[0].elapsed if self._progress.tasks else None
        rate = f"{done / elapsed:.1f} rows/s" if elapsed else ""
        sent = self._counts[Status.SENT] + self._counts[Status.VALID]
        failed = sum(n for s, n in self._counts.items() if s in _FAILED)
        detail = f"ok {sent}  failed {failed}  {rate}"
        self._progress.update(self._task, advance=1, detail=detail)


def summary_text(summary: RunSummary) -> str:
    """The end-of-run summary: counts by status, where the results are, what to do next."""
    counts = {k: v for k, v in summary.counts.items() if v}
    width = max((len(s) for s in counts), default=6)
    lines = [f"{summary.rows} rows in {summary.input_file}:"]
    lines += [f"  {s.value:<{width}}  {counts[s]:>7}" for s in Status if s in counts]
    lines.append(f"Results: {summary.results_file}")
    if summary.journal:
        lines.append(f"Journal: {summary.journal}")
    if summary.aborted_reason:
        lines.append(f"Stopped early: {summary.aborted_reason}")
    fix = counts.get(Status.INVALID, 0) + counts.get(Status.REJECTED, 0)
    if fix:
        lines.append(
            f"{fix} {'row needs' if fix == 1 else 'rows need'} fixing: open the 'To fix' sheet, "
            f"correct {'it' if fix == 1 else 'them'}, then run: {fix_command(summary)}"
        )
    if counts.get(Status.UNKNOWN):
        lines.append(
            f"{counts[Status.UNKNOWN]} rows may or may not have been invited: look them up in "
            "the Qualiphy portal before sending them again with --resend-unknown."
        )
    if counts.get(Status.NOT_SENT):
        when = "once the cause above is fixed, " if summary.aborted_reason else ""
        lines.append(
            f"{counts[Status.NOT_SENT]} rows were not sent: {when}run the same command again."
        )
    if summary.achieved_rate:
        lines.append(f"Sent {summary.sent_requests} requests at {summary.achieved_rate:g}/s.")
    lines.append(f"Exit code {summary.exit_code}.")
    return "\n".join(lines)


def fix_command(summary: RunSummary) -> str:
    """The command that runs the `To fix` sheet again with the options the rows depend on."""
    settings = summary.settings
    words = ["bulk-invite", "send" if summary.command.startswith("send") else "check"]
    words += [summary.results_file or "RESULTS.xlsx", "--sheet", "To fix"]
    if settings.get("exams"):
        words += ["--exams", str(settings["exams"])]
    for header, field in dict(settings.get("column_map") or {}).items():
        words += ["--map", f"{header}={field}"]
    if settings.get("carry"):
        words += ["--carry", str(settings["carry"])]
    # The `To fix` rows alone may not show the dob order this run worked out: pass it on.
    order = summary.date_order or settings.get("date_order", "mdy")
    if order != "mdy":
        words += ["--date-order", str(order)]
    if settings.get("sandbox"):
        words.append("--sandbox")
    return " ".join(shlex.quote(w) for w in words)
