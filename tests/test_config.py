"""Settings from flags, environment and TOML; column mapping, --carry, the exam catalog."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bulk_invite import Settings, run
from bulk_invite.cli import cli, main
from bulk_invite.config import build_settings, load_config, load_mapping, parse_map_options
from bulk_invite.errors import UsageError
from bulk_invite.sandbox import DEMO_API_KEY, Sandbox
from tests.patients import write_patients_csv

CONFIG = """
[api]
base_url = "https://config.example.test"
key_file = "{key_file}"

[send]
rate = 3
concurrency = 2
read_timeout = 12
dedup_window = 7

[defaults]
exams = [1822, 2228]
tele_state = "TE"
webhook_url = "https://hooks.example.test/q"

[columns]
"Cell #" = "phone_number"

[catalog]
1822 = "gfe"
2769 = "rx"
"""


def write_config(tmp_path: Path) -> Path:
    key = tmp_path / "key.txt"
    key.write_text("file-key\n")
    key.chmod(0o600)
    path = tmp_path / "bulk-invite.toml"
    path.write_text(CONFIG.format(key_file=key))
    return path


def test_config_file_fills_every_section(tmp_path: Path) -> None:
    settings = build_settings({}, load_config(write_config(tmp_path)), needs_key=True, environ={})
    assert settings.base_url == "https://config.example.test"
    assert settings.rate == 3 and settings.concurrency == 2 and settings.timeouts.read == 12
    assert settings.dedup_window_days == 7 and settings.exams == (1822, 2228)
    assert dict(settings.defaults) == {
        "tele_state": "TE",
        "webhook_url": "https://hooks.example.test/q",
    }
    assert dict(settings.column_map) == {"Cell #": "phone_number"}
    assert dict(settings.catalog or {}) == {1822: 1, 2769: 2}
    assert settings.api_key is not None and settings.api_key.reveal() == "file-key"


def test_flags_beat_environment_beat_file_beat_defaults(tmp_path: Path) -> None:
    config = load_config(write_config(tmp_path))
    env = {"QUALIPHY_BASE_URL": "https://env.example.test", "QUALIPHY_API_KEY": "env-key"}
    from_env = build_settings({}, config, needs_key=True, environ=env)
    assert from_env.base_url == "https://env.example.test"
    assert from_env.api_key is not None and from_env.api_key.reveal() == "env-key"
    flagged = build_settings({"base_url": "https://flag.example.test", "rate": 9}, config,
                             needs_key=False, environ=env)  # fmt: skip
    assert flagged.base_url == "https://flag.example.test" and flagged.rate == 9
    assert build_settings({}, load_config(None, cwd=tmp_path / "none"), needs_key=False,
                          environ={}).rate == Settings().rate  # fmt: skip


def test_config_in_working_directory_is_found(tmp_path: Path) -> None:
    write_config(tmp_path)
    assert load_config(None, cwd=tmp_path).path == tmp_path / "bulk-invite.toml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[send]\nrat = 3\n", "unknown setting 'rat'"),
        ("[sending]\nrate = 3\n", "unknown section"),
        ("[defaults]\nexams = ['x']\n", "exam IDs"),
        ("[catalog]\n1822 = 'maybe'\n", r"1 \(GFE\) or 2 \(Rx\)"),
        ("[send\n", "cannot be read"),
        ("[send]\nrate = 'fast'\n", "rate must be a number"),
        ("[send]\nconcurrency = 2.5\n", "whole number"),
        ("[api]\nbase_url = 5\n", "base_url must be text"),
        ("rate = 5\n", "put it under \\[send\\]"),
        ("[send]\nconcurency = 2\n", "did you mean 'concurrency'"),
    ],
)
def test_config_mistakes_are_usage_errors_that_say_where(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(UsageError, match=message):
        load_config(path)


def test_map_options_and_mapping_files(tmp_path: Path) -> None:
    assert parse_map_options(("Cell # = phone_number", "A=B=first_name")) == {
        "Cell #": "phone_number", "A=B": "first_name"}  # fmt: skip
    with pytest.raises(UsageError, match="Column=field"):
        parse_map_options(("nothing",))
    mapping = tmp_path / "m.toml"
    mapping.write_text('[columns]\n"Given" = "first_name"\n')
    assert load_mapping(mapping) == {"Given": "first_name"}


def test_config_show_masks_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QUALIPHY_API_KEY", "super-secret-value")
    result = CliRunner().invoke(cli, ["config", "show", "--config", str(write_config(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "super-secret-value" not in result.output and "file-key" not in result.output
    assert "api_key: ****" in result.output and "rate: 3.0" in result.output


def cli_exit(*args: str | Path) -> int:
    with pytest.raises(SystemExit) as info:
        main([str(a) for a in args])
    return int(info.value.code or 0)


def test_map_and_carry_reach_the_request_body(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QUALIPHY_API_KEY", DEMO_API_KEY)
    source = write_patients_csv(tmp_path / "p.csv", range(3))
    text = source.read_text().replace("Phone", "Mobile Nbr", 1)
    source.write_text(text)
    bodies: list[dict[str, Any]] = []

    def keep(path: str, raw: bytes) -> None:
        if path == "/api/exam_invite":
            bodies.append(json.loads(raw))

    with Sandbox(on_body=keep) as api:
        code = cli_exit("send", source, "--base-url", api.base_url, "--journal", tmp_path / "j",
                        "-o", tmp_path / "o.xlsx", "--map", "Mobile Nbr=phone_number",
                        "--carry", "Patient ID", "-q", "--no-progress")  # fmt: skip
    assert code == 0 and len(bodies) == 3
    extra = json.loads(bodies[0]["additional_data"])
    assert extra == {"Patient ID": "PID-000000", "source_file": "p.csv", "source_row": 2}
    assert bodies[0]["phone_number"].startswith("+1555")


def test_carry_of_a_missing_column_is_a_usage_error(tmp_path: Path, capsys: Any) -> None:
    source = write_patients_csv(tmp_path / "p.csv", range(2))
    assert cli_exit("check", source, "--carry", "Nope") == 2
    assert "--carry" in capsys.readouterr().err


def test_saved_catalog_makes_check_refuse_unknown_and_multiple_rx_exams(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    result = CliRunner().invoke(cli, ["exams", "--sandbox", "--save"])
    assert result.exit_code == 0 and "2769" in result.output
    source = write_patients_csv(tmp_path / "p.csv", range(3))
    lines = source.read_text().splitlines()
    lines[1] = lines[1].replace(",1822,", ',"2769, 3702",')  # two Rx exams
    lines[2] = lines[2].replace(",1822,", ",99999,")  # not in the catalog
    source.write_text("\n".join(lines) + "\n")
    summary = run(source, Settings(sandbox=True, output=tmp_path / "o.xlsx"), command="check")
    assert summary.counts["invalid"] == 2 and summary.counts["valid"] == 1
    errors = [r[-5] for r in load_workbook(tmp_path / "o.xlsx")["Results"].iter_rows(
        min_row=2, values_only=True)]  # fmt: skip
    assert "split" in str(errors[0]).lower() and "99999" in str(errors[1])
    assert any("Exam catalog: 6 exams" in n for n in summary.notes)


def test_config_paths_are_relative_to_the_config_file_and_auto_concurrency_is_accepted(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "cfg"
    folder.mkdir()
    (folder / "c.toml").write_text(
        '[api]\nkey_file = "key.txt"\n[send]\njournal = "j.sqlite"\nconcurrency = "auto"\n'
    )
    config = load_config(folder / "c.toml")
    assert config.values["api_key_file"] == folder / "key.txt"
    assert config.values["journal"] == folder / "j.sqlite"
    assert build_settings({}, config, needs_key=False, environ={}).concurrency is None


def test_config_show_reports_an_unusable_key_file(tmp_path: Path) -> None:
    key = tmp_path / "key.txt"
    key.write_text("k")
    key.chmod(0o644)
    (tmp_path / "c.toml").write_text('[api]\nkey_file = "key.txt"\n')
    result = CliRunner(env={"QUALIPHY_API_KEY": ""}).invoke(
        cli, ["config", "show", "--config", str(tmp_path / "c.toml")]
    )
    assert result.exit_code == 0 and "unusable" in result.output and "chmod 600" in result.output
