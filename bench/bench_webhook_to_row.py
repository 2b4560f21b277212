"""End to end: a webhook's arrival at POST /webhooks/thulium/ to the row changing in Chromium,
on every one of several open boards.

The whole product runs as in tests/conftest.py's `stack` fixture (own SQLite file, embedded
Valkey, daphne, the event processor, Celery worker with beat polling every
THULIUM_POLL_SECONDS, default 3 s) against the simulator with 1,000 agents and no traffic. The
simulator sends no webhooks here: this script is the only sender. Each event is
AGENT_STATUS_CHANGED toggling a logged-in agent between FREE and PAUSED (pause_id 2..5),
agents taken in a shuffled round so one agent's changes are 1,000 events apart; posted
form-encoded with Basic auth by 8 sender threads (each one keep-alive http.client
connection), paced (--rate) or as fast as they go (--burst). A separate thread makes the same
changes in the simulator (/_sim/event, what was answered since its last request in one) so
the polls agree with the webhooks instead of correcting them.

In each page (logged in as the demo supervisor) a MutationObserver records
performance.timeOrigin + performance.now() when #agent-<login> shows the expected data-status;
latency = that time - time.time() taken just before the POST was sent (same machine clock).
An event not shown on a board within 5 s counts as missing there.

    .venv/bin/python bench/bench_webhook_to_row.py [--boards 3] [--events 6000] [--rate 200]
                                                   [--burst 500] [--cluster]

--cluster runs the product as `make cluster` does (scripts/cluster.py) on a throwaway
PostgreSQL: boards and webhooks through nginx to two daphne, two Celery workers, one beat, one
event processor (results in bench/results/bench_webhook_to_row_cluster.json).
"""

