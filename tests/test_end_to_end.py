"""The CLI end to end against the sandbox over real sockets: bodies, invites, results, resumes."""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from openpyxl import load_workbook

from bulk_invite.cli import main
from bulk_invite.journal import Journal
from bulk_invite.report import RESULT_COLUMNS
from bulk_invite.sandbox import DEMO_API_KEY, MEETING_URL, Sandbox, SandboxConfig

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data"
OPENAPI = json.loads((ROOT / "tests" / "data" / "qualiphy-openapi.json").read_text())


def invite_schema() -> dict[str, Any]:
    schema = dict(OPENAPI["components"]["schemas"]["ExamInviteRequest"])
    schema["components"] = OPENAPI["components"]
    return schema


class Api:
    """A sandbox that checks every invite body against the vendor's OpenAPI schema."""

    def __init__(self, config: SandboxConfig | None = None, port: int = 0) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.sandbox = Sandbox(config or SandboxConfig(), port=port, on_body=self._body)
        self._validator = jsonschema.Draft7Validator(invite_schema())

    def _body(self, path: str, raw: bytes) -> None:
        if path.rstrip("/") == "/api/exam_invite":
            body = json.loads(raw)
            self._validator.validate(body)
            self.bodies.append(body)


@pytest.fixture
def api() -> Iterator[Api]:
    server = Api()
    with server.sandbox:
        yield server


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("QUALIPHY_API_KEY", DEMO_API_KEY)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def cli(*args: str | Path) -> int:
    with pytest.raises(SystemExit) as exit_info:
        main([str(a) for a in args])
    code = exit_info.value.code
    return code if isinstance(code, int) else 1


def send(api: Api, file: Path, tmp_path: Path, out: str = "out.xlsx", *extra: str) -> int:
    return cli(
        "send",
        file,
        "--base-url",
        api.sandbox.base_url,
        "--journal",
        tmp_path / "journal.sqlite",
        "-o",
        tmp_path / out,
        "--no-progress",
        "--quiet",
        "--rate",
        "200",
        *extra,
    )


