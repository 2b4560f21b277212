"""Alerts in a real Chromium against the whole running product: a pause that crosses its
reason's limit turns the row amber then red at that moment, with no event arriving, says so in
words, and the attention strip lists it; a click on the entry goes to the row; opted in, a new
red one is announced (sound, browser notification); a supervisor acknowledges it."""

import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAUSE_ID = 5  # "callback progress", one of Thulium's default pauses
SET_LIMIT = (
    "from dashboard.models import Threshold; "
    "Threshold.objects.update_or_create(metric='pause', pause_reason_id={pid}, "
    "defaults={{'amber': {amber}, 'red': {red}}})"
)
UNSET_LIMIT = (
    "from dashboard.models import Threshold; "
    "Threshold.objects.filter(metric='pause', pause_reason_id={pid}).delete()"
)
# Every board message that names the agent's row, and when the row's data-alert changed.
WATCH = """login => {
    window.rowMessages = 0; window.alertChanges = [];
    document.addEventListener("htmx:wsBeforeMessage", e => {
        if (e.detail.message.indexOf('id="agent-' + login + '"') !== -1) window.rowMessages++;
    });
    new MutationObserver(records => records.forEach(r => {
        if (r.target.id === "agent-" + login) {
            const since = Date.parse(r.target.querySelector("[data-since]").dataset.since);
            window.alertChanges.push([r.target.dataset.alert, (Date.now() - since) / 1000]);
        }
    })).observe(document.getElementById("agent-rows"),
        {attributes: true, attributeFilter: ["data-alert"], subtree: true});
}"""


def test_a_pause_turns_red_at_its_limit_with_no_event_and_the_strip_lists_it(page, login, stack):
    stack.manage("shell", "-c", SET_LIMIT.format(pid=PAUSE_ID, amber=3, red=6))
    time.sleep(5.5)  # every process has the new thresholds (each keeps them 5 s)
    try:
        login(page)
        expect(page.locator("tr.agent").first).to_be_visible(timeout=15_000)
        agents = stack.sim.state()["agents"]
        target = next(a for a in agents if a["status"] == "FREE")
        row = page.locator(f"#agent-{target['login']}")
        page.check("[data-alert-notify]")  # opt in to a sound and notification for a new red
        stack.sim.control(
            "event",
            {"action": "AGENT_STATUS_CHANGED", "agent_login": target["login"], "pause_id": 5},
        )
        expect(row).to_have_attribute("data-status", "PAUSED", timeout=5_000)
        page.evaluate(WATCH, target["login"])
        expect(row).to_have_attribute("data-alert", "amber", timeout=5_000)
        expect(row.locator("[data-alert-flag]")).to_have_text("Warning: callback progress")
        expect(row).to_have_attribute("data-alert", "red", timeout=6_000)
        expect(row.locator("[data-alert-flag]")).to_have_text("Over limit: callback progress")

        expect(page.locator("[data-attention]")).to_have_attribute("data-notified", "1")
        changes = page.evaluate("window.alertChanges")
        assert [level for level, _ in changes] == ["amber", "red"]
        amber_at, red_at = changes[0][1], changes[1][1]
        assert 3 <= amber_at < 4.5 and 6 <= red_at < 7.5, changes  # on time, to a second
        assert page.evaluate("window.rowMessages") == 0  # the browser did it: no event came

        name = row.get_attribute("data-alert-subject")
        entry = page.locator("[data-attention-list] li", has_text=name)
        expect(entry).to_have_attribute("data-level", "red")
        expect(entry).to_contain_text("callback progress")
        expect(page.locator("[data-attention-list] li").first).to_have_attribute(
            "data-level", "red"
        )  # worst first
        page.mouse.wheel(0, 3000)
        entry.locator("a").click()
        assert page.evaluate("document.activeElement.id") == f"agent-{target['login']}"
        expect(row).to_be_in_viewport()

        # Acknowledged: silenced on the board (still listed, after the rest, saying by whom).
        entry.get_by_role("button", name=f"Acknowledge: {name}").click()
        expect(row).to_have_attribute("data-ack", "red", timeout=5_000)
        expect(entry).to_have_attribute("data-acked", "")
        expect(entry).to_contain_text(f"acknowledged by {stack.username}")

        # Unpaused: the row is fine again and leaves the strip.
        stack.sim.control(
            "event", {"action": "AGENT_STATUS_CHANGED", "agent_login": target["login"]}
        )
        expect(row).to_have_attribute("data-alert", "", timeout=5_000)
        expect(entry).to_have_count(0)
    finally:
        stack.manage("shell", "-c", UNSET_LIMIT.format(pid=PAUSE_ID))
