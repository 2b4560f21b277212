"""A Celery worker killed under open screens: within 30 s the board and a wallboard say in
plain words that the background worker stopped and since when the agents' statuses are not
refreshed; once it runs again the banner goes by itself. A product of its own (the worker
is killed), whole: daphne, the event processor, a Celery worker with beat, the simulator."""

import os
import re
import signal

import pytest
import requests
from playwright.sync_api import expect

from scripts import processes
from scripts.processes import Processes, free_port
from tests.conftest import DEMO_PASSWORD, database_url, metrics_folder, start_simulator

pytestmark = pytest.mark.browser


@pytest.fixture
def product(tmp_path):
    with Processes() as procs:
        port = free_port()
        sim = start_simulator(procs, "--no-traffic")
        env = {
            **os.environ,
            "DATABASE_URL": database_url(tmp_path),
            "PROMETHEUS_MULTIPROC_DIR": metrics_folder(tmp_path),
            "REDIS_URL": os.environ["REDIS_URL"].rsplit("/", 1)[0] + "/3",
            "THULIUM_API_URL": sim.api_url,
            "THULIUM_POLL_SECONDS": "1",
            "DEMO_PASSWORD": DEMO_PASSWORD,
            "LOG_LEVEL": "ERROR",
        }
        for test_only in ("DJANGO_ALLOW_ASYNC_UNSAFE", "QUEUE_PUSH_DELAY_MS"):
            env.pop(test_only, None)
        for command in (["migrate", "--noinput", "-v", "0"], ["demo_users"], ["thulium_poll"]):
            assert processes.manage(env, *command).returncode == 0
        made = processes.manage(env, "wallboard_create", "Floor")
        token = made.stdout.strip()
        url = processes.web_and_worker(procs, env, port, tmp_path / "beat", concurrency=1)
        yield {"url": url, "procs": procs, "token": token}


def _ready(url: str) -> dict:
    return requests.get(f"{url}/readyz", timeout=10).json()


def test_a_killed_worker_is_on_every_screen_within_30_s_and_goes_when_it_is_back(
    page, browser, product
):
    url, procs = product["url"], product["procs"]
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    banner = page.locator("#health-banner")
    expect(banner).to_be_hidden(timeout=30_000)  # the worker's first heartbeat is in
    wallboard = browser.new_page()
    wallboard.goto(f"{url}/wallboard/{product['token']}/")
    wb_banner = wallboard.locator("#wb-health")
    expect(wb_banner).to_be_hidden(timeout=15_000)

    worker = next(proc for name, proc in procs.procs if name == "celery")
    os.killpg(worker.pid, signal.SIGKILL)  # the worker and the beat it runs
    worker.wait()

    stopped = re.compile(r"Background worker and scheduler stopped\s+— agent statuses not "
                         r"refreshed since \d\d:\d\d:\d\d")  # fmt: skip
    expect(banner).to_contain_text(stopped, timeout=30_000)
    expect(wb_banner).to_contain_text(
        re.compile(r"Background worker stopped — agent statuses not refreshed since \d\d:"),
        timeout=5_000,
    )
    answer = _ready(url)
    assert answer["status"] == "not ready"
    assert {"worker", "beat"} <= set(answer["failing"])

    procs.respawn(worker)
    expect(banner).to_be_hidden(timeout=40_000)
    expect(wb_banner).to_be_hidden(timeout=10_000)
    assert _ready(url)["checks"]["worker"]["ok"]
    wallboard.close()
