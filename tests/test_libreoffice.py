"""The results workbook, opened by LibreOffice (headless), reads back the same values as openpyxl.

Skipped, with the reason shown by ``pytest -ra``, when LibreOffice's ``soffice`` is not installed.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_data"
SHEETS = ("Results", "To fix", "Summary")
# Comma, double quotes, UTF-8, raw values (not as shown), every sheet to its own file (7.2+).
CSV_FILTER = "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1"

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = pytest.mark.skipif(
    SOFFICE is None,
    reason="LibreOffice is not installed (no `soffice` on PATH): the results workbook's "
    "LibreOffice round trip is not checked. Install it (apt-get install libreoffice-calc) to run.",
)


def _bulk_invite(*args: str, state: Path) -> None:
    env = {**os.environ, "XDG_STATE_HOME": str(state)}
    env.pop("QUALIPHY_API_KEY", None)
    done = subprocess.run(
        [sys.executable, "-m", "bulk_invite", *args, "--no-progress", "--quiet"],
        env=env,
        cwd=state,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode in (0, 1), done.stderr


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A checked and a sent (sandbox) results workbook of the messy sample list."""
    tmp = tmp_path_factory.mktemp("libreoffice")
    state = tmp / "state"
    state.mkdir()
    messy = str(SAMPLES / "messy_patients.xlsx")
    checked, sent = tmp / "checked.xlsx", tmp / "sent.xlsx"
    _bulk_invite("check", messy, "--exams", "1822", "-o", str(checked), state=state)
    _bulk_invite(
        "send", messy, "--sandbox", "--exams", "1822", "--rate", "100", "-o", str(sent),
        state=state,
    )  # fmt: skip
    return {"checked": checked, "sent": sent}


@pytest.fixture(scope="module")
def libreoffice_csv(workbooks: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every sheet of every workbook as CSV, written by LibreOffice with a private profile."""
    tmp = tmp_path_factory.mktemp("soffice")
    out = tmp / "csv"
    assert SOFFICE is not None
    done = subprocess.run(
        [
            SOFFICE,
            f"-env:UserInstallation={(tmp / 'profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            CSV_FILTER,
            "--outdir",
            str(out),
            *(str(p) for p in workbooks.values()),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    if not (out / "checked-Results.csv").exists():
        if (out / "checked.csv").exists():
            pytest.skip("this LibreOffice is older than 7.2: it cannot export every sheet to CSV")
        pytest.fail(f"LibreOffice wrote no CSV: {done.stdout} {done.stderr}")
    return out


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _trimmed(rows: list[list[str]]) -> list[list[str]]:
    """Rows without trailing empty cells, and without trailing empty rows."""
    rows = [list(row) for row in rows]
    for row in rows:
        while row and row[-1] == "":
            row.pop()
    while rows and not rows[-1]:
        rows.pop()
    return rows


def _openpyxl_rows(path: Path, sheet: str) -> list[list[str]]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        return _trimmed(
            [[_text(v) for v in row] for row in book[sheet].iter_rows(values_only=True)]
        )
    finally:
        book.close()


def _csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return _trimmed(list(csv.reader(handle)))


def _same(a: str, b: str) -> bool:
    if a == b:
        return True
    try:  # LibreOffice may write a float with fewer trailing digits
        return float(a) == pytest.approx(float(b), rel=1e-12)
    except ValueError:
        return False


@pytest.mark.parametrize("kind", ["checked", "sent"])
@pytest.mark.parametrize("sheet", SHEETS)
def test_libreoffice_reads_every_cell_of_the_results_workbook_as_openpyxl_does(
    workbooks: dict[str, Path], libreoffice_csv: Path, kind: str, sheet: str
) -> None:
    expected = _openpyxl_rows(workbooks[kind], sheet)
    actual = _csv_rows(libreoffice_csv / f"{kind}-{sheet}.csv")
    assert len(actual) == len(expected)
    for number, (want, got) in enumerate(zip(expected, actual, strict=True), start=1):
        assert len(got) == len(want), f"{sheet} row {number}"
        for column, (a, b) in enumerate(zip(want, got, strict=True), start=1):
            assert _same(a, b), f"{sheet} row {number} column {column}: {a!r} != {b!r}"


def test_the_sent_workbook_compared_holds_meeting_links_and_rows_to_fix(
    workbooks: dict[str, Path],
) -> None:
    results = _openpyxl_rows(workbooks["sent"], "Results")
    status = results[0].index("status")
    statuses = {row[status] for row in results[1:]}
    assert {"sent", "invalid"} <= statuses
    assert len(_openpyxl_rows(workbooks["sent"], "To fix")) > 1
