"""Write the fixture corpus: spreadsheets from real writers, each with its expected result.

Run ``python tests/corpus/make_corpus.py [OUTDIR]`` (default: this folder). The output is
deterministic in content: the same cells, the same ``<name>.expected.json``. Workbook files also
carry fixed document dates, but zip timestamps may differ between runs.

Every case states what the person typed (``raw``) and what the tool must make of it: the exact
payload of a valid row, or the exact set of ``(field, code)`` issues (warnings included). The
expectations are written here by hand from the design rules, never computed by the code under
test. LibreOffice cases are written only when ``soffice`` is installed; otherwise they are
skipped, and the script says so.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The fixed "today" every expectation assumes (dob checks depend on it).
TODAY = dt.date(2026, 1, 15)
#: Document dates written into workbooks, so their properties do not change between runs.
FIXED_TIME = dt.datetime(2025, 1, 2, 3, 4, 5)

FIRST = [
    "Avery",
    "Blake",
    "Casey",
    "Devon",
    "Emery",
    "Finley",
    "Gray",
    "Harper",
    "Jules",
    "Kai",
    "Lane",
    "Morgan",
    "Noel",
    "Oakley",
    "Parker",
    "Quinn",
    "Reese",
    "Sage",
    "Tatum",
    "Wren",
]
LAST = [
    "Testwood",
    "Sampleton",
    "Fakeley",
    "Mockridge",
    "Dummyfield",
    "Exampleton",
    "Stubbs",
    "Placeford",
    "Notreal",
    "Fixturson",
    "Synthwell",
    "Madeupson",
]
TELE = ["NY", "CA", "TX", "FL", "WA", "IL", "PA", "OH", "CO", "GA"]


class Formula(str):
    """A formula cell (written without a cached value unless ``cached`` is given)."""

    cached: Any = None


def formula(text: str, cached: Any = None) -> Formula:
    """A formula cell value."""
    value = Formula(text)
    value.cached = cached
    return value


BLANK = object()  # a fully blank row in the written file
OMIT = object()  # the field is absent from the expected payload


def person(i: int) -> dict[str, Any]:
    """The canonical (normalized) values of synthetic patient ``i``."""
    first, last = FIRST[i % len(FIRST)], LAST[(i * 7) % len(LAST)]
    born = dt.date(1950 + (i * 7) % 50, 1 + (i * 5) % 12, 1 + (i * 11) % 28)
    exchange = 200 + (i * 37) % 700
    return {
        "first_name": first,
        "last_name": last,
        "email": f"{first.lower()}.{last.lower()}{i}@example.com",
        "dob": born.isoformat(),
        "phone_number": f"+1555{exchange:03d}{(i * 91) % 10000:04d}",
        "tele_state": TELE[i % len(TELE)],
        "state": TELE[i % len(TELE)],
        "zip_code": f"{10001 + i * 17:05d}",
        "gender": 1 + i % 3,
        "exams": [12],
        "city": "Springfield",
        "address_line_1": f"{100 + i} Test Street",
    }


def default_raw(field_name: str, canon: dict[str, Any]) -> Any:
    """How a clean cell of ``field_name`` is typed."""
    if field_name == "full_name":
        return f"{canon['first_name']} {canon['last_name']}"
    if field_name == "phone_number":
        digits = canon["phone_number"][2:]
        return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"
    if field_name == "gender":
        return {1: "M", 2: "F", 3: "U"}[canon["gender"]]
    if field_name == "exams":
        return ", ".join(map(str, canon["exams"]))
    return canon.get(field_name, "")


PAYLOAD_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "email",
        "dob",
        "phone_number",
        "tele_state",
        "state",
        "zip_code",
        "gender",
        "exams",
        "city",
        "address_line_1",
    }
)


@dataclass
class Row:
    """One data row: the cells written, and the expected outcome."""

    cells: dict[str, Any]
    status: str
    payload: dict[str, Any] | None
    issues: list[tuple[str, str]]
    extra_data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Case:
    """One corpus file: its layout, writer, rows and expectations."""

    name: str
    writer: str
    columns: list[tuple[str, str]]
    rows: list[Any] = field(default_factory=list)
    title_rows: list[list[str]] = field(default_factory=list)
    col_offset: int = 0
    encoding: str = "utf-8"
    delimiter: str = ","
    settings: dict[str, Any] = field(default_factory=dict)
    catalog: dict[str, int] | None = None
    open_options: dict[str, Any] = field(default_factory=dict)
    table: dict[str, Any] = field(default_factory=dict)
    hidden_first_sheet: bool = False
    error: dict[str, str] | None = None
    raw_bytes: bytes | None = None
    source: str | None = None  # for LibreOffice conversions: the writer of the source file

    @property
    def fields(self) -> list[str]:
        """The field key of every column."""
        return [f for _, f in self.columns]

    def ok(self, i: int, warn: Sequence[tuple[str, str]] = (), **over: Any) -> Row:
        """A valid row of patient ``i``; ``over`` maps field → raw or (raw, expected)."""
        return self._row(i, "valid", list(warn), over)

    def bad(self, i: int, issues: Sequence[tuple[str, str]], **over: Any) -> Row:
        """An invalid row with exactly ``issues`` (errors and warnings)."""
        return self._row(i, "invalid", list(issues), over)

    def dup(self, i: int, warn: Sequence[tuple[str, str]] = (), **over: Any) -> Row:
        """A duplicate of an earlier row."""
        return self._row(i, "duplicate", [*warn, ("row", "duplicate_row")], over)

    def _row(self, i: int, status: str, issues: list[tuple[str, str]], over: dict[str, Any]) -> Row:
        canon = person(i)
        cells: dict[str, Any] = {}
        expected: dict[str, Any] = {}
        extra_data = over.pop("extra_data", {})
        expect = over.pop("expect", {})
        for key in self.fields:
            value = over.get(key, default_raw(key, canon))
            if isinstance(value, tuple):
                raw, want = value
            else:
                raw, want = value, (canon.get(key) if key not in over else value)
            cells[key] = raw
            if key == "full_name":
                if isinstance(want, list):
                    expected["first_name"], expected["last_name"] = want
                else:
                    expected["first_name"] = canon["first_name"]
                    expected["last_name"] = canon["last_name"]
            elif key in PAYLOAD_FIELDS and want is not OMIT and raw not in ("", None):
                expected[key] = want
        if "tele_state" not in self.fields and "state" in expected:
            expected["tele_state"] = expected["state"]
            derived = ("tele_state", "tele_state_from_state")
            if status == "valid" and derived not in issues:
                issues.append(derived)
        expected.update(expect)
        if "exams" not in self.fields and self.settings.get("exams"):
            expected["exams"] = list(self.settings["exams"])
        return Row(cells, status, expected if status == "valid" else None, issues, extra_data)

    # --- expected JSON ------------------------------------------------------------------------

    def first_data_row(self) -> int:
        """The Excel/record number of the first row below the header."""
        return len(self.title_rows) + 2

    def expected(self) -> dict[str, Any]:
        """The ``<name>.expected.json`` document."""
        doc: dict[str, Any] = {"file": self.name, "writer": self.writer}
        if self.source:
            doc["source_writer"] = self.source
        if self.open_options:
            doc["open"] = self.open_options
        if self.error is not None:
            doc["error"] = self.error
            return doc
        if self.settings:
            doc["settings"] = self.settings
        if self.catalog is not None:
            doc["catalog"] = self.catalog
        doc["table"] = {"header_row": len(self.title_rows) + 1, **self.table}
        rows = []
        number = self.first_data_row()
        for row in self.rows:
            if row is BLANK:
                number += 1
                continue
            entry: dict[str, Any] = {"row": number, "status": row.status}
            if row.payload is not None:
                data = {**row.extra_data, "source_file": self.name, "source_row": number}
                entry["payload"] = {**row.payload, "additional_data": data}
            entry["issues"] = sorted([list(pair) for pair in row.issues])
            rows.append(entry)
            number += 1
        doc["rows"] = rows
        return doc

    def grid(self) -> list[list[Any]]:
        """The written rows, title rows and header included, ``None`` for blank cells."""
        out: list[list[Any]] = [list(r) for r in self.title_rows]
        out.append([h for h, _ in self.columns])
        for row in self.rows:
            if row is BLANK:
                out.append([])
            else:
                out.append([row.cells[key] for key in self.fields])
        return out


# --- writers ----------------------------------------------------------------------------------


def as_text(value: Any) -> str:
    """A cell value as a text export writes it."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_csv(case: Case, path: Path) -> None:
    """The csv module, in the case's encoding and delimiter."""
    with path.open("w", encoding=case.encoding, newline="") as f:
        writer = csv.writer(f, delimiter=case.delimiter)
        for cells in case.grid():
            writer.writerow([as_text(c) for c in cells])


