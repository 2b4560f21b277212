"""Call control on the board (transfer, hold/unhold, mute/unmute, stop recording, answer,
call_preview) and an idle agent's last queue call, through the views, against the simulator."""

import pytest
from django.urls import reverse

from crm_bridge import client as thulium
from crm_bridge import sync
from crm_bridge.models import ActionLog, Agent
from tests.conftest import make_user
from tests.test_call_control import queue_call_answered, sim_agents

HTMX = {"HTTP_HX_REQUEST": "true"}


def row_buttons(html: str, login: str) -> str:
    """The buttons the board shows on an agent's row: the page's set for the row's status
    (board.html#row-actions), which the browser copies into the row."""
    row = html[html.index(f'id="agent-{login}"') :]
    status = row[row.index('data-status="') + 13 :].split('"')[0]
    buttons = html[html.index(f'<template data-actions-for="{status}">') :]
    return buttons[: buttons.index("</template>")]


@pytest.fixture
def synced(db):
    sync.poll_directory()
    sync.poll_statuses()


@pytest.fixture
def supervisor(synced, client):
    user = make_user("supervisor", password="x")
    client.force_login(user)
    return user


@pytest.fixture
def calls(simulator):
    """Agents put on a connected call by the test; hung up afterwards."""
    placed = []

    def on_a_call(softphone=True, group_id=None, exclude=()):
        agents = sim_agents(simulator)
        login = next(
            a.login
            for a in Agent.objects.filter(status="FREE")
            .exclude(login__in=exclude)
            .order_by("login")
            if agents[a.login]["softphone"] == softphone
            and agents[a.login]["status"] == "FREE"
            and (group_id is None or a.group_id == group_id)
        )
        thulium.call(login, "600100200")
        simulator.control("softphone", {"agent_login": login, "softphone": True})
        thulium.answer(login)
        simulator.control("softphone", {"agent_login": login, "softphone": softphone})
        sync.refresh_agent(login)
        placed.append(login)
        return Agent.objects.get(login=login)

    yield on_a_call
    if placed:  # the calls may have moved to other agents (a transfer)
        for a in simulator.state()["agents"]:
            if a.get("call") and a["call"]["phone_number"] == "600100200":
                thulium.hangup(a["login"])


def act(django_client, login, action, data=None):
    return django_client.post(reverse("agent-action", args=[login, action]), data or {}, **HTMX)


def dialog(django_client, login, action):
    url = reverse("agent-action-form", args=[login, action])
    return django_client.get(url, **HTMX)


def test_hold_mute_and_stop_recording_from_the_board(supervisor, client, calls, simulator):
    agent = calls()
    row = row_buttons(client.get(reverse("board")).content.decode(), agent.login)
    for action in ("transfer", "hold", "unhold", "mute", "unmute", "stop_recording", "hangup"):
        assert f'data-action="{action}"' in row
    assert 'data-action="answer"' not in row and 'data-action="last_call"' not in row
    for action in ("hold", "mute", "stop_recording"):
        response = act(client, agent.login, action)
        assert "done" in response.content.decode() and response["HX-Trigger"] == "action-done"
    call = sim_agents(simulator)[agent.login]["call"]
    assert call["held"] and call["muted"] and not call["recording"]
    assert Agent.objects.get(login=agent.login).status == "CALL"  # held: still on the call
    act(client, agent.login, "unhold")
    act(client, agent.login, "unmute")
    call = sim_agents(simulator)[agent.login]["call"]
    assert not call["held"] and not call["muted"]
    logged = ActionLog.objects.order_by("pk").values_list("action", "ok", "user", "target")
    assert list(logged) == [
        (a, True, supervisor.pk, agent.login)
        for a in ("hold", "mute", "stop_recording", "unhold", "unmute")
    ]


def test_thuliums_refusal_is_shown_with_its_request_id(supervisor, client, calls):
    agent = calls(softphone=False)
    for action in ("hold", "mute", "unmute", "unhold"):
        html = act(client, agent.login, action).content.decode()
        entry = ActionLog.objects.filter(action=action).get()
        assert not entry.ok and entry.http_status == 400 and len(entry.request_id) == 13
        assert entry.message == "Agent does not use Thulium Softphone."
        assert entry.message in html and f"request_id {entry.request_id}" in html
        assert "toast-error" in html
    html = act(client, agent.login, "call_preview").content.decode()
    assert "Agent has no preview record." in html
    assert (
        "Agent&#x27;s phone is not ringing." in act(client, agent.login, "answer").content.decode()
    )


