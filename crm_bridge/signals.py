"""What crm_bridge tells the rest of the product. Sent after the database commit.

- agents_changed(logins=[...]): these agents' live state or directory data changed.
- poll_health_changed(name=...): a poll started failing or recovered.
- campaigns_changed(ids=[...]): these campaigns' data, agent lists or today's outcomes changed
  (ids no longer listed by Thulium are included: the screens drop them).
- webhook_received(event=WebhookEvent): every stored, non-duplicate event, inside the
  transaction that stored it (for consumers that keep their own state from the feed).
"""

from django.db import transaction
from django.dispatch import Signal

agents_changed = Signal()
poll_health_changed = Signal()
webhook_received = Signal()
campaigns_changed = Signal()


def notify_agents_changed(logins) -> None:
    logins = sorted(set(logins))
    if logins:
        transaction.on_commit(lambda: agents_changed.send(sender=None, logins=logins))


def notify_poll_health(name: str) -> None:
    transaction.on_commit(lambda: poll_health_changed.send(sender=None, name=name))


def notify_campaigns_changed(ids) -> None:
    ids = sorted(set(ids))
    if ids:
        transaction.on_commit(lambda: campaigns_changed.send(sender=None, ids=ids))
