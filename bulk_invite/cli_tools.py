"""The helper commands: ``sandbox``, ``exams``, ``template`` and ``config show``."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from .cli_options import api_options, config_option
from .errors import BulkInviteError, UsageError

_METAVARS: dict[Any, str] = {int: "N", float: "NUMBER", str: "TEXT"}


def _sandbox_options(func: Callable[..., Any]) -> Callable[..., Any]:
    from .sandbox import config_options

    # The sandbox keeps its demo key: no key is ever taken from a flag value.
    for option in reversed([o for o in config_options() if o.name != "api_key"]):
        if option.is_bool:
            flag = f"{option.flag}/--no-{option.flag[2:]}"
            func = click.option(flag, option.name, default=option.default, help=option.help)(func)
            continue
        default = option.default
        if isinstance(default, frozenset):
            default = ",".join(sorted(default))  # shown and parsed as the flag's own text
        func = click.option(
            option.flag,
            option.name,
            type=option.parse,
            default=default,
            show_default=True,
            metavar=_METAVARS.get(option.parse, "LIST"),
            help=option.help,
        )(func)
    return func


@click.command(short_help="Run a local Qualiphy-compatible API.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=int, default=8765, show_default=True, help="Port (0 = any free).")
@click.option(
    "--invite-log",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Append every created invite to this JSON-lines file.",
)
@_sandbox_options
def sandbox(host: str, port: int, invite_log: Path | None, **config: Any) -> None:
    """Serve a local Qualiphy-compatible API for demos and tests (key: sandbox-demo-key)."""
    from .sandbox import SandboxConfig, serve_forever

    try:
        sandbox_config = SandboxConfig(**config)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    try:
        serve_forever(
            sandbox_config,
            host,
            port,
            invite_log=invite_log,
            on_ready=lambda url: click.echo(f"Sandbox API listening on {url} (Ctrl-C to stop)"),
        )
    except OSError as exc:
        raise UsageError(f"Cannot listen on {host}:{port}: {exc.strerror}.") from None


@click.command(short_help="List the clinic's exams (and keep them for checks).")
@api_options
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of a table.")
@click.option("--save", is_flag=True, help="Keep the list so check and send validate exam IDs.")
@config_option
def exams(
    base_url: str | None,
    api_key_file: Path | None,
    sandbox: bool,
    as_json: bool,
    save: bool,
    config_path: Path | None,
) -> None:
    """List the clinic's exams (ID, Rx or not, title) from the Qualiphy API."""
    from .catalog import catalog_path, parse_exam_list, save_catalog
    from .client import QualiphyClient
    from .config import build_settings, load_config
    from .pipeline import endpoint

    flags = {"base_url": base_url, "api_key_file": api_key_file, "sandbox": sandbox}
    settings = build_settings(
        {k: v for k, v in flags.items() if v},
        load_config(config_path),
        needs_key=not sandbox,
    )
    with contextlib.ExitStack() as stack:
        url, key = endpoint(settings, stack)
        client = QualiphyClient(url, key, timeouts=settings.timeouts)
        stack.callback(client.close)
        check = client.check_key()
    if check.accepted is False:
        raise UsageError(f"Could not get the exam list from {url}: {check.message}")
    if check.unreachable:
        raise UsageError(f"Could not get the exam list from {url}: no answer ({check.message}).")
    try:
        listing = parse_exam_list(check.catalog)
    except BulkInviteError:
        raise UsageError(f"Could not get the exam list from {url}: an unexpected answer.") from None
    if as_json:
        click.echo(json.dumps([{"id": e.id, "title": e.title, "rx_type": e.rx_type}
                               for e in listing], indent=1))  # fmt: skip
    else:
        click.echo(f"{'ID':>6}  {'Rx':<3}  Title")
        for exam in listing:
            click.echo(f"{exam.id:>6}  {'Rx' if exam.is_rx else '-':<3}  {exam.title}")
    if save:
        path = save_catalog(listing, catalog_path(settings.base_url, sandbox=sandbox))
        which = (
            "send --sandbox runs" if sandbox
            else f"check and send runs against {settings.base_url} (flag or config base_url)"
        )  # fmt: skip
        click.echo(f"Saved {len(listing)} exams to {path}; {which} now check exam IDs.", err=True)


@click.command(short_help="Write a blank input workbook.")
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path("patients-template.xlsx"),
    show_default=True,
    help="Where to write the blank input workbook.",
)
@click.option("--force", is_flag=True, help="Replace the file if it already exists.")
def template(output: Path, force: bool) -> None:
    """Write a blank input workbook: the right headers, drop-downs and text-formatted columns."""
    from .template import write_template

    if output.exists() and not force:
        raise UsageError(
            f"{output} already exists (it may hold patients): choose another name with -o, "
            "or pass --force to replace it."
        )
    path = write_template(output)
    click.echo(f"Wrote {path}: fill in one patient per row, then run bulk-invite check {path}")


@click.group()
def config() -> None:
    """Inspect the settings a run would use."""


@config.command("show")
@config_option
def config_show(config_path: Path | None) -> None:
    """Print the effective settings (flags aside) with the API key masked."""
    import os

    from .config import build_settings, load_config
    from .errors import SecretError
    from .secret import ENV_VAR, load_api_key

    loaded = load_config(config_path)
    settings = build_settings({}, loaded, needs_key=False)
    values = settings.public()
    key_file = loaded.values.get("api_key_file")
    values["api_key"] = (
        f"**** (from {ENV_VAR})" if os.environ.get(ENV_VAR, "").strip()
        else f"**** (from {key_file})" if key_file else "(not set)"
    )  # fmt: skip
    if key_file and not os.environ.get(ENV_VAR, "").strip():
        try:
            load_api_key(key_file, {})
        except SecretError as exc:
            values["api_key"] = f"(unusable: {exc})"
    click.echo(f"config file: {loaded.path or '(none)'}")
    for name, value in values.items():
        click.echo(f"{name}: {value}")


def register(group: click.Group) -> None:
    """Add the helper commands to the main command group."""
    for command in (sandbox, exams, template, config):
        group.add_command(command)
