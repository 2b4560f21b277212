"""Live pushes in the board's language: each board socket is in its language's group, and a
change is rendered once per language (never per socket), over the real channel layer."""

from contextlib import AsyncExitStack, asynccontextmanager

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction

from crm_bridge.models import Agent
from crm_bridge.signals import notify_agents_changed
from dashboard import live
from dashboard.consumers import LiveConsumer

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture(autouse=True)
def _no_queue_timer(settings):
    settings.QUEUE_PUSH_DELAY_MS = 0  # the queue panel's push goes at once, not from a timer


@asynccontextmanager
async def _socket(user, language: str):
    """A board socket as the page opens it (its language in the URL), always disconnected."""
    communicator = WebsocketCommunicator(LiveConsumer.as_asgi(), f"/ws/live/?lang={language}")
    communicator.scope["user"] = user
    try:
        yield communicator
    finally:
        await communicator.disconnect()


@pytest.fixture
def counted(monkeypatch):
    """How many times the board's changed rows were rendered, and what went to which group."""
    seen = {"renders": 0, "sends": []}
    render, send = live.render_to_string, live.group_send

    def counting_render(name, *args, **kwargs):
        if name.endswith("#agent-row"):
            seen["renders"] += 1
        return render(name, *args, **kwargs)

    def counting_send(group, message):
        if "changed" in seen and group.startswith(live.BOARD_GROUP):
            seen["sends"].append(group)
        return send(group, message)

    monkeypatch.setattr(live, "render_to_string", counting_render)
    monkeypatch.setattr(live, "group_send", counting_send)
    return seen


def test_polish_and_english_boards_get_their_own_language_rendered_once_each(
    django_user_model, counted
):
    user = django_user_model.objects.create_superuser("sup", password="x")  # sees every agent
    Agent.objects.create(login="jkowalski", name="Jan", surname="Kowalski", status="FREE")

    async def scenario():
        async with AsyncExitStack() as sockets:
            boards = {}
            for name, language in (("pl1", "pl"), ("pl2", "pl"), ("pl3", "pl"), ("en1", "en")):
                board = await sockets.enter_async_context(_socket(user, language))
                connected, _ = await board.connect()
                assert connected
                boards[name] = (board, await board.receive_from(timeout=5))
            snapshot_pl, snapshot_en = boards["pl1"][1], boards["en1"][1]
            assert ">Wolny</span>" in snapshot_pl and "1 agent zalogowany" in snapshot_pl
            assert ">Free</span>" in snapshot_en and "1 agent logged in" in snapshot_en

            counted["changed"] = True
            await _pause("jkowalski")
            updates = {name: await _row_update(board) for name, (board, _) in boards.items()}
            return updates

    updates = async_to_sync(scenario)()
    for name in ("pl1", "pl2", "pl3"):
        assert ">Pauza</span>" in updates[name] and "Paused" not in updates[name]
        assert "0 agentów zalogowanych" not in updates[name]  # still logged in: paused
    assert ">Paused</span>" in updates["en1"] and "Pauza<" not in updates["en1"]
    assert updates["pl1"] == updates["pl2"] == updates["pl3"]  # one rendering, fanned out
    # Four sockets, two languages: the rows were rendered twice and sent twice, once per group.
    assert counted["renders"] == 2
    assert sorted(group.rsplit("-", 1)[1] for group in counted["sends"]) == ["en", "pl"]


async def _row_update(board) -> str:
    """The first push carrying the agent's row (the queue panel's push may come first)."""
    while True:
        html = await board.receive_from(timeout=5)
        if 'id="agent-jkowalski"' in html:
            return html


@database_sync_to_async
def _pause(login: str):
    with transaction.atomic():
        Agent.objects.filter(login=login).update(status="PAUSED", pause_id=3)
        notify_agents_changed([login])


def test_a_language_no_board_has_open_is_not_rendered_and_a_board_opened_later_is_current(
    django_user_model, counted
):
    """Rows are rendered only for a language (and team) a board listens to; a board opened
    afterwards in the other language still shows the change, in its snapshot."""
    user = django_user_model.objects.create_superuser("sup", password="x")
    Agent.objects.create(login="jkowalski", name="Jan", surname="Kowalski", status="FREE")
    live._listeners["seen"].clear()  # the groups earlier tests' sockets were seen in

    async def scenario():
        async with _socket(user, "en") as english:
            connected, _ = await english.connect()
            assert connected
            await english.receive_from(timeout=5)  # its snapshot
            counted["changed"] = True
            await _pause("jkowalski")
            update = await _row_update(english)
        english_renders, english_sends = counted["renders"], list(counted["sends"])
        counted["renders"], counted["sends"] = 0, []
        live._listeners["seen"].clear()  # as 2 s later: a group once seen is believed that long
        await _free("jkowalski")  # no board open at all now
        async with _socket(user, "pl") as polish:
            connected, _ = await polish.connect()
            assert connected
            snapshot = await polish.receive_from(timeout=5)
        return update, english_renders, english_sends, snapshot

    update, english_renders, english_sends, snapshot = async_to_sync(scenario)()
    assert ">Paused</span>" in update
    assert english_renders == 1  # English only: no Polish board was open
    assert [group.rsplit("-", 1)[1] for group in english_sends] == ["en"]
    assert counted["renders"] == 0 and counted["sends"] == []  # nobody to render for
    row = snapshot[snapshot.index('id="agent-jkowalski"') :]
    assert ">Wolny</span>" in row[: row.index("</tr>")]  # the change made while no board was open


@database_sync_to_async
def _free(login: str):
    with transaction.atomic():
        Agent.objects.filter(login=login).update(status="FREE", pause_id=None)
        notify_agents_changed([login])
