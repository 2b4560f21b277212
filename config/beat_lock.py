"""One Celery beat at a time: a beat holds a lock in Redis while it runs; a second one started
beside it (by mistake, or a standby on another host) waits without sending anything and
takes over within LOCK_SECONDS of the first one stopping. Hooked to `beat_init`
(config/celery.py), so it holds for `celery beat` and for `celery worker --beat` alike.

Why: the schedule must be sent once. Two beats would run every poll twice as often (each
poll's own lock only keeps two from overlapping) and sample campaigns twice.
"""

import atexit
import logging
import os
import signal
import socket
import threading
import time

from django.core.cache import cache

log = logging.getLogger(__name__)

KEY = "celery-beat-lock"
LOCK_SECONDS = 15  # a holder that stops renewing (killed) is replaced after this long
RENEW_SECONDS = 5


def hold() -> None:
    """Wait for the lock, then keep it renewed from a thread; released at a clean exit."""
    me = f"{socket.gethostname()}:{os.getpid()}"
    waiting = False
    while not (taken := _take(me)):
        if taken is False and not waiting:
            log.warning(
                "Another Celery beat is running (%s): this one sends nothing and takes over "
                "if that one stops.",
                _holder(),
            )
            waiting = True
        time.sleep(RENEW_SECONDS)
    log.info("Celery beat lock taken (%s)%s", me, ": taking over" if waiting else "")
    threading.Thread(target=_renew, args=(me,), name="beat-lock", daemon=True).start()
    atexit.register(_release, me)


def _take(me: str) -> bool | None:
    """True: taken; False: another beat holds it; None: Redis is not answering."""
    try:
        return cache.add(KEY, me, timeout=LOCK_SECONDS)
    except Exception as exc:  # noqa: BLE001 - Redis down: wait for it like the rest of beat
        log.warning("Celery beat lock: Redis is not answering (%s)", exc)
        return None


def _holder() -> str:
    try:
        return cache.get(KEY) or "unknown"
    except Exception:  # noqa: BLE001
        return "unknown"


def _renew(me: str) -> None:
    while True:
        time.sleep(RENEW_SECONDS)
        try:
            holder = cache.get(KEY)
            if holder is None:  # expired (Redis restarted, or we were frozen): take it again
                if cache.add(KEY, me, timeout=LOCK_SECONDS):
                    continue
                holder = cache.get(KEY)
            if holder != me:
                log.error("Celery beat lock lost to %s: this beat stops.", holder)
                os.kill(os.getpid(), signal.SIGTERM)
                return
            cache.touch(KEY, LOCK_SECONDS)
        except Exception as exc:  # noqa: BLE001 - Redis down: nothing is sent meanwhile anyway
            log.warning("Celery beat lock: could not renew (%s)", exc)


def _release(me: str) -> None:
    try:
        if cache.get(KEY) == me:
            cache.delete(KEY)
    except Exception:  # noqa: BLE001 - it expires by itself
        pass
