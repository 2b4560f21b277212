"""One screen that shows what matters, as a supervisor's and a floor's screens show it: at
1400x900 the queue summary and at least 15 agent rows without scrolling; at 390 px wide the
board has no horizontal scroll; at 1920x1080 the demo wallboard (its queues and 40 agents)
fits the screen. Screenshots are kept in the test's folder."""

from contextlib import contextmanager

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _rows_in_view(page) -> int:
    return page.evaluate(
        """() => [...document.querySelectorAll('tr.agent:not([hidden])')].filter(r => {
             const b = r.getBoundingClientRect(); return b.top >= 0 && b.bottom <= innerHeight;
           }).length"""
    )


@contextmanager
def _board(browser, stack, width: int, height: int, locale: str = "en-GB"):
    """The board in a browser window of this size, logged in, its rows shown."""
    context = browser.new_context(viewport={"width": width, "height": height}, locale=locale)
    page = context.new_page()
    try:
        page.goto(f"{stack.url}/login/")
        page.fill("input[name=username]", stack.username)
        page.fill("input[name=password]", stack.password)
        page.click("button[type=submit]")
        expect(page.locator("tr.agent").first).to_be_visible(timeout=15_000)
        yield page
    finally:
        context.close()


@contextmanager
def _the_demo_centre(stack):
    """Only the demo centre's own queues on screen (earlier tests learned queues of their own
    in this shared product); shown again afterwards."""
    state = stack.sim.state()
    calls = [q["queue_id"] for q in state["queues"]]
    chats = [q["chat_queue_id"] for q in state["chat_queues"]]
    demo = f"Q(kind='call', number__in={calls}) | Q(kind='chat', number__in={chats})"
    others = f"Queue.objects.exclude({demo})"
    code = "from django.db.models import Q; from dashboard.models import Queue; "
    hidden = stack.manage(
        "shell",
        "-c",
        code + f"print(list({others}.filter(hidden=False).values_list('pk', flat=True)))",
    )
    stack.manage("shell", "-c", code + f"{others}.update(hidden=True)")
    try:
        yield
    finally:
        pks = hidden.strip().splitlines()[-1]  # after the shell's own first line
        stack.manage(
            "shell", "-c", code + f"Queue.objects.filter(pk__in={pks}).update(hidden=False)"
        )


@pytest.mark.parametrize("locale", ["en-GB", "pl-PL"])
def test_a_supervisors_screen_shows_the_queues_and_fifteen_agents(browser, stack, tmp_path, locale):
    with (
        _the_demo_centre(stack),
        _board(browser, stack, 1400, 900, locale) as page,
        _one_paused_on_screen(stack, page),
    ):
        page.screenshot(path=tmp_path / f"board-1400x900-{locale}.png")
        panel = page.locator("#queue-panel").bounding_box()
        assert panel and panel["y"] + min(panel["height"], 1) < 900  # the queues are on screen
        assert _rows_in_view(page) >= 15, _rows_in_view(page)
        # The attention strip (heading, breaches, sound switch on one line) grows to two lines
        # of breaches at most, then scrolls: one line was 37 px here, two 54 px (the shared
        # product's breaches at that moment decide which).
        strip = page.locator("#attention").bounding_box()
        assert strip and strip["height"] <= 70, strip
        crowded = page.evaluate(
            """() => {  // a bad minute: forty breaches listed at once
                 const list = document.querySelector('[data-attention-list]');
                 for (let i = 0; i < 40; i++) list.insertAdjacentHTML('beforeend',
                   `<li data-level="red"><a href="#">Agentka ${i} — przerwa · 15:0${i % 10}</a>
                    <button type="button">OK</button></li>`);
                 return document.querySelector('#attention').getBoundingClientRect().height;
               }"""
        )
        assert crowded <= 70, crowded
        # Nothing runs past the right edge (every button of a row is on screen), and each
        # row's cells stand under their column's heading.
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth + 1")
        lefts = page.evaluate(
            """() => [document.querySelector('table.agents thead tr'),
                      ...document.querySelectorAll('tr.agent:not([hidden])')].slice(0, 15)
                 .map(r => [...r.cells].map(c => Math.round(c.getBoundingClientRect().left)))"""
        )
        assert all(row == lefts[0] for row in lefts[1:]), lefts
        # A row's buttons on one line in either language, a paused agent's five too.
        lines = page.evaluate(
            """() => [...document.querySelectorAll('tr.agent:not([hidden])')].slice(0, 15)
                 .map(r => [r.dataset.status, new Set([...r.querySelectorAll(
                   'td.actions > button, td.actions > details')].map(b =>
                   Math.round(b.getBoundingClientRect().top))).size])"""
        )
        assert "PAUSED" in {status for status, _ in lines}, lines
        assert all(count == 1 for _, count in lines), lines


@contextmanager
def _one_paused_on_screen(stack, page):
    """The first free agent in view paused in Thulium (the simulator), shown paused; free
    again afterwards (a pause left running would turn red later, in another test's board)."""
    row = page.locator("tr.agent[data-status=FREE]").first
    login = row.get_attribute("data-login")
    assert stack.sim.api("POST", f"agents/{login}/pause", json={"pause_id": "3"}).ok
    try:
        expect(page.locator(f"tr#agent-{login}")).to_have_attribute(
            "data-status", "PAUSED", timeout=15_000
        )
        yield
    finally:
        assert stack.sim.api("POST", f"agents/{login}/free").ok


def test_a_phone_sized_board_has_no_horizontal_scroll(browser, stack, tmp_path):
    with _board(browser, stack, 390, 844) as page:
        page.screenshot(path=tmp_path / "board-390.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth + 1")


def test_the_demo_wallboard_fits_a_full_hd_screen(browser, stack, tmp_path):
    for queue in stack.sim.state()["queues"]:  # every queue of the demo centre has a call
        call = {"action": "ENTER_QUEUE", "connection_id": f"layout-{queue['queue_id']}",
                "queue_id": str(queue["queue_id"]), "date": stack.sim.state()["now"]}  # fmt: skip
        assert stack.webhook(call).status_code == 200
    with _the_demo_centre(stack):
        token = stack.manage(
            "wallboard_create", "Sala", "--kind", "all", "--language", "pl"
        ).strip()
        context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-GB")
        page = context.new_page()
        try:
            page.goto(f"{stack.url}/wallboard/{token}/")
            expect(page.locator(".wb-agent").first).to_be_visible(timeout=15_000)
            state = stack.sim.state()
            expect(page.locator(".wb-tile")).to_have_count(
                len(state["queues"]) + len(state["chat_queues"])  # chat queues named from Thulium
            )
            page.wait_for_timeout(1_000)  # the page fits itself to the screen
            page.screenshot(path=tmp_path / "wallboard-1920x1080.png")
            assert page.evaluate(
                "document.documentElement.scrollHeight <= innerHeight + 1"
                " && document.documentElement.scrollWidth <= innerWidth + 1"
            )
        finally:
            context.close()
