"""The queue metric engine: each queue's numbers for "today" (summed from the interval
counters the queue fold keeps, crm_bridge/queue_events.py) and the rolling window (from the
calls of the last minutes). Definitions: docs/metrics.md."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from time import monotonic as _monotonic

from django.conf import settings
from django.db.models import Count, F, Max, Min, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from crm_bridge import customers
from crm_bridge.models import Agent, AgentStatus, QueueInterval
from crm_bridge.models.agents import ON_CALL
from crm_bridge.models.intervals import MINUTES, interval_start
from crm_bridge.parse import tenant_tz

from .models import Queue, QueueCall
from .models.queues import Outcome


# --- Periods ------------------------------------------------------------------------------
def day_start(now: datetime | None = None) -> datetime:
    """The last daily reset (QUEUE_DAY_RESET, local time in THULIUM_TIMEZONE) before `now`."""
    local = (now or timezone.now()).astimezone(tenant_tz())
    hour, _, minute = settings.QUEUE_DAY_RESET.partition(":")
    minute = int(minute or 0) // MINUTES * MINUTES  # at a quarter hour: intervals add up to it
    reset = datetime.combine(local.date(), time(int(hour), minute), tenant_tz())
    return reset if reset <= local else reset - timedelta(days=1)


def window_start(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(minutes=settings.QUEUE_WINDOW_MINUTES)


# --- Metrics ------------------------------------------------------------------------------
@dataclass
class Period:
    offered: int = 0
    answered: int = 0
    answered_in_sl: int = 0
    abandoned: int = 0  # including short abandons
    short_abandons: int = 0
    wait_sum: int = 0  # of answered calls
    max_wait: int | None = None
    handled: int = 0
    handle_sum: int = 0

    @property
    def counted(self) -> int:
        """The service-level denominator: answered + abandoned, short abandons left out."""
        return self.answered + self.abandoned - self.short_abandons

    @property
    def service_level(self) -> float | None:
        return 100 * self.answered_in_sl / self.counted if self.counted else None

    @property
    def abandon_rate(self) -> float | None:
        return 100 * (self.abandoned - self.short_abandons) / self.counted if self.counted else None

    @property
    def asa(self) -> float | None:
        return self.wait_sum / self.answered if self.answered else None

    @property
    def aht(self) -> float | None:
        return self.handle_sum / self.handled if self.handled else None


@dataclass
class QueueStats:
    queue: Queue
    today: Period = field(default_factory=Period)
    window: Period = field(default_factory=Period)
    waiting: int = 0
    oldest_entered: datetime | None = None
    in_progress: int = 0
    agents_free: int | None = None
    agents_busy: int | None = None
    agents_paused: int | None = None
    groups: frozenset = frozenset()  # the agent groups serving it (set in admin, or learned)
    waiting_calls: list = field(default_factory=list)  # the longest waiting first (WAITING_SHOWN)

    @property
    def key(self) -> str:
        return self.queue.key

    def longest_wait(self, now: datetime | None = None) -> int | None:
        if self.oldest_entered is None:
            return None
        return max(0, int(((now or timezone.now()) - self.oldest_entered).total_seconds()))

    @property
    def agents_known(self) -> bool:
        return self.agents_free is not None


_PERIOD_FIELDS = (
    "offered",
    "answered",
    "answered_in_sl",
    "abandoned",
    "short_abandons",
    "wait_sum",
    "max_wait",
    "handled",
    "handle_sum",
)


def _period_aggregates(prefix: str, start: datetime) -> dict:
    inside = Q(entered_at__gte=start)
    answered = inside & Q(outcome=Outcome.ANSWERED)
    abandoned = inside & Q(outcome=Outcome.ABANDONED)
    handled = inside & Q(completions__gt=0)
    return {
        f"{prefix}offered": Count("id", filter=inside),
        f"{prefix}answered": Count("id", filter=answered),
        f"{prefix}answered_in_sl": Count(
            "id", filter=answered & Q(wait_seconds__lte=F("queue__sl_threshold_seconds"))
        ),
        f"{prefix}abandoned": Count("id", filter=abandoned),
        f"{prefix}short_abandons": Count("id", filter=abandoned & Q(short_abandon=True)),
        f"{prefix}wait_sum": Sum("wait_seconds", filter=answered),
        f"{prefix}max_wait": Max(
            "wait_seconds", filter=inside & Q(outcome__in=[Outcome.ANSWERED, Outcome.ABANDONED])
        ),
        f"{prefix}handled": Count("id", filter=handled),
        f"{prefix}handle_sum": Sum("handle_seconds", filter=handled),
    }


def queue_stats(pks: list[int] | None = None, now: datetime | None = None) -> list[QueueStats]:
    """Every visible queue's numbers (or those of the queues `pks`), in six SQL queries."""
    now = now or timezone.now()
    queues = Queue.objects.filter(hidden=False).prefetch_related("agent_groups")
    if pks is not None:
        queues = queues.filter(pk__in=pks)
    queues = list(queues)
    if not queues:
        return []
    day, window = day_start(now), window_start(now)
    alive = _alive(now)
    waiting = _waiting(now)
    talking = alive & Q(outcome=Outcome.ANSWERED, connected_legs__gt=F("completions"))
    rows = (
        QueueCall.objects.filter(queue__in=queues)
        .filter(Q(entered_at__gte=window) | waiting | talking)
        .values("queue_id")
        .annotate(
            **_period_aggregates("w_", window),
            waiting=Count("id", filter=waiting),
            oldest=Min("entered_at", filter=waiting),
            in_progress=Count("id", filter=talking),
        )
    )
    by_queue = {row["queue_id"]: row for row in rows}
    days = today_from_intervals(queues, day)
    stats = []
    for queue in queues:
        row, counted = by_queue.get(queue.pk, {}), days.get(queue.pk, {})
        today = Period(**{f: counted.get(f) or 0 for f in _PERIOD_FIELDS})
        last = Period(**{f: row.get(f"w_{f}") or 0 for f in _PERIOD_FIELDS})
        today.max_wait, last.max_wait = counted.get("max_wait_"), row.get("w_max_wait")
        stats.append(
            QueueStats(
                queue=queue,
                today=today,
                window=last,
                waiting=row.get("waiting", 0),
                oldest_entered=row.get("oldest"),
                in_progress=row.get("in_progress", 0),
            )
        )
    _count_agents(stats, day)
    _waiting_calls([s for s in stats if s.waiting], waiting)
    return stats


