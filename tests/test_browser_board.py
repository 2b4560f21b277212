"""The live board in a real Chromium against the whole running product."""

import re

import pytest
import requests
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _agents(stack) -> dict:
    return {a["login"]: a for a in stack.sim.state()["agents"]}


def _a_free_agent(stack) -> str:
    return next(login for login, a in _agents(stack).items() if a["status"] == "FREE")


def _board(page, login, stack):
    login(page)
    # The first poll has filled the board within a couple of beats.
    expect(page.locator("tr.agent").first).to_be_visible(timeout=15_000)
    return page


def test_it_requires_logging_in(page, stack):
    page.goto(stack.url + "/")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.fill("input[name=username]", stack.username)
    page.fill("input[name=password]", "not the password")
    page.click("button[type=submit]")
    expect(page.locator(".error")).to_contain_text("Wrong username or password")


def test_a_row_changes_live_when_a_webhook_arrives(page, login, stack):
    _board(page, login, stack)
    target = _a_free_agent(stack)
    row = page.locator(f"#agent-{target}")
    expect(row).to_have_attribute("data-status", "FREE")
    response = stack.webhook(
        {
            "action": "AGENT_RINGING",
            "agent_login": target,
            "connection_id": "1799999999.7",
            "queue_id": "155",
            "source_number": "523993855",
            "destination_number": "162",
            "date": stack.sim.state()["now"],
        }
    )
    assert response.status_code == 200
    expect(row).to_have_attribute("data-status", "RINGING", timeout=5_000)
    expect(row).to_contain_text("523993855")
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload


def test_pausing_an_agent_turns_the_row_paused_with_the_reason(page, login, stack):
    _board(page, login, stack)
    target = _a_free_agent(stack)
    row = page.locator(f"#agent-{target}")
    row.locator("[data-action=pause]").click()
    dialog = page.locator("#action-dialog")
    expect(dialog).to_be_visible()
    dialog.locator("select[name=pause_id]").select_option(label="przerwa")
    dialog.locator("[data-submit=pause]").click()
    expect(dialog).to_be_hidden()
    expect(page.locator(".toast-success")).to_contain_text("done")
    expect(row).to_have_attribute("data-status", "PAUSED", timeout=5_000)
    expect(row.locator("[data-field=pause]")).to_have_text("przerwa")
    assert _agents(stack)[target]["pause_id"] == 3  # Thulium (the simulator) paused them

    row.locator("[data-action=free]").click()
    expect(row).to_have_attribute("data-status", "FREE", timeout=5_000)


def test_a_thulium_error_is_shown_with_its_request_id(page, login, stack):
    # A pause name set up in admin for an id this tenant does not have: Thulium refuses it.
    stack.manage(
        "shell",
        "-c",
        "from crm_bridge.models import PauseReason; "
        "PauseReason.objects.get_or_create(pause_id=97, defaults={'name': 'Szkolenie'})",
    )
    _board(page, login, stack)
    target = _a_free_agent(stack)
    row = page.locator(f"#agent-{target}")
    row.locator("[data-action=pause]").click()
    page.locator("#action-dialog select[name=pause_id]").select_option(label="Szkolenie")
    page.locator("[data-submit=pause]").click()
    toast = page.locator(".toast-error")
    expect(toast).to_contain_text("failed")
    expect(toast).to_contain_text(re.compile(r"request_id [0-9a-f]{8,}"))
    expect(row).to_have_attribute("data-status", "FREE")


def test_filters_live_in_the_url_and_follow_live_changes(page, login, stack):
    _board(page, login, stack)
    page.select_option("select[name=status]", "PAUSED")
    expect(page).to_have_url(re.compile(r"status=PAUSED"))
    target = _a_free_agent(stack)
    row = page.locator(f"#agent-{target}")
    expect(row).to_be_hidden()
    requests.post(
        f"{stack.sim.base}/_sim/event",
        json={"action": "AGENT_STATUS_CHANGED", "agent_login": target, "pause_id": 2},
        timeout=5,
    )
    expect(row).to_be_visible(timeout=5_000)
    page.fill("input[name=q]", "no-such-agent-anywhere")
    expect(row).to_be_hidden()
    expect(page).to_have_url(re.compile(r"q=no-such-agent-anywhere"))


def test_time_in_status_counts_up_in_the_browser(page, login, stack):
    _board(page, login, stack)
    ticker = page.locator("tr.agent:not([hidden]) time.ticker").first
    first = ticker.inner_text()
    page.wait_for_timeout(2_100)
    assert ticker.inner_text() != first


