"""Names and other free text: cleaning, damage detection, full-name splitting."""

from __future__ import annotations

import pytest

from bulk_invite.fields import normalize_name, normalize_text, split_full_name


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("  John  ", "John"),
        ("Mary   Ann", "Mary Ann"),
        ("Mary\u00a0Ann", "Mary Ann"),
        ("Jo\u200bhn", "John"),
        ("\ufeffAnna", "Anna"),
        ("Ann\u00adMarie", "AnnMarie"),
        ("Jose\u0301", "José"),
        ("José", "José"),
        ("O'Brien", "O'Brien"),
        ("Smith-Jones", "Smith-Jones"),
        ("Zoë", "Zoë"),
        ("李", "李"),
    ],
)
def test_name_is_cleaned(raw: str, expected: str) -> None:
    assert normalize_name(raw) == (expected, ())


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ('=HYPERLINK("x")', "text_formula"),
        ("+John", "text_formula"),
        ("-John", "text_formula"),
        ("@John", "text_formula"),
        ("Jo\x00hn", "text_control_characters"),
        ("Jo\x07hn", "text_control_characters"),
        ("x" * 101, "text_too_long"),
        ("JosÃ©", "text_mojibake"),
        ("MartÃ\u00adnez", "text_mojibake"),
        ("BjÃ¶rk", "text_mojibake"),
        ("12345", "name_no_letters"),
    ],
)
def test_name_rejects_with_code(raw: str, code: str) -> None:
    value, problems = normalize_name(raw)
    assert value is None
    assert [p.code for p in problems] == [code]


def test_name_mojibake_message_says_the_encoding_is_wrong() -> None:
    _, (found,) = normalize_name("JosÃ©")
    assert "José" in found.message
    assert "encoding" in found.message


def test_other_text_allows_leading_dash_but_not_formulas_and_longer_limit() -> None:
    assert normalize_text("-12 Main St")[0] == "-12 Main St"
    assert normalize_text("x" * 200)[0] == "x" * 200
    assert normalize_text("=1+1")[1][0].code == "text_formula"
    assert normalize_text("x" * 256)[1][0].code == "text_too_long"


@pytest.mark.parametrize(
    ("raw", "pair"),
    [
        ("Doe, John", ("John", "Doe")),
        ("John Doe", ("John", "Doe")),
        ("  john   doe ", ("john", "doe")),
        ("John Doe Jr.", ("John", "Doe Jr.")),
        ("Doe Smith, Mary Ann", ("Mary Ann", "Doe Smith")),
    ],
)
def test_full_name_splits_clear_forms_without_warning(raw: str, pair: tuple[str, str]) -> None:
    assert split_full_name(raw) == (pair, ())


def test_full_name_split_of_three_words_is_a_warned_guess() -> None:
    value, problems = split_full_name("Mary Ann Lee")
    assert value == ("Mary Ann", "Lee")
    assert [p.code for p in problems] == ["name_split_guess"]


@pytest.mark.parametrize("raw", ["Cher", "Doe,", ", John", "Doe, John, Jr"])
def test_full_name_that_cannot_be_split_is_rejected(raw: str) -> None:
    assert [p.code for p in split_full_name(raw)[1]] == ["name_cannot_split"]


@pytest.mark.parametrize(
    ("raw", "pair", "codes"),
    [("SMITH JOHN", ("JOHN", "SMITH"), []), ("SMITH, JOHN", ("JOHN", "SMITH"), []),
     ("SMITH JOHN JR", ("JOHN", "SMITH JR"), []),
     ("SMITH JOHN PAUL", ("JOHN PAUL", "SMITH"), ["name_split_guess"])],
)  # fmt: skip
def test_last_first_full_name_splits_surname_first(
    raw: str, pair: tuple[str, str], codes: list[str]
) -> None:
    value, problems = split_full_name(raw, last_first=True)
    assert value == pair
    assert [p.code for p in problems] == codes
