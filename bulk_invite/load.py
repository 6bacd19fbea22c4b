"""Read a patient list (CSV/TSV/TXT, XLSX/XLSM/XLSB, XLS, ODS) into a ``Table`` of faithful text.

The format comes from the file's bytes, not its name. Every cell is text as the person saw it, and
every row keeps the number Excel shows (1-based, counting title, header and blank rows; for text
files, the record number, a quoted line break staying inside its record).

The file is read twice, streaming both times: a first pass finds the header row, the width of the
table and any file-level error (so a broken file fails before anything is sent); ``Table.rows`` is
the second pass, a one-pass generator. Workbooks are held in memory by calamine while read.

Header row: among the first ``HEADER_SEARCH_ROWS`` non-blank rows, the header is the row that
looks most like one: at least two non-empty cells, none of which looks like data (an email
address, or digits with no letters), preferring the row whose cells name the most known fields
(first, last, name, mail, dob, birth, phone, mobile, cell, state, zip, postal, exam, gender, sex);
on a tie the earliest wins. When no row qualifies, the first non-blank row is the header. Rows
above the header (report titles, export dates) are skipped and said so in ``Table.notes``, unless
one looks like patient data (an email address, or at least three filled cells including a date
or a phone number: e.g. two tables pasted one below the other): that stops the read with an
``InputFileError`` naming the row, never its contents.

Columns: trailing empty columns are dropped; a column with data but no header, inside the header
or to its right, is named ``column_N`` (N counts from the table's first column, 1-based). Every row
has exactly ``len(headers)`` cells.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .columns import field_for_header
from .errors import InputFileError
from .models import SourceRow, Table
from .readers.sniff import EXTENSIONS, LABELS, detect, quoted
from .readers.text import open_text
from .readers.workbook import open_workbook

__all__ = ["HEADER_WORDS", "MAX_COLUMNS", "find_header", "open_table"]

#: Words whose presence marks a row as the header row.
HEADER_WORDS = (
    "first", "last", "name", "mail", "dob", "birth", "phone", "mobile", "cell",
    "state", "zip", "postal", "exam", "gender", "sex",
)  # fmt: skip
#: How many non-blank rows from the top may hold the header.
HEADER_SEARCH_ROWS = 50
#: Columns beyond this hold no patient list; a row reaching them is refused.
MAX_COLUMNS = 1024


class _Source(Protocol):
    """A table source that can be read from the top more than once."""

    def records(self, strip: bool = True) -> Iterator[tuple[int, list[str]]]: ...

    @property
    def rectangular(self) -> bool:
        """True when every record has the same number of cells (a workbook's used range)."""
        ...


@dataclass(frozen=True, slots=True)
class _Layout:
    header_row: int
    headers: tuple[str, ...]
    width: int


def open_table(path: Path | str, *, sheet: str | None = None, encoding: str | None = None) -> Table:
    """Open a patient list; ``sheet`` is a name or a number (1 = first), ``encoding`` for text."""
    path = Path(path)
    name = quoted(path)
    kind = detect(path).kind
    notes: list[str] = []
    source: _Source
    if kind == "text":
        text = open_text(path, encoding)
        source, fmt, sheet_name, used_encoding = text, text.format, None, text.encoding
        if sheet is not None:
            notes.append(f"--sheet was ignored: {name} is a text file with a single table.")
    else:
        book = open_workbook(path, kind, sheet)
        source, fmt, sheet_name, used_encoding = book, kind, book.sheet, None
        notes.extend(book.notes)
    mismatch = _extension_note(path, kind, fmt)
    if mismatch:
        notes.insert(0, mismatch)
    where = f"{name}" + (f' (sheet "{sheet_name}")' if sheet_name else "")
    layout, first_row = _survey(source.records(strip=False), where, source.rectangular)
    if layout.header_row > first_row:
        notes.append(
            f"Row {layout.header_row} is the header row; the rows above it look like titles "
            "and were skipped."
        )
    return Table(
        headers=layout.headers,
        rows=_rows(source, layout, where),
        source_name=path.name,
        format=fmt,
        header_row=layout.header_row,
        sheet=sheet_name,
        encoding=used_encoding,
        notes=tuple(notes),
    )


def _extension_note(path: Path, kind: str, fmt: str) -> str | None:
    """A note when the name says one format and the bytes another (unknown extensions pass)."""
    suffix = path.suffix.lower()
    known = set().union(*EXTENSIONS.values())
    if suffix not in known or suffix in EXTENSIONS[kind]:
        return None
    label, short = LABELS[fmt]
    return f"{quoted(path)} is really {label}; read it as {short}."


def _looks_like_data(cell: str) -> bool:
    return "@" in cell or (
        any(ch.isdigit() for ch in cell) and not any(ch.isalpha() for ch in cell)
    )


_DATE_LIKE = re.compile(r"\d{1,4}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{1,4}([ T]\d{1,2}:\d{2}.*)?")
_PHONE_CHARS = re.compile(r"[\s().\-+]")


def _looks_like_patient(cells: Sequence[str]) -> bool:
    """A row above the header that is data, not a title: an email address anywhere, or three
    or more filled cells one of which is a date (1/2/1990, 1990-01-02) or a phone number."""
    filled = [c.strip() for c in cells if c.strip()]
    if any("@" in c for c in filled):
        return True
    return len(filled) >= 3 and any(_DATE_LIKE.fullmatch(c) or _is_phone(c) for c in filled)


def _is_phone(cell: str) -> bool:
    digits = _PHONE_CHARS.sub("", cell)
    return digits.isdigit() and 10 <= len(digits) <= 11


def find_header(rows: Sequence[Sequence[str]]) -> int:
    """Index of the header among ``rows`` (non-blank rows from the top), by the module's rule."""
    best, best_hits = -1, -1
    for index, cells in enumerate(rows):
        filled = [c for c in cells if c]
        if len(filled) < 2 or any(_looks_like_data(c) for c in filled):
            continue
        # A cell that is exactly a known column name weighs more than one that merely contains
        # a header word, so a data row such as "Example Clinic" cannot outrank the real header.
        hits = sum(
            3 if field_for_header(c) else 1 if any(w in c.casefold() for w in HEADER_WORDS) else 0
            for c in filled
        )
        if hits > best_hits:
            best, best_hits = index, hits
    return max(best, 0)


def _used_width(cells: Sequence[str]) -> int:
    """One past the last cell that is not blank (0 for a blank row); cells may be unstripped."""
    for index in range(len(cells) - 1, -1, -1):
        if cells[index] and not cells[index].isspace():
            return index + 1
    return 0


def _survey(
    records: Iterable[tuple[int, list[str]]], where: str, rectangular: bool = False
) -> tuple[_Layout, int]:
    """First pass: the header row, the table width, and proof that data rows exist.

    In a ``rectangular`` source no row is wider than the first, so the pass stops as soon as the
    width reaches that and a data row has been seen: a workbook is not converted twice.
    """
    records = iter(records)
    top: list[tuple[int, list[str]]] = []
    for number, cells in records:
        if _used_width(cells):
            top.append((number, [c.strip() for c in cells]))
            if len(top) == HEADER_SEARCH_ROWS:
                break
    if not top:
        raise InputFileError(f"{where} has no data: every row is blank.")
    chosen = find_header([cells for _, cells in top])
    header_row, header_cells = top[chosen]
    above = next((number for number, cells in top[:chosen] if _looks_like_patient(cells)), None)
    if above is not None:
        raise InputFileError(
            f"{where}: row {above}, above the header row (row {header_row}), looks like patient "
            "data (an email, or a date or phone number among other cells), so it would be "
            "skipped as a title: perhaps two tables are pasted one below the other. Put a "
            "single header row on top of one table (move or delete the other rows) and run again."
        )
    header_cells = [c.strip("\ufeff").strip() for c in header_cells]
    width = _used_width(header_cells)
    data_rows = 0
    bound = len(top[0][1]) if rectangular else MAX_COLUMNS + 1
    for number, cells in itertools.chain(top[chosen + 1 :], records):
        if data_rows and width >= bound:
            break
        used = _used_width(cells)
        if not used:
            continue
        data_rows += 1
        if used > MAX_COLUMNS:
            raise InputFileError(
                f"{where} row {number} has data in column {used}; at most {MAX_COLUMNS} columns "
                "are read: remove the stray cells."
            )
        width = max(width, used)
    if width > MAX_COLUMNS:
        raise InputFileError(f"{where} has more than {MAX_COLUMNS} header columns.")
    if not data_rows:
        raise InputFileError(f"{where} has a header row (row {header_row}) but no data rows.")
    headers = tuple(
        (header_cells[i] if i < len(header_cells) else "") or f"column_{i + 1}"
        for i in range(width)
    )
    return _Layout(header_row, headers, width), top[0][0]


def _rows(source: _Source, layout: _Layout, where: str) -> Iterator[SourceRow]:
    """Second pass: the data rows below the header, blank rows skipped, each ``width`` cells."""
    width = layout.width
    padding = ("",) * width
    for number, cells in source.records():
        if number <= layout.header_row or not any(cells):
            continue
        if len(cells) > width and any(cells[width:]):
            raise InputFileError(f"{where} changed while it was being read (row {number}).")
        row = tuple(cells[:width])
        yield SourceRow(number, row + padding[len(row) :] if len(row) < width else row)
