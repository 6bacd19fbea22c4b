"""Email normalization: offline syntax check, lower-case domain, typo warnings."""

from __future__ import annotations

import pytest

from bulk_invite.fields import normalize_email
from bulk_invite.models import Severity


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("jane@example.com", "jane@example.com"),
        ("  jane@example.com  ", "jane@example.com"),
        ("Jane.Doe@Example.COM", "Jane.Doe@example.com"),
        ("jane+tag@mail.example.org", "jane+tag@mail.example.org"),
        ("mailto:jane@example.com", "jane@example.com"),
    ],
)
def test_email_accepts_and_lowercases_domain(raw: str, expected: str) -> None:
    assert normalize_email(raw) == (expected, ())


@pytest.mark.parametrize(
    ("raw", "meant"),
    [
        ("jane@gmial.com", "gmail.com"),
        ("jane@gmail.con", "gmail.com"),
        ("jane@yaho.com", "yahoo.com"),
        ("jane@hotmial.com", "hotmail.com"),
        ("jane@outlok.com", "outlook.com"),
        ("jane@GMAIL.CON", "gmail.com"),
    ],
)
def test_email_warns_about_common_domain_typos(raw: str, meant: str) -> None:
    value, problems = normalize_email(raw)
    assert value == raw.lower()  # kept as typed (domain lower-cased), with a warning
    assert [(p.code, p.severity) for p in problems] == [("email_domain_typo", Severity.WARNING)]
    assert f"jane@{meant}" in problems[0].message


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("jane.doe@", "email_invalid"),
        ("jane.doe", "email_invalid"),
        ("jane doe@example.com", "email_invalid"),
        ("jane@localhost", "email_invalid"),
        ("jane@example", "email_invalid"),
        ("a@example.com; b@example.com", "email_multiple"),
        ("a@example.com, b@example.com", "email_multiple"),
    ],
)
def test_email_rejects_with_code(raw: str, code: str) -> None:
    value, problems = normalize_email(raw)
    assert value is None
    assert [p.code for p in problems] == [code]
