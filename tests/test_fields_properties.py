"""Normalizer properties: never raise, idempotent, codes registered, never refused by the API."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bulk_invite.fields import (
    CODES,
    normalize_dob,
    normalize_email,
    normalize_exams,
    normalize_gender,
    normalize_json,
    normalize_name,
    normalize_phone,
    normalize_state,
    normalize_tele_state,
    normalize_text,
    normalize_url,
    normalize_zip,
    split_full_name,
)
from bulk_invite.fields.by_field import NORMALIZERS
from bulk_invite.sandbox.config import DEFAULT_EXAMS, DEMO_API_KEY, SandboxConfig
from bulk_invite.sandbox.rules import KNOWN_STATES, Refusal, check_invite

TODAY = date(2026, 1, 15)
Normalizer = Callable[[str], tuple[Any, tuple[Any, ...]]]


def _render(value: Any) -> str:
    """A normalizer's output written back as cell text."""
    if isinstance(value, tuple):
        return ", ".join(map(str, value))
    return str(value)


NAMED: dict[str, Normalizer] = {
    "phone": normalize_phone,
    "dob_mdy": partial(normalize_dob, order="mdy", today=TODAY),
    "dob_dmy": partial(normalize_dob, order="dmy", today=TODAY),
    "state": normalize_state,
    "tele_state": normalize_tele_state,
    "zip": normalize_zip,
    "email": normalize_email,
    "name": normalize_name,
    "text": normalize_text,
    "gender": normalize_gender,
    "exams": normalize_exams,
    "url": normalize_url,
    "json": normalize_json,
}
#: Text shaped like real cells, so the properties also run on values that are accepted.
cells = st.one_of(
    st.text(max_size=40),
    st.from_regex(r"\(?[2-9]\d\d\)?[ .-]?[2-9]\d\d[ .-]?\d{4}", fullmatch=True),
    st.from_regex(r"\d{1,2}[/.-]\d{1,2}[/.-](\d{2}|\d{4})", fullmatch=True),
    st.from_regex(r"(19|20)\d\d-[01]\d-[0-3]\d", fullmatch=True),
    st.from_regex(r"\d{3,9}(\.0)?", fullmatch=True),
    st.from_regex(r"[a-z]{1,8}@[a-z]{1,8}\.(com|org|con)", fullmatch=True),
    st.from_regex(r"[\[ ]?\d{1,4}([,; ]+\d{1,4}){0,3}\]?", fullmatch=True),
    st.sampled_from(["NY", "n.y.", "Alabama", "TE", "M", "Female", "https://x.org/a", '{"a":1}']),
    # URL-shaped text: broken IPv6 hosts, empty hosts, odd or out-of-range ports.
    st.from_regex(r"https?://\[[0-9a-f:.]{0,12}\]?(:\d{0,6})?(/[a-z]{0,4})?", fullmatch=True),
    st.from_regex(r"https?://[a-z.]{0,8}:[-+0-9a-z]{0,7}(/[a-z]{0,4})?", fullmatch=True),
    st.sampled_from(["https://[", "https://[abc", "http://:80", "https://x.org:99999",
                     "https://x.org:-1", "https://[::1", "http://[::1]:80/"]),
)  # fmt: skip


@pytest.mark.parametrize("name", sorted(NAMED))
@settings(max_examples=150, deadline=None)
@given(raw=cells)
def test_normalizer_never_raises_and_is_idempotent(name: str, raw: str) -> None:
    normalize = NAMED[name]
    value, problems = normalize(raw)
    if value is None:
        return
    assert not any(p.is_error for p in problems)
    again, again_problems = normalize(_render(value))
    assert again == value
    assert not any(p.is_error for p in again_problems)


@settings(max_examples=150, deadline=None)
@given(raw=st.text(max_size=60))
def test_every_field_normalizer_never_raises_on_arbitrary_text(raw: str) -> None:
    for normalize in NORMALIZERS.values():
        value, problems = normalize(raw)
        assert value is not None or problems or _blank_like(raw)
        for found in problems:
            assert found.code in CODES


@pytest.mark.parametrize(
    "raw", ["https://[abc", "https://[", "http://:80", "https://x.org:99999", "https://x.org:ab"]
)
def test_malformed_url_is_url_invalid_not_a_crash(raw: str) -> None:
    value, problems = normalize_url(raw)
    assert value is None
    assert [p.code for p in problems] == ["url_invalid"]


@settings(max_examples=150, deadline=None)
@given(raw=st.text(max_size=60))
def test_full_name_split_never_raises(raw: str) -> None:
    value, problems = split_full_name(raw)
    if value is not None:
        assert all(value) and not any(p.is_error for p in problems)


def _blank_like(raw: str) -> bool:
    """Cells that read as empty: whitespace, invisible format characters, empty brackets."""
    visible = "".join(c for c in raw if unicodedata.category(c) not in ("Cf", "Zs", "Cc"))
    return not visible.strip().strip("[](){}")


_LITERAL_CODE = re.compile(r'(?:problem|fail)\(\s*"([a-z_]+)"|"code":\s*"([a-z_]+)"')
_ISSUE_CODE = re.compile(r'Issue\(\s*[^,]+,\s*"[a-z_]+",\s*"([a-z_]+)"', re.S)


