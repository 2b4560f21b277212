"""A keyboard user's focus stays where it was when the row it is in updates live."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_focus_stays_on_the_button_when_its_row_updates(page, login, stack):
    login(page)
    status = {a["login"]: a["status"] for a in stack.sim.state()["agents"]}
    target = next(login for login, s in status.items() if s == "FREE")
    row = page.locator(f"#agent-{target}")
    expect(row).to_be_visible(timeout=15_000)
    row.locator("button[data-action=logout]").focus()
    stack.sim.control("event", {"action": "AGENT_STATUS_CHANGED", "agent_login": target,
                                "pause_id": "1"})  # fmt: skip
    expect(row).to_have_attribute("data-status", "PAUSED", timeout=5_000)
    focused = page.evaluate(
        "() => [document.activeElement.dataset.action,"
        " document.activeElement.closest('tr') && document.activeElement.closest('tr').id]"
    )
    assert focused == ["logout", f"agent-{target}"]
    stack.sim.control("event", {"action": "AGENT_STATUS_CHANGED", "agent_login": target})
    expect(row).to_have_attribute("data-status", "FREE", timeout=5_000)
