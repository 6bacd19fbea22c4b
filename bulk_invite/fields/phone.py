"""Phone numbers: any common US way of writing a mobile number → ``+1XXXXXXXXXX``."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

from .base import FieldResult, Problem, fail, problem, show, tidy

_SCIENTIFIC = re.compile(r"[+-]?\d+(?:[.,]\d+)?[eE][+-]?\d+")
_EXCEL_FLOAT = re.compile(r"(\d+)\.0+")
_EXTENSION = re.compile(r"(?:ext(?:ension)?\.?|x|#)\s*:?\s*\d{1,6}\s*$", re.IGNORECASE)
_ALLOWED = re.compile(r"[0-9\s()+\-./]+")
_EXAMPLE = "e.g. (555) 222-3344"
#: +1 regions that are part of the US: numbers there are domestic for texting purposes.
_US_REGIONS = frozenset({"US", "PR", "GU", "VI", "AS", "MP"})
_REGION_NAMES = {
    "CA": "Canadian",
    "JM": "Jamaican",
    "DO": "Dominican Republic",
    "BS": "Bahamian",
    "BB": "Barbadian",
    "TT": "Trinidad and Tobago",
    "BM": "Bermudan",
}


def normalize_phone(raw: str) -> FieldResult[str]:
    """A US phone number as ``+1`` and 10 digits; blank gives ``(None, ())``."""
    return _normalize_phone(tidy(raw))


# Phone numbers are nearly unique per patient: a big cache would hold memory and save nothing.
@lru_cache(maxsize=1024)
def _normalize_phone(text: str) -> FieldResult[str]:
    if not text:
        return None, ()
    if _SCIENTIFIC.fullmatch(text):
        return fail(
            "phone_scientific_notation",
            f"{show(text)} is a number Excel shortened to scientific notation, so digits were "
            "lost. Re-type the full number and format the column as Text in Excel, "
            f"{_EXAMPLE}.",
        )
    excel = _EXCEL_FLOAT.fullmatch(text)
    if excel:
        text = excel.group(1)
    if _EXTENSION.search(text):
        return fail(
            "phone_extension",
            f"{show(text)} has an extension; invites are texted, so give a mobile number "
            f"without an extension, {_EXAMPLE}.",
        )
    if any(c.isalpha() for c in text):
        return fail(
            "phone_letters",
            f"{show(text)} contains letters; give the mobile number as digits only, {_EXAMPLE}.",
        )
    if not _ALLOWED.fullmatch(text):
        return fail(
            "phone_invalid_characters",
            f"{show(text)} contains characters that do not belong in a phone number; "
            f"write it as digits only, {_EXAMPLE}.",
        )
    foreign = _foreign_country_code(text)
    if foreign:
        return fail(
            "phone_not_us",
            f"{show(text)} is not a US number (country code +{foreign}); Qualiphy texts US "
            f"mobile numbers only, {_EXAMPLE}.",
        )
    digits = "".join(c for c in text if "0" <= c <= "9")
    if len(digits) == 11 and digits[0] == "1":
        digits = digits[1:]
    if len(digits) < 10:
        return fail(
            "phone_too_short",
            f"{show(text)} has only {len(digits)} digits; a US mobile number needs 10 "
            f"(area code + number), {_EXAMPLE}.",
        )
    if len(digits) > 10:
        return fail(
            "phone_too_long",
            f"{show(text)} has {len(digits)} digits; a US mobile number has 10 (area code + "
            f"number), optionally after a leading 1, {_EXAMPLE}.",
        )
    if digits[0] in "01":
        return fail(
            "phone_bad_area_code",
            f"{show(text)} has area code {digits[:3]}, but US area codes never start with "
            f"0 or 1; check the number, {_EXAMPLE}.",
        )
    if digits[3] in "01":
        return fail(
            "phone_bad_exchange",
            f"{show(text)}: the 3 digits after the area code ({digits[3:6]}) never start with "
            f"0 or 1 in a US number; check the number, {_EXAMPLE}.",
        )
    value = "+1" + digits
    return value, _region_warning(text, value)


def _foreign_country_code(text: str) -> str | None:
    """The country code of a number written with ``+`` and a code other than 1, if any."""
    stripped = text.lstrip()
    if not stripped.startswith("+"):
        return None
    digits = "".join(c for c in stripped if c.isdigit())
    if not digits or digits[0] == "1":
        return None
    try:
        return str(phonenumbers.parse(stripped, None).country_code)
    except phonenumbers.NumberParseException:
        return digits[:3]


def _region_warning(text: str, value: str) -> tuple[Problem, ...]:
    """A warning when a valid +1 number belongs to Canada or the Caribbean, not the US."""
    # ``value`` is +1 and ten digits: build the number rather than parse it (same object, 3× less
    # time, and this runs for every valid row).
    parsed = phonenumbers.PhoneNumber(country_code=1, national_number=int(value[2:]))
    region = phonenumbers.region_code_for_number(parsed)
    if region is None or region in _US_REGIONS:
        return ()
    name = _REGION_NAMES.get(region, f"non-US ({region})")
    return (
        problem(
            "phone_outside_us",
            f"{show(text)} looks like a {name} number; Qualiphy texts the invite to this "
            "number, so check it is the patient's US mobile.",
        ),
    )
