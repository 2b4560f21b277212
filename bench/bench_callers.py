"""Who is calling (issue 10): what looking callers up in Thulium's CRM costs the live path, and
how many requests Thulium gets for it.

The product runs as `make run` runs it (daphne, a Celery worker with beat, the event processor,
a fresh SQLite file, an embedded Valkey) against the simulator (1,000 agents, no traffic, its
CRM of 2,540 customers); THULIUM_POLL_SECONDS=60 so that polls do not move the rows meanwhile.
Three runs, each on a fresh product, simulator and Valkey, one after the other:

  off        CUSTOMER_LOOKUPS_PER_SECOND=0 (no lookup at all), --boards boards
  on         the default (5 requests a second), --boards boards
  on-1       the default, one board

In each run the boards (/ws/live/, the demo supervisor, logged in) listen, then --calls new
calls are posted as Thulium posts them, paced at --rate calls a second: ENTER_QUEUE from a new
number (two in three a CRM customer's, one in three a stranger's) and AGENT_RINGING of that
call at a new agent. Measured: the ack (POST to 200), the push (POST sent to the first frame on
a board carrying that agent's row), the caller's name reaching the boards (POST sent to the
first frame whose row, or the row's caller element pushed alone, names the caller or says
"unknown"), and the requests Thulium's CRM got
(the simulator's count) against the number of distinct callers.

    .venv/bin/python bench/bench_callers.py [--calls 300] [--rate 10] [--boards 5]
"""

import argparse
import asyncio
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
import requests  # noqa: E402
from _common import (  # noqa: E402
    HOOK_PASSWORD,
    HOOK_USER,
    Children,
    django_env,
    free_port,
    processes,
    summary,
    write_result,
)

PASSWORD = "bench-demo-pass-123"
TZ = ZoneInfo("Europe/Warsaw")
ROW = re.compile(r'<tr id="agent-([^"]+)".*?</tr>', re.S)
# A name learned after the row's push comes alone: the row's caller element.
NAMED = re.compile(r'<span id="agent-([^"]+)-caller"[^>]*><[^>]*data-caller')


def start(kids: Children, folder: Path, lookups: int) -> tuple[str, dict]:
    env = {**os.environ, **django_env(folder, kids.valkey(), kids.simulator())}
    env.update(DEMO_PASSWORD=PASSWORD, THULIUM_POLL_SECONDS="60")
    env["CUSTOMER_LOOKUPS_PER_SECOND"] = str(lookups)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    for command in (["migrate", "--noinput", "-v", "0"], ["demo_users"], ["thulium_poll"]):
        processes.manage(env, *command).check_returncode()
    url = processes.web_and_worker(
        kids, env, free_port(), folder / "beat-schedule", concurrency=1, stderr=subprocess.DEVNULL
    )
    return url, env


def log_in(base: str) -> str:
    session = requests.Session()
    session.get(f"{base}/login/", timeout=10).raise_for_status()
    session.post(
        f"{base}/login/",
        data={"username": "supervisor", "password": PASSWORD,
              "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{base}/login/"}, timeout=10, allow_redirects=False,
    )  # fmt: skip
    return f"sessionid={session.cookies['sessionid']}"


def callers(sim: str, n: int) -> list[tuple[str, bool]]:
    """n new numbers: (number, a CRM customer's?), two in three known."""
    known = requests.get(f"{sim}/api/customers", params={"limit": n, "offset": 100},
                         auth=("bench-api", "bench-api-secret"), timeout=10).json()  # fmt: skip
    out, numbers = [], iter(c["phone_number"] for c in known)
    for i in range(n):
        out.append((f"79{i:07d}", False) if i % 3 == 2 else (next(numbers), True))
    return out


