"""Classification of every documented Qualiphy response, with HTTP mocked by ``responses``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
import requests
import responses

from bulk_invite.client import Kind, QualiphyClient, classify, never_reached, parse_retry_after
from bulk_invite.secret import Secret
from bulk_invite.settings import Timeouts

BASE = "https://api.qualiphy.test"
URL = BASE + "/api/exam_invite"
PAYLOAD = {
    "exams": [1822],
    "first_name": "Ann",
    "last_name": "Lee",
    "email": "a@example.com",
    "dob": "1990-06-30",
    "phone_number": "+15552223344",
    "tele_state": "NY",
}
OK = {
    "http_code": 200,
    "meeting_url": "https://app.qualiphy.me/meeting/abc",
    "meeting_uuid": "abc",
    "patient_exams": [{"patient_exam_id": 4844, "exam_title": "GFE", "exam_id": 1822}],
}


def client(**kw: Any) -> QualiphyClient:
    return QualiphyClient(BASE, Secret("k-123"), timeouts=Timeouts(1, 1), **kw)


@responses.activate
def test_create_invite_sends_key_in_body_and_reads_meeting() -> None:
    responses.post(URL, json=OK)
    outcome = client().create_invite(PAYLOAD)
    assert outcome.kind is Kind.CREATED
    assert outcome.meeting_url.endswith("/abc") and outcome.patient_exam_ids == (4844,)
    sent = json.loads(responses.calls[0].request.body)
    assert sent["api_key"] == "k-123" and sent["first_name"] == "Ann"
    assert "k-123" not in responses.calls[0].request.url
    assert "k-123" not in str(dict(responses.calls[0].request.headers))


CASES = [
    # (HTTP status, body, expected kind, expected message fragment)
    (
        401,
        {"http_code": 401, "message": "Unauthorized access."},
        Kind.ACCOUNT,
        "Unauthorized access.",
    ),
    (401, {"error_message": "Unauthorized access."}, Kind.ACCOUNT, "Unauthorized access."),
    (
        401,
        {
            "http_code": 401,
            "error_message": "Need to add Patient Care Provider via Qualiphy Portal!",
        },
        Kind.STATE_BLOCKED,
        "Patient Care Provider",
    ),
    (
        401,
        {"http_code": 401, "message": "You need to signed docusign and signed rx"},
        Kind.ACCOUNT,
        "docusign",
    ),
    (401, {"http_code": 401, "error_message": "Need to sign contract!"}, Kind.ACCOUNT, "contract"),
    (
        401,
        {
            "http_code": 401,
            "error_message": "Need to sign Prescriptive Services Contract via\nQualiphy Portal!",
        },
        Kind.RX_BLOCKED,
        "Need to sign Prescriptive Services Contract via Qualiphy Portal!",
    ),
    (400, {"http_code": 400, "message": "Invalid dob"}, Kind.REJECTED, "Invalid dob"),
    (400, {"error_message": "Invalid Request."}, Kind.REJECTED, "Invalid Request."),
    (400, {"error": "phone_number is invalid"}, Kind.REJECTED, "phone_number is invalid"),
    (422, None, Kind.REJECTED, "422"),
    (
        500,
        {"error_message": "Something went wrong. Please try again later."},
        Kind.AMBIGUOUS,
        "Something went wrong",
    ),
    (502, None, Kind.AMBIGUOUS, "502"),
    (504, None, Kind.AMBIGUOUS, "504"),
    (503, None, Kind.THROTTLED, "503"),
    (429, None, Kind.THROTTLED, "429"),
    (408, None, Kind.THROTTLED, "408"),
    (404, None, Kind.MISROUTED, "base-url"),
    (200, {"http_code": 401, "message": "Unauthorized access."}, Kind.ACCOUNT, "Unauthorized"),
    (200, {"http_code": 400, "message": "Bad phone"}, Kind.REJECTED, "Bad phone"),
    (200, {"http_code": 200}, Kind.AMBIGUOUS, "no meeting_url"),
]


@pytest.mark.parametrize(("status", "body", "kind", "fragment"), CASES)
@responses.activate
def test_every_documented_response_is_classified(
    status: int, body: dict[str, Any] | None, kind: Kind, fragment: str
) -> None:
    responses.post(URL, status=status, body=json.dumps(body) if body is not None else "")
    outcome = client().create_invite(PAYLOAD)
    assert outcome.kind is kind
    assert fragment in outcome.message


@responses.activate
def test_unparseable_2xx_is_ambiguous() -> None:
    responses.post(URL, status=200, body="<html>gateway</html>")
    assert client().create_invite(PAYLOAD).kind is Kind.AMBIGUOUS


@pytest.mark.parametrize("status", [301, 302, 307, 308])
@responses.activate
def test_redirect_is_never_followed(status: int) -> None:
    responses.post(URL, status=status, headers={"Location": "https://elsewhere.test/x"})
    responses.post("https://elsewhere.test/x", json=OK)
    outcome = client().create_invite(PAYLOAD)
    assert outcome.kind is Kind.MISROUTED
    assert len(responses.calls) == 1


@responses.activate
def test_429_carries_retry_after_seconds() -> None:
    responses.post(URL, status=429, headers={"Retry-After": "7"})
    assert client().create_invite(PAYLOAD).retry_after == 7


def test_retry_after_accepts_http_dates() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    header = format_datetime(now + timedelta(seconds=42), usegmt=True)
    assert parse_retry_after(header, now=now.timestamp) == pytest.approx(42)
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


@responses.activate
def test_oversized_declared_response_is_refused_unread() -> None:
    responses.post(
        URL, json=OK, headers={"Content-Length": str(1 << 30)}, auto_calculate_content_length=False
    )
    outcome = client(max_response_bytes=1024).create_invite(PAYLOAD)
    assert outcome.kind is Kind.AMBIGUOUS and "too large" in outcome.message


@responses.activate
def test_oversized_streamed_response_is_refused() -> None:
    responses.post(URL, body=b"x" * 5000)
    outcome = client(max_response_bytes=1024).create_invite(PAYLOAD)
    assert outcome.kind is Kind.AMBIGUOUS


@responses.activate
def test_read_timeout_is_ambiguous() -> None:
    responses.post(URL, body=requests.exceptions.ReadTimeout("slow"))
    outcome = client().create_invite(PAYLOAD)
    assert outcome.kind is Kind.AMBIGUOUS and outcome.error_class == "ReadTimeout"


@responses.activate
def test_connect_timeout_never_reached() -> None:
    responses.post(URL, body=requests.exceptions.ConnectTimeout("no route"))
    assert client().create_invite(PAYLOAD).kind is Kind.NEVER_REACHED


def test_refused_connection_is_never_reached_over_a_real_socket() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nothing listens there
    outcome = QualiphyClient(f"http://127.0.0.1:{port}", Secret("k")).create_invite(PAYLOAD)
    assert outcome.kind is Kind.NEVER_REACHED


def test_connection_dropped_after_sending_is_ambiguous() -> None:
    from http.client import RemoteDisconnected

    import urllib3.exceptions

    exc = requests.ConnectionError(
        urllib3.exceptions.ProtocolError("Connection aborted.", RemoteDisconnected("closed"))
    )
    assert not never_reached(exc)


def test_classify_reads_message_error_message_then_error() -> None:
    body = json.dumps({"error": "c", "error_message": "b", "message": "a"}).encode()
    assert classify(400, body, {}).message == "a"


def test_client_ignores_environment_proxies_and_ca_bundles() -> None:
    assert client()._session.trust_env is False


def test_key_never_shows_in_repr() -> None:
    c = client()
    assert "k-123" not in repr(c.__dict__)


@responses.activate
def test_403_ends_the_run_as_an_account_problem() -> None:
    responses.post(URL, status=403, body="<html>blocked</html>")
    outcome = client().create_invite(PAYLOAD)
    assert outcome.kind is Kind.ACCOUNT and "403" in outcome.message


def test_tls_error_after_sending_is_not_never_reached() -> None:
    import ssl

    verify = requests.exceptions.SSLError(
        ssl.SSLCertVerificationError(1, "certificate verify failed")
    )
    assert never_reached(verify)
    read_side = requests.exceptions.SSLError(ssl.SSLError(1, "record layer failure"))
    assert not never_reached(read_side)


def test_run_stop_reason_never_repeats_unknown_server_text() -> None:
    from bulk_invite.client import Outcome, stop_reason

    odd = Outcome(Kind.ACCOUNT, 401, "Patient Jane Doe is blocked")
    assert "Jane" not in stop_reason(odd)
    assert "Unauthorized access." in stop_reason(Outcome(Kind.ACCOUNT, 401, "Unauthorized access."))
