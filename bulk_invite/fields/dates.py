"""Dates of birth: every common spreadsheet spelling → ``YYYY-MM-DD``, day/month order per column.

Numeric dates such as ``06/05/1990`` are ambiguous; the order is a property of the column (one
export tool wrote them all), so it is decided from the column's unambiguous values with
:class:`DateOrderDetector` and passed to :func:`normalize_dob`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from ..settings import DateOrder
from .base import FieldResult, Problem, fail, problem, show, tidy

_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_ISO_DATETIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?Z?")
_NUMERIC = re.compile(r"(\d{1,4})\s*([/.\-])\s*(\d{1,2})\s*\2\s*(\d{1,4})")
#: A time after a numeric date, as Excel writes date-time cells into CSV (``6/30/1990 0:00``).
_TRAILING_TIME = re.compile(
    r"(?P<date>.+?)\s+(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?\s*(?P<ampm>[AaPp]\.?[Mm]\.?)?"
)
_COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SERIAL = re.compile(r"(\d{4,5})(?:\.\d+)?")
_TOKENS = re.compile(r"[A-Za-z]+|\d+")
_EXCEL_EPOCH = date(1899, 12, 30)  # serial 1 is 1900-01-01 once Excel's fake 1900-02-29 is skipped
_MAX_AGE_YEARS = 120
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_FILLER = frozenset(
    {
        "st",
        "nd",
        "rd",
        "th",
        "of",
        "mon",
        "tue",
        "tues",
        "wed",
        "thu",
        "thur",
        "thurs",
        "fri",
        "sat",
        "sun",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "saturday",
        "sunday",
    }
)
_HOW = "Write it as YYYY-MM-DD, e.g. 1990-06-30."


@dataclass(frozen=True, slots=True)
class DateOrderDecision:
    """The day/month order chosen for a column and the evidence behind it.

    ``month_first``/``day_first`` count the column's unambiguous dates seen so far (a checker
    keeps counting after it decides); ``assumed`` means no evidence settled the order, so it came
    from the setting (or a year-first header hint); ``from_header`` means the column header said
    the order (``DOB (DD/MM/YYYY)``); ``late_conflict_row`` is the first row whose date
    contradicted the order after it had been decided (ambiguous dates above that row were read
    without a warning; from it on they are flagged ``dob_order_uncertain``).
    """

    order: DateOrder
    month_first: int
    day_first: int
    assumed: bool
    from_header: bool = False
    late_conflict_row: int | None = None

    @property
    def against(self) -> int:
        """How many unambiguous dates only fit the other order than ``order``."""
        if self.order == "dmy":
            return self.month_first
        if self.order == "mdy":
            return self.day_first
        return self.month_first + self.day_first

    @property
    def conflicting(self) -> bool:
        """True when the column holds unambiguous dates that contradict its order (mixed)."""
        return self.against > 0


class DateOrderDetector:
    """Collects day/month evidence from a column's values, one at a time (streaming)."""

    __slots__ = ("day_first", "month_first")

    def __init__(self) -> None:
        self.month_first = 0
        self.day_first = 0

    def feed(self, raw: str) -> DateOrder | None:
        """Record one value; returns the order it proves (``mdy``/``dmy``) or None."""
        evidence = date_order_evidence(raw)
        if evidence == "mdy":
            self.month_first += 1
        elif evidence == "dmy":
            self.day_first += 1
        return evidence

    @property
    def known(self) -> bool:
        """True once at least one value has proved an order."""
        return self.month_first > 0 or self.day_first > 0

    def decision(self, default: DateOrder = "mdy") -> DateOrderDecision:
        """The order by majority of proving values, or ``default`` (assumed) when none did."""
        if not self.known:
            return DateOrderDecision(default, 0, 0, assumed=True)
        order: DateOrder = "dmy" if self.day_first > self.month_first else "mdy"
        return DateOrderDecision(order, self.month_first, self.day_first, assumed=False)


def detect_date_order(values: Iterable[str], default: DateOrder = "mdy") -> DateOrderDecision:
    """Decide a column's day/month order from all (or a sample of) its raw values."""
    detector = DateOrderDetector()
    for value in values:
        detector.feed(value)
    return detector.decision(default)


