"""Chats and e-mail today: a poll of Thulium's chat summary and ticket numbers (Celery beat,
every THULIUM_CHANNELS_SECONDS), kept in the cache for every screen, and `channels_changed`
sent when what the tiles show changed (numbers, or a part failing or recovering), so boards
and wallboards render it once and get it pushed (dashboard/live_channels.py).

Each part (chats, tickets) is asked on its own: a tenant without e-mail still gets its chat
numbers. A part Thulium refuses keeps its last numbers, which the tile then marks as stale
with what Thulium said and its request_id (PollState, as every poll's health).
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from . import channels
from .campaign_sync import today_start
from .client import ThuliumError
from .models import PollState
from .signals import channels_changed
from .sync import _health

log = logging.getLogger(__name__)

CHATS = "chat-summary"
TICKETS = "ticket-stats"
KEY = "channels:today"  # {"chats": ChatSummary, "tickets": TicketStats, "ticket_queues": {...}}
SHOWN = "channels:shown"  # what the screens were last told: a push only when it changes


def poll() -> bool:
    """One cycle. Returns whether what the tiles show changed (then it is pushed)."""
    now = timezone.now()
    latest = dict(cache.get(KEY) or {})
    try:
        with _health(CHATS):
            latest["chats"] = channels.get_chat_summary(today_start(), now)
    except ThuliumError:
        pass  # kept in PollState: the tile says what Thulium said
    try:
        with _health(TICKETS):
            stats = channels.get_ticket_stats()
            if set(stats.queues) - set(latest.get("ticket_queues") or {}):
                latest["ticket_queues"] = channels.get_ticket_queues()  # a queue new to us
            latest["tickets"] = stats
    except ThuliumError:
        pass
    cache.set(KEY, latest, timeout=None)
    health = _states()
    shown = [latest.get("chats"), latest.get("tickets"), latest.get("ticket_queues")]
    shown += [(s.failing, s.last_error, s.last_request_id) for s in health.values()]
    if cache.get(SHOWN) == shown:
        return False
    cache.set(SHOWN, shown, timeout=None)
    transaction.on_commit(lambda: channels_changed.send(sender=None))
    return True


def _states() -> dict[str, PollState]:
    found = {s.name: s for s in PollState.objects.filter(name__in=[CHATS, TICKETS])}
    return {name: found.get(name) or PollState(name=name) for name in (CHATS, TICKETS)}


def stale_after() -> timedelta:
    """Numbers older than three polls are stale, whatever the reason (the poll stopped)."""
    return timedelta(seconds=3 * settings.THULIUM_CHANNELS_SECONDS)


def _part_health(state: PollState, now) -> dict:
    too_old = state.last_ok is None or now - state.last_ok > stale_after()
    return {
        "stale": state.failing or too_old,
        "since": state.last_ok,
        "error": state.last_error if state.failing else "",
        "request_id": state.last_request_id if state.failing else "",
    }


def today() -> dict:
    """What the tiles show: the latest numbers (None before the first answer) and each part's
    health ({"stale", "since", "error", "request_id"})."""
    latest, now = cache.get(KEY) or {}, timezone.now()
    health = _states()
    tickets = latest.get("tickets")
    names = latest.get("ticket_queues") or {}
    queues = []
    if tickets is not None:
        queues = [
            {"name": names.get(queue_id, f"#{queue_id}"), "counts": counts}
            for queue_id, counts in sorted(tickets.queues.items())
        ]
    return {
        "chats": latest.get("chats"),
        "chats_health": _part_health(health[CHATS], now),
        "tickets": tickets,
        "ticket_queues": queues,
        "tickets_health": _part_health(health[TICKETS], now),
    }
