"""What machines read: the JSON summary and JSON log lines, complete and free of patient data."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

from bulk_invite.models import Status
from bulk_invite.sandbox import DEMO_API_KEY, Sandbox, SandboxConfig
from tests.patients import write_patients_csv

PHI_COLUMNS = ("First Name", "Last Name", "Email", "DOB", "Phone", "Zip")


def phi_values(path: Path) -> set[str]:
    with path.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    values = {row[c] for row in rows for c in PHI_COLUMNS}
    digits = {"".join(ch for ch in row["Phone"] if ch.isdigit()) for row in rows}
    return values | digits


def test_json_logs_and_summary_are_complete_and_hold_no_patient_data(tmp_path: Path) -> None:
    source = write_patients_csv(tmp_path / "p.csv", range(30))
    summary_path = tmp_path / "summary.json"
    with Sandbox(SandboxConfig(p_500=0.1, p_429=0.1, seed=5)) as api:
        done = subprocess.run(
            [sys.executable, "-m", "bulk_invite", "send", str(source), "--base-url", api.base_url,
             "--journal", str(tmp_path / "j.sqlite"), "-o", str(tmp_path / "o.xlsx"),
             "--log-format", "json", "--verbose", "--summary-json", str(summary_path),
             "--rate", "100"],
            env={**os.environ, "QUALIPHY_API_KEY": DEMO_API_KEY},
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
    assert done.returncode in (0, 4), done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.strip()]
    events = [line for line in lines if line["event"] == "row finished"]
    assert len(events) == 30
    for line in lines:
        assert {"time", "level", "event"} <= set(line)
        assert set(line) <= {"time", "level", "event", "row", "status", "http_status", "attempt",
                             "outcome", "error_class", "elapsed_ms", "count",
                             "exit_code"}  # fmt: skip
    assert {e["status"] for e in events} <= {s.value for s in Status}
    finished = [line for line in lines if line["event"] == "run finished"]
    assert finished and finished[0]["count"] == 30 and finished[0]["exit_code"] == done.returncode

    summary = json.loads(summary_path.read_text())
    assert set(summary["counts"]) == {s.value for s in Status}
    assert summary["rows"] == sum(summary["counts"].values()) == 30
    assert summary["exit_code"] == done.returncode
    for key in ("input_file", "input_sha256", "results_file", "journal", "run_id", "started_at",
                "finished_at", "duration_seconds", "sent_requests", "settings", "version"):
        assert summary[key] not in (None, ""), key
    assert summary["settings"]["api_key"] == "****"

    # Hashes and ids are hex noise in which a ZIP code could turn up by chance.
    for noise in ("input_sha256", "run_id"):
        summary.pop(noise)
    exposed = done.stdout + done.stderr + json.dumps(summary)
    leaked = [v for v in phi_values(source) if v and v in exposed]
    assert leaked == []
    assert DEMO_API_KEY not in exposed
