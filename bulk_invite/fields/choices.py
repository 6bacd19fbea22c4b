"""Coded values: gender, exam ID lists, integer IDs and small integer choices."""

from __future__ import annotations

import re
from collections.abc import Collection
from functools import lru_cache

from .base import FieldResult, Problem, fail, problem, show, tidy

_GENDER_WORDS: dict[int, tuple[str, ...]] = {
    1: ("1", "m", "male", "man", "boy", "masculine", "cisman", "transman", "transgenderman"),
    2: ("2", "f", "w", "female", "woman", "girl", "feminine", "ciswoman", "transwoman",
        "transgenderwoman"),
    3: ("3", "u", "unknown", "other", "x", "o", "nonbinary", "nb", "enby", "genderqueer",
        "prefernottosay", "prefernottoanswer", "prefernot", "declinetoanswer", "declinetostate",
        "declined", "decline", "notspecified", "unspecified", "notstated", "na", "none",
        "undisclosed", "rathernotsay", "rathernotanswer", "rathernotdisclose"),
}  # fmt: skip
_GENDERS = {word: code for code, words in _GENDER_WORDS.items() for word in words}
_EXAM_SPLIT = re.compile(r"[,;|/\s]+")
_INTEGER = re.compile(r"[+]?(\d+)(?:\.0*)?")
#: The largest integer the API takes (a signed 32-bit int); a larger ID is a typo or damage.
MAX_API_INT = 2**31 - 1


def normalize_gender(raw: str) -> FieldResult[int]:
    """Qualiphy's gender code: 1 male, 2 female, 3 prefer not to say / other / unknown."""
    return _normalize_gender(tidy(raw))


@lru_cache(maxsize=1024)
def _normalize_gender(text: str) -> FieldResult[int]:
    if not text:
        return None, ()
    key = re.sub(r"[^a-z0-9]", "", text.lower())
    integer = _INTEGER.fullmatch(text)
    code = _GENDERS.get(integer.group(1) if integer else key)
    if code is None:
        return fail(
            "gender_unrecognized",
            f"{show(text)} is not a gender Qualiphy accepts; use M (male), F (female) or "
            "U (prefer not to say), or leave the cell empty.",
        )
    return code, ()


def normalize_exams(raw: str) -> FieldResult[tuple[int, ...]]:
    """Exam IDs from ``12``, ``12,15``, ``12; 15``, ``[12, 15]``; duplicates dropped, order kept."""
    return _normalize_exams(tidy(raw))


@lru_cache(maxsize=4096)
def _normalize_exams(text: str) -> FieldResult[tuple[int, ...]]:
    if not text or text.replace(" ", "") in ("[]", "()", "{}"):
        return None, ()
    tokens = [t for t in _EXAM_SPLIT.split(text.strip("[](){} \t")) if t]
    if not tokens:
        return fail(
            "exams_invalid",
            f"{show(text)} holds no exam ID; list exam ID numbers separated by commas, "
            "e.g. 12, 15.",
        )
    ids: list[int] = []
    for token in tokens:
        match = _INTEGER.fullmatch(token)
        if match is None:
            if token.startswith("-") and _INTEGER.fullmatch(token[1:]):
                return fail(
                    "exams_not_positive",
                    f"{show(text)} contains {show(token)}; exam IDs are positive numbers from "
                    "the clinic's exam list, e.g. 12 or 12, 15.",
                )
            return fail(
                "exams_invalid",
                f"{show(text)} contains {show(token)}, which is not an exam ID; list exam ID "
                "numbers separated by commas, e.g. 12, 15.",
            )
        ids.append(int(match.group(1)))
    too_big = next((i for i in ids if i > MAX_API_INT), None)
    if too_big is not None:
        return fail(
            "exams_invalid",
            f"{show(text)} contains {too_big}, too large for an exam ID (at most "
            f"{MAX_API_INT}); check the IDs, e.g. 12, 15.",
        )
    if 0 in ids:
        return fail(
            "exams_not_positive",
            f"{show(text)} contains 0; exam IDs are positive numbers from the clinic's exam "
            "list, e.g. 12 or 12, 15.",
        )
    unique = tuple(dict.fromkeys(ids))
    problems: tuple[Problem, ...] = ()
    if len(unique) < len(ids):
        problems = (
            problem(
                "exams_duplicates_removed",
                f"{show(text)} lists an exam more than once; each exam is sent once "
                f"({', '.join(map(str, unique))}).",
            ),
        )
    return unique, problems


def normalize_integer(raw: str, minimum: int = 1) -> FieldResult[int]:
    """A whole-number ID such as ``pharmacy_id`` (``610`` or ``610.0``), at least ``minimum``."""
    return _normalize_integer(tidy(raw), minimum)


@lru_cache(maxsize=4096)
def _normalize_integer(text: str, minimum: int) -> FieldResult[int]:
    if not text:
        return None, ()
    match = _INTEGER.fullmatch(text)
    if match is None or int(match.group(1)) < minimum:
        least = "a positive" if minimum >= 1 else "a"
        return fail(
            "number_invalid",
            f"{show(text)} is not {least} whole number; this column takes a numeric ID, e.g. 610.",
        )
    if int(match.group(1)) > MAX_API_INT:
        return fail(
            "number_invalid",
            f"{show(text)} is too large for this ID (at most {MAX_API_INT}); check the value, "
            "e.g. 610.",
        )
    return int(match.group(1)), ()


def normalize_choice(raw: str, allowed: Collection[int], meanings: str = "") -> FieldResult[int]:
    """One of a few allowed integers, e.g. ``custom_pharmacy`` (1 custom, 2 partner)."""
    return _normalize_choice(tidy(raw), tuple(sorted(allowed)), meanings)


@lru_cache(maxsize=1024)
def _normalize_choice(text: str, allowed: tuple[int, ...], meanings: str) -> FieldResult[int]:
    if not text:
        return None, ()
    match = _INTEGER.fullmatch(text)
    if match is None or int(match.group(1)) not in allowed:
        choices = meanings or " or ".join(map(str, allowed))
        return fail("choice_invalid", f"{show(text)} is not allowed here; use {choices}.")
    return int(match.group(1)), ()


_NCPDPID = re.compile(r"([0-9]{7})(?:\.0+)?")


def normalize_ncpdpid(raw: str) -> FieldResult[str]:
    """A pharmacy's NCPDP ID: exactly 7 digits, kept as text."""
    text = tidy(raw)
    if not text:
        return None, ()
    match = _NCPDPID.fullmatch(text)
    if match is None:
        return fail(
            "ncpdpid_invalid",
            f"{show(text)} is not an NCPDP pharmacy ID, which is 7 digits (e.g. 0512345); "
            "copy it from the pharmacy search.",
        )
    return match.group(1), ()
