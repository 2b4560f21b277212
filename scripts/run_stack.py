"""`make run`: the whole product in one foreground command; Ctrl-C stops everything.

Starts, in order: the embedded Valkey (Redis-compatible) server unless REDIS_URL is set,
the Thulium simulator unless THULIUM_API_URL is set, daphne (web + websockets) and a Celery
worker with beat. Honours PORT (8000), SIM_PORT (8100), VALKEY_PORT (6399) and SIM_ARGS.
"""

import json
import os
import signal
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scripts import processes  # noqa: E402
from scripts.processes import ROOT, Processes, manage, port_is_free  # noqa: E402

VAR = ROOT / "var"


def main() -> None:
    VAR.mkdir(exist_ok=True)
    env = dict(os.environ)
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
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
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
        processes.web_and_worker(procs, env, port, VAR / "celerybeat-schedule", bind=bind)
        if use_simulator:  # webhooks only once there is someone to receive them
            hook = json.dumps({"url": f"http://127.0.0.1:{port}/webhooks/thulium/"}).encode()
            urllib.request.urlopen(f"http://127.0.0.1:{sim_port}/_sim/webhook", hook, timeout=5)
        source = "the simulator" if use_simulator else env["THULIUM_API_URL"]
        print(
            f"\n  Thulium Live is running on http://127.0.0.1:{port}/  (data from {source})\n"
            f"  {users}\n  Admin: http://127.0.0.1:{port}/admin/\n"
            f"  {walls.strip() or 'No wallboards yet: create one under Wallboards.'}\n"
            "  Ctrl-C stops everything.\n",
            flush=True,
        )
        while not procs.dead():
            time.sleep(0.5)
        print(f"{', '.join(procs.dead())} stopped unexpectedly; stopping the rest.", flush=True)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    except RuntimeError as exc:  # a process that did not start
        print(f"{exc}; see the lines above. Stopping.", flush=True)
    finally:
        procs.stop()


if __name__ == "__main__":
    main()
