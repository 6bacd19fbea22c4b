"""Command-line options shared by several commands, defined once."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Settings file (default: ./bulk-invite.toml when it exists).",
)


def apply(options: list[Callable[[Any], Any]], func: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate ``func`` with ``options``, first one outermost (as they show in ``--help``)."""
    for option in reversed(options):
        func = option(func)
    return func


def api_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Where the API is and how to authenticate: --base-url, --api-key-file, --sandbox."""
    return apply([
        click.option("--base-url", help="Qualiphy API address [https://api.qualiphy.me]."),
        click.option("--api-key-file", type=click.Path(path_type=Path, dir_okay=False),
                     help="File holding the API key (else QUALIPHY_API_KEY); must be chmod 600."),
        click.option("--sandbox", is_flag=True,
                     help="Use a built-in local sandbox API with a demo key (no network)."),
    ], func)  # fmt: skip
