"""What Qualiphy refuses, and with which words: the sandbox's request checks.

Body keys follow the public evidence ("mixed" mode):
- ``message`` with ``http_code``: ``Unauthorized access.`` (Postman saved example), every 400 field
  error (Postman's 400 example), and the sandbox-only 404/405/411/413/429/503 answers;
- ``error_message`` with ``http_code``: the three account 401s (provider, contract, Rx contract),
  as the vendor help article shows them;
- ``error_message`` alone: the 500 ``Something went wrong…`` body, as the help article shows it.
``SandboxConfig.message_key`` can force one key for every error instead.
The 400 texts are the sandbox's own: Qualiphy documents only that "the body says which field".
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
from dataclasses import dataclass
from typing import Any

from .config import SandboxConfig, SandboxExam

UNAUTHORIZED = "Unauthorized access."
NO_PROVIDER = "Need to add Patient Care Provider via Qualiphy Portal!"
CONTRACT_UNSIGNED = "You need to signed docusign and signed rx"
RX_CONTRACT_UNSIGNED = "Need to sign Prescriptive Services Contract via Qualiphy Portal!"
SERVER_ERROR = "Something went wrong. Please try again later."
INVALID_REQUEST = "Invalid Request."
#: Sandbox-only wording: the real text for a second Rx exam in one invite is undocumented.
ONE_RX_ONLY = "Only 1 prescriptive exam may be completed at a time."
DOB_FORMAT = "The dob field must be a valid date in YYYY-MM-DD format."
PHONE_FORMAT = "The phone_number field must be +1 followed by 10 digits, or 10 digits."
TELE_STATE_FORMAT = (
    "The tele_state field must be a two-letter uppercase state code (DC for Washington D.C., "
    "TE for test mode)."
)
EXAMS_FORMAT = "The exams field must be a non-empty array of exam IDs (integers)."
GENDER_FORMAT = "The gender field must be 1 (Male), 2 (Female) or 3 (Prefer not to say)."
EMAIL_FORMAT = "The email field must be a valid email address."

REQUIRED_FIELDS = ("exams", "first_name", "last_name", "email", "dob", "phone_number", "tele_state")

# fmt: off
#: The 50 states, D.C. and Qualiphy's test-mode code.
KNOWN_STATES = frozenset(
    {
        "AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL", "GA", "HI", "IA", "ID", "IL",
        "IN", "KS", "KY", "LA", "MA", "MD", "ME", "MI", "MN", "MO", "MS", "MT", "NC", "ND", "NE",
        "NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TE", "TN", "TX",
        "UT", "VA", "VT", "WA", "WI", "WV", "WY"
    }
)
# fmt: on

_DOB = re.compile(r"\d{4}-\d{2}-\d{2}")
_PHONE = re.compile(r"(\+1)?\d{10}")
_TELE_STATE = re.compile(r"[A-Z]{2}")


def required_message(name: str) -> str:
    """The 400 text for a missing required field."""
    return f"The {name} field is required."


def string_message(name: str) -> str:
    """The 400 text for a field that must be a JSON string."""
    return f"The {name} field must be a string."


def unknown_exam_message(exam_id: int) -> str:
    """The 400 text for an exam id the clinic does not have."""
    return f"The selected exam id {exam_id} is invalid."


@dataclass(frozen=True)
class Refusal:
    """An error answer: HTTP status, text, and which key carries the text in mixed mode."""

    status: int
    text: str
    key: str = "message"
    with_code: bool = True

    def body(self, config: SandboxConfig) -> dict[str, Any]:
        """The JSON body, honouring ``config.message_key``."""
        key = self.key if config.message_key == "mixed" else config.message_key
        body: dict[str, Any] = {"http_code": self.status} if self.with_code else {}
        body[key] = self.text
        return body


def _is_int(value: object) -> bool:
    # JSON true/false arrive as bool, a subclass of int: Qualiphy wants real integers.
    return isinstance(value, int) and not isinstance(value, bool)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def _format_refusal(payload: dict[str, Any]) -> Refusal | None:
    exams = payload["exams"]
    if not isinstance(exams, list) or not exams or not all(_is_int(e) for e in exams):
        return Refusal(400, EXAMS_FORMAT)
    for name in ("first_name", "last_name", "email", "dob", "phone_number", "tele_state"):
        if not isinstance(payload[name], str):
            return Refusal(400, string_message(name))
    local, at, domain = payload["email"].strip().rpartition("@")
    if not (at and local and domain):
        return Refusal(400, EMAIL_FORMAT)
    dob = payload["dob"]
    try:
        if not _DOB.fullmatch(dob):
            raise ValueError(dob)
        dt.date.fromisoformat(dob)
    except ValueError:
        return Refusal(400, DOB_FORMAT)
    if not _PHONE.fullmatch(payload["phone_number"]):
        return Refusal(400, PHONE_FORMAT)
    state = payload["tele_state"]
    if not _TELE_STATE.fullmatch(state) or state not in KNOWN_STATES:
        return Refusal(400, TELE_STATE_FORMAT)
    gender = payload.get("gender")
    if gender is not None and (not _is_int(gender) or gender not in (1, 2, 3)):
        return Refusal(400, GENDER_FORMAT)
    extra = payload.get("additional_data")
    if extra is not None and not isinstance(extra, str):
        return Refusal(400, string_message("additional_data"))
    return None


def check_api_key(payload: object, config: SandboxConfig) -> Refusal | None:
    """401 unless the body is a JSON object carrying the configured key."""
    key = payload.get("api_key") if isinstance(payload, dict) else None
    if not isinstance(key, str) or not hmac.compare_digest(key.encode(), config.api_key.encode()):
        return Refusal(401, UNAUTHORIZED)
    return None


def check_invite(payload: dict[str, Any], config: SandboxConfig) -> Refusal | list[SandboxExam]:
    """The refusal Qualiphy would give this (authenticated) invite, or its catalog exams."""
    if not config.contract_signed:
        return Refusal(401, CONTRACT_UNSIGNED, key="error_message")
    for name in REQUIRED_FIELDS:
        if name not in payload or _blank(payload[name]):
            return Refusal(400, required_message(name))
    refusal = _format_refusal(payload)
    if refusal is not None:
        return refusal
    exams: list[SandboxExam] = []
    for exam_id in payload["exams"]:
        exam = config.exam(exam_id)
        if exam is None:
            return Refusal(400, unknown_exam_message(exam_id))
        exams.append(exam)
    if sum(1 for e in exams if e.is_rx) > 1:
        return Refusal(400, ONE_RX_ONLY)
    if payload["tele_state"] in config.no_provider_states:
        return Refusal(401, NO_PROVIDER, key="error_message")
    if not config.rx_contract_signed and any(e.is_rx for e in exams):
        return Refusal(401, RX_CONTRACT_UNSIGNED, key="error_message")
    return exams
