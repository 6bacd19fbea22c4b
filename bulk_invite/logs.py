"""Logging that cannot leak patient data: only allow-listed fields ever reach a log line."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import IO, Any

#: The only record attributes a log line may show, besides time, level and event.
ALLOWED_FIELDS = (
    "row",
    "status",
    "http_status",
    "attempt",
    "outcome",
    "error_class",
    "elapsed_ms",
    "count",
    "exit_code",
)


def _fields(record: logging.LogRecord) -> dict[str, Any]:
    return {
        name: getattr(record, name)
        for name in ALLOWED_FIELDS
        if getattr(record, name, None) not in (None, "")
    }


class PlainFormatter(logging.Formatter):
    """``time level event key=value …`` with allow-listed fields only."""

    def format(self, record: logging.LogRecord) -> str:
        """Render one record; its message must be a fixed event name, never data."""
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="seconds")
        extras = " ".join(f"{k}={v}" for k, v in _fields(record).items())
        return f"{when} {record.levelname.lower()} {record.msg}" + (f" {extras}" if extras else "")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, event and allow-listed fields."""

    def format(self, record: logging.LogRecord) -> str:
        """Render one record as a JSON line."""
        when = datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds")
        return json.dumps(
            {
                "time": when,
                "level": record.levelname.lower(),
                "event": str(record.msg),
                **_fields(record),
            },
            default=str,
        )


def configure(stream: IO[str], *, level: int, fmt: str) -> logging.Handler:
    """Send the package's logs to ``stream`` in ``plain`` or ``json`` form; returns the handler."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else PlainFormatter())
    logger = logging.getLogger("bulk_invite")
    logger.handlers[:] = [handler]
    logger.setLevel(level)
    logger.propagate = False
    return handler
