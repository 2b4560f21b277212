"""What a wallboard shows: only the queues, agents and campaigns chosen for it (and on an
"All channels" one today's chats and e-mail), in its language (the same catalogue as the rest
of the UI: locale/), with amber/red levels from the shared thresholds (dashboard/alerts.py),
or its own where it overrides them. Rendered once per wallboard per change, with its language
active."""

import functools

from django.apps import apps
from django.template.loader import render_to_string
from django.utils import timezone, translation

from crm_bridge import channel_sync
from crm_bridge.models import Agent, AgentStatus
from crm_bridge.sync import data_health

from . import intraday
from .models import Wallboard
from .queues import QueueStats, queue_stats

TEMPLATE = "dashboard/wallboard.html"


def in_its_language(render):
    """Render with the wallboard's own language active (its first argument), whoever asks."""

    @functools.wraps(render)
    def rendering(wallboard: Wallboard, *args, **kwargs):
        with translation.override(wallboard.language):
            return render(wallboard, *args, **kwargs)

    return rendering


def _status_label(status: str) -> str:
    try:
        return str(AgentStatus(status).label)
    except ValueError:
        return status


def campaigns_available() -> bool:
    """Campaign tiles need issue #4's campaign model in crm_bridge."""
    try:
        apps.get_model("crm_bridge", "Campaign")
    except LookupError:
        return False
    return True


def active_wallboards():
    return (
        Wallboard.objects.filter(revoked_at__isnull=True)
        .select_related("intraday_queue")
        .prefetch_related("queues", "agent_groups")
    )


def find(token: str) -> Wallboard | None:
    if not token:
        return None
    return active_wallboards().filter(token=token).first()


def shown_stats(wallboard: Wallboard, stats: list[QueueStats]) -> list[QueueStats]:
    chosen = {q.pk for q in wallboard.queues.all()}
    return [s for s in stats if not chosen or s.queue.pk in chosen]


def shown_agents(wallboard: Wallboard, agents: list[Agent]) -> list[Agent]:
    """The agents this wallboard shows, in Polish alphabetical order (Agent.sort_key)."""
    groups = _groups(wallboard)
    shown = [a for a in agents if _shows(groups, a.status, a.group_id)]
    return sorted(shown, key=lambda agent: agent.sort_key)


def _groups(wallboard: Wallboard) -> set:
    return {g.pk for g in wallboard.agent_groups.all()}


def _shows(groups: set, status: str, group_id: int | None) -> bool:
    return status != AgentStatus.OFF and (not groups or group_id in groups)


@in_its_language
def agents_html(wallboard: Wallboard, changed: list[Agent], everyone: list[tuple]) -> str:
    """What some agents' change moves on this wallboard: its status counts and their cells
    (one no longer shown here says so and the page removes it; one new here is inserted in
    order). `everyone` is (status, group_id) of every active agent, for the counts."""
    groups = _groups(wallboard)
    shown = [status for status, group_id in everyone if _shows(groups, status, group_id)]
    ctx = {"wb": wallboard, "agent_counts": _counts(shown)}
    if not shown or len(changed) > len(shown) // 2:  # the whole grid costs no more
        return render(
            wallboard,
            ("wb-agents",),
            {
                **ctx,
                "agents": _label(shown_agents(wallboard, list(Agent.objects.filter(active=True)))),
            },
        )
    cells = []
    for agent in changed:
        agent.gone = not (agent.active and _shows(groups, agent.status, agent.group_id))
        agent.status_label = _status_label(agent.status)
        cells.append(render_to_string(f"{TEMPLATE}#wb-agent", {**ctx, "agent": agent}))
    return render_to_string(f"{TEMPLATE}#wb-counts", ctx) + "".join(cells)


def _label(agents: list[Agent]) -> list[Agent]:
    for agent in agents:
        agent.status_label = _status_label(agent.status)
    return agents


def decorate_tile(wallboard: Wallboard, s: QueueStats, now) -> dict:
    """A queue tile's numbers and levels on this wallboard."""
    longest, q = s.longest_wait(now), s.queue
    levels = {
        "waiting": wallboard.level("waiting", s.waiting, q),
        "longest_wait": wallboard.level("longest_wait", longest, q),
        "service_level": wallboard.level("service_level", s.today.service_level, q),
        "abandon_rate": wallboard.level("abandon_rate", s.today.abandon_rate, q),
        "asa": wallboard.level("asa", s.today.asa, q),
    }
    worst = "red" if "red" in levels.values() else "amber" if "amber" in levels.values() else ""
    amber, red = wallboard.threshold("longest_wait", q)
    return {"s": s, "levels": levels, "level": worst, "longest_amber": amber, "longest_red": red}


