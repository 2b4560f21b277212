"""Loaded first (`-p tests._env` in pyproject): before Django reads its settings, every test
run gets its own embedded Valkey server and Thulium credentials of its own, and with
TEST_DATABASE=postgres a throwaway PostgreSQL cluster (scripts/postgres.py) instead of SQLite."""

import atexit
import os
import secrets
import shutil
import tempfile

from scripts import postgres, processes

API_USER, API_PASSWORD = "test-api", "test-api-secret"
HOOK_USER, HOOK_PASSWORD = "test-hook", "test-hook-secret"
# Every process the tests start; all stopped when the run ends.
PROCS = processes.Processes()


def pytest_unconfigure(config):
    PROCS.stop()
    if POSTGRES:
        POSTGRES.stop()


def pytest_report_header(config):
    return f"database: {'PostgreSQL ' + os.environ['DATABASE_URL'] if POSTGRES else 'SQLite'}"


# Before Django reads its settings: every test run gets its own embedded Valkey.
VALKEY = os.environ.get("TEST_REDIS_URL") or processes.valkey(PROCS)
os.environ["REDIS_URL"] = f"{VALKEY}/0"
os.environ.update(
    THULIUM_API_USER=API_USER,
    THULIUM_API_PASSWORD=API_PASSWORD,
    THULIUM_WEBHOOK_USER=HOOK_USER,
    THULIUM_WEBHOOK_PASSWORD=HOOK_PASSWORD,
    THULIUM_TIMEOUT_SECONDS="3",
    # Pushes at once instead of batched on a timer thread, so one test's push never lands
    # in the next (the stack's own processes keep the 250 ms batching).
    QUEUE_PUSH_DELAY_MS="0",
)
# DEBUG is off in the tests, as in production, so a secret key is needed: one per run.
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
# The tests' database (pytest-django makes test_thulium in it) and the products' the tests
# start (tests/conftest.py: database_url) live on one cluster, removed when the run ends.
DATABASE = os.environ.get("TEST_DATABASE") or "sqlite"
if DATABASE not in ("sqlite", "postgres"):
    raise SystemExit(f"TEST_DATABASE is sqlite or postgres, not {DATABASE!r}")
POSTGRES = postgres.Cluster().start() if DATABASE == "postgres" else None
os.environ.pop("TEST_DATABASE", None)  # a child that imports a test module starts none
if POSTGRES:
    atexit.register(POSTGRES.stop)  # also when pytest ends before pytest_unconfigure
    os.environ["DATABASE_URL"] = POSTGRES.create_database("thulium")
# Prometheus metrics of this run's processes (and of the products it starts) are summed from
# a fresh folder of their own (prometheus-client's multiprocess mode).
os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="thulium-metrics-")
atexit.register(shutil.rmtree, os.environ["PROMETHEUS_MULTIPROC_DIR"], True)
# Playwright's sync API keeps an event loop around; the ORM in the same test process is safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
