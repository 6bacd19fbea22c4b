"""The results workbook (Results, To fix, Summary) and the JSON run summary.

The workbook is written with xlsxwriter in ``constant_memory`` mode so a 300,000-row result takes
flat memory: rows go straight to disk in input order, which is why every row is written here cell by
cell (pandas ``to_excel`` silently drops cells in that mode). Everything that only becomes known at
the end (autofilter range, column widths) is set in :meth:`ResultsWriter.finish`: xlsxwriter
assembles those parts of the sheet when the workbook closes, after the streamed rows.
"""

from __future__ import annotations

import json
import re
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any
from xml.sax.saxutils import escape as xml_escape

import xlsxwriter
from xlsxwriter.exceptions import XlsxWriterException

from . import report_process
from .atomic import AtomicFile, atomic_output
from .errors import OutputError
from .models import NEEDS_FIXING, RowResult, RunSummary, SourceRow, Status

__all__ = [
    "CELL_LIMIT",
    "MAX_DATA_ROWS",
    "MAX_URLS_PER_SHEET",
    "RESULT_COLUMNS",
    "STATUS_COLOURS",
    "TO_FIX_COLUMNS",
    "ResultsWriter",
    "neutralize",
    "write_summary_json",
]

#: Columns appended after the input's own columns on the Results sheet.
RESULT_COLUMNS = (
    "status",
    "meeting_url",
    "meeting_uuid",
    "patient_exam_ids",
    "error",
    "warnings",
    "attempts",
    "http_status",
    "sent_at",
)
#: Columns appended after the input's own columns on the To fix sheet.
TO_FIX_COLUMNS = ("error", "source_row")

#: Excel's limit on the characters (UTF-16 units) of one cell.
CELL_LIMIT = 32_767
#: Excel's limit on hyperlinks in one worksheet; later meeting URLs are written as plain text.
MAX_URLS_PER_SHEET = 65_530
#: Excel's row limit minus the header row.
MAX_DATA_ROWS = 1_048_575
_MAX_COLUMNS = 16_384
#: xlsxwriter refuses longer links (Excel's own limit).
_MAX_URL_LENGTH = 2_079
_TRUNCATION_MARKER = "…[truncated]"

#: Background and font colour of the status cell, by status.
STATUS_COLOURS: Mapping[Status, tuple[str, str]] = {
    Status.SENT: ("#C6EFCE", "#006100"),
    Status.ALREADY_SENT: ("#C6EFCE", "#006100"),
    Status.VALID: ("#E2EFDA", "#375623"),
    Status.INVALID: ("#FFC7CE", "#9C0006"),
    Status.REJECTED: ("#FFC7CE", "#9C0006"),
    Status.UNKNOWN: ("#FFEB9C", "#9C5700"),
    Status.NOT_SENT: ("#D9D9D9", "#404040"),
    Status.DUPLICATE: ("#D9D9D9", "#404040"),
}

# Widths in characters: (minimum, maximum) per column; data may widen a column up to its maximum.
_DEFAULT_WIDTH = (8.0, 40.0)
_RESULT_WIDTHS: Mapping[str, tuple[float, float]] = {
    "status": (13.0, 13.0),
    "meeting_url": (24.0, 60.0),
    "meeting_uuid": (14.0, 40.0),
    "patient_exam_ids": (16.0, 30.0),
    "error": (24.0, 80.0),
    "warnings": (16.0, 60.0),
    "attempts": (9.0, 9.0),
    "http_status": (12.0, 12.0),
    "sent_at": (20.0, 27.0),
}

_FORMULA_START = frozenset("=+-@\t\r\n")
# A signed phone number or number reads the same to Excel as to a person, and cannot call anything.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9 ().\-/]*[0-9][0-9 ().\-/]*")
# XML 1.0 cannot hold these; lone surrogates cannot even be encoded.
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LINK = re.compile(r"https?://\S+", re.IGNORECASE)
# Text this short cannot exceed a cell however it is counted.
_PLAIN_MAX = CELL_LIMIT // 2


