"""check_rows: per-row validation, defaults, duplicates, catalog rules, date order, streaming."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

import pytest

from bulk_invite.columns import resolve_columns
from bulk_invite.errors import MissingColumnsError, UsageError
from bulk_invite.models import CheckedRow, SourceRow, Status, Table
from bulk_invite.settings import Settings
from bulk_invite.validate import RowChecker, check_rows

TODAY = date(2026, 1, 15)
HEADERS = ("First Name", "Last Name", "Email", "DOB", "Phone", "State", "Exam IDs", "Patient ID")
JANE = ("Jane", "Doe", "jane@example.com", "1990-06-30", "(555) 222-3344", "ny", "12", "P1")


def table(rows: Sequence[Sequence[str]], headers: Sequence[str] = HEADERS) -> Table:
    return Table(
        headers=tuple(headers),
        rows=[SourceRow(n, tuple(cells)) for n, cells in enumerate(rows, start=2)],
        source_name="t.csv",
        format="csv",
    )


def check(
    rows: Sequence[Sequence[str]],
    headers: Sequence[str] = HEADERS,
    settings: Settings | None = None,
    **kwargs: Any,
) -> list[CheckedRow]:
    return list(check_rows(table(rows, headers), settings or Settings(), today=TODAY, **kwargs))


def codes(row: CheckedRow) -> list[str]:
    return [i.code for i in row.issues]


def test_valid_row_becomes_typed_payload_with_source_in_additional_data() -> None:
    (row,) = check([JANE])
    assert row.status is Status.VALID
    assert row.invite is not None and row.invite.row == 2
    assert dict(row.invite.payload) == {
        "exams": [12],
        "first_name": "Jane",
        "last_name": "Doe",
        "email": "jane@example.com",
        "dob": "1990-06-30",
        "phone_number": "+15552223344",
        "tele_state": "NY",
        "additional_data": '{"source_file":"t.csv","source_row":2}',
        "state": "NY",
    }
    assert codes(row) == ["tele_state_from_state"]


def test_issue_messages_name_the_users_column_and_show_the_value() -> None:
    (row,) = check([(*JANE[:4], "555-1234", *JANE[5:])])
    assert row.status is Status.INVALID and row.invite is None
    (issue,) = row.errors
    assert (issue.row, issue.field, issue.code) == (2, "phone_number", "phone_too_short")
    assert issue.message.startswith('Phone: "555-1234" has only 7 digits')


def test_empty_required_cell_is_an_error_naming_the_column() -> None:
    (row,) = check([("Jane", "Doe", "", *JANE[3:])])
    assert codes(row) == ["tele_state_from_state", "required_missing"]
    assert row.errors[0].message.startswith("Email is empty")


def test_bad_rows_are_data_never_exceptions() -> None:
    rows: list[tuple[str, ...]] = [("=1+1", "\x00", "@", "99/99/99", "5.5E+09", "Alabama", "x")]
    rows += [("",) * 3, ("only one cell",), (*JANE, "extra", "cells")]
    result = check(rows)
    assert [r.status for r in result] == [Status.INVALID, Status.INVALID, Status.INVALID,
                                          Status.VALID]  # fmt: skip


def test_tele_state_column_wins_and_unserved_state_is_an_error() -> None:
    headers = (*HEADERS, "Tele State")
    (good, bad) = check([(*JANE, "CA"), (*JANE[:6], "15", "P2", "AL")], headers)
    assert good.invite is not None and good.invite.tele_state == "CA"
    assert codes(good) == []
    assert codes(bad) == ["tele_state_not_served"]


def test_tele_state_default_from_settings_fills_empty_cells() -> None:
    settings = Settings(defaults={"tele_state": "TE"})
    headers = ("First Name", "Last Name", "Email", "DOB", "Phone", "Exams")
    (row,) = check([("Test", "Approve", "t@example.com", "1990-06-30", "5552223344", "12")],
                   headers, settings)  # fmt: skip
    assert row.invite is not None and row.invite.tele_state == "TE"


def test_unserved_address_state_cannot_become_tele_state() -> None:
    (row,) = check([(*JANE[:5], "Mississippi", *JANE[6:])])
    assert codes(row) == ["tele_state_not_served"]
    assert "State (used as telehealth state)" in row.errors[0].message


def test_exams_default_from_settings_when_column_missing_or_empty() -> None:
    headers = HEADERS[:6]
    (row,) = check([JANE[:6]], headers, Settings(exams=(12, 15)))
    assert row.invite is not None and row.invite.exams == (12, 15)
    (row,) = check([(*JANE[:6], "", "P1")], settings=Settings(exams=(7,)))
    assert row.invite is not None and row.invite.exams == (7,)


def test_settings_defaults_fill_empty_optional_fields() -> None:
    settings = Settings(defaults={"webhook_url": "https://example.org/hook"})
    (row,) = check([JANE], settings=settings)
    assert row.invite is not None
    assert row.invite.payload["webhook_url"] == "https://example.org/hook"


@pytest.mark.parametrize(
    "defaults",
    [{"webhook_url": "http://example.org/hook"}, {"nonsense": "1"}, {"dob": "1990-01-01"}],
)
def test_bad_settings_defaults_stop_the_run_up_front(defaults: dict[str, str]) -> None:
    with pytest.raises(UsageError):
        check_rows(table([JANE]), Settings(defaults=defaults))


def test_missing_required_column_raises_before_any_row_is_read() -> None:
    def rows() -> Iterator[SourceRow]:
        raise AssertionError("rows must not be read")
        yield  # pragma: no cover

    bad = Table(headers=("First Name",), rows=rows(), source_name="t.csv", format="csv")
    with pytest.raises(MissingColumnsError):
        check_rows(bad, Settings())


def test_duplicate_patient_and_exams_points_to_first_row() -> None:
    other = ("JANE", "doe", "Jane@Example.com", "6/30/1990", "555.222.3344", "NY", "12", "P9")
    rows = check([JANE, ("Bob", *JANE[1:]), other, (*JANE[:6], "12,15", "P3")])
    assert [r.status for r in rows] == [Status.VALID, Status.VALID, Status.DUPLICATE,
                                        Status.VALID]  # fmt: skip
    dup = rows[2]
    assert dup.duplicate_of == 2 and dup.invite is None
    assert dup.errors[-1].message == "Same patient and exams as row 2; this row is not sent."


def test_exam_order_does_not_hide_a_duplicate() -> None:
    rows = check([(*JANE[:6], "12,15", ""), (*JANE[:6], "15; 12", "")])
    assert rows[1].status is Status.DUPLICATE


def test_catalog_rejects_unknown_exams_and_two_rx_exams() -> None:
    catalog = {12: 1, 15: 2, 16: 2}
    rows = check([(*JANE[:6], "12,15", ""), (*JANE[:6], "99", ""), (*JANE[:6], "15,16", "")],
                 catalog=catalog)  # fmt: skip
    assert rows[0].status is Status.VALID
    assert "exam_unknown" in codes(rows[1])
    assert "exam_multiple_rx" in codes(rows[2])
    assert "separate rows" in rows[2].errors[0].message


def test_additional_data_merges_row_json_with_source_row() -> None:
    headers = (*HEADERS, "Additional Data")
    rows = check([(*JANE, '{"order": "A1", "source_row": 99}'), (*JANE[:6], "15", "", "[1]"),
                  (*JANE[:6], "16", "", "{bad")], headers)  # fmt: skip
    assert rows[0].invite is not None
    assert json.loads(rows[0].invite.payload["additional_data"]) == {
        "order": "A1", "source_file": "t.csv", "source_row": 2,
    }  # fmt: skip
    assert rows[1].invite is not None
    assert json.loads(rows[1].invite.payload["additional_data"])["data"] == [1]
    assert "additional_data_wrapped" in codes(rows[1])
    assert "json_invalid" in codes(rows[2])


def test_full_name_column_is_split_when_first_and_last_are_absent() -> None:
    headers = ("Patient Name", "Email", "DOB", "Phone", "Tele State", "Exams")
    rows = check([("Doe, Jane", *JANE[2:5], "NY", "12"), ("Cher", *JANE[2:5], "NY", "12")],
                 headers)  # fmt: skip
    assert rows[0].invite is not None
    assert (rows[0].invite.payload["first_name"], rows[0].invite.payload["last_name"]) == (
        "Jane", "Doe",
    )  # fmt: skip
    assert codes(rows[1]) == ["name_cannot_split"]


def test_optional_fields_get_api_types() -> None:
    headers = (*HEADERS, "Gender", "pharmacy_id", "custom_pharmacy", "Zip", "webhook_url")
    (row,) = check([(*JANE[:5], "MA", *JANE[6:], "F", "16.0", "2", "2134", "https://example.org/h")],
                   headers)  # fmt: skip
    assert row.invite is not None
    payload = row.invite.payload
    assert (payload["gender"], payload["pharmacy_id"], payload["custom_pharmacy"]) == (2, 16, 2)
    assert payload["zip_code"] == "02134"
    assert "zip_leading_zero_restored" in codes(row)


def test_unknown_columns_are_not_sent() -> None:
    (row,) = check([JANE])
    assert row.invite is not None and "P1" not in json.dumps(dict(row.invite.payload))


def test_day_first_column_is_detected_from_an_unambiguous_value() -> None:
    rows = check([(*JANE[:3], "05/06/1990", *JANE[4:]), (*JANE[:3], "25/12/1990", *JANE[4:])])
    assert [r.invite.payload["dob"] for r in rows if r.invite] == ["1990-06-05", "1990-12-25"]
    assert all("dob_order_assumed" not in codes(r) for r in rows)


def test_ambiguous_column_follows_setting_and_says_so() -> None:
    rows = check([(*JANE[:3], "05/06/1990", *JANE[4:])], settings=Settings(date_order="dmy"))
    assert rows[0].invite is not None and rows[0].invite.payload["dob"] == "1990-06-05"
    assert "dob_order_assumed" in codes(rows[0])


def test_predecided_date_order_skips_detection() -> None:
    rows = check([(*JANE[:3], "25/12/1990", *JANE[4:])], date_order="mdy")
    assert sorted(codes(rows[0])) == ["dob_order_conflict", "tele_state_from_state"]


def test_mixed_column_reads_by_majority_and_flags_the_rest() -> None:
    dobs = ["12/25/1990", "11/30/1980", "25/12/1990", "05/06/1990"]
    rows = check([(*JANE[:3], d, *JANE[4:6], str(n), "") for n, d in enumerate(dobs, 1)])
    assert [r.status for r in rows] == [Status.VALID, Status.VALID, Status.INVALID, Status.VALID]
    assert "dob_order_conflict" in codes(rows[2])
    assert "dob_order_uncertain" in codes(rows[3])


def test_rows_stream_in_order_with_bounded_lookahead() -> None:
    pulled: list[int] = []

    def rows() -> Iterator[SourceRow]:
        for n in range(2, 40):
            pulled.append(n)
            yield SourceRow(n, (*JANE[:3], "05/06/1990", *JANE[4:6], str(n), ""))

    checker = RowChecker(resolve_columns(HEADERS), Settings(), today=TODAY, lookahead=10)
    stream = checker.check(rows())
    first = next(stream)
    assert first.source.number == 2
    assert len(pulled) == 10
    rest = list(stream)
    assert [r.source.number for r in [first, *rest]] == list(range(2, 40))
    assert checker.date_order is not None and checker.date_order.assumed


def test_order_is_settled_early_by_agreeing_evidence() -> None:
    pulled: list[int] = []

    def rows() -> Iterator[SourceRow]:
        for n in range(2, 100):
            pulled.append(n)
            yield SourceRow(n, (*JANE[:3], f"{n % 12 + 1}/25/1990", *JANE[4:6], str(n), ""))

    assert list(check_rows(table([]), Settings(), today=TODAY)) == []
    stream = check_rows(Table(HEADERS, rows(), "t.csv", "csv"), Settings(), today=TODAY)
    next(stream)
    assert len(pulled) == 5


def _dob_rows(dobs: Sequence[str], start: int = 1) -> list[tuple[str, ...]]:
    return [(*JANE[:3], d, *JANE[4:6], str(n), "") for n, d in enumerate(dobs, start)]


def test_date_contradicting_the_decided_order_after_the_window_flags_later_ambiguous_dates() -> (
    None
):
    # Five month-first dates decide the order early; a day-first date comes after the decision.
    dobs = [f"{m}/25/1990" for m in range(1, 6)] + ["05/06/1990", "25/12/1990", "07/08/1991"]

    def rows() -> Iterator[SourceRow]:
        for n, cells in enumerate(_dob_rows(dobs), start=2):
            yield SourceRow(n, cells)

    checker = RowChecker(resolve_columns(HEADERS), Settings(), today=TODAY, lookahead=100)
    checked = list(checker.check(rows()))
    assert "dob_order_uncertain" not in codes(checked[5])  # read before the contradiction
    assert "dob_order_conflict" in codes(checked[6])
    assert checked[7].status is Status.VALID and "dob_order_uncertain" in codes(checked[7])
    decision = checker.date_order
    assert decision is not None
    assert (decision.order, decision.month_first, decision.day_first) == ("mdy", 5, 1)
    assert decision.conflicting and decision.late_conflict_row == 8
    assert (decision.assumed, decision.from_header) == (False, False)


def test_assumed_order_contradicted_later_flags_ambiguous_dates_as_uncertain() -> None:
    def rows() -> Iterator[SourceRow]:
        for n, cells in enumerate(_dob_rows(["05/06/1990", "25/12/1990", "07/08/1991"]), 2):
            yield SourceRow(n, cells)

    checker = RowChecker(resolve_columns(HEADERS), Settings(), today=TODAY, lookahead=1)
    checked = list(checker.check(rows()))
    assert "dob_order_assumed" in codes(checked[0])
    assert "dob_order_conflict" in codes(checked[1])
    assert "dob_order_uncertain" in codes(checked[2])
    assert checker.date_order is not None and checker.date_order.conflicting
    assert checker.date_order.late_conflict_row == 3


@pytest.mark.parametrize(
    ("header", "dob"),
    [("DOB (DD/MM/YYYY)", "1990-06-05"), ("Date of Birth (dd/mm/yy)", "1990-06-05"),
     ("DOB (MM/DD/YYYY)", "1990-05-06")],
)  # fmt: skip
def test_header_hint_decides_the_order_of_an_ambiguous_column(header: str, dob: str) -> None:
    headers = (*HEADERS[:3], header, *HEADERS[4:])
    (row,) = check(_dob_rows(["05/06/1990"]), headers)
    assert row.invite is not None and row.invite.payload["dob"] == dob
    assert "dob_order_assumed" not in codes(row) and "dob_order_uncertain" not in codes(row)


def test_data_contradicting_the_header_hint_is_a_conflict_not_a_silent_swap() -> None:
    headers = (*HEADERS[:3], "DOB (MM/DD/YYYY)", *HEADERS[4:])
    rows_ = _dob_rows(["25/12/1990", "05/06/1990"])
    checker = RowChecker(resolve_columns(headers), Settings(), today=TODAY)
    first, second = checker.check([SourceRow(n, c) for n, c in enumerate(rows_, 2)])
    assert "dob_order_conflict" in codes(first)
    assert second.invite is not None and second.invite.payload["dob"] == "1990-05-06"
    assert "dob_order_uncertain" in codes(second)
    assert checker.date_order is not None and checker.date_order.from_header
    assert checker.date_order.order == "mdy" and checker.date_order.conflicting


def test_year_first_header_hint_leaves_day_month_dates_to_detection() -> None:
    headers = (*HEADERS[:3], "DOB (YYYY-MM-DD)", *HEADERS[4:])
    (row,) = check(_dob_rows(["05/06/1990"]), headers)
    assert "dob_order_assumed" in codes(row)


@pytest.mark.parametrize("header", ["Last First", "Patient Name (Last First)", "Name Last First"])
def test_last_first_name_header_splits_surname_first(header: str) -> None:
    headers = (header, "Email", "DOB", "Phone", "Tele State", "Exams")
    (row,) = check([("SMITH JOHN", *JANE[2:5], "NY", "12")], headers)
    assert row.invite is not None
    assert (row.invite.payload["first_name"], row.invite.payload["last_name"]) == (
        "JOHN", "SMITH",
    )  # fmt: skip


def test_first_last_name_header_still_splits_given_name_first() -> None:
    headers = ("First Last", "Email", "DOB", "Phone", "Tele State", "Exams")
    (row,) = check([("John Smith", *JANE[2:5], "NY", "12")], headers)
    assert row.invite is not None and row.invite.payload["first_name"] == "John"


def test_every_test_mode_row_is_warned_whatever_gave_it_te() -> None:
    headers = (*HEADERS[:5], "Tele State", *HEADERS[6:])
    typed, from_state = (
        check([(*JANE[:5], "te", *JANE[6:])], headers)[0],
        check([(*JANE[:5], "TE", *JANE[6:])])[0],
    )
    (default,) = check([JANE[:5] + JANE[6:]], (*HEADERS[:5], *HEADERS[6:]),
                       Settings(defaults={"tele_state": "TE"}))  # fmt: skip
    for row in (typed, from_state, default):
        assert row.invite is not None and row.invite.payload["tele_state"] == "TE"
        assert "tele_state_test_mode" in codes(row)


@pytest.mark.parametrize(
    ("state", "raw", "zip_code"),
    [("NJ", "7701", "07701"), ("MA", "2134", "02134"), ("New Hampshire", "3301", "03301"),
     ("NY", "501", "00501"), ("PR", "601", "00601"), ("VI", "802", "00802"),
     ("MA", "21341234", "02134-1234"), ("CT", "6103.0", "06103")],
)  # fmt: skip
def test_zip_leading_zero_is_restored_when_the_state_fits(
    state: str, raw: str, zip_code: str
) -> None:
    headers = (*HEADERS, "Zip", "Tele State")
    (row,) = check([(*JANE[:5], state, *JANE[6:], raw, "NY")], headers)
    assert row.invite is not None and row.invite.payload["zip_code"] == zip_code
    assert "zip_leading_zero_restored" in codes(row)


@pytest.mark.parametrize(
    ("state", "raw"),
    [("TX", "7701"), ("MA", "7701"), ("CA", "501"), ("MA", "134"), ("NY", "601"),
     ("TX", "1234567"), ("PR", "2134")],
)  # fmt: skip
def test_short_zip_that_does_not_fit_the_state_is_an_error_not_a_repair(
    state: str, raw: str
) -> None:
    headers = (*HEADERS, "Zip")
    (row,) = check([(*JANE[:5], state, *JANE[6:], raw)], headers)
    assert row.status is Status.INVALID
    assert "zip_leading_zero_mismatch" in codes(row)
    (issue,) = [i for i in row.issues if i.code == "zip_leading_zero_mismatch"]
    assert "digits" in issue.message and "Type the full 5-digit ZIP" in issue.message


def test_zip_checks_tele_state_when_there_is_no_address_state() -> None:
    headers = (*HEADERS[:5], "Tele State", *HEADERS[6:], "Zip")
    texas, jersey = check([(*JANE[:5], "TX", *JANE[6:], "7701"),
                           (*JANE[:5], "NJ", *JANE[6:], "7701")], headers)  # fmt: skip
    assert "zip_leading_zero_mismatch" in codes(texas)
    assert jersey.invite is not None and jersey.invite.payload["zip_code"] == "07701"


def test_shipping_zip_checks_the_shipping_state() -> None:
    headers = (*HEADERS, "Ship State", "Shipping Zip")
    ok, bad = check([(*JANE, "NJ", "7701"), (*JANE, "TX", "7701")], headers)
    assert ok.invite is not None and ok.invite.payload["shipping_zip_code"] == "07701"
    assert "zip_leading_zero_mismatch" in codes(bad)


def test_short_zip_with_no_state_at_all_is_repaired_with_a_warning() -> None:
    headers = ("First Name", "Last Name", "Email", "DOB", "Phone", "Exam IDs", "Zip")
    (row,) = check([(*JANE[:5], "12", "7701")], headers, Settings(defaults={"tele_state": "TE"}))
    assert row.invite is not None and row.invite.payload["zip_code"] == "07701"
    assert "zip_leading_zero_restored" in codes(row)
