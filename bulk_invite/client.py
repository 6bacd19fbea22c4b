"""QualiphyClient: one HTTP request at a time, and the classification of what came back."""

from __future__ import annotations

import enum
import json
import re
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import requests
import urllib3.exceptions

from .secret import Secret
from .settings import Timeouts, check_base_url


class Kind(enum.StrEnum):
    """What one request's result means for its row and for the run."""

    CREATED = "created"  # the invite exists: 2xx with a meeting URL
    REJECTED = "rejected"  # the API refused this row (400 and other row-level 4xx)
    STATE_BLOCKED = "state_blocked"  # no Patient Care Provider for the row's tele_state
    RX_BLOCKED = "rx_blocked"  # Rx exams need the Prescriptive Services Contract
    ACCOUNT = "account"  # bad key or unsigned contract: stop the whole run
    MISROUTED = "misrouted"  # a redirect or a missing endpoint: wrong base URL, stop the run
    THROTTLED = "throttled"  # 408/429/503: provably not processed, try again later
    NEVER_REACHED = "never_reached"  # the request never left this machine (refused, DNS, TLS)
    AMBIGUOUS = "ambiguous"  # the invite may or may not exist


#: Kinds after which the same request may be sent again without risking a duplicate.
SAFE_TO_RETRY = frozenset({Kind.THROTTLED, Kind.NEVER_REACHED})
#: Kinds that end the whole run at once.
RUN_ENDING = frozenset({Kind.ACCOUNT, Kind.MISROUTED})

#: Account-level answers whose text is documented, so it may be repeated outside the workbook.
KNOWN_ACCOUNT_MESSAGES = frozenset(
    {"Unauthorized access.", "You need to signed docusign and signed rx", "Need to sign contract!"}
)
UNAUTHORIZED = "Unauthorized access."


@dataclass(frozen=True, slots=True)
class Outcome:
    """The classified result of one request. ``message`` is the API's text, for the results only."""

    kind: Kind
    http_status: int | None = None
    message: str = ""
    error_class: str = ""
    meeting_url: str = ""
    meeting_uuid: str = ""
    patient_exam_ids: tuple[int, ...] = ()
    retry_after: float | None = None


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _message(body: Mapping[str, Any]) -> str:
    for key in ("message", "error_message", "error"):
        value = body.get(key)
        if isinstance(value, str) and value.strip():
            return _squash(value)
    return ""


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a Retry-After header given as seconds or as an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - now())


def _classify_401(message: str) -> Kind:
    lowered = message.lower()
    if "patient care provider" in lowered:
        return Kind.STATE_BLOCKED
    if "prescriptive services contract" in lowered:
        return Kind.RX_BLOCKED
    # "Unauthorized access.", "You need to signed docusign and signed rx", "Need to sign
    # contract!" and any 401 we do not recognise: the account needs a person, so stop.
    return Kind.ACCOUNT


