"""A deterministic 1,000-row patient list with known damage, and the ground truth of every value.

``generate()`` builds the rows (typed values, as a workbook holds them) and the list of damage
injected: each damaged row has exactly one damaged field, either repairable (with the value the
tool must produce and the warning it must give, if any) or not (with the error code it must
report). Every other cell is clean. ``write_xlsx`` writes real date and number cells;
``write_csv`` writes the text Excel and pandas exports contain. Synthetic data only.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TODAY = dt.date(2026, 1, 15)
HEADERS = ("First Name", "Last Name", "Email", "DOB", "Phone", "Tele State", "Exams", "Gender",
           "Zip")  # fmt: skip
FIELDS = ("first_name", "last_name", "email", "dob", "phone_number", "tele_state", "exams",
          "gender", "zip_code")  # fmt: skip
FIRST = ("Avery", "Blake", "Casey", "Devon", "Emery", "Finley", "Harper", "Jules", "Morgan",
         "Quinn", "Reese", "Sage")  # fmt: skip
LAST = ("Testwood", "Sampleton", "Fakeley", "Mockridge", "Stubbs", "Notreal", "Fixturson")
STATE_SPELLINGS = {"NY": "New York", "CA": "california", "TX": "TEXAS", "FL": "Florida",
                   "WA": "washington", "IL": "Illinois", "PA": "pa", "OH": "O.H."}  # fmt: skip
GENDER_WORDS = (("Male", 1), ("female", 2), ("Prefer not to say", 3), ("Woman", 2), ("m", 1))


@dataclass(frozen=True, slots=True)
class Damage:
    """One injected value: where, what kind, and what the tool must make of it."""

    row: int  # the row number Excel shows (header is row 1)
    field: str
    kind: str
    repairable: bool
    expected: Any = None  # the normalized value, for repairable damage
    code: str | None = None  # the warning (repairable) or error (unrepairable) code


@dataclass
class MessyFile:
    """Rows of typed cell values (header excluded) and the damage injected into them."""

    rows: list[list[Any]]
    damage: list[Damage]

    def counts(self) -> dict[str, Counter[str]]:
        """How many values of each kind were injected, split by repairable or not."""
        return {
            "repairable": Counter(d.kind for d in self.damage if d.repairable),
            "unrepairable": Counter(d.kind for d in self.damage if not d.repairable),
        }


def _clean(i: int, rng: random.Random) -> dict[str, Any]:
    first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST)) % len(LAST)]
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 50))
    exchange = rng.randrange(200, 1000)
    return {
        "first_name": first,
        "last_name": last,
        "email": f"{first.lower()}.{last.lower()}.{i}@example.com",
        "dob": born,
        "phone_digits": f"555{exchange:03d}{rng.randrange(10000):04d}",
        "tele_state": rng.choice(sorted(STATE_SPELLINGS)),
        "exams": rng.choice(((12,), (12, 15), (15,))),
        "gender": rng.choice((1, 2, 3)),
        "zip": f"{rng.randrange(10000, 99999):05d}",
    }


def _cells(p: dict[str, Any]) -> dict[str, Any]:
    """How the clean patient is typed."""
    d = p["phone_digits"]
    return {
        "first_name": p["first_name"],
        "last_name": p["last_name"],
        "email": p["email"],
        "dob": p["dob"].isoformat(),
        "phone_number": f"{d[:3]}-{d[3:6]}-{d[6:]}",
        "tele_state": p["tele_state"],
        "exams": ", ".join(map(str, p["exams"])),
        "gender": {1: "M", 2: "F", 3: "U"}[p["gender"]],
        "zip_code": p["zip"],
    }


Injector = Callable[
    [dict[str, Any], dict[str, Any], random.Random], tuple[str, Any, Any, str | None]
]


def _us_date(day: dt.date, two_digit: bool = False) -> str:
    year = f"{day.year % 100:02d}" if two_digit else str(day.year)
    return f"{day.month}/{day.day}/{year}"


def _zip_lost_zero(p: dict[str, Any], c: dict[str, Any]) -> tuple[str, Any, Any, str | None]:
    """A New Jersey ZIP (07xxx/08xxx) typed as a number; the row's state must fit the repair."""
    number = int(p["zip"][1:]) % 2000 + 7000
    p["tele_state"] = c["tele_state"] = "NJ"
    return "zip_code", number, f"0{number}", "zip_leading_zero_restored"


