"""The registry of every issue code: its severity, what it means and an example value."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import Severity

E = Severity.ERROR
W = Severity.WARNING


@dataclass(frozen=True, slots=True)
class Code:
    """What an issue code means, for documentation and for people reading results."""

    severity: Severity
    meaning: str
    example: str


CODES: dict[str, Code] = {
    # Whole row and cross-row checks.
    "required_missing": Code(E, "A required field is empty and has no default.", '""'),
    "duplicate_row": Code(E, "Same patient and exams as an earlier row; not sent.", "row 7 twice"),
    # Free text (names, addresses, cities, other text fields).
    "text_formula": Code(E, "Text starts like a spreadsheet formula.", "=HYPERLINK(...)"),
    "text_control_characters": Code(E, "Text holds invisible control characters.", "Jo\\x00hn"),
    "text_too_long": Code(E, "Text is longer than the field allows.", "a 300-character name"),
    "text_mojibake": Code(E, "Text was garbled by a wrong file encoding.", "JosÃ©"),
    "name_no_letters": Code(E, "A name holds no letters at all.", "12345"),
    "name_split_guess": Code(
        W, "A full name was split into first/last by guessing.", "Mary Ann Lee"
    ),
    "name_cannot_split": Code(E, "A full name could not be split into first/last.", "Cher"),
    # Phone numbers.
    "phone_scientific_notation": Code(E, "Excel turned the number into 5.55E+09.", "5.55222E+09"),
    "phone_extension": Code(E, "The number has an extension.", "555-222-3344 x12"),
    "phone_letters": Code(E, "The number contains letters.", "1-800-FLOWERS"),
    "phone_invalid_characters": Code(E, "The number contains stray symbols.", "555*222*3344"),
    "phone_not_us": Code(E, "The number has a non-US country code.", "+44 20 7946 0958"),
    "phone_too_short": Code(E, "Fewer than 10 digits.", "555-1234"),
    "phone_too_long": Code(E, "More than 10 digits (after an optional leading 1).", "55522233441"),
    "phone_bad_area_code": Code(E, "The area code starts with 0 or 1.", "(155) 222-3344"),
    "phone_bad_exchange": Code(
        E, "The 3 digits after the area code start with 0 or 1.", "555-122-3344"
    ),
    "phone_outside_us": Code(W, "A +1 number from Canada or the Caribbean.", "(416) 283-4455"),
    # Dates of birth.
    "dob_unrecognized": Code(E, "The value is not a date that can be read.", "next Tuesday"),
    "dob_invalid_date": Code(E, "The day or month does not exist.", "2/30/1990"),
    "dob_order_conflict": Code(
        E, "The date only fits the other day/month order than its column.", "25/12/1990"
    ),
    "dob_year_only": Code(E, "Only a year was given.", "1990"),
    "dob_future": Code(E, "The date is in the future.", "2090-01-01"),
    "dob_too_old": Code(E, "The date is more than 120 years ago.", "1890-01-01"),
    "dob_two_digit_year": Code(W, "A two-digit year was expanded to four digits.", "6/30/90"),
    "dob_time_ignored": Code(W, "A time of day next to the date was dropped.", "1990-06-30 13:45"),
    "dob_excel_serial": Code(
        W, "A bare number was read as an Excel date serial; the message shows the date.", "33000"
    ),
    "dob_order_assumed": Code(
        W, "Ambiguous day/month; the column's order came from the date_order setting.", "06/05/1990"
    ),
    "dob_order_uncertain": Code(
        W,
        "Ambiguous day/month in a column that mixes both orders; read in the column's order.",
        "06/05/1990",
    ),
    # States.
    "state_unrecognized": Code(E, "Not a US state, DC or territory.", "Nowhere"),
    "tele_state_not_served": Code(E, "Qualiphy does not serve this telehealth state.", "AL"),
    "tele_state_from_state": Code(W, "tele_state was taken from the address state.", "NY"),
    "tele_state_test_mode": Code(
        W, "Test mode (TE): no provider is paged and the patient is not contacted.", "TE"
    ),
    # ZIP codes.
    "zip_invalid": Code(E, "Not a 5-digit or ZIP+4 code.", "1234A"),
    "zip_leading_zero_restored": Code(
        W,
        "Excel dropped leading zeros; restored (they fit the row's state, or no state given).",
        "2134",
    ),
    "zip_leading_zero_mismatch": Code(
        E, "A ZIP lost its leading zeros, but the padded code is not in the row's state.", "7701"
    ),
    # Email.
    "email_invalid": Code(E, "Not a valid email address.", "jane.doe@"),
    "email_multiple": Code(E, "More than one address in the cell.", "a@x.com; b@y.com"),
    "email_domain_typo": Code(W, "The domain looks like a typo of a common one.", "jane@gmial.com"),
    # Gender.
    "gender_unrecognized": Code(E, "Not a gender value Qualiphy accepts.", "Q"),
    # Exams.
    "exams_invalid": Code(E, "An exam ID is not a whole number.", "12a"),
    "exams_not_positive": Code(E, "An exam ID is zero or negative.", "-12"),
    "exams_duplicates_removed": Code(W, "An exam ID was listed twice; kept once.", "12,12"),
    "exam_unknown": Code(E, "An exam ID is not in the clinic's exam list.", "99999"),
    "exam_multiple_rx": Code(E, "More than one Rx exam in one invite.", "two Rx exam IDs"),
    # URLs, JSON and numbers.
    "url_invalid": Code(E, "Not an absolute web address.", "example.com/hook"),
    "url_not_https": Code(E, "Plain http to a non-local host.", "http://example.com/hook"),
    "json_invalid": Code(E, "additional_data is not valid JSON text.", "{order: 1}"),
    "additional_data_wrapped": Code(
        W, "additional_data was JSON but not an object; kept under the key data.", "[1, 2]"
    ),
    "number_invalid": Code(E, "Not a whole number where one is required.", "12b"),
    "choice_invalid": Code(E, "A number outside the field's allowed choices.", "custom_pharmacy 3"),
    "ncpdpid_invalid": Code(E, "An NCPDP pharmacy ID is not 7 digits.", "12AB"),
}
