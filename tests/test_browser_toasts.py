"""Every action a supervisor takes says how it went: a toast for each, even when the row the
button was in has already been replaced by the live update the action caused."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_each_action_shows_its_toast(page, login, stack):
    page.on("dialog", lambda dialog: dialog.accept())  # "Log out …?"
    login(page)
    status = {a["login"]: a["status"] for a in stack.sim.state()["agents"]}
    target = next(login for login, s in status.items() if s == "FREE")
    row = page.locator(f"#agent-{target}")
    expect(row).to_be_visible(timeout=15_000)
    page.evaluate(
        """() => { window.toastsSeen = [];
             new MutationObserver(ms => ms.forEach(m => m.addedNodes.forEach(n => {
               if (n.classList && n.classList.contains('toast')) toastsSeen.push(n.textContent);
             }))).observe(document.getElementById('toasts'), {childList: true}); }"""
    )
    steps = [("logout", "OFF"), ("login", "FREE"), ("logout", "OFF"), ("login", "FREE")]
    for action, then in steps:
        row.locator(f"button[data-action={action}]").click()
        expect(row).to_have_attribute("data-status", re.compile(then), timeout=10_000)
    for _ in range(50):  # the last answer may still be on its way
        if len(toasts := page.evaluate("window.toastsSeen")) >= 4:
            break
        page.wait_for_timeout(200)
    assert len(toasts) == 4 and all("done" in t for t in toasts), toasts
