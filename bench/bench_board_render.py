"""Rendering the live agent board for 1,000 agents.

Real parts: the simulator (--agents 1000 --no-traffic) polled once into a migrated SQLite file
(directory + statuses), an embedded Valkey. Measured in-process with DEBUG off:
- the full `/` page through Django's test Client (force_login), all middleware included;
- board_snapshot() (what every (re)connecting websocket is sent first);
- the one-change fragment dashboard.live.agents_update([login]) (what one change pushes),
  and the same for 10 and 200 logins;
- what an agent change costs the pusher (the rows, counts and queue tiles' agents lines of
  live._push_agents, and the wallboards' part, live_queues.push_agents, with no wallboard
  here), rendered for every team and language
  (sends counted, not sent), with one team ("all") and with 10 supervisors' teams (one group
  each, then pairs).

    .venv/bin/python bench/bench_board_render.py [--runs 30]
"""

import argparse
import gzip
import random
import sys
import time
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import AGENTS, product_in_this_process, summary, write_result  # noqa: E402

MAX_SECONDS = 240


def timed(fn, runs: int, started: float) -> tuple[list[float], list[float], list[int], object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cpu, wall, queries, out = [], [], [], None
    for _ in range(runs):
        if time.monotonic() - started > MAX_SECONDS:
            break
        with CaptureQueriesContext(connection) as q:
            c0, w0 = time.process_time(), time.perf_counter()
            out = fn()
            wall.append((time.perf_counter() - w0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
        queries.append(len(q))
    return cpu, wall, queries, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    started = time.monotonic()
    with product_in_this_process("bench-render-"):
        result = run(args.runs, started)
    result["bench_seconds"] = round(time.monotonic() - started, 1)
    path = write_result("bench_board_render", result)
    report(result, path)


def run(runs: int, started: float) -> dict:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from crm_bridge import sync
    from crm_bridge.models import Agent
    from dashboard.live import _bump, agents_update, board_group, board_snapshot

    sync.poll_directory()
    sync.poll_statuses()
    active = list(Agent.objects.filter(active=True).values_list("login", flat=True))
    user = get_user_model().objects.create_superuser("bench-supervisor", password="x" * 12)
    browser = Client(HTTP_HOST="127.0.0.1")
    browser.force_login(user)

    def page():
        response = browser.get("/")
        assert response.status_code == 200, response.status_code
        return response.content

    results = {}
    page()  # first render loads and compiles the templates: reported apart
    cpu, wall, queries, body = timed(page, runs, started)
    results["page"] = {
        "cpu_ms": summary(cpu),
        "wall_ms": summary(wall),
        "queries": summary(queries, 0),
        "size_kb": round(len(body) / 1024, 1),
        "gzip_size_kb": round(len(gzip.compress(body, 6)) / 1024, 1),
        "rows": body.count(b'<tr id="agent-'),
    }
    # A snapshot is rendered once per change, then served from the cache to every socket that
    # (re)connects: measure both (a version bump before each run forces the render).
    bump = lambda: _bump(board_group("pl"))  # noqa: E731
    for name, before in (("ws_snapshot_render", bump), ("ws_snapshot", None)):

        def snapshot(before=before):
            if before:
                before()
            return board_snapshot("pl")

        cpu, wall, queries, snap = timed(snapshot, runs, started)
        results[name] = {
            "cpu_ms": summary(cpu),
            "wall_ms": summary(wall),
            "queries": summary(queries, 0),
            "size_kb": round(len(snap.encode()) / 1024, 1),
        }
    rng = random.Random(1)
    for n in (1, 10, 200):
        cpu, wall, queries, html = timed(
            lambda n=n: agents_update(rng.sample(active, n)), runs, started
        )
        results[f"fragment_{n}"] = {
            "logins": n,
            "cpu_ms": summary(cpu),
            "wall_ms": summary(wall),
            "queries": summary(queries, 0),
            "size_kb": round(len(html.encode()) / 1024, 2),
        }
    results.update(team_pushes(active, runs, started, rng))
    return {"agents": AGENTS, "active_agents": len(active), "runs": runs, **results}


def team_pushes(active: list[str], runs: int, started: float, rng) -> dict:
    from django.contrib.auth import get_user_model

    from crm_bridge.models import AgentGroup
    from dashboard import live, live_queues
    from dashboard.teams import set_teams

    sent = []
    live.group_send = lambda group, message: sent.append(group)  # the rendering, not Redis
    live.listened = live_queues.listened = lambda group: True  # as if every group had a screen

    def change(logins):
        live._push_agents(None, logins=logins)
        live_queues.push_agents(logins)

    results = {}
    for teams in (0, 10):
        if teams:  # one group each, then pairs of groups, until there are `teams` teams
            ids = list(AgentGroup.objects.order_by("group_id").values_list("group_id", flat=True))
            choices = [[g] for g in ids] + [list(pair) for pair in combinations(ids, 2)]
            for n, groups in enumerate(choices[:teams]):
                set_teams(get_user_model().objects.create_user(f"bench-team-{n}"), groups)
            live._scopes_memo.clear()
        for n in (1, 10):
            sent.clear()
            cpu, wall, queries, _ = timed(lambda n=n: change(rng.sample(active, n)), runs, started)
            results[f"push_{n}_teams_{teams}"] = {
                "teams": len(live.board_scopes()),
                "logins": n,
                "cpu_ms": summary(cpu),
                "wall_ms": summary(wall),
                "queries": summary(queries, 0),
                "sends_per_change": round(len(sent) / max(1, len(cpu)), 1),
            }
    return results


def report(r: dict, path) -> None:
    p = r["page"]
    print(f"Board render, {r['active_agents']} active agents, {r['runs']} runs (median / p95)")
    print(
        f"  full page `/`: wall {p['wall_ms']['median']} / {p['wall_ms']['p95']} ms, "
        f"CPU {p['cpu_ms']['median']} / {p['cpu_ms']['p95']} ms, {p['queries']['median']:.0f} "
        f"queries, {p['size_kb']} KB ({p['gzip_size_kb']} KB gzipped), {p['rows']} rows"
    )
    for name, label in (("ws_snapshot_render", "rendered"), ("ws_snapshot", "from cache")):
        s = r[name]
        print(
            f"  websocket snapshot ({label}): wall {s['wall_ms']['median']} / "
            f"{s['wall_ms']['p95']} ms, {s['queries']['median']:.0f} queries, {s['size_kb']} KB"
        )
    for n in (1, 10, 200):
        f = r[f"fragment_{n}"]
        print(
            f"  agents_update({n} login{'s' if n > 1 else ''}): wall {f['wall_ms']['median']} / "
            f"{f['wall_ms']['p95']} ms, {f['queries']['median']:.0f} queries, {f['size_kb']} KB"
        )
    for teams in (0, 10):
        for n in (1, 10):
            t = r[f"push_{n}_teams_{teams}"]
            print(
                f"  an agent change ({n} login{'s' if n > 1 else ''}) pushed to {t['teams']} "
                f"team(s) x 2 languages: CPU {t['cpu_ms']['median']} / {t['cpu_ms']['p95']} ms, "
                f"{t['queries']['median']:.0f} queries, {t['sends_per_change']} sends"
            )
    print(f"  ({r['bench_seconds']} s; written to {path})")


if __name__ == "__main__":
    main()