def write_openpyxl(case: Case, path: Path) -> None:
    """openpyxl: typed cells, formulas without cached values, optional hidden first sheet."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    if case.hidden_first_sheet:
        ws.title = "Lookup"
        ws.append(["code", "meaning", "phone"])
        ws.append(["x", "old data", "5550000000"])
        ws.sheet_state = "hidden"
        ws = wb.create_sheet("Patients")
    else:
        ws.title = "Patients"
    for r, cells in enumerate(case.grid(), start=1):
        for c, value in enumerate(cells, start=1 + case.col_offset):
            if value is None or value == "":
                continue
            cell = ws.cell(row=r, column=c, value=value)
            if isinstance(value, Formula):
                continue
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"
            elif isinstance(value, dt.datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
            elif isinstance(value, dt.date):
                cell.number_format = "mm/dd/yyyy"
    wb.properties.created = wb.properties.modified = FIXED_TIME
    wb.save(path)


def write_xlsxwriter(case: Case, path: Path) -> None:
    """xlsxwriter: typed cells, date formats, formulas with cached values."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": FIXED_TIME})
    if case.hidden_first_sheet:
        blank = wb.add_worksheet("Cover")
        blank.hide()
        blank.write_row(0, 0, ["not", "patients"])
    ws = wb.add_worksheet("Patients")
    ws.activate()
    date_fmt = wb.add_format({"num_format": "m/d/yyyy"})
    text_fmt = wb.add_format({"num_format": "@"})
    for r, cells in enumerate(case.grid()):
        for c, value in enumerate(cells, start=case.col_offset):
            if value is None or value == "":
                continue
            if isinstance(value, Formula):
                ws.write_formula(r, c, str(value), None, value.cached)
            elif isinstance(value, dt.date):
                ws.write_datetime(r, c, value, date_fmt)
            elif isinstance(value, bool):
                ws.write_boolean(r, c, value)
            elif isinstance(value, int | float):
                ws.write_number(r, c, value)
            else:
                ws.write_string(r, c, value, text_fmt)
    wb.close()


def write_xlwt(case: Case, path: Path) -> None:
    """xlwt: a legacy .xls with date-formatted and numeric cells."""
    import xlwt

    wb = xlwt.Workbook()
    if case.hidden_first_sheet:
        hidden = wb.add_sheet("Old")
        hidden.write(0, 0, "junk")
        hidden.write(0, 1, "data")
        hidden.visibility = 1
    ws = wb.add_sheet("Patients")
    date_style = xlwt.easyxf(num_format_str="M/D/YYYY")
    for r, cells in enumerate(case.grid()):
        for c, value in enumerate(cells, start=case.col_offset):
            if value is None or value == "":
                continue
            if isinstance(value, dt.date):
                ws.write(r, c, value, date_style)
            else:
                ws.write(r, c, value)
    wb.save(str(path))


