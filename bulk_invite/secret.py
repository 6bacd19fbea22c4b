"""The API key, held in a type that never shows itself, and where it may come from."""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from pathlib import Path

from .errors import SecretError

ENV_VAR = "QUALIPHY_API_KEY"


class Secret:
    """A string that prints as ``'****'`` everywhere except where it is deliberately revealed."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        value = value.strip()
        if not value:
            raise SecretError("The API key is empty.")
        self._value = value

    def reveal(self) -> str:
        """The key itself: only for the request body."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('****')"

    def __str__(self) -> str:
        return "****"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a Secret cannot be pickled")


def load_api_key(key_file: Path | None, environ: Mapping[str, str] | None = None) -> Secret:
    """Read the key from ``key_file`` (owner-only permissions required) or ``QUALIPHY_API_KEY``."""
    env = os.environ if environ is None else environ
    if key_file is not None:
        try:
            mode = key_file.stat().st_mode
        except OSError as exc:
            raise SecretError(f"Cannot read the API key file {key_file}: {exc.strerror}.") from None
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise SecretError(
                f"The API key file {key_file} can be read by other users; "
                f"fix it with: chmod 600 {key_file}"
            )
        try:
            text = key_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise SecretError(f"Cannot read the API key file {key_file}.") from None
        if not text.strip():
            raise SecretError(f"The API key file {key_file} is empty.")
        return Secret(text)
    value = env.get(ENV_VAR, "")
    if not value.strip():
        raise SecretError(
            f"No API key: set the {ENV_VAR} environment variable or pass --api-key-file PATH "
            "(or use --sandbox to try the tool without one)."
        )
    return Secret(value)
