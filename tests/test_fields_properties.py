"""Normalizer properties: never raise, idempotent on their own output, codes registered."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

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
)


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
