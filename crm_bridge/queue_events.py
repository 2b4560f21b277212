"""The queue fold (a pipeline fold, crm_bridge/pipeline.py): each call or chat event folded
into its QueueCall, and the call's part in its queue's 15-minute interval counters
(QueueInterval) moved by what the event changed, so that "today" is a sum of a few interval
rows, not of every call of the day. Metrics from them: dashboard/queues.py; definitions:
docs/metrics.md."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max, Min, Q
from django.utils import timezone

from dashboard.models import Queue, QueueCall
from dashboard.models.queues import CALL_ACTIONS, CHAT_ACTIONS, Outcome

from . import rows
from .models import QueueInterval, WebhookEvent
from .models.intervals import MINUTES, interval_start
from .parse import to_int, to_str
from .signals import collected, notify_queues_changed

TRACKED = CALL_ACTIONS | CHAT_ACTIONS


def track(event: WebhookEvent) -> int | None:
    """Fold one stored event into its call or chat and its queue's interval; tells the screens
    which queue's numbers moved and returns its pk."""
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
    queue, created = (
        rows.fetch(Queue, kind=kind, number=number) if number is not None else (None, False)
    )
    call = rows.get_or_create(QueueCall, kind=kind, contact_id=contact_id[:64])
    before = part(call)
    if queue is not None and (call.queue_id is None or event.action == "ENTER_QUEUE"):
        call.queue = queue
    call.apply(event.action, data, event.event_date or event.received_at or timezone.now())
    rows.save(call)
    count(before, part(call))
    if event.action == "RECORDING_READY" or call.queue_id is None:
        return None  # changes no number
    learned = created and queue is not None and call.queue_id == queue.pk
    notify_queues_changed(None if learned else [call.queue_id])  # a new queue: whole panels
    return call.queue_id


# --- Interval counters ------------------------------------------------------------------------


def part(call: QueueCall) -> tuple | None:
    """What this call adds to its queue's interval: ((queue pk, interval start), counters,
    its wait for the maximum or None); None while it has no queue or never entered one."""
    if call.queue_id is None or call.entered_at is None:
        return None
    answered = call.outcome == Outcome.ANSWERED
    abandoned = call.outcome == Outcome.ABANDONED
    handled = call.completions > 0
    wait = call.wait_seconds
    in_sl = answered and wait is not None and wait <= call.queue.sl_threshold_seconds
    counters = {
        "offered": 1,
        "answered": int(answered),
        "answered_in_sl": int(in_sl),
        "abandoned": int(abandoned),
        "short_abandons": int(abandoned and call.short_abandon),
        "wait_sum": (wait or 0) if answered else 0,
        "handled": int(handled),
        "handle_sum": call.handle_seconds if handled else 0,
    }
    return (
        (call.queue_id, interval_start(call.entered_at)),
        counters,
        (wait if answered or abandoned else None),
    )


def count(before: tuple | None, after: tuple | None) -> None:
    """Move the interval counters from a call's part before an event to its part after."""
    if before == after:
        return
    if before is not None:
        key, counters, wait = before
        rows.count(QueueInterval, _row(key), {name: -value for name, value in counters.items()})
        if wait is not None and (after is None or after[0] != key or (after[2] or 0) < wait):
            rows.later(_longest_wait_again, *key)  # this wait may have been the longest
    if after is not None:
        key, counters, wait = after
        rows.count(QueueInterval, _row(key), counters, {"max_wait": wait})


def _row(key: tuple) -> dict:
    return {"queue_id": key[0], "start": key[1]}


def _longest_wait_again(queue_id: int, start: datetime) -> None:
    """An interval's longest wait from its calls: one of them waited less than was thought (an
    answer time estimated from the hang-up, corrected by the late AGENT_CONNECTED)."""
    calls = QueueCall.objects.filter(
        queue_id=queue_id,
        entered_at__gte=start,
        entered_at__lt=start + timedelta(minutes=MINUTES),
        outcome__in=[Outcome.ANSWERED, Outcome.ABANDONED],
    )
    longest = calls.aggregate(longest=Max("wait_seconds"))["longest"]
    QueueInterval.objects.filter(queue_id=queue_id, start=start).update(max_wait=longest)


def recount(since: datetime, queue_pks: list[int] | None = None, *, models=None) -> int:
    """The interval counters from `since` (its interval) made again from the calls: after a
    rebuild, or a queue's service-level threshold changed (`models`: QueueCall and
    QueueInterval as a migration has them). Returns how many intervals."""
    call_model, interval_model = models or (QueueCall, QueueInterval)
    start = interval_start(since)
    intervals = interval_model.objects.filter(start__gte=start)
    calls = call_model.objects.filter(entered_at__gte=start, queue__isnull=False)
    if queue_pks is not None:
        intervals, calls = intervals.filter(queue__in=queue_pks), calls.filter(queue__in=queue_pks)
    made: dict = {}
    for call in calls.select_related("queue").iterator(chunk_size=2000):
        key, counters, wait = part(call)
        row = made.setdefault(key, interval_model(queue_id=key[0], start=key[1]))
        for name, value in counters.items():
            setattr(row, name, getattr(row, name) + value)
        if wait is not None and (row.max_wait is None or wait > row.max_wait):
            row.max_wait = wait
    with transaction.atomic():
        intervals.delete()
        interval_model.objects.bulk_create(made.values(), batch_size=1000)
    return len(made)


def recount_queue(queue_pk: int) -> int:
    """A queue's intervals made again from all of its calls still kept (its service-level
    threshold changed); older intervals, whose calls are pruned, stay as they were."""
    first = QueueCall.objects.filter(queue=queue_pk).aggregate(first=Min("entered_at"))["first"]
    return recount(first, [queue_pk]) if first else 0


# --- Calls whose end never came, and rebuilds ----------------------------------------------------


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
    ).values_list("pk", "agent_login")
    lost = [pk for pk, login in talking if login in logins]
    if not lost:
        return []
    with transaction.atomic():
        calls = (
            QueueCall.objects.select_related("queue")
            .select_for_update(of=("self",))
            .filter(pk__in=lost, connected_legs__gt=F("completions"))
        )
        moved = set()
        for call in calls:
            before = part(call)
            call.completions, call.completed_at = call.connected_legs, now
            call.save(update_fields=["completions", "completed_at"])
            count(before, part(call))
            if call.queue_id is not None:
                moved.add(call.queue_id)
    return sorted(moved)


def rebuild(since: datetime) -> int:
    """Replay the stored events from `since` into fresh calls, then their intervals."""
    events = WebhookEvent.objects.filter(action__in=TRACKED, event_date__gte=since).order_by(
        "event_date", "id"
    )
    with transaction.atomic(), collected():  # nothing to push until the rebuild is done
        replayed = QueueCall.objects.filter(
            Q(last_event_at__gte=since) | Q(last_event_at__isnull=True)
        )
        earliest = replayed.aggregate(first=Min("entered_at"))["first"]
        replayed.delete()
        done = 0
        with rows.batch():  # the counters are made again below, from the calls
            for event in events.iterator(chunk_size=2000):
                track(event)
                done += 1
            rows.drop_counts()
        recount(min(since, earliest) if earliest else since)
    return done
