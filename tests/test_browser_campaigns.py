"""A campaign admin assigns agents in a real browser; a supervisor's campaign list follows live."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

POLL = (
    "from crm_bridge import campaign_sync, sync; "
    "sync.poll_directory(); campaign_sync.poll_list(); campaign_sync.poll_stats()"
)


def test_admin_assigns_agents_and_the_list_updates_live(stack, browser, page, login):
    created = stack.sim.api(
        "POST",
        "outbounds",
        json={"id": "B0001", "name": "Browser test", "dialer": "preview", "crm": False},
    )
    assert created.status_code == 201, created.text
    stack.manage("shell", "-c", POLL)
    logins = [a["login"] for a in stack.sim.api("GET", "agents").json() if a["login"]][:2]

    watcher_context = browser.new_context(viewport={"width": 1400, "height": 900})
    watcher = watcher_context.new_page()
    login(watcher)
    watcher.goto(f"{stack.url}/campaigns/")
    row = watcher.locator("#campaign-B0001")
    expect(row.locator("[data-agents-count]")).to_have_text("0")
    expect(watcher.locator("text=New campaign")).to_have_count(0)  # supervisors read only

    login(page, stack.admin_username, stack.admin_password)
    page.goto(f"{stack.url}/campaigns/B0001/")
    expect(page.locator("#campaign-agents")).to_contain_text("No agents work this campaign yet")
    for agent_login in logins:
        page.fill("[data-agent-search]", agent_login)
        page.check(f"[data-picker] input[value='{agent_login}']")
    page.click("[data-preview]")
    for agent_login in logins:
        expect(page.locator(f"[data-will-add='{agent_login}']")).to_be_visible()
    page.click("[data-apply]")
    for agent_login in logins:
        expect(page.locator(f"#campaign-agents [data-member='{agent_login}']")).to_be_visible()
        expect(page.locator(f"[data-result='{agent_login}']")).to_contain_text("added")
    expect(page.locator("#toasts")).to_contain_text("2 agent(s) added")

    # The supervisor's list changed without a reload, pushed over the websocket.
    expect(row.locator("[data-agents-count]")).to_have_text("2")
    watcher_context.close()


def test_a_campaigns_agents_show_their_live_status(page, login, stack):
    login(page)
    page.goto(f"{stack.url}/campaigns/00001/")
    member = page.locator("#campaign-agents tr[data-member]").first
    agent = member.get_attribute("data-member")
    # Thulium logs the agent out (state and webhook, as a real tenant would).
    stack.sim.control("event", {"action": "AGENT_LOGGED_OUT", "agent_login": agent})
    try:
        badge = member.locator(f'[data-agent-status="{agent}"]')
        expect(badge).to_have_class(re.compile(r"status-OFF"), timeout=5_000)
        expect(badge).to_have_text("Logged off")
        assert page.evaluate("performance.getEntriesByType('navigation').length") == 1
    finally:
        stack.sim.control("event", {"action": "AGENT_LOGGED_IN", "agent_login": agent})
