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


def _before(a: str, b: str) -> bool:
    """a sorts before b in Polish alphabetical order (written out here, letter by letter)."""
    alphabet = " aąbcćdeęfghijklłmnńoópqrsśtuvwxyzźż"

    def key(text):
        return [alphabet.index(c) if c in alphabet else 100 + ord(c) for c in text.lower()]

    return key(a) <= key(b)


def test_a_wallboard_of_agents_moves_only_the_cells_that_change(page, stack):
    token = stack.manage("wallboard_create", "Agents", "--kind", "agents", "--language", "pl")
    frames = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(f)))
    page.goto(f"{stack.url}/wallboard/{token.strip()}/")
    cells = page.locator(".wb-agent-grid li.wb-agent")
    expect(cells.first).to_be_visible(timeout=15_000)

    # In Polish alphabetical order of surname, then name.
    people = {a["login"]: a for a in stack.sim.api("GET", "agents").json()}
    status = {a["login"]: a["status"] for a in stack.sim.state()["agents"]}
    shown = [
        cell.removeprefix("wb-agent-") for cell in cells.evaluate_all("els => els.map(e => e.id)")
    ]
    names = [f"{people[login]['surname']} {people[login]['name']}" for login in shown]
    assert all(_before(a, b) for a, b in zip(names, names[1:], strict=False)), names

    # An agent logs off: their cell goes, by itself; logs in again: it comes back in its place.
    target = next(login for login in shown[1:-1] if status[login] == "FREE")
    after = shown[shown.index(target) + 1]
    cell = page.locator(f"#wb-agent-{target}")
    stack.sim.control("event", {"action": "AGENT_LOGGED_OUT", "agent_login": target})
    expect(cell).to_have_count(0, timeout=5_000)
    # Only that cell is pushed. (The periodic whole-grid refresh may remove the cell a moment
    # before that push arrives: wait for the push itself, not only for the cell to go.)
    gone = f'id="wb-agent-{target}" data-gone'
    for _ in range(50):
        if any(gone in str(f) for f in frames):
            break
        page.wait_for_timeout(100)
    assert any(gone in str(f) for f in frames)
    stack.sim.control("event", {"action": "AGENT_LOGGED_IN", "agent_login": target})
    expect(cell).to_be_visible(timeout=5_000)
    assert cell.evaluate("el => el.nextElementSibling.id") == f"wb-agent-{after}"

    # A pause: the cell says so and the counts move.
    paused = page.locator("#wb-counts li.status-PAUSED .n")
    before = int(paused.inner_text())
    stack.sim.control("event", {"action": "AGENT_STATUS_CHANGED", "agent_login": target,
                                "pause_id": "1"})  # fmt: skip
    expect(cell).to_have_class(re.compile(r"status-PAUSED"), timeout=5_000)
    expect(cell).to_contain_text("Pauza")
    expect(paused).to_have_text(str(before + 1))
    stack.sim.control("event", {"action": "AGENT_STATUS_CHANGED", "agent_login": target})
    expect(cell).to_have_class(re.compile(r"status-FREE"), timeout=5_000)
