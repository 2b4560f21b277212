"""POST /webhooks/thulium/: every agent example of the document, form-encoded and JSON."""

import json
from datetime import datetime
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from crm_bridge.models import Agent, WebhookEvent
from crm_bridge.pipeline import process_pending
from crm_bridge.signals import agents_changed
from tests._env import HOOK_PASSWORD, HOOK_USER
from tests.conftest import basic_auth, make_user

URL = "/webhooks/thulium/"
FORM = "application/x-www-form-urlencoded"
AUTH = {"HTTP_AUTHORIZATION": basic_auth(HOOK_USER, HOOK_PASSWORD)}
WARSAW = ZoneInfo("Europe/Warsaw")

# The document's examples (section "Wprowadzenie"), as Thulium posts them: strings.
DOC_EXAMPLES = {
    "AGENT_LOGGED_IN": {"date": "2016-04-20 09:46:24", "agent_login": "jkowalski"},
    "AGENT_LOGGED_OUT": {"date": "2016-04-20 09:46:24", "agent_login": "jkowalski"},
    "AGENT_STATUS_CHANGED": {
        "date": "2016-04-20 09:46:24",
        "agent_login": "jkowalski",
        "pause_id": "1",
        "previous_pause_id": "NULL",
    },
    "AGENT_RINGING": {
        "connection_id": "1416225570.341",
        "queue_id": "155",
        "agent_login": "jkowalski",
        "source_number": "523993855",
        "destination_number": "162",
        "date": "2016-04-20 09:46:24",
    },
    "AGENT_CONNECTED": {
        "customer_id": "154",
        "connection_id": "1416225570.341",
        "queue_id": "155",
        "agent_login": "jkowalski",
        "source_number": "523993855",
        "destination_number": "162",
        "date": "2016-04-20 09:46:24",
    },
    "AGENT_NOT_ANSWERED": {
        "connection_id": "1416225570.341",
        "queue_id": "155",
        "agent_login": "jkowalski",
        "source_number": "523993855",
        "destination_number": "162",
        "date": "2016-04-20 09:46:24",
    },
    "AGENT_COMPLETED": {
        "connection_id": "1416225570.341",
        "queue_id": "155",
        "customer_id": "154",
        "agent_login": "jkowalski",
        "source_number": "523993855",
        "destination_number": "162",
        "date": "2016-04-20 09:46:24",
        "duration": "69",
        "billsec": "67",
        "filename": "SOME-QUEUE/2014-11-17/2014-11-17_125932_1416225570.341.wav",
        "reason": "caller",
    },
}
EXPECTED_STATUS = {
    "AGENT_LOGGED_IN": "FREE",
    "AGENT_LOGGED_OUT": "OFF",
    "AGENT_STATUS_CHANGED": "PAUSED",
    "AGENT_RINGING": "RINGING",
    "AGENT_CONNECTED": "INBOUND_CALL",
}


def post_form(client, data):
    """As Thulium sends them: application/x-www-form-urlencoded; then the processor runs."""
    response = client.post(URL, urlencode(data), content_type=FORM, **AUTH)
    process_pending()
    return response


def post_json(client, data):
    response = client.post(URL, json.dumps(data), content_type="application/json", **AUTH)
    process_pending()
    return response


@pytest.fixture
def pushed():
    seen = []

    def receiver(sender, logins, **kwargs):
        seen.extend(logins)

    agents_changed.connect(receiver)
    yield seen
    agents_changed.disconnect(receiver)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("action", sorted(EXPECTED_STATUS))
@pytest.mark.parametrize("encoding", ["form", "json"])
def test_each_agent_example_moves_the_agent(client, action, encoding, pushed):
    data = {"action": action, **DOC_EXAMPLES[action]}
    response = post_form(client, data) if encoding == "form" else post_json(client, data)
    assert response.status_code == 200, response.content
    agent = Agent.objects.get(login="jkowalski")
    assert agent.status == EXPECTED_STATUS[action]
    assert agent.status_since == datetime(2016, 4, 20, 9, 46, 24, tzinfo=WARSAW)
    assert pushed == ["jkowalski"]
    event = WebhookEvent.objects.get()
    assert event.action == action
    assert "jkowalski" in event.body


@pytest.mark.django_db
def test_a_ringing_agent_shows_the_caller_and_queue(client):
    post_form(client, {"action": "AGENT_RINGING", **DOC_EXAMPLES["AGENT_RINGING"]})
    agent = Agent.objects.get(login="jkowalski")
    assert (agent.call_number, agent.call_queue_id) == ("523993855", 155)
    assert agent.call_connection_id == "1416225570.341"


