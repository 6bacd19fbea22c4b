"""Email addresses: syntax checked offline, domain lower-cased, common domain typos flagged."""

from __future__ import annotations

import re
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

from .base import FieldResult, Problem, fail, problem, show, tidy

_SEPARATORS = re.compile(r"[,;\s]\S*@")
# Most addresses are a plain ASCII local part (RFC 5322 dot-atom, which email-validator keeps as
# it is) and a common domain: such an address is valid exactly when its domain is, so only the
# domain is validated, once per domain. Anything else takes the full validation.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_SIMPLE = re.compile(rf"({_ATEXT}(?:\.{_ATEXT})*)@([A-Za-z0-9.-]+)")
# Far below every length limit of the address and of its local part (64).
_SIMPLE_MAX = 64
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
    return _normalize_email(tidy(raw, fold=False))


# Addresses are nearly unique per patient; their domains are cached instead.
@lru_cache(maxsize=1024)
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
    simple = _SIMPLE.fullmatch(text) if len(text) <= _SIMPLE_MAX else None
    if simple and simple[1].lower() not in CASE_INSENSITIVE_MAILBOX_NAMES:
        domain = _checked_domain(simple[2])
        if domain is not None:
            value = f"{simple[1]}@{domain}"
            return value, _typo_warning(value)
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


@lru_cache(maxsize=4096)
def _checked_domain(domain: str) -> str | None:
    """The normalized domain when email-validator accepts it after a plain local part."""
    try:
        return validate_email(f"a@{domain}", check_deliverability=False).domain
    except EmailNotValidError:
        return None


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
