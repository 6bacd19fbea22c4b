"""The sandbox behaves like Qualiphy over real sockets, and its fault knobs do what they say."""

from __future__ import annotations

import contextlib
import copy
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped]
import pytest
import requests
import urllib3
from hypothesis import given
from hypothesis import strategies as st

from bulk_invite.sandbox import (
    CONTRACT_UNSIGNED,
    DEMO_API_KEY,
    HUGE_LENGTH,
    MEETING_URL,
    NO_PROVIDER,
    ONE_RX_ONLY,
    RX_CONTRACT_UNSIGNED,
    SERVER_ERROR,
    UNAUTHORIZED,
    Sandbox,
    SandboxConfig,
    config_options,
    max_requests_in_window,
    read_invite_log,
    serve_forever,
)

SPEC_PATH = Path(__file__).parent / "data" / "qualiphy-openapi.json"
GFE, GFE_PRICED, RX, RX_LABS, URGENT, TEST_GFE = 2228, 1822, 2769, 3702, 1486, 4226
TIMEOUT = 5.0


def _nullable_to_type_list(node: Any) -> Any:
    # OpenAPI 3.0 says "nullable: true"; JSON Schema says type: [..., "null"].
    if isinstance(node, dict):
        out = {k: _nullable_to_type_list(v) for k, v in node.items() if k != "nullable"}
        if node.get("nullable") and isinstance(node.get("type"), str):
            out["type"] = [node["type"], "null"]
        return out
    if isinstance(node, list):
        return [_nullable_to_type_list(v) for v in node]
    return node


def openapi_validate(instance: Any, schema_name: str) -> None:
    spec = json.loads(SPEC_PATH.read_text(encoding="utf-8"))
    components = _nullable_to_type_list(spec["components"])
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": components}
    jsonschema.validate(instance, schema)


def invite_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "api_key": DEMO_API_KEY,
        "exams": [GFE],
        "first_name": "Test",
        "last_name": "Approve",
        "email": "test@example.com",
        "dob": "1990-06-30",
        "phone_number": "+15552223344",
        "tele_state": "NY",
        "additional_data": '{"row": 2}',
    }
    for key, value in overrides.items():
        if value is ...:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def post(sandbox: Sandbox, body: Any, path: str = "/api/exam_invite", **kw: Any) -> Any:
    kw.setdefault("timeout", TIMEOUT)
    return requests.post(sandbox.base_url + path, json=body, **kw)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


def started(tmp_path: Path | None = None, **config: Any) -> Sandbox:
    log = tmp_path / "invites.jsonl" if tmp_path is not None else None
    return Sandbox(SandboxConfig(**config), invite_log=log).start()


# -- success ---------------------------------------------------------------------------------


def test_valid_invite_returns_qualiphy_success_shape(sandbox: Sandbox) -> None:
    response = post(sandbox, invite_body(exams=[GFE, GFE_PRICED]))
    assert response.status_code == 200
    data = response.json()
    openapi_validate(data, "ExamInviteResponse")
    assert data["http_code"] == 200
    assert data["meeting_url"] == MEETING_URL + data["meeting_uuid"]
    exams = data["patient_exams"]
    assert [e["exam_id"] for e in exams] == [GFE, GFE_PRICED]
    assert exams[1]["exam_title"] == "Clinical Evaluation for Injectables & Lifting"
    assert exams[1]["patient_exam_id"] == exams[0]["patient_exam_id"] + 1


def test_patient_exam_ids_keep_increasing_and_meetings_differ(sandbox: Sandbox) -> None:
    first = post(sandbox, invite_body()).json()
    second = post(sandbox, invite_body()).json()
    assert second["meeting_uuid"] != first["meeting_uuid"]
    assert (
        second["patient_exams"][0]["patient_exam_id"] > first["patient_exams"][0]["patient_exam_id"]
    )
    assert len(sandbox.invites()) == 2


def test_trailing_slash_path_is_the_same_endpoint(sandbox: Sandbox) -> None:
    response = post(sandbox, invite_body(), path="/api/exam_invite/")
    assert response.status_code == 200
    openapi_validate(response.json(), "ExamInviteResponse")


@pytest.mark.parametrize("state", ["DC", "TE"])
@pytest.mark.parametrize("phone", ["+15552223344", "5552223344"])
def test_dc_te_and_both_phone_formats_are_accepted(
    sandbox: Sandbox, state: str, phone: str
) -> None:
    response = post(sandbox, invite_body(tele_state=state, phone_number=phone, exams=[TEST_GFE]))
    assert response.status_code == 200


