"""Shared by the bench_*.py scripts: real subprocesses (embedded Valkey, the Thulium simulator),
machine description, percentiles and the JSON result files. Only 127.0.0.1 is used; every
child gets a session of its own and is stopped with killpg."""

import base64
import json
import os
import platform
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts import processes  # noqa: E402
from scripts.processes import free_port, wait_for_port  # noqa: E402, F401  (for the benches)

RESULTS = ROOT / "bench" / "results"
PY = sys.executable
API_USER, API_PASSWORD = "bench-api", "bench-api-secret"
HOOK_USER, HOOK_PASSWORD = "bench-hook", "bench-hook-secret"
HOOK_AUTH = "Basic " + base64.b64encode(f"{HOOK_USER}:{HOOK_PASSWORD}".encode()).decode()
AGENTS = 1000
# The product runs with DEBUG off, as in production, so it needs a secret key: one per run,
# passed to every child through the environment.
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))


class Children(processes.Processes):
    """The bench's subprocesses: stopped (newest first) when the `with` block ends, also on
    SIGTERM (run_all's timeout)."""

    def __enter__(self):
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        return self

    def valkey(self) -> str:
        return processes.valkey(self) + "/0"

    def simulator(self, *extra: str) -> str:
        """A simulator with 1,000 agents and no spontaneous traffic; returns its base URL."""
        options = ["--host", "127.0.0.1", "--seed", "1", "--agents", str(AGENTS), "--no-traffic"]
        options += ["--api-user", API_USER, "--api-password", API_PASSWORD]
        options += ["--log-level", "WARNING", *extra]
        return processes.simulator(self, None, *options, stdout=subprocess.DEVNULL)


@contextmanager
def product_in_this_process(prefix: str):
    """The simulator (1,000 agents) and Valkey as subprocesses, and Django set up in this
    process on a fresh SQLite file; yields the simulator's base URL."""
    with Children() as kids, tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        sim = kids.simulator()
        setup_django(django_env(Path(tmp), kids.valkey(), sim))
        yield sim


@contextmanager
def cluster_product(kids: Children, folder: Path, env: dict):
    """`make cluster`'s topology (scripts/cluster.py): nginx in front of two daphne, two Celery
    workers, one beat and the event processor, on a throwaway PostgreSQL (and the Valkey and
    Thulium `env` names). Yields the proxy's URL; `env` gets DATABASE_URL and the rest. Each
    process's log is in folder/log/."""
    from scripts import cluster
    from scripts.postgres import Cluster

    database = Cluster().start()
    try:
        env["DATABASE_URL"] = database.create_database("bench")
        port = free_port()
        cluster.start(kids, env, folder, port, after=[])
        yield f"http://127.0.0.1:{port}"
    finally:
        kids.stop()
        database.stop()


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
        "p99": round(pct(values, 99), digits),
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