def _codes_in_source() -> set[str]:
    root = Path(__file__).resolve().parents[1] / "bulk_invite"
    found: set[str] = set()
    for path in [*root.joinpath("fields").glob("*.py"), root / "validate.py"]:
        text = path.read_text(encoding="utf-8")
        found |= {a or b for a, b in _LITERAL_CODE.findall(text)}
        found |= set(_ISSUE_CODE.findall(text))
    return found


def test_every_code_used_in_the_source_is_registered() -> None:
    assert _codes_in_source() - set(CODES) == set()


def test_every_registered_code_is_used_somewhere() -> None:
    used = _codes_in_source() | {"required_missing", "duplicate_row"}
    assert set(CODES) - used == set()


def test_registry_entries_explain_themselves() -> None:
    for code, info in CODES.items():
        assert re.fullmatch(r"[a-z]+(_[a-z0-9]+)*", code)
        assert info.meaning.endswith(".") and info.example


# --- "never returns a value the API would refuse" --------------------------------------------

_SPEC = json.loads((Path(__file__).parent / "data" / "qualiphy-openapi.json").read_text())
_REQUEST = _SPEC["components"]["schemas"]["ExamInviteRequest"]
_BASE_PAYLOAD: dict[str, Any] = {
    "api_key": DEMO_API_KEY, "exams": [DEFAULT_EXAMS[0].id], "first_name": "Avery",
    "last_name": "Testwood", "email": "avery@example.com", "dob": "1990-06-30",
    "phone_number": "+15552223344", "tele_state": "NY",
}  # fmt: skip
#: Stricter shapes than the schema's plain "string", taken from the API guide and the sandbox.
_SHAPES: dict[str, re.Pattern[str]] = {
    "phone_number": re.compile(r"\+1[2-9][0-9]{2}[2-9][0-9]{6}", re.ASCII),
    "pharmacy_phone": re.compile(r"\+1[2-9][0-9]{2}[2-9][0-9]{6}", re.ASCII),
    "dob": re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII),
    "tele_state": re.compile(r"[A-Z]{2}", re.ASCII),
    "state": re.compile(r"[A-Z]{2}", re.ASCII),
    "shipping_state": re.compile(r"[A-Z]{2}", re.ASCII),
    "pharmacy_state": re.compile(r"[A-Z]{2}", re.ASCII),
    "zip_code": re.compile(r"[0-9]{5}(-[0-9]{4})?", re.ASCII),
    "shipping_zip_code": re.compile(r"[0-9]{5}(-[0-9]{4})?", re.ASCII),
    "pharmacy_zip_code": re.compile(r"[0-9]{5}(-[0-9]{4})?", re.ASCII),
    "ncpdpid": re.compile(r"[0-9]{7}", re.ASCII),
    "webhook_url": re.compile(r"(?i:https://|http://(localhost|127\.|\[::1\]))\S+"),
}


def _api_value(field_name: str, value: Any) -> Any:
    return list(value) if field_name == "exams" else value


def _sandbox_refusal(payload: dict[str, Any]) -> str | None:
    """The sandbox's format refusal of ``payload`` (unknown exam IDs are a catalog matter)."""
    result = check_invite(payload, SandboxConfig())
    if not isinstance(result, Refusal) or result.text.startswith("The selected exam id"):
        return None
    return result.text


api_cells = st.one_of(
    cells,
    st.from_regex(
        r"[\s\u200b\u00a0]*[0-9０-９]{3}[ .-]?[0-9０-９]{3}[ .-]?[0-9０-９]{4}\s*", fullmatch=True
    ),
    st.from_regex(r"[0-9０-９]{3,5}(-[0-9]{4})?(\.0)?", fullmatch=True),
    st.from_regex(r"\d{1,2}/\d{1,2}/\d{2,4}( \d{1,2}:\d\d( [AP]M)?)?", fullmatch=True),
    st.sampled_from(["https://example.org/h", "http://localhost:8080/x", "0512345", "610.0"]),
)


@pytest.mark.parametrize("field_name", sorted({*NORMALIZERS, "dob"}))
@settings(max_examples=120, deadline=None)
@given(raw=api_cells)
def test_normalized_values_are_never_refused_by_the_api(field_name: str, raw: str) -> None:
    if field_name == "dob":
        value, problems = normalize_dob(raw, "mdy", TODAY)
    else:
        value, problems = NORMALIZERS[field_name](raw)
    if value is None or any(p.is_error for p in problems):
        return
    api_value = _api_value(field_name, value)
    payload = {**_BASE_PAYLOAD, field_name: api_value}
    if field_name in _REQUEST["properties"]:
        schema = {**_REQUEST["properties"][field_name], "components": _SPEC["components"]}
        jsonschema.validate(api_value, schema)
    jsonschema.validate(payload, {**_REQUEST, "components": _SPEC["components"]})
    assert _sandbox_refusal(payload) is None
    shape = _SHAPES.get(field_name)
    if shape is not None:
        assert shape.fullmatch(str(value)), (field_name, raw, value)
    if field_name == "tele_state":
        assert value in KNOWN_STATES and value not in ("AL", "MS")
    if field_name == "dob":
        assert date.fromisoformat(value) <= TODAY
    if field_name == "additional_data":
        json.loads(value)
    if field_name == "exams":
        assert value and all(isinstance(e, int) and e > 0 for e in value)
