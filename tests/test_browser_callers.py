"""Who is calling, in a real Chromium against the whole running product: a waiting call's
caller in the queue tile and a ringing agent's caller on the row, named by Thulium's CRM
(looked up by the product's Celery worker), and an unknown number said to be unknown."""

import re
import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _person(stack, offset: int) -> dict:
    (person,) = stack.sim.api("GET", "customers", params={"limit": 1, "offset": offset}).json()
    return person


def _ringing(stack, number: str) -> str:
    stack.sim.control("event", {"action": "INBOUND_CALL", "source_number": number})
    end = time.monotonic() + 30
    while time.monotonic() < end:
        for a in stack.sim.state()["agents"]:
            if a["status"] == "RINGING" and (a.get("call") or {}).get("source_number") == number:
                return a["login"]
        time.sleep(0.2)
    raise AssertionError(f"the call from {number} rang nobody")


def _end_call_from(stack, number: str) -> None:
    """Hang the call up for good (a ringing queue call hung up at one agent rings the next)."""
    end = time.monotonic() + 30
    while time.monotonic() < end:
        agents = [a for a in stack.sim.state()["agents"]
                  if (a.get("call") or {}).get("source_number") == number]  # fmt: skip
        if not agents:
            return
        a = agents[0]
        if a["status"] == "RINGING":  # answered first, as the agent would
            stack.sim.control("softphone", {"agent_login": a["login"], "softphone": True})
            stack.sim.api("POST", f"agents/{a['login']}/answer")
            stack.sim.control("softphone", {"agent_login": a["login"], "softphone": a["softphone"]})
        stack.sim.api("POST", f"agents/{a['login']}/hangup")
        time.sleep(0.2)
    raise AssertionError(f"the call from {number} did not end")


def test_callers_are_named_in_the_waiting_list_and_on_the_ringing_row(page, login, stack):
    login(page)
    expect(page.locator("tr.agent").first).to_be_visible(timeout=15_000)
    page.locator("[data-queue-details-toggle]").click()  # compact tiles show the counts only
    waiting, ringing = _person(stack, 1200), _person(stack, 1300)

    # A call waits in queue 155: its number at once, the CRM's name a moment later.
    number = waiting["phone_number"]
    event = {"action": "ENTER_QUEUE", "connection_id": "who.wait", "queue_id": "155"}
    stack.sim.control("event", {**event, "source_number": number})
    entry = page.locator(f"#queue-155 [data-waiting-call='{number}']")
    expect(entry).to_be_visible(timeout=10_000)
    expect(entry.locator("[data-caller]")).to_have_text(
        f"{waiting['name']} {waiting['surname']}", timeout=10_000
    )

    # A known customer rings an agent: the row names them.
    agent = _ringing(stack, ringing["phone_number"])
    row = page.locator(f"#agent-{agent}")
    expect(row).to_have_attribute("data-status", "RINGING", timeout=10_000)
    expect(row.locator("[data-field=call] [data-caller]")).to_contain_text(
        f"{ringing['name']} {ringing['surname']}", timeout=10_000
    )
    # The cell cuts a long name: its tooltip has the whole name and the number.
    expect(row.locator("[data-field=call]")).to_have_attribute(
        "title", re.compile(f"^{ringing['name']} {ringing['surname']}.* {ringing['phone_number']}$")
    )
    _end_call_from(stack, ringing["phone_number"])

    # A stranger: the row says the number is unknown to the CRM.
    stranger = _ringing(stack, "799000111")
    row = page.locator(f"#agent-{stranger}")
    expect(row.locator("[data-field=call] [data-caller=unknown]")).to_have_text(
        "Unknown number", timeout=10_000
    )
    _end_call_from(stack, "799000111")
    stack.sim.control("event", {"action": "ABANDONED", "connection_id": "who.wait",
                                "queue_id": "155", "hold_time": "30"})  # fmt: skip
    expect(entry).to_have_count(0, timeout=10_000)