def test_one_rx_exam_stacked_with_gfes_is_accepted(sandbox: Sandbox) -> None:
    response = post(sandbox, invite_body(exams=[GFE, RX, GFE_PRICED], gender=2))
    assert response.status_code == 200
    assert len(response.json()["patient_exams"]) == 3


def test_exam_list_returns_the_openapi_example_catalog_plus_a_test_gfe(sandbox: Sandbox) -> None:
    response = post(sandbox, {"api_key": DEMO_API_KEY}, path="/api/exam_list")
    assert response.status_code == 200
    data = response.json()
    openapi_validate(data, "ExamListResponse")
    assert data["clinic_id"] == 1234
    assert [e["id"] for e in data["exams"]] == [GFE, GFE_PRICED, RX, RX_LABS, URGENT, TEST_GFE]
    assert {e["id"] for e in data["exams"] if e["rx_type"] == 2} == {RX, RX_LABS, URGENT}


def test_exam_list_catalog_is_configurable() -> None:
    from bulk_invite.sandbox import SandboxExam

    with Sandbox(SandboxConfig(exams=(SandboxExam(7, "Only"),), clinic_id=9)) as box:
        data = post(box, {"api_key": DEMO_API_KEY}, path="/api/exam_list").json()
        assert data == {"clinic_id": 9, "exams": [
            {"id": 7, "title": "Only", "rx_type": 1, "price": None,
             "attachments_required": 1, "attachments": []}
        ]}  # fmt: skip
        assert post(box, invite_body(exams=[GFE])).status_code == 400


# -- errors ----------------------------------------------------------------------------------


@pytest.mark.parametrize("key", [..., "wrong-key", "", None, 123])
@pytest.mark.parametrize("path", ["/api/exam_invite", "/api/exam_list"])
def test_bad_or_missing_key_is_401_unauthorized(sandbox: Sandbox, key: Any, path: str) -> None:
    response = post(sandbox, invite_body(api_key=key), path=path)
    assert response.status_code == 401
    assert response.json() == {"http_code": 401, "message": UNAUTHORIZED}


@pytest.mark.parametrize(
    "field", ["exams", "first_name", "last_name", "email", "dob", "phone_number", "tele_state"]
)
@pytest.mark.parametrize("missing", [..., "", "  ", None])
def test_missing_required_field_is_400_naming_it(
    sandbox: Sandbox, field: str, missing: Any
) -> None:
    response = post(sandbox, invite_body(**{field: missing}))
    assert response.status_code == 400
    assert response.json() == {"http_code": 400, "message": f"The {field} field is required."}


DOB_MSG = "The dob field must be a valid date in YYYY-MM-DD format."
PHONE_MSG = "The phone_number field must be +1 followed by 10 digits, or 10 digits."
STATE_MSG = (
    "The tele_state field must be a two-letter uppercase state code (DC for Washington D.C., "
    "TE for test mode)."
)
EXAMS_MSG = "The exams field must be a non-empty array of exam IDs (integers)."
GENDER_MSG = "The gender field must be 1 (Male), 2 (Female) or 3 (Prefer not to say)."
EMAIL_MSG = "The email field must be a valid email address."


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"dob": "06/30/1990"}, DOB_MSG),
        ({"dob": "1990-6-30"}, DOB_MSG),
        ({"dob": "1990-02-30"}, DOB_MSG),
        ({"dob": "1990-06-30T00:00:00"}, DOB_MSG),
        ({"phone_number": "555-222-3344"}, PHONE_MSG),
        ({"phone_number": "+25552223344"}, PHONE_MSG),
        ({"phone_number": "15552223344"}, PHONE_MSG),
        ({"phone_number": "555222334"}, PHONE_MSG),
        ({"phone_number": 5552223344}, "The phone_number field must be a string."),
        ({"tele_state": "ny"}, STATE_MSG),
        ({"tele_state": "New York"}, STATE_MSG),
        ({"tele_state": "XX"}, STATE_MSG),
        ({"tele_state": "PR"}, STATE_MSG),
        ({"exams": "2228"}, EXAMS_MSG),
        ({"exams": ["2228"]}, EXAMS_MSG),
        ({"exams": [2228.0]}, EXAMS_MSG),
        ({"exams": [True]}, EXAMS_MSG),
        ({"exams": {"id": 2228}}, EXAMS_MSG),
        ({"gender": "1"}, GENDER_MSG),
        ({"gender": 4}, GENDER_MSG),
        ({"gender": True}, GENDER_MSG),
        ({"email": "john.example.com"}, EMAIL_MSG),
        ({"email": "john@"}, EMAIL_MSG),
        ({"exams": [GFE, 999]}, "The selected exam id 999 is invalid."),
        ({"exams": [RX, URGENT]}, ONE_RX_ONLY),
        ({"additional_data": {"row": 2}}, "The additional_data field must be a string."),
    ],
)
def test_malformed_field_is_400_with_field_specific_message(
    sandbox: Sandbox, overrides: dict[str, Any], message: str
) -> None:
    response = post(sandbox, invite_body(**overrides))
    assert response.status_code == 400
    assert response.json() == {"http_code": 400, "message": message}
    assert sandbox.invites() == []


