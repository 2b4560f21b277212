"""Real parts for the tests: an embedded Valkey server, the simulator over HTTP, the whole
product running in subprocesses (daphne, Celery worker with beat, simulator) and a real
Chromium driven by Playwright. Nothing here is mocked."""

import base64
import os
import sqlite3
import uuid
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests
from django.db import connection

from scripts import processes
from scripts.processes import CHROMIUM, CHROMIUM_ARGS, Processes, free_port
from tests._env import API_PASSWORD, API_USER, HOOK_PASSWORD, HOOK_USER, POSTGRES, PROCS, VALKEY

DEMO_PASSWORD = "demo-pass-123"


@dataclass
class Simulator:
    base: str  # http://127.0.0.1:PORT
    user: str = API_USER
    password: str = API_PASSWORD

    @property
    def api_url(self) -> str:
        return f"{self.base}/api/"

    def control(self, path: str, json: dict | None = None) -> dict:
        response = requests.post(f"{self.base}/_sim/{path}", json=json or {}, timeout=5)
        response.raise_for_status()
        return response.json() if response.content else {}

    def state(self) -> dict:
        return requests.get(f"{self.base}/_sim/state", timeout=5).json()

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(
            method, self.api_url + path, auth=(self.user, self.password), timeout=5, **kwargs
        )


def start_simulator(procs: Processes, *options: str) -> Simulator:
    credentials = ["--api-user", API_USER, "--api-password", API_PASSWORD]
    return Simulator(processes.simulator(procs, None, "--seed", "1", *credentials, *options))


@pytest.fixture(scope="session")
def simulator() -> Simulator:
    """A simulator with no spontaneous traffic, shared by the tests that talk to Thulium."""
    return start_simulator(PROCS, "--no-traffic")


@pytest.fixture(autouse=True)
def _thulium_is_the_simulator(settings, simulator):
    settings.THULIUM_API_URL = simulator.api_url


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: no snapshot rendered by an earlier test (its
    agents are gone with its database) is served to this one."""
    from django.core.cache import cache

    from dashboard import alerts, live, queues

    cache.clear()
    live._scopes_memo.clear()  # the teams an earlier test's pushes were rendered for
    alerts._memo.clear()  # an earlier test's thresholds, kept for seconds
    queues._learned_memo.clear()  # who took an earlier test's queue calls, kept for seconds
    live._listeners["seen"].clear()  # groups an earlier test's sockets listened to, kept 2 s


@pytest.fixture
def a_day_begun_hours_ago(settings):
    """Today (the queues' day, QUEUE_DAY_RESET) began three hours ago or a little more: a test
    that puts calls "30 minutes ago" into today's numbers holds just after midnight too
    (a fresh-clone run at 00:05 in Warsaw found them in yesterday's). In this process only."""
    from datetime import timedelta

    from django.utils import timezone

    from crm_bridge.parse import tenant_tz

    then = timezone.now().astimezone(tenant_tz()) - timedelta(hours=3)
    settings.QUEUE_DAY_RESET = f"{then.hour:02d}:{then.minute // 15 * 15:02d}"


@pytest.fixture(autouse=True)
def _english_when_not_asked(settings):
    """The suite's assertions are in English: a request that asks for no language (Django's
    test client) and code run outside a request get English here. The product's own default
    (Polish) is tested in tests/test_i18n.py and by the browser tests on the real stack."""
    settings.LANGUAGE_CODE = "en"


def metrics_folder(folder: Path) -> str:
    """A product's own folder of Prometheus metrics files: its /metrics sums only its own
    processes. (Shared by every product of a run, a killed daphne's open boards were counted by
    the next one, until its pid was reused by some other process; then they stayed.)"""
    (folder / "prometheus").mkdir(exist_ok=True)
    return str(folder / "prometheus")


def database_url(folder: Path) -> str:
    """A database of its own for a product the tests start: a SQLite file in the folder, or
    with TEST_DATABASE=postgres a new database on the tests' cluster."""
    if POSTGRES is None:
        return f"sqlite:///{folder}/db.sqlite3"
    return POSTGRES.create_database(f"product_{uuid.uuid4().hex[:12]}")


def query(url: str, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows from a product's database, read beside it (not through the tests' Django);
    placeholders are %s."""
    if url.startswith("sqlite:///"):
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"), timeout=20)) as conn:
            return conn.execute(sql.replace("%s", "?"), params).fetchall()
    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute(sql, params).fetchall()


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    yield
    if POSTGRES:  # threads that outlive their test (the receiver's writer) hold connections
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@dataclass
class Stack:
    """The whole product in subprocesses, on its own database and Redis database."""

    url: str
    sim: Simulator
    env: dict
    username: str = "supervisor"
    password: str = DEMO_PASSWORD
    admin_username: str = "admin"
    admin_password: str = DEMO_PASSWORD

    def webhook(self, data: dict, auth=(HOOK_USER, HOOK_PASSWORD)) -> requests.Response:
        return requests.post(f"{self.url}/webhooks/thulium/", data=data, auth=auth, timeout=10)

    def manage(self, *args: str) -> str:
        done = processes.manage(self.env, *args)
        if done.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stderr}")
        return done.stdout


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Stack:
    folder = tmp_path_factory.mktemp("stack")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(folder),
        "REDIS_URL": f"{VALKEY}/1",
        "PROMETHEUS_MULTIPROC_DIR": metrics_folder(folder),
        "THULIUM_POLL_SECONDS": "1",
        "THULIUM_CHANNELS_SECONDS": "2",
        "DEMO_PASSWORD": DEMO_PASSWORD,
        "DJANGO_DEBUG": "0",
        "LOG_LEVEL": "WARNING",
    }
    for test_only in ("DJANGO_ALLOW_ASYNC_UNSAFE", "QUEUE_PUSH_DELAY_MS"):
        env.pop(test_only, None)  # the stack runs as in production
    with Processes() as procs:
        sim = start_simulator(
            procs, "--no-traffic", "--webhook-url", f"http://127.0.0.1:{port}/webhooks/thulium/",
            "--webhook-user", HOOK_USER, "--webhook-password", HOOK_PASSWORD,
        )  # fmt: skip
        running = Stack(
            url=f"http://127.0.0.1:{port}", sim=sim, env={**env, "THULIUM_API_URL": sim.api_url}
        )
        for command in (["migrate", "--noinput", "-v", "0"], ["demo_users"], ["thulium_poll"]):
            running.manage(*command)
        processes.web_and_worker(procs, running.env, port, folder / "beat-schedule", concurrency=1)
        yield running


# --- Browser -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (as root).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def login(stack):
    def log_in(page, username: str | None = None, password: str | None = None):
        page.goto(f"{stack.url}/login/")
        page.fill("input[name=username]", username or stack.username)
        page.fill("input[name=password]", password or stack.password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{stack.url}/")
        return page

    return log_in


def basic_auth(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def make_user(username: str, role: str = "supervisor", groups=None, **extra):
    """A user with a role (dashboard/teams.py): of the agent groups `groups`, or of every team
    when None (as the demo 'supervisor')."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    from dashboard.teams import give_role, set_teams

    user = get_user_model().objects.create_user(username, **extra)
    give_role(user, role)
    if groups is None:
        user.user_permissions.add(Permission.objects.get(codename="see_all_agents"))
    else:
        set_teams(user, groups)
    return user
