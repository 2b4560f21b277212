"""The board's rows: today's numbers (calls, talk, pauses) from the stored events, in one query
for all rows; the "in status" order; the row's buttons in one template per status."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from crm_bridge.models import Agent, WebhookEvent
from dashboard.board import sort_agents, today_numbers
from dashboard.board_today import DAY
from dashboard.live import agents_update
from dashboard.queues import day_start
from tests.conftest import make_user


def _event(login: str, action: str, when, **data):
    WebhookEvent.objects.create(
        action=action,
        agent_login=login,
        event_date=when,
        data={"action": action, "agent_login": login, **data},
        dedup_key=f"{login}{action}{when.isoformat()}",
    )


@pytest.fixture(autouse=True)
def fresh_day():
    """The whole-board totals are kept per process: none from another test's database."""
    DAY.day = None
    yield
    DAY.day = None


@pytest.fixture
def a_morning(db, a_day_begun_hours_ago):
    """jkowalski: logged in, a 15 min pause, one call of 300 s billed, one missed, paused again
    (running, 10 min so far); anowak: two calls answered; both from events received today."""
    now = timezone.now()
    start = max(day_start(now), now - timedelta(hours=3))
    at = lambda minutes: start + timedelta(minutes=minutes)  # noqa: E731
    assert at(80) < now
    jan = Agent.objects.create(
        login="jkowalski",
        name="Jan",
        surname="Kowalski",
        status="PAUSED",
        pause_id=3,
        status_since=now - timedelta(minutes=10),
    )
    Agent.objects.create(login="anowak", name="Anna", surname="Nowak", status="FREE")
    _event("jkowalski", "AGENT_LOGGED_IN", at(0))
    _event("jkowalski", "AGENT_STATUS_CHANGED", at(10), pause_id="3")
    _event("jkowalski", "AGENT_STATUS_CHANGED", at(25), pause_id=None)
    _event("jkowalski", "AGENT_RINGING", at(30), connection_id="c1")
    _event("jkowalski", "AGENT_CONNECTED", at(30), connection_id="c1")
    _event("jkowalski", "AGENT_COMPLETED", at(35), connection_id="c1", billsec="300")
    _event("jkowalski", "AGENT_RINGING", at(40), connection_id="c2")
    _event("jkowalski", "AGENT_NOT_ANSWERED", at(41), connection_id="c2")
    _event("jkowalski", "AGENT_STATUS_CHANGED", now - timedelta(minutes=10), pause_id="2")
    for minute in (50, 60):
        _event("anowak", "AGENT_CONNECTED", at(minute), connection_id=f"n{minute}")
        _event("anowak", "AGENT_COMPLETED", at(minute + 2), connection_id=f"n{minute}", billsec=90)
    _event("anowak", "AGENT_CONNECTED", day_start(now) - timedelta(minutes=5), connection_id="y")
    return jan


def test_today_counts_calls_talk_and_the_pauses_that_ended(a_morning):
    found = today_numbers(Agent.objects.all())
    jan, anna = found["jkowalski"], found["anowak"]
    assert (jan.answered, jan.talk, jan.paused) == (1, 300, 15 * 60)  # the running pause: below
    assert (anna.answered, anna.talk, anna.paused) == (2, 180, 0)  # yesterday's call left out


def test_a_row_shows_today_and_its_running_pause_keeps_growing_in_the_browser(a_morning):
    html = agents_update(["jkowalski", "anowak"])
    jan = html[html.index('id="agent-jkowalski"') :]
    jan = jan[: jan.index("</tr>")]
    assert '<span data-today="answered">1</span>' in jan
    assert '<span data-today="talk">5:00</span>' in jan
    # 15 min that ended + the 10 min running now; the browser adds from data-paused-from on.
    assert 'data-paused="900"' in jan and "data-paused-from=" in jan
    assert ">25:0" in jan
    anna = html[html.index('id="agent-anowak"') :]
    assert '<span data-today="talk">3:00</span>' in anna[: anna.index("</tr>")]


