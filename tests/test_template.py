"""The input template: canonical headers, drop-downs, Text columns, and rows that validate."""

from __future__ import annotations

import stat
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from bulk_invite.columns import REQUIRED_FIELDS, field_for_header
from bulk_invite.fields import normalize_gender, normalize_state, normalize_tele_state
from bulk_invite.load import open_table
from bulk_invite.models import Status
from bulk_invite.settings import Settings
from bulk_invite.template import COLUMNS, SHEET, write_template
from bulk_invite.validate import check_rows


@pytest.fixture
def template(tmp_path: Path) -> Path:
    return write_template(tmp_path / "template.xlsx")


def _lists(book: openpyxl.Workbook) -> dict[str, list[str]]:
    """Drop-down values by the header of the column they apply to."""
    sheet = book[SHEET]
    headers = [c.value for c in sheet[1]]
    found: dict[str, list[str]] = {}
    for validation in sheet.data_validations.dataValidation:
        assert validation.type == "list"
        source = str(validation.formula1).lstrip("=")
        list_sheet, cells = source.split("!")
        first, last = cells.replace("$", "").split(":")
        values = [c.value for row in book[list_sheet][first:last] for c in row]
        column = str(validation.sqref).split(":")[0].rstrip("0123456789")
        found[headers[openpyxl.utils.column_index_from_string(column) - 1]] = values
    return found


def test_template_is_owner_only(template: Path) -> None:
    assert stat.S_IMODE(template.stat().st_mode) == 0o600


def test_template_headers_are_canonical_with_required_fields_first(template: Path) -> None:
    sheet = openpyxl.load_workbook(template)[SHEET]
    headers = [c.value for c in sheet[1]]
    assert headers == [c[0] for c in COLUMNS]
    assert headers[: len(REQUIRED_FIELDS)] == sorted(REQUIRED_FIELDS, key=headers.index)
    assert set(headers[: len(REQUIRED_FIELDS)]) == set(REQUIRED_FIELDS)
    assert all(field_for_header(h) == h for h in headers)


def test_template_drop_downs_hold_exactly_values_validation_accepts(template: Path) -> None:
    lists = _lists(openpyxl.load_workbook(template))
    assert set(lists) == {"tele_state", "state", "gender"}
    assert "TE" in lists["tele_state"] and "TE" in lists["state"]
    assert not {"AL", "MS"} & set(lists["tele_state"])
    assert {"AL", "MS", "NY"} <= set(lists["state"])
    assert all(normalize_tele_state(v)[0] == v for v in lists["tele_state"])
    assert all(normalize_state(v)[0] == v for v in lists["state"])
    assert [normalize_gender(v)[0] for v in lists["gender"]] == [1, 2, 3]


def test_template_columns_are_text_formatted_so_excel_keeps_zeros(template: Path) -> None:
    sheet = openpyxl.load_workbook(template)[SHEET]
    formats: dict[int, str] = {}
    for dimension in sheet.column_dimensions.values():
        for index in range(dimension.min, dimension.max + 1):
            formats[index] = dimension.number_format
    assert [formats.get(i) for i in range(1, len(COLUMNS) + 1)] == ["@"] * len(COLUMNS)


def test_template_notes_explain_every_column(template: Path) -> None:
    notes = openpyxl.load_workbook(template)["Notes"]
    documented = {row[0].value for row in notes.iter_rows(min_row=2, max_row=len(COLUMNS) + 1)}
    assert documented == {c[0] for c in COLUMNS}


def test_filled_in_template_yields_valid_invites(template: Path) -> None:
    book = openpyxl.load_workbook(template)
    sheet = book[SHEET]
    headers = [c.value for c in sheet[1]]
    rows = [
        {"first_name": "Avery", "last_name": "Testwood", "email": "avery@example.com",
         "dob": "1990-06-30", "phone_number": "(555) 222-3344", "tele_state": "NY",
         "exams": "12, 15", "gender": "Female", "state": "NY", "zip_code": "02134"},
        {"first_name": "Test", "last_name": "Approve", "email": "test@example.com",
         "dob": "6/30/1985", "phone_number": "5552223345", "tele_state": "TE", "exams": "12",
         "gender": "Prefer not to say", "state": "TE", "zip_code": "00501",
         "additional_data": '{"order_id": "A-1"}', "webhook_url": "https://example.com/h"},
    ]  # fmt: skip
    for r, values in enumerate(rows, start=2):
        for name, value in values.items():
            cell = sheet.cell(row=r, column=headers.index(name) + 1, value=value)
            cell.number_format = "@"
    book.save(template)
    table = open_table(template)
    assert table.sheet == SHEET
    checked = list(check_rows(table, Settings(), today=date(2026, 1, 15)))
    assert [c.status for c in checked] == [Status.VALID, Status.VALID]
    assert [[i.code for i in c.issues] for c in checked] == [[], ["tele_state_test_mode"]]
    first, second = (c.invite.payload for c in checked if c.invite is not None)
    assert (first["zip_code"], first["gender"], first["exams"]) == ("02134", 2, [12, 15])
    assert (second["tele_state"], second["dob"], second["gender"]) == ("TE", "1985-06-30", 3)
