"""Phone normalization: every common US spelling → +1XXXXXXXXXX; everything else a clear code."""

from __future__ import annotations

import pytest

from bulk_invite.fields import normalize_phone
from bulk_invite.models import Severity


@pytest.mark.parametrize(
    "raw",
    [
        "(555) 222-3344",
        "555.222.3344",
        "555-222-3344",
        "1-555-222-3344",
        "+1 555 222 3344",
        "+1 (555) 222-3344",
        "+15552223344",
        "15552223344",
        "5552223344",
        "5552223344.0",
        "  555 222 3344  ",
        "555/222-3344",
    ],
)
def test_phone_accepts_common_us_formats(raw: str) -> None:
    assert normalize_phone(raw) == ("+15552223344", ())


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("5.55222E+09", "phone_scientific_notation"),
        ("5.55222e9", "phone_scientific_notation"),
        ("555-222-3344 x12", "phone_extension"),
        ("555-222-3344x12", "phone_extension"),
        ("555-222-3344 ext. 5", "phone_extension"),
        ("555-222-3344 extension 5", "phone_extension"),
        ("555-222-3344 #12", "phone_extension"),
        ("+44 20 7946 0958", "phone_not_us"),
        ("+52 55 1234 5678", "phone_not_us"),
        ("555-1234", "phone_too_short"),
        ("222 3344", "phone_too_short"),
        ("555222334455", "phone_too_long"),
        ("25552223344", "phone_too_long"),
        ("(155) 222-3344", "phone_bad_area_code"),
        ("(055) 222-3344", "phone_bad_area_code"),
        ("(555) 122-3344", "phone_bad_exchange"),
        ("(555) 022-3344", "phone_bad_exchange"),
        ("1-800-FLOWERS", "phone_letters"),
        ("call me", "phone_letters"),
        ("555*222*3344", "phone_invalid_characters"),
    ],
)
def test_phone_rejects_with_code(raw: str, code: str) -> None:
    value, problems = normalize_phone(raw)
    assert value is None
    assert [p.code for p in problems] == [code]
    assert problems[0].severity is Severity.ERROR


def test_phone_rejects_scientific_notation_and_says_digits_were_lost() -> None:
    _, (found,) = normalize_phone("5.55222E+09")
    assert "5.55222E+09" in found.message
    assert "lost" in found.message
    assert "Text" in found.message


def test_phone_too_short_message_shows_value_and_digit_count() -> None:
    _, (found,) = normalize_phone("555-1234")
    assert found.message == (
        '"555-1234" has only 7 digits; a US mobile number needs 10 (area code + number), '
        "e.g. (555) 222-3344."
    )


def test_phone_not_us_names_the_country_code() -> None:
    _, (found,) = normalize_phone("+44 20 7946 0958")
    assert "+44" in found.message


def test_phone_warns_about_canadian_numbers_but_accepts_them() -> None:
    value, problems = normalize_phone("(416) 283-4455")
    assert value == "+14162834455"
    assert [(p.code, p.severity) for p in problems] == [("phone_outside_us", Severity.WARNING)]
    assert "Canadian" in problems[0].message


def test_phone_blank_is_absent_without_problems() -> None:
    assert normalize_phone("   ") == (None, ())
