"""Webhook ingest and apply, the whole pipeline on real parts: daphne (the receiver), the event
processor (`manage.py process_events`, when the tree has one), an embedded Valkey, a fresh
SQLite file, and 3 wallboards connected so every push really fans out.

--database postgres runs it on a throwaway PostgreSQL cluster (scripts/postgres.py).
--cluster runs it on `make cluster`'s topology (scripts/cluster.py) on a throwaway PostgreSQL:
every request and websocket through nginx to two daphne, two Celery workers, one beat, one
event processor (results in bench/results/bench_ingest_cluster.json unless --name).

Phases, one run: (1) the ceiling: GET /healthz (an empty endpoint on the same daphne) as fast
as 8 and 32 keep-alive connections can; (2) ingest: realistic call events POSTed form-encoded
with Basic auth, closed loop, 8 then 32 senders, --seconds each: events/s and ack p50/p99,
non-2xx; (3) apply lag at a paced --rate (ack to applied, from the database); (4) a burst of
--burst events: time from the last ack to the last applied. Then stored = sent = applied.

    .venv/bin/python bench/bench_ingest.py [--seconds 30] [--rate 500] [--burst 5000]
                                           [--tree DIR] [--name bench_ingest] [--ingest-only]
                                           [--database sqlite|postgres] [--cluster]

--tree runs another checkout's code (e.g. a worktree of an older commit, for before/after);
a tree without process_events applies inside the webhook view, so (3) and (4) then measure
only the acknowledgement.
"""

import argparse
import asyncio
import itertools
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    HOOK_AUTH,
    HOOK_PASSWORD,
    HOOK_USER,
    PY,
    ROOT,
    Children,
    cluster_product,
    summary,
    wait_for_port,
    write_result,
)

from scripts.processes import DAPHNE_OPTIONS, free_port  # noqa: E402

WARSAW = ZoneInfo("Europe/Warsaw")


def call_events(seed: int, n: int) -> list[dict]:
    """One call's events, as Thulium sends them: queue, ring, answer, complete, agent status.
    No two are the same event (40 agents a stream, one call each a second)."""
    cid, queue, agent = f"bench.{seed}.{n}", str(155 + n % 6), f"agent{seed * 40 + n % 40}"
    start = datetime.now(WARSAW) - timedelta(seconds=3600 - n)

    def at(seconds):
        return (start + timedelta(seconds=seconds)).strftime("%Y-%m-%d %H:%M:%S")

    base = {"connection_id": cid, "queue_id": queue}
    return [
        {"action": "ENTER_QUEUE", **base, "source_number": "500100200", "date": at(0)},
        {"action": "AGENT_RINGING", **base, "agent_login": agent, "date": at(3)},
        {"action": "AGENT_CONNECTED", **base, "agent_login": agent, "date": at(8)},
        {"action": "EXIT_QUEUE", **base, "date": at(8)},
        {"action": "AGENT_COMPLETED", **base, "agent_login": agent, "duration": "120",
         "billsec": "112", "date": at(128)},
        {"action": "AGENT_STATUS_CHANGED", "agent_login": agent, "pause_id": str(n % 5 or ""),
         "date": at(129)},
    ]  # fmt: skip


def events_stream(seed: int):
    n = 0
    while True:
        yield from call_events(seed, n)
        n += 1


class Connection:
    """One keep-alive HTTP/1.1 connection: a request at a time, as a webhook sender does."""

    def __init__(self, port: int):
        self.port, self.reader, self.writer = port, None, None

    async def request(self, method: str, path: str, body: bytes = b"") -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {HOOK_AUTH}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length, close = 0, False
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
            close |= name.lower() == "connection" and value.strip().lower() == "close"
        await self.reader.readexactly(length)
        if close:  # a proxy ends a keep-alive connection after so many requests
            self.writer.close()
            self.writer = None
        return int(status_line.split()[1])