def write_odfpy(case: Case, path: Path) -> None:
    """odfpy: an OpenDocument spreadsheet with float, date and string cells."""
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Patients")
    for cells in case.grid():
        tr = TableRow()
        for _ in range(case.col_offset):
            tr.addElement(TableCell())
        for value in cells:
            if value is None or value == "":
                tr.addElement(TableCell())
                continue
            if isinstance(value, dt.date):
                tc = TableCell(valuetype="date", datevalue=value.isoformat())
            elif isinstance(value, int | float) and not isinstance(value, bool):
                tc = TableCell(valuetype="float", value=value)
            else:
                tc = TableCell(valuetype="string")
            tc.addElement(P(text=as_text(value)))
            tr.addElement(tc)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    doc.save(str(path))


def soffice() -> str | None:
    """The LibreOffice binary, when installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_with_soffice(source: Path, target: Path) -> None:
    """LibreOffice headless: convert ``source`` to ``target``'s format (a private profile)."""
    binary = soffice()
    assert binary is not None
    ext = target.suffix.lstrip(".")
    filters = {"xls": "xls:MS Excel 97", "ods": "ods", "xlsx": "xlsx:Calc MS Excel 2007 XML"}
    with tempfile.TemporaryDirectory() as tmp:
        profile = Path(tmp, "profile").as_uri()
        args = [binary, f"-env:UserInstallation={profile}", "--headless"]
        if source.suffix == ".csv":
            # comma, double quote, UTF-8 (76), from line 1, standard column types.
            args += ["--infilter=CSV:44,34,76,1"]
        args += ["--convert-to", filters[ext], "--outdir", tmp, str(source)]
        subprocess.run(args, check=True, capture_output=True, timeout=120)
        produced = Path(tmp, source.stem + "." + ext)
        shutil.move(str(produced), target)


WRITERS: dict[str, Callable[[Case, Path], None]] = {
    "csv": write_csv,
    "openpyxl": write_openpyxl,
    "xlsxwriter": write_xlsxwriter,
    "xlwt": write_xlwt,
    "odfpy": write_odfpy,
}


# --- the cases --------------------------------------------------------------------------------

STD = [
    ("First Name", "first_name"),
    ("Last Name", "last_name"),
    ("Email", "email"),
    ("DOB", "dob"),
    ("Phone", "phone_number"),
    ("Tele State", "tele_state"),
    ("Exam IDs", "exams"),
]
WITH_ADDRESS = [*STD, ("State", "state"), ("Zip", "zip_code"), ("Gender", "gender")]
E = "error"