@dataclass
class WaitingCall:
    """A call waiting in a queue: its number, who it is (Thulium's source_name, else the
    CRM's name for the number, else unknown, else not known yet: ""), since when; `call_id`
    names its entry on the tile (one number may wait twice)."""

    call_id: int
    number: str
    name: str
    unknown: bool
    entered_at: datetime


WAITING_SHOWN = 5  # per queue tile; the count says how many more


def _alive(now: datetime) -> Q:
    """Calls Thulium told of lately (a call silent longer is stale, not counted)."""
    return Q(last_event_at__gte=now - timedelta(minutes=settings.QUEUE_STALE_CALL_MINUTES))


def _waiting(now: datetime) -> Q:
    """Calls waiting in their queue now (and not stale)."""
    return _alive(now) & Q(outcome=Outcome.WAITING)


def with_waiting_calls(stats: list[QueueStats], now: datetime | None = None) -> None:
    """These queues' longest-waiting calls, what their tiles list (callers' names pushed)."""
    _waiting_calls(stats, _waiting(now or timezone.now()))


def _waiting_calls(stats: list[QueueStats], waiting: Q) -> None:
    """The longest-waiting calls of these queues (one query; names from the cache only)."""
    if not stats:
        return
    by_pk = {s.queue.pk: s for s in stats}
    calls = (
        QueueCall.objects.filter(waiting, queue__in=list(by_pk))
        .order_by("entered_at")
        .values_list("id", "queue_id", "caller_number", "caller_name", "entered_at")
    )
    rows, shown = [], dict.fromkeys(by_pk, 0)
    for call_id, queue_id, number, name, entered in calls:
        if shown[queue_id] < WAITING_SHOWN:
            shown[queue_id] += 1
            rows.append((call_id, by_pk[queue_id], number, name, entered))
    names = customers.names({number for _, _, number, name, _ in rows if number and not name})
    for call_id, s, number, name, entered in rows:
        known, unknown = customers.shown(name or names.get(number, ""))
        s.waiting_calls.append(WaitingCall(call_id, number, known, unknown, entered))


