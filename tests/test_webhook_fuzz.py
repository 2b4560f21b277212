"""No input makes the webhook answer 5xx or lose an event: every field of every event type of
the document, filled with hostile values, form-encoded and JSON. Whatever is answered 200 is
stored and then applied (never left failing); whatever is refused gets a 400 that says why and
is kept; afterwards the agent's day page, the board and `queue_rebuild` still work."""

import json
from urllib.parse import urlencode

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crm_bridge.models import WebhookEvent
from crm_bridge.pipeline import process_pending
from tests._env import HOOK_PASSWORD, HOOK_USER
from tests.conftest import basic_auth, make_user

URL = "/webhooks/thulium/"
AUTH = {"HTTP_AUTHORIZATION": basic_auth(HOOK_USER, HOOK_PASSWORD)}

# The document's events (section "Wprowadzenie") and their fields.
CALL = ["connection_id", "queue_id", "agent_login", "source_number", "destination_number"]
OUTBOUND = ["id", "name", "record_id", "phone_number", "connection_id", "customer_id"]
OUTBOUND += ["agent_login", "duration", "billsec", "filename", "caller_id", "attempt"]
EVENTS = {
    "CHAT_AGENT_ASSIGNED": ["conversation_id", "agent_login", "chat_queue_id"],
    "CHAT_CONVERSATION_CLOSED": ["conversation_id", "chat_queue_id"],
    "CHAT_CONVERSATION_CREATED": [
        "conversation_id",
        "client_name",
        "client_email",
        "chat_queue_id",
    ],
    "CUSTOMER_CREATED": ["customer_id", "company_id"],
    "CUSTOMER_FILE_ATTACHED": ["agent_login", "file_id", "customer_id", "company_id"],
    "CUSTOMER_NOTE_SAVED": ["agent_login", "customer_id", "content"],
    "ABANDONED": ["connection_id", "queue_id", "source_number", "hold_time"],
    "AGENT_COMPLETED": [*CALL, "customer_id", "duration", "billsec", "filename", "reason"],
    "AGENT_CONNECTED": [*CALL, "customer_id"],
    "AGENT_NOT_ANSWERED": CALL,
    "AGENT_RINGING": CALL,
    "ENTER_QUEUE": ["connection_id", "queue_id", "source_number", "source_name"],
    "EXIT_QUEUE": ["connection_id", "queue_id"],
    "ENTER_IVR": ["connection_id", "source_number", "destination_number"],
    "QUEUE_TRANSFERRED_TO_AGENT": ["connection_id", "type", "queue_id", "agent_login"],
    **{
        action: OUTBOUND
        for action in (
            "OUTBOUND_CONNECTING",
            "OUTBOUND_CUSTOMER_CONNECTED",
            "OUTBOUND_COMPLETED",
            "OUTBOUND_DROP",
            "OUTBOUND_BUSY",
            "OUTBOUND_FAX",
            "OUTBOUND_NO_ANSWER",
            "OUTBOUND_WRONG_NUMBER",
            "OUTBOUND_VOICE_MAIL",
            "OUTBOUND_FAILURE",
            "OUTBOUND_CONNECTION_PROBLEM",
            "OUTBOUND_BLACKLIST",
            "OUTBOUND_AGENT_FAILED",
            "PREDICTIVE_AGENT_ANSWER",
            "PREVIEW_RECORD",
        )
    },
    "OUTBOUND_RECORD_SAVED": [
        *OUTBOUND,
        "system_status",
        "status_id",
        "next_call_date",
        "assigned_agent_login",
        "previous_status_id",
    ],
    "AGENT_LOGGED_IN": ["agent_login"],
    "AGENT_LOGGED_OUT": ["agent_login"],
    "AGENT_PHONE_CONNECTED": ["agent_login", "phone_number"],
    "AGENT_STATUS_CHANGED": ["agent_login", "pause_id", "previous_pause_id"],
    "RECORDING_READY": ["connection_id", "filename"],
}

HOSTILE = st.sampled_from(
    [
        "",
        "null",
        "NULL",
        "0",
        "-1",
        "7",
        "7.0",
        "7.5",
        "2147483648",
        "99999999999999999999999",
        "9" * 5000,
        "1e400",
        "-1e400",
        "inf",
        "NaN",
        "0001-01-01",
        "9999-12-31T23:59:59-12:00",
        "2099-01-01 00:00:00",
        "x" * 10_000,
        "a\x00b",
        "zażółć gęślą jaźń 🙂",
        "<script>alert(1)</script>",
        "'; DROP TABLE crm_bridge_agent; --",
        "1416225570.341",
        "00001",
        "jkowalski",
    ]
)
DATES = st.sampled_from(
    [
        None,
        "2016-04-20 09:46:24",
        "2026-01-01 08:00:00",
        "0001-01-01",
        "0000-00-00 00:00:00",
        "9999-12-31T23:59:59-12:00",
        "2099-12-31 23:59:59",
        "1999-12-31 23:59:59",
        "yesterday",
        "2016-13-45 99:99:99",
        "",
        "null",
    ]
)