def csv_cases() -> list[Case]:
    """Text exports: every encoding, delimiter, and most kinds of field damage."""
    cases: list[Case] = []

    c = Case("csv_utf8_phone_formats.csv", "csv", STD, table={"format": "csv", "encoding": "utf-8"})
    c.rows = [
        c.ok(1, phone_number=("(555) 222-3344", "+15552223344")),
        c.ok(2, phone_number=("555.222.3345", "+15552223345")),
        c.ok(3, phone_number=("1-555-222-3346", "+15552223346")),
        c.ok(4, phone_number=("+1 555 222 3347", "+15552223347")),
        c.ok(5, phone_number=("5552223348", "+15552223348")),
        c.ok(6, phone_number=("5552223349.0", "+15552223349")),
        c.ok(7, phone_number=("555 222 3350", "+15552223350")),
        c.bad(8, [("phone_number", "phone_scientific_notation")], phone_number="5.55222E+09"),
        c.bad(9, [("phone_number", "phone_extension")], phone_number="555-222-3344 x12"),
        c.bad(10, [("phone_number", "phone_letters")], phone_number="1-800-FLOWERS"),
        c.bad(11, [("phone_number", "phone_not_us")], phone_number="+44 20 7946 0958"),
        c.bad(12, [("phone_number", "phone_too_short")], phone_number="555-1234"),
        c.bad(13, [("phone_number", "phone_too_long")], phone_number="55522233441"),
        c.bad(14, [("phone_number", "phone_bad_area_code")], phone_number="(155) 222-3344"),
        c.bad(15, [("phone_number", "phone_bad_exchange")], phone_number="555-122-3344"),
        c.bad(16, [("phone_number", "phone_invalid_characters")], phone_number="555*222*3344"),
        c.bad(17, [("phone_number", "required_missing")], phone_number=""),
    ]
    cases.append(c)

    c = Case(
        "csv_utf8_bom_accents.csv",
        "csv",
        STD,
        encoding="utf-8-sig",
        table={"format": "csv", "encoding": "utf-8-sig"},
    )
    c.rows = [
        c.ok(1, first_name="José", last_name="Núñez"),
        c.ok(2, first_name="Zoë", last_name="O’Brien"),
        c.ok(3, first_name="François", last_name="Çelik-Ünal"),
    ]
    cases.append(c)

    for name, encoding, delimiter, fmt in [
        ("csv_utf16_unicode_text.txt", "utf-16", "\t", "tsv"),
        ("csv_utf16_comma.csv", "utf-16", ",", "csv"),
    ]:
        c = Case(
            name,
            "csv",
            STD,
            encoding=encoding,
            delimiter=delimiter,
            table={"format": fmt, "encoding": "utf-16"},
        )
        c.rows = [c.ok(1, first_name="José"), c.ok(2, last_name="Müller"), c.ok(3)]
        cases.append(c)

    c = Case(
        "csv_cp1252_legacy.csv",
        "csv",
        STD,
        encoding="cp1252",
        table={"format": "csv", "encoding": "cp1252"},
    )
    c.rows = [
        c.ok(1, first_name="José", last_name="O’Brien"),
        c.ok(2, first_name="Renée", last_name="Nuñez"),
        c.ok(3),
    ]
    cases.append(c)

    cols = [*STD, ("Notes", "extra:notes")]
    c = Case(
        "csv_latin1_legacy.csv",
        "csv",
        cols,
        encoding="latin-1",
        table={"format": "csv", "encoding": "latin-1"},
    )
    c.rows = [
        c.ok(1, first_name="José", **{"extra:notes": "ref \x8d 1"}),
        c.ok(2, last_name="Größe", **{"extra:notes": "ok"}),
    ]
    cases.append(c)

    for name, delimiter, fmt in [
        ("csv_semicolon_dayfirst.csv", ";", "csv"),
        ("csv_tab_dayfirst.tsv", "\t", "tsv"),
    ]:
        c = Case(name, "csv", STD, delimiter=delimiter, table={"format": fmt})
        c.rows = [
            c.ok(1, dob=("25/12/1990", "1990-12-25")),
            c.ok(2, dob=("06/05/1990", "1990-05-06")),
            c.ok(3, dob=("13.01.1985", "1985-01-13")),
            c.ok(4, dob=("31/1/1975", "1975-01-31")),
            c.ok(5, dob=("20/02/1966", "1966-02-20")),
            c.ok(6, dob=("28/07/2001", "2001-07-28")),
            c.bad(7, [("dob", "dob_order_conflict")], dob="12/25/1990"),
        ]
        cases.append(c)

    c = Case("csv_pipe_delimited.txt", "csv", STD, delimiter="|", table={"format": "csv"})
    c.rows = [c.ok(1), c.ok(2, exams=("12, 15", [12, 15])), c.ok(3)]
    cases.append(c)

    c = Case("csv_mojibake.csv", "csv", STD, table={"encoding": "utf-8"})
    c.rows = [
        c.bad(1, [("first_name", "text_mojibake")], first_name="JosÃ©"),
        c.bad(2, [("last_name", "text_mojibake")], last_name="MÃ¼ller"),
        c.ok(3, first_name="José"),
    ]
    cases.append(c)

    c = Case(
        "csv_title_rows.csv",
        "csv",
        STD,
        title_rows=[["Patient export"], ["Generated 2025-01-02 by ExampleEHR"], []],
        table={"notes": ["header row"]},
    )
    c.rows = [c.ok(1), c.ok(2)]
    cases.append(c)

    ehr = [
        ("Patient First Name", "first_name"),
        ("Patient Last Name", "last_name"),
        ("Patient Email", "email"),
        ("Date of Birth", "dob"),
        ("Mobile Phone", "phone_number"),
        ("Visit State", "tele_state"),
        ("Exam Id List", "exams"),
        ("Sex", "gender"),
        ("Postal Code", "zip_code"),
        ("MRN", "extra:mrn"),
    ]
    c = Case("csv_ehr_export_aliases.csv", "csv", ehr)
    c.rows = [c.ok(1, **{"extra:mrn": "MRN-0001"}), c.ok(2, **{"extra:mrn": "MRN-0002"})]
    cases.append(c)

    crm = [
        ("FName", "first_name"),
        ("LName", "last_name"),
        ("E-mail", "email"),
        ("Birthdate", "dob"),
        ("Cell #", "phone_number"),
        ("ST", "state"),
        ("Zip/Postal Code", "zip_code"),
        ("Exam IDs", "exams"),
        ("Gender Identity", "gender"),
        ("Contact Owner", "extra:owner"),
    ]
    c = Case("csv_crm_export_aliases.csv", "csv", crm)
    c.rows = [c.ok(1), c.ok(2, state=("ny", "NY")), c.ok(3)]
    cases.append(c)

    names = [
        ("Name", "full_name"),
        ("Email", "email"),
        ("DOB", "dob"),
        ("Phone", "phone_number"),
        ("Tele State", "tele_state"),
        ("Exams", "exams"),
    ]
    c = Case("csv_full_name_split.csv", "csv", names)
    c.rows = [
        c.ok(1, full_name=("Testwood, Avery", ["Avery", "Testwood"])),
        c.ok(2, full_name=("Blake Sampleton", ["Blake", "Sampleton"])),
        c.ok(
            3,
            [("full_name", "name_split_guess")],
            full_name=("Mary Ann Fakeley", ["Mary Ann", "Fakeley"]),
        ),
        c.ok(4, full_name=("Devon Mockridge Jr.", ["Devon", "Mockridge Jr."])),
        c.bad(5, [("full_name", "name_cannot_split")], full_name="Cher"),
    ]
    cases.append(c)

    c = Case("csv_dates_us_spellings.csv", "csv", STD)
    c.rows = [
        c.ok(1, dob=("6/30/1990", "1990-06-30")),
        c.ok(2, [("dob", "dob_two_digit_year")], dob=("6-30-90", "1990-06-30")),
        c.ok(3, dob=("June 30, 1990", "1990-06-30")),
        c.ok(4, dob=("30-Jun-1990", "1990-06-30")),
        c.ok(5, [("dob", "dob_excel_serial")], dob=("32689", "1989-06-30")),
        c.ok(6, [("dob", "dob_time_ignored")], dob=("1990-06-30 13:45:00", "1990-06-30")),
        c.ok(7, [("dob", "dob_two_digit_year")], dob=("1/2/05", "2005-01-02")),
        c.ok(8, [("dob", "dob_two_digit_year")], dob=("12/31/25", "2025-12-31")),
        c.ok(9, [("dob", "dob_two_digit_year")], dob=("3/1/26", "1926-03-01")),
        c.ok(10, dob=("12/25/1990", "1990-12-25")),
        c.bad(11, [("dob", "dob_future")], dob="2030-01-01"),
        c.bad(12, [("dob", "dob_too_old")], dob="1890-01-01"),
        c.bad(13, [("dob", "dob_invalid_date")], dob="2/30/1990"),
        c.bad(14, [("dob", "dob_year_only")], dob="1990"),
        c.bad(15, [("dob", "dob_unrecognized")], dob="next Tuesday"),
    ]
    cases.append(c)

    for name, order, want in [
        ("csv_dates_ambiguous_default.csv", None, ("1990-06-05", "1984-03-04")),
        ("csv_dates_ambiguous_dmy.csv", "dmy", ("1990-05-06", "1984-04-03")),
    ]:
        c = Case(name, "csv", STD, settings={"date_order": order} if order else {})
        assumed = [("dob", "dob_order_assumed")]
        c.rows = [
            c.ok(1, assumed, dob=("06/05/1990", want[0])),
            c.ok(2, assumed, dob=("3/4/1984", want[1])),
            c.ok(3, dob=("07/07/1977", "1977-07-07")),
        ]
        cases.append(c)

    states = [
        ("First Name", "first_name"),
        ("Last Name", "last_name"),
        ("Email", "email"),
        ("DOB", "dob"),
        ("Phone", "phone_number"),
        ("Telehealth State", "tele_state"),
        ("Exams", "exams"),
        ("Home State", "state"),
    ]
    c = Case("csv_states_spellings.csv", "csv", states)
    c.rows = [
        c.ok(1, tele_state=("N.Y.", "NY"), state=("new york", "NY")),
        c.ok(2, tele_state=(" ca ", "CA"), state=("California", "CA")),
        c.ok(3, tele_state=("Washington DC", "DC"), state=("D.C.", "DC")),
        c.ok(
            4, [("tele_state", "tele_state_test_mode")], tele_state=("TE", "TE"), state=("te", "TE")
        ),
        c.bad(
            5,
            [("tele_state", "state_unrecognized")],
            tele_state="test",
            state=("North Carolina", "NC"),
        ),
        c.ok(6, tele_state=("NEW   HAMPSHIRE", "NH"), state=("Puerto Rico", "PR")),
        c.bad(7, [("tele_state", "tele_state_not_served")], tele_state="AL"),
        c.bad(8, [("tele_state", "tele_state_not_served")], tele_state="Mississippi"),
        c.bad(9, [("tele_state", "tele_state_not_served")], tele_state="PR"),
        c.bad(10, [("tele_state", "state_unrecognized")], tele_state="Calif."),
        c.bad(11, [("state", "state_unrecognized")], state="Nowhere"),
    ]
    cases.append(c)

    no_tele = [
        ("First Name", "first_name"),
        ("Last Name", "last_name"),
        ("Email", "email"),
        ("DOB", "dob"),
        ("Phone", "phone_number"),
        ("State", "state"),
        ("Exams", "exams"),
    ]
    c = Case("csv_tele_state_from_state.csv", "csv", no_tele)
    c.rows = [
        c.ok(1),
        c.ok(2, state=("Texas", "TX")),
        c.bad(3, [("tele_state", "tele_state_not_served")], state=("AL", "AL")),
        c.bad(4, [("tele_state", "required_missing")], state=""),
    ]
    cases.append(c)

    c = Case("csv_gender_words.csv", "csv", [*STD, ("Gender", "gender")])
    c.rows = [
        c.ok(1, gender=("Male", 1)),
        c.ok(2, gender=("female", 2)),
        c.ok(3, gender=("F", 2)),
        c.ok(4, gender=("m", 1)),
        c.ok(5, gender=("Prefer not to say", 3)),
        c.ok(6, gender=("U", 3)),
        c.ok(7, gender=("2", 2)),
        c.ok(8, gender=("1.0", 1)),
        c.ok(9, gender=("Non-binary", 3)),
        c.ok(10, gender=("", OMIT)),
        c.bad(11, [("gender", "gender_unrecognized")], gender="Q"),
    ]
    cases.append(c)

    c = Case("csv_exam_spellings.csv", "csv", STD)
    c.rows = [
        c.ok(1, exams=("12", [12])),
        c.ok(2, exams=("12,15", [12, 15])),
        c.ok(3, exams=("12; 15", [12, 15])),
        c.ok(4, exams=("[12, 15]", [12, 15])),
        c.ok(5, exams=("12|15", [12, 15])),
        c.ok(6, exams=("12 15", [12, 15])),
        c.ok(7, exams=("12.0", [12])),
        c.ok(8, exams=("(12, 15, 20)", [12, 15, 20])),
        c.ok(9, [("exams", "exams_duplicates_removed")], exams=("12,12,15", [12, 15])),
        c.bad(10, [("exams", "exams_invalid")], exams="12a"),
        c.bad(11, [("exams", "exams_not_positive")], exams="-3"),
        c.bad(12, [("exams", "exams_not_positive")], exams="0"),
        c.bad(13, [("exams", "required_missing")], exams="[]"),
    ]
    cases.append(c)

    c = Case("csv_exam_catalog.csv", "csv", STD, catalog={"12": 1, "15": 1, "20": 2, "21": 2})
    c.rows = [
        c.ok(1, exams=("12, 20", [12, 20])),
        c.bad(2, [("exams", "exam_multiple_rx")], exams="20, 21"),
        c.bad(3, [("exams", "exam_unknown")], exams="99999"),
    ]
    cases.append(c)

    c = Case("csv_exams_default.csv", "csv", STD[:6], settings={"exams": [12, 15]})
    c.rows = [c.ok(1), c.ok(2)]
    cases.append(c)

    c = Case("csv_email_typos.csv", "csv", STD)
    c.rows = [
        c.ok(1, [("email", "email_domain_typo")], email=("avery.t@gmial.com", "avery.t@gmial.com")),
        c.ok(2, [("email", "email_domain_typo")], email=("b.s@gmail.con", "b.s@gmail.con")),
        c.ok(3, [("email", "email_domain_typo")], email=("c.f@yahooo.com", "c.f@yahooo.com")),
        c.ok(4, email=("Devon.M@EXAMPLE.COM", "Devon.M@example.com")),
        c.ok(5, email=("mailto:emery@example.com", "emery@example.com")),
        c.ok(6, email=("  finley@example.org  ", "finley@example.org")),
        c.bad(7, [("email", "email_invalid")], email="gray@"),
        c.bad(8, [("email", "email_invalid")], email="harper at example.com"),
        c.bad(9, [("email", "email_multiple")], email="jules@example.com; kai@example.com"),
    ]
    cases.append(c)

    web = [
        *STD,
        ("Webhook URL", "webhook_url"),
        ("redirect_approve", "redirect_approve"),
        ("Additional Data", "additional_data"),
    ]
    c = Case("csv_urls_and_json.csv", "csv", web)
    c.rows = [
        c.ok(
            1,
            webhook_url="https://hooks.example.com/q",
            redirect_approve="",
            additional_data='{"order_id": "A-1"}',
            extra_data={"order_id": "A-1"},
            expect={"webhook_url": "https://hooks.example.com/q"},
        ),
        c.ok(
            2,
            webhook_url="http://127.0.0.1:8080/hook",
            redirect_approve="https://example.org/ok",
            additional_data="",
            expect={
                "webhook_url": "http://127.0.0.1:8080/hook",
                "redirect_approve": "https://example.org/ok",
            },
        ),
        c.ok(
            3,
            [("additional_data", "additional_data_wrapped")],
            webhook_url="",
            redirect_approve="",
            additional_data="[1, 2]",
            extra_data={"data": [1, 2]},
        ),
        c.bad(4, [("webhook_url", "url_not_https")], webhook_url="http://example.com/hook"),
        c.bad(5, [("webhook_url", "url_invalid")], webhook_url="example.com/hook"),
        c.bad(6, [("redirect_approve", "url_invalid")], redirect_approve="ftp://example.com/x"),
        c.bad(7, [("additional_data", "json_invalid")], additional_data="{order: 1}"),
    ]
    cases.append(c)

    ints = [
        *STD,
        ("pharmacy_id", "pharmacy_id"),
        ("Order Set", "order_set_id"),
        ("POS ID", "exam_pos_id"),
        ("custom_pharmacy", "custom_pharmacy"),
        ("NCPDP ID", "ncpdpid"),
    ]
    c = Case("csv_integer_fields.csv", "csv", ints)
    c.rows = [
        c.ok(
            1,
            pharmacy_id="16",
            order_set_id="610.0",
            exam_pos_id="",
            custom_pharmacy="2",
            ncpdpid="",
            expect={"pharmacy_id": 16, "order_set_id": 610, "custom_pharmacy": 2},
        ),
        c.ok(
            2,
            pharmacy_id="",
            order_set_id="",
            exam_pos_id="7",
            custom_pharmacy="1",
            ncpdpid="0512345",
            expect={"exam_pos_id": 7, "custom_pharmacy": 1, "ncpdpid": "0512345"},
        ),
        c.bad(
            3,
            [("pharmacy_id", "number_invalid")],
            pharmacy_id="abc",
            order_set_id="",
            exam_pos_id="",
            custom_pharmacy="",
            ncpdpid="",
        ),
        c.bad(
            4,
            [("order_set_id", "number_invalid")],
            pharmacy_id="",
            order_set_id="0",
            exam_pos_id="",
            custom_pharmacy="",
            ncpdpid="",
        ),
        c.bad(
            5,
            [("custom_pharmacy", "choice_invalid")],
            pharmacy_id="",
            order_set_id="",
            exam_pos_id="",
            custom_pharmacy="3",
            ncpdpid="",
        ),
        c.bad(
            6,
            [("ncpdpid", "ncpdpid_invalid")],
            pharmacy_id="",
            order_set_id="",
            exam_pos_id="",
            custom_pharmacy="",
            ncpdpid="12AB",
        ),
    ]
    cases.append(c)

    text = [*STD, ("Address", "address_line_1"), ("City", "city")]
    c = Case("csv_text_limits_and_controls.csv", "csv", text)
    c.rows = [
        c.ok(1, first_name=("Avery\u00a0Jo", "Avery Jo"), last_name=("Test\u200bwood", "Testwood")),
        c.ok(
            2,
            first_name=("  Blake   Lee ", "Blake Lee"),
            city=("Spring\u00a0 field", "Spring field"),
        ),
        c.bad(3, [("first_name", "text_formula")], first_name='=HYPERLINK("x")'),
        c.bad(4, [("last_name", "text_formula")], last_name="@SUM(A1)"),
        c.bad(5, [("first_name", "text_control_characters")], first_name="Ca\x07sey"),
        c.bad(6, [("last_name", "text_too_long")], last_name="L" * 101),
        c.bad(7, [("address_line_1", "text_too_long")], address_line_1="9 " + "A" * 300),
        c.bad(8, [("first_name", "name_no_letters")], first_name="12345"),
        c.bad(9, [("city", "text_formula")], city="=1+1"),
    ]
    cases.append(c)

    c = Case("csv_duplicates.csv", "csv", STD)
    c.rows = [
        c.ok(1),
        c.ok(2),
        c.dup(1, phone_number=("1" + person(1)["phone_number"][2:], person(1)["phone_number"])),
        c.dup(
            1,
            email=person(1)["email"].upper().replace("EXAMPLE.COM", "example.com"),
            first_name=f" {person(1)['first_name'].lower()} ",
        ),
        c.ok(1, exams=("15", [15])),
    ]
    cases.append(c)

    c = Case("csv_blank_rows_and_columns.csv", "csv", [*STD, ("", "extra:blank1")])
    c.rows = [c.ok(1), BLANK, BLANK, c.ok(2), BLANK, c.ok(3)]
    cases.append(c)

    c = Case("csv_required_missing.csv", "csv", STD)
    c.rows = [
        c.bad(
            1,
            [("first_name", "required_missing"), ("email", "required_missing")],
            first_name="",
            email="",
        ),
        c.bad(
            2,
            [("dob", "required_missing"), ("tele_state", "required_missing")],
            dob="",
            tele_state="",
        ),
    ]
    cases.append(c)

    c = Case("csv_excel_datetimes_and_invisibles.csv", "csv", [*STD, ("Zip", "zip_code")])
    c.rows = [
        c.ok(1, dob=("6/30/1990 0:00", "1990-06-30"), zip_code=("\u200b02134", "02134")),
        c.ok(
            2,
            [("dob", "dob_time_ignored")],
            dob=("12/25/1990 13:45", "1990-12-25"),
            phone_number=("\u200b(555) 222-3344\u200b", "+15552223344"),
        ),
        c.ok(
            3,
            dob=("07/31/1985 12:00:00 AM", "1985-07-31"),
            email=("\ufeffcasey@example.com\u200b", "casey@example.com"),
        ),
        c.ok(
            4,
            phone_number=("５５５-２２２-３３４５", "+15552223345"),
            zip_code=("０２１３４", "02134"),
            exams=("１２", [12]),
        ),
    ]
    cases.append(c)

    c = Case(
        "wrong_extension_csv_named.xlsx",
        "csv",
        STD,
        table={"format": "csv", "notes": ["is really a CSV file"]},
    )
    c.rows = [c.ok(1), c.ok(2)]
    cases.append(c)
    return cases


