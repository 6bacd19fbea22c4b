"""Email addresses: syntax checked offline, domain lower-cased, common domain typos flagged."""

from __future__ import annotations

import re
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

from .base import FieldResult, Problem, fail, problem, show

_SEPARATORS = re.compile(r"[,;\s]\S*@")
#: Misspellings seen in real patient lists, mapped to the domain that was meant.
DOMAIN_TYPOS: dict[str, str] = {
    **dict.fromkeys(
        ["gmial.com", "gmai.com", "gmal.com", "gamil.com", "gnail.com", "gmaill.com", "gmail.co",
         "gmail.con", "gmail.cm", "gmail.om", "gmail.comm", "gmail.cmo", "gmail.vom", "gmail.xom",
         "gmail.net", "gmailcom", "gmaik.com", "gmsil.com", "gmil.com", "gimail.com",
         "googlemail.con"],
        "gmail.com",
    ),
    **dict.fromkeys(
        ["yaho.com", "yahooo.com", "yhoo.com", "yahoo.con", "yahoo.cm", "yahoo.co", "yahoo.om",
         "yahho.com", "yaoo.com", "uahoo.com", "yahoo.comm", "yahoo.cmo"],
        "yahoo.com",
    ),
    **dict.fromkeys(
        ["hotmial.com", "hotmal.com", "hotmai.com", "hotmil.com", "hotmail.con", "hotmail.co",
         "hotmail.cm", "homail.com", "hotamil.com", "hotmaill.com", "hotmail.comm", "hormail.com"],
        "hotmail.com",
    ),
    **dict.fromkeys(
        ["outlok.com", "outllok.com", "outlook.con", "outlook.co", "outlool.com", "otlook.com",
         "outloo.com", "outlook.cm"],
        "outlook.com",
    ),
    **dict.fromkeys(["icloud.con", "iclod.com", "icoud.com", "icluod.com", "icloud.co"],
                    "icloud.com"),
    **dict.fromkeys(["aol.con", "aol.co", "aoll.com", "aol.cm"], "aol.com"),
    **dict.fromkeys(["comcast.con", "comcat.net", "comcast.ner"], "comcast.net"),
    **dict.fromkeys(["live.con", "live.co"], "live.com"),
    **dict.fromkeys(["msn.con"], "msn.com"),
}  # fmt: skip


def normalize_email(raw: str) -> FieldResult[str]:
    """An email address checked for syntax (no network), domain lower-cased; typos warned."""
    return _normalize_email(raw.strip())


@lru_cache(maxsize=65536)
def _normalize_email(text: str) -> FieldResult[str]:
    if not text:
        return None, ()
    if text.lower().startswith("mailto:"):
        text = text[len("mailto:") :].strip()
    if text.count("@") > 1 and _SEPARATORS.search(text):
        return fail(
            "email_multiple",
            f"{show(text)} holds more than one email address; keep only the patient's own "
            "address in this cell.",
        )
    try:
        checked = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        return fail(
            "email_invalid",
            f"{show(text)} is not a valid email address: {str(exc).rstrip('.')}. Correct it, "
            "e.g. jane.doe@example.com.",
        )
    value = checked.normalized
    return value, _typo_warning(value)


def _typo_warning(value: str) -> tuple[Problem, ...]:
    local, _, domain = value.rpartition("@")
    meant = DOMAIN_TYPOS.get(domain)
    if meant is None:
        return ()
    return (
        problem(
            "email_domain_typo",
            f"{show(value)} may be misspelled: did you mean {local}@{meant}? The invite is "
            "emailed to this address, so check it.",
        ),
    )
