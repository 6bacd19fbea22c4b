"""Rows → checked rows: every field normalized, defaults applied, cross-row duplicates found.

Streaming and the day/month order of dates: ``table.rows`` can be read only once, yet a numeric
date such as ``06/05/1990`` can only be read once its column's order is known. Unless the caller
passes ``date_order`` (e.g. from its own pre-scan with :class:`DateOrderDetector`), the checker
holds back the first rows (at most ``lookahead``, so memory stays bounded) while it collects
evidence from unambiguous dates (``25/12/1990`` is day-first): it decides as soon as
``_DECISIVE`` values agree and none disagree, otherwise by majority at the end of the window (or
of the file). With no evidence at all the ``date_order`` setting is used, and every ambiguous date
gets a ``dob_order_assumed`` warning. A header that spells the order out (``DOB (DD/MM/YYYY)``,
see :func:`~bulk_invite.columns.date_order_hint`) decides it instead of the evidence, which is
still collected. After the decision rows stream one by one; a later date that only fits the other
order is an error (``dob_order_conflict``), never silently swapped, and the checker keeps
counting evidence: once the column proves mixed (``DateOrderDecision.conflicting``, first seen at
``late_conflict_row``), every later ambiguous date gets a ``dob_order_uncertain`` warning.

Duplicate detection keeps a 16-byte digest per valid row, the only state that grows with the file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from typing import Any

from .columns import (
    API_FIELDS,
    FULL_NAME,
    KNOWN_FIELDS,
    LEGACY_FIELDS,
    REQUIRED_FIELDS,
    date_order_hint,
    name_is_last_first,
    resolve_columns,
)
from .errors import UsageError
from .fields import (
    DateOrderDecision,
    DateOrderDetector,
    Problem,
    date_order_evidence,
    is_order_ambiguous,
    normalize_dob,
    normalize_tele_state,
    problem,
    show,
    split_full_name,
)
from .fields.by_field import NORMALIZERS
from .fields.places import TEST_STATE, normalize_zip_in_state, test_mode_warning
from .models import (
    CheckedRow,
    ColumnMap,
    Invite,
    Issue,
    Severity,
    SourceRow,
    Status,
    Table,
    invite_identity,
)
from .settings import DateOrder, Settings

#: Rows held back at most while a date column's day/month order is unknown.
DEFAULT_LOOKAHEAD = 10_000
#: Agreeing unambiguous dates (and none against) that settle the order before the window ends.
_DECISIVE = 5
_PAYLOAD_ORDER = (*API_FIELDS, *LEGACY_FIELDS)
#: Each ZIP field and the state fields (first filled one wins) its lost leading zeros must fit.
_ZIP_STATES: dict[str, tuple[str, ...]] = {
    "zip_code": ("state", "tele_state"),
    "shipping_zip_code": ("shipping_state", "state", "tele_state"),
    "pharmacy_zip_code": ("pharmacy_state",),
}
_NOUNS = {
    "first_name": "a first name", "last_name": "a last name", "email": "an email address",
    "dob": "a date of birth", "phone_number": "a mobile phone number",
    "tele_state": "the patient's telehealth state (e.g. NY)", "exams": "exam IDs (e.g. 12, 15)",
}  # fmt: skip


def check_rows(
    table: Table,
    settings: Settings,
    catalog: Mapping[int, int] | None = None,
    *,
    today: date | None = None,
    date_order: DateOrder | None = None,
) -> Iterator[CheckedRow]:
    """One CheckedRow per table row, in order; raises MissingColumnsError before any row.

    ``catalog`` maps exam ID → ``rx_type`` (enables unknown-exam and one-Rx-exam checks);
    ``date_order`` fixes the dob column's order instead of detecting it (see module docstring).
    """
    checker = make_checker(table, settings, catalog, today=today, date_order=date_order)
    return checker.check(table.rows)


def make_checker(
    table: Table,
    settings: Settings,
    catalog: Mapping[int, int] | None = None,
    *,
    today: date | None = None,
    date_order: DateOrder | None = None,
) -> RowChecker:
    """The RowChecker for ``table``; raises MissingColumnsError or UsageError before any row."""
    defaults = {name for name, value in settings.defaults.items() if value.strip()}
    if settings.exams:
        defaults.add("exams")
    columns = resolve_columns(table.headers, settings.column_map, defaults=defaults)
    return RowChecker(
        columns,
        settings,
        catalog,
        source_name=table.source_name,
        today=today,
        date_order=date_order,
    )


class RowChecker:
    """Checks the rows of one table; keeps the per-column and cross-row state between rows."""

    def __init__(
        self,
        columns: ColumnMap,
        settings: Settings,
        catalog: Mapping[int, int] | None = None,
        *,
        source_name: str = "",
        today: date | None = None,
        date_order: DateOrder | None = None,
        lookahead: int = DEFAULT_LOOKAHEAD,
    ) -> None:
        self.columns = columns
        self.settings = settings
        self.catalog = catalog
        self.source_name = source_name
        self.today = today or date.today()
        self.lookahead = max(1, lookahead)
        self.defaults = _checked_defaults(settings)
        self._dob_index = columns.fields.get("dob")
        self._decision: DateOrderDecision | None = (
            DateOrderDecision(date_order, 0, 0, assumed=False) if date_order else None
        )
        self._seen: dict[bytes, int] = {}
        self._carry = _carried_columns(columns, settings.carry)
        # A row read back from a results workbook keeps the row number it first came from.
        self._origin = next(
            (i for i, h in enumerate(columns.headers) if h.strip().lower() == "source_row"), None
        )
        self._use_full_name = FULL_NAME in columns.fields and not (
            "first_name" in columns.fields and "last_name" in columns.fields
        )
        self._last_first = self._use_full_name and name_is_last_first(
            columns.column_name(FULL_NAME)
        )

    @property
    def date_order(self) -> DateOrderDecision | None:
        """The dob column's order once decided (``assumed`` when it came from the setting)."""
        return self._decision

    def check(self, rows: Iterable[SourceRow]) -> Iterator[CheckedRow]:
        """Check ``rows`` in order, holding back at most ``lookahead`` rows (see module doc)."""
        iterator = iter(rows)
        if self._decision is None and self._dob_index is not None:
            yield from self._check_window(iterator)
        elif self._decision is None:
            self._decision = DateOrderDecision(self.settings.date_order, 0, 0, assumed=True)
        for row in iterator:
            self._observe(row)
            yield self.check_row(row)

    def _observe(self, row: SourceRow) -> None:
        """Keep counting a decided column's unambiguous dates, so a mixed column is noticed."""
        decision = self._decision
        if decision is None or self._dob_index is None:
            return
        evidence = date_order_evidence(self._cell(row, self._dob_index))
        if evidence is None:
            return
        was_conflicting = decision.conflicting
        decision = dataclasses.replace(
            decision,
            month_first=decision.month_first + (evidence == "mdy"),
            day_first=decision.day_first + (evidence == "dmy"),
        )
        if decision.conflicting and not was_conflicting:
            decision = dataclasses.replace(decision, late_conflict_row=row.number)
        self._decision = decision

    def _check_window(self, rows: Iterator[SourceRow]) -> Iterator[CheckedRow]:
        detector = DateOrderDetector()
        held: list[SourceRow] = []
        for row in rows:
            held.append(row)
            detector.feed(self._cell(row, self._dob_index))
            lead, against = sorted((detector.month_first, detector.day_first), reverse=True)
            if (lead >= _DECISIVE and not against) or len(held) >= self.lookahead:
                break
        assert self._dob_index is not None
        hint = date_order_hint(self.columns.headers[self._dob_index])
        if hint in ("mdy", "dmy"):
            # The header says the order; dates that only fit the other one are flagged.
            decision = DateOrderDecision(
                hint, detector.month_first, detector.day_first, assumed=False, from_header=True
            )
        else:
            # A year-first hint (YYYY-MM-DD) says nothing about 06/05/1990: detect as usual.
            default = hint or self.settings.date_order
            decision = detector.decision(default)
            if decision.month_first == decision.day_first and not decision.assumed:
                decision = DateOrderDecision(
                    default, decision.month_first, decision.day_first, assumed=False
                )
            if hint is not None and decision.assumed:
                decision = dataclasses.replace(decision, from_header=True)
        self._decision = decision
        for row in held:
            yield self.check_row(row)

    def check_row(self, row: SourceRow) -> CheckedRow:
        """Check one row (rows must come in file order for duplicates to point backwards)."""
        issues: list[Issue] = []
        values: dict[str, Any] = {}
        for field, index in self.columns.fields.items():
            if field in (FULL_NAME, "dob", "tele_state", "additional_data", *_ZIP_STATES):
                continue
            raw = self._cell(row, index)
            if raw.strip():
                self._take(row, field, NORMALIZERS[field](raw), values, issues)
        self._check_dob(row, values, issues)
        self._check_names(row, values, issues)
        for field, value in self.defaults.items():
            values.setdefault(field, value)
        if "exams" not in values and self.settings.exams:
            values["exams"] = tuple(self.settings.exams)
        self._check_tele_state(row, values, issues)
        self._check_zips(row, values, issues)
        self._check_additional_data(row, values, issues)
        failed = {i.field for i in issues if i.is_error}
        if FULL_NAME in failed:
            failed |= {"first_name", "last_name"}
        if "state" in failed:
            failed.add("tele_state")
        for field in REQUIRED_FIELDS:
            if field not in values and field not in failed:
                issues.append(self._missing(row, field))
        if "exams" in values and self.catalog is not None:
            self._check_catalog(row, values["exams"], self.catalog, issues)
        if any(i.is_error for i in issues):
            return CheckedRow(row, None, tuple(issues), Status.INVALID)
        first = self._first_row_with(values, row.number)
        if first is not None:
            issues.append(
                Issue(
                    row.number,
                    "row",
                    "duplicate_row",
                    f"Same patient and exams as row {first}; this row is not sent.",
                    Severity.ERROR,
                )
            )
            return CheckedRow(row, None, tuple(issues), Status.DUPLICATE, duplicate_of=first)
        payload = {
            name: list(values[name]) if name == "exams" else values[name]
            for name in _PAYLOAD_ORDER
            if name in values
        }
        return CheckedRow(row, Invite(row.number, payload), tuple(issues), Status.VALID)

    def _check_dob(self, row: SourceRow, values: dict[str, Any], issues: list[Issue]) -> None:
        if self._dob_index is None:
            return
        raw = self._cell(row, self._dob_index)
        if not raw.strip():
            return
        decision = self._decision or DateOrderDecision(self.settings.date_order, 0, 0, True)
        result = normalize_dob(raw, decision.order, self.today)
        self._take(row, "dob", result, values, issues)
        if result[0] is None or not is_order_ambiguous(raw):
            return
        words = "day/month/year" if decision.order == "dmy" else "month/day/year"
        if decision.conflicting:
            if decision.assumed:
                why = "per the date-order setting"
            elif decision.from_header:
                why = "as the column header says"
            else:
                why = "like most dates here"
            self._add(
                row,
                "dob",
                issues,
                problem(
                    "dob_order_uncertain",
                    f"{show(raw.strip())} could be read either way and this column mixes "
                    f"month-first and day-first dates; it was read as {words} ({result[0]}) "
                    f"{why}. Check it, or write it as YYYY-MM-DD.",
                ),
            )
        elif decision.assumed:
            source = "the column header" if decision.from_header else "the date-order setting"
            self._add(
                row,
                "dob",
                issues,
                problem(
                    "dob_order_assumed",
                    f"{show(raw.strip())} could be read either way and no date in this column "
                    f"settles it, so it was read as {words} ({result[0]}) per {source}. If "
                    "that is wrong, write dates as YYYY-MM-DD or set --date-order.",
                ),
            )

    def _check_names(self, row: SourceRow, values: dict[str, Any], issues: list[Issue]) -> None:
        if not self._use_full_name or ("first_name" in values and "last_name" in values):
            return
        raw = self._cell(row, self.columns.fields[FULL_NAME])
        if not raw.strip():
            return
        pair, problems = split_full_name(raw, self._last_first)
        for found in problems:
            self._add(row, FULL_NAME, issues, found)
        if pair is not None:
            values.setdefault("first_name", pair[0])
            values.setdefault("last_name", pair[1])

    def _check_tele_state(
        self, row: SourceRow, values: dict[str, Any], issues: list[Issue]
    ) -> None:
        index = self.columns.fields.get("tele_state")
        raw = self._cell(row, index) if index is not None else ""
        if raw.strip():
            self._take(row, "tele_state", normalize_tele_state(raw), values, issues)
            return
        if "tele_state" in values:  # from settings.defaults
            if values["tele_state"] == TEST_STATE:
                self._add(row, "tele_state", issues, test_mode_warning())
            return
        state = values.get("state")
        if state is None:
            return
        code, problems = normalize_tele_state(state)
        column = self.columns.column_name("state")
        for found in problems:
            issues.append(
                Issue(
                    row.number,
                    "tele_state",
                    found.code,
                    f"{column} (used as telehealth state): {found.message}",
                    found.severity,
                )
            )
        if code is not None:
            values["tele_state"] = code
            self._add(
                row,
                "tele_state",
                issues,
                problem(
                    "tele_state_from_state",
                    f"{'empty' if 'tele_state' in self.columns.fields else 'not given'}, so the "
                    f"telehealth state was taken from {column} ({code}); fill in tele_state if "
                    "the patient will be in another state during the visit.",
                ),
            )

    def _check_zips(self, row: SourceRow, values: dict[str, Any], issues: list[Issue]) -> None:
        """ZIP codes, after the states: lost leading zeros come back only if the state fits."""
        for field, states in _ZIP_STATES.items():
            index = self.columns.fields.get(field)
            raw = self._cell(row, index) if index is not None else ""
            if not raw.strip():
                continue
            state = next((values[s] for s in states if values.get(s)), None)
            self._take(row, field, normalize_zip_in_state(raw, state), values, issues)

    def _check_additional_data(
        self, row: SourceRow, values: dict[str, Any], issues: list[Issue]
    ) -> None:
        index = self.columns.fields.get("additional_data")
        raw = self._cell(row, index) if index is not None else ""
        own: Any = None
        if raw.strip():
            text, problems = NORMALIZERS["additional_data"](raw)
            for found in problems:
                self._add(row, "additional_data", issues, found)
            own = json.loads(text) if text is not None else None
        elif "additional_data" in values:
            own = json.loads(values["additional_data"])
        data: dict[str, Any] = {}
        if isinstance(own, dict):
            data.update(own)
        elif own is not None:
            data["data"] = own
            self._add(
                row,
                "additional_data",
                issues,
                problem(
                    "additional_data_wrapped",
                    'holds JSON that is not an object ({...}); it is sent under the key "data" '
                    "next to the source file and row.",
                ),
            )
        for name, index in self._carry:
            value = self._cell(row, index)
            if value:
                data[name] = value
        origin = self._cell(row, self._origin) if self._origin is not None else ""
        data.update(
            source_file=self.source_name,
            source_row=int(origin) if origin.isdigit() else row.number,
        )
        values["additional_data"] = json.dumps(data, ensure_ascii=False, separators=(",", ":"))

    def _check_catalog(
        self,
        row: SourceRow,
        exams: tuple[int, ...],
        catalog: Mapping[int, int],
        issues: list[Issue],
    ) -> None:
        unknown = [e for e in exams if e not in catalog]
        if unknown:
            listed = ", ".join(map(str, unknown))
            self._add(
                row,
                "exams",
                issues,
                problem(
                    "exam_unknown",
                    f"exam ID {listed} {'is' if len(unknown) == 1 else 'are'} not in the clinic's "
                    "exam list; check the IDs (`bulk-invite exams` lists them).",
                ),
            )
        rx = [e for e in exams if catalog.get(e) == 2]
        if len(rx) > 1:
            self._add(
                row,
                "exams",
                issues,
                problem(
                    "exam_multiple_rx",
                    f"exams {', '.join(map(str, rx))} are all Rx (prescription) exams, and one "
                    "invite can hold only one Rx exam; split this patient into separate rows, one "
                    "Rx exam per row.",
                ),
            )

    def _first_row_with(self, values: Mapping[str, Any], number: int) -> int | None:
        """The earlier row with the same patient and exam set, recording this one if new."""
        key = invite_identity(values)
        digest = hashlib.blake2b(key.encode(), digest_size=16).digest()
        first = self._seen.get(digest)
        if first is None:
            self._seen[digest] = number
        return first

    def _take(
        self,
        row: SourceRow,
        field: str,
        result: tuple[Any, tuple[Problem, ...]],
        values: dict[str, Any],
        issues: list[Issue],
    ) -> None:
        value, problems = result
        for found in problems:
            self._add(row, field, issues, found)
        if value is not None and not any(p.is_error for p in problems):
            values[field] = value

    def _add(self, row: SourceRow, field: str, issues: list[Issue], found: Problem) -> None:
        column = self.columns.column_name(field)
        issues.append(
            Issue(row.number, field, found.code, f"{column}: {found.message}", found.severity)
        )

    def _missing(self, row: SourceRow, field: str) -> Issue:
        if field == "tele_state" and "tele_state" not in self.columns.fields:
            where = f"{self.columns.column_name('state')} is empty"
        else:
            where = f"{self.columns.column_name(field)} is empty"
        return Issue(
            row.number,
            field,
            "required_missing",
            f"{where}; every invite needs {_NOUNS.get(field, field)}. Fill it in.",
        )

    @staticmethod
    def _cell(row: SourceRow, index: int | None) -> str:
        if index is None or index >= len(row.cells):
            return ""
        return row.cells[index]


