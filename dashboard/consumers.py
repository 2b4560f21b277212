"""Websocket consumers: forward already-rendered HTML; never render per message per browser."""

import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer
from django.db import close_old_connections
from redis.exceptions import RedisError

from . import live

logger = logging.getLogger(__name__)

# Redis (the channel layer, or the cache the snapshots live in) cannot be reached.
REDIS_DOWN = (RedisError, OSError)
TRY_AGAIN_LATER = 1013  # a close code the page retries with backoff (live.js, htmx ws)

# Snapshots are read (from the cache, rendered at most once per change) in one thread of their
# own, in one context: Django keeps a cache client per async context, so reading from each
# socket's own context opened a Redis connection per socket and kept it until garbage
# collection, and queued the reads behind the logins in Channels' database thread.
_SNAPSHOTS = ThreadPoolExecutor(1, thread_name_prefix="snapshots")
_SNAPSHOT_CONTEXT = contextvars.Context()


def _read_snapshot(snapshot) -> str:
    close_old_connections()
    try:
        return _SNAPSHOT_CONTEXT.run(snapshot)
    finally:
        close_old_connections()


class ForwardingConsumer(AsyncWebsocketConsumer):
    """A socket that forwards HTML rendered once elsewhere to one browser.

    Two things differ from Channels' defaults, for a thousand sockets on one process:
    - No database connection handling per message: Channels runs `close_old_connections()`
      in its one database thread before every handler, so one push to 1,000 sockets queued
      1,000 thread hops. Handlers here that query go through `database_sync_to_async`, which
      does that itself.
    - Redis down fails cleanly: a socket that cannot join its group is refused at the
      handshake (the browser sees 1006 and retries with growing backoff; accepting then
      closing would reset the backoff), one that loses Redis later is closed with 1013.
      Either way the page reconnects by itself and gets a fresh snapshot once Redis is back.
    """

    joined = None  # the group this socket is in

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        except REDIS_DOWN as error:  # outside a handler: the layer's new_channel() or receive()
            _log_redis_down(error)
            try:
                await send({"type": "websocket.close", "code": TRY_AGAIN_LATER})
            except Exception:  # the socket is gone already
                pass

    async def dispatch(self, message):
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def join(self, group: str, snapshot) -> bool:
        """Join the group, accept, then send `snapshot()` (run in the database thread).

        True when the socket is open with its snapshot sent.
        """
        try:
            await self.channel_layer.group_add(group, self.channel_name)
        except REDIS_DOWN as error:
            _log_redis_down(error)
            await self.close()  # before accepting: the handshake is refused
            return False
        self.joined = group
        await self.accept()
        try:
            html = await sync_to_async(_read_snapshot, thread_sensitive=False, executor=_SNAPSHOTS)(
                snapshot
            )
        except REDIS_DOWN as error:
            _log_redis_down(error)
            await self.close(code=TRY_AGAIN_LATER)
            return False
        await self.send(text_data=html)
        return True

    async def disconnect(self, code):
        if self.joined:
            try:
                await self.channel_layer.group_discard(self.joined, self.channel_name)
            except REDIS_DOWN as error:
                _log_redis_down(error)

    async def receive(self, text_data=None, bytes_data=None):
        pass  # these pages only listen

    async def live_html(self, event):
        await self.send(text_data=event["html"])


def _log_redis_down(error: Exception) -> None:
    logger.warning("websocket: Redis unreachable (%s: %s)", type(error).__name__, error)


class LiveConsumer(ForwardingConsumer):
    """/ws/live/: the supervisor board. Sends a fresh snapshot first, then every change."""

    group = live.BOARD_GROUP

    async def connect(self):
        if not self.scope["user"].is_authenticated:
            await self.close(code=4401)
            return
        await self.join(self.group, self.snapshot)

    def snapshot(self) -> str:
        return live.board_snapshot()


class CampaignsConsumer(LiveConsumer):
    """/ws/campaigns/: campaign rows (progress, today's outcomes, agents free now)."""

    group = live.CAMPAIGNS_GROUP

    def snapshot(self) -> str:
        return live.campaigns_snapshot()
