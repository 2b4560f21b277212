"""The channel layer at scale (issue 7), over the real embedded Valkey and the whole websocket
stack (config.asgi: origin check, session, consumer): many boards connecting at once, one push
reaching every one, nothing left in Redis once they close, Redis restarting under open boards,
and a board refused cleanly while Redis is down that joins once it is back."""

import asyncio
import time

import pytest
import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings

from config.asgi import application
from dashboard.live import _bump, board_group
from scripts import processes
from scripts.processes import Processes, free_port
from tests.conftest import make_user

# The consumers read in threads of their own (committed data); the seeded rows stay for the
# tests after these.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

BOARDS = 200
BOARD_GROUP = board_group("en")  # the tests' boards ask for no language: English here
PUSH = {"type": "live.html", "html": '<p id="pushed">once</p>'}


@pytest.fixture(autouse=True)
def _fresh_snapshot_after():
    yield
    _bump(BOARD_GROUP)  # as a change would: the next test's board renders its own snapshot


@pytest.fixture
def session_cookie(client, django_user_model):
    client.force_login(make_user("sup", password="x"))
    return f"sessionid={client.cookies['sessionid'].value}".encode()


def _board(cookie: bytes) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://localhost"), (b"cookie", cookie)]
    return WebsocketCommunicator(application, "/ws/live/", headers=headers)


def _prefix() -> str:
    return django_settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]


def _redis() -> redis.Redis:
    return redis.Redis.from_url(django_settings.REDIS_URL)


def _subscribers(group: str) -> int:
    """Redis connections subscribed to the group: one per process with a member in it."""
    return sum(n for _, n in _redis().pubsub_numsub(f"{_prefix()}__group__{group}"))


async def _eventually(check, expected, timeout: float = 5):
    """What `check()` returns once it equals `expected` (or at the deadline)."""
    deadline = time.monotonic() + timeout
    while (value := check()) != expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    return value


def _layer_at(port: int) -> dict:
    """The project's channel layer, on a Redis at this port."""
    layer = django_settings.CHANNEL_LAYERS["default"]
    host = {**layer["CONFIG"]["hosts"][0], "address": f"redis://127.0.0.1:{port}/0"}
    return {"default": {**layer, "CONFIG": {**layer["CONFIG"], "hosts": [host]}}}


def test_two_hundred_boards_at_once_get_a_snapshot_and_one_push_reaches_all(session_cookie):
    async def scenario():
        boards = [_board(session_cookie) for _ in range(BOARDS)]
        try:
            opened = await asyncio.gather(*(b.connect(timeout=15) for b in boards))
            assert [connected for connected, _ in opened] == [True] * BOARDS
            snapshots = await asyncio.gather(*(b.receive_from(timeout=15) for b in boards))
            assert all('id="agent-rows"' in s and 'id="status-counts"' in s for s in snapshots)
            # One subscription in Redis for this process, however many boards it holds.
            assert _subscribers(BOARD_GROUP) == 1

            await get_channel_layer().group_send(BOARD_GROUP, PUSH)
            received = await asyncio.gather(*(b.receive_from(timeout=10) for b in boards))
            assert received == [PUSH["html"]] * BOARDS
        finally:
            await asyncio.gather(*(b.disconnect() for b in boards), return_exceptions=True)

        # Nothing of them is left in Redis: no group subscription, no channel of their own,
        # and a push to the group now reaches no one.
        assert await _eventually(lambda: _subscribers(BOARD_GROUP), 0) == 0
        assert await _eventually(lambda: _redis().pubsub_channels(f"{_prefix()}*"), []) == []
        channel = f"{_prefix()}__group__{BOARD_GROUP}"
        assert _redis().publish(channel, get_channel_layer().serialize(PUSH)) == 0

    async_to_sync(scenario)()


def test_a_message_sent_to_one_channel_reaches_it():
    async def scenario():
        layer = get_channel_layer()
        channel = await layer.new_channel()
        receiving = asyncio.ensure_future(layer.receive(channel))
        try:
            await _eventually(lambda: _redis().pubsub_numsub(channel)[0][1], 1)
            await layer.send(channel, {"type": "live.html", "html": "just you"})
            return await asyncio.wait_for(receiving, 5)
        finally:
            receiving.cancel()

    assert async_to_sync(scenario)() == {"type": "live.html", "html": "just you"}


def test_while_redis_is_down_a_board_is_refused_and_joins_once_it_is_back(settings, session_cookie):
    port = free_port()  # nothing listens there yet
    settings.CHANNEL_LAYERS = _layer_at(port)

    async def attempt():
        board = _board(session_cookie)
        try:
            connected, code = await board.connect(timeout=10)
            return connected, code, (await board.receive_from(timeout=10)) if connected else ""
        finally:
            await board.disconnect()

    # Refused at the handshake, not a server error: daphne answers 403 and the page retries
    # with backoff (close 1013, "try again later", for anything that reads the code).
    assert async_to_sync(attempt)()[:2] == (False, 1013)
    with Processes() as procs:
        processes.valkey(procs, port=port)
        connected, _, snapshot = async_to_sync(attempt)()
    assert connected
    assert 'id="agent-rows"' in snapshot


def test_a_board_open_while_redis_restarts_gets_the_pushes_after_it(settings, session_cookie):
    port = free_port()
    settings.CHANNEL_LAYERS = _layer_at(port)

    async def scenario(procs):
        board = _board(session_cookie)
        try:
            connected, _ = await board.connect(timeout=10)
            assert connected
            await board.receive_from(timeout=10)  # the snapshot
            procs.stop()
            processes.valkey(procs, port=port)
            # The layer reconnects and subscribes again by itself; a push sent before it has
            # is lost (nothing is stored), so push until one arrives.
            layer = get_channel_layer()
            for _ in range(40):
                await layer.group_send(BOARD_GROUP, PUSH)
                if not await board.receive_nothing(timeout=0.25):
                    return await board.receive_from()
            return None
        finally:
            await board.disconnect()

    with Processes() as procs:
        processes.valkey(procs, port=port)
        assert async_to_sync(scenario)(procs) == PUSH["html"]