async def closed_loop(port, senders, seconds, make_body, path, method="POST"):
    """`senders` connections, each sending the next request as soon as it is answered."""
    acks, statuses = [], []
    deadline = time.perf_counter() + seconds

    async def sender(i):
        conn = Connection(port)
        while time.perf_counter() < deadline:
            body = make_body(i)
            started = time.perf_counter()
            statuses.append(await conn.request(method, path, body))
            acks.append(time.perf_counter() - started)

    began = time.perf_counter()
    await asyncio.gather(*(sender(i) for i in range(senders)))
    elapsed = time.perf_counter() - began
    return {
        "senders": senders,
        "requests": len(acks),
        "per_second": round(len(acks) / elapsed, 1),
        "ack_ms": summary([a * 1000 for a in acks]),
        "non_2xx": sum(not 200 <= s < 300 for s in statuses),
    }


async def paced(port, rate, count, bodies, senders=32):
    """Open loop: `count` events at `rate`/s spread over `senders` connections."""
    conns, statuses, acks = [Connection(port) for _ in range(senders)], [], []
    free = asyncio.Queue()
    for conn in conns:
        free.put_nowait(conn)

    async def one(body):
        conn = await free.get()
        started = time.perf_counter()
        statuses.append(await conn.request("POST", "/webhooks/thulium/", body))
        acks.append(time.perf_counter() - started)
        free.put_nowait(conn)

    began, tasks = time.perf_counter(), []
    for i in range(count):
        delay = began + i / rate - time.perf_counter() if rate else 0
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(next(bodies))))
    await asyncio.gather(*tasks)
    last_ack = time.time()
    return {
        "sent": count,
        "per_second": round(count / (time.perf_counter() - began), 1),
        "ack_ms": summary([a * 1000 for a in acks]),
        "non_2xx": sum(not 200 <= s < 300 for s in statuses),
    }, last_ack


class Database:
    """Read-only looks at the product's database: the SQLite file, or PostgreSQL by URL."""

    def __init__(self, sqlite_file: Path | None = None, postgres_url: str = ""):
        self.sqlite_file, self.postgres_url = sqlite_file, postgres_url

    def rows(self, sql: str, *params) -> list[tuple]:
        if self.postgres_url:
            import psycopg

            with psycopg.connect(self.postgres_url, autocommit=True) as conn:
                return conn.execute(sql.replace("?", "%s"), params).fetchall()
        with sqlite3.connect(self.sqlite_file, timeout=30) as conn:
            return conn.execute(sql, params).fetchall()

    def has_state(self) -> bool:
        """A tree from before the pipeline has no state column: it applied as it stored."""
        return bool(
            self.rows(
                "SELECT 1 FROM information_schema.columns WHERE table_name = "
                "'crm_bridge_webhookevent' AND column_name = 'state'"
            )
            if self.postgres_url
            else [
                r
                for r in self.rows("PRAGMA table_info(crm_bridge_webhookevent)")
                if r[1] == "state"
            ]
        )

    def counts(self) -> dict:
        state = "state" if self.has_state() else "'applied'"
        sql = f"SELECT {state}, COUNT(*) FROM crm_bridge_webhookevent WHERE action != '' GROUP BY 1"
        return dict(self.rows(sql))

    def apply_lags(self, since_id: int) -> list[float]:
        if self.postgres_url:
            lag = "EXTRACT(EPOCH FROM applied_at - received_at) * 1000"
        else:
            lag = "(julianday(applied_at) - julianday(received_at)) * 86400000"
        sql = f"SELECT {lag} FROM crm_bridge_webhookevent WHERE id > ? AND applied_at IS NOT NULL"
        return [float(r[0]) for r in self.rows(sql, since_id)]

    def max_id(self) -> int:
        return self.rows("SELECT COALESCE(MAX(id), 0) FROM crm_bridge_webhookevent")[0][0]


def wait_applied(db: Database, timeout: float = 900) -> float:
    """Seconds until nothing is pending (only for trees with the pipeline)."""
    began = time.time()
    while time.time() - began < timeout:
        if not db.counts().get("pending"):
            return time.time()
        time.sleep(0.05)
    raise RuntimeError("events still pending after %.0f s" % timeout)


