"""Places: US state names and codes → USPS codes, and ZIP codes with Excel's lost zeros restored."""

from __future__ import annotations

import re
from functools import lru_cache

from .base import FieldResult, Problem, fail, problem, show, tidy

STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "FL": "Florida", "GA": "Georgia",
    "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa",
    "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
    "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
    "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada", "NH": "New Hampshire",
    "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York", "NC": "North Carolina",
    "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon", "PA": "Pennsylvania",
    "RI": "Rhode Island", "SC": "South Carolina", "SD": "South Dakota", "TN": "Tennessee",
    "TX": "Texas", "UT": "Utah", "VT": "Vermont", "VA": "Virginia", "WA": "Washington",
    "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming", "DC": "District of Columbia",
}  # fmt: skip
TERRITORIES: dict[str, str] = {
    "PR": "Puerto Rico", "GU": "Guam", "VI": "U.S. Virgin Islands", "AS": "American Samoa",
    "MP": "Northern Mariana Islands", "AA": "Armed Forces Americas", "AE": "Armed Forces Europe",
    "AP": "Armed Forces Pacific",
}  # fmt: skip
#: Qualiphy's code for test mode: accepted as a telehealth and an address state.
TEST_STATE = "TE"
#: States Qualiphy has no providers in (qualiphy-api.md §3.2).
NOT_SERVED = frozenset({"AL", "MS"})
#: Every code valid as ``tele_state``: 48 states, DC and test mode.
TELE_STATES = frozenset(STATES) - NOT_SERVED | {TEST_STATE}

_EXTRA_NAMES = {
    "washingtondc": "DC", "washingtondistrictofcolumbia": "DC", "districtofcolumbia": "DC",
    "virginislands": "VI", "usvirginislands": "VI", "unitedstatesvirginislands": "VI",
    "northernmarianas": "MP", "commonwealthofpuertorico": "PR",
}  # fmt: skip
_LOOKUP: dict[str, str] = {
    **{code.lower(): code for code in (*STATES, *TERRITORIES, TEST_STATE)},
    **{
        re.sub(r"[^a-z]", "", name.lower()): code
        for code, name in {**STATES, **TERRITORIES}.items()
    },
    **_EXTRA_NAMES,
}
_ZIP5 = re.compile(r"[0-9]{5}")
_ZIP9 = re.compile(r"([0-9]{5})\s*-?\s*([0-9]{4})")
_ZIP_SHORT = re.compile(r"[0-9]{3,4}|[0-9]{7,8}")
_EXCEL_FLOAT = re.compile(r"([0-9]+)\.0+")
#: The first three digits of the ZIP codes that start with 0, by state: a ZIP that lost its
#: leading zero(s) is repaired only when the repaired code belongs to the row's state (NY's
#: 005 is Holtsville; its 063 Fishers Island is left out on purpose, being rare).
_ZERO_PREFIXES: dict[str, frozenset[str]] = {
    state: frozenset(f"{n:03d}" for n in numbers)
    for state, numbers in {
        "NY": range(5, 6), "PR": (6, 7, 9), "VI": range(8, 9), "MA": (*range(10, 28), 55),
        "RI": range(28, 30), "NH": range(30, 39), "ME": range(39, 50),
        "VT": (*range(50, 55), *range(56, 60)), "CT": range(60, 70), "NJ": range(70, 90),
        "AE": range(90, 100),
    }.items()
}  # fmt: skip


def normalize_state(raw: str) -> FieldResult[str]:
    """An address state (``state``, ``shipping_state``, ``pharmacy_state``) as a USPS code."""
    return _normalize_state(tidy(raw))


@lru_cache(maxsize=4096)
def _normalize_state(text: str) -> FieldResult[str]:
    if not text:
        return None, ()
    code = _LOOKUP.get(re.sub(r"[^a-z0-9]", "", text.lower()))
    if code == TEST_STATE and text.upper() != TEST_STATE:
        code = None  # test mode only from the exact code TE, never from "T.E." or a word
    if code is None:
        return fail(
            "state_unrecognized",
            f"{show(text)} is not a US state; use the two-letter postal code (e.g. NY) or the "
            "full name (e.g. New York).",
        )
    return code, ()


