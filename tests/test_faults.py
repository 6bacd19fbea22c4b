"""A run against a faulty sandbox: 500s, 429s with Retry-After, dropped and late answers."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from bulk_invite.pipeline import run
from bulk_invite.sandbox import (
    DEMO_API_KEY,
    Sandbox,
    SandboxConfig,
    max_requests_in_window,
    read_invite_log,
)
from bulk_invite.secret import Secret
from bulk_invite.settings import RetryPolicy, Settings, Timeouts
from tests.patients import write_patients_csv

ROWS = 150
RATE = 20


@pytest.mark.slow
def test_flaky_api_ends_with_every_row_final_no_duplicates_and_rate_respected(
    tmp_path: Path,
) -> None:
    csv_path = write_patients_csv(tmp_path / "patients.csv", range(ROWS))
    log = tmp_path / "invites.jsonl"
    config = SandboxConfig(
        p_500=0.10, p_429=0.10, retry_after=1, p_drop_after_read=0.05, p_late=0.02,
        late_seconds=1.5, latency=0.01, seed=11,
    )
    with Sandbox(config, invite_log=log) as sandbox:
        settings = Settings(
            base_url=sandbox.base_url, api_key=Secret(DEMO_API_KEY), rate=RATE, concurrency=4,
            timeouts=Timeouts(connect=2, read=1.0),
            # The fault mix makes ambiguous streaks likely; the breaker is tested elsewhere.
            retry=RetryPolicy(breaker_threshold=1000, max_attempts=8),
            journal=tmp_path / "journal.sqlite", output=tmp_path / "out.xlsx",
        )
        summary = run(csv_path, settings, command="send")
        arrivals = [r.monotonic for r in sandbox.requests() if r.path.startswith("/api/exam")]
        faults = Counter(r.fault for r in sandbox.requests())

    assert faults["500"] and faults["429"] and faults["drop"] and faults["late"]
    rows = CalamineWorkbook.from_path(str(tmp_path / "out.xlsx")).get_sheet_by_name("Results")
    table = rows.to_python()
    header = [str(h) for h in table[0]]
    status = {str(r[header.index("Email")]): str(r[header.index("status")]) for r in table[1:]}
    assert len(status) == ROWS and summary.rows == ROWS
    assert set(status.values()) <= {"sent", "unknown"}
    invites = Counter(str(i["email"]) for i in read_invite_log(log))
    for email, n in invites.items():
        if status[email] != "unknown":
            assert n == 1, email
    # Every unknown row is one whose request the server may have processed.
    assert summary.counts["unknown"] == faults["500"] + faults["drop"] + faults["late"]
    assert max_requests_in_window(arrivals) <= RATE
