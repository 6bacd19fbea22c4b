"""SIGINT and SIGTERM stop dispatching, settle in-flight rows and still write the results."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from bulk_invite.sandbox import DEMO_API_KEY, Sandbox, SandboxConfig, read_invite_log
from tests.patients import send_argv, write_patients_csv


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_signal_stops_cleanly_with_exit_130_and_every_row_accounted_for(
    tmp_path: Path, signum: int
) -> None:
    csv_path = write_patients_csv(tmp_path / "p.csv", range(200))
    log, out = tmp_path / "invites.jsonl", tmp_path / "out.xlsx"
    with Sandbox(SandboxConfig(latency=0.05), invite_log=log) as sandbox:
        proc = subprocess.Popen(
            send_argv(
                csv_path,
                sandbox.base_url,
                tmp_path / "j.sqlite",
                out,
                "--rate",
                "40",
                "--summary-json",
                str(tmp_path / "s.json"),
            ),
            env={**os.environ, "QUALIPHY_API_KEY": DEMO_API_KEY},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(read_invite_log(log)) < 20:
            time.sleep(0.02)
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=60)
        created = {i["email"] for i in read_invite_log(log)}

    assert proc.returncode == 130, err
    assert "Traceback" not in err
    table = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Results").to_python()
    header = [str(h) for h in table[0]]
    status = {str(r[header.index("Email")]): str(r[header.index("status")]) for r in table[1:]}
    assert len(status) == 200
    assert {e for e, s in status.items() if s == "sent"} == created  # in-flight rows settled
    assert set(status.values()) == {"sent", "not_sent"}
