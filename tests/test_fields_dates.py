"""Date of birth normalization and per-column day/month order detection."""

from __future__ import annotations

from datetime import date

import pytest

from bulk_invite.fields import (
    DateOrderDetector,
    date_order_evidence,
    detect_date_order,
    normalize_dob,
)
from bulk_invite.models import Severity

TODAY = date(2026, 1, 15)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1990-06-30", "1990-06-30"),
        ("1990-6-30", "1990-06-30"),
        ("6/30/1990", "1990-06-30"),
        ("06/30/1990", "1990-06-30"),
        ("June 30, 1990", "1990-06-30"),
        ("Jun 30 1990", "1990-06-30"),
        ("30-Jun-1990", "1990-06-30"),
        ("30 June 1990", "1990-06-30"),
        ("Saturday, June 30th, 1990", "1990-06-30"),
        ("1990/06/30", "1990-06-30"),
        ("1990.06.30", "1990-06-30"),
        ("19900630", "1990-06-30"),
        ("1990-06-30 00:00:00", "1990-06-30"),
        ("1990-06-30T00:00:00", "1990-06-30"),
        ("Sept 3, 1975", "1975-09-03"),
        ("2026-01-15", "2026-01-15"),
    ],
)
def test_dob_accepts_common_formats(raw: str, expected: str) -> None:
    assert normalize_dob(raw, "mdy", TODAY) == (expected, ())


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("6-30-90", "1990-06-30"),
        ("6/30/90", "1990-06-30"),
        ("30-Jun-90", "1990-06-30"),
        ("1/14/26", "2026-01-14"),
        ("1/16/26", "1926-01-16"),
        ("12/31/25", "2025-12-31"),
        ("3/4/05", "2005-03-04"),
    ],
)
def test_dob_two_digit_year_takes_latest_past_century_with_warning(raw: str, expected: str) -> None:
    value, problems = normalize_dob(raw, "mdy", TODAY)
    assert value == expected
    assert [p.code for p in problems] == ["dob_two_digit_year"]
    assert expected in problems[0].message


def test_dob_day_first_order_reads_day_before_month() -> None:
    assert normalize_dob("05/06/1990", "dmy", TODAY) == ("1990-06-05", ())
    assert normalize_dob("05/06/1990", "mdy", TODAY) == ("1990-05-06", ())


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("2026-01-16", "dob_future"),
        ("2090-01-01", "dob_future"),
        ("1900-01-01", "dob_too_old"),
        ("2/30/1990", "dob_invalid_date"),
        ("1990-13-01", "dob_invalid_date"),
        ("25/12/1990", "dob_order_conflict"),
        ("1990", "dob_year_only"),
        ("next tuesday", "dob_unrecognized"),
        ("5552223344", "dob_unrecognized"),
        ("1/2/3", "dob_unrecognized"),
        ("123", "dob_unrecognized"),
        ("99999", "dob_unrecognized"),
        ("June 1990", "dob_unrecognized"),
    ],
)
def test_dob_rejects_with_code(raw: str, code: str) -> None:
    value, problems = normalize_dob(raw, "mdy", TODAY)
    assert value is None
    assert [p.code for p in problems] == [code]


def test_dob_rejects_serial_numbers_outside_a_plausible_range() -> None:
    assert normalize_dob("60000", "mdy", TODAY)[0] is None  # year 2064
    assert normalize_dob("1000", "mdy", TODAY)[0] is None  # 1902: over 120 years


def test_dob_warns_when_a_time_of_day_is_dropped() -> None:
    value, problems = normalize_dob("1990-06-30 13:45:00", "mdy", TODAY)
    assert value == "1990-06-30"
    assert [p.code for p in problems] == ["dob_time_ignored"]


def test_dob_today_is_injectable() -> None:
    assert normalize_dob("2030-01-01", "mdy", date(2031, 1, 1)) == ("2030-01-01", ())
    assert normalize_dob("2030-01-01", "mdy", date(2029, 1, 1))[1][0].code == "dob_future"


@pytest.mark.parametrize(
    ("raw", "evidence"),
    [
        ("25/12/1990", "dmy"),
        ("12/25/1990", "mdy"),
        ("06/05/1990", None),
        ("06/06/1990", None),
        ("1990-12-25", None),
        ("June 30, 1990", None),
        ("13/13/1990", None),
    ],
)
def test_date_order_evidence_comes_only_from_unambiguous_values(
    raw: str, evidence: str | None
) -> None:
    assert date_order_evidence(raw) == evidence


def test_detect_date_order_finds_day_first_column() -> None:
    decision = detect_date_order(["01/02/1990", "25/12/1990", "03/04/1980"])
    assert (decision.order, decision.assumed, decision.conflicting) == ("dmy", False, False)


def test_detect_date_order_falls_back_to_setting_for_ambiguous_column() -> None:
    decision = detect_date_order(["01/02/1990", "03/04/1980"], default="dmy")
    assert (decision.order, decision.assumed) == ("dmy", True)
    assert detect_date_order([]).order == "mdy"


def test_date_order_detector_streams_and_reports_conflicts() -> None:
    detector = DateOrderDetector()
    for value in ["12/25/1990", "11/30/1980", "25/12/1990"]:
        detector.feed(value)
    decision = detector.decision()
    assert (decision.order, decision.month_first, decision.day_first) == ("mdy", 2, 1)
    assert decision.conflicting


@pytest.mark.parametrize(("raw", "expected"), [("32689", "1989-06-30"), ("33000", "1990-05-07"),
                                               ("32689.0", "1989-06-30")])  # fmt: skip
def test_bare_number_dob_is_read_as_excel_serial_with_a_warning_showing_the_date(
    raw: str, expected: str
) -> None:
    value, problems = normalize_dob(raw, "mdy", TODAY)
    assert value == expected
    assert [(p.code, p.severity) for p in problems] == [("dob_excel_serial", Severity.WARNING)]
    assert expected in problems[0].message
