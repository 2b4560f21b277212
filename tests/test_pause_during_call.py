"""A pause or unpause during a call: the call stays, the row says what comes after it, and the
agent takes that state when the call ends."""

import uuid
from datetime import timedelta

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from crm_bridge.events import apply_agent_event
from crm_bridge.models import Agent, WebhookEvent
from dashboard.board import rows_context

pytestmark = pytest.mark.django_db

T0 = timezone.now().replace(microsecond=0) - timedelta(minutes=10)
CALL = {"connection_id": "1416225570.341", "queue_id": "155", "source_number": "523993855"}
OUTBOUND = {"id": "00003", "name": "Ankieta", "phone_number": "600100200", "connection_id": "o.1"}


def event(action: str, seconds: int, **data) -> bool:
    """Fold one stored event for jkowalski, dated `seconds` after T0."""
    stored = WebhookEvent.objects.create(
        action=action,
        agent_login="jkowalski",
        data={"action": action, "agent_login": "jkowalski", **data},
        event_date=T0 + timedelta(seconds=seconds),
        connection_id=data.get("connection_id", ""),
        dedup_key=uuid.uuid4().hex,
    )
    return apply_agent_event(stored)


def agent() -> Agent:
    return Agent.objects.get(login="jkowalski")


def row() -> str:
    context = rows_context(["jkowalski"])  # as the live push renders a changed row
    (shown,) = context["agents"]
    return render_to_string("dashboard/board.html#agent-row", {**context, "agent": shown})


def test_a_pause_during_a_call_keeps_the_call_and_shows_the_pending_pause():
    event("AGENT_LOGGED_IN", 0)
    event("AGENT_CONNECTED", 10, **CALL)
    assert event("AGENT_STATUS_CHANGED", 20, pause_id="3", previous_pause_id=None)
    now = agent()
    assert (now.status, now.call_number, now.call_queue_id) == ("INBOUND_CALL", "523993855", 155)
    assert (now.pending_status, now.pending_pause_id) == ("PAUSED", 3)
    html = row()
    assert 'data-status="INBOUND_CALL"' in html and "523993855" in html
    assert "then: Pause przerwa" in html  # the reason's name, from the seeded pause names


def test_the_agent_is_paused_when_the_call_ends():
    event("AGENT_LOGGED_IN", 0)
    event("AGENT_CONNECTED", 10, **CALL)
    event("AGENT_STATUS_CHANGED", 20, pause_id="3")
    assert event("AGENT_COMPLETED", 90, **CALL, duration="80", billsec="78")
    after = agent()
    assert (after.status, after.pause_id, after.call_number) == ("PAUSED", 3, "")
    assert after.status_since == T0 + timedelta(seconds=90)
    assert (after.pending_status, after.pending_pause_id) == ("", None)
    assert "then:" not in row()


def test_an_unpause_during_a_call_made_from_a_pause_frees_the_agent_after_it():
    event("AGENT_STATUS_CHANGED", 0, pause_id="2")
    event("OUTBOUND_CUSTOMER_CONNECTED", 10, **OUTBOUND)
    assert (agent().pending_status, agent().pending_pause_id) == ("PAUSED", 2)
    assert "then: Pause administracyjna" in row()
    event("AGENT_STATUS_CHANGED", 20, pause_id=None, previous_pause_id="2")
    assert agent().status == "OUTBOUND_CALL"
    assert "then: Free" in row()
    event("OUTBOUND_COMPLETED", 60, **OUTBOUND, billsec="40")
    assert (agent().status, agent().pause_id) == ("FREE", None)


def test_a_call_made_from_a_pause_goes_back_to_it():
    event("AGENT_STATUS_CHANGED", 0, pause_id="4")
    event("AGENT_RINGING", 10, **CALL)
    event("AGENT_NOT_ANSWERED", 20, **CALL)
    assert (agent().status, agent().pause_id) == ("PAUSED", 4)


def test_the_end_of_another_call_changes_nothing():
    event("AGENT_LOGGED_IN", 0)
    event("AGENT_CONNECTED", 10, **CALL)
    event("AGENT_STATUS_CHANGED", 20, pause_id="3")
    assert not event("AGENT_COMPLETED", 30, **{**CALL, "connection_id": "999.1"})
    assert (agent().status, agent().pending_status) == ("INBOUND_CALL", "PAUSED")


def test_a_pause_before_the_call_began_does_not_wait_for_its_end():
    event("AGENT_LOGGED_IN", 0)
    event("AGENT_CONNECTED", 10, **CALL)
    assert not event("AGENT_STATUS_CHANGED", 5, pause_id="3")  # older than the call
    assert agent().pending_status == ""