def classify(
    status: int,
    body: bytes,
    headers: Mapping[str, str],
    now: Callable[[], float] = time.time,
) -> Outcome:
    """Classify an HTTP status, body and headers as an ``Outcome`` (both codes count)."""
    data: Any = None
    try:
        data = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        data = None
    parsed = data if isinstance(data, dict) else {}
    message = _message(parsed)
    body_code = parsed.get("http_code")
    code = status
    if 200 <= status < 300 and isinstance(body_code, int) and body_code != 200:
        code = body_code  # a 200 whose body reports an error is that error
    retry_after = parse_retry_after(headers.get("Retry-After"), now)

    if 200 <= code < 300:
        url = parsed.get("meeting_url")
        if not isinstance(url, str) or not url:
            what = "could not be read" if data is None else "has no meeting_url"
            return Outcome(
                Kind.AMBIGUOUS, status, f"The API answered {status} but the reply {what}."
            )
        exams = parsed.get("patient_exams")
        ids = tuple(
            int(e["patient_exam_id"])
            for e in (exams if isinstance(exams, list) else [])
            if isinstance(e, dict)
            and isinstance(e.get("patient_exam_id"), int | str)
            and str(e["patient_exam_id"]).isdigit()
        )
        uuid = parsed.get("meeting_uuid")
        return Outcome(
            Kind.CREATED,
            status,
            meeting_url=url,
            meeting_uuid=str(uuid or ""),
            patient_exam_ids=ids,
        )
    if 300 <= code < 400:
        return Outcome(
            Kind.MISROUTED,
            status,
            f"The API answered with a redirect ({status}), which is never followed; the "
            "invite may or may not exist. Check --base-url.",
        )
    if code == 403:
        return Outcome(
            Kind.ACCOUNT,
            code,
            "The API refused access (403 Forbidden): check the API key, the base URL and any "
            "firewall in between.",
        )
    if code == 401:
        return Outcome(_classify_401(message), code, message or UNAUTHORIZED)
    if code in (404, 405):
        return Outcome(
            Kind.MISROUTED, code, f"The API has no such endpoint ({code}). Check --base-url."
        )
    if code in (408, 429, 503):
        return Outcome(
            Kind.THROTTLED,
            code,
            message or f"The API asked to slow down ({code}).",
            retry_after=retry_after,
        )
    if 400 <= code < 500:
        return Outcome(Kind.REJECTED, code, message or f"The API refused this row ({code}).")
    return Outcome(
        Kind.AMBIGUOUS,
        code,
        message or f"The API answered {code}; the invite may or may not have been created.",
    )


def may_exist(outcome: Outcome) -> bool:
    """True when the request may have created the invite although no success came back."""
    status = outcome.http_status or 0
    return outcome.kind is Kind.AMBIGUOUS or (
        outcome.kind is Kind.MISROUTED and 300 <= status < 400
    )


def stop_reason(outcome: Outcome) -> str:
    """Why a run-ending answer stops the run, in our words (the summary and terminal show it)."""
    if outcome.kind is Kind.ACCOUNT and outcome.message in KNOWN_ACCOUNT_MESSAGES:
        return f"The API refused the account: {outcome.message}"
    if outcome.kind is Kind.ACCOUNT and outcome.http_status == 401:
        return (
            "The API refused this account (401): check the API key and the account's setup in "
            "the Qualiphy Portal."
        )
    return outcome.message


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if any(current is s for s in seen):
            continue
        seen.append(current)
        todo.extend(a for a in current.args if isinstance(a, BaseException))
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            todo.append(reason)
        for linked in (current.__cause__, current.__context__):
            if linked is not None:
                todo.append(linked)
    return seen


