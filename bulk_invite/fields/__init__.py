"""Per-field normalizers: raw cell text in, API-ready value and problems out.

Every normalizer takes the cell text and returns ``(value, problems)``: ``value`` is None when the
cell is blank or unusable, and a blank cell has no problems (whether a field is required is decided
by :mod:`bulk_invite.validate`). Normalizers never raise on any text and are cached, as lists repeat
values (states, exams, genders) and validation runs on hundreds of thousands of rows.
"""

from __future__ import annotations

from .base import FieldResult, Problem, problem, show
from .choices import normalize_choice, normalize_exams, normalize_gender, normalize_integer
from .codes import CODES, Code
from .dates import (
    DateOrderDecision,
    DateOrderDetector,
    date_order_evidence,
    detect_date_order,
    is_order_ambiguous,
    normalize_dob,
)
from .emails import normalize_email
from .phone import normalize_phone
from .places import normalize_state, normalize_tele_state, normalize_zip
from .text import normalize_name, normalize_text, split_full_name
from .web import normalize_json, normalize_url

__all__ = [
    "CODES",
    "Code",
    "DateOrderDecision",
    "DateOrderDetector",
    "FieldResult",
    "Problem",
    "date_order_evidence",
    "detect_date_order",
    "is_order_ambiguous",
    "normalize_choice",
    "normalize_dob",
    "normalize_email",
    "normalize_exams",
    "normalize_gender",
    "normalize_integer",
    "normalize_json",
    "normalize_name",
    "normalize_phone",
    "normalize_state",
    "normalize_tele_state",
    "normalize_text",
    "normalize_url",
    "normalize_zip",
    "problem",
    "show",
    "split_full_name",
]
