"""Workbooks (xlsx, xlsm, xlsb, xls, ods) through python-calamine, cells turned into seen text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import python_calamine as cal

from ..errors import InputFileError
from .formulas import uncached_formula_cells
from .sniff import HINT, LABELS, check_zip, quoted

#: Integral floats below this print as integers; Excel keeps 15 significant digits anyway.
_INT_LIMIT = 1e15
_VISIBLE = cal.SheetVisibleEnum.Visible
_WORKSHEET = cal.SheetTypeEnum.WorkSheet


def cell_text(value: Any) -> str:
    """A cell value as the person saw it: ``5552223344.0`` → ``5552223344``, dates in ISO."""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return float_text(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        moment: dt.datetime = value.replace(microsecond=0)
        if moment.time() == dt.time(0):
            return moment.date().isoformat()
        return moment.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.replace(microsecond=0).isoformat()
    if isinstance(value, dt.timedelta):
        seconds = round(value.total_seconds())
        sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
        return f"{sign}{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    return "" if value is None else str(value).strip()


def float_text(value: float) -> str:
    """Shortest faithful text: integral values without ``.0``, others at Excel's 15 digits."""
    if value != value or value in (float("inf"), float("-inf")):
        return str(value)
    if value.is_integer() and abs(value) < _INT_LIMIT:
        return str(int(value))
    text = f"{value:.15g}"
    # 15 significant digits hide binary noise (0.1 + 0.2 → 0.3) the way Excel shows it.
    return text


@dataclass
class WorkbookSource:
    """One sheet of a workbook, loaded by calamine, that can be read from the top more than once."""

    path: Path
    format: str
    sheet: str
    data: cal.CalamineSheet
    notes: list[str] = field(default_factory=list)

    @property
    def rectangular(self) -> bool:
        """True: calamine yields every row of the used range at the range's full width."""
        return True

    def records(self, strip: bool = True) -> Iterator[tuple[int, list[str]]]:
        """Yield ``(Excel row number, cells as text)`` for every row, blank ones included."""
        rows = self.data.iter_rows()
        start = self.data.start
        first_data_row = start[0] if start else 0
        # python-calamine 0.9 yields rows from row 1 of the sheet; older versions start at the
        # first row with data. The first yielded row tells which: it is blank only in the former.
        offset = 1
        for index, row in enumerate(rows):
            cells = [cell_text(v) for v in row]
            if index == 0 and first_data_row > 0 and any(cells):
                offset = first_data_row + 1
            yield index + offset, cells


def open_workbook(path: Path, kind: str, sheet: str | None) -> WorkbookSource:
    """Open a workbook (after the zip-bomb check) and load the chosen sheet."""
    name = quoted(path)
    if kind in ("xlsx", "xlsm", "xlsb", "ods"):
        check_zip(path)
    try:
        with cal.CalamineWorkbook.from_path(str(path)) as wb:
            metas = list(wb.sheets_metadata)
            if not metas:
                raise InputFileError(f"{name} has no sheets.")
            if sheet is not None:
                meta = choose_sheet(name, metas, sheet)
                data = wb.get_sheet_by_name(meta.name)
                notes: list[str] = []
            else:
                meta, data, notes = _default_sheet(name, wb, metas)
    except InputFileError:
        raise
    except cal.PasswordError:
        raise InputFileError(
            f"{name} is password-protected: remove the password in Excel and save it again."
        ) from None
    except (cal.CalamineError, OSError, ValueError) as exc:
        raise InputFileError(_unreadable(path, kind, exc)) from None
    if kind in ("xlsx", "xlsm"):
        notes.extend(_formula_note(path, meta.name))
    return WorkbookSource(path, kind, meta.name, data, notes)


def _formula_note(path: Path, sheet: str) -> list[str]:
    refs = uncached_formula_cells(path, sheet)
    if not refs:
        return []
    shown = ", ".join(refs[:5]) + (f" and {len(refs) - 5} more" if len(refs) > 5 else "")
    return [
        f'Sheet "{sheet}" has {len(refs)} formula cell(s) saved without a value ({shown}); '
        "they read as empty: open the file in Excel and save it again to calculate them."
    ]


def _unreadable(path: Path, kind: str, exc: Exception) -> str:
    """Why calamine failed, without its message (it may quote cell text)."""
    name = quoted(path)
    if kind == "xls":
        with path.open("rb") as f:
            head = f.read(8 << 20)
        if "EncryptedPackage".encode("utf-16-le") in head:
            return f"{name} is password-protected: remove the password in Excel and save it again."
        if "WordDocument".encode("utf-16-le") in head:
            return f"{name} is a Word document, not a spreadsheet: {HINT}"
    return (
        f"{name} could not be read as {LABELS[kind][0]} ({type(exc).__name__}): "
        "the file may be damaged; open it in Excel and save it again."
    )


def _sheet_list(metas: Sequence[cal.SheetMetadata]) -> str:
    return ", ".join(
        f'"{m.name}"' + ("" if m.visible == _VISIBLE else " (hidden)") for m in metas
    )


def choose_sheet(name: str, metas: Sequence[cal.SheetMetadata], wanted: str) -> cal.SheetMetadata:
    """A sheet by exact name, then by name ignoring case and spaces, then by number (1 = first)."""
    for meta in metas:
        if meta.name == wanted:
            return meta
    folded = wanted.strip().casefold()
    for meta in metas:
        if meta.name.strip().casefold() == folded:
            return meta
    text = wanted.strip()
    if text.isdigit() and 1 <= int(text) <= len(metas):
        return metas[int(text) - 1]
    raise InputFileError(
        f'{name} has no sheet "{wanted}": its sheets are {_sheet_list(metas)} '
        "(give --sheet a name, or a number where 1 is the first sheet)."
    )


def _default_sheet(
    name: str, wb: cal.CalamineWorkbook, metas: Sequence[cal.SheetMetadata]
) -> tuple[cal.SheetMetadata, cal.CalamineSheet, list[str]]:
    """The first visible worksheet with data; hidden and empty sheets are passed over."""
    for meta in metas:
        if meta.visible != _VISIBLE or meta.typ != _WORKSHEET:
            continue
        data = wb.get_sheet_by_name(meta.name)
        if data.start is None:
            continue
        notes = []
        if len(metas) > 1:
            others = [m for m in metas if m.name != meta.name]
            notes.append(
                f'Read sheet "{meta.name}" (the first visible sheet with data); '
                f"the workbook also has {_sheet_list(others)}: use --sheet to read another."
            )
        return meta, data, notes
    raise InputFileError(
        f"{name} has no visible sheet with data (sheets: {_sheet_list(metas)}): "
        "use --sheet to pick one."
    )
