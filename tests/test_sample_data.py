"""The committed sample lists: reproducible, readable, and matching EXPECTED.json."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from bulk_invite.load import open_table

SAMPLES = Path(__file__).resolve().parent.parent / "sample_data"


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_samples", SAMPLES / "make_samples.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def expected() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SAMPLES / "EXPECTED.json").read_text(encoding="utf-8"))
    return data


def test_committed_samples_are_exactly_what_the_generator_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    generator = load_generator()
    monkeypatch.setattr(generator, "HERE", tmp_path)
    generator.main()
    for name in ("patients.csv", "patients.xlsx", "messy_patients.xlsx", "EXPECTED.json"):
        assert (tmp_path / name).read_bytes() == (SAMPLES / name).read_bytes(), name


def test_clean_csv_and_xlsx_hold_the_same_fifty_patients() -> None:
    from_csv = open_table(SAMPLES / "patients.csv")
    from_xlsx = open_table(SAMPLES / "patients.xlsx")
    assert from_csv.headers == from_xlsx.headers
    assert "Clinic Patient ID" in from_csv.headers
    csv_rows = list(from_csv.rows)
    assert len(csv_rows) == 50
    assert csv_rows == list(from_xlsx.rows)
    emails = [row.cells[from_csv.headers.index("Email")] for row in csv_rows]
    assert all(email.endswith("@example.com") for email in emails)
    assert len(set(emails)) == 50


def test_messy_sample_has_its_title_row_blank_row_and_planted_faults(
    expected: dict[str, Any],
) -> None:
    table = open_table(SAMPLES / expected["file"])
    assert (table.sheet, table.header_row) == (expected["sheet"], expected["header_row"])
    rows = {row.number: row.cells for row in table.rows}
    assert len(rows) == expected["data_rows"]
    assert not set(expected["blank_rows"]) & set(rows)
    planted = {
        "phone_scientific_notation": "5.55234E+09",
        "phone_too_short": "234-5678",
        "email_invalid": "jane.doe@",
        "dob_future": "2/14/2099",
        "tele_state_not_served": "AL",
        "required_missing": "",
        "phone_extension": "555-234-5678 x12",
        "dob_invalid_date": "13/45/1990",
    }
    for fault in expected["invalid"]:
        cell = rows[fault["row"]][table.headers.index(fault["column"])]
        assert cell == planted[fault["code"]], fault
    for dup in expected["duplicates"]:
        assert rows[dup["row"]] == rows[dup["duplicate_of"]]


def test_validator_flags_exactly_the_rows_expected_json_lists(expected: dict[str, Any]) -> None:
    from bulk_invite.settings import Settings
    from bulk_invite.validate import check_rows

    table = open_table(SAMPLES / expected["file"])
    checked = list(check_rows(table, Settings(exams=tuple(expected["exams"]))))
    invalid = {
        row.source.number: {issue.code for issue in row.errors}
        for row in checked
        if row.status == "invalid"
    }
    assert invalid == {fault["row"]: {fault["code"]} for fault in expected["invalid"]}
    duplicates = [
        {"row": row.source.number, "duplicate_of": row.duplicate_of}
        for row in checked
        if row.status == "duplicate"
    ]
    assert duplicates == expected["duplicates"]
    assert sum(row.status == "valid" for row in checked) == expected["valid_rows"]


@pytest.mark.parametrize("name", ["patients.csv", "patients.xlsx"])
def test_clean_samples_are_all_valid(name: str) -> None:
    from bulk_invite.settings import Settings
    from bulk_invite.validate import check_rows

    checked = list(check_rows(open_table(SAMPLES / name), Settings()))
    assert len(checked) == 50
    assert {row.status for row in checked} == {"valid"}
