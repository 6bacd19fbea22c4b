"""Immutable run settings: every knob of a check or send run, with its default."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Literal
from urllib.parse import urlsplit

from .errors import UsageError
from .secret import Secret

DEFAULT_BASE_URL = "https://api.qualiphy.me"
DateOrder = Literal["mdy", "dmy", "ymd"]


@dataclass(frozen=True)
class Timeouts:
    """Seconds allowed to connect and to wait for the answer of one request."""

    connect: float = 5.0
    read: float = 30.0


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long a request that provably never arrived is tried again."""

    max_attempts: int = 5
    max_seconds: float = 120.0
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    #: A Retry-After longer than this stops the run cleanly instead of waiting.
    max_retry_after: float = 300.0
    #: Consecutive ambiguous or exhausted requests after which the API is taken to be down.
    breaker_threshold: int = 5


@dataclass(frozen=True)
class Settings:
    """Everything a run needs besides the input file; build once, never mutate."""

    output: Path | None = None
    sheet: str | None = None
    exams: tuple[int, ...] = ()
    encoding: str | None = None
    date_order: DateOrder = "mdy"
    column_map: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    defaults: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    carry: tuple[str, ...] = ()
    #: Headers named on the command line (``--map``): the file must have them.
    required_headers: tuple[str, ...] = ()
    #: Exam ID → rx_type (1 GFE, 2 Rx); None: use the catalog saved by ``bulk-invite exams``.
    catalog: Mapping[int, int] | None = None

    base_url: str = DEFAULT_BASE_URL
    api_key: Secret | None = None
    rate: float = 5.0
    concurrency: int | None = None  # None: adapt to rate × latency
    timeouts: Timeouts = Timeouts()
    retry: RetryPolicy = RetryPolicy()
    max_response_bytes: int = 1 << 20

    journal: Path | None = None
    dedup_window_days: float = 30.0
    force: bool = False
    resend_unknown: bool = False
    retry_ambiguous: bool = False
    dry_run: bool = False
    sandbox: bool = False
    lock_wait: float = 0.0

    def public(self) -> dict[str, object]:
        """The settings worth reporting (never the key), for summaries and ``config show``."""
        return {
            "base_url": "(the built-in sandbox)" if self.sandbox else self.base_url,
            "sandbox": self.sandbox,
            "rate": self.rate,
            "concurrency": self.concurrency or "auto",
            "exams": ",".join(str(e) for e in self.exams),
            "date_order": self.date_order,
            "sheet": self.sheet or "",
            "carry": ",".join(self.carry),
            "column_map": dict(self.column_map),
            "defaults": dict(self.defaults),
            "dry_run": self.dry_run,
            "force": self.force,
            "resend_unknown": self.resend_unknown,
            "retry_ambiguous": self.retry_ambiguous,
            "dedup_window_days": self.dedup_window_days,
            "timeouts": f"connect {self.timeouts.connect:g} s, read {self.timeouts.read:g} s",
            "max_attempts": self.retry.max_attempts,
            "max_retry_after": self.retry.max_retry_after,
            "breaker_threshold": self.retry.breaker_threshold,
            "journal": str(self.journal) if self.journal else "(default)",
            "lock_wait": self.lock_wait,
            "api_key": "****" if self.api_key else "(not set)",
        }

    def __post_init__(self) -> None:
        if not self.rate > 0:
            raise UsageError("--rate must be a positive number of requests per second.")
        if self.concurrency is not None and self.concurrency < 1:
            raise UsageError("--concurrency must be at least 1.")
        if self.dedup_window_days < 0:
            raise UsageError("--dedup-window cannot be negative.")
        if any(e <= 0 for e in self.exams):
            raise UsageError("--exams takes positive exam IDs, e.g. --exams 12,15.")
        check_base_url(self.base_url)
        object.__setattr__(self, "column_map", MappingProxyType(dict(self.column_map)))
        object.__setattr__(self, "defaults", MappingProxyType(dict(self.defaults)))
        if self.catalog is not None:
            object.__setattr__(self, "catalog", MappingProxyType(dict(self.catalog)))


def is_loopback_host(host: str) -> bool:
    """True for localhost and loopback addresses, where plain http is allowed."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(url: str) -> str:
    """Refuse a base URL that is not https (plain http only on loopback)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageError(f"--base-url must be an http(s) URL like {DEFAULT_BASE_URL}, not {url!r}.")
    if parts.scheme == "http" and not is_loopback_host(parts.hostname):
        raise UsageError(
            f"--base-url {url} uses plain http: patient data must travel over https "
            "(http is allowed only for a loopback test server)."
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise UsageError("--base-url must not contain credentials, a query or a fragment.")
    return url.rstrip("/")


def canonical_base_url(url: str) -> str:
    """One spelling per API address (case, default port and trailing slash do not matter)."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    default_port = {"http": 80, "https": 443}.get(parts.scheme.lower())
    port = f":{parts.port}" if parts.port and parts.port != default_port else ""
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme.lower()}://{host}{port}{parts.path.rstrip('/')}"
