"""Supervisor actions on an agent, through the views, against the simulator."""

import pytest
from django.urls import reverse

from crm_bridge import client, sync
from crm_bridge.models import ActionLog, Agent
from tests.conftest import make_user

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def supervisor(db, client):
    user = make_user("supervisor", password="x")
    client.force_login(user)
    sync.poll_directory()
    sync.poll_statuses()
    return user


def free_login() -> str:
    login = Agent.objects.filter(status="FREE").values_list("login", flat=True).first()
    assert login, "the simulator starts with free agents"
    return login


def act(django_client, login, action, data=None):
    return django_client.post(reverse("agent-action", args=[login, action]), data or {}, **HTMX)


def test_it_pauses_an_agent_with_the_chosen_reason(supervisor, client):
    login = free_login()
    response = act(client, login, "pause", {"pause_id": "3"})
    assert response.status_code == 200
    assert "done" in response.content.decode()
    assert response["HX-Trigger"] == "action-done"
    agent = Agent.objects.get(login=login)  # refreshed at once, before the next poll
    assert (agent.status, agent.pause_id) == ("PAUSED", 3)
    entry = ActionLog.objects.get()
    assert (entry.user, entry.target, entry.action, entry.ok) == (supervisor, login, "pause", True)
    assert entry.params == {"pause_id": 3}
    assert act(client, login, "free").status_code == 200
    assert Agent.objects.get(login=login).status == "FREE"


def test_log_out_and_in(supervisor, client):
    login = free_login()
    act(client, login, "logout")
    assert client_status(login) == "OFF" == Agent.objects.get(login=login).status
    act(client, login, "login")
    assert client_status(login) != "OFF"


def test_call_through_an_agent_and_hang_up(supervisor, client):
    login = free_login()
    response = act(client, login, "call", {"phone_number": "600 100 200"})
    assert "done" in response.content.decode()
    assert Agent.objects.get(login=login).on_call
    act(client, login, "hangup")
    assert not Agent.objects.get(login=login).on_call


def test_a_thulium_error_shows_its_message_and_request_id(supervisor, client):
    login = free_login()
    response = act(client, login, "hangup")  # no call to hang up
    html = response.content.decode()
    entry = ActionLog.objects.get()
    assert not entry.ok and entry.http_status == 400 and entry.request_id
    assert entry.message in html
    assert f"request_id {entry.request_id}" in html
    assert "toast-error" in html


def test_a_bad_number_is_refused_before_calling_thulium(supervisor, client):
    login = free_login()
    response = act(client, login, "call", {"phone_number": "call me"})
    assert "Enter a phone number" in response.content.decode()
    assert not ActionLog.objects.exists()


def test_the_pause_dialog_offers_the_named_reasons(supervisor, client):
    login = free_login()
    html = client.get(reverse("agent-action-form", args=[login, "pause"]), **HTMX).content.decode()
    assert "przerwa" in html and "administracyjna" in html


def test_unknown_actions_are_404(supervisor, client):
    assert act(client, free_login(), "explode").status_code == 404


def test_it_requires_login(db, client):
    response = client.post(reverse("agent-action", args=["jkowalski", "pause"]), {"pause_id": 1})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert client.get(reverse("board")).status_code == 302


def test_the_board_lists_every_agent_with_filters_kept(supervisor, client):
    html = client.get(reverse("board") + "?status=PAUSED").content.decode()
    assert html.count('class="agent status-') == Agent.objects.filter(active=True).count() > 30
    free = Agent.objects.filter(status="FREE").first()
    assert f'id="agent-{free.login}"' in html
    row = html[html.index(f'id="agent-{free.login}"') :]
    assert row[: row.index(">")].endswith(" hidden")  # filtered out on first render too
    assert 'value="PAUSED" selected' in html


def client_status(login: str) -> str:
    return client.get_agent_status(login).status


def test_the_call_dialog_offers_the_campaigns(supervisor, client):
    from crm_bridge import campaign_sync

    campaign_sync.poll_list()
    html = client.get(reverse("agent-action-form", args=[free_login(), "call"]), **HTMX)
    assert '<datalist id="campaign-ids">' in html.content.decode()
    assert 'value="00001"' in html.content.decode()


def test_a_call_in_a_campaign_is_sent_with_its_id(supervisor, client):
    login = free_login()
    act(client, login, "call", {"phone_number": "600100200", "outbound_id": "00001"})
    entry = ActionLog.objects.get()
    assert entry.ok, entry.message
    assert entry.params == {"phone_number": "600100200", "outbound_id": "00001"}
    assert Agent.objects.get(login=login).status in {"RINGING", "OUTBOUND_CALL"}
    act(client, login, "hangup")


def test_the_board_sorts_by_time_in_status_longest_first_logged_off_last(supervisor, client):
    html = client.get(reverse("board") + "?sort=since").content.decode()
    rows = html.split('class="agent status-')[1:]
    off = [r.startswith("OFF") for r in rows]
    assert any(off) and off == sorted(off)  # every logged-off agent after the logged-in ones
    since = [r.split('data-since="')[1].split('"')[0] for r in rows if 'data-since="' in r]
    logged_in = [
        r.split('data-since="')[1].split('"')[0]
        for r in rows
        if 'data-since="' in r and not r.startswith("OFF")
    ]
    assert len(since) > 30
    assert logged_in == sorted(logged_in)  # ISO dates in one zone: earliest (longest) first
    assert 'class="sort active">In status' in html
