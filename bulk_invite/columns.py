"""Map a spreadsheet's headers to Qualiphy API fields: aliases, overrides, unknown columns.

Headers match case-, space- and punctuation-insensitively (``Phone #`` ≡ ``phone``), a
parenthesized hint is ignored (``DOB (MM/DD/YYYY)``), and a leading ``Patient``/``Client``/…
is dropped when the rest is a known name (``Patient Email``). Overrides (``--map "Col=field"`` or a
mapping file) win over aliases. When two headers map to the same field the first one (left to
right) is used and the later one is kept as an unknown column, carried through untouched; except
``phone_number``: invites are texted, so a mobile/cell/SMS/text header wins over a plain phone,
which wins over a home/work/office/landline one (words or a hint such as ``Phone (Home)``); a fax
column is never used. A header that puts the surname first (``Last First``) makes the whole-name
column split ``SMITH JOHN`` as last name SMITH; a header that spells out a date order
(``DOB (DD/MM/YYYY)``) decides the date of birth column's order (:func:`date_order_hint`).
Columns of our own results workbook are ignored, so a results or "To fix" sheet can be re-run.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Collection, Mapping, Sequence
from types import MappingProxyType

from .errors import MissingColumnsError, UsageError
from .models import ColumnMap
from .settings import DateOrder

#: Every property of the ``ExamInviteRequest`` schema except ``api_key``, in the schema's order.
API_FIELDS: tuple[str, ...] = (
    "exams", "first_name", "last_name", "email", "dob", "phone_number", "tele_state",
    "webhook_url", "additional_data", "redirect_approve", "redirect_reject", "redirect_na",
    "redirect_missed", "gender", "dmv_license_number", "address_line_1", "address_line_2", "city",
    "state", "zip_code", "shipping_address_line_1", "shipping_address_line_2", "shipping_city",
    "shipping_state", "shipping_zip_code", "pharmacy_id", "order_set_id", "exam_pos_id",
    "custom_pharmacy", "ncpdpid", "pharmacy_name", "pharmacy_address_line_1",
    "pharmacy_address_line_2", "pharmacy_city", "pharmacy_state", "pharmacy_zip_code",
    "pharmacy_phone", "pharmacy_type", "provider_pos_selection", "custom_pharmacy_patient_choice",
    "skip_pharmacy_confirmation", "custom_pharmacy_patient_billing",
    "custom_pharmacy_clinic_billing", "custom_pharmacy_delivery_method",
)  # fmt: skip
#: Fields the API accepts that its OpenAPI file omits (the legacy Zendesk example sends it).
LEGACY_FIELDS: tuple[str, ...] = ("patient_address_prefill",)
#: A whole-name column, split into first and last names when those columns are absent.
FULL_NAME = "full_name"
#: An override target that keeps a column out of every field (carried through untouched).
IGNORE = "ignore"
#: Every field a column can feed.
KNOWN_FIELDS: frozenset[str] = frozenset((*API_FIELDS, *LEGACY_FIELDS, FULL_NAME))
#: Always required, whatever the defaults.
REQUIRED_FIELDS: tuple[str, ...] = (
    "first_name", "last_name", "email", "dob", "phone_number", "exams", "tele_state",
)  # fmt: skip
#: Columns of our results workbook, ignored on input. The Results sheet appends the first nine.
RESULT_COLUMNS: tuple[str, ...] = (
    "status", "meeting_url", "meeting_uuid", "patient_exam_ids", "error", "warnings", "attempts",
    "http_status", "sent_at", "source_row",
)  # fmt: skip

_ALIASES: dict[str, tuple[str, ...]] = {
    "first_name": ("First Name", "FName", "First", "Given Name", "Forename", "First Nm",
                   "Name First", "Given", "F Name"),
    "last_name": ("Last Name", "LName", "Last", "Surname", "Family Name", "Last Nm", "Name Last",
                  "L Name"),
    FULL_NAME: ("Name", "Full Name", "Patient Name", "Patient", "Client Name", "Client",
                "Patient Full Name", "Name Last First", "Last First", "First Last"),
    "email": ("Email", "E-mail", "Email Address", "E-mail Address", "Mail", "Email ID",
              "Primary Email", "Email Addr"),
    "dob": ("DOB", "Date of Birth", "Birthdate", "Birth Date", "Birthday", "D.O.B.", "Birth Dt",
            "DOB Date", "Date Birth", "BDay"),
    "phone_number": ("Phone", "Phone Number", "Phone #", "Phone No", "Phone Num", "Mobile",
                     "Mobile Number", "Mobile Phone", "Mobile #", "Mobile No", "Cell",
                     "Cell Phone", "Cell Number", "Cell #", "Cellphone", "Telephone",
                     "Telephone Number", "Tel", "Contact Number", "Contact Phone", "SMS",
                     "SMS Number", "Text Number", "Primary Phone"),
    "tele_state": ("Tele State", "Telehealth State", "Telemedicine State", "Visit State",
                   "Consult State", "Consultation State", "Location State", "Current State",
                   "Exam State"),
    "state": ("State", "ST", "State Code", "Home State", "Address State", "Residence State",
              "State/Province", "Province", "Mailing State"),
    "zip_code": ("Zip", "Zip Code", "Zipcode", "Postal Code", "Postcode", "Postal", "ZIP/Postal",
                 "Zip/Postal Code", "Home Zip", "Mailing Zip", "Zip5"),
    "address_line_1": ("Address", "Address 1", "Address Line 1", "Address1", "Street",
                       "Street Address", "Street 1", "Addr", "Addr 1", "Home Address",
                       "Mailing Address", "Line 1"),
    "address_line_2": ("Address 2", "Address Line 2", "Address2", "Apt", "Apartment", "Suite",
                       "Unit", "Apt/Suite", "Apt #", "Street 2", "Addr 2", "Line 2"),
    "city": ("City", "Town", "City/Town", "Home City", "Mailing City"),
    "exams": ("Exams", "Exam", "Exam ID", "Exam IDs", "Exam Id List", "Exam List", "Exam Numbers",
              "Exam No", "Exam #"),
    "gender": ("Gender", "Sex", "Gender Identity", "Birth Sex", "Sex at Birth"),
    "webhook_url": ("Webhook", "Webhook URL", "Callback URL"),
    "additional_data": ("Additional Data", "Extra Data", "Metadata"),
    "dmv_license_number": ("Driver License", "Drivers License", "Driver's License Number",
                           "Drivers License Number", "DL Number", "DL", "License Number",
                           "DMV License", "DMV Number"),
    "shipping_address_line_1": ("Shipping Address", "Ship Address", "Ship To Address",
                                "Shipping Address 1", "Shipping Street", "Ship Address 1"),
    "shipping_address_line_2": ("Shipping Address 2", "Ship Address 2", "Shipping Apt"),
    "shipping_city": ("Ship City", "Ship To City"),
    "shipping_state": ("Ship State", "Ship To State"),
    "shipping_zip_code": ("Shipping Zip", "Ship Zip", "Shipping Postal Code", "Ship To Zip"),
    "pharmacy_name": ("Pharmacy",),
    "pharmacy_address_line_1": ("Pharmacy Address",),
    "pharmacy_zip_code": ("Pharmacy Zip",),
    "ncpdpid": ("NCPDP", "NCPDP ID"),
    "order_set_id": ("Order Set",),
    "exam_pos_id": ("POS ID",),
}  # fmt: skip
#: Words people put before a field name that do not change which field it is.
_PREFIXES = ("patient", "pt", "client", "member", "customer", "primary", "home", "contact")
_HINT = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")


def header_key(header: str) -> str:
    """The matching key of a header: hints in brackets dropped, lower-case letters and digits."""
    text = unicodedata.normalize("NFKC", header).casefold()
    stripped = _HINT.sub(" ", text)
    return _NON_ALNUM.sub("", stripped if stripped.strip() else text)


_LOOKUP: dict[str, str] = {header_key(f): f for f in (*API_FIELDS, *LEGACY_FIELDS)}
for _field, _names in _ALIASES.items():
    for _name in _names:
        _LOOKUP.setdefault(header_key(_name), _field)
_RESULT_KEYS = frozenset(header_key(c) for c in RESULT_COLUMNS)


_PART = r"(d{1,2}|m{1,2}|y{2,4})"
_SEP = r"\s*[/.\-\s]\s*"
_ORDER_HINT = re.compile(rf"(?<![a-z]){_PART}{_SEP}{_PART}{_SEP}{_PART}(?![a-z])")
_HINT_ORDERS: dict[str, DateOrder] = {"mdy": "mdy", "dmy": "dmy", "ymd": "ymd"}


def date_order_hint(header: str) -> DateOrder | None:
    """The date order a header spells out (``DOB (DD/MM/YYYY)`` → ``dmy``), else None.

    Only a full day-month-year pattern counts: ``MM/DD/YYYY`` → ``mdy``, ``DD.MM.YY`` → ``dmy``,
    ``YYYY-MM-DD`` → ``ymd``; anything else (``YYYY-DD-MM``, two patterns) gives None.
    """
    text = unicodedata.normalize("NFKC", header).casefold()
    found = {"".join(part[0] for part in match.groups()) for match in _ORDER_HINT.finditer(text)}
    if len(found) != 1:
        return None
    return _HINT_ORDERS.get(found.pop())


_SURNAME_WORDS = re.compile(r"last|surname|family")
_GIVEN_WORDS = re.compile(r"first|given|forename")


def name_is_last_first(header: str) -> bool:
    """True when a whole-name header puts the surname first (``Last First``, ``Name (Last,
    First)``), so ``SMITH JOHN`` is split as last name SMITH, first name JOHN."""
    text = _NON_ALNUM.sub("", unicodedata.normalize("NFKC", header).casefold())
    surname, given = _SURNAME_WORDS.search(text), _GIVEN_WORDS.search(text)
    return surname is not None and given is not None and surname.start() < given.start()


_MOBILE_WORDS = ("mobile", "cell", "sms", "text", "wireless")
_LANDLINE_WORDS = ("home", "work", "office", "landline", "business", "evening", "daytime")
_NEVER = 3


def phone_rank(header: str) -> int:
    """How fit a phone header is for ``phone_number`` (invites are texted): 0 mobile/cell/SMS,
    1 plain phone, 2 home/work/office/landline, 3 (never used) fax; hints in brackets count."""
    text = _NON_ALNUM.sub("", unicodedata.normalize("NFKC", header).casefold())
    if "fax" in text:
        return _NEVER
    if any(word in text for word in _LANDLINE_WORDS):
        return 2
    if any(word in text for word in _MOBILE_WORDS):
        return 0
    return 1


def field_for_header(header: str) -> str | None:
    """The field a header names by itself (no overrides), or None when it names none."""
    key = header_key(header)
    while key:
        field = _LOOKUP.get(key)
        if field is not None:
            return field
        key = next((key[len(p) :] for p in _PREFIXES if key.startswith(p)), "")
    return None


def resolve_columns(
    headers: Sequence[str],
    overrides: Mapping[str, str] = MappingProxyType({}),
    *,
    defaults: Collection[str] = (),
    require: bool = True,
) -> ColumnMap:
    """Map headers to fields; raise MissingColumnsError when required ones are absent.

    ``overrides`` maps an input header to a field (or ``ignore``) and wins over aliases; a header
    it names that the file lacks is skipped, so one mapping file can serve several exports.
    ``defaults`` names fields that have a batch default (``exams``, ``tele_state``) and so need
    no column.
    """
    wanted = _check_overrides(overrides)
    fields: dict[str, int] = {}
    unknown: list[int] = []
    phones: list[int] = []
    assigned: dict[int, str] = {}
    for index, header in enumerate(headers):
        target = wanted.get(header_key(header))
        if target is not None and index not in assigned and target not in fields:
            assigned[index] = target
            if target != IGNORE:
                fields[target] = index
    for index, header in enumerate(headers):
        if index in assigned:
            if assigned[index] == IGNORE:
                unknown.append(index)
            continue
        key = header_key(header)
        if key in _RESULT_KEYS and key not in wanted:
            continue
        field = field_for_header(header)
        if field == "phone_number" and "phone_number" not in fields:
            phones.append(index)
        elif field is None or field in fields:
            unknown.append(index)
        else:
            fields[field] = index
    if phones:
        ranked = [(phone_rank(headers[i]), i) for i in phones]
        best = min((r for r in ranked if r[0] < _NEVER), default=None)
        if best is not None:
            fields["phone_number"] = best[1]
        unknown.extend(i for i in phones if best is None or i != best[1])
        unknown.sort()
    column_map = ColumnMap(headers=tuple(headers), fields=fields, unknown=tuple(unknown))
    if require:
        check_required(column_map, defaults=defaults)
    return column_map


def missing_fields(column_map: ColumnMap, *, defaults: Collection[str] = ()) -> list[str]:
    """The required fields no column (nor default) provides, in a stable order."""
    present = set(column_map.fields) | set(defaults)
    missing: list[str] = []
    for field in REQUIRED_FIELDS:
        if field in present:
            continue
        if field in ("first_name", "last_name") and FULL_NAME in present:
            continue
        if field == "tele_state" and "state" in present:
            continue
        missing.append(field)
    return missing


def check_required(column_map: ColumnMap, *, defaults: Collection[str] = ()) -> None:
    """Raise MissingColumnsError, in one line, naming each missing field and its closest headers."""
    missing = missing_fields(column_map, defaults=defaults)
    if not missing:
        return
    hint = 'Rename the column or map it with --map "Column=field".'
    if "exams" in missing:
        hint += " For exams, --exams 12,15 gives every row the same exams."
    if "tele_state" in missing:
        hint += " For tele_state, a state column or a [defaults] tele_state also works."
    if not column_map.fields:
        # No header is known: the first row is probably data, so its cells are not echoed.
        raise MissingColumnsError(
            f"No known column names in the header row ({len(column_map.headers)} columns); the "
            "first row must name the columns, e.g. first_name, last_name, email, dob, "
            f"phone_number, tele_state, exams. Missing: {', '.join(missing)}."
        )
    candidates = [column_map.headers[i] for i in column_map.unknown]
    parts = []
    for field in missing:
        close = closest_headers(field, candidates)
        found = ", ".join(f'"{h}"' for h in close) if close else "none"
        parts.append(f"{field} (closest headers found: {found})")
    noun = "column" if len(missing) == 1 else "columns"
    raise MissingColumnsError(f"Missing required {noun} for {'; '.join(parts)}. {hint}")


def closest_headers(field: str, headers: Sequence[str], limit: int = 3) -> list[str]:
    """Up to ``limit`` headers most like the field's name or aliases (best first)."""
    names = [header_key(field), *(header_key(a) for a in _ALIASES.get(field, ()))]
    scored: list[tuple[float, int, str]] = []
    for position, header in enumerate(headers):
        key = header_key(header)
        if not key:
            continue
        score = max(_similarity(key, name) for name in names)
        if score >= 0.5:
            scored.append((-score, position, header))
    return [header for _, _, header in sorted(scored)[:limit]]


def _similarity(key: str, name: str) -> float:
    """How alike two header keys are; containing a field's name counts as very alike."""
    if len(name) > 2 and name in key:
        return 0.9
    return difflib.SequenceMatcher(None, key, name).ratio()


def _check_overrides(overrides: Mapping[str, str]) -> dict[str, str]:
    """Overrides keyed by header key, each target checked to be a real field."""
    wanted: dict[str, str] = {}
    for header, field in overrides.items():
        target = field.strip().lower()
        if target not in KNOWN_FIELDS and target != IGNORE:
            close = difflib.get_close_matches(target, sorted(KNOWN_FIELDS), n=1)
            suggestion = f' (did you mean "{close[0]}"?)' if close else ""
            raise UsageError(
                f'Column mapping "{header}={field}": "{field}" is not a Qualiphy field'
                f"{suggestion}. Use a field name such as first_name, dob or phone_number, or "
                f'"{IGNORE}".'
            )
        wanted[header_key(header)] = target
    return wanted
