"""The ``bulk-invite`` command: flags → Settings → one library call; errors → exit codes."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from types import FrameType
from typing import Any

import click

from . import __version__
from .cli_options import api_options, apply, config_option
from .errors import BulkInviteError
from .hardening import harden, quiet_background_errors

EXIT_INTERRUPTED = 130


def parse_exams(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[int, ...]:
    """``--exams 12,15`` → (12, 15)."""
    if not value:
        return ()
    try:
        exams = tuple(int(p) for p in value.replace(";", ",").split(",") if p.strip())
    except ValueError:
        raise click.BadParameter("give exam IDs as numbers, e.g. --exams 12,15") from None
    if not exams or any(e <= 0 for e in exams):
        raise click.BadParameter("give positive exam IDs, e.g. --exams 12,15")
    return exams


def _carry(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
    return tuple(c.strip() for c in (value or "").split(",") if c.strip())


def _common(func: Callable[..., Any]) -> Callable[..., Any]:
    return apply([
        click.argument("file", type=click.Path(path_type=Path, dir_okay=False)),
        click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
                     help="Results workbook (default: <input>.results.xlsx beside the input)."),
        click.option("--sheet", help="Sheet name or number (1 = first) to read."),
        click.option("--exams", callback=parse_exams,
                     help="Exam IDs for rows that name none, e.g. 12,15."),
        click.option("--encoding", help="Text encoding of a CSV file (detected when omitted)."),
        click.option("--date-order", type=click.Choice(["mdy", "dmy", "ymd"]),
                     help="Order of dates like 03/04/1990 when the file cannot tell [mdy]."),
        click.option("--map", "maps", multiple=True, metavar="COLUMN=FIELD",
                     help='Read a column as an API field, e.g. --map "Cell #=phone_number".'),
        click.option("--mapping", type=click.Path(path_type=Path, dir_okay=False),
                     help="TOML file of column = field pairs."),
        click.option("--carry", callback=_carry, metavar="COL,...",
                     help="Columns to pack into additional_data (e.g. your own patient ID)."),
        config_option,
        click.option("--summary-json", metavar="PATH|-",
                     help="Write a JSON summary (- for stdout)."),
        click.option("--log-format", type=click.Choice(["plain", "json"]), default="plain",
                     show_default=True, help="Format of log lines on stderr."),
        click.option("-q", "--quiet", is_flag=True, help="Print only errors."),
        click.option("-v", "--verbose", is_flag=True,
                     help="Log every request (row numbers and statuses, never patient data)."),
        click.option("--no-progress", is_flag=True,
                     help="No progress bar (automatic when stderr is not a terminal)."),
    ], func)  # fmt: skip


def _send_options(func: Callable[..., Any]) -> Callable[..., Any]:
    return apply([
        click.option("--rate", type=float, help="Requests per second, at most [5]."),
        click.option("--concurrency", type=int,
                     help="Requests in flight at once [adapts to --rate and the API's latency]."),
        click.option("--dry-run", is_flag=True, help="Check with send's settings; send nothing."),
        click.option("--journal", type=click.Path(path_type=Path, dir_okay=False),
                     help="Journal file that remembers what was sent [one per user and API]."),
        click.option("--dedup-window", type=float,
                     help="Days during which an invite already sent is not sent again [30]."),
        click.option("--force", is_flag=True,
                     help="Send even rows the journal says were already sent."),
        click.option("--resend-unknown", is_flag=True,
                     help="Send again rows whose earlier outcome is unknown."),
        click.option("--retry-ambiguous", is_flag=True,
                     help="Retry timeouts and 5xx too (may rarely invite a patient twice)."),
        click.option("--lock", type=click.Choice(["no-wait", "wait"]),
                     help="When another run holds the journal: fail at once, or wait [no-wait]."),
        click.option("--lock-wait", type=float,
                     help="The most seconds to wait for the journal (implies --lock wait) "
                          "[3600 with --lock wait]."),
        click.option("--connect-timeout", type=float, help="Seconds to connect [5]."),
        click.option("--read-timeout", type=float, help="Seconds to wait for an answer [30]."),
        click.option("--max-attempts", type=int,
                     help="Tries per row for requests that provably never arrived, 408, 429 "
                          "and 503 [5]."),
    ], func)  # fmt: skip


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="bulk-invite")
def cli() -> None:
    """Send Qualiphy exam invites in bulk from a patient spreadsheet, safely."""


@cli.command(short_help="Validate a patient list; send nothing.")
@_common
def check(**opts: Any) -> None:
    """Validate FILE and write its results workbook; sends nothing."""
    _run("check", opts)


@cli.command(short_help="Validate a patient list and send its invites.")
@_common
@api_options
@_send_options
def send(**opts: Any) -> None:
    """Validate FILE, send an invite for every valid row, write the results workbook."""
    _run("send", opts)


def settings_from_options(command: str, opts: dict[str, Any]) -> Any:
    """Flags (only those given) + environment + config file → Settings."""
    from .config import build_settings, load_config, load_mapping, parse_map_options

    config = load_config(opts.get("config_path"))
    columns = load_mapping(opts["mapping"]) if opts.get("mapping") else {}
    mapped = parse_map_options(opts.get("maps") or ())
    columns.update(mapped)
    flags = {k: v for k, v in opts.items() if v is not None and v is not False and v != ()}
    flags["column_map"] = columns
    flags["required_headers"] = tuple(mapped)
    # --lock no-wait beats everything; --lock wait without a limit waits an hour; otherwise
    # --lock-wait or the config file's lock_wait (0 = fail at once) decides.
    if opts.get("lock") == "no-wait":
        flags["lock_wait"] = 0.0
    elif opts.get("lock") == "wait" and opts.get("lock_wait") is None:
        flags["lock_wait"] = max(3600.0, float(config.values.get("lock_wait", 0.0)))
    flags.pop("lock", None)
    sending = command == "send" and not opts.get("dry_run") and not opts.get("sandbox")
    # A dry run given a key file checks it too, so a rehearsal catches an unsafe key file.
    rehearsal = command == "send" and bool(opts.get("dry_run")) and bool(opts.get("api_key_file"))
    return build_settings(flags, config, needs_key=sending or rehearsal)


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
    from .console import ProgressBar, summary_text
    from .pipeline import run
    from .report import write_summary_json

    # JSON logs are for machines: they get the per-row events unless --quiet.
    default = logging.INFO if opts["log_format"] == "json" else logging.WARNING
    level = logging.DEBUG if opts["verbose"] else logging.ERROR if opts["quiet"] else default
    logs.configure(sys.stderr, level=level, fmt=opts["log_format"])
    settings = settings_from_options(command, opts)
    stop = threading.Event()
    show = not (opts["no_progress"] or opts["quiet"]) and sys.stderr.isatty()
    bar = ProgressBar(sys.stderr) if show else None
    with _stop_on_signals(stop), bar or nullcontext():
        summary = run(opts["file"], settings, command=command,  # type: ignore[arg-type]
                      stop_event=stop, progress=bar)  # fmt: skip
    if opts["summary_json"]:
        write_summary_json(summary, opts["summary_json"], sys.stdout)
    # JSON logs mean a machine reads this run: its summary is the JSON one, not prose.
    if not opts["quiet"] and opts["log_format"] != "json":
        out = sys.stderr if opts["summary_json"] == "-" else sys.stdout
        click.echo(summary_text(summary), file=out)
    raise SystemExit(summary.exit_code)


def _register_tools() -> None:
    from .cli_tools import register

    register(cli)


_register_tools()


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
