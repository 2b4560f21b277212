"""A wallboard in a real Chromium against the whole running product: it updates live, shows
"data stale since" when its feed is cut, recovers by itself with a fresh snapshot, and goes
blank with a plain message when its link is revoked. No ORM here: the stack is another process."""

import itertools
import random
import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

_calls = itertools.count(1)


def _now() -> str:
    return datetime.now(ZoneInfo("Europe/Warsaw")).strftime("%Y-%m-%d %H:%M:%S")


def _call(stack, action: str, cid: str, queue: int, **extra):
    fields = {"action": action, "connection_id": cid, "queue_id": str(queue), "date": _now()}
    response = stack.webhook({**fields, **{k: str(v) for k, v in extra.items()}})
    assert response.status_code == 200, response.text


def _wallboard(stack, name: str, queue: int) -> str:
    token = stack.manage(
        "wallboard_create", name, "--kind", "queues", "--language", "en", "--queue", str(queue)
    ).strip()
    return f"{stack.url}/wallboard/{token}/"


def test_a_wallboard_updates_live_and_says_when_its_data_is_stale(page, stack):
    queue = random.randint(900, 9999)
    url = _wallboard(stack, f"Floor {queue}", queue)
    cut = {"on": False}
    routes = []

    def route(ws):
        routes.append(ws)
        if cut["on"]:
            ws.close(code=1011, reason="cut by the test")  # as if the server went away
        else:
            ws.connect_to_server()

    page.route_web_socket(re.compile(r"/ws/wallboard/"), route)
    page.goto(url)
    tile = page.locator(f"#queue-{queue}")
    waiting = tile.locator("[data-field=waiting]")
    banner = page.locator("[data-live-banner]")
    expect(waiting).to_have_text("0")
    expect(banner).to_be_hidden()
    assert page.locator("form, button, a[href]").count() == 0  # nothing to click on a wallboard

    # Live: a call enters the queue; the tile shows it waiting, and the longest wait ticks.
    cid = f"wb-{queue}-{next(_calls)}"
    started = time.monotonic()
    _call(stack, "ENTER_QUEUE", cid, queue, source_number="500100200")
    expect(waiting).to_have_text("1", timeout=3_000)
    print(f"event-to-wallboard: {1000 * (time.monotonic() - started):.0f} ms")
    longest = tile.locator("[data-field=longest]")
    expect(longest).to_have_text(re.compile(r"^0:0[1-9]$"), timeout=5_000)

    # The feed is cut: the banner says since when the data is stale, and the page keeps trying.
    cut["on"] = True
    routes[-1].close(code=1011, reason="cut by the test")
    expect(banner).to_be_visible(timeout=5_000)
    expect(banner).to_contain_text(re.compile(r"Data stale since \d\d:\d\d:\d\d"))
    _call(stack, "AGENT_CONNECTED", cid, queue, agent_login="wb-agent")  # missed while cut
    page.wait_for_timeout(1_500)
    expect(waiting).to_have_text("1")
    tries = len(routes)
    page.wait_for_timeout(2_000)
    assert len(routes) > tries, "the wallboard should keep reconnecting by itself"

    # Back: it reconnects by itself, and the fresh snapshot carries what it missed.
    cut["on"] = False
    expect(banner).to_be_hidden(timeout=15_000)
    expect(waiting).to_have_text("0")
    expect(tile.locator("[data-field=answered]")).to_have_text("1")
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload


def test_a_revoked_wallboard_says_so_and_its_link_is_gone(page, stack):
    queue = random.randint(900, 9999)
    name = f"Revoked {queue}"
    url = _wallboard(stack, name, queue)
    page.goto(url)
    expect(page.locator(f"#queue-{queue}")).to_be_visible()
    page.wait_for_timeout(500)  # the socket is open
    stack.manage("wallboard_create", name, "--revoke")
    expect(page.locator("[data-live-banner]")).to_contain_text("switched off", timeout=5_000)
    assert page.goto(url).status == 404
