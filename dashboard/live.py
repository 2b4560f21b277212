"""Live push: render each change once per team and language, fan it out to every open board
over Channels. A board's socket is in the group of its user's team (dashboard/teams.py: the
agent groups they answer for, or "all") and its page's language ("board-g3-pl",
"board-all-en"), so a push is one rendering and one send per team and language, whatever the
number of sockets, and no row, count or queue of another team reaches a browser."""

import asyncio
import os
import threading
import time

import redis
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.dispatch import receiver
from django.template.loader import render_to_string
from django.utils import translation

from crm_bridge import channel_sync
from crm_bridge.signals import (
    agents_changed,
    callers_named,
    campaigns_changed,
    poll_health_changed,
)
from crm_bridge.sync import data_health

from .board import board_context, callers_context, counts_by_team, logged_in, rows_context
from .campaign_board import campaigns_context, campaigns_with, visible
from .models import Profile
from .queues import active_agents, agent_counts
from .teams import EVERYONE, Scope

BOARD_GROUP = "board"  # + "-<language>": board_group()
BOARD = "dashboard/board.html"
CAMPAIGNS_GROUP = "campaigns"  # + "-<language>"
CAMPAIGNS = "dashboard/campaigns.html"
QUEUE_AGENTS = "dashboard/queues.html#queue-agents"
SNAPSHOT_TTL = 300  # seconds; a quiet centre still re-renders now and then
HEARTBEAT = '<div id="live-heartbeat" data-heartbeat hidden></div>'


def languages() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def board_group(language: str, scope: Scope = EVERYONE) -> str:
    return f"{BOARD_GROUP}-{scope.key}-{language}"


def broadcast_boards(render, scopes=None) -> None:
    """`render(scope)` once per team and language, with that language active, to that
    board group; a render that gives nothing (nothing of that team changed) sends nothing,
    and a group no board listens to is not rendered at all."""
    for scope in board_scopes() if scopes is None else scopes:
        for language in languages():
            with translation.override(language):
                broadcast_lazily(board_group(language, scope), lambda scope=scope: render(scope))


_scopes_memo: dict = {}
SCOPES_VERSION = "live:scopes-version"  # bumped when any user's teams change (teams_changed)


def board_scopes() -> list[Scope]:
    """Every team a board may be open for: all, and each user's own. Read again only when
    some user's teams changed (one cache read per push otherwise)."""
    version = cache.get(SCOPES_VERSION, 0)
    if _scopes_memo.get("version") == version:
        return _scopes_memo["scopes"]
    teams: dict = {}
    for profile_id, group_id in Profile.agent_groups.through.objects.filter(
        profile__user__is_active=True
    ).values_list("profile_id", "agentgroup_id"):
        teams.setdefault(profile_id, set()).add(group_id)
    scopes = [EVERYONE, *sorted({Scope(frozenset(g)) for g in teams.values()}, key=lambda s: s.key)]
    _scopes_memo.update(version=version, scopes=scopes)
    return scopes


def teams_changed() -> None:
    """Some user's teams changed: every process reads the teams again at its next push."""
    try:
        cache.incr(SCOPES_VERSION)
    except ValueError:
        cache.set(SCOPES_VERSION, 1, timeout=None)


def campaigns_group(language: str) -> str:
    return f"{CAMPAIGNS_GROUP}-{language}"


def broadcast_each_language(prefix: str, render) -> None:
    """`render()` once per language, with that language active, to that language's group
    (when a socket listens to it)."""
    for language in languages():
        with translation.override(language):
            broadcast_lazily(f"{prefix}-{language}", render)


def broadcast(group: str, html: str) -> None:
    if html:
        _bump(group)  # before the send: a socket that joins after it renders a new snapshot
        group_send(group, {"type": "live.html", "html": html})


def broadcast_lazily(group: str, render) -> None:
    """`render()` and send it, only if a socket listens to `group`: most changes have no
    screen in some language, team or wallboard, and rendering for nobody was most of a push.
    The snapshot's version moves first either way, so a socket that joins after the check
    renders its snapshot anew, from a database that already holds the change."""
    _bump(group)
    if listened(group):
        html = render()
        if html:
            group_send(group, {"type": "live.html", "html": html})


_listeners: dict = {"pid": None, "redis": None, "seen": {}}
LISTENED_MEMO = 2.0  # seconds a group seen with a listener is believed to still have one


def listened(group: str) -> bool:
    """Whether any socket listens to `group` now: Redis's count of the group's subscribers
    (channels_redis's pub/sub layer subscribes each process once per group it has sockets
    in; a dead process's subscriptions end with its connection). A "yes" is kept 2 s (sending
    to nobody is harmless), a "no" is asked again every time. When Redis cannot say: yes."""
    seen = _listeners["seen"]
    if time.monotonic() - seen.get(group, -LISTENED_MEMO) < LISTENED_MEMO:
        return True
    try:
        if _listeners["pid"] != os.getpid():  # none yet, or a forked child
            _listeners.update(pid=os.getpid(), redis=redis.Redis.from_url(settings.REDIS_URL))
        prefix = settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"]
        count = _listeners["redis"].pubsub_numsub(f"{prefix}__group__{group}")[0][1]
    except (redis.RedisError, KeyError, IndexError):
        return True
    if count:
        seen[group] = time.monotonic()
    return bool(count)


class _Sender:
    """One event loop, in a thread of its own, for every group_send of a sync process (the
    event processor, a Celery worker): the channel layer's Redis connections live per loop,
    so a fresh loop per send (async_to_sync) would connect anew every time."""

    def __init__(self):
        self.loop, self.lock, self.pid = None, threading.Lock(), None

    def send(self, group: str, message: dict, timeout: float = 10) -> None:
        with self.lock:
            if self.loop is None or self.pid != os.getpid():  # none yet, or a forked child
                self.loop, self.pid = asyncio.new_event_loop(), os.getpid()
                threading.Thread(
                    target=self.loop.run_forever, name="group-send", daemon=True
                ).start()
        sent = get_channel_layer().group_send(group, message)
        asyncio.run_coroutine_threadsafe(sent, self.loop).result(timeout)


_sender = _Sender()


def group_send(group: str, message: dict) -> None:
    """Send to a channel-layer group from sync code, in order; raises what the layer raises."""
    _sender.send(group, message)


def new_snapshot(group: str) -> None:
    """What the group's sockets see changed other than by a broadcast (a wallboard's
    settings): the next one to connect renders its snapshot anew."""
    _bump(group)


def _bump(group: str) -> None:
    key = f"live:version:{group}"
    backend = caches["default"]
    if isinstance(backend, RedisCache):  # one INCR: Django's incr() first asks if the key exists
        key = backend.make_and_validate_key(key)
        backend._cache.get_client(key, write=True).incr(key)
        return
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=None)


def cached_snapshot(group: str, render) -> str:
    """A group's snapshot, rendered once per change however many sockets (re)connect.

    Keyed by the group's version, bumped by every broadcast: a socket joins the group before
    it asks, so whatever happens after the version it read reaches it as a live update.
    """
    version = cache.get(f"live:version:{group}", 0)
    key = f"live:snapshot:{group}:{version}"
    html = cache.get(key)
    if html is None:
        html = render()
        cache.set(key, html, timeout=SNAPSHOT_TTL)
    return html


def board_snapshot(language: str | None = None, scope: Scope = EVERYONE) -> str:
    """Everything a (re)connecting board needs: its team's rows, counts and queues, the chat
    and e-mail tiles, and the data health."""
    language = language or translation.get_language()
    with translation.override(language):
        return cached_snapshot(board_group(language, scope), lambda: _render_board_snapshot(scope))


def _render_board_snapshot(scope: Scope) -> str:
    context = board_context(scope)
    return (
        "".join(
            render_to_string(f"{BOARD}#{name}", context)
            for name in ("agent-rows", "status-counts", "health-banner")
        )
        + render_to_string("dashboard/queues.html#queue-panel", context)
        + render_to_string("dashboard/channels.html#channel-tiles", {"ch": channel_sync.today()})
    )


def agents_update(logins: list[str], context: dict | None = None) -> str:
    """The changed rows and the status counts, in one render (in the active language)."""
    return render_to_string(f"{BOARD}#changed-rows", context or rows_context(logins))


