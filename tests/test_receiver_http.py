"""The receiver as Thulium meets it: real HTTP to the running product (daphne, the ASGI door
in front of Django), then the event processor applying what was stored."""

import json
import time
from urllib.parse import urlencode

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests._env import HOOK_PASSWORD, HOOK_USER
from tests.test_webhook_fuzz import events

AUTH = (HOOK_USER, HOOK_PASSWORD)


def _post(stack, body, content_type="application/x-www-form-urlencoded", auth=AUTH):
    return requests.post(
        f"{stack.url}/webhooks/thulium/",
        data=body,
        headers={"Content-Type": content_type},
        auth=auth,
        timeout=10,
    )


def _state_of(stack, event_id: int) -> str:
    code = "from crm_bridge.models import WebhookEvent as E; print(E.objects.get(pk=%d).state)"
    return stack.manage("shell", "-v", "0", "-c", code % event_id).strip()


def _applied(stack, event_id: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _state_of(stack, event_id) == "applied":
            return True
        time.sleep(0.2)
    return False


def test_an_event_is_acknowledged_then_applied(stack):
    body = urlencode({"action": "AGENT_LOGGED_IN", "agent_login": "http-ola"})
    response = _post(stack, body)
    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] == "ok"
    assert _applied(stack, answer["id"])  # by the processor, not before the answer


def test_it_answers_only_posts_with_the_credentials(stack):
    assert requests.get(f"{stack.url}/webhooks/thulium/", timeout=5).status_code == 405
    response = _post(stack, "action=AGENT_LOGGED_IN&agent_login=x", auth=("thulium", "wrong"))
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic")


def test_a_body_over_256_kb_gets_413_and_is_kept_refused(stack):
    body = "action=AGENT_LOGGED_IN&agent_login=x&pad=" + "x" * 300_000
    response = _post(stack, body)
    assert response.status_code == 413
    assert "larger than 262144 bytes" in response.json()["error"]
    assert _state_of(stack, response.json()["id"]) == "refused"


def test_json_with_nan_gets_a_400_that_says_why(stack):
    body = '{"action": "AGENT_STATUS_CHANGED", "agent_login": "x", "pause_id": NaN}'
    response = _post(stack, body, "application/json")
    assert response.status_code == 400
    assert "NaN is not a number JSON allows" in response.json()["error"]


def test_a_lone_surrogate_is_stored_and_the_writer_goes_on(stack):
    body = '{"action": "AGENT_LOGGED_IN", "agent_login": "http-\\ud800"}'
    assert _post(stack, body, "application/json").status_code == 200
    response = _post(stack, urlencode({"action": "AGENT_LOGGED_IN", "agent_login": "http-next"}))
    assert response.status_code == 200
    assert _applied(stack, response.json()["id"])


def test_multipart_posts_are_read_too(stack):
    response = requests.post(
        f"{stack.url}/webhooks/thulium/",
        files={"action": (None, "AGENT_LOGGED_IN"), "agent_login": (None, "http-multi")},
        auth=AUTH,
        timeout=10,
    )
    assert response.status_code == 200, response.content
    assert _applied(stack, response.json()["id"])


def test_healthz_answers_without_django(stack):
    response = requests.get(f"{stack.url}/healthz", timeout=5)
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(fields=events(), as_json=st.booleans())
def test_no_input_gives_a_5xx_over_real_http(stack, fields, as_json):
    if as_json:
        response = _post(stack, json.dumps(fields), "application/json")
    else:
        response = _post(stack, urlencode(fields))
    assert response.status_code in (200, 400), response.content
    assert response.json().get("id")  # stored, refused or not


BROKEN_MULTIPART = [
    ("no parts here", "boundary=xyz", "no named form field"),
    ("--xyz\r\nContent-Disposition: form-data\r\n\r\nv\r\n--xyz--\r\n", "boundary=xyz",
     "no named form field"),
    ("--xyz\r\nContent-Disposition: form-data; name=action\r\n\r\nAGENT_LOGGED_IN\r\n--xyz--",
     "", "could not be read: Invalid boundary"),
]  # fmt: skip


@pytest.mark.parametrize("body,boundary,reason", BROKEN_MULTIPART)
def test_a_broken_multipart_body_gets_a_400_that_says_why(stack, body, boundary, reason):
    """A body that says multipart but is not: the receiver's own 400 with the reason, and the
    delivery kept as refused (before, daphne's HTTP layer answered some of them itself, with
    a bare 400 page, and nothing was kept)."""
    content_type = "multipart/form-data" + (f"; {boundary}" if boundary else "")
    response = _post(stack, body, content_type)
    assert response.status_code == 400, response.content
    assert reason in response.json()["error"]
    assert _state_of(stack, response.json()["id"]) == "refused"


def test_a_crowd_of_deliveries_each_stored_once_and_answered(stack):
    """Thirty-two senders at once, each event sent twice by two of them (as a retry racing
    its original): the deliveries waiting together go into one group commit, or several."""
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    bodies = [
        urlencode({"action": "AGENT_LOGGED_IN", "agent_login": f"crowd-{n}"}) for n in range(16)
    ]
    sends = bodies + bodies[::-1]  # each twice, the second time in the opposite order
    ready = Barrier(len(sends))

    def send(body):
        ready.wait(timeout=10)
        return _post(stack, body)

    with ThreadPoolExecutor(len(sends)) as pool:
        answers = list(pool.map(send, sends))
    assert [a.status_code for a in answers] == [200] * 32
    by_body: dict = {}
    for body, answer in zip(sends, answers, strict=True):
        by_body.setdefault(body, []).append(answer.json())
    assert len(by_body) == 16
    for got in by_body.values():  # one stored it, the other was told it is a duplicate of it
        assert sorted(a["status"] for a in got) == ["duplicate", "ok"], got
        assert got[0]["id"] == got[1]["id"]
    assert all(_applied(stack, got[0]["id"]) for got in by_body.values())
