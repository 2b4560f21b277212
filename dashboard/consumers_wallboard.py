"""/ws/wallboard/<token>/: a wallboard's live feed. No login: the token is the key, and a wrong
or revoked one is closed with 4404 (the page then says so and stops retrying)."""

import asyncio

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils import timezone

from . import wallboards

HEARTBEAT_SECONDS = 15  # wallboard.js treats 40 s of silence as a dead connection


class WallboardConsumer(AsyncWebsocketConsumer):
    group = None
    heartbeat = None

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:  # also when cancelled without a disconnect: no heartbeat outlives its socket
            if self.heartbeat:
                self.heartbeat.cancel()

    async def connect(self):
        token = self.scope["url_route"]["kwargs"]["token"]
        wallboard = await database_sync_to_async(wallboards.find)(token)
        await self.accept()
        if wallboard is None:
            await self.close(code=4404)
            return
        self.group = wallboard.group
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.send(text_data=await database_sync_to_async(wallboards.snapshot)(wallboard))
        self.heartbeat = asyncio.create_task(self._beat())

    async def _beat(self):
        while True:
            await asyncio.sleep(HEARTBEAT_SECONDS)
            stamp = timezone.now().isoformat()
            await self.send(text_data=f'<div id="wb-heartbeat" hidden data-at="{stamp}"></div>')

    async def disconnect(self, code):
        if self.heartbeat:
            self.heartbeat.cancel()
        if self.group:
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        pass  # a wallboard offers no action

    async def live_html(self, event):
        await self.send(text_data=event["html"])

    async def wallboard_reload(self, event):
        """Its settings changed: the page reloads itself to take the new theme and choice."""
        await self.send(text_data='<div id="wb-signal" hidden data-reload></div>')

    async def wallboard_closed(self, event):
        await self.close(code=4404)
