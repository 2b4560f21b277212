"""`make cluster`: the production topology on one machine, with real parts; Ctrl-C stops it.

    PostgreSQL (a cluster kept in var/cluster/postgres) unless DATABASE_URL is set
    Valkey (the embedded one) unless REDIS_URL is set
    the Thulium simulator unless THULIUM_API_URL is set
    migrate (once, before the rest)
    nginx (Debian's, deploy/nginx.conf) on PORT ──> web1, web2 (daphne)
    worker1, worker2 (Celery), beat (Celery beat: one), events (manage.py process_events: one)

docker-compose.yml runs the same processes (TOPOLOGY below; tests/test_compose.py compares the
two). Each process logs to var/cluster/log/<name>.log; this terminal gets the URL, the logins
and what the supervision does (as in `make run`, scripts/run_stack.py: a child that exits is
started again after 1, 2, 4 … s; Ctrl-C, SIGTERM or SIGHUP stop everything).

Honours PORT (8000), CLUSTER_DIR (var/cluster), SIM_PORT (any free one), SIM_ARGS,
DEMO_PASSWORD, DJANGO_SECRET_KEY
(else generated once into CLUSTER_DIR/secret-key) and the product's own variables (README).
"""

import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts import processes  # noqa: E402
from scripts.postgres import Cluster  # noqa: E402
from scripts.processes import (  # noqa: E402
    DAPHNE_OPTIONS,
    PY,
    ROOT,
    Processes,
    free_port,
    port_is_free,
)
from scripts.run_stack import (  # noqa: E402
    STOP_SIGNALS,
    _interrupt,
    _send_webhooks,
    secret_key,
    supervise,
)

NGINX = os.environ.get("NGINX_PATH", "/usr/sbin/nginx")
NGINX_CONF = ROOT / "deploy" / "nginx.conf"

# The product's processes, as docker-compose.yml runs them: {port} is a daphne's port, {name}
# the process's name, {schedule} beat's schedule file. "migrate" runs once, before the others.
DAPHNE = ["daphne", "-b", "{bind}", "-p", "{port}", *DAPHNE_OPTIONS, "config.asgi:application"]
WORKER = ["celery", "-A", "config", "worker", "-n", "{name}@%h", "--loglevel", "INFO",
          "--concurrency", "2"]  # fmt: skip
TOPOLOGY = {
    "migrate": ["python", "manage.py", "migrate", "--noinput"],
    "web1": DAPHNE,
    "web2": DAPHNE,
    "worker1": WORKER,
    "worker2": WORKER,
    "beat": ["celery", "-A", "config", "beat", "--loglevel", "INFO", "--schedule", "{schedule}"],
    "events": ["python", "manage.py", "process_events"],
}
# What every one of them is given (compose: the env file, or `environment`), beside THULIUM_*.
ENVIRONMENT = ("DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "DJANGO_DEBUG",
               "DJANGO_ALLOWED_HOSTS", "TRUSTED_PROXIES")  # fmt: skip


def command(name: str, **values: str) -> list[str]:
    """A process's command line here: TOPOLOGY's, with this venv's python and the values."""
    args = [arg.format(name=name, **values) for arg in TOPOLOGY[name]]
    program = {"python": [PY], "daphne": [PY, "-m", "daphne"], "celery": [PY, "-m", "celery"]}
    return program[args[0]] + args[1:]


