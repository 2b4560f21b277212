"""History that survives: the raw rows (webhook events, per-call rows) are pruned after
EVENT_RETENTION_DAYS, the aggregates (QueueInterval per queue per 15 minutes, CampaignDay per
campaign per day) are kept for ever, so reports and charts work for any past date range.

Deleted in short chunks, each its own transaction (on SQLite a write turn of its own), so
the receiver and the event processor never wait long for the event table; a run stops after
a time budget and the next beat goes on where it stopped.
"""

import logging
from datetime import datetime, time, timedelta
from time import monotonic

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from dashboard.models import QueueCall

from . import write_gate
from .models import WebhookEvent
from .parse import tenant_tz

log = logging.getLogger(__name__)

CHUNK = 1000
BUDGET_SECONDS = 30  # under the task's time limit; the rest waits for the next run
# Done with: an event still pending or failed waits for the processor (and for a person to
# see why it failed), however old.
DONE = [WebhookEvent.State.APPLIED, WebhookEvent.State.REFUSED]


def cutoff(now: datetime | None = None) -> datetime:
    """Local midnight EVENT_RETENTION_DAYS days before today (THULIUM_TIMEZONE): whole days
    go, so an interval never keeps some of its calls and loses others (a threshold changed
    in admin recounts the intervals of the calls kept, from complete intervals)."""
    today = (now or timezone.now()).astimezone(tenant_tz()).date()
    day = today - timedelta(days=settings.EVENT_RETENTION_DAYS)
    return datetime.combine(day, time(0), tenant_tz())


def _old_events(before: datetime):
    return WebhookEvent.objects.filter(received_at__lt=before, state__in=DONE)


def _old_calls(before: datetime):
    never_entered = Q(entered_at__isnull=True, last_event_at__lt=before)
    return QueueCall.objects.filter(Q(entered_at__lt=before) | never_entered)


def prune(now: datetime | None = None, chunk: int = CHUNK, budget: float = BUDGET_SECONDS):
    """Delete the raw rows older than the cutoff, chunk by chunk, for `budget` seconds at
    most. Returns {"events": n, "calls": n, "done": whether nothing old is left}."""
    before = cutoff(now)
    deadline = monotonic() + budget
    deleted = {"events": 0, "calls": 0}
    for name, rows in (("events", _old_events), ("calls", _old_calls)):
        while monotonic() < deadline:
            pks = list(rows(before).order_by("pk").values_list("pk", flat=True)[:chunk])
            if not pks:
                break
            with write_gate.turn(), transaction.atomic():
                deleted[name] += rows(before).filter(pk__in=pks).delete()[0]
    done = not (_old_events(before).exists() or _old_calls(before).exists())
    if deleted["events"] or deleted["calls"]:
        log.info(
            "Pruned %s webhook events and %s calls from before %s%s",
            deleted["events"],
            deleted["calls"],
            before.date(),
            "" if done else " (more next time)",
        )
    return {**deleted, "done": done}
