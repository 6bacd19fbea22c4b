"""The key has no way onto a command line or into a printout; errors name fields, never values."""

from __future__ import annotations

import io
import json
import logging
import pickle
import sys
import zipfile
from pathlib import Path

import click
import pytest

from bulk_invite.cli import cli
from bulk_invite.errors import BulkInviteError, InputFileError
from bulk_invite.load import open_table
from bulk_invite.logs import JsonFormatter, PlainFormatter
from bulk_invite.secret import Secret
from bulk_invite.settings import Settings

from .security_support import KEY, PHI, PHI_CANARIES, leaks, write_xlsx


def _all_params() -> list[tuple[str, click.Parameter]]:
    found: list[tuple[str, click.Parameter]] = []
    assert isinstance(cli, click.Group)
    for name, command in cli.commands.items():
        found.extend((name, p) for p in command.params)
    return found


def test_no_command_line_option_takes_the_key_itself() -> None:
    names = ("api_key", "apikey", "token", "secret", "password")
    key_params = [
        (c, p.name)
        for c, p in _all_params()
        if p.name == "key" or any(n in (p.name or "") for n in names)
    ]
    assert ("send", "api_key_file") in key_params
    assert {name for _, name in key_params} == {"api_key_file"}
    for _, param in _all_params():
        if param.name == "api_key_file":
            assert isinstance(param.type, click.Path)


def test_settings_and_secret_never_show_the_key() -> None:
    settings = Settings(api_key=Secret(KEY))
    shown = [
        repr(settings),
        str(settings),
        f"{settings.api_key}",
        format(settings.api_key, ""),
    ]
    shown.append(json.dumps(settings.public(), default=str))
    assert leaks(" ".join(shown), [KEY]) == []
    assert settings.api_key is not None and settings.api_key.reveal() == KEY
    with pytest.raises(TypeError):
        pickle.dumps(settings.api_key)


def _record(**extra: object) -> logging.LogRecord:
    try:
        raise ValueError(PHI["Email"])
    except ValueError:
        exc_info = sys.exc_info()
    record = logging.LogRecord(
        "bulk_invite.send", logging.ERROR, __file__, 1, "row finished %s", (PHI["Email"],), exc_info
    )
    record.__dict__.update(extra)
    return record


@pytest.mark.parametrize("formatter", [PlainFormatter(), JsonFormatter()])
def test_log_lines_drop_message_arguments_unlisted_fields_and_tracebacks(
    formatter: logging.Formatter,
) -> None:
    line = formatter.format(_record(row=7, email=PHI["Email"], payload=dict(PHI), status="sent"))
    assert leaks(line) == []
    assert "Traceback" not in line
    assert "row=7" in line or '"row": 7' in line


def test_damaged_csv_row_errors_give_the_row_number_not_its_content(tmp_path: Path) -> None:
    source = tmp_path / "broken.csv"
    source.write_text(",".join(PHI) + "\n" + ",".join(PHI.values()) + ',"' + "x" * 200_000 + "\n")
    with pytest.raises(InputFileError) as caught:
        list(open_table(source).rows)
    assert leaks(str(caught.value)) == []


def test_unreadable_workbook_errors_do_not_quote_the_parser_about_cells(tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", [list(PHI), list(PHI.values())])
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(broken, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/sharedStrings.xml":
                data = data.replace(b"<t>Canarylastzv</t>", b"<t>Canarylastzv</x>&bogus;")
            zout.writestr(info.filename, data)
    with pytest.raises(BulkInviteError) as caught:
        table = open_table(broken)
        list(table.rows)
    assert leaks(str(caught.value)) == []


def test_a_summary_written_to_stdout_holds_no_patient_data(tmp_path: Path) -> None:
    from bulk_invite.pipeline import run
    from bulk_invite.report import write_summary_json

    source = write_xlsx(tmp_path / "p.xlsx", [list(PHI), list(PHI.values())])
    summary = run(source, Settings(output=tmp_path / "r.xlsx"))
    out = io.StringIO()
    write_summary_json(summary, "-", out)
    assert leaks(out.getvalue(), [*PHI_CANARIES, KEY]) == []
