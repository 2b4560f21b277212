"""What crm_bridge tells the rest of the product. Sent after the database commit.

- agents_changed(logins=[...]): these agents' live state or directory data changed.
- callers_named(logins=[...], queues=[...]): only the name of these agents' callers, and of
  callers waiting in these queues, is new (learned from Thulium's CRM after the call's own
  push): the elements that show those names change, nothing else.
- poll_health_changed(name=...): a poll started failing or recovered, or the event pipeline
  fell behind or caught up (the screens' health banner).
- campaigns_changed(ids=[...]): these campaigns' data, agent lists or today's outcomes changed
  (ids no longer listed by Thulium are included: the screens drop them).
- queues_changed(pks=[...] or None): these queues' numbers moved (None: every queue, and a
  queue appeared).
- channels_changed(): today's chat and e-mail numbers, or their poll's health, changed
  (crm_bridge/channel_sync.py).

Inside `collected()` (the pipeline's batches) the notify_* helpers gather what changed
instead, and the caller sends each signal once for the whole batch.
"""

import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import transaction
from django.dispatch import Signal

agents_changed = Signal()
callers_named = Signal()
poll_health_changed = Signal()
campaigns_changed = Signal()
queues_changed = Signal()
channels_changed = Signal()


@dataclass
class Changes:
    """What one batch changed: each thing once, however many events moved it."""

    agents: set = field(default_factory=set)
    campaigns: set = field(default_factory=set)
    queues: set = field(default_factory=set)
    all_queues: bool = False
    callers: dict = field(default_factory=dict)  # number -> customer_id: whom to look up

    def __bool__(self) -> bool:
        return bool(self.agents or self.campaigns or self.queues or self.all_queues)

    def update(self, other: "Changes") -> None:
        self.agents |= other.agents
        self.campaigns |= other.campaigns
        self.queues |= other.queues
        self.all_queues |= other.all_queues
        for number, customer_id in other.callers.items():
            self.add_caller(number, customer_id)

    def add_caller(self, number: str, customer_id: int | None) -> None:
        """One entry a number; a customer_id once known is kept."""
        self.callers[number] = customer_id or self.callers.get(number)


_collecting = threading.local()


@contextmanager
def collected():
    """Gather the notify_* calls of this thread into one Changes (yielded) instead of a push
    each; the caller sends them (`send_changes`) once it has committed."""
    changes = _collecting.changes = Changes()
    try:
        yield changes
    finally:
        _collecting.changes = None


def _collector() -> Changes | None:
    return getattr(_collecting, "changes", None)


def notify_agents_changed(logins) -> None:
    if (changes := _collector()) is not None:
        changes.agents.update(logins)
        return
    logins = sorted(set(logins))
    if logins:
        transaction.on_commit(lambda: agents_changed.send(sender=None, logins=logins))


def notify_callers_named(logins, queues=()) -> None:
    logins, queues = sorted(set(logins)), sorted(set(queues))
    if logins or queues:
        transaction.on_commit(lambda: callers_named.send(sender=None, logins=logins, queues=queues))


def notify_caller(number: str, customer_id: int | None) -> None:
    """A call from `number` began: its caller is looked up after the push (customers.py)."""
    if (changes := _collector()) is not None:
        changes.add_caller(number, customer_id)
        return
    from .customers import identify_soon

    transaction.on_commit(lambda: identify_soon({number: customer_id}))


def notify_poll_health(name: str) -> None:
    transaction.on_commit(lambda: poll_health_changed.send(sender=None, name=name))


def notify_campaigns_changed(ids) -> None:
    if (changes := _collector()) is not None:
        changes.campaigns.update(ids)
        return
    ids = sorted(set(ids))
    if ids:
        transaction.on_commit(lambda: campaigns_changed.send(sender=None, ids=ids))


def notify_queues_changed(pks: list[int] | None) -> None:
    """pks None: every queue (a new one appeared, so whole panels are rendered)."""
    if (changes := _collector()) is not None:
        if pks is None:
            changes.all_queues = True
        else:
            changes.queues.update(pks)
        return
    transaction.on_commit(lambda: queues_changed.send(sender=None, pks=pks))


def send_changes(changes: Changes) -> list[Exception]:
    """Send one signal per kind of change; a failing receiver (Redis down) stops no other.
    Returns the receivers' errors."""
    sent = []
    if changes.agents:
        sent += agents_changed.send_robust(sender=None, logins=sorted(changes.agents))
    if changes.all_queues or changes.queues:
        pks = None if changes.all_queues else sorted(changes.queues)
        sent += queues_changed.send_robust(sender=None, pks=pks)
    if changes.campaigns:
        sent += campaigns_changed.send_robust(sender=None, ids=sorted(changes.campaigns))
    return [result for _, result in sent if isinstance(result, Exception)]
