"""The worker pool: journal → pacer → client → journal, with retries and stopping rules."""

from __future__ import annotations

import contextlib
import logging
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from tenacity import RetryCallState, Retrying, stop_after_attempt, stop_after_delay
from tenacity.wait import wait_random_exponential

from .catalog import as_mapping, parse_exam_list
from .client import (
    RUN_ENDING,
    SAFE_TO_RETRY,
    Kind,
    Outcome,
    QualiphyClient,
    may_exist,
    stop_reason,
)
from .errors import BulkInviteError
from .journal import Journal
from .models import Invite, RowResult, Status
from .pacing import Pacer
from .settings import Settings

log = logging.getLogger("bulk_invite.send")

#: Workers an automatic pool starts with, and the most it grows to.
AUTO_MIN_WORKERS = 4
AUTO_MAX_WORKERS = 32

ClientFactory = Callable[[], QualiphyClient]


@dataclass(frozen=True, slots=True)
class Job:
    """One invite to send, with its dedup key."""

    invite: Invite
    key: str


@dataclass(frozen=True, slots=True)
class RowEvent:
    """A row reached its final status (for progress bars and logs; no patient data)."""

    row: int
    status: Status
    http_status: int | None
    attempts: int
    error_class: str


@dataclass
class _Stop:
    reason: str
    exit_code: int


