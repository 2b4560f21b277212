"""Websocket consumers: forward already-rendered HTML; never render per message per browser."""

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from . import live


class LiveConsumer(AsyncWebsocketConsumer):
    """/ws/live/: the supervisor board. Sends a fresh snapshot first, then every change."""

    group = live.BOARD_GROUP

    async def connect(self):
        if not self.scope["user"].is_authenticated:
            await self.close(code=4401)
            return
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send(text_data=await database_sync_to_async(self.snapshot)())

    def snapshot(self) -> str:
        return live.board_snapshot()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        pass  # the board only listens

    async def live_html(self, event):
        await self.send(text_data=event["html"])


class CampaignsConsumer(LiveConsumer):
    """/ws/campaigns/: campaign rows (progress, today's outcomes, agents free now)."""

    group = live.CAMPAIGNS_GROUP

    def snapshot(self) -> str:
        return live.campaigns_snapshot()
