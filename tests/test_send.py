"""The worker pool's retry policy and stopping rules, with a scripted client (no network)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bulk_invite.client import KeyCheck, Kind, Outcome
from bulk_invite.journal import Journal
from bulk_invite.models import Invite, Status
from bulk_invite.pacing import Pacer
from bulk_invite.send import Job, Sender
from bulk_invite.settings import RetryPolicy, Settings

CREATED = Outcome(
    Kind.CREATED, 200, meeting_url="https://m/x", meeting_uuid="x", patient_exam_ids=(1,)
)


def invite(row: int, state: str = "NY", exams: tuple[int, ...] = (1822,)) -> Invite:
    return Invite(
        row,
        {
            "exams": list(exams),
            "first_name": f"P{row}",
            "last_name": "Test",
            "email": f"p{row}@example.com",
            "dob": "1990-01-01",
            "phone_number": "+15552223344",
            "tele_state": state,
        },
    )


class ScriptedClient:
    """Answers each row's requests from a per-row script; the last answer repeats."""

    def __init__(
        self, script: Callable[[int, int], Outcome], log: list[int], key: KeyCheck
    ) -> None:
        self.script = script
        self.log = log
        self.key = key

    def check_key(self) -> KeyCheck:
        return self.key

    def create_invite(self, payload: dict[str, Any]) -> Outcome:
        row = int(payload["first_name"][1:])
        self.log.append(row)
        return self.script(row, self.log.count(row))

    def close(self) -> None:
        pass


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[Journal]:
    with Journal(tmp_path / "j.sqlite") as j:
        yield j


def make_sender(
    journal: Journal,
    script: Callable[[int, int], Outcome],
    calls: list[int],
    *,
    key: KeyCheck | None = None,
    stop: threading.Event | None = None,
    on_row: Callable[[Any], None] | None = None,
    sleep: Callable[[float], None] | None = None,
    **settings: Any,
) -> Sender:
    """A Sender over scripted clients, with a pacer and retry waits that never really sleep."""
    settings.setdefault("concurrency", 1)
    settings.setdefault("retry", RetryPolicy(max_attempts=4, breaker_threshold=3))
    now = [0.0]  # the pacer's clock moves only when it sleeps, so no test really waits

    def advance(seconds: float) -> None:
        now[0] += seconds

    pacer = Pacer(1000, clock=lambda: now[0], sleep=advance, stop=stop)
    return Sender(
        Settings(rate=1000, **settings),
        journal,
        lambda: ScriptedClient(script, calls, key or KeyCheck(None)),  # type: ignore[arg-type,return-value]
        run_id="r1",
        stop_event=stop,
        on_row=on_row,
        pacer=pacer,
        sleep=sleep or (lambda _: None),
    )


def run(
    journal: Journal, rows: list[Invite], script: Callable[[int, int], Outcome], **settings: Any
) -> tuple[Sender, dict[int, Any], list[int]]:
    calls: list[int] = []
    sender = make_sender(journal, script, calls, **settings)
    results = sender.run([Job(i, journal.key(i.payload)) for i in rows])
    return sender, results, calls


def test_send_retries_never_reached_then_succeeds(journal: Journal) -> None:
    script = lambda row, n: CREATED if n == 3 else Outcome(Kind.NEVER_REACHED, None, "refused")  # noqa: E731
    _, results, calls = run(journal, [invite(2)], script)
    assert results[2].status is Status.SENT and results[2].attempts == 3
    assert calls == [2, 2, 2]


def test_send_retries_429_then_succeeds_and_cuts_the_rate(journal: Journal) -> None:
    throttled = Outcome(Kind.THROTTLED, 429, "slow down", retry_after=2)
    sender, results, _ = run(journal, [invite(2)], lambda row, n: CREATED if n > 1 else throttled)
    assert results[2].status is Status.SENT
    assert sender.pacer.rate < sender.pacer.max_rate  # halved by the 429, recovering slowly


def test_429_retry_waits_at_least_retry_after(journal: Journal) -> None:
    waits: list[float] = []
    throttled = Outcome(Kind.THROTTLED, 429, "slow down", retry_after=7)
    calls: list[int] = []
    script = lambda r, n: CREATED if n > 1 else throttled  # noqa: E731
    sender = make_sender(journal, script, calls, sleep=waits.append)
    sender.run([Job(invite(2), journal.key(invite(2).payload))])
    assert waits and min(waits) >= 7


def test_ambiguous_outcome_is_unknown_and_never_resent(journal: Journal) -> None:
    _, results, calls = run(journal, [invite(2)], lambda r, n: Outcome(Kind.AMBIGUOUS, 500, "boom"))
    assert results[2].status is Status.UNKNOWN and calls == [2]
    assert journal.lookup(journal.key(invite(2).payload)).state == "unknown"  # type: ignore[union-attr]


