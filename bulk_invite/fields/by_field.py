"""Which normalizer handles which API field (``dob`` aside: it also needs the column's order)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from .base import FieldResult
from .choices import (
    normalize_choice,
    normalize_exams,
    normalize_gender,
    normalize_integer,
    normalize_ncpdpid,
)
from .emails import normalize_email
from .phone import normalize_phone
from .places import normalize_state, normalize_tele_state, normalize_zip
from .text import normalize_name, normalize_text
from .web import normalize_json, normalize_url

Normalizer = Callable[[str], FieldResult[Any]]

_TEXT_FIELDS = (
    "dmv_license_number", "address_line_1", "address_line_2", "city", "shipping_address_line_1",
    "shipping_address_line_2", "shipping_city", "pharmacy_name", "pharmacy_address_line_1",
    "pharmacy_address_line_2", "pharmacy_city", "pharmacy_type", "custom_pharmacy_clinic_billing",
)  # fmt: skip
_CHOICES: dict[str, tuple[tuple[int, ...], str]] = {
    "custom_pharmacy": ((1, 2), "1 (custom/retail pharmacy) or 2 (partner pharmacy)"),
    "provider_pos_selection": (
        (1, 2, 3),
        "1 (provider chooses nothing), 2 (provider picks the order set) or 3 (provider picks "
        "pharmacy and order set)",
    ),
    "custom_pharmacy_patient_choice": ((1, 2), "1 (you preselect) or 2 (patient picks)"),
    "skip_pharmacy_confirmation": ((1, 2), "1 (show confirmation) or 2 (skip it)"),
    "custom_pharmacy_patient_billing": ((1, 2), "1 (clinic is billed) or 2 (patient is billed)"),
    "custom_pharmacy_delivery_method": ((1, 2), "1 (pickup) or 2 (ship)"),
}

#: The normalizer of every field except ``dob``.
NORMALIZERS: dict[str, Normalizer] = {
    "first_name": normalize_name,
    "last_name": normalize_name,
    "email": normalize_email,
    "phone_number": normalize_phone,
    "pharmacy_phone": normalize_phone,
    "tele_state": normalize_tele_state,
    "state": normalize_state,
    "shipping_state": normalize_state,
    "pharmacy_state": normalize_state,
    "zip_code": normalize_zip,
    "shipping_zip_code": normalize_zip,
    "pharmacy_zip_code": normalize_zip,
    "gender": normalize_gender,
    "exams": normalize_exams,
    "webhook_url": normalize_url,
    "redirect_approve": normalize_url,
    "redirect_reject": normalize_url,
    "redirect_na": normalize_url,
    "redirect_missed": normalize_url,
    "additional_data": normalize_json,
    "pharmacy_id": normalize_integer,
    "order_set_id": normalize_integer,
    "exam_pos_id": normalize_integer,
    "patient_address_prefill": partial(normalize_integer, minimum=0),
    "ncpdpid": normalize_ncpdpid,
    **{name: normalize_text for name in _TEXT_FIELDS},
    **{
        name: partial(normalize_choice, allowed=allowed, meanings=meanings)
        for name, (allowed, meanings) in _CHOICES.items()
    },
}
