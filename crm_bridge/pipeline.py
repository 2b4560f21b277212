"""The event pipeline: where a Thulium webhook goes, in one place.

    Thulium ──POST /webhooks/thulium/──> 1. RECEIVE  crm_bridge/receiver.py (+ intake.py)
                                            auth, size cap, validate into a bounded event,
                                            INSERT (state "pending") in one short
                                            transaction, answer 200/400/401/413.
                                            Nothing else: no fold, no render, no Redis.
                                                   │  WebhookEvent table (the store)
                                                   ▼
    manage.py process_events ────────────> 2. APPLY  process_pending() below
                                            takes pending events in id order, in batches;
                                            folds each batch into agents, queue calls and
                                            campaign days (FOLDS) and marks the events
                                            "applied" in the same transaction: exactly once,
                                            resumable after any crash. An event whose fold
                                            fails is kept "failed" with its error and
                                            retried (RETRY_EVERY), while the rest go on.
                                                   │  one Changes per batch
                                                   ▼
                                         3. PUSH   crm_bridge.signals.send_changes()
                                            one signal per kind of change per batch:
                                            dashboard/live.py and live_queues.py render each
                                            changed row, tile and campaign once and fan it
                                            out over Channels. Redis down: logged, skipped;
                                            boards take a fresh snapshot on reconnect.

    4. RECONCILE: the agents_statuses poll (crm_bridge/sync.py) is the authority on status;
       the board shows the ingest lag (WebhookEvent.ingest_lag) when events wait too long.
       Every HEARTBEAT_SECONDS the processor sends each screen its health banner; a screen
       that hears nothing for 15 s says "live updates paused" and reconnects.

The processor is its own process (`manage.py process_events`, started by `make run`): one
consumer keeps the order, it needs neither the broker nor Redis to apply, and it wakes
every IDLE_SECONDS when idle (one indexed query).
"""

import logging
import threading
import time
from contextlib import contextmanager, nullcontext

from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connection,
    transaction,
)
from django.db.models import F
from django.utils import timezone

from dashboard.models import QueueCall

from . import campaign_events, customers, events, metrics, queue_events, rows, write_gate
from .models import Agent, WebhookEvent
from .signals import Changes, collected, poll_health_changed, send_changes

log = logging.getLogger(__name__)
State = WebhookEvent.State

BATCH = 200  # events per transaction at most,
# and, on SQLite (one writer at a time), seconds: the receiver never waits longer for the lock
# (write_gate.turn hands it over the moment a transaction ends).
SQLITE_BUDGET = 0.02
GAP_SECONDS = 0.01  # between two transactions under a backlog: the receiver's turn to write
# After a small batch (a trickle, not a backlog), a little longer: the next takes more at once,
# so the processor takes the write lock (SQLite) and the CPU (the receiver's too) less often.
TRICKLE, TRICKLE_SECONDS = 20, 0.03
IDLE_SECONDS = 0.05
# Seconds between pushes while a backlog is applied: at least this, and at least three times
# what the last push took, so that rendering never takes more than a quarter of the time.
PUSH_EVERY = 0.1
HEARTBEAT_SECONDS = 5  # live.js calls a socket silent for 15 s paused
RETRY_EVERY = 60  # seconds between retries of failed events
MAX_ATTEMPTS = 5  # then an event stays "failed" until retried by hand (Django admin)


# Every fold, in the order each event goes through them: (name, actions it reads, function).
FOLDS = (
    ("agents", events.AGENT_ACTIONS | events.OUTBOUND_AGENT_ACTIONS, events.apply_agent_event),
    ("queues", queue_events.TRACKED, queue_events.track),
    ("campaigns", campaign_events.OUTBOUND_ACTIONS, campaign_events.apply_outbound_event),
    ("callers", frozenset(customers.CALLER_FIELDS), customers.note_caller),
)
HANDLED = frozenset().union(*(actions for _, actions, _ in FOLDS))


def apply(event: WebhookEvent) -> None:
    """Fold one event into everything it moves (inside the caller's transaction)."""
    for _, actions, fold in FOLDS:
        if event.action in actions:
            fold(event)


def process_pending(
    limit: int = BATCH, changes: Changes | None = None, budget: float | None = None
) -> int:
    """Apply the oldest pending events (at most `limit`) in one transaction, then push what
    they changed; or, given `changes`, add to it what they changed (the caller pushes).
    Returns how many were processed. With a `budget` (seconds) the transaction ends once it
    has been open that long, and the rest waits for the next one.

    The batch is first applied whole; if any fold fails, it is rolled back and applied
    again with a savepoint per event, so that only the failing events are set aside.
    """
    with collected() as batch_changes:
        try:
            done = _process(limit, budget, isolate=False)
        except (OperationalError, InterfaceError):
            raise  # the database, not an event: the loop waits and tries again
        except Exception:
            done = _process(limit, budget, isolate=True)
    if changes is not None:
        changes.update(batch_changes)
    elif batch_changes:
        push(batch_changes)
    return done