def nginx_conf(folder: Path, port: int, webs: list[int], bind: str = "127.0.0.1") -> Path:
    """deploy/nginx.conf around a main context of our own (foreground, files in `folder`), with
    these ports. Here only, each answer names the daphne that gave it (X-Upstream)."""
    site = NGINX_CONF.read_text()
    for n, web_port in enumerate(webs, 1):
        site, found = re.subn(rf"server web{n}:8000\b", f"server 127.0.0.1:{web_port}", site)
        assert found == 1, f"deploy/nginx.conf has no `server web{n}:8000`"
    site, found = re.subn(r"listen 80;", f"listen {bind}:{port};", site)
    assert found == 1, "deploy/nginx.conf has no `listen 80;`"
    temp = folder / "tmp"
    temp.mkdir(parents=True, exist_ok=True)
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    paths = "\n".join(f"    {kind}_temp_path {temp / kind};" for kind in kinds)
    conf = folder / "nginx.conf"
    conf.write_text(
        f"daemon off;\nworker_processes 2;\npid {folder / 'nginx.pid'};\n"
        f"error_log {folder.parent / 'log' / 'nginx-error.log'} warn;\n"
        "events { worker_connections 4096; }\n"
        f"http {{\n    access_log {folder.parent / 'log' / 'nginx-access.log'};\n{paths}\n"
        "    add_header X-Upstream $upstream_addr always;\n"
        f"{site}}}\n"
    )
    return conf


