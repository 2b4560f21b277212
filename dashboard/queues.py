"""The queue metric engine: tracks calls and chats from the webhook feed and computes each
queue's numbers for "today" and the rolling window. Definitions: docs/metrics.md."""

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from time import monotonic as _monotonic

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone

from crm_bridge import rows
from crm_bridge.models import Agent, AgentStatus, WebhookEvent
from crm_bridge.models.agents import ON_CALL
from crm_bridge.parse import tenant_tz, to_int, to_str
from crm_bridge.signals import collected, notify_queues_changed

from .models import Queue, QueueCall
from .models.queues import CALL_ACTIONS, CHAT_ACTIONS, Outcome

TRACKED = CALL_ACTIONS | CHAT_ACTIONS


def track(event: WebhookEvent) -> int | None:
    """Fold one stored event into its call or chat (a pipeline fold, crm_bridge/pipeline.py);
    tells the screens which queue's numbers moved and returns its pk."""
    if event.action not in TRACKED:
        return None
    data = event.data or {}
    if event.action in CHAT_ACTIONS:
        kind, contact_id = Queue.Kind.CHAT, to_str(data.get("conversation_id"))
        number = to_int(data.get("chat_queue_id"))
    else:
        kind, contact_id = Queue.Kind.CALL, event.connection_id or to_str(data.get("connection_id"))
        number = to_int(data.get("queue_id"))
    if not contact_id:
        return None
    queue, created = _learn_queue(kind, number) if number is not None else (None, False)
    call = rows.get_or_create(QueueCall, kind=kind, contact_id=contact_id[:64])
    if queue is not None and (call.queue_id is None or event.action == "ENTER_QUEUE"):
        call.queue = queue
    call.apply(event.action, data, event.event_date or event.received_at or timezone.now())
    rows.save(call)
    if event.action == "RECORDING_READY" or call.queue_id is None:
        return None  # changes no number
    learned = created and queue is not None and call.queue_id == queue.pk
    notify_queues_changed(None if learned else [call.queue_id])  # a new queue: whole panels
    return call.queue_id


def close_lost_calls(logins) -> list[int]:
    """End the calls still "talking" here of agents that Thulium shows on no call (their
    AGENT_COMPLETED never arrived, e.g. lost in a restart): every connected leg counts as
    completed now. Returns the pks of the queues whose numbers moved.

    Looks only at calls with an event in the last QUEUE_STALE_CALL_MINUTES (older ones no
    longer show as talking); their handle time stays what the events said.
    """
    logins = set(logins)
    now = timezone.now()
    talking = QueueCall.objects.filter(
        kind=Queue.Kind.CALL,
        outcome=Outcome.ANSWERED,
        connected_legs__gt=F("completions"),
        last_event_at__gte=now - timedelta(minutes=settings.QUEUE_STALE_CALL_MINUTES),
    ).values_list("pk", "agent_login", "queue_id")
    lost = {pk: queue for pk, login, queue in talking if login in logins}
    if not lost:
        return []
    QueueCall.objects.filter(pk__in=lost, connected_legs__gt=F("completions")).update(
        completions=F("connected_legs"), completed_at=now
    )
    return sorted({queue for queue in lost.values() if queue is not None})


def _learn_queue(kind: str, number: int) -> tuple[Queue, bool]:
    return rows.fetch(Queue, kind=kind, number=number)  # created: whole panels


def rebuild(since: datetime | None = None) -> int:
    """Replay the stored events into fresh rows: every event from `since` (default: a day
    before today's reset, so calls that straddle the reset are rebuilt whole)."""
    since = since or day_start() - timedelta(days=1)
    events = WebhookEvent.objects.filter(action__in=TRACKED, event_date__gte=since).order_by(
        "event_date", "id"
    )
    with transaction.atomic(), collected():  # nothing to push until the rebuild is done
        QueueCall.objects.filter(
            Q(last_event_at__gte=since) | Q(last_event_at__isnull=True)
        ).delete()
        count = 0
        for event in events.iterator(chunk_size=2000):
            track(event)
            count += 1
    return count


# --- Periods ------------------------------------------------------------------------------
def day_start(now: datetime | None = None) -> datetime:
    """The last daily reset (QUEUE_DAY_RESET, local time in THULIUM_TIMEZONE) before `now`."""
    local = (now or timezone.now()).astimezone(tenant_tz())
    hour, _, minute = settings.QUEUE_DAY_RESET.partition(":")
    reset = datetime.combine(local.date(), time(int(hour), int(minute or 0)), tenant_tz())
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
    """Every visible queue's numbers (or those of the queues `pks`), in five SQL queries."""
    now = now or timezone.now()
    queues = Queue.objects.filter(hidden=False).prefetch_related("agent_groups")
    if pks is not None:
        queues = queues.filter(pk__in=pks)
    queues = list(queues)
    if not queues:
        return []
    day, window = day_start(now), window_start(now)
    alive = Q(last_event_at__gte=now - timedelta(minutes=settings.QUEUE_STALE_CALL_MINUTES))
    waiting = alive & Q(outcome=Outcome.WAITING)
    talking = alive & Q(outcome=Outcome.ANSWERED, connected_legs__gt=F("completions"))
    rows = (
        QueueCall.objects.filter(queue__in=queues)
        .filter(Q(entered_at__gte=min(day, window)) | waiting | talking)
        .values("queue_id")
        .annotate(
            **_period_aggregates("d_", day),
            **_period_aggregates("w_", window),
            waiting=Count("id", filter=waiting),
            oldest=Min("entered_at", filter=waiting),
            in_progress=Count("id", filter=talking),
        )
    )
    by_queue = {row["queue_id"]: row for row in rows}
    stats = []
    for queue in queues:
        row = by_queue.get(queue.pk, {})
        today = Period(**{f: row.get(f"d_{f}") or 0 for f in _PERIOD_FIELDS})
        last = Period(**{f: row.get(f"w_{f}") or 0 for f in _PERIOD_FIELDS})
        today.max_wait, last.max_wait = row.get("d_max_wait"), row.get("w_max_wait")
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
    return stats


def agent_counts(now: datetime | None = None) -> list[QueueStats]:
    """Every visible queue with only its free / busy / paused agents: what an agent's change
    moves on a queue tile (its calls' numbers stay as they were)."""
    queues = Queue.objects.filter(hidden=False).prefetch_related("agent_groups")
    stats = [QueueStats(queue=queue) for queue in queues]
    if stats:
        _count_agents(stats, day_start(now), memo=True)
    return stats


# Who took which queue's calls today, for the queues with no groups set in admin: kept a few
# seconds for the pushes of agent changes, which come many a second at a shift change.
LEARNED_FOR_SECONDS = 10
_learned_memo: dict = {}


def _count_agents(stats: list[QueueStats], day: datetime, memo: bool = False) -> None:
    """Free / busy / paused agents per queue: from the groups set in admin, else from the
    groups of the agents who took the queue's calls or chats today. Two queries for all."""
    agents = list(Agent.objects.filter(active=True).values("login", "group_id", "status"))
    group_of = {a["login"]: a["group_id"] for a in agents}
    learned: dict[int, set] = {}
    for queue_id, login in _took_calls([s.queue for s in stats], day, memo):
        if group_of.get(login) is not None:
            learned.setdefault(queue_id, set()).add(group_of[login])
    for item in stats:
        groups = {g.pk for g in item.queue.agent_groups.all()} or learned.get(item.queue.pk)
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
