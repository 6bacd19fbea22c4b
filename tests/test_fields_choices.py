"""Gender, exam lists, integer IDs, choices, URLs and JSON text."""

from __future__ import annotations

import pytest

from bulk_invite.fields import (
    normalize_choice,
    normalize_exams,
    normalize_gender,
    normalize_integer,
    normalize_json,
    normalize_url,
)
from bulk_invite.fields.by_field import NORMALIZERS
from bulk_invite.fields.choices import normalize_ncpdpid


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("M", 1), ("m", 1), ("Male", 1), ("MAN", 1), ("1", 1), ("1.0", 1),
        ("F", 2), ("Female", 2), ("Woman", 2), ("2", 2),
        ("3", 3), ("U", 3), ("Unknown", 3), ("Other", 3), ("X", 3),
        ("Prefer not to say", 3), ("prefer-not-to-say", 3), ("Non-binary", 3),
    ],
)  # fmt: skip
def test_gender_maps_words_and_numbers_to_qualiphy_codes(raw: str, code: int) -> None:
    assert normalize_gender(raw) == (code, ())


@pytest.mark.parametrize("raw", ["Q", "4", "0", "yes"])
def test_gender_rejects_unknown_values(raw: str) -> None:
    assert [p.code for p in normalize_gender(raw)[1]] == ["gender_unrecognized"]


@pytest.mark.parametrize(
    ("raw", "exams"),
    [
        ("12", (12,)),
        ("12,15", (12, 15)),
        ("12; 15", (12, 15)),
        ("[12, 15]", (12, 15)),
        ("12 15", (12, 15)),
        ("12.0", (12,)),
        ("15 | 12", (15, 12)),
    ],
)
def test_exams_parse_lists_of_ids_in_order(raw: str, exams: tuple[int, ...]) -> None:
    assert normalize_exams(raw) == (exams, ())


def test_exams_drop_duplicates_keep_order_and_warn() -> None:
    value, problems = normalize_exams("15, 12, 15")
    assert value == (15, 12)
    assert [p.code for p in problems] == ["exams_duplicates_removed"]


@pytest.mark.parametrize(
    ("raw", "code"),
    [("12a", "exams_invalid"), ("twelve", "exams_invalid"), ("12.5", "exams_invalid"),
     ("0", "exams_not_positive"), ("12, -3", "exams_not_positive")],
)  # fmt: skip
def test_exams_reject_with_code(raw: str, code: str) -> None:
    assert [p.code for p in normalize_exams(raw)[1]] == [code]


def test_integer_ids_accept_excel_floats_and_reject_the_rest() -> None:
    assert normalize_integer("610") == (610, ())
    assert normalize_integer("610.0") == (610, ())
    assert [p.code for p in normalize_integer("abc")[1]] == ["number_invalid"]
    assert [p.code for p in normalize_integer("0")[1]] == ["number_invalid"]
    assert normalize_integer("0", minimum=0) == (0, ())


def test_choice_accepts_only_listed_values() -> None:
    assert normalize_choice("2", {1, 2}) == (2, ())
    assert [p.code for p in normalize_choice("3", {1, 2})[1]] == ["choice_invalid"]


def test_ncpdpid_must_be_seven_digits() -> None:
    assert normalize_ncpdpid("0512345") == ("0512345", ())
    assert [p.code for p in normalize_ncpdpid("12345")[1]] == ["ncpdpid_invalid"]


@pytest.mark.parametrize(
    "raw",
    ["https://example.com/hook", "https://example.com:8443/a?b=c", "http://localhost:8000/h",
     "http://127.0.0.1/h", "http://[::1]:9000/h"],
)  # fmt: skip
def test_url_accepts_https_and_loopback_http(raw: str) -> None:
    assert normalize_url(raw) == (raw, ())


@pytest.mark.parametrize(
    ("raw", "code"),
    [("http://example.com/hook", "url_not_https"), ("example.com/hook", "url_invalid"),
     ("https://", "url_invalid"), ("ftp://example.com", "url_invalid"),
     ("https://exa mple.com", "url_invalid"), ("https://example.com:99999/", "url_invalid")],
)  # fmt: skip
def test_url_rejects_with_code(raw: str, code: str) -> None:
    assert [p.code for p in normalize_url(raw)[1]] == [code]


def test_json_accepts_valid_json_and_rejects_the_rest() -> None:
    assert normalize_json('{"a": 1}') == ('{"a":1}', ())
    assert normalize_json("[1, 2]") == ("[1,2]", ())
    assert [p.code for p in normalize_json("{a: 1}")[1]] == ["json_invalid"]
    assert [p.code for p in normalize_json("NaN")[1]] == ["json_invalid"]


@pytest.mark.parametrize("field", ["pharmacy_id", "order_set_id", "exam_pos_id"])
def test_integer_ids_above_the_api_int_limit_are_errors(field: str) -> None:
    normalize = NORMALIZERS[field]
    assert normalize("2147483647") == (2147483647, ())
    value, problems = normalize("2147483648")
    assert value is None
    assert [p.code for p in problems] == ["number_invalid"]
    assert "too large" in problems[0].message


def test_exam_ids_above_the_api_int_limit_are_errors() -> None:
    assert normalize_exams("12, 2147483647") == ((12, 2147483647), ())
    value, problems = normalize_exams("12, 99999999999")
    assert value is None
    assert [p.code for p in problems] == ["exams_invalid"]
    assert "too large" in problems[0].message
