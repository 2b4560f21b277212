"""What crm_bridge tells the rest of the product. Sent after the database commit.

- agents_changed(logins=[...]): these agents' live state or directory data changed.
- poll_health_changed(name=...): a poll started failing or recovered.
- webhook_received(event=WebhookEvent): every stored, non-duplicate event, inside the
  transaction that stored it (for consumers that keep their own state from the feed).
"""

from django.db import transaction
from django.dispatch import Signal

agents_changed = Signal()
poll_health_changed = Signal()
webhook_received = Signal()


def notify_agents_changed(logins) -> None:
    logins = sorted(set(logins))
    if logins:
        transaction.on_commit(lambda: agents_changed.send(sender=None, logins=logins))


def notify_poll_health(name: str) -> None:
    transaction.on_commit(lambda: poll_health_changed.send(sender=None, name=name))
