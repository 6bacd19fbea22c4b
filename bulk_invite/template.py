"""A blank input workbook that Excel cannot damage: canonical headers, drop-downs and notes.

Every column of the ``Patients`` sheet is formatted as Text, so ZIP codes keep their leading zeros,
phone numbers never turn into ``5.55E+09`` and dates stay as typed. States, telehealth states and
gender have drop-down lists holding exactly the values validation accepts; a ``Notes`` sheet
explains each column.
"""

from __future__ import annotations

import io
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from .atomic import atomic_output
from .fields.places import STATES, TELE_STATES, TERRITORIES, TEST_STATE

__all__ = ["COLUMNS", "GENDER_CHOICES", "SHEET", "write_template", "write_template_bytes"]

#: The data sheet's name.
SHEET = "Patients"
#: Rows that carry drop-downs and the Text format (Excel's last row).
_LAST_ROW = 1_048_575
#: What the gender drop-down offers (validation maps them to 1, 2 and 3).
GENDER_CHOICES = ("Male", "Female", "Prefer not to say")
#: Every column: (header, required, what to type, example).
COLUMNS: tuple[tuple[str, bool, str, str], ...] = (
    ("first_name", True, "The patient's first name.", "Avery"),
    ("last_name", True, "The patient's last name.", "Testwood"),
    ("email", True, "The patient's own email address; the invite is emailed here.",
     "avery@example.com"),
    ("dob", True, "Date of birth as YYYY-MM-DD (also accepted: M/D/YYYY).", "1990-06-30"),
    ("phone_number", True, "US mobile number, 10 digits; the invite is texted here.",
     "(555) 222-3344"),
    ("tele_state", True, "Two-letter code of the state the patient will be in during the visit "
     "(pick from the list; AL and MS are not served). TE = test mode.", "NY"),
    ("exams", True, "Exam ID numbers from `bulk-invite exams`, separated by commas.", "12, 15"),
    ("gender", False, "Male, Female or Prefer not to say (pick from the list).", "Female"),
    ("address_line_1", False, "Home street address.", "100 Test Street"),
    ("address_line_2", False, "Apartment, suite or unit.", "Apt 4"),
    ("city", False, "Home city.", "Springfield"),
    ("state", False, "Home state, two-letter code (pick from the list). TE = test mode.", "NY"),
    ("zip_code", False, "Home ZIP code: 5 digits or ZIP+4, leading zeros kept.", "02134"),
    ("webhook_url", False, "https:// address that receives this patient's exam events.",
     "https://example.com/qualiphy-hook"),
    ("additional_data", False, 'JSON text returned with the webhook, e.g. your own IDs.',
     '{"order_id": "A-1"}'),
)  # fmt: skip


def _state_codes(*, served_only: bool) -> list[str]:
    """Drop-down values: served telehealth states, or every address state, then TE."""
    codes = sorted(TELE_STATES - {TEST_STATE}) if served_only else sorted({*STATES, *TERRITORIES})
    return [*codes, TEST_STATE]


def write_template_bytes() -> bytes:
    """The template workbook as XLSX bytes."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    text = book.add_format({"num_format": "@"})
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "num_format": "@"})
    required = book.add_format({"bold": True, "bg_color": "#FCE4D6", "num_format": "@"})
    sheet = book.add_worksheet(SHEET)
    lists = book.add_worksheet("Lists")
    notes = book.add_worksheet("Notes")
    for col, (name, is_required, _, _) in enumerate(COLUMNS):
        sheet.set_column(col, col, max(14, len(name) + 4), text)
        sheet.write_string(0, col, name, required if is_required else header)
    sheet.freeze_panes(1, 0)
    choices = {
        "tele_state": _state_codes(served_only=True),
        "state": _state_codes(served_only=False),
        "gender": list(GENDER_CHOICES),
    }
    names = [c[0] for c in COLUMNS]
    for list_col, (field, values) in enumerate(choices.items()):
        lists.write_string(0, list_col, field)
        for row, value in enumerate(values, start=1):
            lists.write_string(row, list_col, value)
        letter = xl_col_to_name(list_col)
        col = names.index(field)
        sheet.data_validation(
            1,
            col,
            _LAST_ROW,
            col,
            {
                "validate": "list",
                "source": f"=Lists!${letter}$2:${letter}${len(values) + 1}",
                "error_title": field,
                "error_message": f"Pick a value from the list for {field}.",
            },
        )
    lists.hide()
    bold = book.add_format({"bold": True})
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    for col, title in enumerate(("Column", "Required", "What to type", "Example")):
        notes.write_string(0, col, title, bold)
    notes.set_column(0, 0, 18)
    notes.set_column(1, 1, 10)
    notes.set_column(2, 2, 70, wrap)
    notes.set_column(3, 3, 34)
    for row, (name, is_required, explain, example) in enumerate(COLUMNS, start=1):
        notes.write_string(row, 0, name)
        notes.write_string(row, 1, "yes" if is_required else "no")
        notes.write_string(row, 2, explain, wrap)
        notes.write_string(row, 3, example)
    tail = len(COLUMNS) + 2
    notes.write_string(
        tail,
        0,
        "Every column is formatted as Text: type values as shown; one patient per row.",
    )
    notes.write_string(
        tail + 1,
        0,
        "Test mode: set tele_state (and state) to TE to send invites that reach no provider.",
    )
    sheet.activate()
    book.close()
    return buffer.getvalue()


def write_template(path: Path) -> Path:
    """Write the template workbook to ``path`` (atomically, mode 0600) and return ``path``."""
    data = write_template_bytes()
    with atomic_output(Path(path)) as handle:
        handle.write(data)
    return Path(path)
