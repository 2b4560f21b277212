"""A supervisor's board in a real Chromium against the whole running product: queue tiles worst
first, "in status" longest first with logged-off agents last, "hide logged off", a queue tile
opening the agents who serve it, today's numbers on each row, the row's buttons copied from
one template per status, and the campaign form's predictive-only fields."""

import re
import time

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

ORDER_KEYS = """() => [...document.querySelectorAll('#queue-panel > .queue-tile')].map(t => {
    const since = t.querySelector('[data-field=longest]').getAttribute('data-since');
    return [t.id, {red: 2, amber: 1}[t.dataset.alert] || 0,
            Number(t.querySelector('[data-field=waiting]').textContent),
            since ? Date.parse(since) : null];
})"""


def _board(page, login):
    login(page)
    expect(page.locator("tr.agent").first).to_be_visible(timeout=15_000)
    return page


def _sim_agents(stack) -> dict:
    return {a["login"]: a for a in stack.sim.state()["agents"]}


def _event(stack, **data):
    stack.sim.control("event", data)


def _webhook(stack, **data):
    response = stack.webhook({**data, "date": stack.sim.state()["now"]})
    assert response.status_code == 200


def _visible_logins(page) -> list[str]:
    return page.eval_on_selector_all(
        "tr.agent:not([hidden])", "rows => rows.map(r => r.dataset.login)"
    )


def test_queue_tiles_worst_first_follow_live_pushes_and_are_remembered(page, login, stack):
    queues = [str(q["queue_id"]) for q in stack.sim.state()["queues"]]
    red_early, busy = queues[-1], queues[-2]  # last in the server's order: they must move up
    stack.manage(
        "shell",
        "-c",
        "from dashboard.models import Queue, Threshold; "
        f"Queue.objects.get_or_create(kind='call', number={busy}); "
        f"q, _ = Queue.objects.get_or_create(kind='call', number={red_early}); "
        "Threshold.objects.update_or_create(metric='waiting', queue=q, "
        "defaults={'amber': 1, 'red': 2})",
    )
    time.sleep(5.5)  # every process has the new thresholds (each keeps them 5 s)
    calls = []

    def enter(queue: str, n: int):
        for _ in range(n):
            cid = f"17990{len(calls):05d}.{queue}"
            calls.append((cid, queue))
            _webhook(stack, action="ENTER_QUEUE", connection_id=cid, queue_id=queue)

    try:
        _board(page, login)
        server_order = page.eval_on_selector_all(
            "#queue-panel > .queue-tile", "tiles => tiles.map(t => t.id)"
        )
        toggle = page.locator("[data-queue-worst-toggle]")
        expect(toggle).to_have_attribute("aria-pressed", "false")
        toggle.click()
        expect(toggle).to_have_attribute("aria-pressed", "true")

        # 2 waiting: over this queue's own red (2); 4 in another queue (amber at the default 3).
        waiting = {q: page.locator(f"#queue-{q} [data-field=waiting]") for q in (red_early, busy)}
        base = {q: int(w.text_content()) for q, w in waiting.items()}  # earlier tests' calls
        enter(red_early, 2)
        enter(busy, 4)
        expect(waiting[red_early]).to_have_text(str(base[red_early] + 2))
        expect(waiting[busy]).to_have_text(str(base[busy] + 4))
        expect(page.locator(f"#queue-{red_early}")).to_have_attribute("data-alert", "red")

        def in_order():
            """The tiles' order is red, amber, none; then the most waiting; then the longest
            wait; then the server's order."""
            keys = page.evaluate(ORDER_KEYS)
            expected = sorted(
                keys,
                key=lambda k: (
                    -k[1],
                    -k[2],
                    k[3] if k[3] is not None else float("inf"),
                    server_order.index(k[0]) if k[0] in server_order else 999,
                ),
            )
            return [k[0] for k in keys], [k[0] for k in expected], keys

        def settled():
            deadline = time.monotonic() + 5
            while True:
                ids, expected, keys = in_order()
                if ids == expected:
                    return {k[0]: k for k in keys}, ids
                assert time.monotonic() < deadline, keys
                time.sleep(0.2)

        keys, ids = settled()
        assert keys[f"queue-{red_early}"][1] == 2  # red at 2 waiting (its own threshold)
        # a red one with 2 waiting comes before every tile not red, however many wait there
        first_not_red = min(i for i, t in enumerate(ids) if keys[t][1] < 2)
        assert ids.index(f"queue-{red_early}") < first_not_red

        enter(busy, 3)  # 3 more: a live push moves the tile as it passes the others
        expect(waiting[busy]).to_have_text(str(base[busy] + 7))
        keys, ids = settled()
        assert keys[f"queue-{busy}"][1] == 2  # red now (7 or more waiting)
        assert ids.index(f"queue-{busy}") < ids.index(f"queue-{red_early}")  # more waiting

        page.reload()  # remembered in this browser
        expect(page.locator("[data-queue-worst-toggle]")).to_have_attribute("aria-pressed", "true")
        keys, ids = settled()
        assert ids.index(f"queue-{busy}") < ids.index(f"queue-{red_early}"), ids

        page.locator("[data-queue-worst-toggle]").click()  # off: the server's order again
        expect(page.locator("#queue-panel > .queue-tile").first).to_have_id(server_order[0])
        assert (
            page.eval_on_selector_all("#queue-panel > .queue-tile", "ts => ts.map(t => t.id)")
            == server_order
        )
    finally:
        for cid, queue in calls:
            _webhook(stack, action="EXIT_QUEUE", connection_id=cid, queue_id=queue)
        stack.manage(
            "shell",
            "-c",
            "from dashboard.models import Threshold; "
            f"Threshold.objects.filter(metric='waiting', queue__number={red_early}).delete()",
        )
        page.evaluate("localStorage.removeItem('thulium-queue-worst')")