@lru_cache(maxsize=16384)
def date_order_evidence(raw: str) -> DateOrder | None:
    """``dmy`` for values like 25/12/1990, ``mdy`` for 12/25/1990, else None."""
    match = _NUMERIC.fullmatch(_date_part(raw.strip())[0])
    if not match or len(match.group(1)) > 2:
        return None
    first, second = int(match.group(1)), int(match.group(3))
    if first > 12 and 1 <= second <= 12 and first <= 31:
        return "dmy"
    if second > 12 and 1 <= first <= 12 and second <= 31:
        return "mdy"
    return None


def is_order_ambiguous(raw: str) -> bool:
    """True for numeric dates whose meaning depends on the order (06/05/1990, not 06/06/1990)."""
    match = _NUMERIC.fullmatch(_date_part(raw.strip())[0])
    if not match or len(match.group(1)) > 2:
        return False
    first, second = int(match.group(1)), int(match.group(3))
    return first != second and 1 <= first <= 12 and 1 <= second <= 12


def normalize_dob(
    raw: str, order: DateOrder = "mdy", today: date | None = None
) -> FieldResult[str]:
    """A date of birth as ``YYYY-MM-DD``; ``order`` settles numeric dates; blank gives None."""
    return _normalize_dob(tidy(raw), order, today or date.today())


# About a century of birth dates, in one or two notations.
@lru_cache(maxsize=32768)
def _normalize_dob(text: str, order: DateOrder, today: date) -> FieldResult[str]:
    if not text:
        return None, ()
    warnings: list[Problem] = []
    parsed = _parse(text, order, today, warnings)
    if isinstance(parsed, Problem):
        return None, (parsed,)
    if parsed > today:
        return fail(
            "dob_future",
            f"{show(text)} is in the future; a date of birth must be in the past. {_HOW}",
        )
    if parsed < _years_before(today, _MAX_AGE_YEARS):
        return fail(
            "dob_too_old",
            f"{show(text)} is more than {_MAX_AGE_YEARS} years ago; check the year. {_HOW}",
        )
    return parsed.isoformat(), tuple(warnings)


def _parse(text: str, order: DateOrder, today: date, warnings: list[Problem]) -> date | Problem:
    """The date ``text`` denotes, or the problem that stops it from being read."""
    iso = _ISO.fullmatch(text)
    if iso:
        return _make(text, int(iso[1]), int(iso[2]), int(iso[3]))
    stamp = _ISO_DATETIME.fullmatch(text)
    if stamp:
        if any(part and int(part) for part in stamp.groups()[3:]):
            warnings.append(
                problem(
                    "dob_time_ignored",
                    f"{show(text)} has a time of day; only the date {stamp[1]}-{stamp[2]}-"
                    f"{stamp[3]} is used. Check it, as a time zone shift can move a date.",
                )
            )
        return _make(text, int(stamp[1]), int(stamp[2]), int(stamp[3]))
    numeric = _NUMERIC.fullmatch(text)
    if numeric:
        return _parse_numeric(text, numeric, order, today, warnings)
    day_part, has_time = _date_part(text)
    numeric = _NUMERIC.fullmatch(day_part) if day_part != text else None
    if numeric:
        parsed = _parse_numeric(text, numeric, order, today, warnings)
        if has_time and isinstance(parsed, date):
            warnings.append(
                problem(
                    "dob_time_ignored",
                    f"{show(text)} has a time of day; only the date {parsed.isoformat()} is "
                    "used. Check it, as a time zone shift can move a date.",
                )
            )
        return parsed
    if text.isdigit() or _SERIAL.fullmatch(text):
        return _parse_number(text, today, warnings)
    return _parse_words(text, today, warnings)


def _date_part(text: str) -> tuple[str, bool]:
    """A numeric date without a trailing time, and whether that time was not midnight."""
    match = _TRAILING_TIME.fullmatch(text)
    if match is None or not _NUMERIC.fullmatch(match["date"]):
        return text, False
    hour, minute, second = int(match["h"]), int(match["m"]), int(match["s"] or 0)
    if match["ampm"] and hour == 12 and match["ampm"][0] in "Aa":
        hour = 0
    return match["date"], bool(hour or minute or second)


