"""An agent's day so far, worked out from the stored events."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from crm_bridge.models import ActionLog, Agent, WebhookEvent
from dashboard.agent_day import agent_day
from tests.conftest import make_user

WARSAW = ZoneInfo("Europe/Warsaw")
NOW = datetime(2026, 3, 10, 9, 0, 0, tzinfo=WARSAW)


def at(hms: str) -> datetime:
    h, m, s = map(int, hms.split(":"))
    return NOW.replace(hour=h, minute=m, second=s)


def event(action: str, hms: str, **data):
    WebhookEvent.objects.create(
        action=action,
        agent_login="jkowalski",
        event_date=at(hms),
        data={"action": action, "agent_login": "jkowalski", **data},
        dedup_key=f"{action}{hms}",
    )


@pytest.fixture
def a_morning(db):
    agent = Agent.objects.create(login="jkowalski", name="Jan", surname="Kowalski")
    event("AGENT_LOGGED_IN", "08:00:00")
    event("AGENT_STATUS_CHANGED", "08:10:00", pause_id="3", previous_pause_id=None)
    event("AGENT_STATUS_CHANGED", "08:25:00", pause_id=None, previous_pause_id="3")
    event("AGENT_RINGING", "08:30:00", connection_id="c1")
    event("AGENT_CONNECTED", "08:30:10", connection_id="c1")
    event("AGENT_COMPLETED", "08:35:10", connection_id="c1", duration="310", billsec="300")
    event("AGENT_RINGING", "08:40:00", connection_id="c2")
    event("AGENT_NOT_ANSWERED", "08:40:15", connection_id="c2")
    event("TICKET_CREATED", "08:50:00", ticket_id="12")  # not an agent state: ignored
    return agent


def test_time_per_status_adds_up_to_the_morning(a_morning):
    day = agent_day(a_morning, now=NOW)
    totals = {t["label"]: t["seconds"] for t in day["totals"]}
    # Free 08:00-08:10, 08:25-08:30, 08:35:10-08:40, 08:40:15-09:00
    assert totals == {
        "Free": 600 + 300 + 290 + 1185,
        "Paused: przerwa": 900,
        "Inbound call": 300,
        "Ringing": 10 + 15,
    }
    assert sum(totals.values()) == 3600  # 08:00 to 09:00, nothing lost or counted twice
    assert [t["label"] for t in day["totals"]][0] == "Free"  # longest first
    assert (day["answered"], day["missed"], day["talk_seconds"]) == (1, 1, 300)
    labels = [e["label"] for e in day["timeline"]]
    assert labels == ["Free", "Paused: przerwa", "Free", "Ringing", "Inbound call", "Free",
                      "Ringing", "Free"]  # fmt: skip


def test_yesterday_does_not_count(a_morning):
    WebhookEvent.objects.create(
        action="AGENT_STATUS_CHANGED", agent_login="jkowalski",
        event_date=NOW.replace(day=9), data={"pause_id": "2"}, dedup_key="yesterday",
    )  # fmt: skip
    totals = {t["label"] for t in agent_day(a_morning, now=NOW)["totals"]}
    assert "Paused: administracyjna" not in totals


def test_the_day_view_shows_it_with_the_supervisors_actions(a_morning, client):
    user = make_user("supervisor")
    client.force_login(user)
    refused = {"message": "Agent is not logged in.", "request_id": "abc123def4567"}
    ActionLog.objects.create(user=user, target="jkowalski", action="pause", ok=False, **refused)
    html = client.get(reverse("agent-today", args=["jkowalski"])).content.decode()
    assert "Time by status" in html and "calls answered" in html
    assert "failed: Agent is not logged in. (request_id abc123def4567)" in html


def test_it_requires_login(db, client):
    Agent.objects.create(login="jkowalski")
    assert client.get(reverse("agent-today", args=["jkowalski"])).status_code == 302
