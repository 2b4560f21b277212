"""`make run` as a user runs it: scripts/run_stack.py in a subprocess, on ports, a database and
a beat schedule of its own. A crashed child is started again; SIGTERM or SIGHUP stops every
process it started; a child that keeps crashing is given up on."""

import os
import re
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

from scripts.processes import ROOT, Processes, free_port
from scripts.run_stack import supervise

# A test starts the whole product (migrations on a fresh database included) in about 20 s.
pytestmark = pytest.mark.timeout(300)
STARTUP_SECONDS = 150
CHILDREN = {"valkey-server", "simulator", "daphne", "celery", "process_events"}
# Set by tests/_env for the tests' own Django; `make run` starts its own Valkey.
NOT_PASSED_ON = {"REDIS_URL", "THULIUM_API_URL", "DJANGO_ALLOW_ASYNC_UNSAFE", "QUEUE_PUSH_DELAY_MS"}
NOT_PASSED_ON |= {"DJANGO_SECRET_KEY"}  # `make run` makes its own (var/secret-key)
# and clears its metrics folder at start: not the one the tests' own product writes to.
NOT_PASSED_ON |= {"PROMETHEUS_MULTIPROC_DIR"}


class RunStack:
    """scripts/run_stack.py in a session of its own, its output (and its children's) collected
    line by line. Every process it starts is remembered, so that none can outlive the test."""

    def __init__(self, folder: Path):
        ports = set()
        while len(ports) < 3:
            ports.add(free_port())
        port, sim_port, valkey_port = ports
        env = {key: value for key, value in os.environ.items() if key not in NOT_PASSED_ON}
        env.update(
            PORT=str(port),
            SIM_PORT=str(sim_port),
            VALKEY_PORT=str(valkey_port),
            DEMO_PASSWORD="run-stack-pass",
            DATABASE_URL=f"sqlite:///{folder}/db.sqlite3",
            BEAT_SCHEDULE=str(folder / "beat-schedule"),
            SIM_ARGS="--no-traffic",
            LOG_LEVEL="WARNING",
        )
        self.proc = subprocess.Popen(
            [sys.executable, "scripts/run_stack.py"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
            preexec_fn=_default_stop_signals,
        )
        self.lines: list[str] = []
        self._read_upto = 0  # wait_for looks at the lines after the last one it found
        self._new_line = threading.Condition()
        self.seen: dict[int, str] = {}  # every process it started: pid and start time
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._new_line:
                self.lines.append(line.rstrip("\n"))
                self._new_line.notify_all()

    def wait_for(self, text: str, timeout: float) -> str:
        """The next line of output containing text; fails if it does not come in time."""
        deadline = time.monotonic() + timeout
        with self._new_line:
            while True:
                for n in range(self._read_upto, len(self.lines)):
                    if text in self.lines[n]:
                        self._read_upto = n + 1
                        return self.lines[n]
                left = deadline - time.monotonic()
                if left <= 0:
                    output = "\n".join(self.lines[-40:])
                    pytest.fail(f"No {text!r} within {timeout} s; the output ends:\n{output}")
                self._new_line.wait(min(left, 0.5))

    def children(self) -> dict[str, int]:
        """Its children's pids by what they run: valkey-server, simulator, daphne, …"""
        found = {}
        for pid, (parent, started) in _descendants(self.proc.pid).items():
            self.seen.setdefault(pid, started)
            if parent == self.proc.pid:
                found[_what(pid)] = pid
        return found

    def alive(self) -> list[int]:
        """The processes it started (and theirs) that still run."""
        return [pid for pid, started in self.seen.items() if _running(pid, started)]

    def stop(self, sig: int) -> int:
        self.children()  # remember the latest ones
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=60)

    def clean_up(self) -> None:
        """Whatever happened in the test, nothing it started keeps running."""
        if self.proc.poll() is None:
            self.children()
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        for pid in self.alive():
            os.kill(pid, signal.SIGKILL)


@pytest.fixture
def run_stack(tmp_path):
    running = RunStack(tmp_path)
    try:
        running.wait_for("is running on http://127.0.0.1:", STARTUP_SECONDS)
        assert set(running.children()) == CHILDREN
        yield running
    finally:
        running.clean_up()


