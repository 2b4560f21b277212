"""Chats and e-mail today, and agents by status, in a real Chromium against the whole running
product (its Celery beat polls the simulator's chats/reports/summary and tickets/today_stats):
the board and an "All channels" wallboard show Thulium's own numbers and a new chat reaches
both live; the intraday page draws the agents-by-status chart beside its table. No ORM here:
the stack is another process."""

import random
import zlib
from datetime import date, timedelta

import pytest
from playwright.sync_api import expect

from .test_browser_csp import WATCH_VIOLATIONS

pytestmark = pytest.mark.browser


def _thulium(stack) -> tuple[int, int]:
    """(chats incoming today, tickets open now) as the simulator answers them."""
    day = stack.sim.state()["now"][:10]
    summary = stack.sim.api(
        "GET",
        "chats/reports/summary",
        params={"date_from": day, "date_to": day, "sum_users": "true", "aggregate_by": "day"},
    ).json()
    tickets = stack.sim.api("GET", "tickets/today_stats").json()
    return (summary[0]["incoming"] if summary else 0), tickets["open"]


def _shown(page, prefix: str) -> tuple[str, str]:
    return (
        page.locator(f'#{prefix}-chats [data-field="chats-incoming"]').inner_text(),
        page.locator(f'#{prefix}-tickets [data-field="tickets-open"]').inner_text(),
    )


def _until_equal(page, prefix: str, stack) -> tuple[int, int]:
    """The page's numbers once they are Thulium's (the beat polls every couple of seconds)."""
    for _ in range(60):
        thulium = _thulium(stack)
        if page.locator(f'#{prefix}-chats [data-field="chats-incoming"]').count():
            if _shown(page, prefix) == tuple(map(str, thulium)):
                return thulium
        page.wait_for_timeout(500)
    raise AssertionError(f"{_shown(page, prefix)} never became Thulium's {_thulium(stack)}")


def test_the_board_and_a_wallboard_show_todays_chats_and_e_mail_live(page, login, stack):
    token = stack.manage("wallboard_create", "Kanały", "--kind", "all", "--language", "en")
    page.add_init_script(WATCH_VIOLATIONS)
    login(page)
    chats, _ = _until_equal(page, "channel", stack)
    tickets = page.locator("#channel-tickets")
    expect(tickets).to_contain_text("E-mail today")
    bok = stack.sim.api("GET", "tickets/today_stats").json()["queues"][0]["open"]
    expect(tickets.locator('li[data-ticket-queue="BOK e-mail"]')).to_have_text(
        f"BOK e-mail: {bok} open"
    )
    expect(page.locator("#channel-tiles [data-stale]")).to_have_count(0)

    wall = page.context.new_page()
    wall.goto(f"{stack.url}/wallboard/{token.strip()}/")
    _until_equal(wall, "wb-channel", stack)
    expect(wall.locator("#wb-channel-tickets")).to_contain_text("Open now")

    # A new chat in Thulium: both screens show it without a reload.
    conversation = next(  # one the simulator does not make empty (its crc32 % 25)
        c for c in (f"b-{random.random()}" for _ in range(50)) if zlib.crc32(c.encode()) % 25
    )
    stack.sim.control(
        "event",
        {"action": "CHAT_CONVERSATION_CREATED", "conversation_id": conversation,
         "chat_queue_id": 1},
    )  # fmt: skip
    assert _thulium(stack)[0] > chats
    board_chats = page.locator('#channel-chats [data-field="chats-incoming"]')
    expect(board_chats).to_have_text(str(_thulium(stack)[0]), timeout=20_000)
    wall_chats = wall.locator('#wb-channel-chats [data-field="chats-incoming"]')
    expect(wall_chats).to_have_text(str(_thulium(stack)[0]), timeout=20_000)
    assert page.evaluate("window.__cspViolations") == []


def test_the_intraday_page_draws_agents_by_status(page, login, stack):
    # One of the centre's agents (no agent of our own on everyone's board); its live state
    # does not move: these events are weeks older than it.
    login_name = stack.sim.state()["agents"][-1]["login"]
    day = date.today() - timedelta(days=random.randint(15, 28))  # a day no other test uses
    for action, at, extra in (
        ("AGENT_LOGGED_IN", "10:00:00", {}),
        ("AGENT_STATUS_CHANGED", "10:06:00", {"pause_id": "2"}),
        ("AGENT_LOGGED_OUT", "10:15:00", {}),
    ):
        fields = {"action": action, "agent_login": login_name, "date": f"{day} {at}", **extra}
        assert stack.webhook(fields).status_code == 200
    page.add_init_script(WATCH_VIOLATIONS)
    login(page)
    row = page.locator('#agents-status-table tr[data-status-interval="10:00"]')
    for _ in range(20):  # the product's processor applies the events within a moment
        page.goto(f"{stack.url}/intraday/?day={day:%Y-%m-%d}&minutes=15")
        if row.count():
            break
        page.wait_for_timeout(500)
    expect(row.locator('[data-status="FREE"]')).to_have_text("0.4")  # 360 s of 900
    expect(row.locator('[data-status="PAUSED"]')).to_have_text("0.6")
    expect(row.locator('[data-status="logged-in"]')).to_have_text("1.0")
    chart = page.locator('#agents-status-chart[data-drawn="true"]')
    expect(chart.locator("canvas")).to_have_count(1)
    box = chart.locator("canvas").bounding_box()
    assert box["width"] > 300 and box["height"] > 200
    expect(chart.locator(".u-legend")).to_contain_text("Paused")
    assert page.evaluate("window.__cspViolations") == []
