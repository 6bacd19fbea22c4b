"""The results workbook and JSON summary, read back cell by cell."""

from __future__ import annotations

import io
import json
import os
import stat
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook

from bulk_invite import report
from bulk_invite.errors import OutputError
from bulk_invite.models import RowResult, RunSummary, SourceRow, Status
from bulk_invite.report import (
    CELL_LIMIT,
    RESULT_COLUMNS,
    STATUS_COLOURS,
    ResultsWriter,
    neutralize,
    write_summary_json,
)

HEADERS = ("First Name", "Last Name", "Phone", "DOB")


def make_summary(**overrides: Any) -> RunSummary:
    values: dict[str, Any] = {
        "command": "send",
        "counts": {"sent": 2, "invalid": 1, "rejected": 1, "unknown": 1},
        "rows": 5,
        "exit_code": 4,
        "input_file": "/data/in/patients.csv",
        "input_sha256": "a" * 64,
        "results_file": "/data/in/patients.csv.results.xlsx",
        "run_id": "run-123",
        "started_at": "2024-05-01T10:00:00+00:00",
        "finished_at": "2024-05-01T10:00:05+00:00",
        "duration_seconds": 5.25,
        "version": "0.1.0",
        "journal": "/home/ops/.local/state/bulk-invite/journal.sqlite",
        "sent_requests": 4,
        "achieved_rate": 0.8,
        "aborted_reason": None,
        "settings": {"rate": 5.0, "concurrency": 4, "exams": [12, 15], "dry_run": False},
        "notes": ("tele_state defaulted from state in 1 row",),
    }
    values.update(overrides)
    return RunSummary(**values)


ROWS: list[tuple[SourceRow, RowResult]] = [
    (
        SourceRow(2, ("Ann", "Lee", "(555) 222-3344", "1990-01-02")),
        RowResult(
            Status.SENT,
            meeting_url="https://meet.example/abc",
            meeting_uuid="uuid-1",
            patient_exam_ids=(101, 102),
            warnings="restored leading zero in Zip",
            attempts=1,
            http_status=200,
            sent_at="2024-05-01T10:00:01+00:00",
        ),
    ),
    (
        SourceRow(3, ("Bob", "", "555", "1990-13-45")),
        RowResult(Status.INVALID, error="Phone: '555' has too few digits; DOB: not a date"),
    ),
    (
        SourceRow(5, ("Cy", "Doe", "5552223344", "1985-07-04")),
        RowResult(Status.REJECTED, error="Invalid exam", attempts=1, http_status=400),
    ),
    (
        SourceRow(6, ("Di", "Roe", "5552223345", "1970-02-03")),
        RowResult(Status.UNKNOWN, error="read timeout: verify before resending", attempts=1),
    ),
    (
        SourceRow(7, ("Ed", "Poe", "5552223346", "1960-03-04")),
        RowResult(
            Status.ALREADY_SENT,
            meeting_url="https://meet.example/old",
            sent_at="2024-04-30T09:00:00+00:00",
        ),
    ),
]


def write_workbook(
    path: Path,
    rows: Sequence[tuple[SourceRow, RowResult]] = ROWS,
    headers: Sequence[str] = HEADERS,
    summary: RunSummary | None = None,
) -> Path:
    with ResultsWriter(path, headers) as writer:
        for source, result in rows:
            writer.add(source, result)
        return writer.finish(summary or make_summary())


def values(ws: Any) -> list[list[Any]]:
    return [list(row) for row in ws.iter_rows(values_only=True)]


@pytest.fixture
def book(tmp_path: Path) -> Iterator[Any]:
    path = write_workbook(tmp_path / "out.xlsx")
    wb = openpyxl.load_workbook(path)
    yield wb
    wb.close()


# --- Results sheet -----------------------------------------------------------------------------


def test_sheets_are_results_then_to_fix_then_summary(book: Any) -> None:
    assert book.sheetnames == ["Results", "To fix", "Summary"]


def test_results_header_is_input_headers_then_result_columns(book: Any) -> None:
    header = values(book["Results"])[0]
    assert header == [*HEADERS, *RESULT_COLUMNS]