@pytest.mark.parametrize("raw", [b"not json", b"", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_body_that_is_not_a_json_object_is_400(sandbox: Sandbox, raw: bytes) -> None:
    response = requests.post(
        sandbox.base_url + "/api/exam_invite",
        data=raw,
        headers={"Content-Type": "application/json"},
        timeout=TIMEOUT,
    )
    assert response.status_code == 400
    assert response.json() == {"http_code": 400, "message": "Invalid Request."}


@pytest.mark.parametrize("state", ["AL", "MS"])
def test_state_without_provider_is_401_need_provider(sandbox: Sandbox, state: str) -> None:
    response = post(sandbox, invite_body(tele_state=state))
    assert response.status_code == 401
    assert response.json() == {"http_code": 401, "error_message": NO_PROVIDER}


def test_states_without_provider_are_configurable() -> None:
    with Sandbox(SandboxConfig(no_provider_states=frozenset({"NY"}))) as box:
        assert post(box, invite_body(tele_state="NY")).status_code == 401
        assert post(box, invite_body(tele_state="AL")).status_code == 200


def test_unsigned_contract_refuses_every_invite_but_not_the_exam_list() -> None:
    with Sandbox(SandboxConfig(contract_signed=False)) as box:
        for body in (invite_body(), invite_body(dob="bad")):
            response = post(box, body)
            assert response.status_code == 401
            assert response.json() == {"http_code": 401, "error_message": CONTRACT_UNSIGNED}
        assert post(box, {"api_key": DEMO_API_KEY}, path="/api/exam_list").status_code == 200
        assert box.invites() == []


def test_unsigned_rx_contract_refuses_rx_invites_only() -> None:
    with Sandbox(SandboxConfig(rx_contract_signed=False)) as box:
        response = post(box, invite_body(exams=[GFE, URGENT]))
        assert response.status_code == 401
        assert response.json() == {"http_code": 401, "error_message": RX_CONTRACT_UNSIGNED}
        assert post(box, invite_body(exams=[GFE, GFE_PRICED])).status_code == 200
        assert len(box.invites()) == 1


@pytest.mark.parametrize("key", ["message", "error_message"])
def test_message_key_can_be_forced_for_every_error(key: str) -> None:
    with Sandbox(SandboxConfig(message_key=key, p_500=1.0)) as box:  # type: ignore[arg-type]
        assert post(box, invite_body(api_key="x")).json() == {"http_code": 401, key: UNAUTHORIZED}
        assert post(box, invite_body(tele_state="AL")).json() == {
            "http_code": 401,
            key: NO_PROVIDER,
        }
        assert post(box, invite_body()).json() == {key: SERVER_ERROR}


def test_unknown_path_is_404_json(sandbox: Sandbox) -> None:
    response = post(sandbox, invite_body(), path="/api/exam_invites")
    assert response.status_code == 404
    assert response.json() == {"http_code": 404, "message": "Not found."}


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH"])
def test_non_post_method_is_405_with_allow_header(sandbox: Sandbox, method: str) -> None:
    response = requests.request(method, sandbox.base_url + "/api/exam_invite", timeout=TIMEOUT)
    assert response.status_code == 405
    assert response.headers["Allow"] == "POST"
    assert response.json()["http_code"] == 405


def test_oversized_body_is_refused_unread(sandbox: Sandbox) -> None:
    response = requests.post(
        sandbox.base_url + "/api/exam_invite", data=b"x" * (2 << 20), timeout=TIMEOUT
    )
    assert response.status_code == 413


# -- faults ----------------------------------------------------------------------------------


def test_p_500_creates_the_invite_then_answers_500(tmp_path: Path) -> None:
    box = started(tmp_path, p_500=1.0)
    try:
        response = post(box, invite_body())
        assert response.status_code == 500
        assert response.json() == {"error_message": SERVER_ERROR}
        assert len(box.invites()) == 1
        assert len(read_invite_log(tmp_path / "invites.jsonl")) == 1
        assert box.requests()[0].fault == "500" and box.requests()[0].created
    finally:
        box.stop()


def test_faults_spare_requests_that_would_fail_anyway(tmp_path: Path) -> None:
    with Sandbox(SandboxConfig(p_500=1.0)) as box:
        response = post(box, invite_body(dob="1990-13-01"))
        assert response.status_code == 400
        assert box.invites() == []


@pytest.mark.parametrize(("knob", "status"), [("p_503", 503), ("p_429", 429)])
def test_503_and_429_create_nothing_and_carry_retry_after(
    tmp_path: Path, knob: str, status: int
) -> None:
    box = started(tmp_path, retry_after=7, **{knob: 1.0})
    try:
        response = post(box, invite_body())
        assert response.status_code == status
        assert response.headers["Retry-After"] == "7"
        assert response.json()["http_code"] == status
        assert box.invites() == []
        assert read_invite_log(tmp_path / "invites.jsonl") == []
    finally:
        box.stop()


def test_503_retry_after_can_be_left_out() -> None:
    with Sandbox(SandboxConfig(p_503=1.0, retry_after_on_503=False)) as box:
        response = post(box, invite_body())
        assert response.status_code == 503
        assert "Retry-After" not in response.headers


def test_drop_after_read_creates_the_invite_and_closes_without_answer(tmp_path: Path) -> None:
    box = started(tmp_path, p_drop_after_read=1.0)
    try:
        with pytest.raises(requests.ConnectionError):
            post(box, invite_body())
        log = read_invite_log(tmp_path / "invites.jsonl")
        assert len(log) == 1 and log[0]["fault"] == "drop"
        record = box.requests()[0]
        assert record.status is None and record.created
    finally:
        box.stop()


def test_late_answer_exceeds_client_timeout_after_creating_the_invite(tmp_path: Path) -> None:
    box = started(tmp_path, p_late=1.0, late_seconds=3.0)
    try:
        begun = time.monotonic()
        with pytest.raises(requests.ReadTimeout):
            post(box, invite_body(), timeout=(TIMEOUT, 0.3))
        assert time.monotonic() - begun < 2.0
        assert len(read_invite_log(tmp_path / "invites.jsonl")) == 1
    finally:
        stopping = time.monotonic()
        box.stop()
        assert time.monotonic() - stopping < 2.0, "stop() must not wait for the late answer"


def test_late_answer_arrives_when_the_client_waits_long_enough() -> None:
    with Sandbox(SandboxConfig(p_late=1.0, late_seconds=0.3)) as box:
        begun = time.monotonic()
        response = post(box, invite_body())
        assert response.status_code == 200
        assert time.monotonic() - begun >= 0.3


def test_latency_delays_every_answer() -> None:
    with Sandbox(SandboxConfig(latency=0.2)) as box:
        begun = time.monotonic()
        assert post(box, invite_body(api_key="bad")).status_code == 401
        assert time.monotonic() - begun >= 0.2


def test_server_side_rate_limit_answers_429_beyond_n_per_second() -> None:
    with Sandbox(SandboxConfig(rate_limit=3)) as box, requests.Session() as session:
        url = box.base_url + "/api/exam_invite"
        statuses = [session.post(url, json=invite_body(), timeout=TIMEOUT) for _ in range(6)]
        assert [r.status_code for r in statuses] == [200, 200, 200, 429, 429, 429]
        assert all(r.headers["Retry-After"] == "1" for r in statuses[3:])
        assert len(box.invites()) == 3
        time.sleep(1.05)
        assert session.post(url, json=invite_body(), timeout=TIMEOUT).status_code == 200


def test_redirect_answers_every_request_with_location_and_creates_nothing() -> None:
    target = "https://evil.example/steal"
    with Sandbox(SandboxConfig(redirect_to=target, redirect_status=302)) as box:
        response = post(box, invite_body(), allow_redirects=False)
        assert response.status_code == 302
        assert response.headers["Location"] == target
        assert box.invites() == []


def test_huge_response_announces_one_gib_then_sends_a_few_bytes(tmp_path: Path) -> None:
    box = started(tmp_path, huge_response=True)
    try:
        response = post(box, invite_body(), stream=True)
        assert response.status_code == 200
        assert int(response.headers["Content-Length"]) == HUGE_LENGTH
        received = b""
        with contextlib.suppress(urllib3.exceptions.HTTPError):
            while chunk := response.raw.read(8):
                received += chunk
        assert received == b'{"http_code": 20'
        assert len(read_invite_log(tmp_path / "invites.jsonl")) == 1
    finally:
        box.stop()


def test_same_seed_gives_the_same_fault_pattern() -> None:
    def pattern(seed: int) -> list[int]:
        with Sandbox(SandboxConfig(seed=seed, p_500=0.3, p_503=0.3)) as box:
            return [post(box, invite_body()).status_code for _ in range(20)]

    first = pattern(42)
    assert first == pattern(42)
    assert {200, 500, 503} <= set(first)


@pytest.mark.parametrize(
    "bad",
    [
        {"p_500": 1.5},
        {"p_429": -0.1},
        {"p_500": 0.6, "p_503": 0.6},
        {"latency": -1.0},
        {"message_key": "msg"},
        {"redirect_status": 200},
        {"api_key": ""},
    ],
)
def test_impossible_config_is_refused(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        SandboxConfig(**bad)


# -- records ---------------------------------------------------------------------------------


def test_invite_log_is_private_parseable_and_free_of_the_api_key(tmp_path: Path) -> None:
    box = started(tmp_path)
    try:
        response = post(box, invite_body(exams=[GFE, RX])).json()
    finally:
        box.stop()
    path = tmp_path / "invites.jsonl"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert DEMO_API_KEY not in path.read_text(encoding="utf-8")
    (entry,) = read_invite_log(path)
    assert entry["meeting_uuid"] == response["meeting_uuid"]
    assert entry["patient_exam_ids"] == [e["patient_exam_id"] for e in response["patient_exams"]]
    expected = invite_body(exams=[GFE, RX])
    for name in ("exams", "email", "first_name", "last_name", "dob", "phone_number", "tele_state"):
        assert entry[name] == expected[name]
    assert entry["additional_data"] == '{"row": 2}'
    assert entry["received_at"].endswith("+00:00")


def test_invite_log_survives_restarts_and_ids_keep_increasing(tmp_path: Path) -> None:
    path = tmp_path / "invites.jsonl"
    with Sandbox(invite_log=path) as box:
        first = post(box, invite_body()).json()["patient_exams"][0]["patient_exam_id"]
    with Sandbox(invite_log=path) as box:
        second = post(box, invite_body()).json()["patient_exams"][0]["patient_exam_id"]
        assert len(box.invites()) == 1
    assert second > first
    assert len(read_invite_log(path)) == 2


def test_read_invite_log_ignores_a_line_cut_short(tmp_path: Path) -> None:
    path = tmp_path / "log.jsonl"
    path.write_text('{"a": 1}\n{"b": 2}\n{"c": ', encoding="utf-8")
    assert read_invite_log(path) == [{"a": 1}, {"b": 2}]
    assert read_invite_log(tmp_path / "absent.jsonl") == []


def test_concurrent_invites_are_all_logged_once_with_unique_ids(tmp_path: Path) -> None:
    box = started(tmp_path)
    try:
        with requests.Session() as session:
            results: list[int] = []

            def send() -> None:
                r = session.post(box.base_url + "/api/exam_invite", json=invite_body(), timeout=5)
                results.append(r.status_code)

            threads = [threading.Thread(target=send) for _ in range(20)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        assert results == [200] * 20
    finally:
        box.stop()
    log = read_invite_log(tmp_path / "invites.jsonl")
    ids = [i for entry in log for i in entry["patient_exam_ids"]]
    assert len(log) == 20 and len(set(ids)) == 20


def test_request_log_records_time_path_and_outcome(sandbox: Sandbox) -> None:
    before = time.monotonic()
    post(sandbox, invite_body(), path="/api/exam_invite/?x=1")
    post(sandbox, invite_body(api_key="no"))
    records = sandbox.requests()
    assert [(r.method, r.path, r.status, r.created) for r in records] == [
        ("POST", "/api/exam_invite/", 200, True),
        ("POST", "/api/exam_invite", 401, False),
    ]
    assert before <= records[0].monotonic <= records[1].monotonic <= time.monotonic()
    assert abs(records[0].wall - time.time()) < 5


@pytest.mark.parametrize(
    ("times", "window", "expected"),
    [
        ([], 1.0, 0),
        ([5.0], 1.0, 1),
        ([0.0, 0.5, 0.99, 1.0], 1.0, 3),
        ([0.0, 1.0, 2.0, 3.0], 1.0, 1),
        ([3.0, 0.1, 0.2, 2.9, 3.05], 1.0, 3),
        ([0.0, 0.0, 0.0], 0.001, 3),
    ],
)
def test_max_requests_in_window_counts_the_busiest_half_open_window(
    times: list[float], window: float, expected: int
) -> None:
    assert max_requests_in_window(times, window) == expected


@given(st.lists(st.floats(0, 10, allow_nan=False), max_size=30), st.floats(0.01, 3))
def test_max_requests_in_window_matches_brute_force(times: list[float], window: float) -> None:
    brute = max((sum(1 for u in times if t <= u < t + window) for t in times), default=0)
    assert max_requests_in_window(times, window) == brute


def test_nothing_is_written_to_stdout_or_stderr(
    sandbox: Sandbox, capfd: pytest.CaptureFixture[str]
) -> None:
    post(sandbox, invite_body())
    post(sandbox, invite_body(dob="bad"))
    requests.get(sandbox.base_url + "/nowhere", timeout=TIMEOUT)
    with (
        Sandbox(SandboxConfig(p_drop_after_read=1.0)) as box,
        pytest.raises(requests.ConnectionError),
    ):
        post(box, invite_body())
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_stop_cuts_kept_alive_connections() -> None:
    box = Sandbox().start()
    with requests.Session() as session:
        url = box.base_url + "/api/exam_invite"
        assert session.post(url, json=invite_body(), timeout=TIMEOUT).status_code == 200
        box.stop()
        with pytest.raises(requests.ConnectionError):
            session.post(url, json=invite_body(), timeout=TIMEOUT)
    assert len(box.invites()) == 1


def test_base_url_needs_a_started_sandbox() -> None:
    with pytest.raises(RuntimeError):
        _ = Sandbox().base_url


# -- entry points ----------------------------------------------------------------------------


def test_serve_forever_reports_its_url_and_stops_on_request(tmp_path: Path) -> None:
    urls: list[str] = []
    ready, stop = threading.Event(), threading.Event()

    def on_ready(url: str) -> None:
        urls.append(url)
        ready.set()

    def run() -> None:
        serve_forever(
            SandboxConfig(), invite_log=tmp_path / "i.jsonl", on_ready=on_ready, stop=stop
        )

    thread = threading.Thread(target=run)
    thread.start()
    try:
        assert ready.wait(5)
        assert requests.post(urls[0] + "/api/exam_invite", json=invite_body(), timeout=5).ok
    finally:
        stop.set()
        thread.join(5)
    assert not thread.is_alive()
    with pytest.raises(requests.ConnectionError):
        requests.post(urls[0] + "/api/exam_invite", json=invite_body(), timeout=1)


def test_every_config_field_but_the_catalog_is_a_flag() -> None:
    flags = {o.flag for o in config_options()}
    assert {"--p-500", "--p-drop-after-read", "--late-seconds", "--rate-limit", "--seed"} <= flags
    assert "--exams" not in flags
    states = next(o for o in config_options() if o.name == "no_provider_states")
    assert states.parse("al, ms") == frozenset({"AL", "MS"})


def test_module_entry_prints_its_url_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    log = tmp_path / "invites.jsonl"
    cmd = [sys.executable, "-m", "bulk_invite.sandbox", "--port", "0", "--invite-log", str(log)]
    cmd += ["--seed", "3", "--p-500", "0", "--no-provider-states", "AL"]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=dict(os.environ)
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("listening on http://127.0.0.1:")
        url = line.split()[-1]
        assert requests.post(url + "/api/exam_invite", json=invite_body(), timeout=5).ok
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert out == "" and err == ""
    assert len(read_invite_log(log)) == 1


def test_module_entry_rejects_impossible_flags() -> None:
    cmd = [sys.executable, "-m", "bulk_invite.sandbox", "--p-500", "2"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=10)
    assert done.returncode == 2
    assert "p_500" in done.stderr


def test_config_is_frozen() -> None:
    config = SandboxConfig()
    with pytest.raises(AttributeError):
        config.p_500 = 1.0  # type: ignore[misc]
    assert copy.deepcopy(config) == config