def _checked_defaults(settings: Settings) -> dict[str, Any]:
    """Normalized ``settings.defaults``; a bad default stops the run before any row."""
    checked: dict[str, Any] = {}
    for field, raw in settings.defaults.items():
        if field not in KNOWN_FIELDS or field == FULL_NAME:
            raise UsageError(f'Default for "{field}": not a Qualiphy field name.')
        if not raw.strip():
            continue
        if field == "dob":
            raise UsageError("A date of birth cannot have a default.")
        value, problems = NORMALIZERS[field](raw)
        errors = [p.message for p in problems if p.is_error]
        if value is None or errors:
            raise UsageError(f"Default for {field} is not valid: {' '.join(errors)}")
        checked[field] = value
    return checked


def _carried_columns(columns: ColumnMap, carry: Sequence[str]) -> list[tuple[str, int]]:
    """The (header, index) pairs ``--carry`` packs into additional_data; unknown names stop."""
    index: dict[str, int] = {}
    for i, header in enumerate(columns.headers):
        index.setdefault(header, i)
        index.setdefault(header.strip().casefold(), i)
    found = [(name, index.get(name, index.get(name.strip().casefold()))) for name in carry]
    missing = [name for name, i in found if i is None]
    if missing:
        raise UsageError(
            f"--carry names a column the file does not have: {', '.join(missing)} "
            f"(its columns are: {', '.join(columns.headers)})."
        )
    return [(name, i) for name, i in found if i is not None]
