"""Large results are written by a helper process: the workbook must not depend on who wrote it."""

from __future__ import annotations

import sys
from pathlib import Path

import openpyxl
import pytest

from bulk_invite import report_process
from bulk_invite.errors import OutputError
from bulk_invite.models import RowResult, RunSummary, SourceRow, Status
from bulk_invite.report import ResultsWriter

HEADERS = ("First Name", "Email", "Notes")


def _summary() -> RunSummary:
    return RunSummary(
        command="check",
        counts={"valid": 1},
        rows=1,
        exit_code=0,
        input_file="in.csv",
        input_sha256="0" * 64,
        results_file="out.xlsx",
        run_id="r1",
        started_at="2024-01-01T00:00:00+00:00",
        finished_at="2024-01-01T00:00:01+00:00",
        duration_seconds=1.0,
        version="test",
    )


def _write(path: Path, rows: int) -> Path:
    with ResultsWriter(path, HEADERS) as writer:
        for i in range(rows):
            bad = i % 10 == 0
            writer.add(
                SourceRow(i + 2, (f"Ann{i}", f"a{i}@example.com", "=1+1" if bad else "")),
                RowResult(
                    Status.INVALID if bad else Status.VALID, error="fix me" if bad else ""
                ),
            )
        writer.finish(_summary())
    return path


def _sheets(path: Path) -> dict[str, list[tuple[object, ...]]]:
    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
    finally:
        book.close()


def test_helper_and_in_process_writers_make_the_same_workbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = report_process.HELPER_AFTER_ROWS + report_process.BATCH_ROWS + 7
    helped = _sheets(_write(tmp_path / "helped.xlsx", rows))
    monkeypatch.setattr(report_process, "HELPER_AFTER_ROWS", 10**9)
    local = _sheets(_write(tmp_path / "local.xlsx", rows))
    assert helped == local
    assert len(helped["Results"]) == rows + 1
    assert helped["Results"][1][2] == "'=1+1"
    assert not list(tmp_path.glob(".*"))  # no scratch or temporary files left behind


def test_without_a_helper_the_workbook_is_written_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", "")
    path = _write(tmp_path / "out.xlsx", report_process.HELPER_AFTER_ROWS + 5)
    assert len(_sheets(path)["Results"]) == report_process.HELPER_AFTER_ROWS + 6


def test_a_helper_that_dies_fails_the_run_and_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.xlsx"
    with pytest.raises(OutputError), ResultsWriter(target, HEADERS) as writer:
        for i in range(report_process.HELPER_AFTER_ROWS + 1):
            writer.add(SourceRow(i + 2, ("a", "b", "c")), RowResult(Status.VALID))
        assert writer._helper is not None
        writer._helper._proc.kill()
        writer.finish(_summary())
    assert not target.exists()
    assert not list(tmp_path.iterdir())
