"""Redis dies under an open board: Thulium's webhooks are still answered 2xx and applied, the
board says its live updates are paused, and once Redis is back it catches up by itself.

A product of its own (its own Valkey, to stop and start again on the same port), whole:
daphne, the event processor, a Celery worker with beat, the simulator sending its webhooks."""

import os
import signal

import pytest
from playwright.sync_api import expect

from scripts import processes
from scripts.processes import Processes, free_port
from tests._env import HOOK_PASSWORD, HOOK_USER
from tests.conftest import DEMO_PASSWORD, database_url, metrics_folder, query, start_simulator

pytestmark = pytest.mark.browser


@pytest.fixture
def product(tmp_path):
    with Processes() as procs:
        valkey_port, port = free_port(), free_port()
        redis = processes.valkey(procs, valkey_port)
        sim = start_simulator(
            procs, "--no-traffic", "--webhook-url", f"http://127.0.0.1:{port}/webhooks/thulium/",
            "--webhook-user", HOOK_USER, "--webhook-password", HOOK_PASSWORD,
        )  # fmt: skip
        env = {
            **os.environ,
            "DATABASE_URL": database_url(tmp_path),
            "PROMETHEUS_MULTIPROC_DIR": metrics_folder(tmp_path),
            "REDIS_URL": f"{redis}/0",
            "THULIUM_API_URL": sim.api_url,
            "THULIUM_POLL_SECONDS": "1",
            "DEMO_PASSWORD": DEMO_PASSWORD,
            "LOG_LEVEL": "ERROR",
        }
        for test_only in ("DJANGO_ALLOW_ASYNC_UNSAFE", "QUEUE_PUSH_DELAY_MS"):
            env.pop(test_only, None)
        for command in (["migrate", "--noinput", "-v", "0"], ["demo_users"], ["thulium_poll"]):
            assert processes.manage(env, *command).returncode == 0
        url = processes.web_and_worker(procs, env, port, tmp_path / "beat", concurrency=1)

        def stop_redis():
            valkey = next(proc for name, proc in procs.procs if name == "valkey")
            os.killpg(valkey.pid, signal.SIGKILL)
            valkey.wait()

        def start_redis():
            processes.valkey(procs, valkey_port)

        yield {"url": url, "sim": sim, "db": env["DATABASE_URL"], "stop_redis": stop_redis,
               "start_redis": start_redis}  # fmt: skip


def _stored(db: str, login: str) -> list[tuple[str, str]]:
    return query(
        db,
        "SELECT action, state FROM crm_bridge_webhookevent WHERE agent_login = %s "
        "AND action = 'AGENT_STATUS_CHANGED'",
        (login,),
    )


def test_webhooks_are_applied_while_redis_is_down_and_the_board_catches_up(page, product):
    url, sim = product["url"], product["sim"]
    page.goto(f"{url}/login/")
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{url}/")
    target = next(a["login"] for a in sim.state()["agents"] if a["status"] == "FREE")
    row = page.locator(f"#agent-{target}")
    expect(row).to_have_attribute("data-status", "FREE", timeout=15_000)
    banner = page.locator("[data-live-banner]")
    expect(banner).to_be_hidden()

    product["stop_redis"]()
    expect(banner).to_be_visible(timeout=25_000)  # no heartbeat for 15 s
    expect(banner).to_contain_text("Live updates paused")
    sent_before = sim.state()["webhook_stats"].get("sent", 0)
    # A supervisor in Thulium's own panel pauses the agent: Thulium sends AGENT_STATUS_CHANGED.
    assert sim.api("POST", f"agents/{target}/pause", data={"pause_id": "3"}).status_code == 201
    stats = {}
    for _ in range(100):
        stats = sim.state()["webhook_stats"]
        if stats.get("sent", 0) > sent_before and _stored(product["db"], target) == [
            ("AGENT_STATUS_CHANGED", "applied")
        ]:
            break
        page.wait_for_timeout(100)
    assert _stored(product["db"], target) == [("AGENT_STATUS_CHANGED", "applied")]
    assert not stats.get("failed") and not stats.get("dropped")  # answered 2xx, while Redis is down
    expect(row).to_have_attribute("data-status", "FREE")  # the board cannot know yet

    product["start_redis"]()
    expect(row).to_have_attribute("data-status", "PAUSED", timeout=45_000)
    expect(banner).to_be_hidden()
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload
