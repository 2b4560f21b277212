"""Websocket consumers: forward already-rendered HTML; never render per message per browser."""

import contextvars
import logging
from concurrent.futures import ThreadPoolExecutor
from importlib import import_module
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.db import close_old_connections
from django.utils.crypto import constant_time_compare
from redis.exceptions import RedisError

from crm_bridge.metrics import WEBSOCKETS

from . import access, live
from .language import supported
from .teams import EVERYONE, scope_of

logger = logging.getLogger(__name__)

# Redis (the channel layer, or the cache the snapshots live in) cannot be reached.
REDIS_DOWN = (RedisError, OSError)
TRY_AGAIN_LATER = 1013  # a close code the page retries with backoff (live.js, htmx ws)
LOG_IN_AGAIN = 4401  # the page reloads, so the browser lands on the login page (live.js)
NOT_ALLOWED = 4403  # no team: nothing this user may see (the page says so)

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

    joined = ()  # the groups this socket is in
    screen = "board"  # for the websocket clients metric

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

    async def join(self, group: str, snapshot, *others: str) -> bool:
        """Join the group (and `others`), accept, then send `snapshot()` (run in the database
        thread). True when the socket is open with its snapshot sent.
        """
        try:
            for name in (group, *others):
                await self.channel_layer.group_add(name, self.channel_name)
                self.joined += (name,)
        except REDIS_DOWN as error:
            _log_redis_down(error)
            await self.close()  # before accepting: the handshake is refused
            return False
        await self.accept()
        WEBSOCKETS.labels(self.screen).inc()
        self.counted = True
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
        if getattr(self, "counted", False):
            self.counted = False
            WEBSOCKETS.labels(self.screen).dec()
        try:
            for name in self.joined:
                await self.channel_layer.group_discard(name, self.channel_name)
        except REDIS_DOWN as error:
            _log_redis_down(error)

    async def receive(self, text_data=None, bytes_data=None):
        pass  # these pages only listen

    async def live_html(self, event):
        await self.send(text_data=event["html"])


def _log_redis_down(error: Exception) -> None:
    logger.warning("websocket: Redis unreachable (%s: %s)", type(error).__name__, error)


class LiveConsumer(ForwardingConsumer):
    """/ws/live/: the supervisor board. Sends a fresh snapshot first, then every change.

    Only while its user may: a session that ended (or none) is closed with 4401, accepted
    first so that the page gets the code and reloads to the login page (a refused handshake
    is a bare 1006, retried forever). The socket is in its user's group too: on a logout,
    deactivation or lost permission (dashboard/access.py) it checks again and closes.
    """

    permission = None  # a permission the user must keep (None: an active, logged-in user)
    scoped = True  # by the user's team (dashboard/teams.py): one group, one render, per team
    team = None

    async def connect(self):
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.accept()
            await self.close(code=LOG_IN_AGAIN)
            return
        self.language = _language(self.scope)
        self.team = await database_sync_to_async(scope_of)(user) if self.scoped else EVERYONE
        if self.team is None:  # no team, and may not see every agent: nothing to show
            await self.accept()
            await self.close(code=NOT_ALLOWED)
            return
        await self.join(self.group_name(), self.snapshot, access.group(user.pk))

    def group_name(self) -> str:
        return live.board_group(self.language, self.team)

    def snapshot(self) -> str:
        return live.board_snapshot(self.language, self.team)

    async def auth_check(self, event):
        """dashboard/access.py: this user's access changed, or a session of theirs ended."""
        session = self.scope["session"].session_key
        if event.get("session"):
            allowed = event["session"] != session
        else:
            allowed = await database_sync_to_async(_still_allowed)(
                self.scope["user"].pk, session, self.permission, self.scoped and self.team
            )
        if not allowed:
            await self.close(code=LOG_IN_AGAIN)


def _still_allowed(user_pk, session_key: str | None, permission: str | None, team) -> bool:
    """Whether this session still logs this user in, as the next page load would see it, with
    the same team (one that changed reloads the page for the new one)."""
    data = import_module(settings.SESSION_ENGINE).SessionStore(session_key).load()
    user = get_user_model().objects.filter(pk=user_pk).first()
    if user is None or not user.is_active or str(data.get(SESSION_KEY)) != str(user_pk):
        return False
    if not constant_time_compare(data.get(HASH_SESSION_KEY, ""), user.get_session_auth_hash()):
        return False  # the password changed: Django ends its other sessions
    if team and scope_of(user) != team:
        return False
    return permission is None or user.has_perm(permission)


class CampaignsConsumer(LiveConsumer):
    """/ws/campaigns/: campaign rows (progress, today's outcomes, agents free now)."""

    screen = "campaigns"
    scoped = False  # every campaign, as the campaigns page shows them

    def group_name(self) -> str:
        return live.campaigns_group(self.language)

    def snapshot(self) -> str:
        return live.campaigns_snapshot(self.language)


def _language(scope) -> str:
    """The page's language, which the page puts in its socket's URL (?lang=pl)."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return supported((query.get("lang") or [""])[0])


async def not_found(scope, receive, send):
    """Any other websocket path: an HTTP 404 to the handshake (ASGI's websocket.http.response
    extension; config/asgi.py adds it to daphne), or, where a server lacks it, a refusal."""
    await receive()  # websocket.connect
    if "websocket.http.response" in scope.get("extensions", {}):
        headers = [(b"content-type", b"text/plain")]
        await send({"type": "websocket.http.response.start", "status": 404, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": b"Not found"})
    else:
        await send({"type": "websocket.close"})
