"""The sandbox HTTP server: Qualiphy's routes and answers, with faults injected on demand."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import random
import signal
import socket
import socketserver
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any, cast
from urllib.parse import urlsplit

from .config import SandboxConfig, SandboxExam
from .records import LOGGED_FIELDS, InviteLog, RequestRecord, read_invite_log
from .rules import (
    INVALID_REQUEST,
    SERVER_ERROR,
    Refusal,
    check_api_key,
    check_invite,
)

DEFAULT_CONFIG = SandboxConfig()
MEETING_URL = "https://app.qualiphy.me/meeting/"
#: The Content-Length announced by ``huge_response`` answers (1 GiB).
HUGE_LENGTH = 1 << 30
#: Request bodies above this are refused with 413 without being read.
MAX_BODY_BYTES = 1 << 20

_ROUTES = {
    "/api/exam_invite": "invite",
    "/api/exam_invite/": "invite",
    "/api/exam_list": "list",
    "/api/exam_list/": "list",
}
# Faults drawn per request, in the order their probabilities are laid end to end on [0, 1).
_FAULTS = ("429", "503", "500", "drop", "late")


@dataclass(frozen=True)
class _Answer:
    status: int | None  # None: close the connection without answering
    body: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()
    fault: str | None = None
    created: bool = False
    delay: float = 0.0
    close: bool = False


def _refuse(refusal: Refusal, config: SandboxConfig, **extra: Any) -> _Answer:
    return _Answer(refusal.status, refusal.body(config), **extra)


class Sandbox:
    """A local Qualiphy-compatible API on a background thread; use as a context manager."""

    def __init__(
        self,
        config: SandboxConfig = DEFAULT_CONFIG,
        host: str = "127.0.0.1",
        port: int = 0,
        invite_log: Path | None = None,
        on_body: Callable[[str, bytes], None] | None = None,
    ) -> None:
        self.config = config
        #: Called with (path, raw body) for every request read; tests use it to check bodies.
        self.on_body = on_body
        self._address = (host, port)
        self._invite_log_path = invite_log
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()
        self._invite_lock = threading.Lock()
        self._stopping = threading.Event()
        self._arrivals: deque[float] = deque()
        self._requests: list[RequestRecord] = []
        self._invites: list[dict[str, Any]] = []
        self._next_exam_id = config.first_patient_exam_id
        self._log: InviteLog | None = None
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> Sandbox:
        """Bind the port and serve on a daemon thread; returns self."""
        if self._server is not None:
            return self
        if self._invite_log_path is not None:
            # Keep patient_exam_ids increasing across restarts that share one log.
            for invite in read_invite_log(self._invite_log_path):
                ids = invite.get("patient_exam_ids") or [0]
                self._next_exam_id = max(self._next_exam_id, max(ids) + 1)
            self._log = InviteLog(self._invite_log_path)
        self._stopping.clear()
        self._server = _Server(self._address, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="qualiphy-sandbox",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, cut open connections and close the invite log (idempotent)."""
        self._stopping.set()
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.close_open_connections()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound TCP port (known once started)."""
        if self._server is None:
            raise RuntimeError("the sandbox is not running: call start() first")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """The URL clients use as their base URL, e.g. ``http://127.0.0.1:54321``."""
        host = self._address[0]
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{self.port}"

    def invites(self) -> list[dict[str, Any]]:
        """The invites this sandbox created since it started, oldest first."""
        with self._invite_lock:
            return [dict(i) for i in self._invites]

    def requests(self) -> list[RequestRecord]:
        """Every request received since it started, in arrival order."""
        with self._lock:
            return list(self._requests)

    # -- request handling (called from handler threads) --------------------------------------

    def _record(self, record: RequestRecord) -> None:
        with self._lock:
            self._requests.append(record)

    def _over_rate_limit(self, now: float) -> bool:
        with self._lock:
            # Every arrival counts, refused or not, so a client hammering the server stays limited.
            self._arrivals.append(now)
            while self._arrivals and self._arrivals[0] <= now - 1.0:
                self._arrivals.popleft()
            return len(self._arrivals) > self.config.rate_limit

    def _draw(self) -> tuple[str | None, float]:
        cfg = self.config
        shares = (cfg.p_429, cfg.p_503, cfg.p_500, cfg.p_drop_after_read, cfg.p_late)
        with self._lock:
            roll, jitter = self._rng.random(), self._rng.random()
        edge = 0.0
        for fault, share in zip(_FAULTS, shares, strict=True):
            edge += share
            if roll < edge:
                return fault, jitter * cfg.latency_jitter
        return None, jitter * cfg.latency_jitter

    def _decide(self, method: str, path: str, body: bytes, now: float) -> _Answer:
        cfg = self.config
        if cfg.redirect_to:
            moved = {"http_code": cfg.redirect_status, "message": "Moved."}
            return _Answer(
                cfg.redirect_status, moved, (("Location", cfg.redirect_to),), fault="redirect"
            )
        retry = (("Retry-After", str(cfg.retry_after)),)
        if cfg.rate_limit and self._over_rate_limit(now):
            too_many = Refusal(429, "Too many requests.")
            return _refuse(too_many, cfg, headers=(("Retry-After", "1"),), fault="rate_limit")
        route = _ROUTES.get(urlsplit(path).path)
        if route is None:
            return _refuse(Refusal(404, "Not found."), cfg)
        if method != "POST":
            return _refuse(Refusal(405, "Method not allowed."), cfg, headers=(("Allow", "POST"),))
        fault, jitter = self._draw()
        delay = cfg.latency + jitter
        if fault == "429":
            too_many = Refusal(429, "Too many requests.")
            return _refuse(too_many, cfg, headers=retry, fault=fault, delay=delay)
        if fault == "503":
            headers = retry if cfg.retry_after_on_503 else ()
            unavailable = Refusal(503, "Service temporarily unavailable.")
            return _refuse(unavailable, cfg, headers=headers, fault=fault, delay=delay)
        try:
            payload = json.loads(body)
        except (ValueError, UnicodeDecodeError):
            payload = None
        if not isinstance(payload, dict):
            return _refuse(Refusal(400, INVALID_REQUEST), cfg, delay=delay)
        refusal = check_api_key(payload, cfg)
        if refusal is not None:
            return _refuse(refusal, cfg, delay=delay)
        if route == "list":
            listing = {"clinic_id": cfg.clinic_id, "exams": [e.to_json() for e in cfg.exams]}
            return self._with_fault(listing, fault, delay, created=False)
        checked = check_invite(payload, cfg)
        if isinstance(checked, Refusal):
            return _refuse(checked, cfg, delay=delay)
        shown_fault = "huge" if cfg.huge_response and fault is None else fault
        created = self._create_invite(payload, checked, shown_fault)
        return self._with_fault(created, fault, delay, created=True)

    def _with_fault(
        self, ok_body: dict[str, Any], fault: str | None, delay: float, *, created: bool
    ) -> _Answer:
        # The faults drawn here strike after the work is done: the client cannot tell it was.
        if fault == "500":
            failed = Refusal(500, SERVER_ERROR, key="error_message", with_code=False)
            return _refuse(failed, self.config, fault=fault, created=created, delay=delay)
        if fault == "drop":
            return _Answer(None, {}, fault=fault, created=created, delay=delay)
        if fault == "late":
            late = delay + self.config.late_seconds
            return _Answer(200, ok_body, fault=fault, created=created, delay=late)
        if self.config.huge_response:
            return _Answer(200, ok_body, fault="huge", created=created, delay=delay, close=True)
        return _Answer(200, ok_body, created=created, delay=delay)

    def _create_invite(
        self, payload: dict[str, Any], exams: list[SandboxExam], fault: str | None
    ) -> dict[str, Any]:
        meeting_uuid = str(uuid.uuid4())
        with self._invite_lock:
            ids = list(range(self._next_exam_id, self._next_exam_id + len(exams)))
            self._next_exam_id += len(exams)
            record: dict[str, Any] = {"meeting_uuid": meeting_uuid, "patient_exam_ids": ids}
            record.update({name: payload.get(name) for name in LOGGED_FIELDS})
            record["received_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")
            record["fault"] = fault
            # On disk before the answer leaves, so a count survives any client crash.
            if self._log is not None:
                self._log.append(record)
            self._invites.append(record)
        return {
            "http_code": 200,
            "meeting_url": MEETING_URL + meeting_uuid,
            "meeting_uuid": meeting_uuid,
            "patient_exams": [
                {"patient_exam_id": pid, "exam_title": exam.title, "exam_id": exam.id}
                for pid, exam in zip(ids, exams, strict=True)
            ],
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Late answers may sleep for a long time: closing must not wait for their threads.
    block_on_close = False

    def __init__(self, address: tuple[str, int], sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind does a reverse DNS lookup (getfqdn) that can stall: skip it.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name, self.server_port = str(host), int(port)

    def process_request(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        if isinstance(request, socket.socket):
            with self._open_lock:
                self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: socket.socket | tuple[bytes, socket.socket]) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # The default prints a traceback to stderr; clients hanging up is routine here.
        return

    def close_open_connections(self) -> None:
        """Cut kept-alive connections so a stopped sandbox answers nothing more."""
        with self._open_lock:
            sockets = list(self._open)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "QualiphySandbox/1.0"
    sys_version = ""
    timeout = 60

    def log_message(self, format: str, *args: Any) -> None:
        # Silenced: stderr must stay free of request details, and paths or errors could carry PHI.
        return

    def do_POST(self) -> None:
        self._serve()

    do_GET = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = do_HEAD = do_POST

    def _serve(self) -> None:
        sandbox = cast(_Server, self.server).sandbox
        arrived, wall = time.monotonic(), time.time()
        body = self._read_body()
        if isinstance(body, _Answer):
            answer = body
        else:
            if sandbox.on_body is not None:
                sandbox.on_body(urlsplit(self.path).path, body)
            answer = sandbox._decide(self.command, self.path, body, arrived)
        path = urlsplit(self.path).path
        record = RequestRecord(
            arrived, wall, self.command, path, answer.status, answer.fault, answer.created
        )
        sandbox._record(record)
        self._deliver(answer, sandbox)

    def _read_body(self) -> bytes | _Answer:
        config = cast(_Server, self.server).sandbox.config
        if self.headers.get("Transfer-Encoding"):
            return _refuse(Refusal(411, "Length required."), config, close=True)
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            return _refuse(Refusal(400, INVALID_REQUEST), config, close=True)
        if length < 0 or length > MAX_BODY_BYTES:
            return _refuse(Refusal(413, "Request body too large."), config, close=True)
        return self.rfile.read(length) if length else b""

    def _deliver(self, answer: _Answer, sandbox: Sandbox) -> None:
        if answer.delay > 0 and sandbox._stopping.wait(answer.delay):
            self.close_connection = True
            return
        if answer.status is None:
            self.close_connection = True
            return
        data = json.dumps(answer.body).encode()
        try:
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            huge = answer.fault == "huge"
            self.send_header("Content-Length", str(HUGE_LENGTH if huge else len(data)))
            for name, value in answer.headers:
                self.send_header(name, value)
            if answer.close or huge:
                self.send_header("Connection", "close")
                self.close_connection = True
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data[:16] if huge else data)
            self.wfile.flush()
        except OSError:
            # The client gave up (a late answer after its timeout): nothing left to tell it.
            self.close_connection = True


def serve_forever(
    config: SandboxConfig = DEFAULT_CONFIG,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    invite_log: Path | None = None,
    on_ready: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Serve until SIGTERM or ``stop`` is set; Ctrl-C stops it and re-raises KeyboardInterrupt.

    ``on_ready`` receives the bound base URL once the port is open (the caller prints it).
    """
    stop_event = stop if stop is not None else threading.Event()
    in_main = threading.current_thread() is threading.main_thread()
    previous: Any = None
    if in_main:
        previous = signal.signal(signal.SIGTERM, lambda _sig, _frame: stop_event.set())
    try:
        with Sandbox(config, host, port, invite_log) as sandbox:
            if on_ready is not None:
                on_ready(sandbox.base_url)
            while not stop_event.wait(0.2):
                pass
    finally:
        if in_main:
            signal.signal(signal.SIGTERM, previous if previous is not None else signal.SIG_DFL)