def start(procs: Processes, env: dict, folder: Path, port: int, after: list) -> dict:
    """Everything, in order, in `procs`; returns what to print and supervise: {"url", "users",
    "walls", "webs" (web1's and web2's ports), "sim_port"}. `env` gets every variable the
    processes were given; `after` what to call once `procs` are stopped (PostgreSQL's stop)."""
    log = folder / "log"
    log.mkdir(parents=True, exist_ok=True)
    (folder / "nginx").mkdir(exist_ok=True)
    env.setdefault("THULIUM_API_USER", "api")
    env.setdefault("THULIUM_API_PASSWORD", "api-secret")
    env.setdefault("THULIUM_WEBHOOK_USER", "thulium")
    env.setdefault("THULIUM_WEBHOOK_PASSWORD", "webhook-secret")
    env["DJANGO_SECRET_KEY"] = env.get("DJANGO_SECRET_KEY") or secret_key(folder / "secret-key")
    env["DJANGO_DEBUG"] = "false"
    metrics = folder / "prometheus"  # Prometheus metrics of this run's processes: a fresh folder
    shutil.rmtree(metrics, ignore_errors=True)
    metrics.mkdir()
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    env.setdefault("TRUSTED_PROXIES", "127.0.0.1")  # nginx: its X-Forwarded-For is believed
    env["DJANGO_ALLOWED_HOSTS"] = env.get("DJANGO_ALLOWED_HOSTS") or "localhost,127.0.0.1,[::1]"
    if not env.get("DATABASE_URL"):
        database = Cluster(folder / "postgres").start()
        after.append(database.stop)
        env["DATABASE_URL"] = database.create_database("thulium", exists_ok=True)
    if not env.get("REDIS_URL"):
        env["REDIS_URL"] = processes.valkey(procs, None, folder) + "/0"
    sim_port = None
    if not env.get("THULIUM_API_URL"):
        sim_port = int(env.get("SIM_PORT") or free_port())
        options = ["--seed", "1", *env.get("SIM_ARGS", "").split()]
        processes.simulator(procs, sim_port, *options, env=env, **_logs(log, "simulator"))
        env["THULIUM_API_URL"] = f"http://127.0.0.1:{sim_port}/api/"

    migrated = subprocess.run(command("migrate"), cwd=ROOT, env=env, capture_output=True, text=True)
    if migrated.returncode:
        raise RuntimeError(f"migrate failed:\n{migrated.stderr.strip()}")
    webs = [free_port(), free_port()]
    for name, web_port in zip(("web1", "web2"), webs, strict=True):
        args = command(name, bind="127.0.0.1", port=str(web_port))
        procs.spawn(name, args, env, **_logs(log, name))
    schedule = str(folder / "celerybeat-schedule")
    worker_env = {**env, "PYTHONWARNINGS": "ignore::UserWarning:celery.platforms"}  # as root
    for name in ("worker1", "worker2", "beat"):
        procs.spawn(name, command(name, schedule=schedule), worker_env, **_logs(log, name))
    procs.spawn("events", command("events"), env, **_logs(log, "events"))
    # While they start: the demo users, the wallboards' links and one poll (bad credentials
    # show at once), side by side.
    setup = [["demo_users"], ["wallboard_links", "--base", f"http://127.0.0.1:{port}"],
             ["thulium_poll"]]  # fmt: skip
    running = [subprocess.Popen([PY, "manage.py", *args], cwd=ROOT, env=env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
               for args in setup]  # fmt: skip
    (users, error), (walls, _), (polled, poll_error) = [proc.communicate() for proc in running]
    if running[0].returncode or running[1].returncode:
        raise RuntimeError(f"demo_users or wallboard_links failed: {error.strip()}")
    print((polled or poll_error).strip(), flush=True)
    for name, web_port in zip(("web1", "web2"), webs, strict=True):
        proc = next(p for n, p in procs.procs if n == name)
        processes.wait_for_port(web_port, proc, name)
    conf = nginx_conf(folder / "nginx", port, webs, env.get("BIND", "127.0.0.1"))
    args = [NGINX, "-p", str(folder / "nginx"), "-c", str(conf), "-e", str(log / "nginx-error.log")]
    nginx = procs.spawn("nginx", args, env, **_logs(log, "nginx"))
    processes.wait_for_port(port, nginx, "nginx")
    if sim_port:  # webhooks only once there is someone to receive them: through the proxy
        _send_webhooks(sim_port, port)
    return {"url": f"http://127.0.0.1:{port}", "users": users.strip(), "walls": walls.strip(),
            "webs": webs, "sim_port": sim_port}  # fmt: skip


def _logs(folder: Path, name: str) -> dict:
    out = open(folder / f"{name}.log", "a")  # noqa: SIM115 (the child keeps it)
    return {"stdout": out, "stderr": subprocess.STDOUT, "stdin": subprocess.DEVNULL}


def main() -> None:
    env = dict(os.environ)
    folder = Path(env.get("CLUSTER_DIR") or ROOT / "var" / "cluster").resolve()
    folder.mkdir(parents=True, exist_ok=True)
    port = int(env.get("PORT", "8000"))
    if not port_is_free(port):
        sys.exit(f"Port {port} is already in use: stop what uses it or set PORT.")
    if not shutil.which(NGINX):
        sys.exit(f"{NGINX} is missing: apt-get install nginx (make cluster does, as root).")
    procs = Processes()
    stop_on = [sig for sig in STOP_SIGNALS if signal.getsignal(sig) is not signal.SIG_IGN]
    for sig in stop_on:
        signal.signal(sig, _interrupt)
    after = []
    try:
        running = start(procs, env, folder, port, after)
        after_restart = {}
        if sim_port := running["sim_port"]:
            after_restart["simulator"] = lambda sim: _send_webhooks(sim_port, port, sim)
        url = running["url"]
        source = "the simulator" if sim_port else env["THULIUM_API_URL"]
        pids = ", ".join(f"{name} {proc.pid}" for name, proc in procs.procs)
        print(
            f"\n  Thulium Live (cluster) is running on {url}/  (data from {source})\n"
            f"  {running['users']}\n  Admin: {url}/admin/\n"
            f"  {running['walls'] or 'No wallboards yet: create one under Wallboards.'}\n"
            f"  nginx on {port} -> daphne on {running['webs'][0]} and {running['webs'][1]}; "
            f"logs in {folder / 'log'}/\n  Processes: {pids}\n  Ctrl-C stops everything.\n",
            flush=True,
        )
        supervise(procs, after_restart)
        sys.exit(1)  # a crash loop
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    except RuntimeError as exc:  # a process that did not start
        print(f"{exc}; see {folder / 'log'}/. Stopping.", flush=True)
    finally:
        for sig in stop_on:
            signal.signal(sig, signal.SIG_IGN)
        procs.stop(timeout=20)
        for stop in after:
            stop()


if __name__ == "__main__":
    main()
