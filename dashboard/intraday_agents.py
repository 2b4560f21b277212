"""Agents by status over a day, in the intraday page's 15- or 30-minute intervals: how many
agents were in each status on average in each interval (the seconds all agents spent in it
divided by the interval's length, so 2.5 agents free = two and a half agents' worth of free
time), from the agent events this app stored (crm_bridge.models.WebhookEvent). Definitions:
docs/metrics.md ("Agents by status").

Each agent's events are folded as the board folds them (crm_bridge/events.py): a call sets
the status while it lasts and its end returns the agent to their presence (free or paused); a
pause or unpause during a call waits for the call's end. The day before is read too, so an
agent logged in before midnight counts from midnight. Events are pruned after
EVENT_RETENTION_DAYS: older days have no chart.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.utils import timezone

from crm_bridge.events import AGENT_ACTIONS, CALL_ENDS, OUTBOUND_AGENT_ACTIONS, STATUS_AFTER
from crm_bridge.models import Agent, AgentStatus, WebhookEvent
from crm_bridge.parse import tenant_tz, to_int

from .board import STATUS_ORDER
from .intraday import day_bounds
from .teams import Scope

# The order of the chart's lines and the table's columns: the board's (logged off is not counted).
STATUSES = [status for status in STATUS_ORDER if status != AgentStatus.OFF]


@dataclass
class StatusRow:
    start: datetime  # local time
    agents: dict = field(default_factory=dict)  # status -> average agents (1 decimal)

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}"

    @property
    def cells(self) -> list[tuple[str, float]]:
        return [(str(s), self.agents.get(s, 0.0)) for s in STATUSES]

    @property
    def logged_in(self) -> float:
        return round(sum(self.agents.values()), 1)


class _Agent:
    """One agent's presence (OFF, FREE or PAUSED) and the call they are on, if any."""

    def __init__(self):
        self.presence, self.call = AgentStatus.OFF, None

    @property
    def status(self) -> str:
        return self.call or self.presence

    def apply(self, action: str, data: dict) -> None:
        if action == "AGENT_STATUS_CHANGED":
            self.presence = AgentStatus.PAUSED if to_int(data.get("pause_id")) else AgentStatus.FREE
        elif action == "AGENT_LOGGED_OUT":
            self.presence, self.call = AgentStatus.OFF, None
        elif action == "AGENT_LOGGED_IN":
            self.presence = AgentStatus.FREE if self.presence == AgentStatus.OFF else self.presence
        elif action in CALL_ENDS:
            self.call = None
        elif action in STATUS_AFTER:
            self.call = STATUS_AFTER[action]
            if self.presence == AgentStatus.OFF:  # on a call: logged in
                self.presence = AgentStatus.FREE


def agents_by_status(
    day: date, minutes: int, scope: Scope | None = None, now: datetime | None = None
) -> list[StatusRow]:
    """The day's intervals from the first to the last with an agent logged in (today: to
    now), each with the average number of agents in each status."""
    start, midnight = day_bounds(day)
    end = min(midnight, now or timezone.now())
    if end <= start:
        return []
    events = WebhookEvent.objects.filter(
        action__in=AGENT_ACTIONS | OUTBOUND_AGENT_ACTIONS,
        event_date__gte=start - timedelta(days=1),
        event_date__lt=end,
    ).exclude(agent_login="")
    if scope is not None and not scope.everyone:
        logins = scope.agents(Agent.objects.all()).values_list("login", flat=True)
        events = events.filter(agent_login__in=list(logins))
    step = timedelta(minutes=minutes)
    slots = int((end - start) / step) + 1
    seconds = [dict.fromkeys(STATUSES, 0.0) for _ in range(slots)]
    agents: dict[str, _Agent] = {}
    since: dict[str, datetime] = {}
    ordered = events.order_by("event_date", "id").values_list(
        "agent_login", "action", "event_date", "data"
    )
    for login, action, moment, data in ordered.iterator():
        agent = agents.setdefault(login, _Agent())
        if moment > start:
            _count(seconds, agent.status, max(since.get(login, start), start), moment, start, step)
        agent.apply(action, data or {})
        since[login] = max(moment, start)
    for login, agent in agents.items():
        _count(seconds, agent.status, since[login], end, start, step)
    rows = []
    for index, spent in enumerate(seconds):
        begin = start + index * step
        length = (min(begin + step, end) - begin).total_seconds()
        if length <= 0:
            continue
        local = begin.astimezone(tenant_tz())
        rows.append(StatusRow(local, {s: round(spent[s] / length, 1) for s in STATUSES}))
    busy = [i for i, row in enumerate(rows) if row.logged_in > 0]
    if not busy:
        return []
    last = len(rows) if end < midnight else busy[-1] + 1  # today: to the interval now is in
    return rows[busy[0] : last]


def _count(seconds: list, status: str, begin, finish, start, step) -> None:
    """Add the time from begin to finish in this status to the intervals it spans."""
    if status not in seconds[0] or finish <= begin:
        return
    index = int((begin - start) / step)
    while begin < finish and index < len(seconds):
        cut = min(finish, start + (index + 1) * step)
        seconds[index][status] += (cut - begin).total_seconds()
        begin, index = cut, index + 1


def chart_data(rows: list[StatusRow], minutes: int) -> dict:
    """What static/dashboard/intraday_agents.js draws: x in hours after midnight, one list of
    average agents per status."""
    return {
        "step": minutes / 60,
        "x": [r.start.hour + r.start.minute / 60 for r in rows],
        "statuses": [str(s) for s in STATUSES],
        "series": [[r.agents.get(s, 0.0) for r in rows] for s in STATUSES],
    }


def labels() -> list[str]:
    return [str(s.label) for s in STATUSES]
