"""Live push: render each change once, fan it out to every open board over Channels."""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.dispatch import receiver
from django.template.loader import render_to_string

from crm_bridge.signals import agents_changed, poll_health_changed

from .board import board_context, rows_context

BOARD_GROUP = "board"
BOARD = "dashboard/board.html"


def broadcast(group: str, html: str) -> None:
    if html:
        async_to_sync(get_channel_layer().group_send)(group, {"type": "live.html", "html": html})


def board_snapshot() -> str:
    """Everything a (re)connecting board needs: all rows, counts and data health."""
    context = board_context()
    return "".join(
        render_to_string(f"{BOARD}#{name}", context)
        for name in ("agent-rows", "status-counts", "health-banner")
    )


def agents_update(logins: list[str]) -> str:
    context = rows_context(logins)
    parts = [
        render_to_string(f"{BOARD}#agent-row", {**context, "agent": a}) for a in context["agents"]
    ]
    parts.append(render_to_string(f"{BOARD}#status-counts", context))
    return "".join(parts)


@receiver(agents_changed)
def _push_agents(sender, logins, **kwargs):
    broadcast(BOARD_GROUP, agents_update(logins))


@receiver(poll_health_changed)
def _push_health(sender, name, **kwargs):
    broadcast(BOARD_GROUP, render_to_string(f"{BOARD}#health-banner", board_context(rows=False)))
