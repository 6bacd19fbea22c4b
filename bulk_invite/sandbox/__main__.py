"""``python -m bulk_invite.sandbox``: run the sandbox as its own process (crash tests, demos).

Prints one line, ``listening on <base URL>``, then serves until SIGTERM or Ctrl-C.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .config import SandboxConfig, config_options
from .server import serve_forever


def build_parser() -> argparse.ArgumentParser:
    """The argument parser: host, port, invite log, then one flag per ``SandboxConfig`` field."""
    parser = argparse.ArgumentParser(
        prog="python -m bulk_invite.sandbox",
        description="A local Qualiphy-compatible API for demos and tests.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="Address to bind (default loopback).")
    parser.add_argument("--port", type=int, default=0, help="Port to bind (0 = any free port).")
    parser.add_argument("--invite-log", type=Path, help="Append every created invite here (JSONL).")
    for option in config_options():
        if option.is_bool:
            parser.add_argument(
                option.flag,
                dest=option.name,
                action=argparse.BooleanOptionalAction,
                default=option.default,
                help=option.help,
            )
        else:
            parser.add_argument(
                option.flag,
                dest=option.name,
                type=option.parse,
                default=option.default,
                help=option.help,
            )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse flags, serve, and return the process exit code."""
    parser = build_parser()
    args = vars(parser.parse_args(argv))
    host, port, invite_log = args.pop("host"), args.pop("port"), args.pop("invite_log")
    try:
        config = SandboxConfig(**args)
    except ValueError as exc:
        parser.error(str(exc))

    def announce(url: str) -> None:
        print(f"listening on {url}", flush=True)

    try:
        serve_forever(config, host, port, invite_log=invite_log, on_ready=announce)
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        print(f"cannot serve on {host}:{port}: {exc.strerror}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