def _parse_numeric(
    text: str, match: re.Match[str], order: DateOrder, today: date, warnings: list[Problem]
) -> date | Problem:
    a, b, c = match.group(1), match.group(3), match.group(4)
    if len(a) == 4:
        if len(c) > 2:
            return _unrecognized(text)
        return _make(text, int(a), int(b), int(c))
    if len(a) == 3 or len(c) not in (2, 4):
        return _unrecognized(text)
    if order == "ymd" and len(c) == 2:
        return _with_year(text, a, int(b), int(c), today, warnings)
    first, second = int(a), int(b)
    month, day = (second, first) if order == "dmy" else (first, second)
    result = _with_year(text, c, month, day, today, warnings)
    if (
        isinstance(result, Problem)
        and result.code == "dob_invalid_date"
        and _valid(2000, day, month)
    ):
        used = "day/month/year" if order == "dmy" else "month/day/year"
        return problem(
            "dob_order_conflict",
            f"{show(text)} cannot be read as {used}, the order of the other dates in this "
            "column, but fits the other order; use one order in the whole column, or write "
            "it as YYYY-MM-DD, e.g. 1990-06-30.",
        )
    return result


def _with_year(
    text: str, year: str, month: int, day: int, today: date, warnings: list[Problem]
) -> date | Problem:
    if len(year) == 2:
        return _two_digit_year(text, int(year), month, day, today, warnings)
    return _make(text, int(year), month, day)


def _parse_number(text: str, today: date, warnings: list[Problem]) -> date | Problem:
    compact = _COMPACT.fullmatch(text)
    if compact and 1800 <= int(compact[1]) <= today.year:
        return _make(text, int(compact[1]), int(compact[2]), int(compact[3]))
    serial = _SERIAL.fullmatch(text)
    if serial is None:
        return _unrecognized(text)
    whole = int(serial.group(1))
    if len(serial.group(1)) == 4 and 1800 <= whole <= today.year + 1:
        return problem(
            "dob_year_only",
            f"{show(text)} is only a year; give the full date of birth. {_HOW}",
        )
    born = _EXCEL_EPOCH + timedelta(days=whole)
    if not _years_before(today, _MAX_AGE_YEARS) <= born <= today:
        return _unrecognized(text)
    # Date cells of a workbook arrive as ISO text; a bare number is a date that lost its format
    # (a CSV export, a cell formatted as General), or not a date at all: say what it became.
    warnings.append(
        problem(
            "dob_excel_serial",
            f"{show(text)} is a bare number, read as an Excel date serial: {born.isoformat()}. "
            f"Check it; write dates as YYYY-MM-DD (or format the column as Date in Excel).",
        )
    )
    return born


def _parse_words(text: str, today: date, warnings: list[Problem]) -> date | Problem:
    tokens = [t for t in _TOKENS.findall(text.lower()) if t not in _FILLER]
    months = [_MONTHS[t] for t in tokens if t in _MONTHS]
    numbers = [t for t in tokens if t.isdigit()]
    if len(months) != 1 or len(numbers) != 2 or len(tokens) != 3:
        return _unrecognized(text)
    month = months[0]
    if len(numbers[0]) >= 3:
        year_text, day_text = numbers
    else:
        day_text, year_text = numbers
    if len(year_text) <= 2:
        return _two_digit_year(text, int(year_text), month, int(day_text), today, warnings)
    if len(year_text) != 4:
        return _unrecognized(text)
    return _make(text, int(year_text), month, int(day_text))


def _two_digit_year(
    text: str, yy: int, month: int, day: int, today: date, warnings: list[Problem]
) -> date | Problem:
    """Resolve a two-digit year to the latest century that keeps the date in the past."""
    recent = _make(text, 2000 + yy, month, day)
    if isinstance(recent, date) and recent <= today:
        chosen: date | Problem = recent
    else:
        chosen = _make(text, 1900 + yy, month, day)
    if isinstance(chosen, date):
        warnings.append(
            problem(
                "dob_two_digit_year",
                f"{show(text)} has a two-digit year; read as {chosen.isoformat()}. If that is "
                "wrong, write the full year (YYYY-MM-DD).",
            )
        )
    return chosen


def _make(text: str, year: int, month: int, day: int) -> date | Problem:
    try:
        return date(year, month, day)
    except ValueError:
        return problem(
            "dob_invalid_date",
            f"{show(text)} is not a real calendar date (check the day and month). {_HOW}",
        )


def _valid(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def _unrecognized(text: str) -> Problem:
    return problem("dob_unrecognized", f"{show(text)} is not a date that can be read. {_HOW}")


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)
