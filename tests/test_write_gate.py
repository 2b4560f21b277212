"""The SQLite write turn between the webhook receiver and the event processor: the one
waiting gets it the moment the other lets go, and a holder that never lets go (a stopped or
hung process) is not waited for forever: webhooks are still stored."""

import fcntl
import subprocess
import sys
import threading
import time

from crm_bridge import write_gate

HOLDER = """
import fcntl, sys
f = open(sys.argv[1], "a+b")
fcntl.flock(f, fcntl.LOCK_EX)
print("held", flush=True)
sys.stdin.readline()
fcntl.flock(f, fcntl.LOCK_UN)
print("released", flush=True)
sys.stdin.readline()
"""


def _holder(path):
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout.readline().strip() == "held"
    return proc


def _free(path) -> bool:
    """Whether another process could take the turn now."""
    probe = "import fcntl,sys; fcntl.flock(open(sys.argv[1],'a+b'), fcntl.LOCK_EX|fcntl.LOCK_NB)"
    return subprocess.run([sys.executable, "-c", probe, str(path)]).returncode == 0


def test_the_waiting_writer_gets_the_turn_when_the_other_lets_go(tmp_path):
    path = tmp_path / "db.sqlite3.write-turn"
    holder = _holder(path)
    got = {}
    waiter = threading.Thread(target=lambda: got.update(file=write_gate._acquire(path)))
    try:
        waiter.start()
        waiter.join(0.5)
        assert waiter.is_alive(), "the turn is another process's: this one waits"
        holder.stdin.write("go\n")
        holder.stdin.flush()
        assert holder.stdout.readline().strip() == "released"
        waiter.join(3)
        assert got["file"] is not None
        assert not _free(path)  # now it is ours
        fcntl.flock(got["file"], fcntl.LOCK_UN)
        assert _free(path)
    finally:
        holder.kill()
        holder.wait()


def test_a_holder_that_never_lets_go_is_not_waited_for_forever(tmp_path, monkeypatch):
    monkeypatch.setattr(write_gate, "WAIT_SECONDS", 0.5)
    path = tmp_path / "db.sqlite3.write-turn"
    holder = _holder(path)
    try:
        began = time.monotonic()
        assert write_gate._acquire(path) is None  # gave up: the write goes on under SQLite's lock
        assert time.monotonic() - began < 3
    finally:
        holder.kill()
        holder.wait()
    # The thread that was still waiting gets the turn when the holder dies, and lets it go.
    deadline = time.monotonic() + 5
    while not _free(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _free(path)
    mine = write_gate._acquire(path)
    assert mine is not None
    fcntl.flock(mine, fcntl.LOCK_UN)
