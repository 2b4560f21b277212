"""Each agent's numbers since midnight on the board's rows, from the webhook events stored here,
counted as the agent's day counts them (dashboard/agent_day.py): calls answered
(AGENT_CONNECTED), talk time (billsec of the completed calls) and the time in pauses.

A push (a few agents) reads those agents' events of the day, one query. A whole board (the
page, a snapshot) would read every agent's day, about a second for 100,000 events on SQLite: it
folds only the events received since its last call into a running total kept in this process
(DAY below), so the cost is the new events', one query either way."""

import threading
from datetime import timedelta

from django.db.models.fields.json import KT
from django.utils import timezone

from crm_bridge.events import AGENT_ACTIONS, OUTBOUND_AGENT_ACTIONS, status_after
from crm_bridge.models import AgentStatus, WebhookEvent
from crm_bridge.parse import to_int

from .queues import day_start

ACTIONS = AGENT_ACTIONS | OUTBOUND_AGENT_ACTIONS
FEW = 100  # up to this many agents: their own events, read afresh
# Events received this long before the newest one read are read again (by id: the primary key's
# range), so a row another process's transaction committed late is still counted, once (the
# ids of those are kept to tell).
LATE = timedelta(seconds=5)


class Today:
    """`paused` is the pauses that ended; the one running now is added from the row's status
    (board._decorate, and in the browser as it goes on)."""

    __slots__ = ("answered", "talk", "paused", "paused_now", "_paused_at", "_last")

    def __init__(self):
        self.answered, self.talk, self.paused, self.paused_now = 0, 0, 0, 0
        self._paused_at = self._last = None

    def fold(self, action: str, moment, pause_id, billsec) -> None:
        after = status_after(action, {"pause_id": pause_id})
        if after is None:
            return
        if action == "AGENT_CONNECTED":
            self.answered += 1
        elif action in ("AGENT_COMPLETED", "OUTBOUND_COMPLETED"):
            self.talk += to_int(billsec) or 0
        if self._paused_at is not None:  # a pause (or one pause after another) ended here
            self.paused += max(0, int((moment - self._paused_at).total_seconds()))
        self._paused_at = moment if after[0] == AgentStatus.PAUSED else None


def _rows(events):
    return events.values_list(
        "id", "agent_login", "action", "event_date", KT("data__pause_id"), KT("data__billsec")
    )


def today_numbers(agents, now=None) -> dict[str, Today]:
    """login -> Today for these agents, from one query (whatever their number)."""
    logins = {agent.login for agent in agents}
    if not logins:
        return {}
    now = now or timezone.now()
    if len(logins) > FEW:
        return DAY.numbers(logins, now)
    events = WebhookEvent.objects.filter(
        action__in=ACTIONS, agent_login__in=logins, event_date__gte=day_start(now)
    ).filter(event_date__lte=now)
    found: dict[str, Today] = {}
    for _id, who, action, moment, pause_id, billsec in _rows(
        events.order_by("event_date", "id")
    ).iterator(chunk_size=2000):
        day = found.get(who) or found.setdefault(who, Today())
        day.fold(action, moment, pause_id, billsec)
    return found


class _Day:
    """Every agent's Today, folded in as events arrive (in date order within each read)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.day = None
        self.agents: dict[str, Today] = {}
        self.seen: dict[int, object] = {}  # id -> received_at, for the last LATE of arrivals
        self.floor = 0  # every event up to this id is counted (or not an agent's of today)

    def numbers(self, logins: set, now) -> dict[str, Today]:
        with self.lock:
            day = day_start(now)
            if day != self.day:
                self.day, self.agents, self.seen, self.floor = day, {}, {}, 0
            events = WebhookEvent.objects.filter(id__gt=self.floor, action__in=ACTIONS)
            events = events.filter(event_date__gte=day).exclude(agent_login="")
            rows = events.order_by("event_date", "id").values_list(
                "id", "agent_login", "action", "event_date",
                KT("data__pause_id"), KT("data__billsec"), "received_at",
            )  # fmt: skip
            newest = None
            for pk, who, action, moment, pause_id, billsec, received in rows.iterator(
                chunk_size=5000
            ):
                newest = received if newest is None else max(newest, received)
                if pk in self.seen:
                    continue
                self.seen[pk] = received
                day_of = self.agents.get(who) or self.agents.setdefault(who, Today())
                day_of.fold(action, moment, pause_id, billsec)
            if newest is not None:
                old = [pk for pk, received in self.seen.items() if received < newest - LATE]
                self.floor = max([self.floor, *old])
                for pk in old:
                    del self.seen[pk]
            return {login: self._copy(login) for login in logins if login in self.agents}

    def _copy(self, login: str) -> Today:
        kept, out = self.agents[login], Today()
        out.answered, out.talk, out.paused = kept.answered, kept.talk, kept.paused
        return out


DAY = _Day()