def context(wallboard: Wallboard, stats=None, agents=None, now=None) -> dict:
    now = now or timezone.now()
    ctx = {"wb": wallboard, "now": now, "health": data_health()}
    if wallboard.shows_queues:
        stats = queue_stats() if stats is None else stats
        ctx["tiles"] = [decorate_tile(wallboard, s, now) for s in shown_stats(wallboard, stats)]
    if wallboard.shows_agents:
        agents = list(Agent.objects.filter(active=True)) if agents is None else agents
        shown = _label(shown_agents(wallboard, agents))
        ctx["agents"] = shown
        ctx["agent_counts"] = _counts([agent.status for agent in shown])
    if wallboard.shows_campaigns:
        ctx["campaigns"] = shown_campaigns(wallboard)
    if wallboard.shows_channels:
        ctx["ch"] = channel_sync.today()
    if wallboard.intraday_queue is not None:
        ctx["intraday"] = intraday.today(wallboard.intraday_queue, now)
    return ctx


def shown_campaigns(wallboard: Wallboard, campaigns=None) -> list:
    """The chosen campaigns (none chosen: every active one); [] until issue #4's model exists."""
    if campaigns is None:
        if not campaigns_available():
            return []
        model = apps.get_model("crm_bridge", "Campaign")
        campaigns = list(model.objects.filter(active=True, gone=False))
    chosen = set(wallboard.campaign_ids or ())
    return [c for c in campaigns if not chosen or c.campaign_id in chosen]


def _counts(shown: list[str]) -> list[dict]:
    """How many of the shown agents (their statuses) are in each status."""
    order = [
        AgentStatus.FREE,
        AgentStatus.RINGING,
        AgentStatus.INBOUND_CALL,
        AgentStatus.OUTBOUND_CALL,
        AgentStatus.CALL,
        AgentStatus.PAUSED,
    ]
    return [{"status": s, "label": s.label, "count": shown.count(s)} for s in order]


@in_its_language
def render(wallboard: Wallboard, parts: tuple[str, ...], ctx: dict | None = None) -> str:
    ctx = ctx or context(wallboard)
    return "".join(render_to_string(f"{TEMPLATE}#{part}", ctx) for part in parts)


SNAPSHOT = ("wb-queues", "wb-agents", "wb-campaigns", "wb-channels", "wb-health")


def snapshot(wallboard: Wallboard) -> str:
    """Everything a (re)connecting wallboard needs."""
    parts = [p for p in SNAPSHOT if _has_part(wallboard, p)]
    return render(wallboard, tuple(parts))


def _has_part(wallboard: Wallboard, part: str) -> bool:
    if part == "wb-queues":
        return wallboard.shows_queues
    if part == "wb-agents":
        return wallboard.shows_agents
    if part == "wb-campaigns":
        return wallboard.shows_campaigns
    if part == "wb-channels":
        return wallboard.shows_channels
    return True


@in_its_language
def queue_html(wallboard: Wallboard, stats: list[QueueStats], now, whole: bool) -> str:
    """The wallboard's queue tiles for these stats: the whole grid, or just the tiles."""
    tiles = [decorate_tile(wallboard, s, now) for s in shown_stats(wallboard, stats)]
    ctx = {"wb": wallboard, "now": now, "tiles": tiles}
    if whole:
        return render_to_string(f"{TEMPLATE}#wb-queues", ctx)
    return "".join(render_to_string(f"{TEMPLATE}#wb-queue-tile", {**ctx, **tile}) for tile in tiles)


@in_its_language
def agent_lines_html(wallboard: Wallboard, lines: list[QueueStats]) -> str:
    """The free / busy / paused line of each queue tile this wallboard shows."""
    return "".join(
        render_to_string(f"{TEMPLATE}#wb-queue-agents", {"wb": wallboard, "s": s})
        for s in shown_stats(wallboard, lines)
    )
