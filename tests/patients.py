"""Synthetic patient lists for integration tests: obviously fake, deterministic."""

from __future__ import annotations

import csv
import sys
from pathlib import Path

HEADERS = [
    "First Name",
    "Last Name",
    "Email",
    "DOB",
    "Phone",
    "State",
    "Zip",
    "Exam IDs",
    "Patient ID",
]
STATES = ["NY", "CA", "TX", "FL", "WA", "IL", "PA", "OH"]


def patient(i: int) -> list[str]:
    """One clean synthetic patient; ``i`` makes it unique."""
    return [
        f"Testfirst{i}",
        f"Testlast{i}",
        f"patient{i}@example.com",
        f"{1950 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        f"(555) {200 + i % 800:03d}-{i % 10000:04d}",
        STATES[i % len(STATES)],
        f"{10001 + i % 80000:05d}",
        "1822",
        f"PID-{i:06d}",
    ]


def write_patients_csv(path: Path, ids: list[int] | range) -> Path:
    """Write a CSV of the patients with the given ids, in that order."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for i in ids:
            writer.writerow(patient(i))
    return path


def send_argv(csv_path: Path, base_url: str, journal: Path, out: Path, *extra: str) -> list[str]:
    """The argv of a `send` subprocess against a test API, with a journal and results of its own."""
    return [
        sys.executable, "-m", "bulk_invite", "send", str(csv_path), "--base-url", base_url,
        "--journal", str(journal), "-o", str(out), "--no-progress", *extra,
    ]  # fmt: skip