def test_in_status_sorts_the_longest_first_and_logged_off_agents_last(page, login, stack):
    _board(page, login)
    page.locator("th a[data-sort=since]").click()
    expect(page).to_have_url(re.compile(r"sort=since"))

    def statuses_and_since():
        return page.eval_on_selector_all(
            "#agent-rows tr.agent",
            """rows => rows.map(r => [r.dataset.login, r.dataset.status,
                  r.querySelector('[data-since]') ?
                  Date.parse(r.querySelector('[data-since]').dataset.since) : null])""",
        )

    def in_order(rows) -> bool:
        off = [r[1] == "OFF" for r in rows]  # logged-off agents after every one logged in
        on = [r[2] for r in rows if r[1] != "OFF" and r[2] is not None]
        return off == sorted(off) and on == sorted(on)  # the longest in status first

    def settled():  # the snapshot (in name order) and live rows are re-sorted within a second
        deadline = time.monotonic() + 4
        while not in_order(rows := statuses_and_since()):
            assert time.monotonic() < deadline, rows
            time.sleep(0.2)
        return rows

    rows = settled()
    assert any(r[1] == "OFF" for r in rows) and any(r[1] != "OFF" for r in rows)
    header = page.locator("th:has(a[data-sort=since])")
    expect(header).to_have_attribute("title", "Longest first; logged-off agents last")

    # Live: an agent paused just now goes to the end of the logged-in ones; one who logs out
    # goes among the logged off.
    free = [login for login, a in _sim_agents(stack).items() if a["status"] == "FREE"]
    paused, leaving = free[0], free[1]
    try:
        _event(stack, action="AGENT_STATUS_CHANGED", agent_login=paused, pause_id=3)
        _event(stack, action="AGENT_LOGGED_OUT", agent_login=leaving)
        expect(page.locator(f"#agent-{paused}")).to_have_attribute("data-status", "PAUSED")
        expect(page.locator(f"#agent-{leaving}")).to_have_attribute("data-status", "OFF")
        time.sleep(1.2)  # the board re-sorts at most once a second
        rows = settled()
        logins = [r[0] for r in rows]
        last_on = max(i for i, r in enumerate(rows) if r[1] != "OFF")
        assert logins.index(paused) == last_on
        assert logins.index(leaving) > last_on
    finally:
        _event(stack, action="AGENT_STATUS_CHANGED", agent_login=paused)
        _event(stack, action="AGENT_LOGGED_IN", agent_login=leaving)


