"""End to end: a webhook's arrival at POST /webhooks/thulium/ to the row changing in Chromium.

The whole product runs as in tests/conftest.py's `stack` fixture (own SQLite file, embedded
Valkey, daphne, Celery worker with beat polling every THULIUM_POLL_SECONDS, default 3 s) against
the simulator with 1,000 agents and no traffic. The simulator sends no webhooks here: this
script is the only sender. Each event is AGENT_STATUS_CHANGED, alternately pause_id 2..5 for a
FREE agent and null for a PAUSED one (distinct logins within a run), posted form-encoded with
Basic auth from a sender thread (paced run) or 4 threads (burst run); a separate thread then makes
the same change in the simulator (/_sim/event) so the next poll agrees with the webhook instead
of undoing it 10 s later.

In the page (logged in as the demo supervisor) a MutationObserver records
performance.timeOrigin + performance.now() when #agent-<login> has the expected data-status;
latency = that time - time.time() taken just before the POST was sent (same machine clock).

    .venv/bin/python bench/bench_webhook_to_row.py [--events 300] [--rate 20] [--burst 100]
"""

import argparse
import os
import queue
import random
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import requests  # noqa: E402
from _common import (  # noqa: E402
    AGENTS,
    HOOK_PASSWORD,
    HOOK_USER,
    Children,
    django_env,
    free_port,
    group_cpu_seconds,
    pct,
    processes,
    write_result,
)

PASSWORD = "bench-demo-pass-123"
TZ = ZoneInfo("Europe/Warsaw")
SEEN_WITHIN = 5.0  # seconds
MAX_RUN_SECONDS = 120
BURST_THREADS = 4