def test_a_killed_worker_is_started_again_and_sigterm_stops_everything(run_stack):
    worker = run_stack.children()["celery"]
    os.kill(worker, signal.SIGKILL)
    run_stack.wait_for("celery exited with code -9 (SIGKILL); restarting in 1 s", 10)
    new_worker = _pid(run_stack.wait_for("celery restarted (pid ", 10))
    assert new_worker != worker
    assert run_stack.children()["celery"] == new_worker
    assert "Stopping…" not in run_stack.lines  # the others ran on

    assert run_stack.stop(signal.SIGTERM) == 0
    assert "Stopping…" in run_stack.lines
    _assert_all_gone(run_stack)


def test_sighup_stops_everything(run_stack):
    assert run_stack.stop(signal.SIGHUP) == 0
    assert "Stopping…" in run_stack.lines
    _assert_all_gone(run_stack)


def test_its_secret_key_is_the_owners_only_and_never_printed(run_stack):
    key_file = ROOT / "var" / "secret-key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    key = key_file.read_text().strip()
    assert len(key) >= 50
    assert not [line for line in run_stack.lines if key in line or "run-stack-pass" in line]


def test_a_child_that_keeps_crashing_is_given_up_on(capsys):
    with Processes() as procs:
        procs.spawn("crasher", [sys.executable, "-c", "raise SystemExit(3)"])
        supervise(procs, {})  # returns: main() then stops everything, as on SIGTERM
    out = capsys.readouterr().out
    for delay in (1, 2, 4, 8):
        assert f"crasher exited with code 3; restarting in {delay} s\n" in out
    assert "crasher keeps crashing (5 exits within 60 s, the last with code 3): giving up" in out


def _assert_all_gone(run_stack: RunStack) -> None:
    assert len(run_stack.seen) >= len(CHILDREN)
    deadline = time.monotonic() + 15  # what a stopped child leaves is reaped by init
    while run_stack.alive() and time.monotonic() < deadline:
        time.sleep(0.2)
    left = {pid: _what(pid) for pid in run_stack.alive()}
    assert not left, f"still running after run_stack.py ended: {left}"


def _pid(line: str) -> int:
    return int(re.search(r"pid (\d+)", line)[1])


def _default_stop_signals() -> None:
    """As from a terminal, even if pytest itself runs under nohup or in the background."""
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)


def _stat(pid: int) -> tuple[int, str, str]:
    """Its parent's pid, its start time and its state, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), fields[19], fields[0]


def _what(pid: int) -> str:
    """What a process runs: "celery" for python -m celery, "process_events" for manage.py
    process_events, "valkey-server" for Valkey (which rewrites its title)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return "(gone)"
    for marker in ("-m", "manage.py"):
        if marker in argv:
            return argv[argv.index(marker) + 1]
    return Path(argv[0]).name.split()[0]


def _running(pid: int, started: str) -> bool:
    try:
        _, now_started, state = _stat(pid)
    except OSError:  # gone
        return False
    return now_started == started and state != "Z"


def _descendants(root: int) -> dict[int, tuple[int, str]]:
    """Every process under root: its pid, its parent's pid and its start time."""
    everyone = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent, started, _ = _stat(int(entry.name))
            except OSError:  # gone meanwhile
                continue
            everyone[int(entry.name)] = (parent, started)
    found, parents = {}, [root]
    while parents:
        parent = parents.pop()
        for pid, (ppid, started) in everyone.items():
            if ppid == parent:
                found[pid] = (ppid, started)
                parents.append(pid)
    return found


def test_a_dead_daphnes_open_boards_stop_counting_once_it_is_buried(tmp_path):
    """/metrics sums each process's open websockets. A child that dies with boards open (then
    restarted by supervise(), which buries it first) no longer adds them, even if its pid is
    already another process's."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    board_opened = (
        "from prometheus_client import Gauge; import time; "
        "Gauge('boards_open', 'open', multiprocess_mode='livesum').inc(); "
        "print('open', flush=True); time.sleep(60)"
    )

    def boards_open() -> float:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=str(tmp_path))
        return registry.get_sample_value("boards_open") or 0

    with Processes() as procs:
        child = procs.spawn("daphne", [sys.executable, "-c", board_opened], env,
                            stdout=subprocess.PIPE)  # fmt: skip
        assert child.stdout.readline() == b"open\n"
        assert boards_open() == 1
        child.kill()
        child.wait()
        assert boards_open() == 1  # its file outlives it
        procs.bury(child)
        assert boards_open() == 0