class Sender:
    """Sends jobs with a pool of workers sharing one pacer and one journal.

    The key is checked first (``/api/exam_list``, no patient data). With ``settings.concurrency``
    unset, the pool is sized, and resized as answers come back, so that rate × observed latency
    requests can be in flight (4 to 32 workers): the rate is reached whatever the server's
    latency, with no tuning. When the key check gives no clear answer, the first row goes out
    alone before the pool starts.
    """

    def __init__(
        self,
        settings: Settings,
        journal: Journal,
        client_factory: ClientFactory,
        *,
        run_id: str,
        pacer: Pacer | None = None,
        stop_event: threading.Event | None = None,
        on_row: Callable[[RowEvent], None] | None = None,
        catalog: Mapping[int, int] | None = None,
        sleep: Callable[[float], None] | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._settings = settings
        self._journal = journal
        self._client_factory = client_factory
        self._run_id = run_id
        self._stop_event = stop_event or threading.Event()
        self.pacer = pacer or Pacer(settings.rate, stop=self._stop_event)
        self._on_row = on_row or (lambda event: None)
        self._catalog: Mapping[int, int] = {}
        self._sleep = sleep or self._wait
        self._now = now
        self._lock = threading.Lock()
        self._results: dict[int, RowResult] = {}
        self._stop: _Stop | None = None
        self._consecutive_failures = 0
        self._blocked_states: dict[str, str] = {}
        self._rx_blocked: str | None = None
        self._rx_exams: set[int] = set()
        self._non_rx_exams: set[int] = set()
        self._learn_catalog(catalog or {})
        self.requests_sent = 0
        self._workers: list[threading.Thread] = []
        self._taken: set[int] = set()
        self._latencies: deque[float] = deque(maxlen=50)
        self._max_workers = 1
        self._next_job: Callable[[], Job | None] = lambda: None

    @property
    def stop_reason(self) -> str | None:
        """Why the run stopped early, if it did."""
        return self._stop.reason if self._stop else None

    @property
    def stop_exit_code(self) -> int | None:
        """The exit code the early stop calls for, if the run stopped early."""
        return self._stop.exit_code if self._stop else None

    def run(self, jobs: Sequence[Job]) -> dict[int, RowResult]:
        """Send every job (or stop early); return a result for every job's row."""
        queue: Iterator[Job] = iter(jobs)
        take = threading.Lock()

        def next_job() -> Job | None:
            with take:
                return next(queue, None)

        self._next_job = next_job
        self._max_workers = max(1, len(jobs))
        accepted = self._preflight() if jobs else None
        if accepted:
            self._spawn(self._wanted_workers())
        elif accepted is None:
            # No clear word on the key: the first row goes out alone, so a bad key or an
            # unsigned contract stops the run after one patient's data, not a pool's worth.
            self._spawn(1)
        while True:
            with self._lock:
                alive = [w for w in self._workers if w.is_alive()]
            if not alive:
                break
            alive[0].join(timeout=0.2)
        with self._lock:
            if self._stop is None and self._stop_event.is_set():
                self._stop = _Stop("Interrupted: no new rows were sent after the signal.", 130)
        for job in jobs:
            if job.invite.row in self._results:
                continue
            if job.invite.row in self._taken:  # a worker had it and died: it may have gone out
                self._results[job.invite.row] = RowResult(
                    Status.UNKNOWN, error="The run lost track of this row." + VERIFY_ADVICE
                )
            else:
                self._results[job.invite.row] = self._not_attempted(job)
        return dict(self._results)

    def _preflight(self) -> bool | None:
        """Check the key on ``/api/exam_list`` (no patient data) before the first invite.

        Returns True when the key works, False when it was refused (the run is stopped), None
        when there was no clear answer. A working key also yields the exam catalog, which tells
        the Rx rows apart if a ``Need to sign Prescriptive Services Contract`` answer comes.
        """
        client = self._client_factory()
        try:
            if not self.pacer.acquire():
                return None
            started = time.monotonic()
            check = client.check_key()
        finally:
            client.close()
        if check.accepted is False:
            self._request_stop(check.message, 3)
            return False
        if check.unreachable:
            self._request_stop(
                f"Could not reach the API at {self._settings.base_url} ({check.message}); nothing "
                "was sent. Check --base-url and the network, then run again.",
                3,
            )
            return False
        if check.accepted:
            self._observe(time.monotonic() - started)
            if not self._catalog and check.catalog is not None:
                with contextlib.suppress(BulkInviteError):
                    self._learn_catalog(as_mapping(parse_exam_list(check.catalog)))
        return check.accepted

    def _learn_catalog(self, catalog: Mapping[int, int]) -> None:
        """Which exams are Rx (``rx_type`` 2): only those rows stop on a missing Rx contract."""
        with self._lock:
            self._catalog = catalog
            self._rx_exams = {e for e, rx in catalog.items() if rx == 2}
            self._non_rx_exams = {e for e, rx in catalog.items() if rx != 2}

    @property
    def workers(self) -> int:
        """How many workers the run has used so far."""
        with self._lock:
            return len(self._workers)

    def _spawn(self, up_to: int) -> None:
        """Start workers until the pool has ``up_to`` of them."""
        started = []
        with self._lock:
            while len(self._workers) < min(up_to, self._max_workers):
                worker = threading.Thread(
                    target=self._worker, name=f"sender-{len(self._workers)}", daemon=True
                )
                self._workers.append(worker)
                started.append(worker)
        for worker in started:
            worker.start()

    def _wanted_workers(self) -> int:
        """Fixed concurrency, or enough workers to keep the rate busy at the observed latency."""
        if self._settings.concurrency:
            return self._settings.concurrency
        with self._lock:
            recent = sorted(self._latencies)
        if not recent:  # until latency is measured, assume a quarter-second API
            guess = math.ceil(self.pacer.max_rate / 4)
            return max(AUTO_MIN_WORKERS, min(AUTO_MAX_WORKERS, guess))
        p90 = recent[int(0.9 * (len(recent) - 1))]
        wanted = math.ceil(self.pacer.max_rate * p90 * 1.25) + 1
        return max(AUTO_MIN_WORKERS, min(AUTO_MAX_WORKERS, wanted))

    def _observe(self, seconds: float) -> None:
        with self._lock:
            self._latencies.append(seconds)

    def _worker(self) -> None:
        client = self._client_factory()
        try:
            while not self._stopping():
                job = self._next_job()
                if job is None:
                    break
                with self._lock:
                    self._taken.add(job.invite.row)
                blocked = self._blocked_reason(job.invite)
                if blocked:
                    self._finish(job, RowResult(Status.NOT_SENT, error=blocked), "")
                    continue
                try:
                    self._send_one(client, job)
                except Exception as exc:  # a bug or a failing journal: see _internal_error
                    self._internal_error(job, exc)
                if not self._stopping():
                    self._spawn(self._wanted_workers())
        finally:
            client.close()

    def _internal_error(self, job: Job, exc: Exception) -> None:
        """Settle the row as ``unknown`` (its request may have gone out) and stop the run.

        Only the exception's type is kept: its message or traceback could hold patient data.
        """
        result = RowResult(
            Status.UNKNOWN,
            error=f"Internal error while sending this row ({type(exc).__name__})." + VERIFY_ADVICE,
        )
        # Best effort: the journal itself may be what failed; if so the next run finds the row
        # still `sending` and marks it unknown then.
        with contextlib.suppress(Exception):
            error = f"Internal error ({type(exc).__name__})."
            self._journal.mark_done(job.key, "unknown", http_status=None, error=error)
        self._request_stop(
            f"Internal error ({type(exc).__name__}) while sending row {job.invite.row}; "
            "the run was stopped. Unsent rows are left for the next run.",
            3,
        )
        self._finish(job, result, type(exc).__name__)

    def _stopping(self) -> bool:
        return self._stop_event.is_set()

    def _blocked_reason(self, invite: Invite) -> str:
        with self._lock:
            state_reason = self._blocked_states.get(invite.tele_state)
            if state_reason:
                return state_reason
            if self._rx_blocked and set(invite.exams) & self._rx_exams:
                return self._rx_blocked
        return ""

    def _send_one(self, client: QualiphyClient, job: Job) -> None:
        policy = self._settings.retry
        attempts = 0
        maybe_arrived = False  # an earlier try of this row may have reached the server

        def attempt() -> Outcome:
            nonlocal attempts, maybe_arrived
            # `sending` is durable before the wait for a slot, so the request leaves the moment
            # its slot opens: a disk sync between slot and socket would bunch arrivals at the
            # server past the rate.
            self._journal.mark_sending(job.key, self._run_id, job.invite.row)
            if not self.pacer.acquire():
                if not maybe_arrived:
                    self._journal.mark_done(job.key, "pending", http_status=None, error="")
                return Outcome(Kind.NEVER_REACHED, None, "Stopped before sending.", "Stopped")
            attempts += 1
            with self._lock:
                self.requests_sent += 1
            started = time.monotonic()
            outcome = client.create_invite(job.invite.payload)
            self._observe(time.monotonic() - started)
            maybe_arrived = maybe_arrived or may_exist(outcome)
            log.debug(
                "request finished",
                extra={
                    "row": job.invite.row,
                    "http_status": outcome.http_status,
                    "outcome": outcome.kind.value,
                    "error_class": outcome.error_class,
                    "attempt": attempts,
                    "elapsed_ms": round((time.monotonic() - started) * 1000),
                },
            )
            if outcome.kind is Kind.THROTTLED and (
                outcome.http_status == 429 or outcome.retry_after is not None
            ):
                self.pacer.pause(min(outcome.retry_after or 1.0, policy.max_retry_after))
            elif outcome.kind is Kind.CREATED:
                self.pacer.succeeded()
            return outcome

        def retryable(state: RetryCallState) -> bool:
            outcome = state.outcome.result() if state.outcome else None
            if outcome is None or self._stopping() or outcome.error_class == "Stopped":
                return False
            if (
                outcome.kind is Kind.THROTTLED
                and (outcome.retry_after or 0) > policy.max_retry_after
            ):
                return False
            if outcome.kind in SAFE_TO_RETRY:
                return True
            return self._settings.retry_ambiguous and outcome.kind is Kind.AMBIGUOUS

        base_wait = wait_random_exponential(multiplier=policy.backoff_base, max=policy.backoff_max)

        def wait(state: RetryCallState) -> float:
            outcome = state.outcome.result() if state.outcome else None
            floor = min(outcome.retry_after or 0.0, policy.max_retry_after) if outcome else 0.0
            return max(float(base_wait(state)), floor)

        retrying = Retrying(
            stop=stop_after_attempt(policy.max_attempts) | stop_after_delay(policy.max_seconds),
            wait=wait,
            retry=retryable,
            sleep=self._sleep,
            retry_error_callback=lambda state: state.outcome.result() if state.outcome else None,
            reraise=False,
        )
        outcome = retrying(attempt)
        assert isinstance(outcome, Outcome)
        self._settle(job, outcome, attempts, maybe_arrived)

    def _settle(self, job: Job, outcome: Outcome, attempts: int, maybe_arrived: bool) -> None:
        kind = outcome.kind
        policy = self._settings.retry
        final = (Kind.CREATED, Kind.REJECTED, Kind.STATE_BLOCKED, Kind.RX_BLOCKED)
        if kind is Kind.MISROUTED and may_exist(outcome):
            self._request_stop(stop_reason(outcome), 3)
        if kind not in final and (maybe_arrived or may_exist(outcome)):
            kind = Kind.AMBIGUOUS  # a try that may have arrived outweighs later clear failures
        if kind is Kind.CREATED:
            sent_at = self._now().isoformat(timespec="seconds")
            self._journal.mark_sent(
                job.key,
                http_status=outcome.http_status,
                meeting_url=outcome.meeting_url,
                meeting_uuid=outcome.meeting_uuid,
                patient_exam_ids=outcome.patient_exam_ids,
                sent_at=sent_at,
            )
            with self._lock:  # an exam that got through without the Rx contract is no Rx exam
                self._non_rx_exams.update(e for e in job.invite.exams if e not in self._rx_exams)
            self._record_health(ok=True)
            result = RowResult(
                Status.SENT,
                outcome.meeting_url,
                outcome.meeting_uuid,
                outcome.patient_exam_ids,
                attempts=attempts,
                http_status=outcome.http_status,
                sent_at=sent_at,
            )
        elif kind in (Kind.REJECTED, Kind.STATE_BLOCKED, Kind.RX_BLOCKED):
            self._journal.mark_done(
                job.key, "rejected", http_status=outcome.http_status, error=outcome.message
            )
            self._record_health(ok=True)
            self._block(job.invite, kind, outcome.message)
            result = RowResult(
                Status.REJECTED,
                error=outcome.message,
                attempts=attempts,
                http_status=outcome.http_status,
            )
        elif kind is Kind.AMBIGUOUS:
            self._journal.mark_done(
                job.key, "unknown", http_status=outcome.http_status, error=outcome.message
            )
            self._record_health(ok=False)
            result = RowResult(
                Status.UNKNOWN,
                error=outcome.message + VERIFY_ADVICE,
                attempts=attempts,
                http_status=outcome.http_status,
            )
        else:
            # Never processed by the server: safe for a later run to send again.
            if attempts:
                self._journal.mark_done(
                    job.key, "pending", http_status=outcome.http_status, error=outcome.message
                )
            if kind in RUN_ENDING:
                self._request_stop(stop_reason(outcome), 3)
            elif kind is Kind.THROTTLED and (outcome.retry_after or 0) > policy.max_retry_after:
                self._request_stop(
                    f"The API asked to wait {outcome.retry_after:.0f} s, longer than the "
                    f"{policy.max_retry_after:.0f} s allowed; run again later to resume.",
                    3,
                )
            elif outcome.error_class != "Stopped":
                self._record_health(ok=False)
            result = RowResult(
                Status.NOT_SENT,
                error=outcome.message,
                attempts=attempts,
                http_status=outcome.http_status,
            )
        self._finish(job, result, outcome.error_class)

    def _record_health(self, *, ok: bool) -> None:
        """Count consecutive failures; enough of them in a row means the API is down."""
        with self._lock:
            if ok:
                self._consecutive_failures = 0
                return
            self._consecutive_failures += 1
            threshold = self._settings.retry.breaker_threshold
            tripped = self._consecutive_failures >= threshold
        if tripped:
            self._request_stop(
                f"The API looks down: {threshold} requests in a row failed or gave no clear "
                "answer. Unsent rows are left for the next run.",
                3,
            )

    def _block(self, invite: Invite, kind: Kind, message: str) -> None:
        with self._lock:
            if kind is Kind.STATE_BLOCKED:
                self._blocked_states.setdefault(
                    invite.tele_state,
                    f"Not sent: Qualiphy has no Patient Care Provider for tele_state "
                    f"{invite.tele_state} (add one in the Qualiphy Portal under Operators, "
                    "then run again).",
                )
            elif kind is Kind.RX_BLOCKED:
                # Without a catalog, the exams of this row that are not known to be GFE are
                # taken to be the Rx ones.
                if not self._catalog:
                    self._rx_exams.update(e for e in invite.exams if e not in self._non_rx_exams)
                self._rx_blocked = (
                    "Not sent: Rx exams need the Prescriptive Services Contract signed in the "
                    "Qualiphy Portal; run again once it is signed."
                )

    def _request_stop(self, reason: str, exit_code: int) -> None:
        with self._lock:
            if self._stop is None:
                self._stop = _Stop(reason, exit_code)
        self._stop_event.set()

    def _finish(self, job: Job, result: RowResult, error_class: str) -> None:
        with self._lock:
            self._results[job.invite.row] = result
        log.info(
            "row finished",
            extra={
                "row": job.invite.row,
                "status": result.status.value,
                "http_status": result.http_status,
                "attempt": result.attempts,
                "error_class": error_class,
            },
        )
        event = RowEvent(
            job.invite.row, result.status, result.http_status, result.attempts, error_class
        )
        try:
            self._on_row(event)
        except Exception as exc:  # a progress display must never change a row's outcome
            log.error("progress callback failed", extra={"error_class": type(exc).__name__})

    def _wait(self, seconds: float) -> None:
        """Sleep between retries, waking at once when the run is stopped."""
        self._stop_event.wait(seconds)

    def _not_attempted(self, job: Job) -> RowResult:
        reason = self.stop_reason or "The run stopped before this row."
        return RowResult(Status.NOT_SENT, error=f"Not sent: {reason}")


VERIFY_ADVICE = (
    " Check the Qualiphy portal for this patient before sending again; if no invite exists, "
    "re-run with --resend-unknown."
)