def test_results_rows_echo_input_cells_then_every_result_column(book: Any) -> None:
    rows = values(book["Results"])[1:]
    assert rows == [
        [
            "Ann", "Lee", "(555) 222-3344", "1990-01-02",
            "sent", "https://meet.example/abc", "uuid-1", "101, 102", None,
            "restored leading zero in Zip", 1, 200, "2024-05-01T10:00:01+00:00",
        ],
        [
            "Bob", None, "555", "1990-13-45",
            "invalid", None, None, None, "Phone: '555' has too few digits; DOB: not a date",
            None, 0, None, None,
        ],
        [
            "Cy", "Doe", "5552223344", "1985-07-04",
            "rejected", None, None, None, "Invalid exam", None, 1, 400, None,
        ],
        [
            "Di", "Roe", "5552223345", "1970-02-03",
            "unknown", None, None, None, "read timeout: verify before resending", None, 1, None,
            None,
        ],
        [
            "Ed", "Poe", "5552223346", "1960-03-04",
            "already_sent", "https://meet.example/old", None, None, None, None, 0, None,
            "2024-04-30T09:00:00+00:00",
        ],
    ]  # fmt: skip


def test_input_cells_that_look_like_numbers_stay_text(book: Any) -> None:
    ws = book["Results"]
    assert ws["C4"].value == "5552223344"
    assert ws["C4"].data_type == "s"
    assert ws["D2"].data_type == "s"


def test_attempts_and_http_status_are_numbers(book: Any) -> None:
    ws = book["Results"]
    attempts = 4 + RESULT_COLUMNS.index("attempts") + 1
    http = 4 + RESULT_COLUMNS.index("http_status") + 1
    assert ws.cell(2, attempts).data_type == "n"
    assert ws.cell(2, http).value == 200
    assert ws.cell(2, http).data_type == "n"


def test_meeting_url_is_a_clickable_link(book: Any) -> None:
    ws = book["Results"]
    cell = ws["F2"]
    assert cell.value == "https://meet.example/abc"
    assert cell.hyperlink is not None
    assert cell.hyperlink.target == "https://meet.example/abc"
    assert ws["F6"].hyperlink.target == "https://meet.example/old"


def test_meeting_url_that_is_not_http_is_plain_neutralized_text(tmp_path: Path) -> None:
    rows = [
        (SourceRow(2, ("a",)), RowResult(Status.SENT, meeting_url="javascript:alert(1)")),
        (SourceRow(3, ("b",)), RowResult(Status.SENT, meeting_url='=HYPERLINK("http://x")')),
    ]
    wb = openpyxl.load_workbook(write_workbook(tmp_path / "o.xlsx", rows, ("x",)))
    ws = wb["Results"]
    assert ws["C2"].value == "javascript:alert(1)"
    assert ws["C2"].hyperlink is None
    assert ws["C3"].value == '\'=HYPERLINK("http://x")'
    assert ws["C3"].hyperlink is None


def test_meeting_urls_past_the_per_sheet_link_limit_are_plain_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "MAX_URLS_PER_SHEET", 2)
    rows = [
        (SourceRow(n, (str(n),)), RowResult(Status.SENT, meeting_url=f"https://m.example/{n}"))
        for n in range(2, 6)
    ]
    wb = openpyxl.load_workbook(write_workbook(tmp_path / "o.xlsx", rows, ("n",)))
    ws = wb["Results"]
    assert [ws.cell(r, 3).value for r in range(2, 6)] == [
        f"https://m.example/{n}" for n in range(2, 6)
    ]
    assert [ws.cell(r, 3).hyperlink is not None for r in range(2, 6)] == [
        True, True, False, False,
    ]  # fmt: skip


def test_header_row_is_bold_and_frozen_with_autofilter_over_used_range(book: Any) -> None:
    ws = book["Results"]
    assert ws.freeze_panes == "A2"
    last_col = openpyxl.utils.get_column_letter(len(HEADERS) + len(RESULT_COLUMNS))
    assert ws.auto_filter.ref == f"A1:{last_col}6"
    assert all(cell.font.bold for cell in ws[1])