def workbook_cases() -> list[Case]:
    """openpyxl, xlsxwriter, xlwt and odfpy: typed cells and workbook-only damage."""
    cases: list[Case] = []
    typed = WITH_ADDRESS
    for name, writer in [
        ("xlsx_openpyxl_typed_cells.xlsx", "openpyxl"),
        ("xlsx_xlsxwriter_typed_cells.xlsx", "xlsxwriter"),
        ("xls_xlwt_typed_cells.xls", "xlwt"),
        ("ods_odfpy_typed_cells.ods", "odfpy"),
    ]:
        fmt = name.rsplit(".", 1)[1]
        c = Case(name, writer, typed, table={"format": fmt, "sheet": "Patients"})
        zip_warn = [("zip_code", "zip_leading_zero_restored")]
        c.rows = [
            c.ok(
                1,
                phone_number=(5552223344, "+15552223344"),
                dob=(dt.date(1990, 6, 30), "1990-06-30"),
                zip_code=(2134, "02134"),
                state=("MA", "MA"),
                gender=(2, 2),
                exams=(12, [12]),
                warn=zip_warn,
            ),
            c.ok(
                2,
                phone_number=(5552223345.0, "+15552223345"),
                dob=(32689, "1989-06-30"),
                zip_code=(501, "00501"),
                state=("NY", "NY"),
                gender=(1.0, 1),
                exams=(15.0, [15]),
                warn=[*zip_warn, ("dob", "dob_excel_serial")],
            ),
            c.bad(
                6,
                [("zip_code", "zip_leading_zero_mismatch")],
                zip_code=7701,
                state=("TX", "TX"),
            ),
            c.ok(3, dob=(dt.datetime(1980, 1, 2, 0, 0), "1980-01-02"), zip_code=(90210, "90210")),
            c.bad(4, [("phone_number", "phone_scientific_notation")], phone_number="5.55222E+09"),
            c.ok(5, zip_code=("02134-1234", "02134-1234"), dob=("7/31/1976", "1976-07-31")),
        ]
        cases.append(c)

    c = Case(
        "xlsx_openpyxl_uncached_formulas.xlsx",
        "openpyxl",
        STD,
        table={"notes": ["formula cell(s) saved without a value"]},
    )
    c.rows = [
        c.bad(1, [("email", "required_missing")], email=formula('=LOWER("A@EXAMPLE.COM")')),
        c.bad(2, [("phone_number", "required_missing")], phone_number=formula("=5552223344")),
        c.ok(3),
    ]
    cases.append(c)

    c = Case("xlsx_xlsxwriter_cached_formulas.xlsx", "xlsxwriter", STD)
    c.rows = [
        c.ok(
            1,
            email=(
                formula('=LOWER("Avery@Example.com")', "avery@example.com"),
                "avery@example.com",
            ),
        ),
        c.ok(2, phone_number=(formula("=5552223346", 5552223346), "+15552223346")),
    ]
    cases.append(c)

    for name, writer in [
        ("xlsx_openpyxl_hidden_first_sheet.xlsx", "openpyxl"),
        ("xlsx_xlsxwriter_hidden_first_sheet.xlsx", "xlsxwriter"),
        ("xls_xlwt_hidden_first_sheet.xls", "xlwt"),
    ]:
        c = Case(
            name,
            writer,
            STD,
            hidden_first_sheet=True,
            table={"sheet": "Patients", "notes": ["first visible sheet with data"]},
        )
        c.rows = [c.ok(1), c.ok(2)]
        cases.append(c)

    for name, writer in [
        ("xlsx_openpyxl_title_rows_offset.xlsx", "openpyxl"),
        ("xlsx_xlsxwriter_title_rows_offset.xlsx", "xlsxwriter"),
        ("xls_xlwt_title_rows.xls", "xlwt"),
        ("ods_odfpy_title_rows.ods", "odfpy"),
    ]:
        c = Case(
            name,
            writer,
            STD,
            col_offset=2,
            title_rows=[["Clinic patient list"], ["Exported 01/02/2025"], []],
            table={"notes": ["header row"]},
        )
        c.rows = [c.ok(1), BLANK, c.ok(2), BLANK, BLANK, c.ok(3)]
        cases.append(c)

    c = Case(
        "xlsx_openpyxl_invisible_chars.xlsx", "openpyxl", [*STD, ("Address", "address_line_1")]
    )
    c.rows = [
        c.ok(
            1, first_name=("\u00a0Avery\u200b", "Avery"), last_name=("Test\u00a0wood", "Test wood")
        ),
        c.ok(
            2,
            first_name=("Bla\u00adke", "Blake"),
            address_line_1=("\ufeff101 Test\u2009Street", "101 Test Street"),
        ),
        c.bad(3, [("first_name", "text_mojibake")], first_name="JosÃ©"),
        c.bad(4, [("first_name", "text_formula")], first_name="=Literal text"),
    ]
    cases.append(c)

    c = Case("xlsx_xlsxwriter_dayfirst_date_text.xlsx", "xlsxwriter", STD)
    c.rows = [
        c.ok(1, dob=("25/12/1990", "1990-12-25")),
        c.ok(2, dob=("06/05/1990", "1990-05-06")),
        c.ok(3, dob=(dt.date(1970, 3, 4), "1970-03-04")),
    ]
    cases.append(c)

    names = [
        ("Patient Name", "full_name"),
        ("E-mail Address", "email"),
        ("Birth Date", "dob"),
        ("Cell Phone", "phone_number"),
        ("Location State", "tele_state"),
        ("Exam List", "exams"),
    ]
    c = Case("ods_odfpy_aliases_full_name.ods", "odfpy", names)
    c.rows = [
        c.ok(
            1,
            full_name=("Testwood, Avery", ["Avery", "Testwood"]),
            dob=(dt.date(1991, 2, 3), "1991-02-03"),
        ),
        c.ok(2, phone_number=(5552223344, "+15552223344")),
        c.bad(3, [("full_name", "name_cannot_split")], full_name="Madonna"),
    ]
    cases.append(c)

    c = Case("xlsx_openpyxl_two_digit_years.xlsx", "openpyxl", STD)
    c.rows = [
        c.ok(1, [("dob", "dob_two_digit_year")], dob=("06/30/90", "1990-06-30")),
        c.ok(2, [("dob", "dob_two_digit_year")], dob=("01/16/26", "1926-01-16")),
        c.ok(3, [("dob", "dob_two_digit_year")], dob=("12/13/01", "2001-12-13")),
    ]
    cases.append(c)
    return cases