def normalize_tele_state(raw: str) -> FieldResult[str]:
    """The patient's telehealth state: a USPS code Qualiphy serves, or ``TE`` for test mode."""
    return _normalize_tele_state(tidy(raw))


@lru_cache(maxsize=4096)
def _normalize_tele_state(text: str) -> FieldResult[str]:
    code, problems = _normalize_state(text)
    if code == TEST_STATE:
        return code, (*problems, test_mode_warning())
    if code is None or code in TELE_STATES:
        return code, problems
    name = STATES.get(code) or TERRITORIES.get(code, code)
    return fail(
        "tele_state_not_served",
        f"{show(text)}: Qualiphy does not serve {name} ({code}), so no provider can see this "
        "patient there. Use the state the patient will be in during the visit (TE for test mode).",
    )


def test_mode_warning() -> Problem:
    """The warning every row in test mode (tele_state ``TE``) gets: nobody is contacted."""
    return problem(
        "tele_state_test_mode",
        "TE is test mode: no provider is paged and the patient is not contacted; use the "
        "patient's real state to send a real invite.",
    )


def normalize_zip_in_state(raw: str, state: str | None) -> FieldResult[str]:
    """A ZIP code checked against the row's state (a USPS code) before leading zeros come back.

    ``7701`` in Texas is not ``07701`` (New Jersey): a short number is padded only when the
    padded code is one of ``state``'s; otherwise ``zip_leading_zero_mismatch``. With no state
    (None, or ``TE``) this is :func:`normalize_zip`: repaired, with a warning.
    """
    value, problems = normalize_zip(raw)
    if (
        value is None
        or state is None
        or state == TEST_STATE
        or not any(p.code == "zip_leading_zero_restored" for p in problems)
        or value[:3] in _ZERO_PREFIXES.get(state, frozenset())
    ):
        return value, problems
    text = tidy(raw)
    digits = sum(c.isdigit() for c in text.split(".")[0])
    name = STATES.get(state) or TERRITORIES.get(state, state)
    return fail(
        "zip_leading_zero_mismatch",
        f"{show(text)} has {digits} digits; with its lost leading zero(s) back it would be "
        f"{value}, which is not a ZIP code in {name} ({state}). Type the full 5-digit ZIP code, "
        "and format the column as Text in Excel so the zeros stay.",
    )


def normalize_zip(raw: str) -> FieldResult[str]:
    """A ZIP code as ``12345`` or ``12345-6789``, restoring leading zeros Excel dropped."""
    return _normalize_zip(tidy(raw))


# Enough for the ZIP codes of a region; the country has about 42,000.
@lru_cache(maxsize=16384)
def _normalize_zip(text: str) -> FieldResult[str]:
    if not text:
        return None, ()
    excel = _EXCEL_FLOAT.fullmatch(text)
    digits = excel.group(1) if excel else text
    if _ZIP5.fullmatch(digits):
        return digits, ()
    plus4 = _ZIP9.fullmatch(digits)
    if plus4:
        return f"{plus4[1]}-{plus4[2]}", ()
    if _ZIP_SHORT.fullmatch(digits):
        padded = digits.zfill(5 if len(digits) <= 4 else 9)
        value = padded if len(padded) == 5 else f"{padded[:5]}-{padded[5:]}"
        return value, (
            problem(
                "zip_leading_zero_restored",
                f"{show(text)} lost its leading zero(s) in Excel; used {value}. Format the "
                "column as Text in Excel to keep them.",
            ),
        )
    return fail(
        "zip_invalid",
        f"{show(text)} is not a US ZIP code; use 5 digits (e.g. 02134) or ZIP+4 (e.g. 02134-1234).",
    )
