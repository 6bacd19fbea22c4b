"""Fuzzing the reader and validators: damaged or random bytes only ever raise BulkInviteError.

Inputs start from a small valid CSV or XLSX and are mutated (bytes flipped, inserted, deleted);
XLSX inputs are also mutated inside their XML parts and zipped again, so the fuzzing reaches the
XML parser and not only the zip checks. Every example goes through ``open_table`` and every row
through ``check_rows``.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from datetime import date
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bulk_invite.errors import BulkInviteError
from bulk_invite.load import open_table
from bulk_invite.settings import Settings
from bulk_invite.validate import check_rows

from .security_support import PHI, write_xlsx

_TODAY = date(2025, 1, 1)
_ROWS = [
    list(PHI),
    list(PHI.values()),
    ["Ann", "Lee", "ann@example.com", "1990-01-02", "5552223344", "1 Main St", "Albany", "NY",
     "12207", "1822,2228", "7"],
]  # fmt: skip


def _seed_csv() -> bytes:
    return "\n".join(",".join(f'"{c}"' for c in row) for row in _ROWS).encode() + b"\n"


def _seed_xlsx() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        return write_xlsx(Path(folder) / "seed.xlsx", _ROWS).read_bytes()


SEED_CSV = _seed_csv()
SEED_XLSX = _seed_xlsx()
with zipfile.ZipFile(io.BytesIO(SEED_XLSX)) as _zf:
    XLSX_PARTS = {name: _zf.read(name) for name in _zf.namelist()}

# One edit: (kind, position as a fraction of the length, bytes to insert or count to delete).
_edit = st.tuples(
    st.sampled_from(["flip", "insert", "delete", "replace"]),
    st.floats(0, 1, allow_nan=False),
    st.binary(min_size=1, max_size=8),
    st.integers(1, 64),
)
# Bytes that matter to CSV and XML parsers, to make insertions likelier to hit something.
_NASTY = st.sampled_from(
    [b'"', b",", b";", b"\t", b"\r", b"\n", b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"<", b">",
     b"&", b"&#0;", b"<![CDATA[", b"<!DOCTYPE x>", b"</row>", b"<c>", b'r="ZZZ9999999"',
     b"=", b"@", b"\xc3", b"\x80", b"9" * 20, b"1e308", b"-1"]
)  # fmt: skip


def _mutate(data: bytes, edits: list[tuple[str, float, bytes, int]], nasty: list[bytes]) -> bytes:
    buf = bytearray(data)
    for i, (kind, where, blob, count) in enumerate(edits):
        at = min(int(where * len(buf)), max(len(buf) - 1, 0))
        if kind == "flip" and buf:
            buf[at] ^= blob[0] or 0xFF
        elif kind == "insert":
            buf[at:at] = nasty[i % len(nasty)] if nasty and i % 2 else blob
        elif kind == "delete":
            del buf[at : at + count]
        else:
            buf[at : at + len(blob)] = blob
    return bytes(buf)


def _read_everything(data: bytes, suffix: str) -> None:
    """open_table + check_rows over every row; only BulkInviteError may escape."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"fuzz{suffix}"
        path.write_bytes(data)
        try:
            table = open_table(path)
            for _ in check_rows(table, Settings(), today=_TODAY):
                pass
        except BulkInviteError:
            pass


_FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


@_FUZZ
@given(st.lists(_edit, min_size=1, max_size=6), st.lists(_NASTY, max_size=4))
def test_mutated_csv_raises_nothing_but_bulk_invite_errors(
    edits: list[tuple[str, float, bytes, int]], nasty: list[bytes]
) -> None:
    _read_everything(_mutate(SEED_CSV, edits, nasty), ".csv")


@_FUZZ
@given(st.binary(max_size=2048), st.sampled_from([".csv", ".xlsx", ".xls", ".ods", ".txt"]))
def test_random_bytes_raise_nothing_but_bulk_invite_errors(data: bytes, suffix: str) -> None:
    _read_everything(data, suffix)


@_FUZZ
@given(st.lists(_edit, min_size=1, max_size=4))
def test_mutated_xlsx_bytes_raise_nothing_but_bulk_invite_errors(
    edits: list[tuple[str, float, bytes, int]],
) -> None:
    _read_everything(_mutate(SEED_XLSX, edits, []), ".xlsx")


@_FUZZ
@given(
    st.sampled_from(sorted(XLSX_PARTS)),
    st.lists(_edit, min_size=1, max_size=5),
    st.lists(_NASTY, max_size=4),
)
def test_xlsx_with_mutated_xml_parts_raises_nothing_but_bulk_invite_errors(
    part: str, edits: list[tuple[str, float, bytes, int]], nasty: list[bytes]
) -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in XLSX_PARTS.items():
            zf.writestr(name, _mutate(data, edits, nasty) if name == part else data)
    _read_everything(out.getvalue(), ".xlsx")
