"""What one live message costs a browser showing a board of 1,000 agents, alone.

Real parts: the simulator (--agents 1000 --no-traffic) polled once into a migrated SQLite file,
Django in this process rendering the real page (`/`, English, as a supervisor of every team)
and 40 real live messages of 30 changed rows each (`dashboard.live.agents_update`, after
toggling 30 agents between free and paused); headless Debian Chromium (Playwright) loads the
page from a plain static server here (no websocket, no other load on the machine) and the
messages are handed to the board's own message handler (`htmx:wsBeforeMessage` on the board,
as the websocket extension does), one every 150 ms. Per message: the handler's script time,
and the time until the next frame has been drawn (style, layout, paint included).
`--trace` adds where the main thread spent the run (Chromium's trace, by kind of work).

    .venv/bin/python bench/bench_board_browser.py [--messages 40] [--rows 30] [--trace]
"""

import argparse
import random
import statistics
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import AGENTS, ROOT, product_in_this_process, write_result  # noqa: E402

REPLAY_JS = """async (messages) => {
  const board = document.querySelector('.board[data-live]');
  const out = [];
  for (const message of messages) {
    await new Promise((r) => setTimeout(r, 150));
    const t0 = performance.now();
    board.dispatchEvent(new CustomEvent('htmx:wsBeforeMessage',
      {bubbles: true, cancelable: true, detail: {message}}));
    const t1 = performance.now();
    await new Promise((r) => requestAnimationFrame(() => setTimeout(r)));
    out.push([t1 - t0, performance.now() - t0]);
  }
  return out;
}"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=40)
    parser.add_argument("--rows", type=int, default=30, help="changed rows in each message")
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args()
    with product_in_this_process("bench-board-browser-"):
        page, messages = render(args.messages, args.rows)
    result = measure(page, messages, args.trace)
    result.update(agents=AGENTS, messages=args.messages, rows_per_message=args.rows)
    result["page_kb"] = round(len(page.encode()) / 1024)
    result["message_kb"] = round(statistics.mean(len(m.encode()) for m in messages) / 1024, 1)
    path = write_result("bench_board_browser", result)
    s, f = result["script_ms"], result["next_frame_ms"]
    print(f"A live message of {args.rows} rows into a board of {AGENTS} agents (Chromium, alone)")
    print(f"  handler script: median {s['median']} ms, p95 {s['p95']} ms")
    print(f"  to the next frame drawn: median {f['median']} ms, p95 {f['p95']}, max {f['max']} ms")
    if "main_thread_ms" in result:
        print(f"  main thread (ms): {result['main_thread_ms']}")
    print(f"  (written to {path})")


def render(count: int, rows: int) -> tuple[str, list[str]]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.utils import timezone, translation

    from crm_bridge import sync
    from crm_bridge.models import Agent
    from dashboard.live import agents_update

    sync.poll_directory()
    sync.poll_statuses()
    user = get_user_model().objects.create_superuser("bench-browser", password="x" * 12)
    browser = Client(HTTP_HOST="127.0.0.1")
    browser.force_login(user)
    page = browser.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    rng = random.Random(3)
    agents = list(Agent.objects.filter(active=True, status__in=["FREE", "PAUSED"]))
    messages = []
    for _ in range(count):
        chosen = rng.sample(agents, rows)
        for agent in chosen:
            if agent.status == "FREE":
                agent.apply_status("PAUSED", rng.choice([2, 3, 4, 5]), timezone.now())
            else:
                agent.apply_status("FREE", None, timezone.now())
            agent.save()
        with translation.override("en"):
            messages.append(agents_update([agent.login for agent in chosen]))
    return page, messages


def measure(page: str, messages: list[str], trace: bool) -> dict:
    import django_htmx
    from _common import processes
    from playwright.sync_api import sync_playwright

    roots = {
        "/static/django_htmx/": Path(django_htmx.__file__).parent / "static" / "django_htmx",
        "/static/": ROOT / "static",
    }

    class Files(SimpleHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            path = self.path.split("?")[0]
            if path == "/":
                body = page.encode()
            else:
                prefix = next((p for p in roots if path.startswith(p)), None)
                file = roots[prefix] / path[len(prefix) :] if prefix else None
                if file is None or not file.is_file():
                    self.send_error(404)
                    return
                body = file.read_bytes()
            kind = {".js": "text/javascript", ".css": "text/css"}.get(Path(path).suffix)
            self.send_response(200)
            self.send_header("Content-Type", kind or "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Files)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    result: dict = {}
    try:
        with sync_playwright() as pw:
            chromium = pw.chromium.launch(
                executable_path=processes.CHROMIUM, args=processes.CHROMIUM_ARGS
            )
            tab = chromium.new_page(viewport={"width": 1400, "height": 900})
            tab.goto(f"http://127.0.0.1:{server.server_port}/")
            tab.wait_for_timeout(1500)  # the first ticks and alert pass
            if trace:
                from bench_webhook_to_row import TRACE_CATEGORIES, trace_summary

                chromium.start_tracing(page=tab, categories=TRACE_CATEGORIES)
            times = tab.evaluate(REPLAY_JS, messages)
            if trace:
                result["main_thread_ms"] = trace_summary(chromium.stop_tracing())
            chromium.close()
    finally:
        server.shutdown()
    times = times[5:]  # the first few warm the page's code up
    for key, column in (("script_ms", 0), ("next_frame_ms", 1)):
        values = sorted(t[column] for t in times)
        result[key] = {
            "median": round(statistics.median(values), 1),
            "p95": round(values[int(0.95 * (len(values) - 1))], 1),
            "max": round(values[-1], 1),
        }
    return result


if __name__ == "__main__":
    main()
