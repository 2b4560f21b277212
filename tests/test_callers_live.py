"""A caller's name learned from Thulium's CRM after the call's own push reaches each team's open
boards as just the elements that show it (the row's caller, the queue tile's waiting caller),
over the real channel layer: no row or tile is sent again, and no team hears another's callers.
"""

import re
from contextlib import AsyncExitStack

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from django.core.cache import cache
from django.utils import timezone

from crm_bridge import customers
from crm_bridge.models import Agent, AgentGroup
from dashboard.models import Queue, QueueCall
from dashboard.models.queues import Outcome
from tests.conftest import make_user
from tests.test_teams import _board

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

NAMES = {
    "600100200": "Jan Nowak · Hurtownia Kraków",  # ringing at agent jkowalski (team 1)
    "600100400": "Ewa Lis",  # waiting in queue 801 (team 1)
    "600100500": "Adam Mazur",  # waiting in queue 802 (team 2)
    "600100300": customers.UNKNOWN,  # on a call with agent anowak (team 2): not in the CRM
}


@pytest.fixture
def calls(db):
    """Two teams, each with an agent on a call and a queue with a caller waiting."""
    mine, theirs = AgentGroup.objects.create(group_id=1), AgentGroup.objects.create(group_id=2)
    Agent.objects.create(login="jkowalski", name="Jan", surname="Kowalski", group_id=1,
                         status="RINGING", call_number="600100200")  # fmt: skip
    Agent.objects.create(login="anowak", name="Anna", surname="Nowak", group_id=2,
                         status="INBOUND_CALL", call_number="600100300")  # fmt: skip
    now = timezone.now()
    for number, group, caller in ((801, mine, "600100400"), (802, theirs, "600100500")):
        queue = Queue.objects.create(number=number, name=f"Q{number}")
        queue.agent_groups.add(group)
        waiting = {"entered_at": now, "last_event_at": now, "outcome": Outcome.WAITING}
        QueueCall.objects.create(
            queue=queue, contact_id=f"c{number}", caller_number=caller, **waiting
        )
    return make_user("anna", groups=[1]), make_user("piotr", groups=[2])


@database_sync_to_async
def _names_learned():
    """What the Celery task does once Thulium answered: cache the names, then show them."""
    for number, label in NAMES.items():
        cache.set(customers._key(number), label, timeout=60)
    customers.show(NAMES)


def test_names_learned_later_reach_each_teams_board_as_just_those_elements(calls):
    anna, piotr = calls

    async def scenario():
        async with AsyncExitStack() as sockets:
            boards = {}
            for user in (anna, piotr):
                board = await sockets.enter_async_context(_board(user))
                assert (await board.connect())[0]
                snapshot = await board.receive_from(timeout=5)
                assert 'id="agent-' in snapshot  # the snapshot has no names yet
                assert "Ewa Lis" not in snapshot and "Jan Nowak" not in snapshot
                boards[user.username] = board
            await _names_learned()
            return {name: await board.receive_from(timeout=5) for name, board in boards.items()}

    got = async_to_sync(scenario)()
    mine, theirs = got["anna"], got["piotr"]
    ewa, adam = (QueueCall.objects.get(contact_id=c).pk for c in ("c801", "c802"))
    # Team 1: its agent's caller and its queue's waiting caller, by name.
    assert '<span id="agent-jkowalski-caller"' in mine
    assert "Jan Nowak · Hurtownia Kraków" in mine
    assert f'id="queue-801-caller-{ewa}"' in mine and "Ewa Lis" in mine
    # Team 2: its agent's caller unknown to the CRM, and its own waiting caller.
    assert '<span id="agent-anowak-caller"' in theirs and "Unknown number" in theirs
    assert f'id="queue-802-caller-{adam}"' in theirs and "Adam Mazur" in theirs
    # Nobody hears another team's callers; no row, tile or count is sent again.
    assert "Adam Mazur" not in mine and "anowak" not in mine
    assert "Jan Nowak" not in theirs and "Ewa Lis" not in theirs
    for message in (mine, theirs):
        assert "<tr" not in message and "queue-tile" not in message
        assert "status-counts" not in message


def test_a_number_waiting_twice_in_a_queue_is_named_in_both_places(calls):
    """Two calls from one number (a company's switchboard) in one queue: two entries on the
    tile, each with an id of its own, and the name learned later reaches both."""
    from dashboard.live import board_snapshot
    from dashboard.teams import scope_of

    anna, _ = calls
    first = QueueCall.objects.get(contact_id="c801")
    second = QueueCall.objects.create(
        queue=first.queue, contact_id="c801b", caller_number=first.caller_number,
        entered_at=timezone.now(), last_event_at=timezone.now(), outcome=Outcome.WAITING,
    )  # fmt: skip
    ids = [f'id="queue-801-caller-{call.pk}"' for call in (first, second)]
    page = board_snapshot("en", scope_of(anna))
    assert all(page.count(i) == 1 for i in ids)

    async def scenario():
        async with _board(anna) as board:
            assert (await board.connect())[0]
            await board.receive_from(timeout=5)
            await _names_learned()
            return await board.receive_from(timeout=5)

    pushed = async_to_sync(scenario)()
    for i in ids:
        assert re.search(i + r"[^>]*>Ewa Lis<", pushed)


def test_a_name_learned_after_the_row_is_rendered_shows_in_the_row_as_on_a_fresh_page(calls):
    """The pushed element is the one a fresh render of the row carries (same id, same text)."""
    from dashboard.live import agents_update

    cache.set(customers._key("600100200"), NAMES["600100200"], timeout=60)
    row = agents_update(["jkowalski"])
    assert '<span id="agent-jkowalski-caller" class="caller-slot"' in row
    assert 'data-title="Jan Nowak · Hurtownia Kraków 600100200"' in row
    assert '<strong class="caller" data-caller>Jan Nowak · Hurtownia Kraków</strong>' in row
