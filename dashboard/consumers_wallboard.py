"""/ws/wallboard/<token>/: a wallboard's live feed. No login: the token is the key, and a wrong
or revoked one is closed with 4404 (the page then says so and stops retrying)."""

import asyncio

from channels.db import database_sync_to_async
from django.utils import timezone

from . import wallboards
from .consumers import ForwardingConsumer
from .live import cached_snapshot

HEARTBEAT_SECONDS = 15  # wallboard.js treats 40 s of silence as a dead connection


class WallboardConsumer(ForwardingConsumer):
    heartbeat = None
    screen = "wallboard"

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:  # also when cancelled without a disconnect: no heartbeat outlives its socket
            if self.heartbeat:
                self.heartbeat.cancel()

    async def connect(self):
        token = self.scope["url_route"]["kwargs"]["token"]
        wallboard = await database_sync_to_async(wallboards.find)(token)
        if wallboard is None:
            await self.accept()  # so that the page gets the code
            await self.close(code=4404)
            return
        render = lambda: wallboards.snapshot(wallboard)  # noqa: E731
        # Once per change for all its screens (a floor of TVs reconnecting after a restart).
        if await self.join(wallboard.group, lambda: cached_snapshot(wallboard.group, render)):
            self.heartbeat = asyncio.create_task(self._beat())

    async def _beat(self):
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            stamp = timezone.now().isoformat()
            await self.send(text_data=f'<div id="wb-heartbeat" hidden data-at="{stamp}"></div>')

    async def disconnect(self, code):
        if self.heartbeat:
            self.heartbeat.cancel()
        await super().disconnect(code)

    async def wallboard_reload(self, event):
        """Its settings changed: the page reloads itself to take the new theme and choice."""
        await self.send(text_data='<div id="wb-signal" hidden data-reload></div>')

    async def wallboard_closed(self, event):
        await self.close(code=4404)
