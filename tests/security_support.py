"""Shared pieces of the security tests: canary patients, a probed CLI run, file scanning."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

#: The API key canary: it may travel in request bodies and nowhere else.
KEY = "CANARYKEY-7f3e9b1d5c"

#: One canary per PHI column, as typed in the input.
PHI = {
    "First Name": "Canaryfirstqk",
    "Last Name": "Canarylastzv",
    "Email": "canary.x9@example.com",
    "DOB": "07/19/1931",
    "Phone": "(555) 417-9283",
    "Address": "742 Canarystreetwq",
    "City": "Canarycityjx",
    "State": "NY",
    "Zip": "02917-3861",
    "Exam IDs": "1822",
    "Patient ID": "PIDCANARY77",
}
#: Every form in which a canary could leak (input and normalized forms, distinctive parts).
PHI_CANARIES = (
    "Canaryfirstqk",
    "Canarylastzv",
    "canary.x9",
    "1931-07-19",
    "07/19/1931",
    "4179283",
    "417-9283",
    "Canarystreetwq",
    "Canarycityjx",
    "02917-3861",
    "PIDCANARY77",
)

# Run as ``python -c PROBE args…``: optionally breaks something on purpose, runs the real CLI
# entry point, and records the process's peak memory.
PROBE = r"""
import os, resource, sys
patch = os.environ.get("SECURITY_TEST_PATCH", "")
if patch == "worker":
    import bulk_invite.client as client
    def create_invite(self, payload):
        raise RuntimeError(f"boom {payload!r} {self._key.reveal()}")
    client.QualiphyClient.create_invite = create_invite
elif patch == "main":
    import bulk_invite.report as report
    def add(self, source, result):
        raise RuntimeError(f"boom {source!r} {os.environ.get('QUALIPHY_API_KEY')}")
    report.ResultsWriter.add = add
from bulk_invite.cli import main
try:
    main(sys.argv[1:])
finally:
    target = os.environ.get("SECURITY_TEST_RSS")
    if target:
        # VmHWM is this program's own peak; ru_maxrss would carry the forking parent's peak.
        try:
            with open("/proc/self/status") as status:
                peak = next(l.split()[1] for l in status if l.startswith("VmHWM:"))
        except (OSError, StopIteration):
            peak = str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        with open(target, "w") as handle:
            handle.write(peak)
"""


@dataclass(frozen=True)
class CliRun:
    """What one CLI process left behind."""

    code: int
    stdout: str
    stderr: str
    peak_rss_kib: int


def run_cli(
    args: Sequence[str],
    home: Path,
    *,
    key: str | None = KEY,
    patch: str = "",
    umask: int | None = None,
    timeout: float = 60,
) -> CliRun:
    """Run ``bulk-invite ARGS`` in a fresh process whose home and state folders are ``home``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("QUALIPHY_API_KEY", "BULK_INVITE_TRACEBACK", "OPENPYXL_DEFUSEDXML")
    }
    rss = home / ".peak-rss"
    env.update(
        HOME=str(home),
        XDG_STATE_HOME=str(home / "state"),
        SECURITY_TEST_PATCH=patch,
        SECURITY_TEST_RSS=str(rss),
        PYTHONDONTWRITEBYTECODE="1",
    )
    if key is not None:
        env["QUALIPHY_API_KEY"] = key
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        umask=-1 if umask is None else umask,
    )
    peak = int(rss.read_text()) if rss.exists() else 0
    rss.unlink(missing_ok=True)
    return CliRun(done.returncode, done.stdout, done.stderr, peak)


def write_csv(path: Path, rows: Sequence[dict[str, str]]) -> Path:
    """A CSV with the columns of ``PHI`` and the given rows."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(PHI))
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    """An XLSX whose first sheet holds ``rows`` as text cells."""
    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    sheet = book.add_worksheet("Patients")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write_string(r, c, value)
    book.close()
    return path


def rewrite_zip(source: Path, target: Path, parts: dict[str, bytes]) -> Path:
    """A copy of the zip ``source`` with some parts replaced or added."""
    with zipfile.ZipFile(source) as zin, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename not in parts:
                zout.writestr(info.filename, zin.read(info.filename))
        for name, data in parts.items():
            zout.writestr(name, data)
    return target


def file_contents(root: Path) -> Iterator[tuple[str, bytes]]:
    """Every file under ``root`` as raw bytes, plus every member of every zip file (xlsx)."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        yield str(path), data
        if data.startswith(b"PK\x03\x04"):
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                for member in zf.namelist():
                    yield f"{path}!{member}", zf.read(member)


def files_containing(root: Path, needle: str) -> list[str]:
    """Names of the files (and zip members) under ``root`` whose bytes contain ``needle``."""
    raw = needle.encode()
    wide = needle.encode("utf-16-le")
    return [name for name, data in file_contents(root) if raw in data or wide in data]


def leaks(text: str, canaries: Sequence[str] = PHI_CANARIES) -> list[str]:
    """The canaries found in ``text``."""
    return [c for c in canaries if c in text]