def run(label: str, lookups: int, boards: int, args) -> dict:
    with Children() as kids, tempfile.TemporaryDirectory(prefix="bench-callers-") as tmp:
        url, env = start(kids, Path(tmp), lookups)
        sim = env["THULIUM_API_URL"].removesuffix("/api/")
        agents = [
            a["login"] for a in requests.get(f"{sim}/_sim/state", timeout=10).json()["agents"]
        ]
        agents = [a for a in agents if a][: args.calls]
        numbers = callers(sim, args.calls)
        before = requests.get(f"{sim}/_sim/state", timeout=10).json()["api_counts"]
        sent, acks = {}, []
        frames: list[list[tuple[float, str]]] = [[] for _ in range(boards)]
        ready, stop = threading.Event(), threading.Event()
        listener = threading.Thread(
            target=lambda: asyncio.run(listen(url, log_in(url), frames, ready, stop)), daemon=True
        )
        listener.start()
        if not ready.wait(60):
            raise RuntimeError("the boards did not connect")
        session = requests.Session()
        session.auth = (HOOK_USER, HOOK_PASSWORD)
        began = time.perf_counter()
        for i, ((number, _), login) in enumerate(zip(numbers, agents, strict=False)):
            time.sleep(max(0.0, began + i / args.rate - time.perf_counter()))
            now = datetime.now(TZ).strftime("%Y-%m-%d %H:%M:%S")
            call = {"connection_id": f"bc.{label}.{i}", "queue_id": "155", "date": now,
                    "source_number": number}  # fmt: skip
            sent[login] = time.time()
            for event in ({"action": "ENTER_QUEUE", **call},
                          {"action": "AGENT_RINGING", **call, "agent_login": login}):  # fmt: skip
                t0 = time.perf_counter()
                answer = session.post(f"{url}/webhooks/thulium/", data=event, timeout=10)
                acks.append((time.perf_counter() - t0) * 1000)
                answer.raise_for_status()
        time.sleep(args.settle)
        stop.set()
        listener.join(30)
        after = requests.get(f"{sim}/_sim/state", timeout=10).json()["api_counts"]
    pushed, named = [], []
    for board in frames:
        row_at, name_at = {}, {}
        for at, text in board:
            for match in ROW.finditer(text):
                login = match.group(1)
                if login in sent and at > sent[login]:
                    row_at.setdefault(login, at)
                    if "data-caller" in match.group(0):
                        name_at.setdefault(login, at)
            for match in NAMED.finditer(text):
                if match.group(1) in sent and at > sent[match.group(1)]:
                    name_at.setdefault(match.group(1), at)
        pushed += [(row_at[x] - sent[x]) * 1000 for x in row_at]
        named += [(name_at[x] - sent[x]) * 1000 for x in name_at]
    asked = {k: after.get(k, 0) - before.get(k, 0) for k in ("customers", "companies")}
    return {
        "run": label,
        "lookups_per_second": lookups,
        "boards": boards,
        "calls": len(sent),
        "distinct_numbers": len({n for n, _ in numbers[: len(sent)]}),
        "ack_ms": summary(acks),
        "push_ms": summary(pushed),
        "rows_pushed": len(pushed),
        "name_ms": summary(named) if named else None,
        "rows_named": len(named),
        "thulium_requests": asked,
    }


async def listen(url: str, cookie: str, frames, ready: threading.Event, stop: threading.Event):
    import websockets

    base = url.removeprefix("http://")
    sockets = []
    for _ in frames:
        ws = await websockets.connect(
            f"ws://{base}/ws/live/?lang=en", origin=url, additional_headers={"Cookie": cookie},
            max_size=None, ping_interval=None, open_timeout=60,
        )  # fmt: skip
        await ws.recv()  # the snapshot
        sockets.append(ws)
    ready.set()

    async def drain(ws, into):
        while not stop.is_set():
            try:
                text = await asyncio.wait_for(ws.recv(), timeout=0.5)
            except TimeoutError:
                continue
            into.append((time.time(), text))

    await asyncio.gather(*(drain(ws, into) for ws, into in zip(sockets, frames, strict=True)))
    for ws in sockets:
        await ws.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rate", type=float, default=10, help="calls a second (2 events each)")
    parser.add_argument("--boards", type=int, default=5)
    parser.add_argument("--settle", type=float, default=10, help="seconds after the last call")
    args = parser.parse_args()
    runs = [run("off", 0, args.boards, args), run("on", 5, args.boards, args),
            run("on-1", 5, 1, args)]  # fmt: skip
    path = write_result("bench_callers", {"args": vars(args), "runs": runs})
    for r in runs:
        named = r["name_ms"] or {}
        print(f"{r['run']:5} boards={r['boards']} ack median/p99 {r['ack_ms']['median']}/"
              f"{r['ack_ms']['p99']} ms; row pushed median/p99 {r['push_ms'].get('median')}/"
              f"{r['push_ms'].get('p99')} ms ({r['rows_pushed']} rows); caller shown "
              f"{r['rows_named']} rows, median/p99 {named.get('median')}/{named.get('p99')} ms;"
              f" Thulium {r['thulium_requests']} for {r['distinct_numbers']} numbers")  # fmt: skip
    print(f"written to {path}")


if __name__ == "__main__":
    main()