def test_hide_logged_off_follows_live_rows_keeps_the_counts_true_and_is_remembered(
    page, login, stack
):
    _board(page, login)
    agents = _sim_agents(stack)
    leaving = next(login for login, a in agents.items() if a["status"] == "FREE")
    coming = next(login for login, a in agents.items() if a["status"] == "OFF")
    off_count = page.locator("[data-count=OFF]")
    offs = int(off_count.text_content())
    assert offs > 0
    page.check("[data-hide-off]")
    expect(page.locator("tr.agent[data-status=OFF]:not([hidden])")).to_have_count(0)
    expect(page.locator(f"#agent-{coming}")).to_be_hidden()
    try:
        _event(stack, action="AGENT_LOGGED_OUT", agent_login=leaving)
        expect(page.locator(f"#agent-{leaving}")).to_have_attribute("data-status", "OFF")
        expect(page.locator(f"#agent-{leaving}")).to_be_hidden()
        expect(off_count).to_have_text(str(offs + 1))  # the counts count the hidden too

        _event(stack, action="AGENT_LOGGED_IN", agent_login=coming)
        expect(page.locator(f"#agent-{coming}")).to_be_visible(timeout=5_000)
        expect(off_count).to_have_text(str(offs))

        page.reload()
        expect(page.locator("[data-hide-off]")).to_be_checked()
        expect(page.locator(f"#agent-{leaving}")).to_be_hidden()
        served = page.request.get(page.url).text()  # the page as served, before any script
        assert re.search(rf'<tr id="agent-{leaving}"[^>]*\shidden>', served)  # no flash
        assert "data-hide-off checked" in served
        expect(page.locator("tr.agent[data-status=OFF]:not([hidden])")).to_have_count(0)
        page.uncheck("[data-hide-off]")
        expect(page.locator(f"#agent-{leaving}")).to_be_visible()
    finally:
        _event(stack, action="AGENT_LOGGED_IN", agent_login=leaving)
        _event(stack, action="AGENT_LOGGED_OUT", agent_login=coming)
        page.evaluate("localStorage.removeItem('thulium-hide-off')")


def test_a_queue_tile_opens_the_agents_who_serve_it_and_back(page, login, stack):
    state = stack.sim.state()
    queue = str(state["queues"][0]["queue_id"])
    agents = {a["login"]: a for a in state["agents"]}
    group = next(a["group_id"] for a in agents.values() if a.get("group_id"))
    _served_by(page, login, stack, queue, group)
    everyone = _visible_logins(page)
    served = [
        r
        for r in page.eval_on_selector_all(
            "tr.agent", "rows => rows.map(r => [r.dataset.login, r.dataset.group])"
        )
        if r[1] == str(group)
    ]
    assert 0 < len(served) < len(everyone)
    try:
        name = page.locator(f"#queue-{queue} [data-queue-agents]")
        name.focus()
        page.keyboard.press("Enter")  # a button: the keyboard opens it too
        expect(name).to_have_attribute("aria-pressed", "true")
        note = page.locator("[data-queue-filter-note]")
        expect(note).to_be_visible()
        expect(note).to_contain_text(name.text_content())
        expect(page).to_have_url(re.compile(rf"queue={queue}"))
        assert sorted(_visible_logins(page)) == sorted(login for login, _ in served)

        # Live rows keep to it: one of another group changing stays hidden.
        other = next(
            login
            for login, a in agents.items()
            if a["status"] == "FREE" and a.get("group_id") != group
        )
        _event(stack, action="AGENT_STATUS_CHANGED", agent_login=other, pause_id=3)
        expect(page.locator(f"#agent-{other}")).to_have_attribute("data-status", "PAUSED")
        expect(page.locator(f"#agent-{other}")).to_be_hidden()

        page.reload()  # the link keeps the queue
        expect(note).to_be_visible()
        assert sorted(_visible_logins(page)) == sorted(login for login, _ in served)
        html = page.request.get(page.url).text()  # the page as served, before any script
        assert re.search(rf'<tr id="agent-{other}"[^>]*\shidden>', html)  # hidden from the start

        page.get_by_role("button", name="Show all agents").click()
        expect(note).to_be_hidden()
        expect(page.locator("tr.agent:not([hidden])")).to_have_count(len(everyone))
        assert "queue=" not in page.url
    finally:
        _event(stack, action="AGENT_STATUS_CHANGED", agent_login=other)
        _serve(stack, queue, [])


def _serve(stack, queue: str, groups: list) -> None:
    """Set in admin which agent groups serve a queue (none: learned from its calls)."""
    stack.manage(
        "shell",
        "-c",
        "from dashboard.models import Queue; "
        f"Queue.objects.get_or_create(kind='call', number={queue})[0].agent_groups.set({groups})",
    )


def _served_by(page, login, stack, queue: str, group):
    """The board open, with `group` serving `queue`: the tile's agents line."""
    _serve(stack, queue, [group])
    _board(page, login)
    line = page.locator(f"#queue-{queue}-agents")
    if line.get_attribute("data-groups") != str(group):
        page.reload()  # a board opened before the change learns it with the next push
    expect(line).to_have_attribute("data-groups", str(group))
    return line


def test_a_queue_tiles_agents_line_follows_its_agents_live(page, login, stack):
    state = stack.sim.state()
    queue = str(state["queues"][0]["queue_id"])
    free = [a for a in state["agents"] if a["status"] == "FREE" and a.get("group_id")]
    agent, group = free[0]["login"], free[0]["group_id"]
    line = _served_by(page, login, stack, queue, group)
    paused = int(re.search(r"(\d+) paused", line.text_content()).group(1))
    try:
        _event(stack, action="AGENT_STATUS_CHANGED", agent_login=agent, pause_id=3)
        expect(page.locator(f"#agent-{agent}")).to_have_attribute("data-status", "PAUSED")
        expect(line).to_contain_text(f"· {paused + 1} paused")
        _event(stack, action="AGENT_STATUS_CHANGED", agent_login=agent)
        expect(line).to_contain_text(f"· {paused} paused")
    finally:
        _event(stack, action="AGENT_STATUS_CHANGED", agent_login=agent)
        _serve(stack, queue, [])


