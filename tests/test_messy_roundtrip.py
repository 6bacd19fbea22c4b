"""A 1,000-row list with known damage: every repair comes out exact, every error is reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from bulk_invite.load import open_table
from bulk_invite.models import CheckedRow, Status
from bulk_invite.settings import Settings
from bulk_invite.validate import check_rows

from . import messy


@pytest.fixture(scope="module")
def data() -> messy.MessyFile:
    return messy.generate()


def _check(path: Path) -> dict[int, CheckedRow]:
    table = open_table(path)
    return {c.source.number: c for c in check_rows(table, Settings(), today=messy.TODAY)}


def test_messy_file_injects_hundreds_of_repairable_and_unrepairable_values(
    data: messy.MessyFile,
) -> None:
    counts = data.counts()
    assert len(data.rows) == 1000
    assert sum(counts["repairable"].values()) >= 300
    assert sum(counts["unrepairable"].values()) >= 100
    assert set(counts["repairable"]) == set(messy.REPAIRABLE)
    assert set(counts["unrepairable"]) == set(messy.UNREPAIRABLE)


def test_messy_generator_is_deterministic(data: messy.MessyFile) -> None:
    again = messy.generate()
    assert again.rows == data.rows and again.damage == data.damage


@pytest.mark.parametrize("writer", ["xlsx", "csv"])
def test_messy_file_round_trips_every_repair_and_error(
    tmp_path: Path, data: messy.MessyFile, writer: str
) -> None:
    path = tmp_path / f"messy.{writer}"
    (messy.write_xlsx if writer == "xlsx" else messy.write_csv)(data, path)
    checked = _check(path)
    assert sorted(checked) == list(range(2, len(data.rows) + 2))
    damaged = {d.row: d for d in data.damage}
    for number, row in checked.items():
        found = [(i.field, i.code) for i in row.issues]
        truth = damaged.get(number)
        if truth is None:
            assert (row.status, found) == (Status.VALID, []), number
        elif truth.repairable:
            assert row.status is Status.VALID and row.invite is not None, (number, found)
            assert row.invite.payload[truth.field] == truth.expected, (number, truth.kind)
            assert found == ([(truth.field, truth.code)] if truth.code else []), number
        else:
            assert (row.status, found) == (Status.INVALID, [(truth.field, truth.code)]), number
