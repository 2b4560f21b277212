"""Celery beat runs once: a second beat started beside the first sends nothing, and takes over
within seconds when the first one stops (config/beat_lock.py)."""

import os
import signal
import subprocess
import time

from scripts import cluster, processes
from scripts.processes import ROOT, Processes


def _beat(env: dict, folder, name: str) -> subprocess.Popen:
    return subprocess.Popen(
        cluster.command("beat", schedule=str(folder / f"{name}-schedule")), cwd=ROOT, env=env,
        stdout=open(folder / f"{name}.log", "w"), stderr=subprocess.STDOUT,
        start_new_session=True, preexec_fn=processes._die_with_parent,
    )  # fmt: skip


def _until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.2)
    return condition()


def test_a_second_beat_waits_and_takes_over_when_the_first_stops(tmp_path):
    with Processes() as procs:
        env = {
            **os.environ,
            "REDIS_URL": processes.valkey(procs) + "/0",
            "PYTHONWARNINGS": "ignore::UserWarning:celery.platforms",
        }
        log = {name: tmp_path / f"{name}.log" for name in ("first", "second")}
        sent = {name: lambda name=name: log[name].read_text().count("Sending due task")
                for name in log}  # fmt: skip
        first = _beat(env, tmp_path, "first")
        assert _until(lambda: sent["first"]() > 0, 60), log["first"].read_text()
        second = _beat(env, tmp_path, "second")
        try:
            assert _until(lambda: "Another Celery beat" in log["second"].read_text(), 60)
            time.sleep(4)  # a poll is due every THULIUM_POLL_SECONDS: the first one sends it
            assert sent["second"]() == 0
            before = sent["first"]()
            assert _until(lambda: sent["first"]() > before, 10)

            first.send_signal(signal.SIGTERM)  # stopped cleanly, it lets go of the lock at once
            assert first.wait(20) == 0
            assert _until(lambda: sent["second"]() > 0, 15), log["second"].read_text()
            assert "taking over" in log["second"].read_text()
        finally:
            for beat in (first, second):
                if beat.poll() is None:
                    os.killpg(beat.pid, signal.SIGKILL)
                    beat.wait()
