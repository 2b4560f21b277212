"""Is the background work running? The Celery worker and Celery beat each write a heartbeat
to Redis every few seconds; a heartbeat older than DEAD_AFTER means that process stopped.

- The worker: a thread of the worker's main process, started by the `worker_ready` signal
  (config/celery.py), writes "heartbeat:worker" every EVERY seconds.
- Beat: its scheduler (CELERY_BEAT_SCHEDULER = Scheduler below) writes "heartbeat:beat" on
  each tick, and ticks at least every EVERY seconds, so a beat that stopped scheduling goes
  quiet even when the worker beside it still runs (and the other way round).

The event processor's 5-second heartbeat pushes the health banner (crm_bridge/sync.py
data_health) to every board and wallboard, so a stopped worker or beat is on every screen
within DEAD_AFTER + 5 s; /readyz reports the same ages.
"""

import logging
import threading
import time

from celery.beat import PersistentScheduler
from django.core.cache import cache

log = logging.getLogger(__name__)

WORKER, BEAT = "worker", "beat"
EVERY = 5  # seconds between two heartbeats
DEAD_AFTER = 15  # seconds without one: that process is stopped
KEEP = 7 * 24 * 3600  # the last heartbeat is kept this long (to say since when it is stopped)


def _key(name: str) -> str:
    return f"heartbeat:{name}"


def beat(name: str) -> None:
    """Record that `name` is alive now; Redis down is logged, never raised."""
    try:
        cache.set(_key(name), time.time(), timeout=KEEP)
    except Exception as exc:  # a heartbeat must never stop its process
        log.warning("Could not write the %s heartbeat: %s", name, exc)


def last_seen() -> dict[str, float | None]:
    """{name: epoch seconds of its last heartbeat, or None if never}; raises if Redis is down."""
    found = cache.get_many([_key(WORKER), _key(BEAT)])
    return {name: found.get(_key(name)) for name in (WORKER, BEAT)}


def age(seen: float | None, now: float | None = None) -> float | None:
    return None if seen is None else max(0.0, (now or time.time()) - seen)


def stopped() -> list[str]:
    """The background processes whose heartbeat stopped (or never came): [], ["worker"],
    ["beat"] or both. Redis unreachable: [] (nothing can be said; the screens say their live
    updates are paused anyway)."""
    try:
        seen = last_seen()
    except Exception:  # Redis down
        return []
    now = time.time()
    return [n for n, at in seen.items() if at is None or now - at > DEAD_AFTER]


# --- The writers -----------------------------------------------------------------------------

_worker_thread: threading.Thread | None = None
_stop = threading.Event()


def start_worker_heartbeat() -> None:
    """In the Celery worker's main process (worker_ready): a thread beating every EVERY s."""
    global _worker_thread
    if _worker_thread is not None and _worker_thread.is_alive():
        return
    _stop.clear()

    def run():
        while not _stop.is_set():
            beat(WORKER)
            _stop.wait(EVERY)

    _worker_thread = threading.Thread(target=run, name="worker-heartbeat", daemon=True)
    _worker_thread.start()


def stop_worker_heartbeat() -> None:
    _stop.set()


class Scheduler(PersistentScheduler):
    """Celery beat's own scheduler, beating on each tick and ticking at least every EVERY s."""

    def tick(self, *args, **kwargs):
        beat(BEAT)
        return min(super().tick(*args, **kwargs), EVERY)
