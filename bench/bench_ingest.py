"""Webhook ingest: how many Thulium events per second the receiver sustains, with the
acknowledgement time p50/p99, while wallboards and a board are connected (every event is
stored, folded into its call, and pushed to them before the 200 goes back).

Starts its own product on a throw-away SQLite file: embedded Valkey + daphne (no Celery:
ingest does not use it). Usage: .venv/bin/python bench/bench_ingest.py [--calls 400]
[--concurrency 4] [--wallboards 3]
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scripts import processes  # noqa: E402

HOOK = ("bench-hook", "bench-hook-secret")


class Stack(processes.Processes):
    """Valkey + daphne on a fresh database; `manage()` runs against the same database."""

    def __init__(self):
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="bench-"))
        self.env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{self.folder}/db.sqlite3",
            "REDIS_URL": processes.valkey(self) + "/0",
            "THULIUM_WEBHOOK_USER": HOOK[0],
            "THULIUM_WEBHOOK_PASSWORD": HOOK[1],
            "THULIUM_API_URL": "http://127.0.0.1:9/api/",  # no Thulium: ingest only
            "LOG_LEVEL": "ERROR",
        }
        self.manage("migrate", "--noinput", "-v", "0")
        self.port = processes.free_port()
        daphne = [processes.PY, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port)]
        web = self.spawn(
            "daphne",
            [*daphne, "config.asgi:application"],
            self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.folder / "daphne.log", "w"),
        )
        processes.wait_for_port(self.port, web, "daphne")
        self.url = f"http://127.0.0.1:{self.port}"

    def manage(self, *args: str) -> str:
        done = processes.manage(self.env, *args)
        done.check_returncode()
        return done.stdout


def local(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("Europe/Warsaw")).strftime("%Y-%m-%d %H:%M:%S")


def call_events(n: int, rng: random.Random) -> list[dict]:
    """One realistic call's events (6-7): IVR, queue, ring, answer or abandon, completion."""
    cid, queue, agent = f"bench.{n}", str(155 + n % 6), f"agent{n % 40}"
    start = datetime.now() - timedelta(seconds=rng.randint(60, 600))
    wait = rng.randint(1, 60)

    def at(seconds):
        return local(start + timedelta(seconds=seconds))

    events = [
        {"action": "ENTER_IVR", "connection_id": cid, "source_number": "500100200", "date": at(0)},
        {"action": "ENTER_QUEUE", "connection_id": cid, "queue_id": queue, "date": at(5)},
    ]
    if rng.random() < 0.1:
        return events + [
            {
                "action": "ABANDONED",
                "connection_id": cid,
                "queue_id": queue,
                "hold_time": str(wait),
                "date": at(5 + wait),
            },  # fmt: skip
            {"action": "EXIT_QUEUE", "connection_id": cid, "queue_id": queue, "date": at(5 + wait)},
        ]
    return events + [
        {
            "action": "AGENT_RINGING",
            "connection_id": cid,
            "queue_id": queue,
            "agent_login": agent,
            "date": at(wait),
        },  # fmt: skip
        {
            "action": "AGENT_CONNECTED",
            "connection_id": cid,
            "queue_id": queue,
            "agent_login": agent,
            "date": at(5 + wait),
        },  # fmt: skip
        {"action": "EXIT_QUEUE", "connection_id": cid, "queue_id": queue, "date": at(5 + wait)},
        {
            "action": "AGENT_COMPLETED",
            "connection_id": cid,
            "queue_id": queue,
            "agent_login": agent,
            "duration": "120",
            "billsec": "115",
            "date": at(125 + wait),
        },  # fmt: skip
    ]


def listen(url: str, stop: threading.Event, counter: list) -> None:
    """A wallboard connected for the whole run (so every push really fans out)."""
    import asyncio

    import websockets

    async def run():
        origin = url.split("/ws/")[0]
        async with websockets.connect(url.replace("http", "ws", 1), origin=origin) as ws:
            while not stop.is_set():
                try:
                    await asyncio.wait_for(ws.recv(), timeout=0.5)
                    counter[0] += 1
                except TimeoutError:
                    pass

    asyncio.run(run())


def percentile(values: list[float], p: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--wallboards", type=int, default=3)
    args = parser.parse_args()
    stack = Stack()
    stop, received, threads = threading.Event(), [0], []
    try:
        for n in range(args.wallboards):
            token = stack.manage("wallboard_create", f"Bench {n}", "--kind", "all").strip()
            url = f"{stack.url}/ws/wallboard/{token}/"
            thread = threading.Thread(target=listen, args=(url, stop, received), daemon=True)
            thread.start()
            threads.append(thread)
        rng = random.Random(1)
        calls = [call_events(n, rng) for n in range(args.calls)]
        session_of = threading.local()

        def send_call(events):
            session = getattr(session_of, "s", None) or requests.Session()
            session_of.s = session
            times = []
            for event in events:
                started = time.perf_counter()
                response = session.post(f"{stack.url}/webhooks/thulium/", data=event, auth=HOOK)
                times.append(time.perf_counter() - started)
                response.raise_for_status()
            return times

        time.sleep(1)
        began = time.perf_counter()
        with ThreadPoolExecutor(args.concurrency) as pool:
            acks = [t for times in pool.map(send_call, calls) for t in times]
        elapsed = time.perf_counter() - began
        time.sleep(1)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=5)
        stack.stop()
    print(
        f"{len(acks)} events ({args.calls} calls) from {args.concurrency} senders, "
        f"{args.wallboards} wallboards connected: {len(acks) / elapsed:.0f} events/s; "
        f"ack p50 {1000 * statistics.median(acks):.1f} ms, "
        f"p99 {1000 * percentile(acks, 99):.1f} ms, "
        f"max {1000 * max(acks):.1f} ms; {received[0]} wallboard messages received"
    )


if __name__ == "__main__":
    main()
