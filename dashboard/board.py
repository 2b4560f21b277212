"""What the agent board shows, shared by the page, its fragments and the live push."""

from urllib.parse import quote

from django.conf import settings
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from crm_bridge import customers
from crm_bridge.models import Agent, AgentGroup, AgentStatus, Campaign, PauseReason
from crm_bridge.models.agents import ON_CALL, collation_key
from crm_bridge.sync import data_health

from .board_today import Today, today_numbers
from .models import Queue
from .queues import agent_counts, day_start, queue_stats, with_waiting_calls
from .teams import EVERYONE, Scope

# Board order of the header counts, and the colour family of each status.
STATUS_ORDER = [
    AgentStatus.FREE,
    AgentStatus.RINGING,
    AgentStatus.INBOUND_CALL,
    AgentStatus.OUTBOUND_CALL,
    AgentStatus.CALL,
    AgentStatus.OUTBOUND_PREVIEW,
    AgentStatus.PAUSED,
    AgentStatus.OFF,
]


def _decorate(agents, pause_names: dict, group_names: dict) -> list[Agent]:
    day_url = reverse("agent-today", args=["__login__"])  # once, not a reverse() per row
    now = timezone.now()
    midnight = day_start(now)
    today = today_numbers(agents, now)
    _decorate_calls(agents)
    for agent in agents:
        agent.today = today.get(agent.login) or Today()
        # A pause running now counts from its start (or midnight); the browser keeps adding.
        agent.paused_from = None
        if agent.status == AgentStatus.PAUSED and agent.status_since:
            agent.paused_from = max(agent.status_since, midnight)
        running = (now - agent.paused_from).total_seconds() if agent.paused_from else 0
        agent.today.paused_now = agent.today.paused + int(running)
        agent.pause_label = PauseReason.label(agent.pause_id, pause_names)
        agent.group_name = group_names.get(agent.group_id, "")
        agent.day_url = day_url.replace("__login__", quote(agent.login, safe=""))
        agent.is_on_call = agent.status in ON_CALL
        agent.pending_label = _pending_label(agent, pause_names)
        # The phone is worth a word only while the agent should be taking calls.
        agent.phone_missing = agent.phone_connected is False and agent.status in (
            AgentStatus.FREE,
            AgentStatus.PAUSED,
        )
    return agents


def _decorate_calls(agents) -> list[Agent]:
    """What a row's current call shows: who calls (from the cache only; "" also while it is
    being looked up) and the queue's or campaign's name."""
    queue_names = {q.number: q.display_name for q in Queue.objects.filter(kind=Queue.Kind.CALL)}
    campaign_names = dict(Campaign.objects.values_list("campaign_id", "name"))
    callers = customers.names({a.call_number for a in agents if a.call_number})
    for agent in agents:
        agent.caller, agent.caller_unknown = customers.shown(callers.get(agent.call_number, ""))
        agent.queue_name = queue_names.get(agent.call_queue_id, "")
        agent.campaign_name = campaign_names.get(agent.call_campaign_id, agent.call_campaign_id)
    return agents


def callers_context(logins: list[str], queue_pks: list[int]) -> dict:
    """Where callers' names just learned show: these agents' current calls and these queues'
    waiting calls (with the agent groups serving each queue, so each team gets its own)."""
    agents = Agent.objects.filter(login__in=logins, active=True).exclude(call_number="")
    wanted = set(queue_pks)
    queues = [s for s in agent_counts() if s.queue.pk in wanted] if wanted else []
    with_waiting_calls(queues)
    return {"agents": _decorate_calls(list(agents)), "queues": queues}


def _pending_label(agent: Agent, pause_names: dict) -> str:
    """Where the agent goes when the call ends, when that is not simply free."""
    if agent.status not in ON_CALL or not agent.pending_status:
        return ""
    if agent.pending_status != AgentStatus.PAUSED:
        return AgentStatus(agent.pending_status).label
    name = pause_names.get(agent.pending_pause_id)
    if name:
        return format_lazy(_("Pause {name}"), name=name)
    return PauseReason.label(agent.pending_pause_id, {}) or _("Pause")


def status_counts(scope: Scope = EVERYONE) -> list[dict]:
    agents = scope.agents(Agent.objects.filter(active=True))
    return _in_board_order(dict(agents.values_list("status").annotate(n=Count("id"))))


def _in_board_order(counts: dict) -> list[dict]:
    """{status: n} as the header shows it: every status in STATUS_ORDER, with its label."""
    return [{"status": s, "label": s.label, "count": counts.get(s, 0)} for s in STATUS_ORDER]