def test_retry_ambiguous_switches_to_at_least_once(journal: Journal) -> None:
    script = lambda r, n: CREATED if n == 2 else Outcome(Kind.AMBIGUOUS, 500, "boom")  # noqa: E731
    _, results, calls = run(journal, [invite(2)], script, retry_ambiguous=True)
    assert results[2].status is Status.SENT and calls == [2, 2]


def test_exhausted_retries_leave_the_row_not_sent_and_pending(journal: Journal) -> None:
    _, results, calls = run(
        journal, [invite(2)], lambda r, n: Outcome(Kind.NEVER_REACHED, None, "x")
    )
    assert results[2].status is Status.NOT_SENT and len(calls) == 4
    assert journal.lookup(journal.key(invite(2).payload)).state == "pending"  # type: ignore[union-attr]


def test_unauthorized_aborts_the_run_at_once(journal: Journal) -> None:
    sender, results, calls = run(
        journal,
        [invite(2), invite(3), invite(4)],
        lambda r, n: Outcome(Kind.ACCOUNT, 401, "Unauthorized access."),
    )
    assert calls == [2]
    assert sender.stop_exit_code == 3 and "Unauthorized" in (sender.stop_reason or "")
    assert {r.status for r in results.values()} == {Status.NOT_SENT}


def test_missing_provider_blocks_only_that_tele_state(journal: Journal) -> None:
    def script(row: int, n: int) -> Outcome:
        return (
            Outcome(
                Kind.STATE_BLOCKED, 401, "Need to add Patient Care Provider via Qualiphy Portal!"
            )
            if row == 2
            else CREATED
        )

    rows = [invite(2, "TX"), invite(3, "TX"), invite(4, "NY")]
    sender, results, calls = run(journal, rows, script)
    assert results[2].status is Status.REJECTED
    assert results[3].status is Status.NOT_SENT and "TX" in results[3].error
    assert results[4].status is Status.SENT
    assert calls == [2, 4] and sender.stop_reason is None


def test_missing_rx_contract_blocks_rx_rows_only(journal: Journal) -> None:
    def script(row: int, n: int) -> Outcome:
        if row in (2, 3):
            return Outcome(
                Kind.RX_BLOCKED,
                401,
                "Need to sign Prescriptive Services Contract via Qualiphy Portal!",
            )
        return CREATED

    rows = [invite(2, exams=(2769,)), invite(3, exams=(2769,)), invite(4, exams=(1822,))]
    _, results, calls = run(journal, rows, script)
    assert results[2].status is Status.REJECTED
    assert results[3].status is Status.NOT_SENT and "Prescriptive" in results[3].error
    assert results[4].status is Status.SENT and calls == [2, 4]


def test_circuit_breaker_stops_after_consecutive_failures(journal: Journal) -> None:
    rows = [invite(i) for i in range(2, 12)]
    sender, results, calls = run(journal, rows, lambda r, n: Outcome(Kind.AMBIGUOUS, 500, "down"))
    assert len(calls) == 3 and sender.stop_exit_code == 3
    assert sum(r.status is Status.UNKNOWN for r in results.values()) == 3
    assert sum(r.status is Status.NOT_SENT for r in results.values()) == 7


def test_huge_retry_after_stops_the_run_cleanly(journal: Journal) -> None:
    long_wait = Outcome(Kind.THROTTLED, 429, "later", retry_after=3600)
    sender, results, calls = run(journal, [invite(2), invite(3)], lambda r, n: long_wait)
    assert calls == [2] and sender.stop_exit_code == 3
    assert all(r.status is Status.NOT_SENT for r in results.values())


def test_redirect_stops_the_run_and_marks_the_row_unknown(journal: Journal) -> None:
    # A redirect proves the POST reached a server, which may have acted on it first.
    rows = [invite(2), invite(3)]
    sender, results, calls = run(
        journal, rows, lambda r, n: Outcome(Kind.MISROUTED, 302, "redirect")
    )
    assert sender.stop_exit_code == 3 and calls == [2]
    assert results[2].status is Status.UNKNOWN and results[3].status is Status.NOT_SENT
    assert journal.lookup(journal.key(invite(2).payload)).state == "unknown"  # type: ignore[union-attr]


def test_missing_endpoint_stops_the_run_and_leaves_the_row_resendable(journal: Journal) -> None:
    sender, results, _ = run(journal, [invite(2)], lambda r, n: Outcome(Kind.MISROUTED, 404, "x"))
    assert sender.stop_exit_code == 3 and results[2].status is Status.NOT_SENT
    assert journal.lookup(journal.key(invite(2).payload)).state == "pending"  # type: ignore[union-attr]


def test_stop_event_interrupts_with_exit_130(journal: Journal) -> None:
    stop = threading.Event()

    def script(row: int, n: int) -> Outcome:
        if row == 3:
            stop.set()
        return CREATED

    calls: list[int] = []
    sender = make_sender(journal, script, calls, stop=stop)
    results = sender.run([Job(i, journal.key(i.payload)) for i in map(invite, range(2, 8))])
    assert sender.stop_exit_code == 130
    assert results[3].status is Status.SENT  # the in-flight row is settled, not lost
    assert calls == [2, 3] and results[7].status is Status.NOT_SENT


