"""The shared shape of every field normalizer: a value (or None) and the problems found."""

from __future__ import annotations

import json
import unicodedata
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

#: Characters people cannot see that sneak in from web forms and Word; they break matching.
INVISIBLE = frozenset(
    "\u200b\u200c\u200d\u2060\ufeff\u00ad\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
    "\u2066\u2067\u2068\u2069\u180e"
)
_DROP_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE), None)

#: Longest cell excerpt shown in a message; whole paragraphs in a message help nobody.
_SHOW_LIMIT = 60


def problem(code: str, message: str) -> Problem:
    """A Problem whose severity comes from the code registry (unknown codes fail loudly)."""
    return Problem(code, message, CODES[code].severity)


def fail(code: str, message: str) -> FieldResult[T]:
    """A result with no value and one problem."""
    return None, (problem(code, message),)


def tidy(raw: str, fold: bool = True) -> str:
    """Cell text trimmed, invisible characters removed and (``fold``) full-width forms folded."""
    text = raw.translate(_DROP_INVISIBLE) if not raw.isascii() else raw
    if fold and not text.isascii():
        text = unicodedata.normalize("NFKC", text)
    return text.strip()


def show(raw: str) -> str:
    """A cell value quoted for a message, shortened, with invisible characters made visible."""
    text = raw if len(raw) <= _SHOW_LIMIT else raw[: _SHOW_LIMIT - 1] + "…"
    # json.dumps escapes control characters, so a stray tab or NUL shows up as \t or \u0000.
    return json.dumps(text, ensure_ascii=False)


def any_error(problems: tuple[Problem, ...]) -> bool:
    """True when at least one problem is an error."""
    return any(p.is_error for p in problems)