#: Repairable damage: kind → (field, raw cell, expected value, warning code or None).
REPAIRABLE: dict[str, Injector] = {
    "phone_formatted": lambda p, c, r: (
        "phone_number",
        r.choice(("({}) {}-{}", "{}.{}.{}", "1-{}-{}-{}", "+1 {} {} {}")).format(
            p["phone_digits"][:3], p["phone_digits"][3:6], p["phone_digits"][6:]
        ),
        "+1" + p["phone_digits"], None,
    ),
    "phone_excel_number": lambda p, c, r: (
        "phone_number", float(p["phone_digits"]), "+1" + p["phone_digits"], None,
    ),
    "dob_us_date": lambda p, c, r: ("dob", _us_date(p["dob"]), p["dob"].isoformat(), None),
    "dob_excel_serial": lambda p, c, r: (
        "dob", (p["dob"] - dt.date(1899, 12, 30)).days, p["dob"].isoformat(),
        "dob_excel_serial",
    ),
    "dob_date_cell": lambda p, c, r: ("dob", p["dob"], p["dob"].isoformat(), None),
    "dob_two_digit_year": lambda p, c, r: (
        "dob", _us_date(p["dob"], two_digit=True), p["dob"].isoformat(), "dob_two_digit_year",
    ),
    "state_name": lambda p, c, r: (
        "tele_state", STATE_SPELLINGS[p["tele_state"]], p["tele_state"], None,
    ),
    "zip_lost_zero": lambda p, c, r: _zip_lost_zero(p, c),
    "gender_word": lambda p, c, r: ("gender", *r.choice(GENDER_WORDS), None),
    "name_invisible": lambda p, c, r: (
        "first_name", r.choice(("\u00a0{}", "{}\u200b", "{}\u00a0", "\ufeff{}")).format(
            p["first_name"]), p["first_name"], None,
    ),
    "email_domain_case": lambda p, c, r: (
        "email", p["email"].replace("example.com", "EXAMPLE.COM"), p["email"], None,
    ),
    "exams_spelling": lambda p, c, r: (
        "exams", r.choice(("[{}]", "{}", "({})")).format("; ".join(map(str, p["exams"]))),
        list(p["exams"]), None,
    ),
}  # fmt: skip
#: Unrepairable damage: kind → (field, raw cell, None, error code).
UNREPAIRABLE: dict[str, Injector] = {
    "phone_scientific": lambda p, c, r: (
        "phone_number",
        f"{int(p['phone_digits']) / 1e9:.5f}E+09",
        None,
        "phone_scientific_notation",
    ),
    "phone_too_short": lambda p, c, r: (
        "phone_number", p["phone_digits"][3:6] + "-" + p["phone_digits"][6:], None,
        "phone_too_short",
    ),
    "dob_impossible": lambda p, c, r: (
        "dob", f"{r.choice((2, 4, 6, 9, 11))}/31/19{r.randrange(50, 99)}", None,
        "dob_invalid_date",
    ),
    "dob_future": lambda p, c, r: ("dob", f"20{r.randrange(27, 40)}-03-04", None, "dob_future"),
    "tele_state_unserved": lambda p, c, r: (
        "tele_state", r.choice(("AL", "MS", "Alabama", "Mississippi")), None,
        "tele_state_not_served",
    ),
    "email_invalid": lambda p, c, r: (
        "email", r.choice(("{}@", "{} at example.com", "{}@@example.com")).format(
            p["first_name"].lower()), None, "email_invalid",
    ),
    "zip_invalid": lambda p, c, r: ("zip_code", p["zip"][:4] + "A", None, "zip_invalid"),
    "gender_unknown_word": lambda p, c, r: ("gender", "Q", None, "gender_unrecognized"),
    "exams_invalid": lambda p, c, r: ("exams", "12a", None, "exams_invalid"),
    "name_mojibake": lambda p, c, r: ("first_name", "JosÃ©", None, "text_mojibake"),
}  # fmt: skip


def generate(rows: int = 1000, seed: int = 4) -> MessyFile:
    """The messy list: about 45% of rows repairable damage, 15% unrepairable, the rest clean."""
    rng = random.Random(seed)
    kinds = [*REPAIRABLE, *UNREPAIRABLE, None]
    weights = (
        [45 / len(REPAIRABLE)] * len(REPAIRABLE)
        + [15 / len(UNREPAIRABLE)] * len(UNREPAIRABLE)
        + [40]
    )
    out: list[list[Any]] = []
    damage: list[Damage] = []
    for i in range(rows):
        patient = _clean(i, rng)
        cells = _cells(patient)
        kind = rng.choices(kinds, weights)[0]
        if kind is not None:
            repairable = kind in REPAIRABLE
            inject = REPAIRABLE[kind] if repairable else UNREPAIRABLE[kind]
            field, raw, expected, code = inject(patient, cells, rng)
            cells[field] = raw
            damage.append(Damage(i + 2, field, kind, repairable, expected, code))
        out.append([cells[f] for f in FIELDS])
    return MessyFile(out, damage)


def csv_text(value: Any) -> str:
    """A typed cell as a CSV export writes it (Excel-style dates, pandas-style floats)."""
    if isinstance(value, dt.date):
        return _us_date(value)
    if isinstance(value, float):
        return repr(value)
    return str(value)


def write_csv(messy: MessyFile, path: Path) -> Path:
    """The list as UTF-8 CSV text."""
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(HEADERS)
        writer.writerows([csv_text(v) for v in row] for row in messy.rows)
    return path


def write_xlsx(messy: MessyFile, path: Path) -> Path:
    """The list as an openpyxl workbook with real date and number cells."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADERS)
    for row in messy.rows:
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, dt.date):
                cell.number_format = "m/d/yyyy"
            elif isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    book.save(path)
    return path