def counts_by_team(scopes, agents: list[dict]) -> dict:
    """Each team's status counts (scope key -> status_counts), from every active agent's
    group_id and status (queues.active_agents)."""
    by_group: dict = {}
    for agent in agents:
        statuses = by_group.setdefault(agent["group_id"], {})
        statuses[agent["status"]] = statuses.get(agent["status"], 0) + 1
    teams = {}
    for scope in scopes:
        counts: dict = {}
        for group_id, statuses in by_group.items():
            if scope.has(group_id):
                for status, n in statuses.items():
                    counts[status] = counts.get(status, 0) + n
        teams[scope.key] = _in_board_order(counts)
    return teams


def logged_in(counts: list[dict]) -> int:
    return sum(c["count"] for c in counts if c["status"] != AgentStatus.OFF)


def _names() -> tuple[dict, dict]:
    pause_names = dict(PauseReason.objects.values_list("pause_id", "name"))
    group_names = dict(AgentGroup.objects.values_list("group_id", "name"))
    return pause_names, group_names


def board_context(scope: Scope = EVERYONE) -> dict:
    """The board of the agents and queues in `scope` (dashboard/teams.py)."""
    pause_names, group_names = _names()
    agents = list(scope.agents(Agent.objects.filter(active=True)))
    counts = status_counts(scope)
    return {
        "health": data_health(),
        "counts": counts,
        "logged_in": logged_in(counts),
        "agents": _decorate(agents, pause_names, group_names),
        "queue_stats": scope.queues(queue_stats()),
        "window_minutes": settings.QUEUE_WINDOW_MINUTES,
        "groups": sorted(
            ((i, name) for i, name in group_names.items() if scope.has(i)),
            key=lambda item: collation_key(item[1]),
        ),
        "statuses": [(s.value, s.label) for s in STATUS_ORDER],
        # The row's buttons, one set per status, copied into each row in the browser (live.js).
        "action_statuses": [(s.value, s in ON_CALL) for s in STATUS_ORDER],
    }


def rows_context(logins: list[str], scope: Scope = EVERYONE, counts: bool = True) -> dict:
    """These agents' rows, and (unless the caller counts for itself) the status counts."""
    pause_names, group_names = _names()
    agents = list(scope.agents(Agent.objects.filter(login__in=logins, active=True)))
    context = {"agents": _decorate(agents, pause_names, group_names)}
    if counts:
        context["counts"] = status_counts(scope)
        context["logged_in"] = logged_in(context["counts"])
    return context


# Sortable columns (key, header); the browser (live.js) sorts live rows the same way.
# (key, header, tooltip)
TODAY_WHAT = _("Calls answered · talk time · time in pauses")
TODAY_SOURCE = _("since midnight, from the events received here")
SORT_COLUMNS = [
    ("name", _("Agent"), ""),
    ("group", _("Group"), ""),
    ("status", _("Status"), ""),
    ("", _("Pause reason"), ""),
    ("since", _("In status"), _("Longest first; logged-off agents last")),
    ("", _("Current call"), ""),
    ("", _("Today"), format_lazy("{}: {}", TODAY_WHAT, TODAY_SOURCE)),
    ("", _("Actions"), ""),
]


def sort_agents(agents: list[Agent], key: str) -> list[Agent]:
    """By surname in Polish order (the default), group, status (board order) or since
    (longest first, logged-off agents last)."""
    order = {s: i for i, s in enumerate(STATUS_ORDER)}

    def by_name(a: Agent):
        return a.sort_key  # Polish alphabetical order: Ł after L, Ś after S

    keys = {
        "group": lambda a: (collation_key(a.group_name) or "\uffff", by_name(a)),
        "status": lambda a: (order.get(a.status, 99), by_name(a)),
        "since": lambda a: (
            a.status == AgentStatus.OFF,
            a.status_since is None,
            a.status_since or 0,
            by_name(a),
        ),
    }
    return sorted(agents, key=keys.get(key, by_name))


def matches(
    agent: Agent,
    group: str,
    status: str,
    query: str,
    hide_off: bool = False,
    groups: frozenset | None = None,
) -> bool:
    """The same filter the browser applies (live.js), for the first render: `hide_off` hides
    the logged off, `groups` (a queue's) keeps only the agents who serve it."""
    if group and str(agent.group_id or "") != group:
        return False
    if status and agent.status != status:
        return False
    if hide_off and agent.status == AgentStatus.OFF:
        return False
    if groups is not None and agent.group_id not in groups:
        return False
    if query:
        haystack = f"{agent.login} {agent.name} {agent.surname}".lower()
        return query.lower() in haystack
    return True