def test_todays_numbers_on_a_row_follow_live_events_and_say_their_source(page, login, stack):
    _board(page, login)
    agent = next(login for login, a in _sim_agents(stack).items() if a["status"] == "FREE")
    row = page.locator(f"#agent-{agent}")
    calls, talk = row.locator("[data-today=answered]"), row.locator("[data-today=talk]")
    paused = row.locator("[data-today=paused]")
    before = int(calls.text_content())
    expect(page.locator("th", has_text="Today")).to_have_attribute(
        "title",
        "Calls answered · talk time · time in pauses: "
        "since midnight, from the events received here",
    )
    queue = str(stack.sim.state()["queues"][0]["queue_id"])
    cid = "1799999999.42"
    for action, extra in (
        ("AGENT_RINGING", {}),
        ("AGENT_CONNECTED", {}),
        ("AGENT_COMPLETED", {"duration": "70", "billsec": "65"}),
    ):
        _webhook(
            stack, action=action, agent_login=agent, connection_id=cid, queue_id=queue, **extra
        )
    expect(calls).to_have_text(str(before + 1), timeout=5_000)
    expect(talk).not_to_have_text("0:00")
    assert talk.text_content().endswith(":05")  # 65 s billed, added to what was there

    try:
        _event(stack, action="AGENT_STATUS_CHANGED", agent_login=agent, pause_id=3)
        expect(row).to_have_attribute("data-status", "PAUSED", timeout=5_000)
        expect(paused).to_have_attribute("data-paused-from", re.compile(r"\d"))
        row.scroll_into_view_if_needed()  # timers tick on the rows on screen
        page.wait_for_timeout(1_100)
        first = paused.text_content()
        page.wait_for_timeout(2_200)
        assert paused.text_content() != first  # the running pause grows with no event
    finally:
        _event(stack, action="AGENT_STATUS_CHANGED", agent_login=agent)
    expect(row).to_have_attribute("data-status", "FREE", timeout=5_000)
    expect(paused).not_to_have_attribute("data-paused-from", re.compile("."))
    expect(paused).not_to_have_text("0:00")  # the pause that ended is counted


def test_row_buttons_come_from_the_status_template_and_name_their_agent(page, login, stack):
    _board(page, login)
    agent = next(login for login, a in _sim_agents(stack).items() if a["status"] == "FREE")
    row = page.locator(f"#agent-{agent}")
    name = row.locator(".who strong").text_content()
    for label in ("Pause…", "Call…", "Last call…", "Log out"):
        expect(row.get_by_role("button", name=f"{label} {name}", exact=True)).to_have_count(1)
    expect(row.locator("[data-action=free]")).to_have_count(0)
    try:
        _event(stack, action="AGENT_STATUS_CHANGED", agent_login=agent, pause_id=3)
        expect(row).to_have_attribute("data-status", "PAUSED", timeout=5_000)
        unpause = row.get_by_role("button", name=f"Unpause {name}", exact=True)
        unpause.focus()
        page.keyboard.press("Enter")  # reached and pressed from the keyboard
        expect(row).to_have_attribute("data-status", "FREE", timeout=5_000)
    finally:
        _event(stack, action="AGENT_STATUS_CHANGED", agent_login=agent)


def test_campaign_form_shows_the_predictive_fields_for_the_predictive_dialer_only(
    page, login, stack
):
    login(page, stack.admin_username, stack.admin_password)
    page.goto(f"{stack.url}/campaigns/new/")
    dialer = page.locator("select[name=dialer]")
    low, high = (
        page.locator("[name=predictive_min_calls]"),
        page.locator("[name=predictive_max_calls]"),
    )
    dialer.select_option("predictive")
    expect(low).to_be_visible()
    expect(high).to_be_visible()
    dialer.select_option("progressive")
    expect(low).to_be_hidden()
    expect(high).to_be_hidden()
    expect(page.locator("[name=preview_timeout]")).to_be_visible()
    dialer.select_option("predictive")
    low.fill("3")
    high.fill("2")
    page.fill("input[name=name]", "Predictive check")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".errorlist")).to_contain_text("Min calls cannot exceed max calls.")
    expect(low).to_be_visible()  # shown again after the round trip, with its error
