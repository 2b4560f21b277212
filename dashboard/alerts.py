"""Alerts: an agent row's or a queue tile's amber/red, from the thresholds (models/alerts.py).

The server evaluates them for every rendering (page, snapshot, live push); the browser
(static/dashboard/alerts.js) evaluates the timed ones again every second from the limits the
row carries, so that a pause crossing its limit turns red at that moment with no event.
"""

import json
import time
from dataclasses import dataclass, field
from datetime import datetime

from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from crm_bridge.models import AgentStatus, PauseReason
from crm_bridge.models.agents import ON_CALL

from .models.alerts import QUEUE_METRICS, Metric, Threshold

LEVELS = ("", "amber", "red")
CALLS = ON_CALL - {AgentStatus.RINGING, AgentStatus.OUTBOUND_PREVIEW}


def worst(levels) -> str:
    return max(levels, key=LEVELS.index, default="")


@dataclass
class Limit:
    """A timed threshold: amber / red after this many seconds in the current status."""

    what: str
    amber: float | None
    red: float | None

    def level(self, seconds: float) -> str:
        if self.red is not None and seconds >= self.red:
            return "red"
        return "amber" if self.amber is not None and seconds >= self.amber else ""


@dataclass
class Alert:
    level: str = ""
    what: list = field(default_factory=list)  # what is over its limit, worst first
    limits: list = field(default_factory=list)  # Limits, for the browser to evaluate
    acked: str = ""  # acknowledged up to this level (a worse one is not silenced)
    acked_by: str = ""

    @property
    def limits_json(self) -> str:
        return json.dumps([[str(x.what), x.amber, x.red] for x in self.limits])

    @property
    def text(self) -> str:
        return ", ".join(str(w) for w in self.what)


class Thresholds:
    """Every threshold, indexed: the default of each metric, each pause reason's, each queue's."""

    def __init__(self, rows: list[Threshold], acks: dict | None = None):
        self.acks = acks or {}
        self.default, self.pause, self.by_queue = {}, {}, {}
        for row in rows:
            if row.pause_reason_id is not None:
                self.pause[row.pause_reason_id] = row
            elif row.queue_id is not None:
                self.by_queue[(row.metric, row.queue_id)] = row
            else:
                self.default[row.metric] = row

    def get(self, metric: str, queue_pk: int | None = None) -> Threshold | None:
        return self.by_queue.get((metric, queue_pk)) or self.default.get(metric)

    def agent_limits(self, agent, pause_names: dict | None = None) -> list[Limit]:
        """The limits on the agent's time in their current status."""
        limits = []
        status = agent.status
        if status == AgentStatus.PAUSED:
            row = self.pause.get(agent.pause_id) or self.default.get(Metric.PAUSE)
            named = row.pause_reason.name if row and row.pause_reason_id else ""
            label = getattr(agent, "pause_label", "") or named
            label = label or PauseReason.label(agent.pause_id, pause_names or {})
            limits.append(_limit(row, label))
        elif status == AgentStatus.RINGING:
            limits.append(_limit(self.default.get(Metric.RINGING), AgentStatus.RINGING.label))
        elif status in CALLS:
            limits.append(_limit(self.default.get(Metric.ON_CALL), Metric.ON_CALL.label))
        if agent.phone_connected is False and status in (AgentStatus.FREE, AgentStatus.PAUSED):
            limits.append(_limit(self.default.get(Metric.PHONE), Metric.PHONE.label))
        return [x for x in limits if x is not None]

    def agent(self, agent, now: datetime | None = None, pause_names=None) -> Alert:
        limits = self.agent_limits(agent, pause_names)
        if not limits or agent.status_since is None:
            return Alert(limits=limits)
        seconds = ((now or timezone.now()) - agent.status_since).total_seconds()
        levels = sorted(((x.level(seconds), x.what) for x in limits), key=_worst_first)
        over = [what for level, what in levels if level]
        alert = Alert(level=worst(level for level, _ in levels), what=over, limits=limits)
        ack = self.acks.get(agent.login)
        if ack and ack["since"] == agent.status_since.isoformat():
            alert.acked, alert.acked_by = ack["level"], ack["by"]
        return alert

    def queue_levels(self, s, now: datetime | None = None) -> dict[str, str]:
        """Each queue metric's level for a QueueStats (dashboard/queues.py)."""
        values = {
            Metric.WAITING: s.waiting,
            Metric.LONGEST_WAIT: s.longest_wait(now),
            Metric.SERVICE_LEVEL: s.today.service_level,
            Metric.ABANDON_RATE: s.today.abandon_rate,
            Metric.ASA: s.today.asa,
        }
        target = s.queue.sl_target_percent
        levels = {}
        for metric in QUEUE_METRICS:
            row = self.get(metric, s.queue.pk)
            levels[metric] = row.level(values[metric], target) if row else ""
        return levels

    def queue(self, s, now: datetime | None = None) -> Alert:
        """A queue tile's alert: the levels of its numbers, and the longest wait's limit for
        the browser (it ticks there). `level` is everything; the browser adds the longest
        wait to `base` (the rest) as it grows."""
        levels = self.queue_levels(s, now)
        over = sorted(((lv, Metric(m).label) for m, lv in levels.items() if lv), key=_worst_first)
        row = self.get(Metric.LONGEST_WAIT, s.queue.pk)
        limits = [Limit(Metric.LONGEST_WAIT.label, row.amber, row.red)] if row else []
        alert = Alert(level=worst(levels.values()), what=[w for _, w in over], limits=limits)
        alert.base = worst(lv for m, lv in levels.items() if m != Metric.LONGEST_WAIT)
        alert.base_what = ", ".join(str(w) for lv, w in over if w != Metric.LONGEST_WAIT.label)
        return alert


def _limit(row: Threshold | None, what) -> Limit | None:
    if row is None or (row.amber is None and row.red is None):
        return None
    return Limit(what, row.amber, row.red)


def _worst_first(item):
    return -LEVELS.index(item[0])


# The thresholds, kept a few seconds per process (every rendering asks); a change made in
# this process is seen at once, one made in another within KEEP_SECONDS.
KEEP_SECONDS = 5
_memo: dict = {}


def thresholds() -> Thresholds:
    now = time.monotonic()
    if _memo.get("until", 0) > now:
        return _memo["thresholds"]
    rows = list(Threshold.objects.select_related("pause_reason"))
    loaded = Thresholds(rows, cache.get(ACKS) or {})
    _memo.update(until=now + KEEP_SECONDS, thresholds=loaded)
    return loaded


@receiver(post_save, sender=Threshold)
@receiver(post_delete, sender=Threshold)
def _forget(sender, **kwargs):
    _memo.clear()


# Acknowledged breaches: agent login -> the status it is in (since), the level, who. An
# acknowledgement lasts while the agent stays in that status and the level gets no worse.
ACKS = "alerts:acks"
ACK_HOURS = 12


def acknowledge(agent, user) -> Alert:
    """Silence the agent's current breach for everyone (recorded by the caller in the audit)."""
    alert = thresholds().agent(agent)
    if alert.level and agent.status_since is not None:
        acks = {
            login: ack
            for login, ack in (cache.get(ACKS) or {}).items()
            if ack["at"] > time.time() - ACK_HOURS * 3600
        }
        acks[agent.login] = {
            "since": agent.status_since.isoformat(),
            "level": alert.level,
            "by": user.get_username(),
            "at": time.time(),
        }
        cache.set(ACKS, acks, timeout=ACK_HOURS * 3600)
        _memo.clear()
    return alert
