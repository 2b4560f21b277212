"""Teams and roles, enforced on the server: a supervisor of one team sees only that team's
agents and queues, on the page, in the websocket snapshot and in every live push (checked on
what the socket receives), and acts only on them; a viewer only watches; a user with no team
sees a message saying so."""

from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from crm_bridge import sync
from crm_bridge.models import ActionLog, Agent, AgentGroup
from crm_bridge.parse import format_local
from crm_bridge.signals import notify_agents_changed
from dashboard.consumers import LiveConsumer
from dashboard.models import Queue
from dashboard.teams import scope_of
from tests.conftest import make_user
from tests.test_queue_metrics import post

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def two_teams(db):
    """Thulium's agents in their groups (the simulator's), with a queue each team serves."""
    sync.poll_directory()
    sync.poll_statuses()
    groups = sorted(AgentGroup.objects.values_list("group_id", flat=True))
    mine, theirs = groups[0], groups[1]
    for group, number in ((mine, 801), (theirs, 802)):
        Queue.objects.create(number=number, name=f"Q{number}").agent_groups.add(group)
    return mine, theirs


def _agents(group_id) -> list[str]:
    return list(Agent.objects.filter(group_id=group_id).values_list("login", flat=True))


def test_a_one_team_board_shows_that_team_only(client, two_teams):
    mine, theirs = two_teams
    client.force_login(make_user("anna", groups=[mine]))
    page = client.get(reverse("board")).content.decode()
    assert all(f'id="agent-{login}"' in page for login in _agents(mine))
    assert not any(f'id="agent-{login}"' in page for login in _agents(theirs))
    assert 'id="queue-801"' in page and 'id="queue-802"' not in page
    client.force_login(make_user("boss", groups=None))  # every team
    page = client.get(reverse("board")).content.decode()
    assert all(f'id="agent-{login}"' in page for login in _agents(mine) + _agents(theirs))


def test_acting_on_another_teams_agent_is_refused_and_reaches_no_thulium(client, two_teams):
    mine, theirs = two_teams
    client.force_login(make_user("anna", groups=[mine]))
    target = Agent.objects.filter(group_id=theirs).exclude(status="OFF").first()
    before = sync.client.get_agent_status(target.login)
    response = client.post(reverse("agent-action", args=[target.login, "logout"]), **HTMX)
    assert response.status_code == 403
    assert sync.client.get_agent_status(target.login) == before  # Thulium was not asked
    assert not ActionLog.objects.exists()
    assert client.get(reverse("agent-today", args=[target.login])).status_code == 403
    own = Agent.objects.filter(group_id=mine).exclude(status="OFF").first()
    assert (
        client.post(reverse("agent-action", args=[own.login, "logout"]), **HTMX).status_code == 200
    )


def test_a_viewer_watches_and_may_not_act(client, two_teams):
    mine, _ = two_teams
    client.force_login(make_user("qa", role="viewer", groups=[mine]))
    page = client.get(reverse("board")).content.decode()
    assert "data-view-only" in page
    own = Agent.objects.filter(group_id=mine).exclude(status="OFF").first()
    assert (
        client.post(reverse("agent-action", args=[own.login, "logout"]), **HTMX).status_code == 403
    )
    assert Agent.objects.get(pk=own.pk).status != "OFF"


def test_a_user_with_no_team_is_told_so(client, django_user_model, db):
    client.force_login(django_user_model.objects.create_user("nobody"))
    response = client.get(reverse("board"))
    assert response.status_code == 403
    assert "No team yet" in response.content.decode()


@asynccontextmanager
async def _board(user):
    communicator = WebsocketCommunicator(LiveConsumer.as_asgi(), "/ws/live/?lang=en")
    communicator.scope["user"] = user
    try:
        yield communicator
    finally:
        await communicator.disconnect()