@pytest.mark.django_db
def test_completed_and_not_answered_free_the_agent_of_that_call(client):
    post_form(client, {"action": "AGENT_CONNECTED", **DOC_EXAMPLES["AGENT_CONNECTED"]})
    other_call = {**DOC_EXAMPLES["AGENT_COMPLETED"], "connection_id": "999.1"}
    post_form(client, {"action": "AGENT_COMPLETED", **other_call})
    assert Agent.objects.get(login="jkowalski").status == "INBOUND_CALL"
    post_form(client, {"action": "AGENT_COMPLETED", **DOC_EXAMPLES["AGENT_COMPLETED"]})
    agent = Agent.objects.get(login="jkowalski")
    assert (agent.status, agent.call_number) == ("FREE", "")

    second_call = {"connection_id": "2.2", "date": "2016-04-20 10:00:00"}
    post_form(client, {**DOC_EXAMPLES["AGENT_RINGING"], **second_call, "action": "AGENT_RINGING"})
    missed = {**DOC_EXAMPLES["AGENT_NOT_ANSWERED"], **second_call, "date": "2016-04-20 10:00:09"}
    post_form(client, {"action": "AGENT_NOT_ANSWERED", **missed})
    assert Agent.objects.get(login="jkowalski").status == "FREE"


@pytest.mark.django_db
def test_null_strings_mean_free(client):
    post_form(client, {"action": "AGENT_STATUS_CHANGED", **DOC_EXAMPLES["AGENT_STATUS_CHANGED"]})
    response = post_form(
        client,
        {
            "action": "AGENT_STATUS_CHANGED",
            "agent_login": "jkowalski",
            "date": "2016-04-20 09:50:00",
            "pause_id": "null",
            "previous_pause_id": "1",
        },
    )
    assert response.status_code == 200
    agent = Agent.objects.get(login="jkowalski")
    assert (agent.status, agent.pause_id) == ("FREE", None)


@pytest.mark.django_db
def test_a_pause_records_its_reason(client):
    post_form(
        client,
        {
            "action": "AGENT_STATUS_CHANGED",
            "agent_login": "anowak",
            "date": "2016-04-20 09:46:24",
            "pause_id": "3",
            "previous_pause_id": "null",
        },
    )
    assert Agent.objects.get(login="anowak").pause_id == 3


@pytest.mark.django_db
def test_an_older_event_does_not_move_the_agent_back(client):
    post_form(
        client,
        {"action": "AGENT_LOGGED_OUT", "agent_login": "jkowalski", "date": "2016-04-20 10:00:00"},
    )
    late = post_form(
        client,
        {"action": "AGENT_LOGGED_IN", "agent_login": "jkowalski", "date": "2016-04-20 09:59:59"},
    )
    assert late.status_code == 200
    assert Agent.objects.get(login="jkowalski").status == "OFF"
    assert WebhookEvent.objects.count() == 2  # stored all the same


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_duplicate_is_recognised_and_changes_nothing(client, pushed):
    data = {"action": "AGENT_STATUS_CHANGED", **DOC_EXAMPLES["AGENT_STATUS_CHANGED"]}
    assert post_form(client, data).json()["status"] == "ok"
    as_json = {**data, "pause_id": 1}  # the same event, delivered again as JSON
    again = post_json(client, as_json)
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate"
    assert WebhookEvent.objects.get().duplicates == 1
    assert pushed == ["jkowalski"]


@pytest.mark.django_db
def test_one_group_commit_answers_each_delivery_as_if_it_came_alone():
    """The receiver writes every delivery waiting at that moment in one transaction: a new
    event sent twice in it, one stored before and a malformed body each get their own answer."""
    from crm_bridge import receiver

    def event(body: dict):
        return receiver.to_event(urlencode(body).encode(), FORM)

    before = {"action": "AGENT_LOGGED_IN", "agent_login": "anowak", "date": "2016-04-20 09:40:00"}
    ((status, stored),) = receiver.store([event(before)])
    fresh = {"action": "AGENT_STATUS_CHANGED", **DOC_EXAMPLES["AGENT_STATUS_CHANGED"]}
    answers = receiver.store([event(fresh), event(before), event(fresh), event({"x": "1"})])
    new_id = WebhookEvent.objects.get(action="AGENT_STATUS_CHANGED").pk
    assert answers[0] == (200, {"status": "ok", "id": new_id})
    assert answers[1] == (200, {"status": "duplicate", "id": stored["id"]})
    assert answers[2] == (200, {"status": "duplicate", "id": new_id})
    assert answers[3][0] == 400 and answers[3][1]["error"] == "Missing field 'action'"
    assert dict(WebhookEvent.objects.values_list("action", "duplicates")) == {
        "AGENT_LOGGED_IN": 1, "AGENT_STATUS_CHANGED": 1, "": 0,
    }  # fmt: skip