OBSERVER_JS = """() => {
  const b = window.__bench = {expect: {}, seen: {}, frame: {}, longtask_ms: 0, messages: 0};
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) b.longtask_ms += e.duration;
    }).observe({type: 'longtask', buffered: false});
  } catch (e) {}
  document.addEventListener('htmx:wsAfterMessage', () => { b.messages += 1; });
  const check = () => {
    const now = performance.timeOrigin + performance.now();
    for (const id in b.expect) {
      const e = b.expect[id];
      const row = document.getElementById('agent-' + e.login);
      if (row && row.dataset.status === e.status) {
        b.seen[id] = now;
        delete b.expect[id];
        requestAnimationFrame(() => { b.frame[id] = performance.timeOrigin + performance.now(); });
      }
    }
  };
  new MutationObserver(check).observe(document.querySelector('table.agents'),
    {subtree: true, childList: true, attributes: true, attributeFilter: ['data-status']});
  return true;
}"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--rate", type=float, default=20.0, help="events per second (paced run)")
    parser.add_argument("--burst", type=int, default=100)
    args = parser.parse_args()
    started = time.monotonic()
    with Children() as kids, tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        result = run(kids, Path(tmp), args)
    result["bench_seconds"] = round(time.monotonic() - started, 1)
    path = write_result("bench_webhook_to_row", result)
    report(result, path)


def start_stack(kids: Children, folder: Path) -> tuple[str, str, dict]:
    sim = kids.simulator()
    env = {**os.environ, **django_env(folder, kids.valkey(), sim), "DEMO_PASSWORD": PASSWORD}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    for command in (["migrate", "--noinput", "-v", "0"], ["demo_users"], ["thulium_poll"]):
        processes.manage(env, *command).check_returncode()
    url = processes.web_and_worker(
        kids, env, free_port(), folder / "beat-schedule", concurrency=1, stderr=subprocess.DEVNULL
    )
    return url, sim, env


def run(kids: Children, folder: Path, args) -> dict:
    from playwright.sync_api import sync_playwright

    url, sim, env = start_stack(kids, folder)
    pids = {name: proc.pid for name, proc in kids.procs}
    rng = random.Random(7)
    hook = requests.Session()
    hook.auth = (HOOK_USER, HOOK_PASSWORD)
    control = requests.Session()

    def sim_agents() -> dict:
        return {
            a["login"]: a
            for a in control.get(f"{sim}/_sim/state", timeout=10).json()["agents"]
            if a["login"]
        }

    def sim_event(login: str, pause_id) -> None:
        body = {"action": "AGENT_STATUS_CHANGED", "agent_login": login, "pause_id": pause_id}
        control.post(f"{sim}/_sim/event", json=body, timeout=10).raise_for_status()

    # Enough paused agents for the runs; the poll brings them to the board before we measure.
    need = max(args.events, args.burst) // 2 + 20
    agents = sim_agents()
    paused = [x for x, a in agents.items() if a["status"] == "PAUSED"]
    free = [x for x, a in agents.items() if a["status"] == "FREE"]
    for login in rng.sample(free, max(0, need - len(paused))):
        sim_event(login, rng.choice([2, 3, 4, 5]))

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=processes.CHROMIUM, args=processes.CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")
            context.set_default_timeout(30_000)
            page = context.new_page()
            page.goto(f"{url}/login/")
            page.fill("input[name=username]", "supervisor")
            page.fill("input[name=password]", PASSWORD)
            t0 = time.perf_counter()
            page.click("button[type=submit]")
            page.wait_for_url(f"{url}/")
            page.wait_for_function("document.querySelectorAll('tr.agent').length > 900")
            board_load_s = time.perf_counter() - t0
            # Wait until the board agrees with the simulator (the poll took the prep pauses).
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                agents = sim_agents()
                shown = page.evaluate(
                    "() => Object.fromEntries([...document.querySelectorAll('tr.agent')]"
                    ".map(r => [r.id.slice(6), r.dataset.status]))"
                )
                wrong = [x for x in shown if shown[x] != agents.get(x, {}).get("status")]
                if len(wrong) <= 5:  # an agent's own ending call may still be settling
                    break
                time.sleep(1)
            page.evaluate(OBSERVER_JS)
            clock = calibrate(page)

            runs = {}
            runs["warmup"] = one_run(page, hook, url, sim_agents, sim_event, rng, 10, 10.0)
            for name, n, rate in (("paced", args.events, args.rate), ("burst", args.burst, None)):
                cpu0 = {
                    "daphne": group_cpu_seconds(pids["daphne"]),
                    "celery": group_cpu_seconds(pids["celery"]),
                }
                runs[name] = one_run(page, hook, url, sim_agents, sim_event, rng, n, rate)
                runs[name]["server_cpu_s"] = {
                    "daphne": round(group_cpu_seconds(pids["daphne"]) - cpu0["daphne"], 2),
                    "celery": round(group_cpu_seconds(pids["celery"]) - cpu0["celery"], 2),
                }
            clock_after = calibrate(page)
        finally:
            browser.close()
    del runs["warmup"]["latencies_ms"]
    return {
        "agents": AGENTS,
        "poll_seconds": int(env.get("THULIUM_POLL_SECONDS") or 3),
        "board_load_after_login_s": round(board_load_s, 2),
        "clock_offset_ms": {"before": clock, "after": clock_after},
        "runs": runs,
    }


def calibrate(page) -> dict:
    """Browser clock (timeOrigin + now) minus Python's time.time(), bounded by the round trip."""
    best = None
    for _ in range(5):
        a = time.time() * 1000
        b = page.evaluate("performance.timeOrigin + performance.now()")
        c = time.time() * 1000
        if best is None or c - a < best[1]:
            best = (b - (a + c) / 2, c - a)
    return {"offset": round(best[0], 2), "round_trip": round(best[1], 2)}


