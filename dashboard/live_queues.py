"""Live push for queues and wallboards: the queue panel on the board, and every wallboard.

Each change is rendered once for the board and once per wallboard that shows it, then fanned
out over the channel layer; the SQL per push is fixed (queue_stats + agents + wallboards).
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import timezone

from crm_bridge.models import Agent
from crm_bridge.signals import agents_changed, poll_health_changed, webhook_received

from . import wallboards
from .live import BOARD_GROUP, broadcast
from .models import Wallboard
from .queues import queue_stats, track

PANEL = "dashboard/queues.html"


def panel_context(stats=None) -> dict:
    return {
        "queue_stats": queue_stats() if stats is None else stats,
        "window_minutes": settings.QUEUE_WINDOW_MINUTES,
    }


def queue_panel(stats=None) -> str:
    return render_to_string(f"{PANEL}#queue-panel", panel_context(stats))


def push_queues(pks: list[int] | None = None) -> None:
    """Push these queues' tiles (or, with None, every queue panel whole) to board and walls."""
    now = timezone.now()
    stats = queue_stats(pks, now)
    if pks is None:
        broadcast(BOARD_GROUP, queue_panel(stats))
    else:
        ctx = panel_context(stats)
        broadcast(
            BOARD_GROUP,
            "".join(render_to_string(f"{PANEL}#queue-tile", {**ctx, "s": s}) for s in stats),
        )
    for wallboard in wallboards.active_wallboards():
        if wallboard.shows_queues:
            broadcast(wallboard.group, wallboards.queue_html(wallboard, stats, now, pks is None))


def push_agents() -> None:
    """Wallboards showing agents get their agent grid again (one Agent query for all)."""
    showing = [w for w in wallboards.active_wallboards() if w.shows_agents]
    if not showing:
        return
    agents = list(Agent.objects.filter(active=True))
    for wallboard in showing:
        ctx = wallboards.context(wallboard, stats=[], agents=agents)
        broadcast(wallboard.group, wallboards.render(wallboard, ("wb-agents",), ctx))


def tell_wallboard(wallboard: Wallboard, message: str) -> None:
    """ "wallboard.reload" (its settings changed) or "wallboard.closed" (revoked)."""
    group = wallboard.group
    transaction.on_commit(
        lambda: async_to_sync(get_channel_layer().group_send)(group, {"type": message})
    )


@receiver(webhook_received)
def _track(sender, event, **kwargs):
    queue = track(event)
    if queue is None:
        return
    pks = None if getattr(queue, "just_learned", False) else [queue.pk]
    transaction.on_commit(lambda: push_queues(pks))


@receiver(agents_changed)
def _agents_changed(sender, logins, **kwargs):
    push_queues()  # free / busy / paused per queue
    push_agents()


@receiver(poll_health_changed)
def _health_changed(sender, name, **kwargs):
    for wallboard in wallboards.active_wallboards():
        broadcast(wallboard.group, wallboards.render(wallboard, ("wb-health",), _health(wallboard)))


def _health(wallboard: Wallboard) -> dict:
    from crm_bridge.sync import data_health

    return {"wb": wallboard, "t": wallboards.LABELS[wallboard.language], "health": data_health()}
