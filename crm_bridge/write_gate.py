"""On SQLite, the pipeline's two writers take turns at the database without waiting blind.

SQLite lets one process write at a time, and a writer that finds the database locked sleeps
and tries again (after 1, 2, 5 … 100 ms): a webhook arriving during one of the processor's
transactions waited far longer than the transaction. The receiver's writer and the event
processor take this lock, a flock on a file beside the database, around their write
transactions instead: the kernel wakes the one waiting the moment the other lets go. Other
writers (the polls, the views) still meet SQLite's own lock, as before.

Nothing on other databases (PostgreSQL writes side by side), nor on an in-memory SQLite.
"""

import fcntl
import threading
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

_local = threading.local()  # a file of its own per thread: flock excludes across them too


WAIT_SECONDS = 5  # then go ahead anyway, to SQLite's own lock and its timeout


@contextmanager
def turn():
    """Hold the write turn for the block (on SQLite: a write transaction goes inside). One
    that the other writer keeps longer than WAIT_SECONDS (stopped, hung) is not waited for:
    the block runs without it, under SQLite's own locking, as it would without this gate."""
    path = _path()
    holder = _acquire(path) if path else None
    try:
        yield
    finally:
        if holder is not None:
            fcntl.flock(holder, fcntl.LOCK_UN)
            if holder is not _file(path):
                holder.close()


def _acquire(path: Path):
    """The open file holding the lock, or None after WAIT_SECONDS."""
    mine = _file(path)
    try:
        fcntl.flock(mine, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return mine
    except BlockingIOError:
        pass
    # Taken: a thread waits for it, which the kernel wakes the moment it is let go, so that
    # this one can stop waiting after WAIT_SECONDS. The thread locks a file of its own, so
    # that one given up on and woken late cannot touch a lock taken since through `mine`.
    got, guard, state = threading.Event(), threading.Lock(), {"file": None, "late": False}

    def wait():
        waiting = open(path, "a+b")  # noqa: SIM115 - closed when the turn ends
        fcntl.flock(waiting, fcntl.LOCK_EX)
        with guard:
            if state["late"]:
                waiting.close()  # given up on meanwhile: closing lets it go at once
                return
            state["file"] = waiting
        got.set()

    threading.Thread(target=wait, name="write-turn", daemon=True).start()
    got.wait(WAIT_SECONDS)
    with guard:
        state["late"] = state["file"] is None
        return state["file"]


def _path() -> Path | None:
    if connection.vendor != "sqlite":
        return None
    name = str(connection.settings_dict["NAME"])
    if not name or name.startswith(("file:", ":memory:")) or "mode=memory" in name:
        return None
    return Path(name).with_name(Path(name).name + ".write-turn")


def _file(path: Path):
    """This thread's open lock file (flock excludes between open files, also in a process)."""
    if getattr(_local, "path", None) != path:
        _local.path, _local.file = path, open(path, "a+b")  # noqa: SIM115 - the thread's
    return _local.file