@receiver(agents_changed)
def _push_agents(sender, logins, **kwargs):
    """Each team's boards get, in one message, its own changed agents' rows, its status
    counts and the free / busy / paused line of each queue tile it sees: every active agent
    queried once, each row and line rendered once per language whatever the number of teams
    it is in, the counts once per team and language. A team none of whose agents changed
    gets its queues' lines alone, when an agent of another team who serves them changed. (A
    line that moved otherwise, say with an agent moved to another group, is put right by the
    whole panels the periodic refresh pushes: dashboard/tasks.py.)"""
    scopes = board_scopes()
    open_groups = {
        (scope.key, language)
        for scope in scopes
        for language in languages()
        if listened(board_group(language, scope))
    }
    if not open_groups:
        for scope in scopes:  # nobody to render for: the snapshots still move on
            for language in languages():
                _bump(board_group(language, scope))
        return
    context = rows_context(logins, counts=False)  # each team's counts: from `everyone` below
    everyone = active_agents()
    counts = counts_by_team(scopes, everyone)
    lines = agent_counts(agents=everyone)
    moved = {agent.group_id for agent in context["agents"]}
    # An agent gone from Thulium's directory (no longer active) moves every team's counts.
    gone = len(context["agents"]) < len(set(logins))
    rows = _once_per_language(f"{BOARD}#agent-row", "agent", lambda a: a.login, context)
    queue_lines = _once_per_language(QUEUE_AGENTS, "s", lambda s: s.key)
    for scope in scopes:
        mine = [agent for agent in context["agents"] if scope.has(agent.group_id)]
        served = scope.queues(lines)
        if not mine and not gone and not any(s.groups & moved for s in served):
            continue
        team = {**context, "counts": counts[scope.key], "logged_in": logged_in(counts[scope.key])}
        for language in languages():
            if (scope.key, language) not in open_groups:
                _bump(board_group(language, scope))
                continue
            with translation.override(language):
                html = queue_lines(served)
                if mine or gone:
                    counted = render_to_string(f"{BOARD}#status-counts", team)
                    html = rows(mine) + counted + html
            broadcast(board_group(language, scope), html)


def _once_per_language(template: str, name: str, key, context: dict | None = None):
    """render(items): each item's `template` (the item as `name` in `context`) in the active
    language, joined; each rendered once per language however many teams' pushes it is in."""
    done: dict = {}  # (language, key(item)) -> the item's html

    def render(items) -> str:
        language = translation.get_language()
        for item in items:
            if (language, key(item)) not in done:
                done[language, key(item)] = render_to_string(
                    template, {**(context or {}), name: item}
                )
        return "".join(done[language, key(item)] for item in items)

    return render


@receiver(callers_named)
def _push_callers(sender, logins, queues=(), **kwargs):
    """Callers' names learned after the calls' own push: each team's boards get only the
    elements that show them (the caller on these agents' rows, the waiting callers of these
    queues), not the rows or tiles again; nothing else has moved."""
    found: dict = {}

    def names(scope) -> str:
        if not found:  # queried only if some board listens
            found.update(callers_context(logins, queues))
        agents = [a for a in found["agents"] if scope.has(a.group_id)]
        waiting = scope.queues(found["queues"])
        if not agents and not any(s.waiting_calls for s in waiting):
            return ""
        return render_to_string(f"{BOARD}#caller-names", {"agents": agents, "queues": waiting})

    broadcast_boards(names)


@receiver(poll_health_changed)
def _push_health(sender, name, **kwargs):
    health = {"health": data_health()}  # the banner needs nothing else
    banner = {}  # the same for every team: rendered once per language
    broadcast_boards(
        lambda scope: banner.setdefault(
            translation.get_language(), render_to_string(f"{BOARD}#health-banner", health)
        )
    )
    if name == "heartbeat":  # the campaign list has no banner, but wants to know it is live
        for language in languages():
            group_send(campaigns_group(language), {"type": "live.html", "html": HEARTBEAT})


# --- Campaigns (/ws/campaigns/) -------------------------------------------------------------


def campaigns_snapshot(language: str | None = None) -> str:
    with translation.override(language or translation.get_language()):
        return render_to_string(f"{CAMPAIGNS}#campaign-rows", campaigns_context())


def campaigns_update(ids: list[str]) -> str:
    """Changed rows only (in the active language); see campaigns_renderer."""
    return campaigns_renderer(ids)()


def campaigns_renderer(ids: list[str]):
    """What these campaigns' change pushes, queried once: a function that renders it in the
    active language. Changed rows only; the whole table when a campaign appeared or went."""
    shown = sorted(visible().values_list("campaign_id", flat=True))
    if cache.get("live:campaign-ids") != shown:
        cache.set("live:campaign-ids", shown, timeout=None)
        whole = campaigns_context()
        return lambda: render_to_string(f"{CAMPAIGNS}#campaign-rows", whole)
    context = campaigns_context([i for i in ids if i in shown])
    return lambda: "".join(
        render_to_string(f"{CAMPAIGNS}#campaign-row", {**context, "campaign": c, "oob": True})
        for c in context["campaigns"]
    )


@receiver(campaigns_changed)
def _push_campaigns(sender, ids, **kwargs):
    broadcast_each_language(CAMPAIGNS_GROUP, campaigns_renderer(ids))


@receiver(agents_changed)
def _push_campaign_agents(sender, logins, **kwargs):
    groups = [campaigns_group(language) for language in languages()]
    if not any(listened(group) for group in groups):
        for group in groups:  # the campaign list open nowhere: nothing to query or render
            _bump(group)
        return
    ids = campaigns_with(logins)
    if ids:
        broadcast_each_language(CAMPAIGNS_GROUP, campaigns_renderer(ids))
