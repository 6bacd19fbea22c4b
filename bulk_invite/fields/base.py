"""The shared shape of every field normalizer: a value (or None) and the problems found."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TypeAlias, TypeVar

from ..models import Severity
from .codes import CODES

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem with one cell value; ``code`` is stable, ``message`` is for people."""

    code: str
    message: str
    severity: Severity

    @property
    def is_error(self) -> bool:
        """True when the problem stops the row from being sent."""
        return self.severity is Severity.ERROR


#: What every normalizer returns: the API-ready value (None when absent or unusable) and problems.
FieldResult: TypeAlias = tuple[T | None, tuple[Problem, ...]]

#: Longest cell excerpt shown in a message; whole paragraphs in a message help nobody.
_SHOW_LIMIT = 60


def problem(code: str, message: str) -> Problem:
    """A Problem whose severity comes from the code registry (unknown codes fail loudly)."""
    return Problem(code, message, CODES[code].severity)


def fail(code: str, message: str) -> FieldResult[T]:
    """A result with no value and one problem."""
    return None, (problem(code, message),)


def show(raw: str) -> str:
    """A cell value quoted for a message, shortened, with invisible characters made visible."""
    text = raw if len(raw) <= _SHOW_LIMIT else raw[: _SHOW_LIMIT - 1] + "…"
    # json.dumps escapes control characters, so a stray tab or NUL shows up as \t or \u0000.
    return json.dumps(text, ensure_ascii=False)


def any_error(problems: tuple[Problem, ...]) -> bool:
    """True when at least one problem is an error."""
    return any(p.is_error for p in problems)
