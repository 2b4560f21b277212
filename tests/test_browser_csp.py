"""Every screen under the Content-Security-Policy in a real Chromium: no inline script runs, the
browser reports no violation, and the pages still work live (htmx, websockets, our scripts)."""

import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__cspViolations.push(e.violatedDirective + " blocked " + e.blockedURI + " at "
                              + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture
def watched(page):
    """The page, recording CSP violations (the DOM event and Chromium's console message) and
    the frames every websocket receives."""
    page.add_init_script(WATCH_VIOLATIONS)
    page.console_messages = []
    page.on("console", lambda message: page.console_messages.append(message.text))
    page.frames_by_socket = {}

    def on_socket(ws):
        path = ws.url.split("/ws/")[-1].split("?")[0]  # without the page's ?lang=
        frames = page.frames_by_socket.setdefault(path, [])
        ws.on("framereceived", lambda frame: frames.append(frame))

    page.on("websocket", on_socket)
    return page


def _no_violations(page) -> None:
    reported = [m for m in page.console_messages if "Content Security Policy" in m]
    assert reported == []
    assert page.evaluate("window.__cspViolations") == []


def _wait_for_frames(page, socket: str, timeout: float = 10) -> None:
    """Until the websocket at /ws/<socket> has received a frame (its snapshot, a heartbeat)."""
    for _ in range(int(timeout * 10)):
        if page.frames_by_socket.get(socket):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"/ws/{socket} received nothing: {page.frames_by_socket}")


def _now() -> str:
    return datetime.now(ZoneInfo("Europe/Warsaw")).strftime("%Y-%m-%d %H:%M:%S")


def test_the_policy_forbids_inline_scripts(page, stack):
    policy = page.goto(f"{stack.url}/login/").headers["content-security-policy"]
    directives = {d.split()[0]: d.split()[1:] for d in policy.split("; ")}
    assert directives["script-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert not {"script-src-attr", "script-src-elem"} & set(directives)  # nothing loosened
    assert set(directives["connect-src"]) == {"'self'", stack.url.replace("http", "ws", 1)}
    # An inline script slipped into a page would not run.
    page.set_content("")  # about:blank has no policy; re-open the page and try
    page.goto(f"{stack.url}/login/")
    page.evaluate(
        """() => { const s = document.createElement("script");
                   s.textContent = "window.__ranInline = true"; document.body.append(s); }"""
    )
    assert page.evaluate("window.__ranInline") is None


def test_the_board_and_an_agents_day_work_under_the_policy(watched, login, stack):
    page = login(watched, stack.admin_username, stack.admin_password)
    expect(page.locator("tr.agent").first).to_be_visible(timeout=15_000)
    _wait_for_frames(page, "live/")
    target = next(a["login"] for a in stack.sim.state()["agents"] if a["status"] == "FREE")
    row = page.locator(f"#agent-{target}")
    event = {"action": "AGENT_RINGING", "agent_login": target, "connection_id": "1799999998.1",
             "queue_id": "155", "source_number": "523993855"}  # fmt: skip
    event["date"] = stack.sim.state()["now"]
    assert stack.webhook(event).status_code == 200
    expect(row).to_have_attribute("data-status", "RINGING", timeout=5_000)  # live, over the socket

    row.locator("td.who").click()  # the agent's day, loaded by htmx into the dialog
    dialog = page.locator("#action-dialog")
    expect(dialog).to_contain_text("Time by status")
    dialog.locator("[data-close-dialog]").click()
    expect(dialog).to_be_hidden()
    stack.sim.control("event", {"action": "AGENT_STATUS_CHANGED", "agent_login": target})
    _no_violations(page)


def test_campaigns_work_under_the_policy(watched, login, stack):
    page = login(watched, stack.admin_username, stack.admin_password)
    page.goto(f"{stack.url}/campaigns/")
    expect(page.locator("[id^=campaign-]").first).to_be_visible()
    _wait_for_frames(page, "campaigns/")  # the live socket is open and sends

    page.goto(f"{stack.url}/campaigns/new/")  # the form; an empty one comes back with errors
    page.locator(".campaign-form button[type=submit]").click()
    expect(page.locator(".campaign-form .errorlist").first).to_be_visible()

    page.goto(f"{stack.url}/campaigns/00001/")  # the agent picker's search (static script)
    labels = page.locator("[data-picker] label")
    expect(labels.first).to_be_visible()
    total = labels.count()
    page.fill("[data-agent-search]", "no-such-agent-anywhere")
    expect(page.locator("[data-picker] label:visible")).to_have_count(0)
    page.fill("[data-agent-search]", "")
    expect(page.locator("[data-picker] label:visible")).to_have_count(total)
    _no_violations(page)


def test_wallboards_work_under_the_policy(watched, login, stack):
    queue = random.randint(900, 9999)
    token = stack.manage("wallboard_create", f"CSP {queue}", "--kind", "queues", "--queue",
                         str(queue)).strip()  # fmt: skip
    page = login(watched, stack.admin_username, stack.admin_password)
    page.goto(f"{stack.url}/wallboards/")
    row = page.locator("tr", has_text=f"CSP {queue}")
    row.locator("[data-copy-link]").click()  # static/dashboard/pages.js
    expect(row.locator("[data-copy-link]")).to_have_text("Copied")
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    row.locator("[data-action=revoke]").click()  # "Revoke …?" answered Cancel: not sent
    page.wait_for_timeout(500)
    assert questions == [f"Revoke CSP {queue}? Screens showing it go blank."]
    page.reload()
    expect(row.locator("[data-copy-link]")).to_be_visible()  # still active
    _no_violations(page)

    page.goto(f"{stack.url}/wallboard/{token}/")
    waiting = page.locator(f"#queue-{queue} [data-field=waiting]")
    expect(waiting).to_have_text("0")
    _wait_for_frames(page, f"wallboard/{token}/")
    fields = {"action": "ENTER_QUEUE", "connection_id": f"csp-{queue}", "queue_id": str(queue),
              "date": _now(), "source_number": "500100200"}  # fmt: skip
    assert stack.webhook(fields).status_code == 200
    expect(waiting).to_have_text("1", timeout=5_000)  # live
    _no_violations(page)
