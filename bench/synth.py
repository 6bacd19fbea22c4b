"""Synthetic patient lists for the benchmark: obviously fake, deterministic, a little messy.

The mix imitates a real export: most rows are clean, states are sometimes spelled out, dates and
phones come in several notations, and a few rows in twenty are wrong in some way, so the checker
takes every path (valid, warnings, errors, duplicates) and its caches see realistic repetition.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from collections.abc import Iterator
from pathlib import Path

import xlsxwriter

HEADERS = (
    "First Name", "Last Name", "Email", "DOB", "Phone", "State", "Zip", "Exam IDs", "Patient ID",
)  # fmt: skip
_STATES = ("NY", "CA", "TX", "FL", "WA", "IL", "PA", "OH", "New York", "california", "N.J.")
# Names repeat in real lists (and caches may rely on it); these are plainly not real people.
_FIRST = tuple(f"{a}{b}" for a in ("Ann", "Bo", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana")
               for b in ("", "a", "e", "i", "o", "y", "lyn", "mar", "ton", "bel"))  # fmt: skip
_LAST = tuple(f"{a}{b}" for a in ("Test", "Sample", "Fake", "Demo", "Mock", "Dummy", "Stub")
              for b in ("erson", "by", "ley", "off", "well", "er", "holt", "ford", "man", "ski"))
# Real area codes and the 555 exchange, kept for fiction and directory services.
_AREAS = (212, 213, 305, 312, 404, 415, 503, 602, 617, 702, 713, 718, 801, 917, 206, 303)


def patient(i: int, seed: int = 7, *, clean: bool = False) -> list[str]:
    """Patient ``i`` as the cells a person typed; ``clean`` rows always validate."""
    rng = random.Random(seed * 1_000_003 + i)
    born = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(50 * 365))
    area, line = _AREAS[i % len(_AREAS)], (i // len(_AREAS) * 7919) % 10000
    dob = (born.isoformat(), f"{born.month}/{born.day}/{born.year}")[i % 2]
    phone = (f"({area}) 555-{line:04d}", f"{area}.555.{line:04d}")[i % 2]
    row = [
        _FIRST[rng.randrange(len(_FIRST))],
        _LAST[rng.randrange(len(_LAST))],
        f"patient{i}@example.com",
        dob,
        phone,
        _STATES[i % len(_STATES)],
        f"{10001 + i % 80000:05d}",
        ("1822", "1822, 2228")[i % 3 == 0],
        f"PID-{i:07d}",
    ]
    if clean:
        return row
    fault = i % 20
    if fault == 7:
        row[4] = "555-1234"  # too short
    elif fault == 11:
        row[2] = f"patient{i}@gmial.com"  # typo: a warning
    elif fault == 13:
        row[3] = "31/31/1990"  # no such date
    elif fault == 17 and i > 0:
        return patient(i - 1, seed)  # the row above again: a duplicate
    return row


def rows(count: int, *, seed: int = 7, clean: bool = False) -> Iterator[list[str]]:
    """``count`` patients, the same for the same seed."""
    for i in range(count):
        yield patient(i, seed, clean=clean)


def write_csv(path: Path, count: int, *, clean: bool = False) -> Path:
    """A UTF-8 CSV of ``count`` patients."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        writer.writerows(rows(count, clean=clean))
    return path


def write_xlsx(path: Path, count: int) -> Path:
    """An XLSX of ``count`` patients as Excel stores them: real date cells, numeric ZIPs and IDs."""
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Patients")
    date_format = book.add_format({"num_format": "m/d/yyyy"})
    sheet.write_row(0, 0, HEADERS)
    for r, cells in enumerate(rows(count), start=1):
        for c, value in enumerate(cells):
            if c == 3 and "-" in value:
                sheet.write_datetime(r, c, dt.datetime.fromisoformat(value), date_format)
            elif c in (6, 7) and value.isdigit():
                sheet.write_number(r, c, int(value))  # Excel eats the ZIP's leading zeros
            else:
                sheet.write_string(r, c, value)
    book.close()
    return path