def results(path: Path, sheet: str = "Results") -> list[dict[str, Any]]:
    ws = load_workbook(path, read_only=True)[sheet]
    rows = list(ws.iter_rows(values_only=True))
    header = [str(h) for h in rows[0]]
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def read_csv(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    return path


def test_send_creates_one_schema_valid_invite_per_row_and_reports_each(
    api: Api, tmp_path: Path
) -> None:
    source = read_csv(SAMPLES / "patients.csv")
    assert send(api, SAMPLES / "patients.csv", tmp_path) == 0

    assert len(api.bodies) == len(source) - 1 == len(api.sandbox.invites())
    assert all(b["api_key"] == DEMO_API_KEY for b in api.bodies)
    by_email = {i["email"]: i for i in api.sandbox.invites()}
    rows = results(tmp_path / "out.xlsx")
    header = source[0]
    assert list(rows[0]) == [*header, *RESULT_COLUMNS]
    for cells, row in zip(source[1:], rows, strict=True):
        assert [str(row[h] or "") for h in header] == cells  # input echoed untouched
        invite = by_email[row["Email"]]
        assert row["status"] == "sent"
        assert row["meeting_url"] == MEETING_URL + invite["meeting_uuid"]
        assert row["meeting_uuid"] == invite["meeting_uuid"]
        assert row["patient_exam_ids"] == ", ".join(str(i) for i in invite["patient_exam_ids"])
        assert row["http_status"] == 200 and row["attempts"] == 1
        assert row["sent_at"] and not row["error"]
        assert invite["phone_number"].startswith("+1") and len(invite["phone_number"]) == 12
    assert results(tmp_path / "out.xlsx", "To fix") == []


def test_second_run_posts_nothing_and_reports_already_sent(api: Api, tmp_path: Path) -> None:
    assert send(api, SAMPLES / "patients.csv", tmp_path, "first.xlsx") == 0
    first = {r["Email"]: r["meeting_url"] for r in results(tmp_path / "first.xlsx")}
    posted = len(api.bodies)

    assert send(api, SAMPLES / "patients.csv", tmp_path, "second.xlsx") == 0
    assert len(api.bodies) == posted
    second = results(tmp_path / "second.xlsx")
    assert {r["status"] for r in second} == {"already_sent"}
    assert {r["Email"]: r["meeting_url"] for r in second} == first


def test_reordered_list_with_new_rows_sends_only_the_new_ones(api: Api, tmp_path: Path) -> None:
    source = read_csv(SAMPLES / "patients.csv")
    assert send(api, SAMPLES / "patients.csv", tmp_path, "first.xlsx") == 0
    posted = len(api.bodies)

    header, rows = source[0], source[1:]
    random.Random(3).shuffle(rows)
    new = [
        [
            "Newa",
            "Person",
            "new.a@example.com",
            "1980-02-03",
            "(555) 321-4567",
            "NY",
            "10001",
            "F",
            "1822",
            "CP-NEW1",
        ],
        [
            "Newb",
            "Person",
            "new.b@example.com",
            "1981-04-05",
            "555.321.7654",
            "CA",
            "90210",
            "M",
            "1822",
            "CP-NEW2",
        ],
    ]
    shuffled = write_csv(tmp_path / "tonight.csv", [header, *rows, *new])
    assert send(api, shuffled, tmp_path, "second.xlsx") == 0

    assert [b["email"] for b in api.bodies[posted:]] == ["new.a@example.com", "new.b@example.com"]
    statuses = {r["Email"]: r["status"] for r in results(tmp_path / "second.xlsx")}
    assert statuses.pop("new.a@example.com") == statuses.pop("new.b@example.com") == "sent"
    assert set(statuses.values()) == {"already_sent"}


def test_force_resends_and_an_expired_dedup_window_no_longer_blocks(
    api: Api, tmp_path: Path
) -> None:
    assert send(api, SAMPLES / "patients.csv", tmp_path, "a.xlsx") == 0
    posted = len(api.bodies)
    assert send(api, SAMPLES / "patients.csv", tmp_path, "b.xlsx", "--force") == 0
    assert len(api.bodies) == 2 * posted
    assert send(api, SAMPLES / "patients.csv", tmp_path, "c.xlsx", "--dedup-window", "0") == 0
    assert len(api.bodies) == 3 * posted


def test_unknown_rows_are_not_resent_unless_asked(tmp_path: Path) -> None:
    file = write_csv(tmp_path / "one.csv", read_csv(SAMPLES / "patients.csv")[:4])
    flaky = Api(SandboxConfig(p_500=1.0))
    with flaky.sandbox:
        assert send(flaky, file, tmp_path, "a.xlsx") == 4
        port = flaky.sandbox.port
    assert {r["status"] for r in results(tmp_path / "a.xlsx")} == {"unknown"}
    healthy = Api(port=port)  # the same API address, healthy again
    with healthy.sandbox:
        assert send(healthy, file, tmp_path, "b.xlsx") == 4
        assert healthy.bodies == []
        assert send(healthy, file, tmp_path, "c.xlsx", "--resend-unknown") == 0
        assert len(healthy.bodies) == 3
    assert {r["status"] for r in results(tmp_path / "c.xlsx")} == {"sent"}


def test_check_on_messy_sample_lists_exactly_the_invalid_rows_to_fix(tmp_path: Path) -> None:
    expected = json.loads((SAMPLES / "EXPECTED.json").read_text())
    out = tmp_path / "messy.results.xlsx"
    assert cli("check", SAMPLES / "messy_patients.xlsx", "-o", out, "--exams", "1822", "-q") == 1
    to_fix = results(out, "To fix")
    assert [r["source_row"] for r in to_fix] == [e["row"] for e in expected["invalid"]]
    for row, want in zip(to_fix, expected["invalid"], strict=True):
        assert want["column"] in row["error"], row["error"]
    statuses = [r["status"] for r in results(out)]
    assert statuses.count("valid") == expected["valid_rows"]
    assert statuses.count("duplicate") == len(expected["duplicates"])


def test_bad_key_aborts_with_exit_3_before_any_patient_data_is_sent(tmp_path: Path) -> None:
    locked = Api(SandboxConfig(api_key="another-key"))
    with locked.sandbox:
        code = send(locked, SAMPLES / "patients.csv", tmp_path, "a.xlsx")
    assert code == 3
    assert locked.bodies == [] and locked.sandbox.invites() == []  # refused before any invite
    assert [r.path for r in locked.sandbox.requests()] == ["/api/exam_list"]
    assert {r["status"] for r in results(tmp_path / "a.xlsx")} == {"not_sent"}


def test_redirect_is_not_followed_to_a_second_server(tmp_path: Path) -> None:
    target = Api()
    with target.sandbox:
        redirector = Api(
            SandboxConfig(
                redirect_to=target.sandbox.base_url + "/api/exam_invite", redirect_status=307
            )
        )
        with redirector.sandbox:
            code = send(redirector, SAMPLES / "patients.csv", tmp_path)
    assert code == 3
    assert target.bodies == [] and target.sandbox.requests() == []
    assert {r["status"] for r in results(tmp_path / "out.xlsx")} == {"not_sent"}


def test_second_run_on_a_busy_journal_exits_2(api: Api, tmp_path: Path, capsys: Any) -> None:
    with Journal(tmp_path / "journal.sqlite"):
        code = send(api, SAMPLES / "patients.csv", tmp_path)
    assert code == 2
    assert "Another bulk-invite run" in capsys.readouterr().err
    assert api.bodies == []


def test_sandbox_runs_use_their_own_journal(tmp_path: Path, capsys: Any) -> None:
    code = cli(
        "send",
        SAMPLES / "patients.csv",
        "--sandbox",
        "-o",
        tmp_path / "o.xlsx",
        "--no-progress",
        "--summary-json",
        tmp_path / "s.json",
    )
    assert code == 0
    summary = json.loads((tmp_path / "s.json").read_text())
    assert summary["journal"].endswith("sandbox-journal.sqlite")
    assert summary["journal"].startswith(str(tmp_path / "state"))
    assert summary["counts"]["sent"] == 50 and summary["rows"] == 50 and summary["exit_code"] == 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "missing.csv"], "missing.csv"),
        (["send", "{samples}/patients.csv", "--base-url", "http://api.example.com"], "https"),
        (["send", "{samples}/patients.csv", "--rate", "0"], "--rate"),
        (["check", "{samples}/patients.csv", "--exams", "abc"], "exam"),
    ],
)
def test_usage_and_input_errors_exit_2_with_one_line(
    args: list[str], message: str, tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    code = cli(*[a.format(samples=SAMPLES) for a in args])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "Traceback" not in err


def test_missing_key_exits_2_and_says_how_to_set_it(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("QUALIPHY_API_KEY")
    assert cli("send", SAMPLES / "patients.csv", "-o", tmp_path / "o.xlsx") == 2
    assert "QUALIPHY_API_KEY" in capsys.readouterr().err


def test_missing_required_column_is_one_clear_line(tmp_path: Path, capsys: Any) -> None:
    rows = [r[:4] for r in read_csv(SAMPLES / "patients.csv")]  # no phone, no state
    file = write_csv(tmp_path / "short.csv", rows)
    assert cli("check", file, "--exams", "1822") == 2
    err = capsys.readouterr().err.strip()
    assert "phone_number" in err and len(err.splitlines()) == 1


def test_dry_run_sends_nothing_and_reports_valid(api: Api, tmp_path: Path) -> None:
    assert send(api, SAMPLES / "patients.csv", tmp_path, "out.xlsx", "--dry-run") == 0
    assert api.bodies == []
    assert {r["status"] for r in results(tmp_path / "out.xlsx")} == {"valid"}


def test_lock_wait_waits_for_the_other_run_to_finish(api: Api, tmp_path: Path) -> None:
    import threading

    held = Journal(tmp_path / "journal.sqlite")
    threading.Timer(0.5, held.close).start()
    assert send(api, SAMPLES / "patients.csv", tmp_path, "out.xlsx", "--lock", "wait",
                "--lock-wait", "30") == 0  # fmt: skip
    assert len(api.bodies) == 50


def test_lock_wait_gives_up_after_its_limit(api: Api, tmp_path: Path, capsys: Any) -> None:
    with Journal(tmp_path / "journal.sqlite"):
        code = send(api, SAMPLES / "patients.csv", tmp_path, "out.xlsx", "--lock", "wait",
                    "--lock-wait", "0.3")  # fmt: skip
    assert code == 2 and api.bodies == []
    assert "Another bulk-invite run" in capsys.readouterr().err


def test_template_command_writes_an_owner_only_workbook_with_api_headers(tmp_path: Path) -> None:
    out = tmp_path / "blank.xlsx"
    main(["template", "-o", str(out)])  # returns normally: exit code 0
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    headers = next(load_workbook(out, read_only=True)["Patients"].iter_rows(values_only=True))
    assert {"first_name", "last_name", "email", "dob", "phone_number", "tele_state",
            "exams"} <= set(headers)  # fmt: skip


def test_failed_forced_resend_keeps_the_journal_saying_sent(api: Api, tmp_path: Path) -> None:
    file = write_csv(tmp_path / "three.csv", read_csv(SAMPLES / "patients.csv")[:4])
    assert send(api, file, tmp_path, "a.xlsx") == 0
    posted = len(api.bodies)
    port, base_url = api.sandbox.port, api.sandbox.base_url
    api.sandbox.stop()  # the same address, nothing listening: forced tries never arrive
    code = cli("send", file, "--base-url", base_url, "--journal", tmp_path / "journal.sqlite",
               "-o", tmp_path / "b.xlsx", "--no-progress", "-q", "--force", "--max-attempts", "1")
    assert code == 3  # the key check could not connect: the run stops, nothing sent
    assert {r["status"] for r in results(tmp_path / "b.xlsx")} == {"not_sent"}
    healthy = Api(port=port)
    with healthy.sandbox:
        assert send(healthy, file, tmp_path, "c.xlsx") == 0
        assert healthy.bodies == []  # a plain run afterwards still knows they were sent
    assert {r["status"] for r in results(tmp_path / "c.xlsx")} == {"already_sent"}
    assert posted == 3


def test_unknown_rows_stay_unknown_even_outside_the_dedup_window(tmp_path: Path) -> None:
    file = write_csv(tmp_path / "one.csv", read_csv(SAMPLES / "patients.csv")[:3])
    flaky = Api(SandboxConfig(p_500=1.0))
    with flaky.sandbox:
        assert send(flaky, file, tmp_path, "a.xlsx") == 4
        port = flaky.sandbox.port
    healthy = Api(port=port)
    with healthy.sandbox:
        assert send(healthy, file, tmp_path, "b.xlsx", "--dedup-window", "0") == 4
        assert healthy.bodies == []


def test_sandbox_run_never_uses_the_configured_journal(
    api: Api, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = tmp_path / "real-journal.sqlite"
    (tmp_path / "bulk-invite.toml").write_text(f'[send]\njournal = "{real}"\n')
    monkeypatch.chdir(tmp_path)
    assert cli("send", SAMPLES / "patients.csv", "--sandbox", "-o", tmp_path / "s.xlsx", "-q",
               "--no-progress") == 0  # fmt: skip
    assert not real.exists()


def test_a_journal_belongs_to_one_api(api: Api, tmp_path: Path, capsys: Any) -> None:
    assert cli("send", SAMPLES / "patients.csv", "--sandbox", "--journal",
               tmp_path / "journal.sqlite", "-o", tmp_path / "s.xlsx", "-q") == 0  # fmt: skip
    assert send(api, SAMPLES / "patients.csv", tmp_path) == 2
    assert "records invites sent to the sandbox" in capsys.readouterr().err
    assert api.bodies == []


def test_template_refuses_to_overwrite_without_force(tmp_path: Path, capsys: Any) -> None:
    out = tmp_path / "t.xlsx"
    main(["template", "-o", str(out)])
    assert cli("template", "-o", out) == 2
    assert "already exists" in capsys.readouterr().err
    main(["template", "-o", str(out), "--force"])


def test_map_naming_a_missing_column_is_a_usage_error(tmp_path: Path, capsys: Any) -> None:
    code = cli("check", SAMPLES / "patients.csv", "--map", "Cel #=phone_number", "-o",
               tmp_path / "o.xlsx")  # fmt: skip
    assert code == 2 and "Cel #" in capsys.readouterr().err


def test_json_log_format_keeps_stdout_free_of_prose(tmp_path: Path, capsys: Any) -> None:
    assert cli("check", SAMPLES / "patients.csv", "--exams", "1822", "--log-format", "json",
               "-o", tmp_path / "o.xlsx") == 0  # fmt: skip
    assert capsys.readouterr().out == ""
