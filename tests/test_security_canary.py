"""Canary runs of the real CLI: patient data and the API key never leak, whatever happens.

Every PHI column holds a unique canary and the key is a canary too. Each run goes through one
outcome (success, 400, 401, 500, timeout, internal errors) with debug logs in plain or JSON form,
then every output is searched: no PHI canary in stdout, stderr (kept as a cron-style log file) or
the JSON summary, and the key canary in no file at all (results unzipped, journal, sandbox log).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bulk_invite.sandbox import Sandbox, SandboxConfig

from .security_support import KEY, PHI, PHI_CANARIES, files_containing, leaks, run_cli, write_csv

# The same patient, broken: the extension makes the phone invalid, so the row is only reported.
INVALID = {**PHI, "Phone": PHI["Phone"] + " x12"}

SCENARIOS: dict[str, dict[str, Any]] = {
    "success": {"config": {}, "exit": 1},
    "rejected_400": {"config": {}, "exams": "999", "exit": 1, "http": 400},
    "unauthorized_401": {"config": {"api_key": "some-other-key"}, "exit": 3, "http": 401},
    "server_error_500": {"config": {"p_500": 1.0}, "exit": 4, "http": 500},
    "timeout": {
        "config": {"p_late": 1.0, "late_seconds": 1.5},
        "args": ["--read-timeout", "0.3"],
        "exit": 4,
    },
    "internal_error_in_worker": {"config": {}, "patch": "worker", "exit": 3},
    "internal_error_in_main_thread": {"config": {}, "patch": "main", "exit": 3},
}


def _canary_run(tmp_path: Path, scenario: str, log_format: str) -> dict[str, Any]:
    spec = SCENARIOS[scenario]
    (tmp_path / "in").mkdir()
    (tmp_path / "out").mkdir()
    (tmp_path / "server").mkdir()
    valid = {**PHI, "Exam IDs": spec.get("exams", PHI["Exam IDs"])}
    source = write_csv(tmp_path / "in" / "patients.csv", [valid, INVALID])
    summary = "-" if log_format == "json" else str(tmp_path / "out" / "summary.json")
    config = SandboxConfig(**{"api_key": KEY, **spec["config"]})
    with Sandbox(config, invite_log=tmp_path / "server" / "invites.jsonl") as sandbox:
        run = run_cli(
            [
                "send",
                str(source),
                "--base-url",
                sandbox.base_url,
                "-o",
                str(tmp_path / "out" / "results.xlsx"),
                "--journal",
                str(tmp_path / "out" / "journal.sqlite"),
                "--summary-json",
                summary,
                "--verbose",
                "--log-format",
                log_format,
                "--max-attempts",
                "1",
                *spec.get("args", []),
            ],
            tmp_path,
            patch=spec.get("patch", ""),
        )
        statuses = [r.status for r in sandbox.requests()]
    # The process's stderr, kept the way a cron job keeps it: as a log file among the outputs.
    (tmp_path / "out" / "stderr.log").write_text(run.stderr)
    return {"run": run, "statuses": statuses, "spec": spec, "summary": summary}


@pytest.mark.parametrize("log_format", ["plain", "json"])
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_no_canary_reaches_terminal_logs_or_summary_and_key_reaches_no_file(
    tmp_path: Path, scenario: str, log_format: str
) -> None:
    result = _canary_run(tmp_path, scenario, log_format)
    run, spec = result["run"], result["spec"]
    assert run.code == spec["exit"], run.stderr
    if "http" in spec:
        assert spec["http"] in result["statuses"]
    assert "Traceback" not in run.stderr

    assert leaks(run.stdout) == []
    assert leaks(run.stderr) == []
    assert leaks(run.stdout, [KEY]) == [] and leaks(run.stderr, [KEY]) == []
    crashed = scenario == "internal_error_in_main_thread"  # no summary: the run never ended
    if result["summary"] != "-" and not crashed:
        summary_text = Path(result["summary"]).read_text()
        assert leaks(summary_text, [*PHI_CANARIES, KEY]) == []
        json.loads(summary_text)
    elif not crashed:
        assert '"exit_code"' in run.stdout
    if log_format == "json":
        log_lines = [line for line in run.stderr.splitlines() if line.startswith("{")]
        assert log_lines, "debug logs were expected on stderr"
        for line in log_lines:
            json.loads(line)

    assert files_containing(tmp_path, KEY) == []
    # The scan does find canaries where they belong, so its silence above means something.
    if not crashed:
        holders = files_containing(tmp_path, "Canaryfirstqk")
        assert any(name.endswith("results.xlsx!xl/worksheets/sheet1.xml") for name in holders)
    else:
        assert "internal error (RuntimeError)" in run.stderr


def test_internal_error_in_a_worker_settles_the_row_as_unknown_and_stops(tmp_path: Path) -> None:
    result = _canary_run(tmp_path, "internal_error_in_worker", "plain")
    run = result["run"]
    assert "Internal error (RuntimeError)" in run.stdout
    summary = json.loads(Path(result["summary"]).read_text())
    assert summary["counts"]["unknown"] == 1
    assert summary["counts"]["invalid"] == 1


def test_a_headerless_file_is_refused_without_echoing_its_first_row(tmp_path: Path) -> None:
    source = tmp_path / "no-header.csv"
    source.write_text(",".join(PHI.values()) + "\n" + ",".join(INVALID.values()) + "\n")
    run = run_cli(["check", str(source), "--verbose"], tmp_path)
    assert run.code == 2
    assert len(run.stderr.strip().splitlines()) == 1
    assert leaks(run.stderr + run.stdout) == []


def test_an_unwritable_output_fails_cleanly_without_patient_data(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "patients.csv", [PHI])
    run = run_cli(["check", str(source), "-o", str(tmp_path / "missing" / "r.xlsx")], tmp_path)
    assert run.code == 2
    assert "Traceback" not in run.stderr
    assert leaks(run.stderr + run.stdout, [*PHI_CANARIES, KEY]) == []
