"""Live push for queues and wallboards: the queue panel on the board, and every wallboard.

Each change is rendered once per team and language for the boards (live.broadcast_boards:
each team gets only the queues it serves) and once per wallboard that shows it (in the
wallboard's language), then fanned out over the channel layer; the SQL per push is fixed
(queue_stats + agents + wallboards).
Queue numbers moved by webhooks are pushed once per pipeline batch (crm_bridge/pipeline.py).
Agent changes are coalesced for the wallboards: the first one starts a QUEUE_PUSH_DELAY_MS
(250 ms) timer and everything that changes before it fires goes out in one push: the changed
agents' wallboard cells and status counts, and each queue tile's free / busy / paused line (an
agent moves nothing else on a tile, so the calls' numbers are not recomputed for it). The
board's queue tiles get their agents lines in the rows' own message (live._push_agents): one
message per change, not two.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections, transaction
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import timezone

from crm_bridge.models import Agent
from crm_bridge.signals import (
    agents_changed,
    campaigns_changed,
    poll_health_changed,
    queues_changed,
)

from . import wallboards
from .live import (
    broadcast,
    broadcast_boards,
    broadcast_lazily,
    group_send,
    listened,
    new_snapshot,
)
from .models import Wallboard
from .queues import active_agents, queue_stats
from .queues import agent_counts as queue_agent_counts

PANEL = "dashboard/queues.html"
log = logging.getLogger(__name__)


class _Pending:
    """The agents changed since the last wallboard push (per process), and the timer that
    will push them."""

    def __init__(self):
        self.lock = threading.Lock()
        self.took = 0.0  # seconds the last push took: the next waits at least 3 times that
        self.reset()

    def reset(self):
        self.logins, self.timer = set(), None


_pending = _Pending()


def schedule_push(logins) -> None:
    """Push what these agents moved on the wallboards, with what else moves before the
    timer fires (QUEUE_PUSH_DELAY_MS; 0: at once)."""
    delay = settings.QUEUE_PUSH_DELAY_MS / 1000
    if delay <= 0:
        push_agents(sorted(set(logins)))
        return
    with _pending.lock:
        _pending.logins.update(logins)
        if _pending.timer is None:
            # A slow push (a thousand agents on several wallboards) spaces the next ones out,
            # so that rendering never takes more than a quarter of the process.
            _pending.timer = threading.Timer(max(delay, min(5.0, 3 * _pending.took)), _flush)
            _pending.timer.daemon = True
            _pending.timer.start()


def _flush() -> None:
    with _pending.lock:
        logins = _pending.logins
        _pending.reset()
    began = time.monotonic()
    try:
        if logins:
            push_agents(sorted(logins))
    except Exception:
        log.exception("Wallboard push failed; the next change or refresh pushes again")
    finally:
        _pending.took = time.monotonic() - began
        close_old_connections()


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
        broadcast_boards(lambda scope: queue_panel(scope.queues(stats)))
    else:
        ctx = panel_context(stats)
        tile = f"{PANEL}#queue-tile"
        broadcast_boards(
            lambda scope: "".join(
                render_to_string(tile, {**ctx, "s": s}) for s in scope.queues(stats)
            )
        )
    for wallboard in wallboards.active_wallboards():
        if wallboard.shows_queues:
            broadcast_lazily(
                wallboard.group,
                lambda w=wallboard: wallboards.queue_html(w, stats, now, pks is None),
            )


def push_agents(logins: list[str] | None = None) -> None:
    """What these agents' change moved on the wallboards: each queue tile's agents line, and
    on wallboards showing agents, their cells and the status counts. With None (the periodic
    refresh), every wallboard's whole agent grid. (The board gets its queue lines with the
    rows, from live._push_agents.) Nothing is queried when no wallboard is open."""
    if logins is None:
        agents = list(Agent.objects.filter(active=True))
        for wallboard in wallboards.active_wallboards():
            if wallboard.shows_agents:
                ctx = wallboards.context(wallboard, stats=[], agents=agents)
                broadcast_lazily(
                    wallboard.group,
                    lambda w=wallboard, c=ctx: wallboards.render(w, ("wb-agents",), c),
                )
        return
    found: dict = {}  # queried once, for the first wallboard open on a screen

    def wallboard_html(wallboard) -> str:
        if not found:
            everyone = active_agents()
            found["lines"] = queue_agent_counts(agents=everyone)
            found["everyone"] = [(a["status"], a["group_id"]) for a in everyone]
        html = ""
        if wallboard.shows_queues:
            html = wallboards.agent_lines_html(wallboard, found["lines"])
        if wallboard.shows_agents:
            if "changed" not in found:
                found["changed"] = list(Agent.objects.filter(login__in=logins))
            html += wallboards.agents_html(wallboard, found["changed"], found["everyone"])
        return html

    for wallboard in wallboards.active_wallboards():
        broadcast_lazily(wallboard.group, lambda w=wallboard: wallboard_html(w))


def tell_wallboard(wallboard: Wallboard, message: str) -> None:
    """ "wallboard.reload" (its settings changed) or "wallboard.closed" (revoked)."""
    group = wallboard.group

    def tell():
        new_snapshot(group)  # its settings changed: not the cached one
        group_send(group, {"type": message})

    transaction.on_commit(tell)


@receiver(queues_changed)
def _queues_changed(sender, pks, **kwargs):
    push_queues(pks)  # the pipeline sends this once per batch: no need to wait and coalesce


@receiver(agents_changed)
def _agents_changed(sender, logins, **kwargs):
    schedule_push(logins)  # wallboards' agent cells, and free / busy / paused per queue


@receiver(poll_health_changed)
def _health_changed(sender, name, **kwargs):
    for wallboard in wallboards.active_wallboards():
        broadcast(wallboard.group, wallboards.render(wallboard, ("wb-health",), _health(wallboard)))


def _health(wallboard: Wallboard) -> dict:
    from crm_bridge.sync import data_health

    return {"wb": wallboard, "health": data_health()}


@receiver(campaigns_changed)
def _campaigns_changed(sender, ids, **kwargs):
    showing = [w for w in wallboards.active_wallboards() if w.shows_campaigns]
    if not [w for w in showing if listened(w.group)]:
        for wallboard in showing:
            new_snapshot(wallboard.group)
        return
    if not wallboards.campaigns_available():
        return
    campaigns = wallboards.shown_campaigns(Wallboard(), None)  # one query for all wallboards

    def campaigns_html(wallboard) -> str:
        ctx = {"wb": wallboard, "campaigns": wallboards.shown_campaigns(wallboard, campaigns)}
        return wallboards.render(wallboard, ("wb-campaigns",), ctx)

    for wallboard in showing:  # rendered only for the wallboards a screen shows
        broadcast_lazily(wallboard.group, lambda w=wallboard: campaigns_html(w))