def test_today_costs_one_query_for_one_row_or_two_hundred(a_morning):
    Agent.objects.bulk_create([Agent(login=f"a{i}", status="FREE", group_id=1) for i in range(200)])
    agents_update(["jkowalski"])  # the alert thresholds, kept a few seconds per process, read now
    with CaptureQueriesContext(connection) as one:
        agents_update(["jkowalski"])
    with CaptureQueriesContext(connection) as many:
        html = agents_update(["jkowalski", "anowak"] + [f"a{i}" for i in range(200)])
    assert len(one) == len(many)
    assert html.count('data-today="answered"') == 202
    events = [q["sql"] for q in many.captured_queries if "webhookevent" in q["sql"].lower()]
    assert len(events) == 1


def test_in_status_puts_the_longest_first_and_logged_off_agents_last(db):
    now = timezone.now()
    rows = [
        Agent(login="off-long", status="OFF", status_since=now - timedelta(hours=9)),
        Agent(login="free-short", status="FREE", status_since=now - timedelta(minutes=1)),
        Agent(login="paused-long", status="PAUSED", status_since=now - timedelta(minutes=40)),
        Agent(login="off-short", status="OFF", status_since=now - timedelta(minutes=2)),
        Agent(login="unknown", status="FREE", status_since=None),
    ]
    for agent in rows:
        agent.group_name = ""
    order = [a.login for a in sort_agents(rows, "since")]
    assert order == ["paused-long", "free-short", "unknown", "off-long", "off-short"]


def test_rows_carry_no_buttons_the_page_has_them_once_per_status(client, a_morning):
    client.force_login(make_user("sup"))
    html = client.get(reverse("board")).content.decode()
    row = html[html.index('id="agent-jkowalski"') :]
    row = row[: row.index("</tr>")]
    assert '<td class="actions"></td>' in row and "<button" not in row
    for status, actions in {
        "OFF": ["login"],
        "PAUSED": ["free", "pause", "call", "last_call", "logout"],
        "RINGING": ["answer", "hangup", "logout"],
        "CALL": ["transfer", "hold", "unhold", "mute", "unmute", "stop_recording", "hangup"],
    }.items():
        template = html[html.index(f'<template data-actions-for="{status}">') :]
        template = template[: template.index("</template>")]
        for action in actions:
            assert f'data-action="{action}"' in template
    assert html.count("<template data-actions-for=") == 8
    assert "since midnight, from the events received here" in html  # the numbers' source


def test_a_whole_board_counts_the_same_and_folds_in_only_what_arrived_since(a_morning):
    many = [Agent(login=f"b{i}", status="FREE") for i in range(150)]
    Agent.objects.bulk_create(many)
    everyone = list(Agent.objects.all())
    fresh = today_numbers(Agent.objects.filter(login__in=["jkowalski", "anowak"]))
    whole = today_numbers(everyone)  # more than a push's few: the running totals
    for login in ("jkowalski", "anowak"):
        assert (whole[login].answered, whole[login].talk, whole[login].paused) == (
            fresh[login].answered,
            fresh[login].talk,
            fresh[login].paused,
        )
    now = timezone.now()
    _event("anowak", "AGENT_CONNECTED", now - timedelta(seconds=20), connection_id="n3")
    _event("anowak", "AGENT_COMPLETED", now - timedelta(seconds=5), connection_id="n3", billsec=15)
    with CaptureQueriesContext(connection) as queries:
        again = today_numbers(everyone)
    assert len(queries) == 1
    assert (again["anowak"].answered, again["anowak"].talk) == (3, 195)  # each counted once
    assert today_numbers(everyone)["anowak"].answered == 3  # and not again
    # A row another process committed late (received a little before the last read): once.
    _event("anowak", "AGENT_CONNECTED", now - timedelta(seconds=2), connection_id="n4")
    WebhookEvent.objects.filter(data__connection_id="n4").update(
        received_at=timezone.now() - timedelta(seconds=10)
    )
    assert today_numbers(everyone)["anowak"].answered == 4
    assert today_numbers(everyone)["anowak"].answered == 4
