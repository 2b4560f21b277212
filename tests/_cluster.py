"""`make cluster` (scripts/cluster.py) for the tests: started as a real subprocess in a folder
of its own, on a database and a Valkey the test gives it, read back from what it prints."""

import os
import queue
import re
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from scripts.processes import PY, ROOT, _die_with_parent, free_port


@dataclass
class RunningCluster:
    proc: subprocess.Popen
    url: str  # the proxy's
    webs: list[int]  # web1's and web2's ports
    pids: dict[str, int]  # each child's, by its name (web1, beat, nginx …)
    env: dict  # what the cluster's processes were given (bar the secret key, in its folder)
    folder: Path
    output: list[str] = field(default_factory=list)

    def log(self, name: str) -> str:
        return (self.folder / "log" / f"{name}.log").read_text(errors="replace")

    lines: queue.Queue = field(default_factory=queue.Queue)  # printed, not yet waited for

    def __post_init__(self):
        def read():
            for line in self.proc.stdout:
                self.lines.put(line)
            self.lines.put("")  # the end

        threading.Thread(target=read, daemon=True).start()

    def wait_for(self, text: str, timeout: float) -> str:
        """The first line printed from now on that contains `text`."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if not line:
                break
            self.output.append(line)
            if text in line:
                return line
        raise AssertionError(f"{text!r} not printed; got:\n{''.join(self.output[-30:])}")

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        try:
            while line := self.lines.get(timeout=10):
                self.output.append(line)
        except queue.Empty:  # a grandchild still holds the pipe: what it printed is enough
            pass
        return self.proc.returncode


def start_cluster(folder: Path, env: dict) -> RunningCluster:
    """scripts/cluster.py with CLUSTER_DIR=folder and a free PORT, once it says it runs."""
    env = {**env, "CLUSTER_DIR": str(folder), "PORT": str(free_port())}
    proc = subprocess.Popen(
        [PY, "scripts/cluster.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True, start_new_session=True,
        preexec_fn=_die_with_parent,  # a test run killed mid-way leaves nothing running
    )  # fmt: skip
    running = RunningCluster(proc, f"http://127.0.0.1:{env['PORT']}", [], {}, env, folder)
    try:
        ports = running.wait_for(" -> daphne on ", 100)
        pids = running.wait_for("Processes: ", 10)
        running.wait_for("Ctrl-C stops everything.", 10)
    except AssertionError:
        running.stop()
        raise
    running.webs = [int(port) for port in re.findall(r"daphne on (\d+) and (\d+)", ports)[0]]
    running.pids = {name: int(pid) for name, pid in re.findall(r"(\w+) (\d+)", pids.split(":")[1])}
    return running
