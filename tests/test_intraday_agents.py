"""Agents by status over the day on the intraday page: a scripted morning of agent events,
through the receiver and the pipeline, gives the hand-worked average number of agents in each
status per interval (docs/metrics.md, "Agents by status")."""

import re
from datetime import date

import pytest

from crm_bridge.models import Agent
from dashboard.intraday_agents import agents_by_status
from dashboard.teams import Scope
from tests.test_intraday import deliver

pytestmark = pytest.mark.django_db
DAY = "2025-03-10"


def ev(action, login, at, day=DAY, **fields):
    return {"action": action, "agent_login": login, "date": f"{day} {at}", **fields}


def a_morning() -> list[dict]:
    """Two agents' morning, and one logged in across midnight; the numbers are worked out in
    the test below (15-minute intervals: 90 s = 0.1 agent)."""
    return [
        ev("AGENT_LOGGED_IN", "nocny", "23:50:00", day="2025-03-09"),
        ev("AGENT_LOGGED_OUT", "nocny", "00:06:00"),
        ev("AGENT_LOGGED_IN", "jkowalski", "08:00:00"),
        ev("AGENT_CONNECTED", "jkowalski", "08:07:30", connection_id="c1", queue_id="155"),
        ev("AGENT_STATUS_CHANGED", "jkowalski", "08:10:00", pause_id="3"),  # during the call
        ev(
            "AGENT_COMPLETED",
            "jkowalski",
            "08:12:00",
            connection_id="c1",
            queue_id="155",
            duration="270",
            billsec="270",
        ),  # fmt: skip
        ev("AGENT_STATUS_CHANGED", "jkowalski", "08:21:00", pause_id="null"),
        ev("AGENT_LOGGED_OUT", "jkowalski", "08:30:00"),
        ev("AGENT_LOGGED_IN", "anowak", "08:15:00"),
        ev("AGENT_STATUS_CHANGED", "anowak", "08:25:30", pause_id="2"),
        ev("AGENT_LOGGED_OUT", "anowak", "08:36:00"),
    ]


def status_table(html: str) -> dict[str, dict[str, str]]:
    rows = {}
    for interval, cells in re.findall(r'<tr data-status-interval="([^"]+)">(.*?)</tr>', html, re.S):
        found = re.findall(r'data-status="([^"]+)">([^<]*)<', cells)
        rows[interval] = {status: n for status, n in found if n != "0.0"}
    return rows


@pytest.fixture
def supervisor(client, django_user_model):
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("sup", password="pw-123456789")
    user.user_permissions.add(Permission.objects.get(codename="see_all_agents"))
    client.force_login(user)
    return client


def test_a_mornings_agents_by_status_are_the_hand_worked_averages(supervisor):
    deliver(a_morning())
    html = supervisor.get("/intraday/", {"day": DAY, "minutes": "15"}).content.decode()
    rows = status_table(html)
    # nocny: logged in before midnight, free 00:00-00:06 = 360 s of 900
    assert rows["00:00"] == {"FREE": "0.4", "logged-in": "0.4"}
    assert rows["00:15"] == {} and rows["07:45"] == {}  # nobody logged in: a row of zeros
    # jkowalski: free 450 s, on the call 270 s (the pause at 08:10 waits for its end), paused
    # 180 s
    assert rows["08:00"] == {"FREE": "0.5", "INBOUND_CALL": "0.3", "PAUSED": "0.2",
                             "logged-in": "1.0"}  # fmt: skip
    # jkowalski paused 360 s, free 540 s; anowak free 630 s, paused 270 s
    assert rows["08:15"] == {"FREE": "1.3", "PAUSED": "0.7", "logged-in": "2.0"}
    # anowak paused 08:30-08:36
    assert rows["08:30"] == {"PAUSED": "0.4", "logged-in": "0.4"}
    assert list(rows)[-1] == "08:30"  # a past day ends with its last agent
    assert 'data-chart="agents-by-status"' in html and 'id="agents-status-data"' in html
    assert "Agents by status" in html


def test_thirty_minute_intervals_and_the_polish_page(supervisor):
    deliver(a_morning())
    html = supervisor.get(
        "/intraday/", {"day": DAY, "minutes": "30"}, headers={"accept-language": "pl"}
    ).content.decode()
    rows = status_table(html)
    # 08:00-08:30: jkowalski 1800 s logged in, anowak 900 s: 2700 s of 1800
    assert rows["08:00"]["logged-in"] == "1,5"  # Polish decimals
    assert "Agenci według statusu" in html and "Wolny" in html


def test_a_team_sees_its_own_agents_only():
    deliver(a_morning())
    Agent.objects.filter(login="jkowalski").update(group_id=1)
    Agent.objects.filter(login="anowak").update(group_id=2)
    rows = {r.label: r for r in agents_by_status(date(2025, 3, 10), 15, Scope(frozenset({1})))}
    assert rows["08:15"].logged_in == 1.0  # jkowalski only
    assert "00:00" not in rows  # nocny is in no team's group


def test_a_day_with_no_agent_events_says_so(supervisor):
    html = supervisor.get("/intraday/", {"day": "2025-01-01"}).content.decode()
    assert "No agent events stored for this day." in html
