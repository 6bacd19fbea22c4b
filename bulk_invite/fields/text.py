"""Free text (names, addresses, cities): cleaned of invisible characters, checked for damage."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from .base import INVISIBLE, FieldResult, Problem, any_error, fail, problem, show

NAME_MAX = 100
TEXT_MAX = 255

#: Characters people cannot see that sneak in from web forms and Word; they break matching.
_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE), None)
#: Spaces that look like spaces but do not compare equal to one.
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u3000\u2002\u2003\u2009"), " ")
_TRANSLATE = {**_INVISIBLE, **_SPACES}
_LINE_BREAKS = frozenset("\t\n\r")
_NAME_FORMULA_START = ("=", "+", "-", "@")
_TEXT_FORMULA_START = ("=", "@")
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "v", "md", "phd", "dds", "esq"})


def normalize_name(raw: str) -> FieldResult[str]:
    """A first or last name: trimmed, NFC, invisible characters removed, damage rejected."""
    return _normalize_name(raw)


# Names repeat (first names above all) but the long tail is unique: a bounded cache.
@lru_cache(maxsize=8192)
def _normalize_name(raw: str) -> FieldResult[str]:
    value, problems = _clean(raw, NAME_MAX, _NAME_FORMULA_START)
    if value is not None and not any(c.isalpha() for c in value):
        return fail(
            "name_no_letters",
            f"{show(value)} has no letters, so it cannot be a name; type the patient's name.",
        )
    return value, problems


def normalize_text(raw: str, max_length: int = TEXT_MAX) -> FieldResult[str]:
    """Other free text (address lines, city, IDs): the same cleaning with a longer limit."""
    return _normalize_text(raw, max_length)


@lru_cache(maxsize=4096)
def _normalize_text(raw: str, max_length: int) -> FieldResult[str]:
    return _clean(raw, max_length, _TEXT_FORMULA_START)


def split_full_name(raw: str, last_first: bool = False) -> FieldResult[tuple[str, str]]:
    """``(first, last)`` from ``Doe, John`` or ``John Doe``; guesses on longer names are warned.

    ``last_first`` reads a name without a comma surname first (``DOE JOHN``), for a column whose
    header says so (``Last First``, ``Patient Name (Last First)``); a comma always means
    ``Last, First``.
    """
    return _split_full_name(raw, last_first)


@lru_cache(maxsize=4096)
def _split_full_name(raw: str, last_first: bool) -> FieldResult[tuple[str, str]]:
    value, problems = _normalize_name(raw)
    if value is None:
        return None, problems
    if "," in value:
        last, _, first = (part.strip() for part in value.partition(","))
        if first and last and "," not in first:
            return _checked_pair(first, last, value, ())
        return _cannot_split(value)
    words = value.split(" ")
    if len(words) < 2:
        return _cannot_split(value)
    suffix = len(words) > 2 and words[-1].lower().rstrip(".") in _SUFFIXES
    if last_first:
        # SMITH JOHN → John is the first name; a trailing suffix stays with the surname.
        first = " ".join(words[1:-1] if suffix else words[1:])
        last = f"{words[0]} {words[-1]}" if suffix else words[0]
        plain = len(words) == (3 if suffix else 2)
    else:
        cut = -2 if suffix else -1
        first, last = " ".join(words[:cut]), " ".join(words[cut:])
        plain = len(words) + cut == 1
    if plain:
        return _checked_pair(first, last, value, ())
    guess = problem(
        "name_split_guess",
        f"{show(value)} was split into first name {show(first)} and last name {show(last)}; "
        "if that is wrong, use separate first and last name columns.",
    )
    return _checked_pair(first, last, value, (guess,))


def _checked_pair(
    first: str, last: str, whole: str, problems: tuple[Problem, ...]
) -> FieldResult[tuple[str, str]]:
    first_value, first_problems = _normalize_name(first)
    last_value, last_problems = _normalize_name(last)
    found = problems + first_problems + last_problems
    if first_value is None or last_value is None or any_error(found):
        return _cannot_split(whole) if not any_error(found) else (None, found)
    return (first_value, last_value), found


def _cannot_split(value: str) -> FieldResult[tuple[str, str]]:
    return fail(
        "name_cannot_split",
        f"{show(value)} cannot be split into a first and a last name; write it as "
        '"Last, First" or add separate first and last name columns.',
    )


def _clean(raw: str, max_length: int, formula_start: tuple[str, ...]) -> FieldResult[str]:
    """Shared cleaning: mojibake and control characters rejected, then tidied and checked."""
    text = raw.strip()
    if not text:
        return None, ()
    # Check mojibake before removing soft hyphens: "Ã\xad" is a garbled "í".
    repaired = _repair_mojibake(text)
    if repaired is not None:
        return fail(
            "text_mojibake",
            f"{show(text)} looks garbled (probably {show(repaired)}): the file was probably "
            "saved in a different text encoding. Re-save it as UTF-8 (CSV UTF-8 in Excel) or "
            "give the right --encoding.",
        )
    if any(_is_control(c) for c in text):
        return fail(
            "text_control_characters",
            f"{show(text)} contains hidden control characters; retype the value.",
        )
    value = " ".join(unicodedata.normalize("NFC", text.translate(_TRANSLATE)).split())
    if not value:
        return None, ()
    if value.startswith(formula_start):
        return fail(
            "text_formula",
            f"{show(value)} starts with {value[0]!r} like a spreadsheet formula, which is never "
            "sent; remove the leading character or retype the value.",
        )
    if len(value) > max_length:
        return fail(
            "text_too_long",
            f"{show(value)} is {len(value)} characters long; at most {max_length} are allowed. "
            "Check that the right value is in this column.",
        )
    return value, ()


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc" and char not in _LINE_BREAKS


def _repair_mojibake(text: str) -> str | None:
    """The text as it was meant, when it is UTF-8 misread as cp1252/latin-1; else None."""
    if not any("\u0080" <= c <= "\u00ff" for c in text):
        return None
    for codec in ("cp1252", "latin-1"):
        try:
            fixed = text.encode(codec).decode("utf-8")
        except UnicodeError:
            continue
        if fixed != text:
            return fixed
    return None