def test_status_cells_are_coloured_by_status(tmp_path: Path) -> None:
    rows = [(SourceRow(i + 2, ("x",)), RowResult(status)) for i, status in enumerate(Status)]
    wb = openpyxl.load_workbook(write_workbook(tmp_path / "o.xlsx", rows, ("x",)))
    ws = wb["Results"]
    for i, status in enumerate(Status):
        cell = ws.cell(i + 2, 2)
        assert cell.value == status.value
        background, font = STATUS_COLOURS[status]
        assert cell.fill.fgColor.rgb == "FF" + background.lstrip("#")
        assert cell.font.color.rgb == "FF" + font.lstrip("#")
    assert STATUS_COLOURS[Status.SENT][0] == STATUS_COLOURS[Status.ALREADY_SENT][0]
    assert STATUS_COLOURS[Status.INVALID][0] == STATUS_COLOURS[Status.REJECTED][0]
    assert STATUS_COLOURS[Status.NOT_SENT][0] == STATUS_COLOURS[Status.DUPLICATE][0]
    assert len({STATUS_COLOURS[s][0] for s in Status}) == 5


def test_columns_get_widths_with_link_and_error_wider_than_short_inputs(book: Any) -> None:
    ws = book["Results"]
    width = {letter: dim.width for letter, dim in ws.column_dimensions.items()}
    url_col = openpyxl.utils.get_column_letter(4 + RESULT_COLUMNS.index("meeting_url") + 1)
    error_col = openpyxl.utils.get_column_letter(4 + RESULT_COLUMNS.index("error") + 1)
    assert 8 <= width["A"] <= 41
    assert width[url_col] >= 24
    assert width[error_col] > width["A"]


def test_column_width_is_capped_for_very_long_values(tmp_path: Path) -> None:
    rows = [(SourceRow(2, ("x" * 500,)), RowResult(Status.INVALID, error="e" * 5000))]
    wb = openpyxl.load_workbook(write_workbook(tmp_path / "o.xlsx", rows, ("notes",)))
    width = {k: d.width for k, d in wb["Results"].column_dimensions.items()}
    assert width["A"] < 42
    assert width["F"] < 82


def test_blank_headers_become_column_n_and_duplicate_headers_are_kept(tmp_path: Path) -> None:
    rows = [(SourceRow(2, ("1", "2", "3", "4")), RowResult(Status.VALID))]
    path = write_workbook(tmp_path / "o.xlsx", rows, ("Phone", "", "Phone", "  "))
    wb = openpyxl.load_workbook(path)
    assert values(wb["Results"])[0][:4] == ["Phone", "column_2", "Phone", "column_4"]
    assert values(wb["To fix"])[0] == [
        "Phone",
        "column_2",
        "Phone",
        "column_4",
        "error",
        "source_row",
    ]


def test_short_rows_leave_blank_cells_and_surplus_cells_are_counted_in_summary(
    tmp_path: Path,
) -> None:
    rows = [
        (SourceRow(2, ("a",)), RowResult(Status.VALID)),
        (SourceRow(3, ("b", "c", "lost")), RowResult(Status.VALID)),
    ]
    wb = openpyxl.load_workbook(write_workbook(tmp_path / "o.xlsx", rows, ("x", "y")))
    assert values(wb["Results"])[1][:3] == ["a", None, "valid"]
    assert values(wb["Results"])[2][:3] == ["b", "c", "valid"]
    notes = [v for k, v in values(wb["Summary"]) if k == "note"]
    assert "1 rows had cells beyond the last header; they are not shown" in notes


def test_empty_run_still_writes_headers_and_summary(tmp_path: Path) -> None:
    wb = openpyxl.load_workbook(write_workbook(tmp_path / "o.xlsx", [], HEADERS))
    assert values(wb["Results"]) == [[*HEADERS, *RESULT_COLUMNS]]
    assert values(wb["To fix"]) == [[*HEADERS, "error", "source_row"]]
    assert wb["Results"].auto_filter.ref == "A1:M1"