@database_sync_to_async
def _change(logins):
    with transaction.atomic():
        Agent.objects.filter(login__in=logins).update(status="PAUSED", pause_id=3)
        notify_agents_changed(logins)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_frame_a_team_board_receives_names_another_teams_agent(settings, client):
    settings.QUEUE_PUSH_DELAY_MS = 0
    sync.poll_directory()
    sync.poll_statuses()
    groups = sorted(AgentGroup.objects.values_list("group_id", flat=True))
    mine, theirs = groups[0], groups[1]
    anna, boss = make_user("anna", groups=[mine]), make_user("boss", groups=None)
    ours, others = _agents(mine), _agents(theirs)
    when = timezone.now() - timedelta(seconds=20)
    post(client, "ENTER_QUEUE", connection_id="t1", queue_id=802, date=format_local(when))
    Queue.objects.get(number=802).agent_groups.add(theirs)

    async def scenario():
        async with _board(anna) as team_board, _board(boss) as all_board:
            frames = {"team": [], "all": []}
            for name, board in (("team", team_board), ("all", all_board)):
                connected, _ = await board.connect()
                assert connected
                frames[name].append(await board.receive_from(timeout=5))  # the snapshot
            await _change([others[0], ours[0]])
            await _change([others[1]])  # only the other team moved: nothing for this board
            for name, board in (("team", team_board), ("all", all_board)):
                while not await board.receive_nothing(timeout=1.5):  # all it gets, then quiet
                    frames[name].append(await board.receive_from())
            return frames

    frames = async_to_sync(scenario)()
    seen_by_team, seen_by_all = "".join(frames["team"]), "".join(frames["all"])
    assert f'id="agent-{ours[0]}"' in seen_by_team and 'data-status="PAUSED"' in seen_by_team
    assert not any(f'id="agent-{login}"' in seen_by_team for login in others)
    assert 'id="queue-802"' not in seen_by_team  # the other team's queue
    assert all(f'id="agent-{login}"' in seen_by_all for login in (others[0], others[1], ours[0]))
    assert 'id="queue-802"' in seen_by_all


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_queue_two_teams_serve_moves_on_both_boards_in_one_message(settings):
    """An agent of one team pauses: that team's board gets the row, its counts and the
    shared queue's agents line in one message; the other team's board gets that line alone
    (its numbers moved, none of its rows did)."""
    settings.QUEUE_PUSH_DELAY_MS = 0
    sync.poll_directory()
    sync.poll_statuses()
    groups = sorted(AgentGroup.objects.values_list("group_id", flat=True))
    mine, theirs = groups[0], groups[1]
    Queue.objects.create(number=803, name="Shared").agent_groups.add(mine, theirs)
    anna, ewa = make_user("anna", groups=[mine]), make_user("ewa", groups=[theirs])
    pausing = Agent.objects.filter(group_id=theirs, active=True).exclude(status="PAUSED")[0]

    async def scenario():
        async with _board(anna) as team_board, _board(ewa) as their_board:
            frames = {"mine": [], "theirs": []}
            for board in (team_board, their_board):
                connected, _ = await board.connect()
                assert connected
                await board.receive_from(timeout=5)  # the snapshot
            await _change([pausing.login])
            for name, board in (("mine", team_board), ("theirs", their_board)):
                while not await board.receive_nothing(timeout=1.5):
                    frames[name].append(await board.receive_from())
            return frames

    frames = async_to_sync(scenario)()
    paused = Agent.objects.filter(group_id__in=[mine, theirs], active=True, status="PAUSED")
    line = f"· {paused.count()} paused"
    assert len(frames["theirs"]) == 1
    assert f'id="agent-{pausing.login}"' in frames["theirs"][0]
    assert 'id="status-counts"' in frames["theirs"][0]
    assert 'id="queue-803-agents"' in frames["theirs"][0] and line in frames["theirs"][0]
    assert len(frames["mine"]) == 1
    assert 'id="queue-803-agents"' in frames["mine"][0] and line in frames["mine"][0]
    assert 'id="agent-' not in frames["mine"][0] and 'id="status-counts"' not in frames["mine"][0]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_agent_gone_from_thuliums_directory_leaves_the_teams_counts(settings):
    settings.QUEUE_PUSH_DELAY_MS = 0
    sync.poll_directory()
    sync.poll_statuses()
    theirs = sorted(AgentGroup.objects.values_list("group_id", flat=True))[1]
    ewa = make_user("ewa", groups=[theirs])
    leaving = Agent.objects.filter(group_id=theirs, active=True).exclude(status="OFF")[0]

    @database_sync_to_async
    def gone():  # what the directory poll does with an agent Thulium no longer lists
        with transaction.atomic():
            Agent.objects.filter(login=leaving.login).update(active=False)
            notify_agents_changed([leaving.login])

    async def scenario():
        async with _board(ewa) as board:
            assert (await board.connect())[0]
            await board.receive_from(timeout=5)  # the snapshot
            await gone()
            return await board.receive_from(timeout=5)

    pushed = async_to_sync(scenario)()
    logged_in = Agent.objects.filter(group_id=theirs, active=True).exclude(status="OFF").count()
    assert f'data-logged-in="{logged_in}"' in pushed


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_board_without_a_team_is_closed(django_user_model):
    nobody = django_user_model.objects.create_user("nobody")

    async def scenario():
        async with _board(nobody) as board:
            await board.connect()
            return (await board.receive_output(timeout=5))["code"]

    assert async_to_sync(scenario)() == 4403


def test_team_user_creates_and_updates_a_supervisor_of_some_teams(db):
    call_command("team_user", "ewa", "--role", "viewer", "--group", "3", "--group", "7",
                 "--password", "pass-1234-xyz")  # fmt: skip
    from django.contrib.auth import get_user_model

    ewa = get_user_model().objects.get(username="ewa")
    assert ewa.check_password("pass-1234-xyz")
    assert scope_of(ewa).groups == {3, 7} and not ewa.has_perm("dashboard.act_on_agents")
    call_command("team_user", "ewa", "--role", "supervisor", "--group", "7")
    ewa = get_user_model().objects.get(username="ewa")
    assert scope_of(ewa).groups == {7} and ewa.has_perm("dashboard.act_on_agents")
    assert ewa.check_password("pass-1234-xyz")  # kept
