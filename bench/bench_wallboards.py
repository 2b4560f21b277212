"""Wallboards: event-to-wallboard latency in a real browser (Chromium), and how many wallboard
screens can be connected at once with every one still updated within a second.

Starts its own product (bench_ingest.Stack). Each step posts ENTER_QUEUE webhooks and times,
per connected screen, from the POST to the moment the changed tile arrives.
Usage: .venv/bin/python bench/bench_wallboards.py [--screens 10,50,100,200,400] [--events 10]
"""

import argparse
import asyncio
import itertools
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_ingest import HOOK, Stack, local, percentile, processes  # noqa: E402

QUEUE = 155
_ids = itertools.count(1)


def enter_queue(stack: Stack) -> str:
    cid = f"wb-bench-{next(_ids)}"
    data = {"action": "ENTER_QUEUE", "connection_id": cid, "queue_id": str(QUEUE),
            "date": local(datetime.now())}  # fmt: skip
    requests.post(f"{stack.url}/webhooks/thulium/", data=data, auth=HOOK, timeout=10)
    return cid


async def screens_step(stack: Stack, urls: list[str], count: int, events: int) -> list[float]:
    import websockets

    marker = f'id="queue-{QUEUE}"'
    sockets = []
    for n in range(count):
        ws = await websockets.connect(
            urls[n % len(urls)].replace("http", "ws", 1), origin=stack.url, max_size=None
        )
        await ws.recv()  # the snapshot
        sockets.append(ws)
    latencies = []
    for _ in range(events):
        started = time.perf_counter()
        await asyncio.to_thread(enter_queue, stack)

        async def wait(ws, started=started):
            while True:
                message = await ws.recv()
                if marker in message and "wb-heartbeat" not in message:
                    return time.perf_counter() - started

        latencies += await asyncio.gather(*(wait(ws) for ws in sockets))
        await asyncio.sleep(0.3)
    for ws in sockets:
        await ws.close()
    return latencies


def browser_latency(stack: Stack, url: str, events: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=processes.CHROMIUM, args=processes.CHROMIUM_ARGS
        )
        page = browser.new_page()
        page.goto(url)
        page.wait_for_selector(f"#queue-{QUEUE}")
        page.wait_for_timeout(1000)
        latencies = []
        for _ in range(events):
            before = page.inner_text(f"#queue-{QUEUE} [data-field=waiting]")
            started = time.perf_counter()
            enter_queue(stack)
            page.wait_for_function(
                f"document.querySelector('#queue-{QUEUE} [data-field=waiting]').textContent"
                f" !== '{before}'",
                polling="raf",
            )
            latencies.append(time.perf_counter() - started)
            page.wait_for_timeout(400)
        browser.close()
    return latencies


def summary(latencies: list[float]) -> str:
    ms = [1000 * x for x in latencies]
    return (
        f"p50 {statistics.median(ms):.0f} ms, p99 {percentile(ms, 99):.0f} ms, max {max(ms):.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--screens", default="10,50,100,200,400")
    parser.add_argument("--events", type=int, default=10)
    args = parser.parse_args()
    stack = Stack()
    try:
        tokens = [
            stack.manage("wallboard_create", f"Bench {n}", "--kind", "queues_agents").strip()
            for n in range(3)
        ]
        urls = [f"{stack.url}/wallboard/{t}/" for t in tokens]
        urls_ws = [f"{stack.url}/ws/wallboard/{t}/" for t in tokens]
        enter_queue(stack)  # the queue exists before the screens connect
        time.sleep(0.5)
        print(f"browser, event to wallboard ({args.events} events): "
              f"{summary(browser_latency(stack, urls[0], args.events))}")  # fmt: skip
        for count in [int(n) for n in args.screens.split(",")]:
            latencies = asyncio.run(screens_step(stack, urls_ws, count, args.events))
            under = sum(x < 1 for x in latencies) / len(latencies)
            print(f"{count} screens on 3 wallboards: {summary(latencies)}; "
                  f"{100 * under:.1f}% of updates under 1 s")  # fmt: skip
    finally:
        stack.stop()
        print(f"(daphne's log: {stack.folder}/daphne.log)")


if __name__ == "__main__":
    main()
