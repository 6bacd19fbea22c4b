"""Crash safety: a real `send` process is SIGKILLed again and again, then run to the end.

The sandbox runs in this test process and logs every invite it creates to a durable file, so the
invites can be counted across every killed client.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from bulk_invite.sandbox import DEMO_API_KEY, Sandbox, SandboxConfig, read_invite_log
from tests.patients import send_argv, write_patients_csv

ROWS = 500
CONCURRENCY = 4
KILLS = 12


def send_command(csv_path: Path, base_url: str, journal: Path, out: Path) -> list[str]:
    return send_argv(csv_path, base_url, journal, out, "--rate", "150", "--concurrency",
                     str(CONCURRENCY), "--quiet", "--read-timeout", "5")  # fmt: skip


def read_statuses(path: Path) -> dict[str, str]:
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Results").to_python()
    header = [str(h) for h in rows[0]]
    email, status = header.index("Email"), header.index("status")
    return {str(r[email]): str(r[status]) for r in rows[1:]}


@pytest.mark.slow
def test_send_survives_repeated_sigkill_without_duplicates_or_lost_rows(tmp_path: Path) -> None:
    csv_path = write_patients_csv(tmp_path / "patients.csv", range(ROWS))
    journal, out, log = (
        tmp_path / "journal.sqlite",
        tmp_path / "results.xlsx",
        tmp_path / "invites.jsonl",
    )
    env = {**os.environ, "QUALIPHY_API_KEY": DEMO_API_KEY}
    rng = random.Random(20261124)
    config = SandboxConfig(latency=0.01, latency_jitter=0.02, seed=7)
    with Sandbox(config, invite_log=log) as sandbox:
        command = send_command(csv_path, sandbox.base_url, journal, out)
        kills = 0
        while kills < KILLS:
            before = len(read_invite_log(log)) if log.exists() else 0
            proc = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            # Kill once the process is sending: wait for new invites, then a random moment more.
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and proc.poll() is None:
                if log.exists() and len(read_invite_log(log)) > before:
                    break
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.25))
            if proc.poll() is not None:
                break  # it finished before we could kill it: nothing left to interrupt
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            kills += 1
        # Run to the end: one uninterrupted run settles every row.
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode in (0, 4), done.stderr
        invites = read_invite_log(log)

    assert kills >= 10, "every run finished before it could be killed: make the test bigger"
    created = Counter(str(i["email"]) for i in invites)
    assert max(created.values()) == 1, "an invite was created twice"
    statuses = read_statuses(out)
    assert len(statuses) == ROWS  # every row has exactly one final status
    assert set(statuses.values()) <= {"sent", "already_sent", "unknown"}
    for email in created:  # every invite the server made is accounted for
        assert statuses[email] in ("sent", "already_sent", "unknown"), email
    for email, status in statuses.items():  # and every row said sent really was made
        if status in ("sent", "already_sent"):
            assert email in created, email
    unknown = sum(1 for s in statuses.values() if s == "unknown")
    assert unknown <= CONCURRENCY * kills
