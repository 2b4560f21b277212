"""`make run`: the whole product in one foreground command; Ctrl-C stops everything.

Starts, in order: the embedded Valkey (Redis-compatible) server unless REDIS_URL is set,
the Thulium simulator unless THULIUM_API_URL is set, daphne (web + websockets), a Celery
worker with beat and the event processor. Honours PORT (8000), SIM_PORT (8100), VALKEY_PORT
(6399), SIM_ARGS and BEAT_SCHEDULE (var/celerybeat-schedule). Without DJANGO_SECRET_KEY it
generates one once into var/secret-key (readable by its owner only).

Then it supervises them: a child that exits is started again after 1, 2, 4 … s; one that
crashes 5 times within 60 s stops everything. Ctrl-C, SIGTERM and SIGHUP (unless ignored, as
under nohup) stop everything, children first.
"""

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts import processes  # noqa: E402
from scripts.processes import ROOT, Processes, manage, port_is_free, wait_for_port  # noqa: E402

VAR = ROOT / "var"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
CRASH_LIMIT, CRASH_WINDOW = 5, 60  # this many exits of one child within this many seconds…
MAX_DELAY = 30  # …end the restarts, which wait 1, 2, 4 … up to this many seconds


def main() -> None:
    VAR.mkdir(exist_ok=True)
    env = dict(os.environ)
    # Prometheus metrics of this run's processes (config/settings.py): a fresh folder.
    metrics = Path(env.get("PROMETHEUS_MULTIPROC_DIR") or VAR / "prometheus")
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    shutil.rmtree(metrics, ignore_errors=True)
    metrics.mkdir(parents=True)
    env["DJANGO_SECRET_KEY"] = env.get("DJANGO_SECRET_KEY") or secret_key(VAR / "secret-key")
    port = int(env.get("PORT", "8000"))
    sim_port = int(env.get("SIM_PORT", "8100"))
    env.setdefault("THULIUM_API_USER", "api")
    env.setdefault("THULIUM_API_PASSWORD", "api-secret")
    env.setdefault("THULIUM_WEBHOOK_USER", "thulium")
    env.setdefault("THULIUM_WEBHOOK_PASSWORD", "webhook-secret")
    use_simulator = not env.get("THULIUM_API_URL")
    if use_simulator:
        env["THULIUM_API_URL"] = f"http://127.0.0.1:{sim_port}/api/"
    env["DJANGO_ALLOWED_HOSTS"] = env.get("DJANGO_ALLOWED_HOSTS") or "localhost,127.0.0.1,[::1]"
    valkey_port = None if env.get("REDIS_URL") else int(env.get("VALKEY_PORT", "6399"))
    for wanted, variable in ((port, "PORT"), (use_simulator and sim_port, "SIM_PORT"),
                             (valkey_port, "VALKEY_PORT (or REDIS_URL)")):  # fmt: skip
        if wanted and not port_is_free(wanted):
            sys.exit(f"Port {wanted} is already in use: stop what uses it or set {variable}.")

    procs = Processes()
    stop_on = [sig for sig in STOP_SIGNALS if signal.getsignal(sig) is not signal.SIG_IGN]
    for sig in stop_on:
        signal.signal(sig, _interrupt)
    try:
        if valkey_port:
            env["REDIS_URL"] = processes.valkey(procs, valkey_port, VAR) + "/0"
        migrated = manage(env, "migrate", "--noinput", "-v", "0")
        if migrated.returncode:
            sys.exit(f"Migrating the database failed:\n{migrated.stderr}")
        users = manage(env, "demo_users").stdout.strip()
        walls = manage(env, "wallboard_links", "--base", f"http://127.0.0.1:{port}").stdout
        if use_simulator:  # the same centre on every start; SIM_ARGS may override the seed
            options = ["--seed", "1", *env.get("SIM_ARGS", "").split()]
            processes.simulator(procs, sim_port, *options, env=env)

        # One synchronous poll first: the board opens full, and bad credentials show at once.
        poll = manage(env, "thulium_poll")
        print((poll.stdout or poll.stderr).strip(), flush=True)

        bind = env.get("BIND", "127.0.0.1")
        schedule = Path(env.get("BEAT_SCHEDULE") or VAR / "celerybeat-schedule")
        processes.web_and_worker(procs, env, port, schedule, bind=bind)
        after_restart = {}
        if use_simulator:  # webhooks only once there is someone to receive them
            after_restart["simulator"] = lambda sim: _send_webhooks(sim_port, port, sim)
            _send_webhooks(sim_port, port)
        source = "the simulator" if use_simulator else env["THULIUM_API_URL"]
        print(
            f"\n  Thulium Live is running on http://127.0.0.1:{port}/  (data from {source})\n"
            f"  {users}\n  Admin: http://127.0.0.1:{port}/admin/\n"
            f"  {walls.strip() or 'No wallboards yet: create one under Wallboards.'}\n"
            "  Ctrl-C stops everything.\n",
            flush=True,
        )
        supervise(procs, after_restart)
        sys.exit(1)  # a crash loop
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    except RuntimeError as exc:  # a process that did not start
        print(f"{exc}; see the lines above. Stopping.", flush=True)
    finally:
        for sig in stop_on:  # a second Ctrl-C does not cut the stopping short
            signal.signal(sig, signal.SIG_IGN)
        procs.stop()


