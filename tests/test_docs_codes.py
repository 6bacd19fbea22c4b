"""docs/issue-codes.md lists exactly the registered issue codes, each with severity and example."""

from __future__ import annotations

import re
from pathlib import Path

from bulk_invite.fields.codes import CODES

DOC = Path(__file__).resolve().parents[1] / "docs" / "issue-codes.md"
_ROW = re.compile(r"^\| `([a-z0-9_]+)` \| (error|warning) \| ([^|]+) \| (.+) \|$", re.M)


def _documented() -> list[tuple[str, str, str, str]]:
    return [tuple(m) for m in _ROW.findall(DOC.read_text(encoding="utf-8"))]  # type: ignore[misc]


def test_every_registered_code_is_documented() -> None:
    assert set(CODES) - {code for code, *_ in _documented()} == set()


def test_doc_lists_no_code_that_does_not_exist() -> None:
    assert {code for code, *_ in _documented()} - set(CODES) == set()


def test_each_code_is_documented_once_with_its_severity_meaning_and_example() -> None:
    rows = _documented()
    assert len(rows) == len({code for code, *_ in rows})
    for code, severity, meaning, example in rows:
        assert severity == CODES[code].severity.value, code
        assert meaning.strip() and example.strip(" `"), code
