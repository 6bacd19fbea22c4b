"""States (address and telehealth) and ZIP codes."""

from __future__ import annotations

import pytest

from bulk_invite.fields import normalize_state, normalize_tele_state, normalize_zip
from bulk_invite.models import Severity


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("NY", "NY"),
        ("ny", "NY"),
        ("N.Y.", "NY"),
        ("New York", "NY"),
        ("new york", "NY"),
        (" NEW  YORK ", "NY"),
        ("Washington DC", "DC"),
        ("Washington, D.C.", "DC"),
        ("D.C.", "DC"),
        ("District of Columbia", "DC"),
        ("Washington", "WA"),
        ("PR", "PR"),
        ("Puerto Rico", "PR"),
        ("Guam", "GU"),
        ("TE", "TE"),
        ("AL", "AL"),
    ],
)
def test_state_accepts_codes_and_names(raw: str, code: str) -> None:
    assert normalize_state(raw) == (code, ())


@pytest.mark.parametrize("raw", ["XX", "Narnia", "NY 10001", "N"])
def test_state_rejects_unknown_values(raw: str) -> None:
    assert [p.code for p in normalize_state(raw)[1]] == ["state_unrecognized"]


@pytest.mark.parametrize(("raw", "code"), [("ny", "NY"), ("D.C.", "DC")])
def test_tele_state_accepts_served_states_and_dc(raw: str, code: str) -> None:
    assert normalize_tele_state(raw) == (code, ())


@pytest.mark.parametrize("raw", ["AL", "Alabama", "MS", "mississippi", "PR", "Guam"])
def test_tele_state_rejects_states_qualiphy_does_not_serve(raw: str) -> None:
    value, problems = normalize_tele_state(raw)
    assert value is None
    assert [p.code for p in problems] == ["tele_state_not_served"]
    assert "does not serve" in problems[0].message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12345", "12345"),
        ("02134", "02134"),
        ("12345-6789", "12345-6789"),
        ("12345 6789", "12345-6789"),
        ("123456789", "12345-6789"),
        ("12345.0", "12345"),
    ],
)
def test_zip_accepts_five_digit_and_zip_plus_four(raw: str, expected: str) -> None:
    assert normalize_zip(raw) == (expected, ())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("2134", "02134"), ("501", "00501"), ("21341234", "02134-1234"), ("2134.0", "02134")],
)
def test_zip_restores_leading_zeros_with_warning(raw: str, expected: str) -> None:
    value, problems = normalize_zip(raw)
    assert value == expected
    assert [(p.code, p.severity) for p in problems] == [
        ("zip_leading_zero_restored", Severity.WARNING)
    ]


@pytest.mark.parametrize("raw", ["12", "1234A", "123456", "ABCDE", "12345-67"])
def test_zip_rejects_malformed_codes(raw: str) -> None:
    assert [p.code for p in normalize_zip(raw)[1]] == ["zip_invalid"]


@pytest.mark.parametrize("raw", ["TE", "te", " Te "])
def test_tele_state_te_is_test_mode_with_a_warning(raw: str) -> None:
    value, problems = normalize_tele_state(raw)
    assert value == "TE"
    assert [(p.code, p.severity) for p in problems] == [("tele_state_test_mode", Severity.WARNING)]
    assert "patient is not contacted" in problems[0].message


@pytest.mark.parametrize("raw", ["test", "Test", "T.E.", "TEST MODE"])
def test_the_word_test_is_not_a_state(raw: str) -> None:
    assert normalize_tele_state(raw)[0] is None
    assert [p.code for p in normalize_tele_state(raw)[1]] == ["state_unrecognized"]
    assert [p.code for p in normalize_state(raw)[1]] == ["state_unrecognized"]