def test_a_row_left_without_outcome_is_reported_unknown_never_not_sent() -> None:
    from bulk_invite.models import CheckedRow, RowResult, SourceRow
    from bulk_invite.pipeline import _account_for_every_row

    rows = [CheckedRow(SourceRow(n, ()), invite(n), (), Status.VALID) for n in (2, 3)]
    results = {2: RowResult(Status.SENT)}
    _account_for_every_row(rows, results)
    assert results[3].status is Status.UNKNOWN


def test_refused_key_stops_the_run_before_any_patient_data_is_sent(journal: Journal) -> None:
    calls: list[int] = []
    refused = KeyCheck(False, "Unauthorized access.")
    sender = make_sender(journal, lambda r, n: CREATED, calls, key=refused, concurrency=None)
    results = sender.run([Job(i, journal.key(i.payload)) for i in map(invite, range(2, 6))])
    assert calls == [] and sender.stop_exit_code == 3
    assert "Unauthorized access." in (sender.stop_reason or "")
    assert {r.status for r in results.values()} == {Status.NOT_SENT}


def test_accepted_key_starts_the_whole_pool_at_once(journal: Journal) -> None:
    calls: list[int] = []
    sender = make_sender(journal, lambda r, n: CREATED, calls, key=KeyCheck(True), concurrency=3)
    gate = threading.Barrier(3, timeout=5)
    original = ScriptedClient.create_invite

    def create_invite(self: ScriptedClient, payload: dict[str, Any]) -> Outcome:
        gate.wait()  # only passes if three workers are in flight together
        return original(self, payload)

    ScriptedClient.create_invite = create_invite  # type: ignore[method-assign]
    try:
        results = sender.run([Job(i, journal.key(i.payload)) for i in map(invite, range(2, 5))])
    finally:
        ScriptedClient.create_invite = original  # type: ignore[method-assign]
    assert {r.status for r in results.values()} == {Status.SENT}


def test_catalog_from_the_key_check_blocks_only_true_rx_rows(journal: Journal) -> None:
    calls: list[int] = []
    catalog = {"exams": [{"id": 1822, "rx_type": 1}, {"id": 2769, "rx_type": 2}]}

    def script(row: int, n: int) -> Outcome:
        if row == 2:
            return Outcome(Kind.RX_BLOCKED, 401, "Need to sign Prescriptive Services Contract")
        return CREATED

    sender = make_sender(journal, script, calls, key=KeyCheck(True, catalog=catalog))
    rows = [invite(2, exams=(2769, 1822)), invite(3, exams=(1822,)), invite(4, exams=(2769,))]
    results = sender.run([Job(i, journal.key(i.payload)) for i in rows])
    assert results[2].status is Status.REJECTED
    assert results[3].status is Status.SENT  # 1822 is a GFE: the catalog says so
    assert results[4].status is Status.NOT_SENT and calls == [2, 3]


def test_retry_ambiguous_stopped_mid_wait_leaves_the_row_unknown(journal: Journal) -> None:
    stop = threading.Event()

    def script(row: int, n: int) -> Outcome:
        stop.set()  # the run is stopped while this row waits to be retried
        return Outcome(Kind.AMBIGUOUS, 500, "boom")

    calls: list[int] = []
    sender = make_sender(journal, script, calls, stop=stop, retry_ambiguous=True)
    results = sender.run([Job(invite(2), journal.key(invite(2).payload))])
    assert calls == [2] and results[2].status is Status.UNKNOWN
    assert journal.lookup(journal.key(invite(2).payload)).state == "unknown"  # type: ignore[union-attr]


def test_ambiguous_then_refused_retry_is_still_unknown(journal: Journal) -> None:
    def script(row: int, n: int) -> Outcome:
        return (
            Outcome(Kind.AMBIGUOUS, 500, "x") if n == 1 else Outcome(Kind.NEVER_REACHED, None, "")
        )

    _, results, calls = run(journal, [invite(2)], script, retry_ambiguous=True)
    assert len(calls) == 4 and results[2].status is Status.UNKNOWN
    assert journal.lookup(journal.key(invite(2).payload)).state == "unknown"  # type: ignore[union-attr]


def test_a_failing_progress_callback_changes_no_outcome(journal: Journal) -> None:
    def explode(event: object) -> None:
        raise RuntimeError("display broke")

    calls: list[int] = []
    sender = make_sender(journal, lambda r, n: CREATED, calls, on_row=explode)
    results = sender.run([Job(i, journal.key(i.payload)) for i in map(invite, (2, 3))])
    assert {r.status for r in results.values()} == {Status.SENT} and sender.stop_reason is None
