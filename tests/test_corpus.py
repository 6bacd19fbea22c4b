"""The fixture corpus: every file from a real writer reads and checks to its expected result."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bulk_invite.errors import InputFileError
from bulk_invite.load import open_table
from bulk_invite.models import CheckedRow
from bulk_invite.settings import Settings
from bulk_invite.validate import check_rows

CORPUS = Path(__file__).parent / "corpus"
TODAY = date(2026, 1, 15)
EXPECTED = sorted(CORPUS.glob("*.expected.json"))


def _load(path: Path) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return doc


def _settings(doc: dict[str, Any]) -> Settings:
    options = doc.get("settings", {})
    return Settings(
        date_order=options.get("date_order", "mdy"),
        exams=tuple(options.get("exams", ())),
    )


def _outcome(row: CheckedRow) -> dict[str, Any]:
    entry: dict[str, Any] = {"row": row.source.number, "status": str(row.status)}
    if row.invite is not None:
        payload = dict(row.invite.payload)
        payload["additional_data"] = json.loads(payload["additional_data"])
        entry["payload"] = payload
    entry["issues"] = sorted([issue.field, issue.code] for issue in row.issues)
    return entry


def test_corpus_has_at_least_forty_files_from_real_writers() -> None:
    docs = [_load(p) for p in EXPECTED]
    assert len(docs) >= 40
    writers = {d["writer"] for d in docs}
    assert {"csv", "openpyxl", "xlsxwriter", "xlwt", "odfpy"} <= writers
    for doc in docs:
        assert (CORPUS / doc["file"]).is_file(), doc["file"]


def test_every_corpus_file_has_an_expected_result() -> None:
    inputs = {p.name for p in CORPUS.iterdir() if p.is_file()}
    data = inputs - {p.name for p in EXPECTED} - {"make_corpus.py", "__init__.py"}
    assert data == {_load(p)["file"] for p in EXPECTED}


@pytest.mark.parametrize("expected_path", EXPECTED, ids=[p.name[:-14] for p in EXPECTED])
def test_corpus_file_reads_and_checks_exactly_as_expected(expected_path: Path) -> None:
    doc = _load(expected_path)
    path = CORPUS / doc["file"]
    options = doc.get("open", {})
    if "error" in doc:
        with pytest.raises(InputFileError) as excinfo:
            table = open_table(path, **options)
            list(check_rows(table, _settings(doc), today=TODAY))
        message = str(excinfo.value)
        assert doc["error"]["contains"] in message
        assert "\n" not in message
        return
    table = open_table(path, **options)
    want = doc["table"]
    assert table.header_row == want["header_row"]
    for key in ("format", "encoding", "sheet"):
        if key in want:
            assert getattr(table, key) == want[key], key
    for words in want.get("notes", ()):
        assert any(words in note for note in table.notes), (words, table.notes)
    catalog = {int(k): v for k, v in doc["catalog"].items()} if "catalog" in doc else None
    checked = check_rows(table, _settings(doc), catalog, today=TODAY)
    assert [_outcome(row) for row in checked] == doc["rows"]


def test_libreoffice_files_are_present_or_soffice_is_absent() -> None:
    lo_files = [p for p in EXPECTED if _load(p)["writer"] == "soffice"]
    if not lo_files and shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed: no LibreOffice-converted files")
    assert len(lo_files) >= 5


def test_committed_expectations_match_the_generator() -> None:
    from .corpus import make_corpus

    cases = make_corpus.all_cases()
    have_soffice = make_corpus.soffice() is not None
    for case in cases:
        path = CORPUS / f"{case.name}.expected.json"
        if case.writer == "soffice" and not path.exists() and not have_soffice:
            continue
        assert _load(path) == json.loads(json.dumps(case.expected())), case.name