def never_reached(exc: requests.RequestException) -> bool:
    """True when the request provably never reached the server, so resending cannot duplicate.

    ``requests.ConnectionError`` covers both a refused connection and one dropped after the body
    was sent, so the urllib3 cause decides: only a failure to *establish* the connection counts.
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    if isinstance(exc, requests.exceptions.SSLError):
        # urllib3 also reports TLS errors met while reading the answer as SSLError; only a
        # certificate refused during the handshake proves the body was never sent.
        return any(isinstance(c, ssl.SSLCertVerificationError) for c in _chain(exc))
    if isinstance(exc, requests.exceptions.InvalidURL | requests.exceptions.MissingSchema):
        return True
    if not isinstance(exc, requests.ConnectionError):
        return False
    return any(
        isinstance(
            cause,
            urllib3.exceptions.NewConnectionError | urllib3.exceptions.ConnectTimeoutError,
        )
        for cause in _chain(exc)
    )


@dataclass(frozen=True, slots=True)
class KeyCheck:
    """What ``/api/exam_list`` said of the key: accepted, refused, or no clear answer (None)."""

    accepted: bool | None
    message: str = ""
    catalog: Any = None
    #: The check itself never reached the server (refused, DNS, connect timeout, certificate).
    unreachable: bool = False


class ResponseTooLarge(Exception):
    """The reply is over the size cap; it is not read."""

    def __init__(self, status: int = 0, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(status)
        self.status = status
        self.headers: Mapping[str, str] = headers or {}


class QualiphyClient:
    """Talks to one Qualiphy base URL through its own ``requests.Session`` (one per worker)."""

    def __init__(
        self,
        base_url: str,
        api_key: Secret,
        *,
        timeouts: Timeouts | None = None,
        max_response_bytes: int = 1 << 20,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = check_base_url(base_url)
        self._key = api_key
        self._timeouts = timeouts or Timeouts()
        self._cap = max_response_bytes
        self._session = session or requests.Session()
        # Environment proxies and CA bundles must not silently change where PHI goes or
        # which certificates are trusted.
        self._session.trust_env = False

    def close(self) -> None:
        """Close the connection pool."""
        self._session.close()

    def create_invite(self, payload: Mapping[str, Any]) -> Outcome:
        """POST one invite, exactly once (no retries here), and classify the result."""
        return self._post("/api/exam_invite", payload)

    def check_key(self) -> KeyCheck:
        """Ask ``/api/exam_list`` whether the key works, before any patient data is sent."""
        try:
            status, raw, headers = self._exchange("/api/exam_list", {})
        except requests.RequestException as exc:
            return KeyCheck(None, type(exc).__name__, unreachable=never_reached(exc))
        except ResponseTooLarge:
            return KeyCheck(None)
        outcome = classify(status, raw, headers)
        if outcome.kind in (Kind.ACCOUNT, Kind.MISROUTED):
            return KeyCheck(False, stop_reason(outcome))
        if status == 200:
            try:
                return KeyCheck(True, catalog=json.loads(raw))
            except ValueError:
                return KeyCheck(None)
        return KeyCheck(None)

    def _exchange(self, path: str, payload: Mapping[str, Any]) -> tuple[int, bytes, Any]:
        """One POST with the key in the body; (status, capped body, headers), or it raises."""
        response = self._session.post(
            self.base_url + path,
            json={**payload, "api_key": self._key.reveal()},
            timeout=(self._timeouts.connect, self._timeouts.read),
            allow_redirects=False,
            verify=True,
            stream=True,
        )
        with response:
            try:
                return response.status_code, self._read_capped(response), response.headers
            except ResponseTooLarge:
                raise ResponseTooLarge(response.status_code, response.headers) from None

    def _post(self, path: str, payload: Mapping[str, Any]) -> Outcome:
        try:
            status, raw, headers = self._exchange(path, payload)
        except ResponseTooLarge as exc:
            if 200 <= exc.status < 300:
                return Outcome(
                    Kind.AMBIGUOUS,
                    exc.status,
                    "The API's reply was too large to read; the invite may have been created.",
                    "ResponseTooLarge",
                )
            return classify(exc.status, b"", exc.headers)
        except requests.RequestException as exc:
            kind = Kind.NEVER_REACHED if never_reached(exc) else Kind.AMBIGUOUS
            return Outcome(kind, None, _transport_message(kind, exc), type(exc).__name__)
        return classify(status, raw, headers)

    def _read_capped(self, response: requests.Response) -> bytes:
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self._cap:
            raise ResponseTooLarge
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_content(chunk_size=65536):
                size += len(chunk)
                if size > self._cap:
                    raise ResponseTooLarge
                chunks.append(chunk)
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise requests.ConnectionError(exc) from exc
        return b"".join(chunks)


def _transport_message(kind: Kind, exc: requests.RequestException) -> str:
    name = type(exc).__name__
    if kind is Kind.NEVER_REACHED:
        return f"Could not reach the API ({name}); nothing was sent."
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return "The API did not answer in time; the invite may have been created."
    return f"The connection broke after the request was sent ({name}); the invite may exist."