@st.composite
def events(draw):
    action = draw(st.sampled_from(sorted(EVENTS)))
    fields = {"action": action}
    for name in EVENTS[action]:
        if draw(st.booleans()):
            fields[name] = draw(HOSTILE | st.text(max_size=30))
    date = draw(DATES)
    if date is not None:
        fields["date"] = date
    if "agent_login" in fields and draw(st.booleans()):
        fields["agent_login"] = draw(st.sampled_from(["jkowalski", "anowak"]))
    return fields


def _json_value(value: str):
    """The same value as JSON might carry it: a number where it reads as one."""
    try:
        number = json.loads(value)
    except ValueError:
        return value
    return number if isinstance(number, int | float) else value


def _check(response) -> None:
    assert response.status_code < 500, response.content
    assert response.status_code in (200, 400), response.content
    body = response.json()
    if response.status_code == 400:
        assert body["error"]  # says why
    assert WebhookEvent.objects.filter(pk=body["id"]).exists()  # kept, refused or not


@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(fields=events(), as_json=st.booleans())
def test_no_event_gives_a_5xx_or_is_lost(client, fields, as_json):
    if as_json:
        body = json.dumps({k: _json_value(v) for k, v in fields.items()})
        response = client.post(URL, body, content_type="application/json", **AUTH)
    else:
        form = urlencode(fields)
        response = client.post(URL, form, content_type="application/x-www-form-urlencoded", **AUTH)
    _check(response)
    while process_pending():
        pass
    assert not WebhookEvent.objects.filter(state=WebhookEvent.State.FAILED).exists()
    assert not WebhookEvent.objects.filter(state=WebhookEvent.State.PENDING).exists()


RAW_JSON = [
    '{"action": "AGENT_STATUS_CHANGED", "agent_login": "jkowalski", "pause_id": NaN}',
    '{"action": "AGENT_STATUS_CHANGED", "agent_login": "jkowalski", "pause_id": Infinity}',
    '{"action": "ABANDONED", "connection_id": "c1", "queue_id": 155, "hold_time": 1e400}',
    '{"action": "AGENT_COMPLETED", "agent_login": "a", "connection_id": "c", "duration": '
    + "9" * 5000
    + "}",
    '{"action": "ENTER_QUEUE", "connection_id": "c", "queue_id": 155, "x": '
    + "[" * 100_000
    + "]" * 100_000
    + "}",
    '{"action": "ENTER_QUEUE", "connection_id": {"nested": [1, 2, {"deep": true}]}}',
    '{"action": "AGENT_LOGGED_IN", "agent_login": "a\\u0000b"}',
    # Lone surrogates: no driver encodes one, PostgreSQL's JSON refuses one.
    '{"action": "AGENT_LOGGED_IN", "agent_login": "a\\ud800"}',
    '{"action": "ENTER_QUEUE", "connection_id": "c\\udfff", "k\\udc00": "\\udbff"}',
    '{"action": 7}',
    "[]",
    "null",
]


@pytest.mark.django_db
@pytest.mark.parametrize("body", RAW_JSON, ids=range(len(RAW_JSON)))
def test_hostile_json_is_answered_and_kept(client, body):
    response = client.post(URL, body, content_type="application/json", **AUTH)
    _check(response)
    event = WebhookEvent.objects.get()
    if response.status_code == 400:
        assert event.state == WebhookEvent.State.REFUSED
        assert event.error == response.json()["error"]
    while process_pending():
        pass
    assert not WebhookEvent.objects.filter(state=WebhookEvent.State.FAILED).exists()


@pytest.mark.django_db
def test_after_hostile_events_the_screens_and_rebuild_still_work(client, django_user_model):
    hostile = [
        {"action": "AGENT_STATUS_CHANGED", "agent_login": "jkowalski", "pause_id": "2147483648"},
        {"action": "AGENT_STATUS_CHANGED", "agent_login": "jkowalski", "date": "2099-01-01"},
        {"action": "AGENT_CONNECTED", "agent_login": "jkowalski", "connection_id": "c1",
         "queue_id": "155", "date": "9999-12-31T23:59:59-12:00"},
        {"action": "AGENT_COMPLETED", "agent_login": "jkowalski", "connection_id": "c1",
         "queue_id": "155", "duration": "1e400", "billsec": "inf"},
        {"action": "ABANDONED", "connection_id": "c2", "queue_id": "155", "hold_time": "1e400"},
        {"action": "AGENT_LOGGED_IN", "agent_login": "jkowalski", "date": "0001-01-01"},
    ]  # fmt: skip
    for fields in hostile:
        response = client.post(URL, fields, **AUTH)
        assert response.status_code in (200, 400), response.content
    while process_pending():
        pass
    assert not WebhookEvent.objects.filter(state=WebhookEvent.State.FAILED).exists()
    client.force_login(make_user("sup", password="x"))
    assert client.get("/agents/jkowalski/today/").status_code == 200
    assert client.get("/").status_code == 200
    call_command("queue_rebuild")
