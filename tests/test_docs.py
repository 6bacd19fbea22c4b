"""docs/reference.md stays true to the CLI: every command, option, default, status and exit code."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from bulk_invite.cli import EXIT_INTERRUPTED, cli
from bulk_invite.config import _SECTIONS, BASE_URL_ENV
from bulk_invite.errors import BulkInviteError
from bulk_invite.models import Status
from bulk_invite.pipeline import exit_code_for
from bulk_invite.secret import ENV_VAR

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference.md"
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]

_FLAG = re.compile(r"(?<![\w-])(--?[a-z][a-z0-9-]*)")
_HEADING = re.compile(r"^#{1,6} (.+)$", re.M)
_HELP_DEFAULT = re.compile(r"\[([\w.:/-]+)\]\.?$")


def _commands(
    group: click.Group = cli, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], click.Command]]:
    yield path, group
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = dict(_commands())
LEAVES = {path: cmd for path, cmd in COMMANDS.items() if not isinstance(cmd, click.Group)}


def _options(command: click.Command) -> list[click.Option]:
    return [p for p in command.params if isinstance(p, click.Option)]


def _flags(command: click.Command) -> set[str]:
    return {flag for p in _options(command) for flag in (*p.opts, *p.secondary_opts)}


def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(cli, [*path, "--help"], prog_name="bulk-invite")
    assert result.exit_code == 0, result.output
    return result.output


def _reference() -> str:
    return REFERENCE.read_text(encoding="utf-8")


def _sections_for(name: str) -> str:
    """The text under every heading of the reference that names the command ``name``."""
    text = _reference()
    heads = list(_HEADING.finditer(text))
    word = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])")
    parts = [
        text[h.end() : heads[i + 1].start() if i + 1 < len(heads) else len(text)]
        for i, h in enumerate(heads)
        if word.search(h.group(1))
    ]
    return "\n".join(parts)


def _table_rows(text: str) -> Iterator[tuple[str, str]]:
    """(first cell, whole line) of every markdown table row."""
    for line in text.splitlines():
        if line.startswith("| ") and not line.startswith("|---"):
            yield line.split(" | ")[0], line


@pytest.mark.parametrize("path", sorted(COMMANDS), ids=lambda p: " ".join(p) or "bulk-invite")
def test_help_of_every_command_lists_only_flags_the_reference_documents(
    path: tuple[str, ...],
) -> None:
    shown = set(_FLAG.findall(_help(path))) - {"-"}
    documented = set(_FLAG.findall(_reference()))
    assert shown - documented == set()


@pytest.mark.parametrize("path", sorted(LEAVES), ids=" ".join)
def test_every_option_of_a_command_is_in_that_commands_section_of_the_reference(
    path: tuple[str, ...],
) -> None:
    section = _sections_for(" ".join(path))
    assert section, f"no heading of docs/reference.md names `{' '.join(path)}`"
    documented = {
        flag
        for first_cell, _ in _table_rows(section)
        for flag in re.findall(r"`(--?[a-z][a-z0-9-]*)", first_cell)
    }
    assert _flags(LEAVES[path]) - {"-h", "--help"} - documented == set()


@pytest.mark.parametrize("path", sorted(LEAVES), ids=" ".join)
def test_a_commands_section_of_the_reference_names_no_option_it_lacks(
    path: tuple[str, ...],
) -> None:
    section = _sections_for(" ".join(path))
    listed = {
        flag
        for first_cell, _ in _table_rows(section)
        for flag in re.findall(r"`(--?[a-z][a-z0-9-]*)", first_cell)
    }
    assert listed - _flags(LEAVES[path]) == set()


def test_every_flag_named_anywhere_in_the_docs_exists() -> None:
    known = set().union(*(_flags(cmd) for cmd in COMMANDS.values())) | {"-h", "--help"}
    for doc in DOCS:
        named = {f for f in _FLAG.findall(_our_text(doc)) if f.startswith("--")}
        assert named - known == set(), doc.name


def _our_text(doc: Path) -> str:
    """Prose and tables, plus the bulk-invite part of code lines (not other programs' options)."""
    text = doc.read_text(encoding="utf-8")
    blocks = re.findall(r"```.*?```", text, flags=re.S)
    ours = [
        line.rsplit("bulk-invite ", 1)[1]
        for block in blocks
        for line in block.replace("\\\n", " ").splitlines()
        if "bulk-invite " in line
    ]
    return "\n".join([re.sub(r"```.*?```", "", text, flags=re.S), *ours])


def _shown_default(option: click.Option) -> str | None:
    if option.is_flag:
        return None
    if option.show_default and option.default not in (None, ()) and not callable(option.default):
        if repr(option.default).startswith("Sentinel"):
            return None
        return str(option.default)
    match = _HELP_DEFAULT.search(option.help or "")
    return match.group(1) if match else None


@pytest.mark.parametrize("path", sorted(LEAVES), ids=" ".join)
def test_the_reference_gives_each_options_default_as_the_help_does(path: tuple[str, ...]) -> None:
    rows = dict(
        (re.findall(r"`(--[a-z][a-z0-9-]*)", first)[0], line)
        for first, line in _table_rows(_sections_for(" ".join(path)))
        if re.search(r"`--[a-z]", first)
    )
    for option in _options(LEAVES[path]):
        default = _shown_default(option)
        if default is None or option.opts[-1] == "--help":
            continue
        assert f"`{default}`" in rows[option.opts[-1]], option.opts[-1]


def test_every_status_is_in_the_reference_table_of_statuses() -> None:
    text = _reference()
    table = text[text.index("## Statuses") : text.index("## Exit codes")]
    assert {s.value for s in Status} == {
        m for first, _ in _table_rows(table) for m in re.findall(r"`([a-z_]+)`", first)
    } - {"Status"}


def _exit_codes() -> set[int]:
    codes = {exit_code_for({s.value: 1}, None) for s in Status}
    pending = [BulkInviteError]
    while pending:
        cls = pending.pop()
        codes.add(cls.exit_code)
        pending.extend(cls.__subclasses__())
    return codes | {EXIT_INTERRUPTED}


def test_every_exit_code_the_tool_can_return_is_in_the_reference() -> None:
    text = _reference()
    table = text[text.index("## Exit codes") :]
    documented = {int(m) for m in re.findall(r"^\| `(\d+)` \|", table, re.M)}
    assert _exit_codes() <= documented
    assert documented == {0, 1, 2, 3, 4, 130}


def test_every_config_section_key_and_environment_variable_is_in_the_reference() -> None:
    text = _reference()
    config = text[text.index("## Configuration file") : text.index("## Environment variables")]
    for section, keys in _SECTIONS.items():
        start = config.index(f"### `[{section}]`")
        body = config[start : config.find("\n### ", start + 1)]
        for key in keys:
            assert f"`{key}`" in body, f"[{section}] {key}"
    for table in ("columns", "catalog"):
        assert f"### `[{table}]`" in config
    for variable in (ENV_VAR, BASE_URL_ENV, "BULK_INVITE_TRACEBACK"):
        assert f"`{variable}`" in text


def _anchors(doc: Path) -> set[str]:
    """GitHub's anchors for the headings of ``doc``."""
    text = re.sub(r"```.*?```", "", doc.read_text(encoding="utf-8"), flags=re.S)
    return {
        re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        for heading in _HEADING.findall(text)
    }


def test_docs_link_only_to_files_and_headings_that_exist() -> None:
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for target, anchor in re.findall(r"\]\(([^)#:]*)(?:#([^)]*))?\)", text):
            path = (doc.parent / target) if target else doc
            assert path.exists(), f"{doc.name} links to missing {target}"
            if anchor:
                assert anchor in _anchors(path), f"{doc.name} links to missing {target}#{anchor}"
