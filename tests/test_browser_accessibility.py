"""Accessibility as a keyboard or screen-reader user meets it: axe-core (vendored from npm for
the tests only, tests/vendor/axe-core) finds no serious or critical WCAG 2 A/AA violation on
the board, an agent's day, the campaigns pages and a wallboard; and the agent's day opens from
the keyboard."""

from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser
AXE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()


@pytest.fixture
def page(browser):
    # axe is put in the page by the test, which the product's CSP rightly forbids a page to do
    context = browser.new_context(viewport={"width": 1400, "height": 900}, bypass_csp=True)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _violations(page, within: str | None = None) -> list[str]:
    page.evaluate(AXE)
    found = page.evaluate(
        """async (within) => {
             const r = await axe.run(within ? document.querySelector(within) : document,
               {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
             return r.violations.filter(v => ['serious', 'critical'].includes(v.impact))
               .map(v => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}x: `
                         + v.nodes.slice(0, 12).map(n => n.target.join(' ') + ' '
                           + ((n.any[0] || {}).message || '').slice(0, 90)).join(' | ') + ')');
           }""",
        within,
    )
    return found


def test_the_board_and_an_agents_day(page, login, stack):
    login(page)
    expect(page.locator("tr.agent").first).to_be_visible(timeout=15_000)
    assert _violations(page) == []
    # Each button says which agent it acts on.
    row = page.locator("tr.agent").first
    name = row.locator(".who strong").inner_text()
    labels = row.locator("button").evaluate_all("bs => bs.map(b => b.getAttribute('aria-label'))")
    assert labels and all(label.endswith(name) for label in labels), labels
    # The agent's day, from the keyboard: a link in the row.
    page.locator("tr.agent a[data-day]").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("[data-action-dialog]")).to_be_visible()
    assert _violations(page, "[data-action-dialog]") == []


def test_the_campaigns_pages(page, login, stack):
    login(page, stack.admin_username, stack.admin_password)
    page.goto(f"{stack.url}/campaigns/")
    expect(page.locator("h1").first).to_be_visible()
    assert _violations(page) == []
    page.locator("a[href^='/campaigns/']").filter(has_not_text="new").first.click()
    expect(page.locator("h1").first).to_be_visible()
    assert _violations(page) == []


def test_a_wallboard(page, stack):
    token = stack.manage("wallboard_create", "A11y", "--kind", "all", "--language", "pl").strip()
    page.goto(f"{stack.url}/wallboard/{token}/")
    expect(page.locator(".wb-agent").first).to_be_visible(timeout=15_000)
    assert _violations(page) == []
