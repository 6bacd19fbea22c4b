"""Write the synthetic sample lists: clean patients (CSV + XLSX) and a messy XLSX with known faults.

Run ``python sample_data/make_samples.py``; the output is the same on every run (seeded, with
fixed workbook timestamps). Every person here is made up: emails at example.com, 555 phones.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
import re
import unicodedata
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

HERE = Path(__file__).resolve().parent
SEED = 20240601
EXAM_ID = "1822"
FIXED_TIME = (2024, 6, 1, 0, 0, 0)
FIXED_STAMP = "2024-06-01T00:00:00Z"

FIRST_NAMES = [
    "Ava", "Ben", "Chloe", "Daniel", "Ella", "Felix", "Grace", "Hugo", "Isla", "Jack", "Kara",
    "Liam", "Maya", "Noah", "Olive", "Paul", "Quinn", "Rosa", "Sam", "Tara", "Umar", "Vera",
    "Wade", "Xena", "Yusuf", "Zoe", "José", "Renée", "Zoë", "Siobhán",
]  # fmt: skip
LAST_NAMES = [
    "Abbott", "Baker", "Castillo", "Dunn", "Ellis", "Fischer", "Garcia", "Hughes", "Ibarra",
    "Jensen", "Kowalski", "Lopez", "Murphy", "Nguyen", "O'Neil", "Patel", "Quintero", "Reyes",
    "Santos", "Turner", "Underwood", "Vasquez", "Walsh", "Xu", "Young", "Zimmer", "Núñez",
    "Da Silva",
]  # fmt: skip
#: Served states (not AL or MS), each with a ZIP prefix from that state.
STATES = {
    "NY": ("New York", "100"), "CA": ("California", "940"), "TX": ("Texas", "750"),
    "FL": ("Florida", "331"), "NJ": ("New Jersey", "070"), "MA": ("Massachusetts", "021"),
    "PA": ("Pennsylvania", "191"), "IL": ("Illinois", "606"), "WA": ("Washington", "981"),
    "CO": ("Colorado", "802"), "GA": ("Georgia", "303"), "OH": ("Ohio", "441"),
    "CT": ("Connecticut", "061"), "AZ": ("Arizona", "850"), "OR": ("Oregon", "972"),
}  # fmt: skip

CLEAN_HEADER = [
    "First Name", "Last Name", "Email", "DOB", "Phone", "State", "Zip", "Gender", "Exam IDs",
    "Clinic Patient ID",
]  # fmt: skip
MESSY_HEADER = [
    "Patient First Name", "Last Name", "Date of Birth", "Cell Phone", "E-mail", "State",
    "Postal Code", "Gender", "Clinic Patient ID",
]  # fmt: skip
MESSY_TITLE = "Clinic patient export 2024-06-01 (synthetic test data)"
MESSY_HEADER_ROW = 3


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", ascii_name.lower())


class Patient:
    """One made-up patient."""

    def __init__(self, rng: random.Random, index: int, used: set[str]) -> None:
        while True:
            self.first = rng.choice(FIRST_NAMES)
            self.last = rng.choice(LAST_NAMES)
            exchange = rng.randint(200, 999)
            line = rng.randint(0, 9999)
            self.digits = f"555{exchange}{line:04d}"
            key = f"{self.first} {self.last}"
            if key not in used and self.digits not in used:
                used.update({key, self.digits})
                break
        self.dob = dt.date(1940, 1, 1) + dt.timedelta(days=rng.randint(0, 65 * 365))
        self.state = rng.choice(sorted(STATES))
        self.zip = STATES[self.state][1] + f"{rng.randint(1, 99):02d}"
        self.gender = rng.choice(["F", "M"])
        self.clinic_id = f"CP-{10001 + index}"
        self.email = f"{_slug(self.first)}.{_slug(self.last)}{index}@example.com"


def make_patients(rng: random.Random, count: int) -> list[Patient]:
    """``count`` distinct patients."""
    used: set[str] = set()
    return [Patient(rng, i, used) for i in range(count)]


def write_clean(patients: list[Patient]) -> None:
    """patients.csv (ISO text dates) and patients.xlsx (real date cells), same people."""
    with (HERE / "patients.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(CLEAN_HEADER)
        for p in patients:
            writer.writerow(
                [p.first, p.last, p.email, p.dob.isoformat(), f"+1{p.digits}", p.state, p.zip,
                 p.gender, EXAM_ID, p.clinic_id]
            )  # fmt: skip
    wb = openpyxl.Workbook()
    ws = _sheet(wb, "Patients")
    ws.append(CLEAN_HEADER)
    for p in patients:
        ws.append(
            [p.first, p.last, p.email, p.dob, f"+1{p.digits}", p.state, p.zip, p.gender,
             EXAM_ID, p.clinic_id]
        )  # fmt: skip
        ws.cell(ws.max_row, 4).number_format = "yyyy-mm-dd"
    _save(wb, HERE / "patients.xlsx")


def _phone(p: Patient, style: int) -> Any:
    d = p.digits
    return [
        f"({d[:3]}) {d[3:6]}-{d[6:]}",
        f"{d[:3]}.{d[3:6]}.{d[6:]}",
        f"1-{d[:3]}-{d[3:6]}-{d[6:]}",
        f"+1 {d[:3]} {d[3:6]} {d[6:]}",
        int(d),  # a number cell, as Excel makes of a typed phone
        d,
    ][style % 6]


def _dob(p: Patient, style: int) -> Any:
    b = p.dob
    return [
        f"{b.month}/{b.day}/{b.year}",
        b,  # a date cell
        b.isoformat(),
        f"{b:%B} {b.day}, {b.year}",
    ][style % 4]


def _state(p: Patient, style: int) -> str:
    name = STATES[p.state][0]
    return [p.state, name.lower(), name, p.state.lower()][style % 4]


def _zip(p: Patient) -> Any:
    # ZIPs typed into Excel become numbers, losing the leading zero of 0xxxx codes.
    return int(p.zip) if p.zip.startswith("0") or int(p.zip) % 3 == 0 else p.zip


def _gender(p: Patient, style: int) -> str:
    words = {"F": ["Female", "F", "female", "FEMALE"], "M": ["Male", "M", "male", "MALE"]}
    return words[p.gender][style % 4]


#: The faults planted in messy_patients.xlsx: data-row position, column, bad value, code, why.
FAULTS: list[tuple[int, str, str, str, str]] = [
    (4, "Cell Phone", "5.55234E+09", "phone_scientific_notation",
     "phone in scientific notation: Excel dropped digits"),
    (8, "Cell Phone", "234-5678", "phone_too_short", "7-digit phone: no area code"),
    (12, "E-mail", "jane.doe@", "email_invalid", "email without a domain"),
    (16, "Date of Birth", "2/14/2099", "dob_future", "date of birth in the future"),
    (20, "State", "AL", "tele_state_not_served", "Alabama is not served by Qualiphy"),
    (24, "Last Name", "", "required_missing", "last name missing"),
    (28, "Cell Phone", "555-234-5678 x12", "phone_extension", "phone with an extension"),
    (32, "Date of Birth", "13/45/1990", "dob_invalid_date", "no month 13 or day 45"),
]  # fmt: skip
#: The data-row position of an exact copy of an earlier row, and the position it copies.
DUPLICATE_AT, DUPLICATE_OF = 36, 2
#: A fully blank row is left at this data-row position (Excel row numbers keep counting).
BLANK_AT = 18
MESSY_ROWS = 40


def write_messy(patients: list[Patient]) -> dict[str, Any]:
    """messy_patients.xlsx, and the expectations tests check the results against."""
    wb = openpyxl.Workbook()
    ws = _sheet(wb, "Export")
    ws.append([MESSY_TITLE])
    ws.append([])
    ws.append(MESSY_HEADER)
    faults = {pos: (col, value, code, why) for pos, col, value, code, why in FAULTS}
    excel_row = {}
    rows: dict[int, list[Any]] = {}
    people = iter(patients)
    for pos in range(MESSY_ROWS):
        if pos == BLANK_AT:
            ws.append([])
        if pos == DUPLICATE_AT:
            values = list(rows[DUPLICATE_OF])
        else:
            p = next(people)
            first = f"  {p.first} " if pos % 7 == 3 else p.first
            email = p.email.replace("example.com", "Example.com") if pos % 5 == 1 else p.email
            values = [first, p.last, _dob(p, pos), _phone(p, pos), email, _state(p, pos),
                      _zip(p), _gender(p, pos), p.clinic_id]  # fmt: skip
            if pos in faults:
                column, value = faults[pos][:2]
                values[MESSY_HEADER.index(column)] = value or None
        rows[pos] = values
        ws.append(values)
        excel_row[pos] = ws.max_row
        if isinstance(values[2], dt.date):
            ws.cell(ws.max_row, 3).number_format = "m/d/yyyy"
    _save(wb, HERE / "messy_patients.xlsx")
    invalid = [
        {"row": excel_row[pos], "column": col, "code": code, "why": why}
        for pos, (col, _value, code, why) in sorted(faults.items())
    ]
    return {
        "file": "messy_patients.xlsx",
        "sheet": "Export",
        "header_row": MESSY_HEADER_ROW,
        "data_rows": MESSY_ROWS,
        "blank_rows": [excel_row[BLANK_AT] - 1],
        "invalid": invalid,
        "duplicates": [
            {"row": excel_row[DUPLICATE_AT], "duplicate_of": excel_row[DUPLICATE_OF]}
        ],
        "valid_rows": MESSY_ROWS - len(invalid) - 1,
        "exams": [int(EXAM_ID)],
    }


def _sheet(wb: openpyxl.Workbook, title: str) -> Worksheet:
    ws = wb.active
    assert isinstance(ws, Worksheet)
    ws.title = title
    return ws


def _save(wb: openpyxl.Workbook, path: Path) -> None:
    """Save with fixed timestamps so the committed files only change when their data does."""
    stamp = dt.datetime(*FIXED_TIME)
    wb.properties.creator = "bulk-invite sample_data/make_samples.py"
    wb.properties.created = stamp
    wb.save(path)
    with zipfile.ZipFile(path) as zf:
        parts = [(info, zf.read(info)) for info in zf.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in parts:
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + FIXED_STAMP.encode(), data
                )
            zf.writestr(zipfile.ZipInfo(info.filename, FIXED_TIME), data, zipfile.ZIP_DEFLATED)


def write_expected(expected: dict[str, Any]) -> None:
    """EXPECTED.json for tests, EXPECTED.md for people."""
    (HERE / "EXPECTED.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# What the sample lists should produce",
        "",
        "`patients.csv` and `patients.xlsx`: the same 50 synthetic patients, all valid "
        f"(exam {EXAM_ID}).",
        "",
        f"`messy_patients.xlsx` (sheet `{expected['sheet']}`): a title row, the header on row "
        f"{expected['header_row']}, {expected['data_rows']} data rows, a blank row "
        f"({expected['blank_rows'][0]}). {expected['valid_rows']} rows are valid (some with "
        "warnings: restored ZIP zeros, state names, tele_state taken from State).",
        "",
        "| Excel row | column | issue code | why |",
        "| --- | --- | --- | --- |",
        *(
            f"| {i['row']} | {i['column']} | `{i['code']}` | {i['why']} |"
            for i in expected["invalid"]
        ),
        *(
            f"| {d['row']} | (all) | `duplicate_row` | exact copy of row {d['duplicate_of']} |"
            for d in expected["duplicates"]
        ),
        "",
        "The machine-readable version is `EXPECTED.json`; both are written by `make_samples.py`.",
        "",
    ]
    (HERE / "EXPECTED.md").write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    """Write every sample file."""
    rng = random.Random(SEED)
    write_clean(make_patients(rng, 50))
    write_expected(write_messy(make_patients(random.Random(SEED + 1), MESSY_ROWS)))


if __name__ == "__main__":
    main()
