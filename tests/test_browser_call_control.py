"""Call control from the live board in a real Chromium against the whole running product."""

import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _agents(stack) -> dict:
    return {a["login"]: a for a in stack.sim.state()["agents"]}


def _queue_call_answered(stack) -> tuple[str, str]:
    """A queue call rings an agent (Thulium's webhooks reach the board); they pick it up."""
    stack.sim.control("event", {"action": "INBOUND_CALL", "source_number": "601202303"})
    end = time.monotonic() + 40
    while time.monotonic() < end:
        for login, a in _agents(stack).items():
            if a.get("call", {}).get("phone_number") is None and a["status"] in (
                "RINGING",
                "INBOUND_CALL",
            ):
                stack.sim.control("softphone", {"agent_login": login, "softphone": True})
                if a["status"] == "RINGING":
                    stack.sim.api("POST", f"agents/{login}/answer")
                return login, a["call"]["connection_id"]
        time.sleep(0.2)
    raise AssertionError("the queue call rang nobody")


def test_a_transfer_from_the_board_moves_the_call_to_the_other_agent(page, login, stack):
    login(page)
    expect(page.locator("tr.agent").first).to_be_visible(timeout=15_000)
    source, connection_id = _queue_call_answered(stack)
    row = page.locator(f"#agent-{source}")
    expect(row).to_have_attribute("data-status", "INBOUND_CALL", timeout=10_000)
    expect(row.locator("[data-field=call]")).to_contain_text("601202303")
    target = next(
        name
        for name, a in sorted(_agents(stack).items())
        if a["status"] == "FREE" and name != source
    )
    target_row = page.locator(f"#agent-{target}")
    expect(target_row).to_have_attribute("data-status", "FREE")

    # A call's controls sit behind one button of the row, named for the agent.
    name = row.locator(".who strong").text_content()
    expect(row.locator("[data-action=transfer]")).to_be_hidden()
    control = row.locator("details.call-control > summary")
    expect(control).to_have_attribute("aria-label", f"Call control {name}")
    control.click()
    assert "sort=" not in page.url  # a click in a row is no click on a column's sort link
    row.locator("[data-action=transfer]").click()
    expect(row.locator("[data-action=hold]")).to_be_hidden()  # the menu closes
    dialog = page.locator("#action-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("select[name=to_agent]").select_option(value=target)
    dialog.locator("[data-submit=transfer]").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".toast-success")).to_contain_text("done")

    expect(target_row).to_have_attribute("data-status", "INBOUND_CALL", timeout=10_000)
    expect(target_row.locator("[data-field=call]")).to_contain_text("601202303")
    expect(row).not_to_have_attribute("data-status", "INBOUND_CALL", timeout=10_000)
    assert _agents(stack)[target]["call"]["connection_id"] == connection_id
    stack.sim.api("POST", f"agents/{target}/hangup")
    expect(target_row).not_to_have_attribute("data-status", "INBOUND_CALL", timeout=10_000)
