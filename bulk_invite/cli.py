"""The ``bulk-invite`` command: flags → Settings → one library call; errors → exit codes."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import IO, Any

import click

from . import __version__
from .errors import BulkInviteError, UsageError
from .hardening import harden, quiet_background_errors
from .models import RunSummary, Status
from .settings import DEFAULT_BASE_URL, RetryPolicy, Settings, Timeouts

EXIT_INTERRUPTED = 130
_STATUS_ORDER = [s.value for s in Status]


def _exams(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, ...]:
    if not value:
        return ()
    try:
        exams = tuple(int(p) for p in value.replace(";", ",").split(",") if p.strip())
    except ValueError:
        raise click.BadParameter("give exam IDs as numbers, e.g. --exams 12,15") from None
    if not exams or any(e <= 0 for e in exams):
        raise click.BadParameter("give positive exam IDs, e.g. --exams 12,15")
    return exams


def _common(func: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.argument("file", type=click.Path(path_type=Path, dir_okay=False)),
        click.option(
            "-o",
            "--output",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Results workbook (default: <input>.results.xlsx beside the input).",
        ),
        click.option("--sheet", help="Sheet name or number (1 = first) to read."),
        click.option(
            "--exams", callback=_exams, help="Default exam IDs for rows without any, e.g. 12,15."
        ),
        click.option("--encoding", help="Text encoding of a CSV file (detected when omitted)."),
        click.option(
            "--date-order",
            type=click.Choice(["mdy", "dmy", "ymd"]),
            default="mdy",
            show_default=True,
            help="Order for dates like 03/04/1990 when a column cannot tell.",
        ),
        click.option(
            "--summary-json", metavar="PATH|-", help="Write a JSON summary (- for stdout)."
        ),
        click.option(
            "--log-format",
            type=click.Choice(["plain", "json"]),
            default="plain",
            show_default=True,
            help="Format of log lines on stderr.",
        ),
        click.option("-q", "--quiet", is_flag=True, help="Print only errors."),
        click.option(
            "-v", "--verbose", is_flag=True, help="Log every request (never patient data)."
        ),
        click.option(
            "--no-progress", is_flag=True, help="No progress bar (automatic when not a terminal)."
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bulk-invite")
def cli() -> None:
    """Send Qualiphy exam invites in bulk from a patient spreadsheet, safely."""


@cli.command()
@_common
def check(**opts: Any) -> None:
    """Validate FILE and write its results workbook; sends nothing."""
    _run("check", opts)


@cli.command()
@_common
@click.option(
    "--base-url", default=DEFAULT_BASE_URL, show_default=True, help="Qualiphy API address."
)
@click.option(
    "--api-key-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="File holding the API key (else QUALIPHY_API_KEY); must be chmod 600.",
)
@click.option(
    "--rate", type=float, default=5.0, show_default=True, help="Requests per second, at most."
)
@click.option(
    "--concurrency",
    type=int,
    default=None,
    help="Requests in flight at once (default: adapts to --rate and the API's latency).",
)
@click.option("--sandbox", is_flag=True, help="Send to a built-in local sandbox with a demo key.")
@click.option("--dry-run", is_flag=True, help="Check with send's settings; send nothing.")
@click.option(
    "--journal",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Journal file that remembers what was sent (default: one per user and API).",
)
@click.option(
    "--dedup-window",
    type=float,
    default=30.0,
    show_default=True,
    help="Days during which an invite already sent is not sent again.",
)
@click.option("--force", is_flag=True, help="Send even rows the journal says were already sent.")
@click.option(
    "--resend-unknown", is_flag=True, help="Send again rows whose earlier outcome is unknown."
)
@click.option(
    "--retry-ambiguous",
    is_flag=True,
    help="Retry timeouts and 5xx too (may rarely invite a patient twice).",
)
@click.option(
    "--lock-wait",
    type=float,
    default=0.0,
    show_default=True,
    help="Seconds to wait for another run using the same journal (0 = fail at once).",
)
@click.option(
    "--connect-timeout", type=float, default=5.0, show_default=True, help="Seconds to connect."
)
@click.option(
    "--read-timeout",
    type=float,
    default=30.0,
    show_default=True,
    help="Seconds to wait for an answer.",
)
@click.option(
    "--max-attempts",
    type=int,
    default=5,
    show_default=True,
    help="Attempts per row for requests that provably never arrived, 408, 429 and 503.",
)
def send(**opts: Any) -> None:
    """Validate FILE, send an invite for every valid row, write the results workbook."""
    _run("send", opts)


_METAVARS: dict[Any, str] = {int: "N", float: "NUMBER", str: "TEXT"}


def _sandbox_options(func: Callable[..., Any]) -> Callable[..., Any]:
    from .sandbox import config_options

    # The accepted key stays the demo key: no key is ever taken from a flag value.
    for option in reversed([o for o in config_options() if o.name != "api_key"]):
        if option.is_bool:
            flag = f"{option.flag}/--no-{option.flag[2:]}"
            func = click.option(flag, option.name, default=option.default, help=option.help)(func)
        else:
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


@cli.command()
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


def _settings(command: str, opts: dict[str, Any]) -> Settings:
    from .secret import load_api_key

    common: dict[str, Any] = {
        "output": opts["output"],
        "sheet": opts["sheet"],
        "exams": opts["exams"],
        "encoding": opts["encoding"],
        "date_order": opts["date_order"],
    }
    if command == "check":
        return Settings(**common)
    sending = not opts["dry_run"] and not opts["sandbox"]
    return Settings(
        **common,
        base_url=opts["base_url"],
        api_key=load_api_key(opts["api_key_file"]) if sending else None,
        rate=opts["rate"],
        concurrency=opts["concurrency"],
        timeouts=Timeouts(connect=opts["connect_timeout"], read=opts["read_timeout"]),
        retry=RetryPolicy(max_attempts=max(1, opts["max_attempts"])),
        journal=opts["journal"],
        dedup_window_days=opts["dedup_window"],
        force=opts["force"],
        resend_unknown=opts["resend_unknown"],
        retry_ambiguous=opts["retry_ambiguous"],
        dry_run=opts["dry_run"],
        sandbox=opts["sandbox"],
        lock_wait=opts["lock_wait"],
    )


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """First Ctrl-C or SIGTERM: stop dispatching and finish cleanly; second Ctrl-C: abort."""

    def handler(signum: int, frame: FrameType | None) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        stop.set()
        click.echo("Stopping: finishing requests in flight, then writing the results…", err=True)

    previous = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _run(command: str, opts: dict[str, Any]) -> None:
    from . import logs
    from .pipeline import run
    from .report import write_summary_json

    level = (
        logging.DEBUG if opts["verbose"] else logging.ERROR if opts["quiet"] else logging.WARNING
    )
    logs.configure(sys.stderr, level=level, fmt=opts["log_format"])
    settings = _settings(command, opts)
    stop = threading.Event()
    show_progress = not (opts["no_progress"] or opts["quiet"]) and sys.stderr.isatty()
    with _stop_on_signals(stop), _progress(show_progress) as on_row:
        summary = run(opts["file"], settings, command=command, stop_event=stop, on_row=on_row)  # type: ignore[arg-type]
    if opts["summary_json"]:
        write_summary_json(summary, opts["summary_json"], sys.stdout)
    if not opts["quiet"]:
        _print_summary(summary, sys.stderr if opts["summary_json"] == "-" else sys.stdout)
    raise SystemExit(summary.exit_code)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[Any], None] | None]:
    if not enabled:
        yield None
        return
    from rich.progress import Progress

    with Progress(transient=True) as progress:
        task = progress.add_task("Sending", total=None)
        yield lambda event: progress.advance(task)


def _print_summary(summary: RunSummary, out: IO[str]) -> None:
    counts = {k: v for k, v in summary.counts.items() if v}
    lines = [f"{summary.rows} rows in {summary.input_file}:"]
    for status in _STATUS_ORDER:
        if status in counts:
            lines.append(f"  {status:<13}{counts[status]:>7}")
    lines.append(f"Results: {summary.results_file}")
    if summary.journal:
        lines.append(f"Journal: {summary.journal}")
    if summary.aborted_reason:
        lines.append(f"Stopped early: {summary.aborted_reason}")
    fix = counts.get("invalid", 0) + counts.get("rejected", 0)
    if fix:
        lines.append(
            f"{fix} rows need fixing: open the 'To fix' sheet, correct them, then run "
            f'bulk-invite {summary.command.split()[0]} "{summary.results_file}" --sheet "To fix"'
        )
    if counts.get("unknown"):
        lines.append(
            f"{counts['unknown']} rows have an unknown outcome: check the Qualiphy portal before "
            "sending them again (--resend-unknown)."
        )
    if counts.get("not_sent"):
        lines.append(
            f"{counts['not_sent']} rows were not sent: run the same command again to resume."
        )
    lines.append(f"Exit code {summary.exit_code}.")
    click.echo("\n".join(lines), file=out)


def main(argv: list[str] | None = None) -> None:
    """Entry point: the one error boundary of the tool."""
    try:
        harden()
        with quiet_background_errors():
            cli.main(args=argv, prog_name="bulk-invite", standalone_mode=False)
    except SystemExit:
        raise
    except click.exceptions.Abort:
        click.echo("Interrupted.", err=True)
        raise SystemExit(EXIT_INTERRUPTED) from None
    except click.ClickException as exc:
        exc.show()
        raise SystemExit(2) from None
    except BulkInviteError as exc:
        click.echo(f"bulk-invite: {exc}", err=True)
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        click.echo("Interrupted.", err=True)
        raise SystemExit(EXIT_INTERRUPTED) from None
    except Exception as exc:  # the boundary: no traceback, which could show patient data
        if os.environ.get("BULK_INVITE_TRACEBACK") == "1":
            raise
        click.echo(
            f"bulk-invite: internal error ({type(exc).__name__}); no details are shown because "
            "they could contain patient data. Set BULK_INVITE_TRACEBACK=1 to see them.",
            err=True,
        )
        raise SystemExit(3) from None
