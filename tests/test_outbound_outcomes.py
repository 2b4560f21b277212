"""Outbound outcomes: they end the agent's call in that campaign, and a campaign's attempts and
contacts agree with the calls it finished, whatever order the events came in."""

import uuid

import pytest
from django.utils import timezone

from crm_bridge.campaign_events import apply_outbound_event
from crm_bridge.events import apply_agent_event
from crm_bridge.models import Agent, Campaign, CampaignDay, WebhookEvent
from crm_bridge.parse import tenant_tz

pytestmark = pytest.mark.django_db


def event(action: str, connection_id: str = "c1", agent_login: str = "jkowalski", **data):
    """Store one outbound event of campaign 00003 and fold it as the pipeline does."""
    fields = {"id": "00003", "name": "Ankieta", "phone_number": "600100200"}
    fields.update(action=action, connection_id=connection_id, agent_login=agent_login, **data)
    stored = WebhookEvent.objects.create(
        action=action,
        agent_login=agent_login,
        data={k: v for k, v in fields.items() if v},
        event_date=timezone.now(),
        connection_id=connection_id,
        dedup_key=uuid.uuid4().hex,
    )
    apply_agent_event(stored)
    apply_outbound_event(stored)
    return stored


def agent() -> Agent:
    return Agent.objects.get(login="jkowalski")


def today() -> CampaignDay:
    return CampaignDay.objects.get(
        campaign_id="00003", day=timezone.now().astimezone(tenant_tz()).date()
    )


def test_an_outbound_busy_outcome_frees_the_agent():
    event("OUTBOUND_CONNECTING", attempt="1")
    assert (agent().status, agent().call_campaign_id) == ("OUTBOUND_CALL", "00003")
    event("OUTBOUND_BUSY")
    assert (agent().status, agent().call_number) == ("FREE", "")


@pytest.mark.parametrize(
    "outcome", ["OUTBOUND_NO_ANSWER", "OUTBOUND_AGENT_FAILED", "OUTBOUND_DROP"]
)
def test_an_outcome_of_the_agents_call_ends_it(outcome):
    event("OUTBOUND_CUSTOMER_CONNECTED")
    event(outcome)
    assert agent().status == "FREE"
    assert Campaign.objects.get(campaign_id="00003").on_call == {}


def test_an_outcome_without_connection_id_ends_the_preview_of_that_campaign():
    event("PREVIEW_RECORD", connection_id="", customer_id="154")
    assert agent().status == "OUTBOUND_PREVIEW"
    event("OUTBOUND_NO_ANSWER", connection_id="", id="00009")  # another campaign's
    assert agent().status == "OUTBOUND_PREVIEW"
    event("OUTBOUND_NO_ANSWER", connection_id="")
    assert agent().status == "FREE"


def test_an_outcome_of_another_call_leaves_the_agent_on_its_call():
    event("OUTBOUND_CUSTOMER_CONNECTED", connection_id="now")
    event("OUTBOUND_BUSY", connection_id="earlier")
    assert (agent().status, agent().call_connection_id) == ("OUTBOUND_CALL", "now")


def test_an_outcome_with_a_pause_pending_pauses_the_agent():
    event("OUTBOUND_CUSTOMER_CONNECTED")
    paused = WebhookEvent.objects.create(
        action="AGENT_STATUS_CHANGED",
        agent_login="jkowalski",
        data={"pause_id": 3},
        event_date=timezone.now(),
        dedup_key=uuid.uuid4().hex,
    )
    apply_agent_event(paused)
    event("OUTBOUND_AGENT_FAILED")
    assert (agent().status, agent().pause_id) == ("PAUSED", 3)


def test_attempts_are_never_fewer_than_finished_calls():
    event("OUTBOUND_COMPLETED", connection_id="a", billsec="60")  # its start was never seen
    event("OUTBOUND_BUSY", connection_id="b", agent_login="")
    day = today()
    assert (day.attempts, day.connected) == (2, 1)
    assert day.outcomes == {"COMPLETED": 1, "BUSY": 1} and day.contact_rate == 50.0


def test_a_call_counts_once_whatever_order_its_events_came_in():
    for action in ("OUTBOUND_COMPLETED", "OUTBOUND_CUSTOMER_CONNECTED", "OUTBOUND_CONNECTING"):
        event(action, connection_id="late", billsec="30")
    for action in ("OUTBOUND_CONNECTING", "OUTBOUND_CUSTOMER_CONNECTED", "OUTBOUND_COMPLETED"):
        event(action, connection_id="in-order", billsec="30")
    day = today()
    assert (day.attempts, day.connected, day.talk_seconds) == (2, 2, 60)


def test_events_without_connection_id_count_as_they_come():
    event("OUTBOUND_CONNECTING", connection_id="", agent_login="")
    event("OUTBOUND_CUSTOMER_CONNECTED", connection_id="", agent_login="")
    event("OUTBOUND_NO_ANSWER", connection_id="", agent_login="")
    day = today()
    assert (day.attempts, day.connected) == (1, 1)