def product_env(kids: Children) -> dict:
    return {
        "REDIS_URL": kids.valkey(),
        "THULIUM_WEBHOOK_USER": HOOK_USER,
        "THULIUM_WEBHOOK_PASSWORD": HOOK_PASSWORD,
        "THULIUM_API_URL": "http://127.0.0.1:9/api/",  # no Thulium: ingest only
        "LOG_LEVEL": "ERROR",
    }


def start(kids: Children, tree: Path, folder: Path, postgres_url: str) -> tuple:
    db = Database(folder / "db.sqlite3", postgres_url)
    env = {
        **os.environ,
        **product_env(kids),
        "DATABASE_URL": postgres_url or f"sqlite:///{db.sqlite_file}",
    }
    manage = [PY, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v", "0"], cwd=tree, env=env, check=True)
    for n in range(3):
        subprocess.run([*manage, "wallboard_create", f"Bench {n}", "--kind", "all"], cwd=tree,
                       env=env, check=True, capture_output=True)  # fmt: skip
    port = free_port()
    log = open(Path(tempfile.gettempdir()) / "bench-ingest.log", "w")  # kept for a post-mortem
    daphne = [PY, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port), *DAPHNE_OPTIONS]
    web = _spawn([*daphne, "config.asgi:application"], env, tree, log)
    pipeline = (tree / "crm_bridge/management/commands/process_events.py").exists()
    if pipeline:
        _spawn([*manage, "process_events"], env, tree, log)
    wait_for_port(port, web, "daphne")
    return port, db, pipeline


SPAWNED: list[subprocess.Popen] = []


def _spawn(args, env, tree, log) -> subprocess.Popen:
    """A child in `tree` (not necessarily this checkout), in a session of its own."""
    proc = subprocess.Popen(args, cwd=tree, env=env, stdout=log, stderr=log, start_new_session=True)
    SPAWNED.append(proc)
    return proc


def _stop_spawned() -> None:
    for proc in SPAWNED:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in SPAWNED:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def start_cluster(env: dict, url: str) -> tuple:
    """On the running cluster (_common.cluster_product): its 3 wallboards; the proxy's port
    and the database."""
    for n in range(3):
        subprocess.run([PY, "manage.py", "wallboard_create", f"Bench {n}", "--kind", "all"],
                       cwd=ROOT, env=env, check=True, capture_output=True)  # fmt: skip
    return int(url.rsplit(":", 1)[1]), Database(postgres_url=env["DATABASE_URL"])


async def wallboards(port: int, db: Database, stop: asyncio.Event) -> list[int]:
    import websockets

    tokens = [r[0] for r in db.rows("SELECT token FROM dashboard_wallboard")]
    received = [0]

    async def listen(token):
        url = f"ws://127.0.0.1:{port}/ws/wallboard/{token}/"
        async with websockets.connect(url, origin=f"http://127.0.0.1:{port}") as ws:
            while not stop.is_set():
                try:
                    await asyncio.wait_for(ws.recv(), timeout=0.5)
                    received[0] += 1
                except TimeoutError:
                    pass

    tasks = [asyncio.create_task(listen(t)) for t in tokens]
    await stop.wait()
    await asyncio.gather(*tasks, return_exceptions=True)
    return received


