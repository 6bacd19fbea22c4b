"""Every payload check_rows produces validates against the OpenAPI ExamInviteRequest schema."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bulk_invite.models import SourceRow, Status, Table
from bulk_invite.settings import Settings
from bulk_invite.validate import check_rows

SPEC = json.loads((Path(__file__).parent / "data" / "qualiphy-openapi.json").read_text())
HEADERS = (
    "First Name", "Last Name", "Email", "DOB", "Phone", "State", "Tele State", "Exams", "Gender",
    "Zip", "Address", "City", "pharmacy_id", "order_set_id", "custom_pharmacy", "webhook_url",
    "Additional Data", "provider_pos_selection", "ncpdpid", "Pharmacy Phone", "Notes",
)  # fmt: skip


@pytest.fixture(scope="module")
def validator() -> Any:
    request = SPEC["components"]["schemas"]["ExamInviteRequest"]
    schema = {**request, "components": SPEC["components"]}
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


ROWS = [
    ("Jane", "Doe", "jane@example.com", "1990-06-30", "(555) 222-3344", "MA", "", "12", "F",
     "2134", "1 Main St", "Boston", "16", "610", "2", "https://example.org/h", '{"id": 5}', "3",
     "0512345", "555.222.9999", "x"),
    ("Bob", "Smith", "bob@example.com", "6/30/90", "5552223344.0", "", "CA", "12, 15", "",
     "", "", "", "", "", "", "", "", "", "", "", ""),
    ("Test", "Approve", "t@example.com", "32689", "+1 555 222 3344", "TE", "TE", "[7]", "U",
     "12345-6789", "", "", "", "", "1", "", "[1, 2]", "1", "", "", ""),
]  # fmt: skip


def _payloads(rows: Sequence[tuple[str, ...]]) -> list[dict[str, Any]]:
    table = Table(
        headers=HEADERS,
        rows=[SourceRow(n, r) for n, r in enumerate(rows, start=2)],
        source_name="t.csv",
        format="csv",
    )
    checked = check_rows(table, Settings(), today=date(2026, 1, 15))
    return [{**row.invite.payload, "api_key": "k"} for row in checked if row.invite is not None]


def test_sample_payloads_match_the_openapi_schema(validator: Any) -> None:
    payloads = _payloads(ROWS)
    assert len(payloads) == len(ROWS)
    for payload in payloads:
        validator.validate(payload)
        assert isinstance(payload["exams"], list)


cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["12", "12,15", "F", "2", "16.0", "NY", "2134", "https://example.org/h",
                     '{"a":1}', "[1]", "0512345", "5552223344", "1990-06-30"]),
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(extra=st.lists(cell, min_size=len(HEADERS) - 7, max_size=len(HEADERS) - 7))
def test_generated_payloads_match_the_openapi_schema(validator: Any, extra: list[str]) -> None:
    base = ("Jane", "Doe", "jane@example.com", "1990-06-30", "5552223344", "NY", "NY")
    table = Table(HEADERS, [SourceRow(2, (*base, *extra))], "t.csv", "csv")
    (row,) = check_rows(table, Settings(exams=(12,)), today=date(2026, 1, 15))
    if row.invite is None:
        assert row.status is Status.INVALID and row.errors
        return
    validator.validate({**row.invite.payload, "api_key": "k"})
