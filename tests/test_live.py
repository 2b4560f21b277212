"""The live feed: the /ws/live/ consumer over the embedded Valkey channel layer."""

from contextlib import asynccontextmanager

import pytest
from asgiref.sync import async_to_sync
from channels.testing import WebsocketCommunicator
from django.contrib.auth.models import AnonymousUser
from django.db import transaction

from crm_bridge.models import Agent
from crm_bridge.signals import notify_agents_changed
from dashboard.consumers import LiveConsumer
from dashboard.live import agents_update
from tests.conftest import make_user


@asynccontextmanager
async def _socket(user):
    """A socket that is always disconnected at the end, so no consumer outlives its test."""
    communicator = WebsocketCommunicator(LiveConsumer.as_asgi(), "/ws/live/")
    communicator.scope["user"] = user
    try:
        yield communicator
    finally:
        await communicator.disconnect()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_board_gets_a_snapshot_then_each_change(django_user_model):
    user = make_user("sup", password="x")
    Agent.objects.create(login="jkowalski", name="Jan", surname="Kowalski", status="FREE")

    async def scenario():
        async with _socket(user) as board:
            connected, _ = await board.connect()
            assert connected
            snapshot = await board.receive_from(timeout=5)
            assert 'id="agent-rows"' in snapshot and 'id="agent-jkowalski"' in snapshot
            assert 'id="status-counts"' in snapshot

            await _pause_agent()
            update = await board.receive_from(timeout=5)
            assert 'id="agent-jkowalski"' in update and 'data-status="PAUSED"' in update
            assert "przerwa" in update  # the reason's name, from the seeded pause names

    async_to_sync(scenario)()


async def _pause_agent():
    from channels.db import database_sync_to_async

    @database_sync_to_async
    def pause():
        with transaction.atomic():
            Agent.objects.filter(login="jkowalski").update(status="PAUSED", pause_id=3)
            notify_agents_changed(["jkowalski"])

    await pause()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_anonymous_socket_is_closed_with_4401_so_the_page_goes_to_the_login():
    async def scenario():
        async with _socket(AnonymousUser()) as board:
            connected, _ = await board.connect()
            assert connected  # accepted, so that the browser gets the code (not a bare 1006)
            closed = await board.receive_output(timeout=5)
            assert closed == {"type": "websocket.close", "code": 4401}

    async_to_sync(scenario)()


@pytest.mark.django_db
def test_an_update_costs_the_same_queries_for_one_agent_or_fifty():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    Agent.objects.bulk_create([Agent(login=f"a{i}", status="FREE", group_id=1) for i in range(50)])
    agents_update(["a0"])  # the alert thresholds, kept a few seconds per process, read now
    with CaptureQueriesContext(connection) as one:
        agents_update(["a0"])
    with CaptureQueriesContext(connection) as fifty:
        html = agents_update([f"a{i}" for i in range(50)])
    assert len(one) == len(fifty)
    assert html.count('class="agent status-FREE"') == 50
    assert 'id="status-counts"' in html


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_reconnecting_boards_share_one_render_until_something_changes(
    django_assert_max_num_queries,
):
    from dashboard.live import board_group, board_snapshot, broadcast

    Agent.objects.create(login="jkowalski", status="FREE")
    broadcast(board_group("en"), "<p id='x'>warm-up</p>")  # a fresh version (English board)
    first = board_snapshot()
    with django_assert_max_num_queries(0):
        assert board_snapshot() == first  # a reconnect storm costs no rendering
    Agent.objects.filter(login="jkowalski").update(status="PAUSED", pause_id=2)
    broadcast(board_group("en"), "<p id='x'>changed</p>")
    fresh = board_snapshot()
    assert 'data-status="PAUSED"' in fresh and 'data-status="PAUSED"' not in first


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_callers_name_learned_later_pushes_only_the_name(django_user_model):
    """The CRM names the caller after the call's own push (and its commit): the board gets the
    row's caller element with the name, and no row, status counts or tiles again."""
    from channels.db import database_sync_to_async
    from django.core.cache import cache

    from crm_bridge import customers

    user = make_user("sup", password="x")
    Agent.objects.create(login="jkowalski", name="Jan", surname="Kowalski", status="RINGING",
                         call_number="500100200")  # fmt: skip

    @database_sync_to_async
    def named():
        cache.set(customers._key("500100200"), "Anna Nowak · Firma X", timeout=60)
        with transaction.atomic():
            customers.show({"500100200": "Anna Nowak · Firma X"})

    async def scenario():
        async with _socket(user) as board:
            connected, _ = await board.connect()
            assert connected
            await board.receive_from(timeout=5)  # the snapshot
            await named()
            update = await board.receive_from(timeout=5)
            assert 'id="agent-jkowalski-caller"' in update and "Anna Nowak · Firma X" in update
            assert "<tr" not in update and 'id="status-counts"' not in update

    async_to_sync(scenario)()