def test_transfer_to_another_agent_moves_the_call(supervisor, client, calls):
    agent = calls()
    html = dialog(client, agent.login, "transfer").content.decode()
    target = (
        Agent.objects.filter(status="FREE", active=True)
        .exclude(number="")
        .order_by("login")
        .first()
    )
    assert f'<option value="{target.login}">' in html
    assert f'<option value="{agent.login}">' not in html  # not to themselves
    assert f'<option value="{Agent.objects.filter(status="OFF").first().login}"' not in html
    response = act(client, agent.login, "transfer", {"to_agent": target.login})
    assert "done" in response.content.decode()
    entry = ActionLog.objects.get()
    assert entry.ok and entry.params == {"to_agent": target.login, "destination": target.number}
    moved = Agent.objects.get(login=target.login)
    assert moved.status == "CALL" and not Agent.objects.get(login=agent.login).on_call


def test_transfer_to_a_number_and_the_forms_checks(supervisor, client, calls):
    agent = calls()
    html = act(client, agent.login, "transfer", {}).content.decode()
    assert "Choose an agent or enter a number (one of them)." in html
    html = act(client, agent.login, "transfer", {"destination": "call me"}).content.decode()
    assert "Enter a phone number" in html
    assert not ActionLog.objects.exists()  # nothing reached Thulium
    act(client, agent.login, "transfer", {"destination": "999 888 777"})
    entry = ActionLog.objects.get()
    assert entry.ok and entry.params == {"destination": "999888777"}
    assert not Agent.objects.get(login=agent.login).on_call


def test_outside_the_team_it_is_403_and_reaches_no_thulium(synced, client, calls, simulator):
    agent = calls()
    other = next(g for g in Agent.objects.values_list("group_id", flat=True) if g != agent.group_id)
    client.force_login(make_user("team", groups=[other], password="x"))
    for action in ("hold", "mute", "stop_recording", "answer", "call_preview", "transfer"):
        assert act(client, agent.login, action, {"destination": "999888777"}).status_code == 403
    assert dialog(client, agent.login, "transfer").status_code == 403
    assert dialog(client, agent.login, "last_call").status_code == 403
    call = sim_agents(simulator)[agent.login]["call"]
    assert not call["held"] and not call["muted"] and call["recording"]
    assert not ActionLog.objects.exists()
    # the transfer dialog of their own agent offers only their team's agents
    own = Agent.objects.filter(group_id=other, status="FREE").first()
    html = dialog(client, own.login, "transfer").content.decode()
    assert f'<option value="{agent.login}">' not in html


def test_a_viewer_may_not_control_calls(synced, client, calls):
    agent = calls()
    client.force_login(make_user("viewer", role="viewer", password="x"))
    assert act(client, agent.login, "hold").status_code == 403
    assert not ActionLog.objects.exists()


def test_answer_for_a_ringing_agent(supervisor, client, simulator):
    login = next(
        a["login"]
        for a in simulator.state()["agents"]
        if a["status"] == "FREE" and a["softphone"] and Agent.objects.filter(login=a["login"])
    )
    thulium.call(login, "600100201")
    sync.refresh_agent(login)
    html = client.get(reverse("board")).content.decode()
    assert 'data-action="answer"' in row_buttons(html, login)
    assert "done" in act(client, login, "answer").content.decode()
    assert Agent.objects.get(login=login).status == "CALL"
    thulium.hangup(login)


def test_an_idle_agents_last_queue_call(supervisor, client, simulator):
    login, connection_id = queue_call_answered(simulator)
    thulium.hangup(login)
    sync.refresh_agent(login)
    last = thulium.get_last_queue_call(login)
    assert last.connection_id == connection_id
    html = client.get(reverse("board")).content.decode()
    assert 'data-action="last_call"' in row_buttons(html, login)
    html = dialog(client, login, "last_call").content.decode()
    assert last.phone_number in html and f'data-last-call="{connection_id}"' in html
    assert "Source: Thulium" in html
    without = None
    for agent in Agent.objects.filter(status="FREE").order_by("login"):
        try:
            thulium.get_last_queue_call(agent.login)
        except thulium.ThuliumAPIError:
            without = agent.login
            break
    html = dialog(client, without, "last_call").content.decode()
    assert "No queue call in the last 24 hours." in html and "request_id" in html
    assert not ActionLog.objects.exists()  # a read, not an action
