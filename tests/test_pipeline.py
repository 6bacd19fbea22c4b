"""Small pieces of the run: output names, exit codes, the fix-loop hint, lock settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulk_invite.cli import settings_from_options
from bulk_invite.console import fix_command, summary_text
from bulk_invite.models import RunSummary
from bulk_invite.pipeline import default_output, exit_code_for


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("patients.xlsx", "patients.results.xlsx"),
        ("patients.csv", "patients.results.xlsx"),
        ("patients.results.xlsx", "patients.results-2.xlsx"),
        ("patients.results-2.xlsx", "patients.results-3.xlsx"),
    ],
)
def test_default_output_never_overwrites_the_workbook_being_fixed(name: str, expected: str) -> None:
    assert default_output(Path("/d") / name) == Path("/d") / expected


@pytest.mark.parametrize(
    ("counts", "stop", "code"),
    [
        ({"sent": 3}, None, 0),
        ({"valid": 3}, None, 0),
        ({"sent": 3, "invalid": 1}, None, 1),
        ({"sent": 3, "duplicate": 1}, None, 1),
        ({"sent": 3, "rejected": 1, "unknown": 1}, None, 4),
        ({"sent": 3, "unknown": 1}, 3, 3),
        ({"sent": 3}, 130, 130),
    ],
)
def test_exit_codes_follow_the_most_serious_outcome(
    counts: dict[str, int], stop: int | None, code: int
) -> None:
    assert exit_code_for(counts, stop) == code


def summary(**settings: object) -> RunSummary:
    return RunSummary(
        command="send", counts={"invalid": 2, "sent": 5}, rows=7, exit_code=1,
        input_file="p.xlsx", input_sha256="", results_file="/x/p results.xlsx", run_id="r",
        started_at="", finished_at="", duration_seconds=1, version="0", settings=settings,
    )  # fmt: skip


def test_fix_hint_repeats_the_options_the_rows_depend_on() -> None:
    hint = fix_command(summary(exams="1822", column_map={"Cell #": "phone_number"}, sandbox=True))
    assert hint == (
        "bulk-invite send '/x/p results.xlsx' --sheet 'To fix' --exams 1822 "
        "--map 'Cell #=phone_number' --sandbox"
    )
    assert hint in summary_text(summary(exams="1822", column_map={"Cell #": "phone_number"},
                                        sandbox=True))  # fmt: skip


def options(**given: object) -> dict[str, object]:
    base: dict[str, object] = {"maps": (), "mapping": None, "config_path": None, "lock": None,
                               "lock_wait": None, "dry_run": True, "sandbox": False}  # fmt: skip
    return {**base, **given}


def test_lock_settings_follow_flag_then_config(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[send]\nlock_wait = 120\n")
    assert settings_from_options("send", options(config_path=config)).lock_wait == 120
    assert settings_from_options("send", options(config_path=config, lock="no-wait")).lock_wait == 0
    assert settings_from_options("send", options(lock="wait")).lock_wait == 3600
    assert settings_from_options("send", options(lock_wait=9.0)).lock_wait == 9


def test_default_output_takes_the_next_free_name(tmp_path: Path) -> None:
    (tmp_path / "p.results.xlsx").write_text("a person's fixes")
    (tmp_path / "p.results-2.xlsx").write_text("more fixes")
    assert default_output(tmp_path / "p.xlsx") == tmp_path / "p.results-3.xlsx"


def test_run_note_warns_when_the_dob_column_mixes_orders(tmp_path: Path) -> None:
    from bulk_invite import Settings, run

    rows = ["First Name,Last Name,Email,DOB,Phone,State,Exam IDs"]
    dobs = ["12/25/1990"] * 5 + ["25/12/1990", "05/06/1990"]
    for i, dob in enumerate(dobs):
        rows.append(f"A{i},B,p{i}@example.com,{dob},(555) 234-56{i:02d},NY,1822")
    source = tmp_path / "mixed.csv"
    source.write_text("\n".join(rows) + "\n")
    summary = run(source, Settings(output=tmp_path / "o.xlsx"), command="check")
    assert any("both day-first and month-first" in note for note in summary.notes)
