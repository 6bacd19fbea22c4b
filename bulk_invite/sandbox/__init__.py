"""A local Qualiphy-compatible API for demos and tests (stdlib ``http.server``, threaded).

Same paths, field checks, response shapes and exact error strings as Qualiphy, plus fault knobs
(latency, 500/503/429, dropped connections, late answers, a server-side rate limit, redirects, an
oversized response) and a durable JSON Lines log of every invite it created.

Per request, one seeded draw picks at most one fault. 429 and 503 strike before anything is read
and create nothing. 500, drop-after-read, late and ``huge_response`` strike only requests that would
have succeeded, after the invite is created and logged: the client cannot know it exists.
The server-side rate limit and ``redirect_to`` apply to every request and create nothing.
"""

from __future__ import annotations

from .config import (
    DEFAULT_EXAMS,
    DEMO_API_KEY,
    ConfigOption,
    SandboxConfig,
    SandboxExam,
    config_options,
)
from .records import RequestRecord, max_requests_in_window, read_invite_log
from .rules import (
    CONTRACT_UNSIGNED,
    NO_PROVIDER,
    ONE_RX_ONLY,
    RX_CONTRACT_UNSIGNED,
    SERVER_ERROR,
    UNAUTHORIZED,
)
from .server import HUGE_LENGTH, MEETING_URL, Sandbox, serve_forever

__all__ = [
    "CONTRACT_UNSIGNED",
    "DEFAULT_EXAMS",
    "DEMO_API_KEY",
    "HUGE_LENGTH",
    "MEETING_URL",
    "NO_PROVIDER",
    "ONE_RX_ONLY",
    "RX_CONTRACT_UNSIGNED",
    "SERVER_ERROR",
    "UNAUTHORIZED",
    "ConfigOption",
    "RequestRecord",
    "Sandbox",
    "SandboxConfig",
    "SandboxExam",
    "config_options",
    "max_requests_in_window",
    "read_invite_log",
    "serve_forever",
]