async def run(args, port: int, db: Database, pipeline: bool) -> dict:
    stop = asyncio.Event()
    boards = asyncio.create_task(wallboards(port, db, stop))
    await asyncio.sleep(1)
    result = {"pipeline": pipeline, "ceiling": [], "ingest": []}
    for senders in (8, 32):
        result["ceiling"].append(
            await closed_loop(port, senders, 10, lambda i: b"", "/healthz", "GET")
        )
    streams, seeds = {}, itertools.count(1)  # a new stream per sender and phase: no repeats

    def webhook_body(i):
        if i not in streams:
            streams[i] = events_stream(next(seeds))
        stream = streams[i]
        return urlencode(next(stream)).encode()

    for senders in (8, 32):
        row = await closed_loop(port, senders, args.seconds, webhook_body, "/webhooks/thulium/")
        print(f"ingest, {senders} senders: {row}", flush=True)
        result["ingest"].append(row)
        streams.clear()
        if pipeline:  # the backlog those senders left: how fast the processor drains it
            began, backlog = time.time(), db.counts().get("pending", 0)
            row["backlog_after"] = backlog
            row["backlog_drained_s"] = round(wait_applied(db) - began, 1)
            print(f"  backlog {backlog} drained in {row['backlog_drained_s']} s", flush=True)
        await asyncio.sleep(2)
    bodies = (urlencode(e).encode() for e in events_stream(900))
    if args.ingest_only:
        return await _finish(result, boards, stop, db, pipeline, paced_too=False)
    if pipeline:
        wait_applied(db)
    since = db.max_id()
    result["paced"], _ = await paced(port, args.rate, args.rate * 20, bodies)
    if pipeline:
        wait_applied(db)
        lags = db.apply_lags(since)
        result["paced"]["apply_lag_ms"] = summary(lags)
    result["burst"], last_ack = await paced(port, 0, args.burst, bodies, senders=32)
    if pipeline:
        result["burst"]["applied_after_last_ack_s"] = round(wait_applied(db) - last_ack, 2)
    return await _finish(result, boards, stop, db, pipeline, paced_too=True)


async def _finish(result, boards, stop, db, pipeline, paced_too) -> dict:
    if pipeline:
        wait_applied(db)
    await asyncio.sleep(2)
    stop.set()
    result["wallboard_messages"] = (await boards)[0]
    sent = sum(r["requests"] for r in result["ingest"])
    if paced_too:
        sent += result["paced"]["sent"] + result["burst"]["sent"]
    counts = db.counts()
    result["sent"], result["stored"] = sent, sum(counts.values())
    result["applied"] = counts.get("applied", 0) if pipeline else sum(counts.values())
    result["failed"] = counts.get("failed", 0)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--burst", type=int, default=5000)
    parser.add_argument("--tree", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--name", default="bench_ingest")
    parser.add_argument("--ingest-only", action="store_true", help="phases 1 and 2 only")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--cluster", action="store_true", help="through nginx to two daphne")
    args = parser.parse_args()
    if args.cluster:
        args.database, args.tree = "postgres", ROOT
        if args.name == "bench_ingest":
            args.name = "bench_ingest_cluster"
    with Children() as kids, tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        cluster = None
        try:
            if args.cluster:
                env = {**os.environ, **product_env(kids)}
                with cluster_product(kids, Path(tmp), env) as url:
                    port, db = start_cluster(env, url)
                    result = asyncio.run(run(args, port, db, True))
            else:
                if args.database == "postgres":
                    from scripts.postgres import Cluster

                    cluster = Cluster().start()
                url = cluster.create_database("bench") if cluster else ""
                port, db, pipeline = start(kids, args.tree.resolve(), Path(tmp), url)
                result = asyncio.run(run(args, port, db, pipeline))
        finally:
            _stop_spawned()
            if cluster:
                cluster.stop()
    result["tree"], result["database"] = str(args.tree), args.database
    result["topology"] = "cluster: nginx, 2 daphne" if args.cluster else "1 daphne"
    path = write_result(args.name, result)
    for row in result["ceiling"]:
        print(f"ceiling /healthz, {row['senders']} conns: {row['per_second']}/s, "
              f"p50 {row['ack_ms']['median']} ms, p99 {row['ack_ms']['p99']} ms")  # fmt: skip
    for row, ceiling in zip(result["ingest"], result["ceiling"], strict=True):
        print(f"ingest, {row['senders']} senders: {row['per_second']} events/s "
              f"({100 * row['per_second'] / ceiling['per_second']:.0f} % of the ceiling), "
              f"ack p50 {row['ack_ms']['median']} ms, p99 {row['ack_ms']['p99']} ms, "
              f"max {row['ack_ms']['max']} ms, non-2xx {row['non_2xx']}")  # fmt: skip
    for phase in ("paced", "burst"):
        if phase in result:
            print(f"{phase}: {result[phase]}")
    print(
        f"sent {result['sent']}, stored {result['stored']}, applied {result['applied']}, "
        f"failed {result['failed']}; wallboard messages: {result['wallboard_messages']}"
    )
    print(path)


if __name__ == "__main__":
    main()