import argparse
import http.client
import json
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
from urllib.parse import urlencode, urlsplit
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import requests  # noqa: E402
from _common import (  # noqa: E402
    AGENTS,
    HOOK_AUTH,
    Children,
    cluster_product,
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
SENDERS = 8  # sender threads, each waiting for its answer
HOOK_HEADERS = {
    "Authorization": HOOK_AUTH,
    "Content-Type": "application/x-www-form-urlencoded",
}

OBSERVER_JS = """() => {
  // expect: {login: [{id, status}, ...]} in the order sent; only rows that changed are looked at.
  const b = window.__bench = {expect: {}, seen: {}, frame: {}, longtask_ms: 0, messages: 0,
                              kinds: {}};
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) b.longtask_ms += e.duration;
    }).observe({type: 'longtask', buffered: false});
  } catch (e) {}
  // What each message carried, by the first kind of element in it (board.html's partials).
  const KINDS = [['rows', 'class="agent status-'], ['queue tiles', 'class="queue-tile'],
    ['queue agents lines', 'class="agents-line'], ['callers', 'caller-slot'],
    ['health banner', 'id="health-banner'], ['channel tiles', 'channel']];
  document.addEventListener('htmx:wsAfterMessage', (e) => {
    b.messages += 1;
    const html = e.detail.message;
    const kind = (KINDS.find(([, mark]) => html.indexOf(mark) !== -1) || ['other'])[0];
    b.kinds[kind] = (b.kinds[kind] || 0) + 1;
  });
  const check = (records) => {
    const now = performance.timeOrigin + performance.now();
    const rows = new Set();
    for (const r of records) {
      if (r.type === 'attributes') rows.add(r.target);
      for (const n of r.addedNodes || []) {
        if (n.nodeType !== 1) continue;
        if (n.matches('tr.agent')) rows.add(n);
        n.querySelectorAll('tr.agent').forEach((x) => rows.add(x));
      }
    }
    for (const row of rows) {
      const list = b.expect[(row.id || '').slice(6)];
      while (list && list.length && row.dataset.status === list[0].status) {
        const id = list.shift().id;
        b.seen[id] = now;
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
    parser.add_argument("--events", type=int, default=6000)
    parser.add_argument("--rate", type=float, default=200.0, help="events per second (paced)")
    parser.add_argument("--burst", type=int, default=500)
    parser.add_argument("--boards", type=int, default=3, help="boards open in Chromium")
    parser.add_argument("--cluster", action="store_true", help="through nginx to two daphne")
    parser.add_argument(
        "--trace", action="store_true", help="record the first board's work in the paced run"
    )
    args = parser.parse_args()
    started = time.monotonic()
    with Children() as kids, tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        if args.cluster:
            env = _env(kids, Path(tmp))
            with cluster_product(kids, Path(tmp), env) as url:
                result = run(kids, args, url, env)
        else:
            result = run(kids, args, *start_stack(kids, Path(tmp)))
    result["bench_seconds"] = round(time.monotonic() - started, 1)
    result["topology"] = "cluster: nginx, 2 daphne, PostgreSQL" if args.cluster else "1 daphne"
    path = write_result("bench_webhook_to_row" + ("_cluster" if args.cluster else ""), result)
    report(result, path)


def _env(kids: Children, folder: Path) -> dict:
    env = {**os.environ, **django_env(folder, kids.valkey(), kids.simulator())}
    env["DEMO_PASSWORD"] = PASSWORD
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def start_stack(kids: Children, folder: Path) -> tuple[str, dict]:
    env = _env(kids, folder)
    for command in (["migrate", "--noinput", "-v", "0"], ["demo_users"], ["thulium_poll"]):
        processes.manage(env, *command).check_returncode()
    url = processes.web_and_worker(
        kids, env, free_port(), folder / "beat-schedule", concurrency=1, stderr=subprocess.DEVNULL
    )
    return url, env


# Each kind of server process, by the names make run's stack and make cluster give them.
SERVERS = {"daphne": ("daphne", "web1", "web2"), "celery": ("celery", "worker1", "worker2", "beat"),
           "events": ("events",)}  # fmt: skip


class Poster:
    """One keep-alive connection posting as a webhook sender does: http.client, not requests,
    so that the load generator takes less of the two cores the product and boards share."""

    def __init__(self, base: str, headers: dict):
        self.address = urlsplit(base).netloc
        self.headers, self.conn = headers, None

    def post(self, path: str, body: str) -> int:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.address, timeout=10)
        try:
            self.conn.request("POST", path, body.encode(), self.headers)
            answer = self.conn.getresponse()
            answer.read()
            return answer.status
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise


def run(kids: Children, args, url: str, env: dict) -> dict:
    from playwright.sync_api import sync_playwright

    sim = env["THULIUM_API_URL"].removesuffix("/api/")
    pids = {name: proc.pid for name, proc in kids.procs}

    def cpu() -> dict:
        return {kind: sum(group_cpu_seconds(pids[name]) for name in names if name in pids)
                for kind, names in SERVERS.items()}  # fmt: skip

    rng = random.Random(7)
    control = requests.Session()

    def sim_agents() -> dict:
        return {
            a["login"]: a
            for a in control.get(f"{sim}/_sim/state", timeout=10).json()["agents"]
            if a["login"]
        }

    to_sim = threading.local()

    def sim_events(changes: list[tuple[str, int | None]]) -> None:
        """These (login, pause_id) changes made in the simulator, in order, in one request."""
        body = [
            {"action": "AGENT_STATUS_CHANGED", "agent_login": login, "pause_id": pause_id}
            for login, pause_id in changes
        ]
        if getattr(to_sim, "poster", None) is None:
            to_sim.poster = Poster(sim, {"Content-Type": "application/json"})
        status = to_sim.poster.post("/_sim/event", json.dumps(body))
        if status >= 400:
            raise OSError(f"the simulator answered {status}")

    # Half the logged-in agents paused, so a run toggles both ways; the poll brings them in.
    agents = sim_agents()
    free = [x for x, a in agents.items() if a["status"] == "FREE"]
    sim_events([(login, rng.choice([2, 3, 4, 5])) for login in rng.sample(free, len(free) // 2)])

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=processes.CHROMIUM, args=processes.CHROMIUM_ARGS
        )
        try:
            pages, board_load_s = [], []
            for _ in range(args.boards):
                context = browser.new_context(
                    viewport={"width": 1400, "height": 900}, locale="en-GB"
                )
                context.set_default_timeout(60_000)
                page = context.new_page()
                page.goto(f"{url}/login/")
                page.fill("input[name=username]", "supervisor")
                page.fill("input[name=password]", PASSWORD)
                t0 = time.perf_counter()
                page.click("button[type=submit]")
                page.wait_for_url(f"{url}/")
                page.wait_for_function("document.querySelectorAll('tr.agent').length > 900")
                board_load_s.append(round(time.perf_counter() - t0, 2))
                pages.append(page)
            # Wait until the boards agree with the simulator (the poll took the prep pauses).
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                agents = sim_agents()
                shown = pages[-1].evaluate(
                    "() => Object.fromEntries([...document.querySelectorAll('tr.agent')]"
                    ".map(r => [r.id.slice(6), r.dataset.status]))"
                )
                wrong = [x for x in shown if shown[x] != agents.get(x, {}).get("status")]
                if len(wrong) <= 5:  # an agent's own ending call may still be settling
                    break
                time.sleep(1)
            for page in pages:
                page.evaluate(OBSERVER_JS)
            clock = calibrate(pages[0])

            runs = {}
            runs["warmup"] = one_run(pages, url, sim_agents, sim_events, rng, 20, 10.0)
            plan = (("paced", args.events, args.rate), ("burst", args.burst, None))
            for name, n, rate in plan:
                cpu0 = cpu()
                tracing = args.trace and name == "paced"
                if tracing:
                    browser.start_tracing(page=pages[0], categories=TRACE_CATEGORIES)
                runs[name] = one_run(pages, url, sim_agents, sim_events, rng, n, rate)
                if tracing:
                    runs[name]["browser_work_ms"] = trace_summary(browser.stop_tracing())
                runs[name]["server_cpu_s"] = {k: round(v - cpu0[k], 2) for k, v in cpu().items()}
            clock_after = calibrate(pages[0])
        finally:
            browser.close()
    del runs["warmup"]["latencies_ms"]
    return {
        "agents": AGENTS,
        "boards": args.boards,
        "poll_seconds": int(env.get("THULIUM_POLL_SECONDS") or 3),
        "board_load_after_login_s": board_load_s,
        "clock_offset_ms": {"before": clock, "after": clock_after},
        "runs": runs,
    }


TRACE_CATEGORIES = ["devtools.timeline", "v8.execute", "disabled-by-default-devtools.timeline"]
TRACE_KINDS = ("ParseHTML", "UpdateLayoutTree", "Layout", "PrePaint", "Paint", "Layerize",
               "HitTest", "MinorGC", "MajorGC", "V8.GC_SCAVENGER", "EventDispatch",
               "FunctionCall", "TimerFire", "FireAnimationFrame", "RunTask")  # fmt: skip


def trace_summary(trace: bytes) -> dict:
    """Where one board's main thread spent the run: total ms per kind of work (kinds nest:
    RunTask holds the rest), and the page's own functions that took the most."""
    events = json.loads(trace)
    events = events.get("traceEvents", events) if isinstance(events, dict) else events
    main = {
        (e["pid"], e["tid"])
        for e in events
        if e.get("name") == "thread_name" and e.get("args", {}).get("name") == "CrRendererMain"
    }
    kinds, functions = {}, {}
    for e in events:
        if (e.get("pid"), e.get("tid")) not in main or e.get("ph") != "X":
            continue
        ms = e.get("dur", 0) / 1000
        if e["name"] in TRACE_KINDS:
            kinds[e["name"]] = kinds.get(e["name"], 0) + ms
        if e["name"] == "FunctionCall":
            data = e.get("args", {}).get("data", {})
            name = data.get("functionName") or "(anonymous)"
            where = f"{name} {data.get('url', '').rsplit('/', 1)[-1]}:{data.get('lineNumber', '')}"
            functions[where] = functions.get(where, 0) + ms
    top = sorted(functions.items(), key=lambda x: -x[1])[:12]
    return {
        "kinds": {k: round(v) for k, v in sorted(kinds.items(), key=lambda x: -x[1])},
        "functions": {k: round(v) for k, v in top},
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


def plan_events(agents: dict, rng, n: int) -> list[tuple[str, int | None, str]]:
    """n status changes that toggle logged-in agents taken in a shuffled round: the same
    agent comes back only after every other one, so no two changes of one agent are merged
    into one push (and each is a change the board must show)."""
    state = {x: a["status"] for x, a in agents.items() if a["status"] in ("FREE", "PAUSED")}
    order = list(state)
    rng.shuffle(order)
    events = []
    for i in range(n):
        login = order[i % len(order)]
        if state[login] == "FREE":
            events.append((login, rng.choice([2, 3, 4, 5]), "PAUSED"))
            state[login] = "PAUSED"
        else:
            events.append((login, None, "FREE"))
            state[login] = "FREE"
    return events


def one_run(pages, url, sim_agents, sim_events, rng, n: int, rate) -> dict:
    events = plan_events(sim_agents(), rng, n)
    expect: dict[str, list] = {}
    for i, (login, _, status) in enumerate(events):
        expect.setdefault(login, []).append({"id": str(i), "status": status})
    for page in pages:
        page.evaluate(
            "(e) => { window.__bench.expect = e; window.__bench.seen = {};"
            " window.__bench.frame = {}; window.__bench.longtask_ms = 0;"
            " window.__bench.messages = 0; window.__bench.kinds = {}; }",
            expect,
        )

    sent = [None] * n
    answers = [None] * n
    http_ms = [None] * n
    to_sync: queue.Queue = queue.Queue()
    synced: list[float] = []
    local = threading.local()

    def post(i: int) -> None:
        login, pause_id, _ = events[i]
        poster = getattr(local, "hook", None)
        if poster is None:
            poster = local.hook = Poster(url, HOOK_HEADERS)
        data = {
            "action": "AGENT_STATUS_CHANGED",
            "agent_login": login,
            "pause_id": "null" if pause_id is None else str(pause_id),
            "date": datetime.now(TZ).strftime("%Y-%m-%d %H:%M:%S"),
        }
        sent[i] = time.time() * 1000
        t = time.perf_counter()
        try:
            answers[i] = poster.post("/webhooks/thulium/", urlencode(data))
        except (OSError, http.client.HTTPException) as exc:
            answers[i] = type(exc).__name__
        http_ms[i] = (time.perf_counter() - t) * 1000
        to_sync.put((login, pause_id))

    def syncer():
        # Keeps the simulator in step (so the poll agrees with the webhooks), off the timed path:
        # what the senders answered since the last request, in one request (Thulium itself is
        # never behind its own webhooks; the harness should cost this machine little).
        done = False
        while not done:
            changes = [to_sync.get()]
            while not to_sync.empty():
                changes.append(to_sync.get())
            if changes[-1] is None:
                changes.pop()
                done = True
            for _ in range(3):  # the simulator may drop a connection under this load
                try:
                    if changes:
                        sim_events(changes)
                    break
                except (OSError, http.client.HTTPException):
                    time.sleep(0.2)
        synced.append(time.monotonic())  # how far the simulator was behind at the end

    sync_thread = threading.Thread(target=syncer, daemon=True)
    sync_thread.start()
    t_start = time.monotonic()
    with ThreadPoolExecutor(SENDERS) as pool:
        futures = []
        for i in range(n):
            delay = t_start + i / rate - time.monotonic() if rate else 0
            if delay > 0:
                time.sleep(delay)
            if time.monotonic() - t_start > MAX_RUN_SECONDS:
                break
            futures.append(pool.submit(post, i))
        for future in futures:
            future.result()
    send_seconds = time.monotonic() - t_start
    to_sync.put(None)
    # Wait until every event is seen on every board, or 5 s after the last one was sent.
    last = max((x for x in sent if x is not None), default=time.time() * 1000)
    left = "Object.values(window.__bench.expect).reduce((a, l) => a + l.length, 0)"
    while time.time() * 1000 < last + SEEN_WITHIN * 1000 + 200:
        if all(page.evaluate(left) == 0 for page in pages):
            break
        time.sleep(0.1)
    time.sleep(0.1)  # the rAF stamps
    sync_thread.join(timeout=120)
    synced_after = synced[0] - t_start - send_seconds if synced else None
    latencies, frames, missing, long_tasks, messages, kinds = [], [], 0, 0, 0, {}
    first = min((x for x in sent if x is not None), default=0)
    missed: dict[int, list[int]] = {}  # second of the run it was sent in: [never seen, late]
    for page in pages:
        seen = page.evaluate("window.__bench.seen")
        frame = page.evaluate("window.__bench.frame")
        busy = page.evaluate("[window.__bench.longtask_ms, window.__bench.messages]")
        long_tasks, messages = long_tasks + busy[0], messages + busy[1]
        for kind, count in page.evaluate("window.__bench.kinds").items():
            kinds[kind] = kinds.get(kind, 0) + count
        for i in range(n):
            at = seen.get(str(i))
            if sent[i] is None or at is None or at - sent[i] > SEEN_WITHIN * 1000:
                missing += 1
                if sent[i] is not None:
                    missed.setdefault(int((sent[i] - first) / 1000), [0, 0])[at is not None] += 1
                continue
            latencies.append(at - sent[i])
            if str(i) in frame:
                frames.append(frame[str(i)] - sent[i])
    statuses = {}
    for a in answers:
        statuses[str(a)] = statuses.get(str(a), 0) + 1
    return {
        "events": n,
        "rate_per_s": rate or f"as fast as possible ({SENDERS} sender threads)",
        "send_seconds": round(send_seconds, 2),
        "simulator_in_step_s_after_last_send": synced_after and round(synced_after, 1),
        "achieved_rate_per_s": round(n / send_seconds, 1) if send_seconds else None,
        "webhook_answers": statuses,
        "webhook_http_ms": stats([x for x in http_ms if x is not None]),
        "dom_latency_ms": stats(latencies),
        "next_frame_latency_ms": stats(frames),
        "not_seen_within_5s": missing,
        "not_seen_by_second_sent": {str(k): v for k, v in sorted(missed.items())},
        "browser_long_tasks_ms": round(long_tasks),
        "ws_messages_received": messages,
        "ws_messages_by_kind": dict(sorted(kinds.items(), key=lambda x: -x[1])),
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
    print(
        f"Webhook -> row in Chromium, {r['boards']} boards of {r['agents']} agents, "
        f"poll every {r['poll_seconds']} s"
    )
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
        print(
            f"    messages by kind (all boards): {x['ws_messages_by_kind']}; the simulator "
            f"was in step {x['simulator_in_step_s_after_last_send']} s after the last send"
        )
        if x["not_seen_by_second_sent"]:
            print(f"    not seen, by second sent [never, late]: {x['not_seen_by_second_sent']}")
        if "browser_work_ms" in x:
            print(f"  first board's main thread (ms): {x['browser_work_ms']}")
    print(f"  ({r['bench_seconds']} s; written to {path})")


if __name__ == "__main__":
    main()
