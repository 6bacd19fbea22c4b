"""The fix loop: send a messy list, fix the `To fix` sheet in place, send the results workbook."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bulk_invite.cli import main
from bulk_invite.sandbox import DEMO_API_KEY, Sandbox

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"

# What a person types over each invalid cell of the messy sample, by its source row.
FIXES = {
    8: {"Cell Phone": "(555) 234-5601"},
    12: {"Cell Phone": "(555) 234-5678"},
    16: {"E-mail": "jane.doe@example.com"},
    20: {"Date of Birth": "2/14/1999"},
    25: {"State": "GA"},
    29: {"Last Name": "Fixedlast"},
    33: {"Cell Phone": "555-234-5678"},
    # row 37 is left unfixed: it must stay in `To fix` and not go out
}


def cli(*args: str | Path) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    return int(exit_info.value.code or 0)


def sheet_rows(path: Path, sheet: str) -> list[dict[str, Any]]:
    rows = list(load_workbook(path, read_only=True)[sheet].iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def test_fix_loop_sends_each_fixed_row_once_and_nothing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUALIPHY_API_KEY", DEMO_API_KEY)
    first = tmp_path / "messy.results.xlsx"
    with Sandbox() as api:
        common = ["--base-url", api.base_url, "--journal", tmp_path / "j.sqlite",
                  "--exams", "1822", "--no-progress", "-q"]  # fmt: skip
        assert cli("send", SAMPLES / "messy_patients.xlsx", "-o", first, *common) == 1
        sent_first = len(api.invites())

        workbook = load_workbook(first)
        to_fix = workbook["To fix"]
        header = [c.value for c in to_fix[1]]
        for row in to_fix.iter_rows(min_row=2):
            source = int(row[header.index("source_row")].value)
            for column, value in FIXES.get(source, {}).items():
                row[header.index(column)].value = value
        workbook.save(first)

        second = tmp_path / "fixed.results.xlsx"
        code = cli("send", first, "--sheet", "To fix", "-o", second, *common,
                   "--summary-json", tmp_path / "s.json")  # fmt: skip
        assert code == 1  # row 37 still needs fixing
        sent_second = len(api.invites()) - sent_first

        # The whole first results workbook again: everything sent is already sent.
        third = tmp_path / "again.results.xlsx"
        assert cli("send", first, "-o", third, *common) == 1
        invites = api.invites()

    assert sent_second == len(FIXES)
    assert len(invites) == sent_first + len(FIXES)
    assert max(Counter(i["email"] for i in invites).values()) == 1
    results = sheet_rows(second, "Results")
    by_source = {int(r["source_row"]): r for r in results}
    assert {s for s, r in by_source.items() if r["status"] == "sent"} == set(FIXES)
    assert by_source[37]["status"] == "invalid"
    assert [int(r["source_row"]) for r in sheet_rows(second, "To fix")] == [37]
    assert list(results[0])[-9:] == ["status", "meeting_url", "meeting_uuid", "patient_exam_ids",
                                     "error", "warnings", "attempts", "http_status", "sent_at"]
    assert list(results[0]).count("status") == 1  # old result columns were not echoed
    assert json.loads((tmp_path / "s.json").read_text())["counts"]["sent"] == len(FIXES)
    again = Counter(r["status"] for r in sheet_rows(third, "Results"))
    assert again["sent"] == 0 and again["already_sent"] == sent_first