def agent_counts(now: datetime | None = None, agents: list[dict] | None = None) -> list[QueueStats]:
    """Every visible queue with only its free / busy / paused agents: what an agent's change
    moves on a queue tile (its calls' numbers stay as they were). `agents`: every active
    agent's login, group_id and status, when the caller has them already."""
    queues = Queue.objects.filter(hidden=False).prefetch_related("agent_groups")
    stats = [QueueStats(queue=queue) for queue in queues]
    if stats:
        _count_agents(stats, day_start(now), memo=True, agents=agents)
    return stats


def active_agents() -> list[dict]:
    """Every active agent's login, group_id and status (what the agent counts need)."""
    return list(Agent.objects.filter(active=True).values("login", "group_id", "status"))


# Who took which queue's calls today, for the queues with no groups set in admin: kept a few
# seconds for the pushes of agent changes, which come many a second at a shift change.
LEARNED_FOR_SECONDS = 10
_learned_memo: dict = {}


def _count_agents(
    stats: list[QueueStats], day: datetime, memo: bool = False, agents: list[dict] | None = None
) -> None:
    """Free / busy / paused agents per queue: from the groups set in admin, else from the
    groups of the agents who took the queue's calls or chats today. Two queries for all."""
    agents = active_agents() if agents is None else agents
    group_of = {a["login"]: a["group_id"] for a in agents}
    learned: dict[int, set] = {}
    for queue_id, login in _took_calls([s.queue for s in stats], day, memo):
        if group_of.get(login) is not None:
            learned.setdefault(queue_id, set()).add(group_of[login])
    for item in stats:
        groups = {g.pk for g in item.queue.agent_groups.all()} or learned.get(item.queue.pk)
        item.groups = frozenset(groups or ())
        if not groups:
            continue
        members = [a for a in agents if a["group_id"] in groups]
        item.agents_free = sum(a["status"] == AgentStatus.FREE for a in members)
        item.agents_paused = sum(a["status"] == AgentStatus.PAUSED for a in members)
        item.agents_busy = sum(a["status"] in ON_CALL for a in members)


def _took_calls(queues: list[Queue], day: datetime, memo: bool) -> list[tuple[int, str]]:
    """(queue pk, agent login) of every call or chat answered today in these queues."""
    key = (day, tuple(sorted(q.pk for q in queues)))
    now = _monotonic()
    if memo and (hit := _learned_memo.get(key)) and hit[0] > now:
        return hit[1]
    pairs = list(
        QueueCall.objects.filter(queue__in=queues, answered_at__gte=day)
        .exclude(agent_login="")
        .values_list("queue_id", "agent_login")
        .distinct()
    )
    _learned_memo.clear()
    _learned_memo[key] = (now + LEARNED_FOR_SECONDS, pairs)
    return pairs


def today_from_intervals(queues: list[Queue], day: datetime) -> dict[int, dict]:
    """Each queue's counters summed over its intervals since `day` (an interval start)."""
    sums = {name: Coalesce(Sum(name), 0) for name in QueueInterval.COUNTERS}
    found = (
        QueueInterval.objects.filter(queue__in=queues, start__gte=interval_start(day))
        .values("queue_id")
        .annotate(**sums, max_wait_=Max("max_wait"), n=Count("id"))
    )
    return {row["queue_id"]: row for row in found}
