"""Polish and English in a real Chromium against the whole running product: the browser's
language picks the board's, live pushes come in it, and the switcher's choice is kept for the
user after logging out and in again, also in another browser."""

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_in(browser):
    """A fresh browser (context) whose language is `locale` (its Accept-Language)."""
    contexts = []

    def open_page(locale: str):
        context = browser.new_context(viewport={"width": 1400, "height": 900}, locale=locale)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def _polish_logged_in(n: int) -> str:
    if n == 1:
        return "1 agent zalogowany"
    if n % 10 in (2, 3, 4) and n % 100 not in (12, 13, 14):
        return f"{n} agenci zalogowani"
    return f"{n} agentów zalogowanych"


def _board(page, login, stack, username=None):
    login(page, username, DEMO_PASSWORD if username else None)
    expect(page.locator("tr.agent").first).to_be_visible(timeout=15_000)
    return page


def _a_free_agent(stack) -> str:
    return next(a["login"] for a in stack.sim.state()["agents"] if a["status"] == "FREE")


def test_a_polish_browser_gets_the_board_and_its_live_pushes_in_polish(browser_in, login, stack):
    page = _board(browser_in("pl-PL"), login, stack)
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.locator("nav")).to_contain_text("Agenci")
    expect(page.locator("#status-counts")).to_contain_text("Wolny")
    total = page.locator("[data-logged-in]")
    n = int(total.get_attribute("data-logged-in"))
    expect(total).to_have_text(_polish_logged_in(n))
    target = _a_free_agent(stack)
    row = page.locator(f"#agent-{target}")
    expect(row.locator("[data-field=status]")).to_have_text("Wolny")
    stack.webhook(
        {
            "action": "AGENT_RINGING",
            "agent_login": target,
            "connection_id": "1799999998.1",
            "queue_id": "155",
            "source_number": "523993800",
            "destination_number": "162",
            "date": stack.sim.state()["now"],
        }
    )
    expect(row.locator("[data-field=status]")).to_have_text("Dzwoni", timeout=5_000)
    expect(row.locator("button[data-action=hangup]")).to_have_text("Rozłącz")


def test_an_english_browser_gets_the_board_in_english(browser_in, login, stack):
    page = _board(browser_in("en-GB"), login, stack)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("nav")).to_contain_text("Agents")
    expect(page.locator("#status-counts")).to_contain_text("Free")
    total = page.locator("[data-logged-in]")
    n = int(total.get_attribute("data-logged-in"))
    expect(total).to_have_text(f"{n} agent logged in" if n == 1 else f"{n} agents logged in")


def test_the_switcher_is_remembered_after_logging_out_and_in(browser_in, login, stack):
    stack.manage(
        "shell",
        "-c",
        "from django.contrib.auth.models import User; "
        f"User.objects.filter(username='jezyk').exists() or User.objects.create_superuser('jezyk', password='{DEMO_PASSWORD}')",  # noqa: E501
    )
    page = _board(browser_in("en-GB"), login, stack, "jezyk")
    expect(page.locator("nav")).to_contain_text("Agents")
    page.click("[data-language-switcher] button[value=pl]")
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    expect(page.locator("nav")).to_contain_text("Agenci")
    expect(page.locator("#status-counts")).to_contain_text("Wolny")

    page.click("form.whoami button[type=submit]")  # "Wyloguj"
    expect(page).to_have_url(re.compile(r"/login/"))
    expect(page.locator("form")).to_contain_text("Nazwa użytkownika")
    _board(page, login, stack, "jezyk")
    expect(page.locator("nav")).to_contain_text("Agenci")

    # Another browser asking for English: the user's own choice wins.
    elsewhere = _board(browser_in("en-GB"), login, stack, "jezyk")
    expect(elsewhere.locator("html")).to_have_attribute("lang", "pl")
    elsewhere.click("[data-language-switcher] button[value=en]")
    expect(elsewhere.locator("nav")).to_contain_text("Agents")
    expect(elsewhere.locator("[data-language-switcher] button[value=en]")).to_have_attribute(
        "aria-pressed", "true"
    )


def test_a_wallboard_keeps_thuliums_time_whatever_the_screens_own(browser, stack):
    """The clock (and "stale since") in Thulium's time zone, on a TV set to Tokyo's."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    token = stack.manage("wallboard_create", "Zegar", "--kind", "agents", "--language", "en")
    context = browser.new_context(locale="en-GB", timezone_id="Asia/Tokyo")
    try:
        page = context.new_page()
        page.goto(f"{stack.url}/wallboard/{token.strip()}/")
        expect(page.locator("html")).to_have_attribute("data-time-zone", "Europe/Warsaw")
        page.wait_for_timeout(1_500)  # the browser's clock has ticked
        # Read between two readings of our own clock: right whatever second (or hour) it is.
        before = datetime.now(ZoneInfo("Europe/Warsaw"))
        shown = page.locator("[data-clock]").text_content()
        tokyo_hour = page.evaluate("new Date().getHours()")
        after = datetime.now(ZoneInfo("Europe/Warsaw"))
        seconds = int((after - before).total_seconds()) + 3  # the clock ticks once a second
        warsaw = {(before + timedelta(seconds=s)).strftime("%H:%M:%S") for s in range(-2, seconds)}
        assert shown in warsaw, (shown, sorted(warsaw))
        tokyo = {t.astimezone(ZoneInfo("Asia/Tokyo")) for t in (before, after)}
        assert not {t.strftime("%H:%M:%S") for t in tokyo} & {shown}  # not the screen's zone
        assert tokyo_hour in {t.hour for t in tokyo}
    finally:
        context.close()
