"""Places: US state names and codes → USPS codes, and ZIP codes with Excel's lost zeros restored."""

from __future__ import annotations

import re
from functools import lru_cache

from .base import FieldResult, fail, problem, show, tidy

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
    "northernmarianas": "MP", "commonwealthofpuertorico": "PR", "test": TEST_STATE,
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


def normalize_state(raw: str) -> FieldResult[str]:
    """An address state (``state``, ``shipping_state``, ``pharmacy_state``) as a USPS code."""
    return _normalize_state(tidy(raw))


@lru_cache(maxsize=4096)
def _normalize_state(text: str) -> FieldResult[str]:
    if not text:
        return None, ()
    code = _LOOKUP.get(re.sub(r"[^a-z0-9]", "", text.lower()))
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
    if code is None or code in TELE_STATES:
        return code, problems
    name = STATES.get(code) or TERRITORIES.get(code, code)
    return fail(
        "tele_state_not_served",
        f"{show(text)}: Qualiphy does not serve {name} ({code}), so no provider can see this "
        "patient there. Use the state the patient will be in during the visit (TE for test mode).",
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