IN_ORDER = """order => {
    const at = [...document.querySelectorAll("tr.agent")].map(r => order.indexOf(r.dataset.status));
    return at.every((value, i) => i === 0 || at[i - 1] <= value);
}"""


def test_sorting_by_status_is_kept_in_the_url(page, login, stack):
    _board(page, login, stack)
    page.click("[data-sort=status]")
    expect(page).to_have_url(re.compile(r"sort=status"))
    order = ["FREE", "RINGING", "INBOUND_CALL", "OUTBOUND_CALL", "CALL", "OUTBOUND_PREVIEW",
             "PAUSED", "OFF"]  # fmt: skip
    # The socket's first snapshot may land just after the click: it is sorted within a second.
    page.wait_for_function(IN_ORDER, arg=order, timeout=5_000)
    statuses = page.eval_on_selector_all("tr.agent", "rows => rows.map(r => r.dataset.status)")
    assert [order.index(s) for s in statuses] == sorted(order.index(s) for s in statuses)
    page.reload()
    expect(page.locator("[data-sort=status]")).to_have_class(re.compile("active"))


def test_the_board_says_plainly_when_thulium_stops_answering(page, login, stack):
    _board(page, login, stack)
    banner = page.locator("#health-banner")
    expect(banner).to_be_hidden()
    stack.sim.control("outage", {"seconds": 4})
    expect(banner).to_be_visible(timeout=5_000)
    expect(banner).to_contain_text("Thulium data is stale since")
    expect(banner).to_contain_text("Service temporarily unavailable")
    expect(banner).to_contain_text(re.compile(r"request_id [0-9a-f]{8,}"))
    expect(page.locator("tr.agent").first).to_be_visible()  # the board keeps working
    expect(banner).to_be_hidden(timeout=10_000)  # Thulium is back: the next poll clears it


@pytest.mark.parametrize("code", [1011, 1001])  # the ws extension retries 1011; 1001 is ours
def test_a_lost_live_connection_is_said_and_recovered_with_what_was_missed(
    page, login, stack, code
):
    cut, sockets = {"on": False}, []

    def route(ws):
        sockets.append(ws)
        if cut["on"]:
            ws.close(code=code, reason="cut by the test")
        else:
            ws.connect_to_server()

    page.route_web_socket(re.compile(r"/ws/live/"), route)
    _board(page, login, stack)
    target = _a_free_agent(stack)
    row = page.locator(f"#agent-{target}")
    banner = page.locator("[data-live-banner]")
    expect(banner).to_be_hidden()

    cut["on"] = True
    sockets[-1].close(code=code, reason="cut by the test")  # as if the server went away
    expect(banner).to_be_visible(timeout=5_000)
    expect(banner).to_contain_text(re.compile(r"Live updates paused since \d\d:\d\d:\d\d"))
    stack.sim.control("event", {"action": "AGENT_STATUS_CHANGED", "agent_login": target,
                                "pause_id": 4})  # fmt: skip
    page.wait_for_timeout(1_500)
    expect(row).to_have_attribute("data-status", "FREE")  # missed while cut
    tries = len(sockets)
    page.wait_for_timeout(2_500)
    assert len(sockets) > tries, "the board keeps reconnecting by itself"

    cut["on"] = False
    expect(banner).to_be_hidden(timeout=15_000)
    expect(row).to_have_attribute("data-status", "PAUSED")  # the fresh snapshot carried it
    assert page.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload
    stack.sim.control("event", {"action": "AGENT_STATUS_CHANGED", "agent_login": target})


def test_clicking_an_agent_shows_their_day(page, login, stack):
    _board(page, login, stack)
    target = _a_free_agent(stack)
    stack.sim.control("event", {"action": "AGENT_STATUS_CHANGED", "agent_login": target,
                                "pause_id": 2})  # fmt: skip
    row = page.locator(f"#agent-{target}")
    expect(row).to_have_attribute("data-status", "PAUSED", timeout=5_000)
    row.locator("td.who").click()
    dialog = page.locator("#action-dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Time by status")
    expect(dialog.locator("ol.timeline")).to_contain_text("Paused: administracyjna")
    dialog.locator("[data-close-dialog]").click()
    expect(dialog).to_be_hidden()
    stack.sim.control("event", {"action": "AGENT_STATUS_CHANGED", "agent_login": target})