def one_run(page, hook, url, sim_agents, sim_event, rng, n: int, rate) -> dict:
    agents = sim_agents()
    free = [x for x, a in agents.items() if a["status"] == "FREE"]
    paused = [x for x, a in agents.items() if a["status"] == "PAUSED"]
    to_pause = rng.sample(free, (n + 1) // 2)
    to_free = rng.sample(paused, n // 2)
    events = []
    for i in range(n):
        if i % 2 == 0:
            events.append((to_pause[i // 2], rng.choice([2, 3, 4, 5]), "PAUSED"))
        else:
            events.append((to_free[i // 2], None, "FREE"))
    expect = {
        str(i): {"login": login, "status": status} for i, (login, _, status) in enumerate(events)
    }
    page.evaluate(
        "(e) => { window.__bench.expect = e; window.__bench.seen = {};"
        " window.__bench.frame = {}; window.__bench.longtask_ms = 0;"
        " window.__bench.messages = 0; }",
        expect,
    )

    sent = [None] * n
    answers = [None] * n
    http_ms = [None] * n
    to_sync: queue.Queue = queue.Queue()
    local = threading.local()

    def post(i: int) -> None:
        login, pause_id, _ = events[i]
        session = getattr(local, "hook", None)
        if session is None:
            session = local.hook = requests.Session()
            session.auth = hook.auth
        data = {
            "action": "AGENT_STATUS_CHANGED",
            "agent_login": login,
            "pause_id": "null" if pause_id is None else str(pause_id),
            "date": datetime.now(TZ).strftime("%Y-%m-%d %H:%M:%S"),
        }
        sent[i] = time.time() * 1000
        t = time.perf_counter()
        try:
            answers[i] = session.post(f"{url}/webhooks/thulium/", data=data, timeout=10).status_code
        except requests.RequestException as exc:
            answers[i] = type(exc).__name__
        http_ms[i] = (time.perf_counter() - t) * 1000
        to_sync.put((login, pause_id))

    def paced():
        begin = time.monotonic()
        for i in range(n):
            delay = begin + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            if time.monotonic() - begin > MAX_RUN_SECONDS:
                break
            post(i)

    def syncer():
        # Keeps the simulator in step (so the poll agrees with the webhooks), off the timed path.
        while True:
            item = to_sync.get()
            if item is None:
                return
            sim_event(*item)

    sync_thread = threading.Thread(target=syncer, daemon=True)
    sync_thread.start()
    t_start = time.monotonic()
    if rate:
        sender = threading.Thread(target=paced, daemon=True)
        sender.start()
        sender.join(timeout=MAX_RUN_SECONDS + 30)
    else:
        with ThreadPoolExecutor(BURST_THREADS) as pool:
            list(pool.map(post, range(n), timeout=MAX_RUN_SECONDS))
    send_seconds = time.monotonic() - t_start
    to_sync.put(None)
    # Wait until every event is seen, or 5 s after the last one was sent.
    last = max((s for s in sent if s is not None), default=time.time() * 1000)
    while time.time() * 1000 < last + SEEN_WITHIN * 1000 + 200:
        if page.evaluate("Object.keys(window.__bench.expect).length") == 0:
            break
        time.sleep(0.1)
    time.sleep(0.1)  # the rAF stamps
    sync_thread.join(timeout=60)
    seen = page.evaluate("window.__bench.seen")
    frame = page.evaluate("window.__bench.frame")
    browser_busy = page.evaluate("[window.__bench.longtask_ms, window.__bench.messages]")
    latencies, frames, missing = [], [], 0
    for i in range(n):
        at = seen.get(str(i))
        if sent[i] is None or at is None or at - sent[i] > SEEN_WITHIN * 1000:
            missing += 1
            continue
        latencies.append(at - sent[i])
        if str(i) in frame:
            frames.append(frame[str(i)] - sent[i])
    statuses = {}
    for a in answers:
        statuses[str(a)] = statuses.get(str(a), 0) + 1
    return {
        "events": n,
        "rate_per_s": rate or f"as fast as possible ({BURST_THREADS} sender threads)",
        "send_seconds": round(send_seconds, 2),
        "achieved_rate_per_s": round(n / send_seconds, 1) if send_seconds else None,
        "webhook_answers": statuses,
        "webhook_http_ms": stats([x for x in http_ms if x is not None]),
        "dom_latency_ms": stats(latencies),
        "next_frame_latency_ms": stats(frames),
        "not_seen_within_5s": missing,
        "browser_long_tasks_ms": round(browser_busy[0]),
        "ws_messages_received": browser_busy[1],
        "latencies_ms": [round(x, 1) for x in latencies],
    }


def stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "p50": round(pct(values, 50), 1),
        "p95": round(pct(values, 95), 1),
        "p99": round(pct(values, 99), 1),
        "max": round(max(values), 1),
        "min": round(min(values), 1),
    }


def report(r: dict, path) -> None:
    print(f"Webhook -> row in Chromium, {r['agents']} agents, poll every {r['poll_seconds']} s")
    print(
        f"  board load after login: {r['board_load_after_login_s']} s; "
        f"browser-Python clock offset {r['clock_offset_ms']['before']['offset']} ms "
        f"(round trip {r['clock_offset_ms']['before']['round_trip']} ms)"
    )
    for name in ("paced", "burst"):
        x = r["runs"][name]
        d, h = x["dom_latency_ms"], x["webhook_http_ms"]
        print(
            f"  {name}: {x['events']} events at {x['achieved_rate_per_s']}/s -> DOM latency "
            f"p50 {d.get('p50')} p95 {d.get('p95')} p99 {d.get('p99')} max {d.get('max')} ms; "
            f"not seen within 5 s: {x['not_seen_within_5s']}; webhook HTTP p50 {h.get('p50')} "
            f"p95 {h.get('p95')} ms; answers {x['webhook_answers']}; "
            f"server CPU {x['server_cpu_s']}; "
            f"browser long tasks {x['browser_long_tasks_ms']} ms over {x['ws_messages_received']} "
            f"websocket messages"
        )
    print(f"  ({r['bench_seconds']} s; written to {path})")


if __name__ == "__main__":
    main()
