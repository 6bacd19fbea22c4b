"""Every file the tool writes is owner-only (0600), even when the caller's umask is 022."""

from __future__ import annotations

import io
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from bulk_invite.models import RunSummary
from bulk_invite.pipeline import run
from bulk_invite.report import write_summary_json
from bulk_invite.sandbox import Sandbox, SandboxConfig
from bulk_invite.secret import Secret
from bulk_invite.settings import Settings

from .security_support import KEY, PHI, run_cli, write_csv


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _modes(folder: Path) -> dict[str, int]:
    return {p.name: _mode(p) for p in folder.iterdir()}


@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _rows(n: int) -> list[dict[str, str]]:
    return [{**PHI, "Email": f"canary{i}@example.com"} for i in range(n)]


def test_cli_send_and_check_under_umask_022_write_only_0600_files(tmp_path: Path) -> None:
    source = write_csv(tmp_path / "patients.csv", _rows(3))
    out = tmp_path / "out"
    out.mkdir(mode=0o755)
    with Sandbox(SandboxConfig(api_key=KEY), invite_log=tmp_path / "invites.jsonl") as sandbox:
        sent = run_cli(
            [
                "send",
                str(source),
                "--base-url",
                sandbox.base_url,
                "-o",
                str(out / "sent.xlsx"),
                "--journal",
                str(out / "journal.sqlite"),
                "--summary-json",
                str(out / "send.json"),
            ],
            tmp_path,
            umask=0o022,
        )
    checked = run_cli(
        [
            "check",
            str(source),
            "-o",
            str(out / "checked.xlsx"),
            "--summary-json",
            str(out / "c.json"),
        ],
        tmp_path,
        umask=0o022,
    )
    assert (sent.code, checked.code) == (0, 0), sent.stderr + checked.stderr
    modes = _modes(out)
    assert {"sent.xlsx", "journal.sqlite", "journal.sqlite.lock", "send.json"} <= set(modes)
    assert {"checked.xlsx", "c.json"} <= set(modes)
    assert modes == dict.fromkeys(modes, 0o600)
    assert _mode(tmp_path / "invites.jsonl") == 0o600


def test_library_run_under_umask_022_creates_0600_files_including_wal_and_shm(
    tmp_path: Path, umask_022: None
) -> None:
    source = write_csv(tmp_path / "patients.csv", _rows(4))
    out = tmp_path / "out"
    out.mkdir()
    journal = out / "journal.sqlite"
    seen: dict[str, int] = {}

    def on_body(path: str, body: bytes) -> None:
        # While requests arrive the journal is open and its write-ahead files exist.
        for suffix in ("-wal", "-shm"):
            side = Path(str(journal) + suffix)
            if side.exists():
                seen[side.name] = _mode(side)

    with Sandbox(SandboxConfig(api_key=KEY), on_body=on_body) as sandbox:
        settings = Settings(
            output=out / "results.xlsx",
            base_url=sandbox.base_url,
            api_key=Secret(KEY),
            journal=journal,
        )
        summary: RunSummary = run(source, settings, command="send")
    write_summary_json(summary, str(out / "summary.json"), io.StringIO())
    assert summary.counts["sent"] == 4
    assert set(seen) == {"journal.sqlite-wal", "journal.sqlite-shm"}
    assert seen == dict.fromkeys(seen, 0o600)
    modes = _modes(out)
    assert {"results.xlsx", "journal.sqlite", "journal.sqlite.lock", "summary.json"} <= set(modes)
    assert modes == dict.fromkeys(modes, 0o600)
    # The caller's umask is left as it was.
    assert os.umask(0o022) == 0o022


def test_library_check_under_umask_022_leaves_only_a_0600_workbook(
    tmp_path: Path, umask_022: None
) -> None:
    source = write_csv(tmp_path / "patients.csv", _rows(2))
    out = tmp_path / "out"
    out.mkdir()
    run(source, Settings(output=out / "results.xlsx"))
    assert _modes(out) == {"results.xlsx": 0o600}