def neutralize(text: str) -> str:
    """Text made safe for a spreadsheet cell: no formula start, no control characters, fits a cell.

    A leading ``=``, ``+``, ``-``, ``@``, tab, CR or LF gets a ``'`` in front, unless the text is
    plainly a number or phone number (``+1 555 222 3344``, ``-12.5``).
    """
    if not text.isprintable():
        text = _UNSTORABLE.sub("", text)
    if text and text[0] in _FORMULA_START and not _PLAIN_NUMBER.fullmatch(text):
        text = "'" + text
    return _fit(text, CELL_LIMIT)


def restore(text: str) -> str:
    """Undo :func:`neutralize`'s quote, for cells read back from a results workbook."""
    quoted = text[:1] == "'" and text[1:2] != "" and text[1] in _FORMULA_START
    return text[1:] if quoted and not _PLAIN_NUMBER.fullmatch(text[1:]) else text


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` UTF-16 units (Excel's unit), with a visible marker when cut."""
    # Fewer code points than half the limit cannot exceed it: skip the encoding on the hot path.
    if len(text) <= limit // 2 or _utf16_len(text) <= limit:
        return text
    keep = (limit - _utf16_len(_TRUNCATION_MARKER)) * 2
    head = text.encode("utf-16-le")[:keep].decode("utf-16-le", errors="ignore")
    return head + _TRUNCATION_MARKER


def _shield_markup(text: str) -> str:
    """Text xlsxwriter will store verbatim even when it looks like its own rich-text markup.

    In constant_memory mode xlsxwriter writes a string of the form ``<r>…</r>`` into the sheet XML
    unescaped (it takes it for pre-built rich text), so such a cell could corrupt the workbook.
    Wrapping it in a real, escaped rich-text run keeps the cell's text exactly as it was.
    """
    if not (text.startswith("<r>") and text.endswith("</r>")):
        return text
    # xlsxwriter would cut an over-long string blindly, breaking the markup: cut the text instead.
    # One cut always suffices (escaping only grows text); the loop bound is a guard.
    for _ in range(3):
        wrapped = f'<r><t xml:space="preserve">{xml_escape(text)}</t></r>'
        excess = _utf16_len(wrapped) - CELL_LIMIT
        if excess <= 0:
            return wrapped
        text = _fit(text, _utf16_len(text) - excess)
    return f"<r><t>{_TRUNCATION_MARKER}</t></r>"


class _Sheet:
    """One streamed worksheet: rows in order, neutralized text, widths learned from the data."""

    def __init__(self, workbook: Any, name: str, headers: Sequence[str], bold: Any) -> None:
        self.ws = workbook.add_worksheet(name)
        self.headers = tuple(headers)
        self.widths = [float(len(h)) for h in self.headers]
        self.rows = 0
        self.ws.freeze_panes(1, 0)
        for col, header in enumerate(self.headers):
            self.text(0, col, header, bold)

    def text(self, row: int, col: int, value: str, cell_format: Any = None) -> None:
        """Write ``value`` as a neutralized string (never as a formula or number)."""
        if not value:
            return
        # Nearly every cell is short printable text with nothing to neutralize or shield.
        if (
            len(value) <= _PLAIN_MAX
            and value.isprintable()
            and value[0] not in _FORMULA_START
            and not value.startswith("<r>")
        ):
            stored = safe = value
        else:
            safe = neutralize(value)
            stored = _shield_markup(safe)
        if len(safe) > self.widths[col]:
            self.widths[col] = float(len(safe))
        self.ws.write_string(row, col, stored, cell_format)

    def number(self, row: int, col: int, value: float) -> None:
        """Write a number cell."""
        self.ws.write_number(row, col, value)
        self.widths[col] = max(self.widths[col], float(len(str(value))))

    def finish(self, limits: Sequence[tuple[float, float]]) -> None:
        """Set the autofilter over the used range and the column widths."""
        last_col = len(self.headers) - 1
        if last_col >= 0:
            self.ws.autofilter(0, 0, self.rows, last_col)
        for col, ((low, high), seen) in enumerate(zip(limits, self.widths, strict=True)):
            # Autofilter arrows cover about two characters of the header.
            self.ws.set_column(col, col, min(max(seen + 2.0, low), high))


def _display_headers(headers: Sequence[str]) -> tuple[str, ...]:
    """The input headers as written: exactly as given, blank ones named ``column_N`` (1-based)."""
    return tuple(h if h.strip() else f"column_{i}" for i, h in enumerate(headers, start=1))


class _Book:
    """The xlsxwriter side of a results workbook: sheets, formats, rows; run in either process."""

    def __init__(self, target: str | IO[bytes], scratch: str, headers: Sequence[str]) -> None:
        self.width = len(headers)
        self.urls = 0
        self.book = xlsxwriter.Workbook(
            target,
            {
                "constant_memory": True,
                "tmpdir": scratch,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
            },
        )
        bold = self.book.add_format({"bold": True})
        self.status_formats = {
            status: self.book.add_format({"bg_color": bg, "font_color": fg})
            for status, (bg, fg) in STATUS_COLOURS.items()
        }
        self.results = _Sheet(self.book, "Results", (*headers, *RESULT_COLUMNS), bold)
        # Rows read back from an earlier `To fix` sheet already say where they came from.
        self.keeps_source_row = "source_row" in headers
        fix_columns = ("error",) if self.keeps_source_row else TO_FIX_COLUMNS
        self.to_fix = _Sheet(self.book, "To fix", (*headers, *fix_columns), bold)
        self.summary = _Sheet(self.book, "Summary", ("item", "value"), bold)

    def add(self, cells: Sequence[str], number: int, result: RowResult) -> None:
        """Append one row (``cells`` already cut to the header width) to Results and To fix."""
        sheet = self.results
        sheet.rows += 1
        row = sheet.rows
        text = sheet.text
        for col, cell in enumerate(cells):
            if cell:
                text(row, col, cell)
        col = self.width
        text(row, col, str(result.status), self.status_formats.get(result.status))
        if result.meeting_url:
            self._write_link(row, col + 1, result.meeting_url)
        if result.meeting_uuid:
            text(row, col + 2, result.meeting_uuid)
        if result.patient_exam_ids:
            text(row, col + 3, ", ".join(str(i) for i in result.patient_exam_ids))
        if result.error:
            text(row, col + 4, result.error)
        if result.warnings:
            text(row, col + 5, result.warnings)
        sheet.number(row, col + 6, result.attempts)
        if result.http_status is not None:
            sheet.number(row, col + 7, result.http_status)
        if result.sent_at:
            text(row, col + 8, result.sent_at)

        if result.status in NEEDS_FIXING:
            fix = self.to_fix
            fix.rows += 1
            for col, cell in enumerate(cells):
                if cell:
                    fix.text(fix.rows, col, cell)
            fix.text(fix.rows, self.width, result.error)
            if not self.keeps_source_row:
                fix.number(fix.rows, self.width + 1, number)

    def _write_link(self, row: int, col: int, url: str) -> None:
        """A clickable meeting link while Excel allows one; plain text otherwise."""
        if (
            self.urls < MAX_URLS_PER_SHEET
            and _LINK.fullmatch(url)
            and _utf16_len(url) <= _MAX_URL_LENGTH
        ):
            safe = neutralize(url)
            if self.results.ws.write_url(row, col, url, None, safe) == 0:
                self.urls += 1
                self.results.widths[col] = max(self.results.widths[col], float(len(safe)))
                return
        self.results.text(row, col, url)

    def close(self, summary_items: Sequence[tuple[str, str | int | float | bool | None]]) -> None:
        """Write the Summary sheet, set filters and widths, and close the workbook."""
        sheet = self.summary
        for item, value in summary_items:
            sheet.rows += 1
            sheet.text(sheet.rows, 0, item)
            if isinstance(value, bool):
                sheet.text(sheet.rows, 1, "yes" if value else "no")
            elif isinstance(value, int | float):
                sheet.number(sheet.rows, 1, value)
            elif value is not None:
                sheet.text(sheet.rows, 1, value)
        input_limits = [_DEFAULT_WIDTH] * self.width
        self.results.finish(input_limits + [_RESULT_WIDTHS[c] for c in RESULT_COLUMNS])
        fix_widths = [(24.0, 80.0)] if self.keeps_source_row else [(24.0, 80.0), (10.0, 10.0)]
        self.to_fix.finish([*input_limits, *fix_widths])
        self.summary.finish([(16.0, 30.0), (20.0, 90.0)])
        self.book.close()

    def drop(self) -> None:
        """Close the scratch files so they can be removed (the workbook is abandoned)."""
        for worksheet in getattr(self.book, "worksheets_objs", ()):
            handle = getattr(worksheet, "row_data_fh", None)
            if handle is not None:
                handle.close()


class ResultsWriter:
    """Streams the results workbook to a temporary file and puts it in place on :meth:`finish`.

    Use as a context manager: an exception inside the block removes the temporary file and leaves
    any existing target untouched. Writing XLSX costs more than checking rows, so once a run is
    clearly large the workbook is written by a helper process (see :mod:`.report_process`) while
    this one goes on reading and checking; small runs never start one.
    """

    def __init__(self, path: Path, headers: Sequence[str]) -> None:
        self.path = Path(path)
        self.headers = _display_headers(headers)
        self._width = len(self.headers)
        if self._width + len(RESULT_COLUMNS) > _MAX_COLUMNS:
            raise OutputError(
                f"cannot write {self.path.name}: {self._width} input columns do not fit one sheet"
            )
        self._rows = 0
        self._clipped_rows = 0
        self._closed = False
        self._held: list[tuple[tuple[str, ...], int, RowResult]] = []
        self._book: _Book | None = None
        self._helper: report_process.Helper | None = None
        self._file = AtomicFile(self.path)
        try:
            # Streamed row data is patient data: keep xlsxwriter's scratch files in a private
            # folder beside the target, removed whatever happens.
            self._scratch = Path(
                tempfile.mkdtemp(dir=self.path.parent, prefix="." + self.path.name, suffix=".parts")
            )
        except BaseException:
            self._cleanup()
            raise

    def __enter__(self) -> ResultsWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._closed:
            return
        self.abort()
        if exc_type is None:
            raise RuntimeError("ResultsWriter left without finish(): no results were written")

    @property
    def rows_written(self) -> int:
        """How many input rows have been added so far."""
        return self._rows

    def add(self, source: SourceRow, result: RowResult) -> None:
        """Append one input row and its result; call in input order."""
        if self._closed:
            raise RuntimeError("ResultsWriter is already closed")
        if self._rows >= MAX_DATA_ROWS:
            raise OutputError(
                f"cannot write {self.path.name}: more than {MAX_DATA_ROWS} rows do not fit a sheet"
            )
        self._rows += 1
        cells = source.cells
        if len(cells) > self._width:
            # Cells under no header have no column to go to; the Summary counts such rows.
            if any(c.strip() for c in cells[self._width :]):
                self._clipped_rows += 1
            cells = cells[: self._width]
        if self._book is not None:
            self._book.add(cells, source.number, result)
            return
        self._held.append((cells, source.number, result))
        if self._helper is not None:
            if len(self._held) >= report_process.BATCH_ROWS:
                self._helper.send(self._held)
                self._held = []
        elif len(self._held) >= report_process.HELPER_AFTER_ROWS:
            self._start_writing()

    def _start_writing(self) -> None:
        """Write in a helper process when one starts, else here; rows held so far go first."""
        self._helper = report_process.Helper.start(
            self._file.temp_path, self._scratch, self.headers
        )
        if self._helper is not None:
            return
        self._book = self._local_book()
        for cells, number, result in self._held:
            self._book.add(cells, number, result)
        self._held = []

    def _local_book(self) -> _Book:
        try:
            return _Book(self._file.file, str(self._scratch), self.headers)
        except XlsxWriterException as exc:
            raise OutputError(f"cannot write {self.path.name}: {type(exc).__name__}") from exc

    def finish(self, summary: RunSummary) -> Path:
        """Write the Summary sheet, close the workbook and move it onto the target path."""
        if self._closed:
            raise RuntimeError("ResultsWriter is already closed")
        items = _summary_items(summary, self._clipped_rows)
        try:
            if self._helper is not None:
                if self._held:
                    self._helper.send(self._held)
                    self._held = []
                self._helper.finish(items, self.path.name)
            else:
                if self._book is None:
                    self._book = self._local_book()
                    for cells, number, result in self._held:
                        self._book.add(cells, number, result)
                    self._held = []
                self._book.close(items)
        except XlsxWriterException as exc:
            self.abort()
            raise OutputError(f"cannot write {self.path.name}: {type(exc).__name__}") from exc
        except OSError as exc:
            self.abort()
            raise OutputError(f"cannot write {self.path.name}: {exc.strerror or exc}") from exc
        except BaseException:
            self.abort()
            raise
        self._closed = True
        try:
            return self._file.commit()
        finally:
            self._cleanup()

    def abort(self) -> None:
        """Drop everything written so far; an existing target file is left as it was."""
        self._closed = True
        self._held = []
        helper, self._helper = getattr(self, "_helper", None), None
        if helper is not None:
            helper.kill()
        book = getattr(self, "_book", None)
        if book is not None:
            book.drop()
        self._cleanup()

    def _cleanup(self) -> None:
        self._file.discard()
        scratch = getattr(self, "_scratch", None)
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


def _summary_items(
    summary: RunSummary, clipped_rows: int = 0
) -> list[tuple[str, str | int | float | bool | None]]:
    """The Summary sheet as (item, value) lines; a None value leaves the cell blank."""
    items: list[tuple[str, str | int | float | bool | None]] = [
        ("command", summary.command),
        ("input file", Path(summary.input_file).name),
        ("input SHA-256", summary.input_sha256),
        ("run id", summary.run_id),
        ("started", summary.started_at),
        ("finished", summary.finished_at),
        ("duration (seconds)", round(summary.duration_seconds, 3)),
        ("rows", summary.rows),
    ]
    items += [(f"status: {s}", summary.counts.get(str(s), 0)) for s in Status]
    known = {str(s) for s in Status}
    items += [(f"status: {k}", v) for k, v in summary.counts.items() if k not in known]
    items += [
        ("exit code", summary.exit_code),
        ("results file", summary.results_file),
        ("journal", summary.journal),
        ("requests sent", summary.sent_requests),
        (
            "achieved rate (requests/s)",
            None if summary.achieved_rate is None else round(summary.achieved_rate, 3),
        ),
        ("aborted reason", summary.aborted_reason),
    ]
    items += [(f"setting: {k}", _setting_value(v)) for k, v in summary.settings.items()]
    items += [("note", note) for note in summary.notes]
    if clipped_rows:
        items.append(
            ("note", f"{clipped_rows} rows had cells beyond the last header; they are not shown")
        )
    items.append(("tool version", summary.version))
    return items


def _setting_value(value: Any) -> str | int | float | bool | None:
    """A setting as one cell: scalars as they are, anything else as compact JSON text."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Path):
        return str(value)
    return json.dumps(value, default=str, sort_keys=True)


def write_summary_json(summary: RunSummary, target: str, stdout: IO[str]) -> None:
    """Write the run summary as JSON to ``target`` (0600, atomic), or to ``stdout`` for ``-``."""
    text = json.dumps(summary.to_json(), indent=2, ensure_ascii=False, default=str) + "\n"
    if target == "-":
        stdout.write(text)
        stdout.flush()
        return
    with atomic_output(Path(target)) as handle:
        handle.write(text.encode("utf-8"))