def secret_key(path: Path) -> str:
    """The demo's SECRET_KEY: generated once into the file (owner-only, 0600), then read."""
    try:
        path.chmod(0o600)  # also one an older version left readable by others
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(50)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(key + "\n")
        return key


def supervise(procs: Processes, after_restart: dict) -> None:
    """Start every child that exits again after a growing delay; return on a crash loop.

    `after_restart` maps a child's name to what to do once it is back (given its process).
    """
    exits: dict[str, list[float]] = {}  # a child's name: when it exited lately
    due: dict[subprocess.Popen, float] = {}  # an exited child: when it starts again
    while True:
        now = time.monotonic()
        for name, proc in procs.exited():
            if proc not in due:  # it has just exited
                procs.bury(proc)
                recent = [t for t in exits.get(name, []) if now - t < CRASH_WINDOW] + [now]
                exits[name] = recent
                code = _exit_code(proc)
                if len(recent) >= CRASH_LIMIT:
                    print(f"{name} keeps crashing ({len(recent)} exits within {CRASH_WINDOW} s, "
                          f"the last with code {code}): giving up; stopping everything.",
                          flush=True)  # fmt: skip
                    return
                delay = min(2 ** (len(recent) - 1), MAX_DELAY)
                print(f"{name} exited with code {code}; restarting in {delay} s", flush=True)
                due[proc] = now + delay
            elif now >= due[proc]:
                del due[proc]
                new = procs.respawn(proc)
                print(f"{name} restarted (pid {new.pid}).", flush=True)
                try:
                    after_restart.get(name, lambda _: None)(new)
                except (RuntimeError, OSError) as exc:  # it died again: seen next time round
                    print(f"{name}: {exc}", flush=True)
        time.sleep(0.5)


def _send_webhooks(sim_port: int, port: int, restarted: subprocess.Popen | None = None) -> None:
    """Point the simulator's webhooks at daphne (a restarted simulator forgets them)."""
    if restarted:
        wait_for_port(sim_port, restarted, "simulator")
    hook = json.dumps({"url": f"http://127.0.0.1:{port}/webhooks/thulium/"}).encode()
    urllib.request.urlopen(f"http://127.0.0.1:{sim_port}/_sim/webhook", hook, timeout=5)


def _exit_code(proc: subprocess.Popen) -> str:
    """The exit code, with the signal's name when a signal ended it: "-9 (SIGKILL)"."""
    code = proc.returncode
    try:
        return f"{code} ({signal.Signals(-code).name})" if code < 0 else str(code)
    except ValueError:  # a real-time signal
        return str(code)


def _interrupt(*_) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
