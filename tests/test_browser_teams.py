"""A supervisor of one team in a real Chromium against the whole running product: the board
and every websocket frame it receives carry only that team's agents, while agents of other
teams change; the action buttons of a viewer are not there."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_a_one_team_supervisor_never_receives_another_teams_agent(page, login, stack):
    people = {a["login"]: a for a in stack.sim.api("GET", "agents").json()}
    groups = sorted({int(a["group_id"]) for a in people.values() if a.get("group_id")})
    mine = groups[0]  # make run's "team" user: a supervisor of the first agent group
    ours = [login for login, a in people.items() if str(a.get("group_id")) == str(mine)]
    others = [login for login, a in people.items() if login and str(a.get("group_id")) != str(mine)]
    frames = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda f: frames.append(str(f))))
    login(page, "team")
    rows = page.locator("tr.agent")
    expect(rows.first).to_be_visible(timeout=15_000)
    shown = {row.removeprefix("agent-") for row in rows.evaluate_all("r => r.map(e => e.id)")}
    assert shown == set(ours)

    # Agents of every team change; this board hears only of its own.
    status = {a["login"]: a["status"] for a in stack.sim.state()["agents"]}
    theirs = next(login for login in others if status.get(login) == "FREE")
    own = next(login for login in ours if status.get(login) == "FREE")
    for target in (theirs, own):
        stack.sim.control("event", {"action": "AGENT_STATUS_CHANGED", "agent_login": target,
                                    "pause_id": "1"})  # fmt: skip
    expect(page.locator(f"#agent-{own}")).to_have_attribute("data-status", "PAUSED", timeout=5_000)
    page.wait_for_timeout(1_500)  # what the other team's change would have sent has arrived
    for target in (theirs, own):
        stack.sim.control("event", {"action": "AGENT_STATUS_CHANGED", "agent_login": target})
    expect(page.locator(f"#agent-{own}")).to_have_attribute("data-status", "FREE", timeout=5_000)
    seen = "".join(frames)
    assert f'id="agent-{own}"' in seen
    assert not re.search(r'id="agent-(' + "|".join(map(re.escape, others)) + r')"', seen)