def _process(limit: int, budget: float | None, isolate: bool) -> int:
    if not WebhookEvent.objects.filter(state=State.PENDING).exists():
        return 0  # nothing to do: a plain read, without taking the write turn from the receiver
    with write_gate.turn(), transaction.atomic():
        pending = WebhookEvent.objects.filter(state=State.PENDING).order_by("id")
        if connection.features.has_select_for_update:
            pending = pending.select_for_update()  # a second processor waits its turn
        batch, failed = list(pending[:limit]), []
        began = time.perf_counter()
        with nullcontext() if isolate else _rows_of(batch):
            for done, event in enumerate(batch, 1):
                if isolate:
                    if not _apply_alone(event):
                        failed.append(event)
                else:
                    apply(event)  # a failure raises: the caller tries again, isolated
                if budget is not None and time.perf_counter() - began > budget:
                    del batch[done:]  # the rest waits for the next transaction
                    break
        _mark(batch, failed)
    metrics.applied(batch, failed, time.perf_counter() - began)
    return len(batch)


@contextmanager
def _rows_of(batch: list[WebhookEvent]):
    """Each agent and call the batch touches read once (two queries) and written once."""
    with rows.batch() as loaded:
        loaded.preload(Agent, "login", {event.agent_login for event in batch})
        calls = {event.connection_id for event in batch}
        loaded.preload(
            QueueCall,
            "contact_id",
            calls,
            related=["queue"],
            kind=QueueCall._meta.get_field("kind").default,
        )
        yield


def _apply_alone(event: WebhookEvent) -> bool:
    try:
        with transaction.atomic():  # a savepoint: a failing fold undoes only its own event
            apply(event)
    except (OperationalError, InterfaceError):
        raise
    except Exception as exc:  # kept with its error and retried; the batch goes on
        log.exception("Applying webhook event %s (%s) failed", event.pk, event.action)
        event.error = f"{type(exc).__name__}: {exc}"[:300]
        return False
    return True


def _mark(batch: list[WebhookEvent], failed: list[WebhookEvent]) -> None:
    """Record the outcome: one UPDATE for the applied, one per failure (rare)."""
    applied = [event.pk for event in batch if event not in failed]
    attempted = {"attempts": F("attempts") + 1}
    WebhookEvent.objects.filter(pk__in=applied).update(
        state=State.APPLIED, applied_at=timezone.now(), error="", **attempted
    )
    for event in failed:
        WebhookEvent.objects.filter(pk=event.pk).update(
            state=State.FAILED, error=event.error, **attempted
        )


def push(changes: Changes) -> None:
    with metrics.PUSH.time():
        errors = send_changes(changes)
    for error in errors:
        log.warning("Live push failed (%s); open boards catch up when they reconnect", error)
    customers.identify_soon(changes.callers)  # who calls: after the push, never before it


def retry_failed() -> int:
    """Queue failed events again (a fold's bug fixed, the database back)."""
    return WebhookEvent.objects.filter(state=State.FAILED, attempts__lt=MAX_ATTEMPTS).update(
        state=State.PENDING
    )


def heartbeat() -> None:
    """Every open screen gets its health banner (poll freshness, ingest lag) through the
    channel layer: its arrival proves Redis and this processor alive; a page that hears
    none for a while says its live updates are paused and reconnects (live.js)."""
    for _, result in poll_health_changed.send_robust(sender=None, name="heartbeat"):
        if isinstance(result, Exception):
            log.warning("Could not send the heartbeat: %s", result)


def run(stop: threading.Event) -> None:
    """The processor's loop until `stop` is set: apply, push, retry, watch the lag.
    A database that is down is waited for, never a reason to exit.

    Pushes go out when nothing is left to apply, or under a backlog every PUSH_EVERY seconds
    (longer when pushing is slow): one render per changed thing, however many batches moved
    it meanwhile. Caught up, a push still waits twice as long as the last one took, so that
    pushing a steady trickle of events one by one never takes the processor (and the CPU the
    receiver shares with it) more than a third of the time."""
    last_retry, last_beat = time.monotonic(), 0.0
    budget = SQLITE_BUDGET if connection.vendor == "sqlite" else None
    limit = BATCH
    changes, last_push, push_every, push_gap = Changes(), time.monotonic(), PUSH_EVERY, 0.0
    while not stop.is_set():
        wait = IDLE_SECONDS
        try:
            done = process_pending(limit, changes, budget)
            limit = min(BATCH, max(20, 2 * done))  # fetch about what the budget lets us apply
            now = time.monotonic()
            due = last_push + (push_gap if done == 0 else push_every)
            if changes and now >= due:
                push(changes)
                took = time.monotonic() - now
                push_every, push_gap = max(PUSH_EVERY, 3 * took), min(PUSH_EVERY, 2 * took)
                changes, last_push = Changes(), now + took
            elif changes:
                wait = min(IDLE_SECONDS, due - now)  # back when the push is due
            if now - last_retry > RETRY_EVERY:
                last_retry = now
                if retried := retry_failed():
                    log.info("Retrying %d failed events", retried)
            if now - last_beat > HEARTBEAT_SECONDS:
                last_beat = now
                heartbeat()
        except DatabaseError:
            log.exception("Database error in the event processor; retrying in 1 s")
            close_old_connections()
            stop.wait(1)
            continue
        if done:  # room for the receiver's writes
            wait = GAP_SECONDS if done >= TRICKLE else min(wait, TRICKLE_SECONDS)
        stop.wait(wait)
