"""One agents_statuses poll cycle (crm_bridge.sync.poll_statuses) with 1,000 agents.

Real parts: the simulator over HTTP (--agents 1000 --no-traffic), a migrated SQLite file,
an embedded Valkey as channel layer (the push of changed rows goes through channels-redis to
one listening channel in the Polish board group, as with one open board: nothing is rendered
for the other language or the wallboards, which nobody has open; --every-group renders for
every one of them as if each had a screen). Measured per cycle: CPU time of this process
(time.process_time), wall time and SQL queries, with 0, 10 and 200 agents changed in the
simulator before the cycle (changes are made outside the timed part).

    .venv/bin/python bench/bench_poll.py [--runs 30] [--every-group]
"""

import argparse
import os
import random
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import requests  # noqa: E402
from _common import AGENTS, product_in_this_process, summary, write_result  # noqa: E402

MAX_SECONDS = 300  # the whole measurement stops after this, whatever --runs says


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--every-group",
        action="store_true",
        help="render for every team, language and wallboard, as if each had a screen open",
    )
    args = parser.parse_args()
    started = time.monotonic()
    with product_in_this_process("bench-poll-") as sim:
        if args.every_group:
            from dashboard import live, live_queues

            live.listened = live_queues.listened = lambda group: True
        result = run(sim, args.runs, started)
        from django.conf import settings

        # The last poll's wallboard push is on a timer: let it run while the database exists.
        time.sleep(2 * settings.QUEUE_PUSH_DELAY_MS / 1000)
    result["bench_seconds"] = round(time.monotonic() - started, 1)
    result["rendered_for"] = "every group" if args.every_group else "the groups a socket listens to"
    path = write_result("bench_poll" + (".every_group" if args.every_group else ""), result)
    report(result, path)


def run(sim: str, runs: int, started: float) -> dict:
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from crm_bridge import client, sync
    from crm_bridge.models import Agent
    from dashboard.live import board_group

    # One listener in the board group, like one open board (its messages are never read).
    layer = get_channel_layer()

    async def listen():
        await layer.group_add(board_group("pl"), await layer.new_channel())

    async_to_sync(listen)()

    sync.poll_directory()
    first = sync.poll_statuses()  # fills the mirror: 1,000 inserts
    assert Agent.objects.count() == AGENTS, Agent.objects.count()

    http = requests.Session()

    local = threading.local()

    def post_event(body):
        if not hasattr(local, "http"):
            local.http = requests.Session()
        return local.http.post(f"{sim}/_sim/event", json=body, timeout=10)

    rng = random.Random(1)

    def toggle(n: int) -> int:
        """Pause n free agents or free n paused ones in the simulator (no webhook is sent)."""
        agents = http.get(f"{sim}/_sim/state", timeout=10).json()["agents"]
        movable = [a for a in agents if a["login"] and a["status"] in ("FREE", "PAUSED")]
        bodies = []
        for a in rng.sample(movable, n):
            pause = None if a["status"] == "PAUSED" else rng.choice([2, 3, 4, 5])
            bodies.append(
                {"action": "AGENT_STATUS_CHANGED", "agent_login": a["login"], "pause_id": pause}
            )
        # In parallel: each simulator answer costs ~40 ms of Nagle/delayed-ACK wait, not CPU.
        with ThreadPoolExecutor(4) as pool:
            for response in pool.map(post_event, bodies):
                response.raise_for_status()
        return n

    def cycle() -> dict:
        with CaptureQueriesContext(connection) as queries:
            cpu0, wall0 = time.process_time(), time.perf_counter()
            if os.environ.get("BENCH_PROFILE"):
                import cProfile

                profile = cProfile.Profile()
                changed = profile.runcall(sync.poll_statuses)
                profile.dump_stats(os.environ["BENCH_PROFILE"])
            else:
                changed = sync.poll_statuses()
            wall = time.perf_counter() - wall0
            cpu = time.process_time() - cpu0
        return {
            "cpu_ms": cpu * 1000,
            "wall_ms": wall * 1000,
            "queries": len(queries),
            "changed": len(changed),
        }

    # The HTTP fetch + parse alone (part of every cycle).
    fetch = []
    for _ in range(min(runs, 30)):
        t0 = time.perf_counter()
        client.get_agent_statuses(include_logged_off=True)
        fetch.append((time.perf_counter() - t0) * 1000)

    scenarios = {}
    for n in (0, 10, 200):
        samples = []
        for _ in range(runs):
            if time.monotonic() - started > MAX_SECONDS:
                break
            if n:
                toggle(n)
            samples.append(cycle())
        changed = sorted({s["changed"] for s in samples})
        scenarios[f"changed_{n}"] = {
            "agents_changed_in_simulator": n,
            "changed_reported_by_poll": changed,
            "cpu_ms": summary([s["cpu_ms"] for s in samples]),
            "wall_ms": summary([s["wall_ms"] for s in samples]),
            "queries": summary([s["queries"] for s in samples], 0),
        }
    return {
        "agents": AGENTS,
        "runs": runs,
        "first_poll_created": len(first),
        "fetch_agents_statuses_ms": summary(fetch),
        "scenarios": scenarios,
        "notes": "poll_statuses() in-process; simulator, Valkey in subprocesses; "
        "SQLite file DB (WAL); CPU = this process only (not the simulator).",
    }


def report(r: dict, path) -> None:
    print(f"Poll cycle, {r['agents']} agents, {r['runs']} runs each (median / p95)")
    f = r["fetch_agents_statuses_ms"]
    print(f"  GET agents_statuses + parse alone: {f['median']} / {f['p95']} ms wall")
    for s in r["scenarios"].values():
        print(
            f"  {s['agents_changed_in_simulator']:>3} changed: "
            f"CPU {s['cpu_ms']['median']} / {s['cpu_ms']['p95']} ms, "
            f"wall {s['wall_ms']['median']} / {s['wall_ms']['p95']} ms, "
            f"queries {s['queries']['median']:.0f} (max {s['queries']['max']:.0f}), "
            f"poll saw {s['changed_reported_by_poll']} changed"
        )
    print(f"  ({r['bench_seconds']} s; written to {path})")


if __name__ == "__main__":
    main()