# --- To fix sheet ------------------------------------------------------------------------------


def test_to_fix_holds_only_invalid_and_rejected_rows_in_input_columns(book: Any) -> None:
    assert values(book["To fix"]) == [
        [*HEADERS, "error", "source_row"],
        ["Bob", None, "555", "1990-13-45",
         "Phone: '555' has too few digits; DOB: not a date", 3],
        ["Cy", "Doe", "5552223344", "1985-07-04", "Invalid exam", 5],
    ]  # fmt: skip


def test_to_fix_is_frozen_and_filtered(book: Any) -> None:
    ws = book["To fix"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:F3"


# --- Summary sheet -----------------------------------------------------------------------------


def test_summary_sheet_lists_run_facts_every_status_and_settings(book: Any) -> None:
    assert values(book["Summary"]) == [
        ["item", "value"],
        ["command", "send"],
        ["input file", "patients.csv"],
        ["input SHA-256", "a" * 64],
        ["run id", "run-123"],
        ["started", "2024-05-01T10:00:00+00:00"],
        ["finished", "2024-05-01T10:00:05+00:00"],
        ["duration (seconds)", 5.25],
        ["rows", 5],
        ["status: sent", 2],
        ["status: already_sent", 0],
        ["status: valid", 0],
        ["status: invalid", 1],
        ["status: duplicate", 0],
        ["status: rejected", 1],
        ["status: unknown", 1],
        ["status: not_sent", 0],
        ["exit code", 4],
        ["results file", "/data/in/patients.csv.results.xlsx"],
        ["journal", "/home/ops/.local/state/bulk-invite/journal.sqlite"],
        ["requests sent", 4],
        ["achieved rate (requests/s)", 0.8],
        ["aborted reason", None],
        ["setting: rate", 5],
        ["setting: concurrency", 4],
        ["setting: exams", "[12, 15]"],
        ["setting: dry_run", "no"],
        ["note", "tele_state defaulted from state in 1 row"],
        ["tool version", "0.1.0"],
    ]


def test_summary_sheet_shows_aborted_reason(tmp_path: Path) -> None:
    summary = make_summary(aborted_reason="401 Unauthorized access.")
    wb = openpyxl.load_workbook(write_workbook(tmp_path / "o.xlsx", summary=summary))
    assert dict(values(wb["Summary"]))["aborted reason"] == "401 Unauthorized access."


# --- Formula injection and unstorable text -----------------------------------------------------

PAYLOADS = ['=HYPERLINK("http://x")', "+SUM(A1)", "-2+3", "@cmd", "\t=1", "\r=1", "\n=1"]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_neutralize_quotes_formula_starts(payload: str) -> None:
    assert neutralize(payload) == "'" + payload


@pytest.mark.parametrize(
    "text",
    ["+1 555 222 3344", "+15552223344", "-12.5", "+1 (555) 222-3344", "-1", "5552223344", "Ann"],
)
def test_neutralize_leaves_numbers_phones_and_plain_text_alone(text: str) -> None:
    assert neutralize(text) == text


@pytest.mark.parametrize("text", ["-", "+", "- ", "+ ( )", "-1e5", "+1 555 CALL NOW"])
def test_neutralize_quotes_signs_without_a_plain_number(text: str) -> None:
    assert neutralize(text) == "'" + text


def test_neutralize_strips_control_characters_but_keeps_tab_and_newlines() -> None:
    assert neutralize("a\x00b\x07c\x1fd\te\nf\rg") == "abcd\te\nf\rg"
    assert neutralize("\x01=1") == "'=1"
    assert neutralize("bad\ud800surrogate\uffff") == "badsurrogate"


def test_neutralize_truncates_past_the_cell_limit_with_a_marker() -> None:
    text = neutralize("x" * (CELL_LIMIT + 10))
    assert len(text) == CELL_LIMIT
    assert text.endswith("…[truncated]")
    assert neutralize("y" * CELL_LIMIT) == "y" * CELL_LIMIT


def test_neutralize_counts_the_limit_in_utf16_units_like_excel() -> None:
    text = neutralize("😀" * CELL_LIMIT)
    assert len(text.encode("utf-16-le")) // 2 <= CELL_LIMIT
    assert text.endswith("…[truncated]")
    assert "\ud83d" not in text


def test_formula_payloads_in_cells_errors_warnings_and_headers_come_back_quoted(
    tmp_path: Path,
) -> None:
    headers = [*PAYLOADS, "Phone"]
    rows = [
        (
            SourceRow(2, (*PAYLOADS, "+1 555 222 3344")),
            RowResult(Status.REJECTED, error="=cmd|' /C calc'!A0", warnings="@SUM(1)"),
        )
    ]
    path = write_workbook(tmp_path / "o.xlsx", rows, headers)
    # calamine, like Excel, decodes the _x000D_ escape a CR is stored as; openpyxl does not.
    book = CalamineWorkbook.from_path(str(path))
    n = len(PAYLOADS)
    results = book.get_sheet_by_name("Results").to_python()
    assert results[0][:n] == ["'" + p for p in PAYLOADS]
    assert results[1][:n] == ["'" + p for p in PAYLOADS]
    assert results[1][n] == "+1 555 222 3344"
    assert results[1][n + 1 + RESULT_COLUMNS.index("error")] == "'=cmd|' /C calc'!A0"
    assert results[1][n + 1 + RESULT_COLUMNS.index("warnings")] == "'@SUM(1)"
    to_fix = book.get_sheet_by_name("To fix").to_python()
    assert to_fix[1] == ["'" + p for p in PAYLOADS] + [
        "+1 555 222 3344",
        "'=cmd|' /C calc'!A0",
        2,
    ]
    wb = openpyxl.load_workbook(path)
    for row in wb["Results"].iter_rows(min_row=1, max_row=2, max_col=n):
        assert all(cell.data_type == "s" for cell in row)


def test_text_shaped_like_xlsxwriter_rich_markup_is_stored_verbatim(tmp_path: Path) -> None:
    tricky = ["<r>&</r>", "<r><t>x</t></r>", "<r>" + "&" * CELL_LIMIT + "</r>", "_x0041_"]
    rows = [(SourceRow(2, tuple(tricky)), RowResult(Status.VALID, error="<r>=1</r>"))]
    path = write_workbook(tmp_path / "o.xlsx", rows, ["<r>h</r>", "b", "c", "d"])
    # calamine reads Excel's _xHHHH_ escapes the way Excel does.
    sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Results").to_python()
    assert sheet[0][0] == "<r>h</r>"
    assert sheet[1][:2] == tricky[:2]
    assert sheet[1][2].startswith("<r>&&&")
    assert sheet[1][2].endswith("…[truncated]")
    assert len(sheet[1][2]) <= CELL_LIMIT
    assert sheet[1][3] == "_x0041_"
    assert sheet[1][4 + RESULT_COLUMNS.index("error")] == "<r>=1</r>"


def test_long_api_error_is_truncated_in_the_workbook(tmp_path: Path) -> None:
    rows = [(SourceRow(2, ("a",)), RowResult(Status.REJECTED, error="E" * 40_000))]
    wb = openpyxl.load_workbook(write_workbook(tmp_path / "o.xlsx", rows, ("x",)))
    error = wb["Results"].cell(2, 2 + RESULT_COLUMNS.index("error")).value
    assert len(error) == CELL_LIMIT
    assert error.endswith("…[truncated]")


# --- Files: permissions, atomicity -------------------------------------------------------------


def test_workbook_is_owner_only_even_under_umask_022(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        path = write_workbook(tmp_path / "o.xlsx")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.xlsx"]


def test_replacing_an_existing_world_readable_file_leaves_it_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "o.xlsx"
    target.write_text("old")
    target.chmod(0o644)
    write_workbook(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert openpyxl.load_workbook(target).sheetnames == ["Results", "To fix", "Summary"]


def test_exception_mid_write_leaves_no_temp_file_and_the_old_target_untouched(
    tmp_path: Path,
) -> None:
    target = tmp_path / "o.xlsx"
    target.write_bytes(b"previous results")
    with pytest.raises(ZeroDivisionError), ResultsWriter(target, HEADERS) as writer:
        for source, result in ROWS:
            writer.add(source, result)
        assert len(list(tmp_path.iterdir())) > 1  # work in progress lives beside the target
        raise ZeroDivisionError
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.xlsx"]
    assert target.read_bytes() == b"previous results"


def test_exception_mid_write_with_no_previous_target_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt), ResultsWriter(tmp_path / "o.xlsx", HEADERS) as w:
        w.add(*ROWS[0])
        raise KeyboardInterrupt
    assert list(tmp_path.iterdir()) == []


def test_leaving_the_with_block_without_finish_writes_nothing_and_says_so(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="finish"), ResultsWriter(tmp_path / "o.xlsx", HEADERS):
        pass
    assert list(tmp_path.iterdir()) == []


def test_missing_output_folder_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match="does not exist"):
        ResultsWriter(tmp_path / "nope" / "o.xlsx", HEADERS)


def test_add_after_finish_is_refused(tmp_path: Path) -> None:
    with ResultsWriter(tmp_path / "o.xlsx", HEADERS) as writer:
        writer.finish(make_summary())
        with pytest.raises(RuntimeError):
            writer.add(*ROWS[0])


# --- Large results -----------------------------------------------------------------------------


def test_fifty_thousand_rows_stream_in_constant_memory_and_reopen_complete(
    tmp_path: Path,
) -> None:
    statuses = list(Status)
    start = time.perf_counter()
    with ResultsWriter(tmp_path / "big.xlsx", ("id", "phone")) as writer:
        for n in range(50_000):
            status = statuses[n % len(statuses)]
            url = f"https://m.example/{n}" if status is Status.SENT else ""
            writer.add(
                SourceRow(n + 2, (str(n), "+15552223344")),
                RowResult(status, meeting_url=url, attempts=1),
            )
        path = writer.finish(make_summary(rows=50_000))
    elapsed = time.perf_counter() - start
    assert elapsed < 20  # about 2 s here; generous for slow CI machines
    book = CalamineWorkbook.from_path(str(path))
    results = book.get_sheet_by_name("Results").to_python()
    assert len(results) == 50_001
    assert results[1][:3] == ["0", "+15552223344", "sent"]
    assert results[-1][0] == "49999"
    fixes = book.get_sheet_by_name("To fix").to_python()
    assert len(fixes) == 1 + sum(
        1 for n in range(50_000) if statuses[n % len(statuses)] in {Status.INVALID, Status.REJECTED}
    )


# --- JSON summary ------------------------------------------------------------------------------


def test_summary_json_dash_goes_to_the_given_stream(tmp_path: Path) -> None:
    stream = io.StringIO()
    write_summary_json(make_summary(), "-", stream)
    data = json.loads(stream.getvalue())
    assert data == make_summary().to_json()
    assert list(tmp_path.iterdir()) == []


def test_summary_json_file_is_atomic_and_owner_only(tmp_path: Path) -> None:
    target = tmp_path / "summary.json"
    stream = io.StringIO()
    old = os.umask(0o022)
    try:
        write_summary_json(make_summary(aborted_reason="API down"), str(target), stream)
    finally:
        os.umask(old)
    assert stream.getvalue() == ""
    assert json.loads(target.read_text("utf-8"))["aborted_reason"] == "API down"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["summary.json"]


def test_summary_json_into_a_missing_folder_is_an_output_error(tmp_path: Path) -> None:
    with pytest.raises(OutputError):
        write_summary_json(make_summary(), str(tmp_path / "no" / "s.json"), io.StringIO())


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("x")', "-12 Main St", "@home", "+cmd", "plain", "'quoted"]
)
def test_restore_undoes_neutralize(text: str) -> None:
    from bulk_invite.report import neutralize, restore

    assert restore(neutralize(text)) == text