@pytest.mark.django_db
def test_unknown_actions_are_stored_and_accepted(client):
    response = post_form(
        client,
        {
            "action": "TICKET_CREATED",
            "ticket_id": "12",
            "agent_login": "jkowalski",
            "date": "2016-04-20 09:46:24",
        },
    )
    assert response.status_code == 200
    assert WebhookEvent.objects.get().action == "TICKET_CREATED"
    assert not Agent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "auth",
    [
        None,
        basic_auth(HOOK_USER, "wrong"),
        basic_auth("someone", HOOK_PASSWORD),
        "Bearer abc",
        "Basic !!!",
    ],
)
def test_it_requires_the_webhook_credentials(client, auth):
    extra = {"HTTP_AUTHORIZATION": auth} if auth else {}
    response = client.post(URL, {"action": "AGENT_LOGGED_IN", "agent_login": "x"}, **extra)
    assert response.status_code == 401
    assert not WebhookEvent.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "content_type", "why"),
    [
        ("", "application/x-www-form-urlencoded", "Empty body"),
        ("{not json", "application/json", "not valid JSON"),
        ("[1, 2]", "application/json", "must be an object"),
        ("agent_login=jkowalski", "application/x-www-form-urlencoded", "Missing field 'action'"),
        (
            "action=AGENT_LOGGED_IN&date=2016-04-20",
            "application/x-www-form-urlencoded",
            "needs 'agent_login'",
        ),
        (
            "action=AGENT_LOGGED_IN&agent_login=a&date=yesterday",
            "application/x-www-form-urlencoded",
            "not a date",
        ),
        ("<xml/>", "application/xml", "Unsupported body"),
        (
            "action=DROP%20TABLE&agent_login=a",
            "application/x-www-form-urlencoded",
            "not an action name",
        ),
    ],
)
def test_malformed_bodies_get_a_400_that_says_why(client, body, content_type, why):
    response = client.post(URL, body, content_type=content_type, **AUTH)
    assert response.status_code == 400
    assert why in response.json()["error"]
    assert not Agent.objects.exists()
    kept = WebhookEvent.objects.get()  # refused, but not lost
    assert (kept.body, kept.action) == (body, "")
    assert why in kept.error


@pytest.mark.django_db
def test_multipart_form_posts_are_read_too(client):
    response = client.post(URL, {"action": "AGENT_LOGGED_IN", "agent_login": "jkowalski"}, **AUTH)
    assert response.status_code == 200
    process_pending()
    assert Agent.objects.get(login="jkowalski").status == "FREE"


@pytest.mark.django_db
def test_only_post_is_accepted(client):
    assert client.get(reverse("thulium-webhook"), **AUTH).status_code == 405


@pytest.mark.django_db
def test_an_outbound_call_shows_its_number_and_campaign(client, django_user_model):
    from crm_bridge.models import Campaign

    Campaign.objects.create(campaign_id="00001", name="Sprzedaż OZE")
    outbound = {
        "id": "00001", "name": "Sprzedaż OZE", "record_id": "162", "phone_number": "523993855",
        "connection_id": "1416225570.341", "customer_id": "154", "agent_login": "jkowalski",
        "date": "2016-04-20 09:46:24",
    }  # fmt: skip
    post_form(client, {"action": "OUTBOUND_CUSTOMER_CONNECTED", **outbound})
    agent = Agent.objects.get(login="jkowalski")
    assert (agent.status, agent.call_number, agent.call_campaign_id) == (
        "OUTBOUND_CALL",
        "523993855",
        "00001",
    )
    client.force_login(make_user("supervisor"))
    assert (
        "Sprzedaż OZE" in client.get("/").content.decode().split('id="agent-jkowalski"')[1][:2000]
    )
    done = {**outbound, "date": "2016-04-20 09:48:00", "duration": "96", "billsec": "90"}
    post_form(client, {"action": "OUTBOUND_COMPLETED", **done})
    agent = Agent.objects.get(login="jkowalski")
    assert (agent.status, agent.call_number, agent.call_campaign_id) == ("FREE", "", "")


@pytest.mark.django_db
def test_a_predictive_dial_without_an_agent_moves_nobody(client):
    response = post_form(
        client,
        {
            "action": "OUTBOUND_DROP",
            "id": "00001",
            "agent_login": "null",
            "phone_number": "523993855",
            "date": "2016-04-20 09:46:24",
        },
    )
    assert response.status_code == 200
    assert not Agent.objects.exists()
