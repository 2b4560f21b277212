"""The intraday page in a real Chromium against the whole running product: a few calls'
webhooks posted to the receiver, processed by the product's own event processor, show in the
table with their hand-worked numbers and in a chart drawn under the Content-Security-Policy.
No ORM here: the stack is another process."""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from .test_browser_csp import WATCH_VIOLATIONS

pytestmark = pytest.mark.browser
WARSAW = ZoneInfo("Europe/Warsaw")


def _quarter_before(minutes: int) -> datetime:
    """The start of the local quarter hour `minutes` ago: its calls are all in the past."""
    then = datetime.now(WARSAW) - timedelta(minutes=minutes)
    return then.replace(minute=then.minute // 15 * 15, second=0, microsecond=0)


def _post(stack, queue: int, cid: str, start: datetime, *steps) -> None:
    for action, seconds, extra in steps:
        when = (start + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")
        fields = {"action": action, "connection_id": cid, "queue_id": str(queue), "date": when}
        response = stack.webhook({**fields, **extra})
        assert response.status_code == 200, response.text


def _answered(stack, queue, cid, start, entered, wait, duration):
    agent = {"agent_login": "jkowalski"}
    done = {**agent, "duration": str(duration)}
    _post(stack, queue, cid, start,
          ("ENTER_QUEUE", entered, {}),
          ("AGENT_CONNECTED", entered + wait, agent),
          ("EXIT_QUEUE", entered + wait, {}),
          ("AGENT_COMPLETED", entered + wait + duration, done))  # fmt: skip


def test_the_intraday_chart_and_table_show_a_few_calls(page, login, stack):
    queue = random.randint(900, 9999)
    start = _quarter_before(25)
    label = f"{start:%H:%M}"
    # This quarter hour: 8 s and 30 s answers (100 s, 140 s handled), one abandoned at 50 s.
    _answered(stack, queue, f"i{queue}-1", start, 60, 8, 100)
    _answered(stack, queue, f"i{queue}-2", start, 120, 30, 140)
    _post(stack, queue, f"i{queue}-3", start,
          ("ENTER_QUEUE", 180, {}), ("ABANDONED", 230, {"hold_time": "50"}))  # fmt: skip
    # The same quarter hour a week before: one call answered in 12 s.
    _answered(stack, queue, f"i{queue}-0", start - timedelta(days=7), 60, 12, 60)

    page.add_init_script(WATCH_VIOLATIONS)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    login(page)
    page.get_by_role("link", name="Intraday").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Intraday")
    form = page.locator("form.intraday-form")
    form.locator("select[name=queue]").select_option(str(queue))
    form.locator("input[name=day]").fill(f"{start:%Y-%m-%d}")
    form.get_by_role("button", name="Show").click()

    row = page.locator(f'#intraday-table tr[data-interval="{label}"]')
    last_event = row.locator('[data-field="aht-last-week"]')  # the last one posted
    for _ in range(20):  # the product's processor applies the events within a moment
        if row.count() and last_event.inner_text() == "1:00":
            break
        page.wait_for_timeout(500)
        page.reload()
    cells = {
        field: row.locator(f'[data-field="{field}"]')
        for field in ("offered", "answered", "abandoned", "sl", "asa", "aht", "max-wait")
    }
    expected = {"offered": "3", "answered": "2", "abandoned": "1", "sl": "33%",
                "asa": "0:19", "aht": "2:00", "max-wait": "0:50"}  # fmt: skip
    for field, text in expected.items():
        expect(cells[field]).to_have_text(text)
    expect(row.locator('[data-field="offered-last-week"]')).to_have_text("1")
    expect(row.locator('[data-field="sl-last-week"]')).to_have_text("100%")
    expect(row.locator('[data-field="asa-last-week"]')).to_have_text("0:12")

    chart = page.locator('#intraday-chart[data-drawn="true"]')
    expect(chart.locator("canvas")).to_have_count(1)
    box = chart.locator("canvas").bounding_box()
    assert box["width"] > 300 and box["height"] > 200
    expect(chart.locator(".u-legend")).to_contain_text("Offered a week before")

    # Today's page fetches its body partial again every minute: a new call shows, the chart
    # is drawn again (the refresh asked for at once here).
    _answered(stack, queue, f"i{queue}-4", start, 240, 5, 60)
    url = f"/intraday/?queue={queue}&day={start:%Y-%m-%d}"
    for _ in range(20):
        page.evaluate(
            "url => htmx.ajax('GET', url, {target: '#intraday-body', swap: 'outerHTML'})", url
        )
        page.wait_for_timeout(500)
        if cells["aht"].inner_text() == "1:40":  # (100 + 140 + 60) / 3: its last event too
            break
    expect(cells["offered"]).to_have_text("4")
    expect(cells["sl"]).to_have_text("50%")  # 8 s and 5 s within 20 s, of 3 answered + 1
    expect(page.locator('#intraday-chart[data-drawn="true"] canvas')).to_have_count(1)
    assert page.locator("nav").count() == 1  # the body alone was swapped in
    assert page.evaluate("window.__cspViolations") == []
    assert problems == []


def test_a_wallboard_shows_a_queues_intraday_chart(page, stack):
    queue = random.randint(900, 9999)
    # Today's chart: just after midnight, the quarter that began it (its call ends within
    # three minutes; a date up to five minutes ahead is taken as it is).
    midnight = datetime.now(WARSAW).replace(hour=0, minute=0, second=0, microsecond=0)
    start = max(_quarter_before(20), midnight)
    _answered(stack, queue, f"w{queue}-1", start, 60, 8, 100)
    token = stack.manage(
        "wallboard_create", f"Chart {queue}", "--kind", "queues", "--language", "en",
        "--queue", str(queue),
    ).strip()  # fmt: skip
    stack.manage(
        "shell",
        "-c",
        "from dashboard.models import Queue, Wallboard; "
        f"Wallboard.objects.filter(token={token!r}).update("
        f"intraday_queue=Queue.objects.get(kind='call', number={queue}))",
    )
    page.add_init_script(WATCH_VIOLATIONS)
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.goto(f"{stack.url}/wallboard/{token}/")
    chart = page.locator('#wb-intraday-chart[data-drawn="true"]')
    expect(chart.locator("canvas")).to_have_count(1)
    expect(chart.locator(".u-legend")).to_contain_text("Offered a week before")
    assert chart.locator("canvas").bounding_box()["height"] >= 300  # readable across a room
    assert page.evaluate("window.__cspViolations") == []
    assert problems == []
