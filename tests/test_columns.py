"""Header → field resolution: aliases, overrides, duplicates, result columns, missing columns."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bulk_invite.columns import (
    API_FIELDS,
    FULL_NAME,
    RESULT_COLUMNS,
    date_order_hint,
    field_for_header,
    resolve_columns,
)
from bulk_invite.errors import MissingColumnsError, UsageError

BASIC = ["First Name", "Last Name", "Email", "DOB", "Phone", "Tele State", "Exams"]


def test_api_fields_are_the_openapi_request_properties_without_api_key() -> None:
    spec = json.loads((Path(__file__).parent / "data" / "qualiphy-openapi.json").read_text())
    properties = spec["components"]["schemas"]["ExamInviteRequest"]["properties"]
    assert tuple(name for name in properties if name != "api_key") == API_FIELDS


def test_result_columns_start_with_the_nine_results_sheet_columns() -> None:
    assert RESULT_COLUMNS[:9] == (
        "status", "meeting_url", "meeting_uuid", "patient_exam_ids", "error", "warnings",
        "attempts", "http_status", "sent_at",
    )  # fmt: skip
    assert RESULT_COLUMNS[9:] == ("source_row",)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("First Name", "first_name"), ("FName", "first_name"), ("first_name", "first_name"),
        ("Patient First Name", "first_name"), ("Given Name", "first_name"),
        ("FIRST-NAME", "first_name"), ("Last Name", "last_name"), ("Surname", "last_name"),
        ("Family Name", "last_name"), ("DOB", "dob"), ("Date of Birth", "dob"),
        ("Birthdate", "dob"), ("Birth Date", "dob"), ("D.O.B.", "dob"),
        ("DOB (MM/DD/YYYY)", "dob"), ("Patient DOB", "dob"), ("Mobile", "phone_number"),
        ("Cell", "phone_number"), ("Cell Phone", "phone_number"), ("Phone #", "phone_number"),
        ("Phone Number", "phone_number"), ("Mobile Number", "phone_number"),
        ("E-mail", "email"), ("Email Address", "email"), ("Patient Email", "email"),
        ("Zip", "zip_code"), ("Postal Code", "zip_code"), ("Zipcode", "zip_code"),
        ("State", "state"), ("Tele State", "tele_state"), ("Telehealth State", "tele_state"),
        ("Exam IDs", "exams"), ("Exams", "exams"), ("Exam", "exams"), ("Sex", "gender"),
        ("Gender", "gender"), ("Address", "address_line_1"), ("Street", "address_line_1"),
        ("Address 1", "address_line_1"), ("Address Line 2", "address_line_2"),
        ("Apt", "address_line_2"), ("City", "city"), ("Shipping Zip", "shipping_zip_code"),
        ("Pharmacy Phone", "pharmacy_phone"), ("pharmacy_id", "pharmacy_id"),
        ("Name", FULL_NAME), ("Full Name", FULL_NAME), ("Patient Name", FULL_NAME),
        ("  e_MAIL  ", "email"), ("patient_address_prefill", "patient_address_prefill"),
    ],
)  # fmt: skip
def test_header_aliases_match_ignoring_case_space_and_punctuation(header: str, field: str) -> None:
    assert field_for_header(header) == field


@pytest.mark.parametrize("header", ["Notes", "Patient ID", "Fax", "", "Clinic"])
def test_unrelated_headers_match_no_field(header: str) -> None:
    assert field_for_header(header) is None


def test_resolve_maps_fields_and_keeps_unknown_columns() -> None:
    columns = resolve_columns(["Notes", *BASIC, "Patient ID"])
    assert columns.fields == {
        "first_name": 1, "last_name": 2, "email": 3, "dob": 4, "phone_number": 5,
        "tele_state": 6, "exams": 7,
    }  # fmt: skip
    assert columns.unknown == (0, 8)
    assert columns.column_name("dob") == "DOB"


def test_resolve_ignores_result_columns_of_our_own_workbook() -> None:
    columns = resolve_columns([*BASIC, *RESULT_COLUMNS, "Status "])
    assert set(columns.fields.values()) == set(range(len(BASIC)))
    assert columns.unknown == ()


def test_resolve_first_of_two_headers_for_one_field_wins_later_is_unknown() -> None:
    columns = resolve_columns([*BASIC, "E-mail"])
    assert columns.fields["email"] == 2
    assert columns.unknown == (7,)


def test_overrides_win_over_aliases() -> None:
    headers = ["Given", "Family", "Mail", "Born", "Phone", "Home Phone", "Tele State", "Exams"]
    columns = resolve_columns(
        headers, {"born": "dob", "Family": "last_name", "Home Phone": "phone_number"}
    )
    assert columns.fields["dob"] == 3
    assert columns.fields["last_name"] == 1
    assert columns.fields["phone_number"] == 5
    assert columns.unknown == (4,)


def test_override_to_ignore_keeps_column_out_of_fields() -> None:
    columns = resolve_columns([*BASIC, "State"], {"State": "ignore"})
    assert "state" not in columns.fields
    assert columns.unknown == (7,)


def test_override_naming_an_unknown_field_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match='did you mean "phone_number"'):
        resolve_columns(BASIC, {"Phone": "phone_numbr"})


def test_missing_column_error_names_field_and_closest_headers() -> None:
    headers = ["First Name", "Last Name", "Email", "DOB", "Phone Nbr", "Fax", "Exams", "State"]
    with pytest.raises(MissingColumnsError) as caught:
        resolve_columns(headers)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(
        'Missing required column for phone_number (closest headers found: "Phone Nbr")'
    )


def test_missing_columns_are_all_named_in_one_line() -> None:
    with pytest.raises(MissingColumnsError) as caught:
        resolve_columns(["First Name", "Last Name", "Birth", "Notes"])
    message = str(caught.value)
    for field in ("email", "dob", "phone_number", "exams", "tele_state"):
        assert field in message
    assert '"Birth"' in message
    assert "\n" not in message


def test_headerless_file_error_does_not_echo_cells() -> None:
    with pytest.raises(MissingColumnsError) as caught:
        resolve_columns(["Jane", "Doe", "jane@example.com", "1990-06-30"])
    assert "Jane" not in str(caught.value)
    assert "jane@example.com" not in str(caught.value)


def test_exams_and_tele_state_need_no_column_when_defaulted() -> None:
    headers = ["First Name", "Last Name", "Email", "DOB", "Phone"]
    columns = resolve_columns(headers, defaults={"exams", "tele_state"})
    assert "exams" not in columns.fields
    with pytest.raises(MissingColumnsError, match="exams"):
        resolve_columns(headers, defaults={"tele_state"})


def test_state_column_stands_in_for_tele_state() -> None:
    headers = ["First Name", "Last Name", "Email", "DOB", "Phone", "State", "Exams"]
    assert resolve_columns(headers).fields["state"] == 5


def test_full_name_column_stands_in_for_first_and_last() -> None:
    columns = resolve_columns(["Patient Name", "Email", "DOB", "Phone", "Tele State", "Exams"])
    assert columns.fields[FULL_NAME] == 0


def test_resolve_without_require_never_raises() -> None:
    assert resolve_columns(["x"], require=False).unknown == (0,)


@pytest.mark.parametrize(
    ("header", "order"),
    [("DOB (DD/MM/YYYY)", "dmy"), ("Date of Birth (dd/mm/yy)", "dmy"),
     ("DOB (MM/DD/YYYY)", "mdy"), ("Birthdate [M/D/YYYY]", "mdy"), ("DOB (YYYY-MM-DD)", "ymd"),
     ("DOB (DD.MM.YYYY)", "dmy"), ("DOB", None), ("DOB (YYYY-DD-MM)", None),
     ("Date (MM/DD/YYYY or DD/MM/YYYY)", None)],
)  # fmt: skip
def test_date_order_hint_reads_the_order_a_header_spells_out(header: str, order: str) -> None:
    assert date_order_hint(header) == order
    if order is not None:
        assert field_for_header(header) == "dob"


@pytest.mark.parametrize(
    ("headers", "chosen"),
    [(["Home Phone", "Mobile"], "Mobile"), (["Phone (Home)", "Cell Phone"], "Cell Phone"),
     (["Work Phone", "Phone", "SMS Number"], "SMS Number"), (["Phone (Work)", "Phone"], "Phone"),
     (["Phone (Landline)", "Home Phone", "Text Number"], "Text Number"),
     (["Phone", "Telephone"], "Phone"), (["Home Phone"], "Home Phone")],
)  # fmt: skip
def test_phone_column_prefers_mobile_over_plain_over_landline(
    headers: list[str], chosen: str
) -> None:
    column_map = resolve_columns(headers, require=False)
    assert column_map.column_name("phone_number") == chosen
    assert set(column_map.unknown) == set(range(len(headers))) - {headers.index(chosen)}


def test_fax_column_is_never_the_patients_phone() -> None:
    column_map = resolve_columns(["Phone (Fax)", "Email"], require=False)
    assert "phone_number" not in column_map.fields
    assert column_map.unknown == (0,)


def test_other_fields_keep_the_first_matching_column() -> None:
    column_map = resolve_columns(["Email", "E-mail", "Mobile", "Zip", "Postal Code"], require=False)
    assert column_map.fields["email"] == 0 and column_map.fields["zip_code"] == 3
    assert column_map.unknown == (1, 4)