def bad_file_cases() -> list[Case]:
    """Files that are not patient lists: one clear InputFileError each."""
    cases: list[Case] = []
    for name, data, words in [
        ("not_a_spreadsheet.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "PDF"),
        ("image_named_as.xlsx", b"\x89PNG\r\n\x1a\n" + bytes(64), "PNG"),
        ("gzip_named_as.csv", b"\x1f\x8b\x08\x00" + bytes(32), "gzip"),
    ]:
        cases.append(
            Case(
                name,
                "bytes",
                [],
                raw_bytes=data,
                error={"type": "InputFileError", "contains": words},
            )
        )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        info = zipfile.ZipInfo("readme.txt", date_time=(2025, 1, 2, 3, 4, 6))
        zf.writestr(info, "not a workbook")
    cases.append(
        Case(
            "zip_named_as.xlsx",
            "bytes",
            [],
            raw_bytes=buffer.getvalue(),
            error={"type": "InputFileError", "contains": "zip archive"},
        )
    )
    c = Case(
        "header_only.csv", "csv", STD, error={"type": "InputFileError", "contains": "no data rows"}
    )
    cases.append(c)
    cases.append(
        Case(
            "all_blank.csv",
            "bytes",
            [],
            raw_bytes=b",,,\r\n\r\n,,\r\n",
            error={"type": "InputFileError", "contains": "every row is blank"},
        )
    )
    return cases


def libreoffice_cases() -> list[Case]:
    """Files converted by LibreOffice headless from files the other writers made."""
    cases: list[Case] = []
    for target in ("xls", "ods", "xlsx"):
        c = Case(
            f"lo_typed_cells.{target}",
            "soffice",
            WITH_ADDRESS,
            source="openpyxl",
            table={"format": target, "sheet": "Patients"},
        )
        zip_warn = [("zip_code", "zip_leading_zero_restored")]
        c.rows = [
            c.ok(
                1,
                phone_number=(5552223344, "+15552223344"),
                dob=(dt.date(1990, 6, 30), "1990-06-30"),
                zip_code=(2134, "02134"),
                state=("MA", "MA"),
                warn=zip_warn,
            ),
            c.ok(
                2,
                [("dob", "dob_excel_serial")],
                phone_number=(5552223345.0, "+15552223345"),
                dob=(32689, "1989-06-30"),
                gender=(3, 3),
            ),
            c.bad(3, [("phone_number", "phone_scientific_notation")], phone_number="5.55222E+09"),
        ]
        cases.append(c)
    for target in ("xlsx", "ods"):
        # CSV opened by LibreOffice with standard column types: the classic damage happens here.
        c = Case(
            f"lo_from_csv.{target}", "soffice", WITH_ADDRESS, source="csv", table={"format": target}
        )
        zip_warn = [("zip_code", "zip_leading_zero_restored")]
        c.rows = [
            c.ok(
                1,
                zip_code=("02134", "02134"),
                state=("MA", "MA"),
                phone_number=("5552223344", "+15552223344"),
                dob=("06/30/1990", "1990-06-30"),
                warn=zip_warn,
            ),
            c.ok(
                2,
                zip_code=("00501", "00501"),
                state=("NY", "NY"),
                phone_number=("5552223345", "+15552223345"),
                dob=("12/25/1990", "1990-12-25"),
                warn=zip_warn,
            ),
        ]
        cases.append(c)
    return cases


def all_cases() -> list[Case]:
    """Every case, LibreOffice ones included (written only where soffice exists)."""
    return [*csv_cases(), *workbook_cases(), *bad_file_cases(), *libreoffice_cases()]


def write_case(case: Case, outdir: Path) -> Path:
    """Write one case's file and its expected JSON; return the file's path."""
    path = outdir / case.name
    if case.raw_bytes is not None:
        path.write_bytes(case.raw_bytes)
    elif case.writer == "soffice":
        with tempfile.TemporaryDirectory() as tmp:
            suffix = ".csv" if case.source == "csv" else ".xlsx"
            source = Path(tmp, Path(case.name).stem + suffix)
            WRITERS[case.source or "openpyxl"](case, source)
            convert_with_soffice(source, path)
    else:
        WRITERS[case.writer](case, path)
    expected = outdir / f"{case.name}.expected.json"
    expected.write_text(
        json.dumps(case.expected(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return path


def main(argv: Sequence[str]) -> int:
    """Write the corpus into ``argv[0]`` (default: this script's folder)."""
    outdir = Path(argv[0]) if argv else Path(__file__).resolve().parent
    outdir.mkdir(parents=True, exist_ok=True)
    have_soffice = soffice() is not None
    written = skipped = 0
    for case in all_cases():
        if case.writer == "soffice" and not have_soffice:
            skipped += 1
            continue
        write_case(case, outdir)
        written += 1
    print(f"wrote {written} files to {outdir}", file=sys.stderr)
    if skipped:
        print(f"skipped {skipped} LibreOffice files: soffice is not installed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
