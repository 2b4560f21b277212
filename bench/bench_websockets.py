"""Websockets at scale (issue 7): 1,000 supervisor boards (/ws/live/, logged in) on one daphne
connecting all at once, one change reaching every one of them, and what is left in Redis once
they have all closed; optionally the same for the screens of one wallboard link.

Every configuration gets its own daphne (started as `make run` starts it), SQLite file and
Valkey database on one embedded Valkey, all started before the first round; the rounds then
alternate between configurations, so "before" and "after" share the machine and its noise.

  before      the code at --before (`git archive`), as it was: its settings, its consumers
  after       this working tree as configured (config/settings.py)
  core-sized  this working tree's consumers on channels_redis' core layer with a pool of
              2,000 connections (the "size the pool" alternative to publishing once)

A round: N sockets connect at once (handshake and snapshot timed; the refused ones then come
back 25 at a time, at most 3 tries each, as browsers retry), then --pushes changes are
published the way dashboard/live.py does (`broadcast(group, html)`, 2 KB) by a helper process
running that configuration's code, timed from just before the helper is asked to the moment
each socket has it (daphne's CPU per push alongside), then every socket closes and Redis is
read for what is left of them.

Usage: .venv/bin/python bench/bench_websockets.py [--sockets 1000] [--pushes 10] [--rounds 2]
       [--paths live,wallboard] [--wallboard-sockets 300] [--configs before,after,core-sized]
       [--before REF]
"""

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import (  # noqa: E402
    PY,
    ROOT,
    Children,
    free_port,
    group_cpu_seconds,
    pct,
    processes,
    wait_for_port,
    write_result,
)

DEMO_PASSWORD = "bench-pass-123"
BEFORE = "3f63547"  # the last commit before issue 7: core layer, redis-py's pool of 100
LAYER_OVERRIDES = {
    "core-sized": """
CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer", "CONFIG": {
    "hosts": [{"address": REDIS_URL, "socket_timeout": 15, "max_connections": 2000}],
    "capacity": 1000, "expiry": 30}}}
""",
}
# Runs in the configuration's tree: publishes each change as dashboard/live.py does.
PUBLISHER = """
import os, sys, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()
from dashboard.live import broadcast
from dashboard.models import Wallboard
print(Wallboard.objects.get(token=os.environ["BENCH_TOKEN"]).group, flush=True)
padding = "<!--" + "x" * 2000 + "-->"
for line in sys.stdin:
    group, n = line.split()
    broadcast(group, f'<div id="bench" hidden data-push="{n}"></div>' + padding)
    print("ok", flush=True)
"""


@dataclass
class Config:
    name: str
    tree: Path
    env: dict
    port: int = 0
    daphne: subprocess.Popen | None = None
    publisher: subprocess.Popen | None = None
    wallboard_group: str = ""
    token: str = ""
    cookie: str = ""
    log: Path | None = None
    rounds: list = field(default_factory=list)


def _more_files() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))


def _child_setup() -> None:
    processes._die_with_parent()
    _more_files()


def prepare(kids: Children, name: str, valkey: str, db: int, folder: Path, ref: str) -> Config:
    folder.mkdir()
    tree = ROOT
    if name == "before":
        tree = folder / "tree"
        tree.mkdir()
        archive = subprocess.run(["git", "archive", ref], cwd=ROOT, capture_output=True, check=True)
        subprocess.run(["tar", "-x", "-C", str(tree)], input=archive.stdout, check=True)
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder}/db.sqlite3",
        "REDIS_URL": f"{valkey}/{db}",
        "THULIUM_API_URL": "http://127.0.0.1:9/api/",  # no Thulium: the layer only
        "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
        "DJANGO_DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        "PYTHONDONTWRITEBYTECODE": "1",
        "DEMO_PASSWORD": DEMO_PASSWORD,
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    if name in LAYER_OVERRIDES:
        module = f"bench_ws_{name.replace('-', '_')}"
        (folder / f"{module}.py").write_text(
            "from config.settings import *  # noqa: F403\n" + LAYER_OVERRIDES[name]
        )
        env.update(PYTHONPATH=str(folder), DJANGO_SETTINGS_MODULE=module)
    config = Config(name, tree, env, log=folder / "daphne.log")
    manage(config, "migrate", "--noinput", "-v", "0")
    config.token = manage(config, "wallboard_create", f"Bench {name}").strip()
    manage(config, "demo_users")
    config.port = free_port()
    config.daphne = spawn(
        kids, f"daphne {name}", config,
        [PY, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(config.port),
         *processes.DAPHNE_OPTIONS, "config.asgi:application"],
        stdout=subprocess.DEVNULL, stderr=open(config.log, "w"),
    )  # fmt: skip
    wait_for_port(config.port, config.daphne, f"daphne ({name})")
    config.publisher = spawn(
        kids, f"publisher {name}", config, [PY, "-c", PUBLISHER],
        env={**env, "BENCH_TOKEN": config.token},
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    config.wallboard_group = config.publisher.stdout.readline().strip()
    if not config.wallboard_group:
        raise RuntimeError(f"the publisher for {name} did not start")
    config.cookie = log_in(f"http://127.0.0.1:{config.port}")
    return config


def log_in(base: str) -> str:
    """A supervisor's session cookie, from the real login form."""
    import requests

    session = requests.Session()
    session.get(f"{base}/login/", timeout=10).raise_for_status()
    answer = session.post(
        f"{base}/login/",
        data={"username": "supervisor", "password": DEMO_PASSWORD,
              "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": f"{base}/login/"}, timeout=10, allow_redirects=False,
    )  # fmt: skip
    if answer.status_code != 302 or "sessionid" not in session.cookies:
        raise RuntimeError(f"login failed: HTTP {answer.status_code}")
    return f"sessionid={session.cookies['sessionid']}"


def manage(config: Config, *args: str) -> str:
    done = subprocess.run(
        [PY, "manage.py", *args], cwd=config.tree, env=config.env, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {' '.join(args)} ({config.name}):\n{done.stderr}")
    return done.stdout


def spawn(kids: Children, name: str, config: Config, args: list[str], env=None, **kwargs):
    """Like Processes.spawn, but in the configuration's tree and with room for many sockets."""
    proc = subprocess.Popen(
        args, cwd=config.tree, env=env or config.env, start_new_session=True,
        preexec_fn=_child_setup, **kwargs,
    )  # fmt: skip
    kids.procs.append((name, proc))
    return proc


def members(config: Config, group: str) -> dict:
    """What Redis holds for the group: core's member set, pub/sub subscriptions."""
    import redis

    url = config.env["REDIS_URL"]
    valkey = redis.Redis.from_url(url)  # the configuration's database
    prefix = f"asgi.{url.rsplit('/', 1)[1]}."  # config/settings.py's pub/sub prefix
    return {
        "core_group_members": valkey.zcard(f"asgi:group:{group}"),
        "pubsub_group_subscribers": sum(
            n for _, n in valkey.pubsub_numsub(f"{prefix}__group__{group}")
        ),
        "pubsub_channels": len(valkey.pubsub_channels(f"{prefix}*")),
    }


async def one_round(config: Config, path: str, sockets: int, pushes: int) -> dict:
    """`path`: "live" (supervisors' boards, logged in) or "wallboard" (one wallboard's link)."""
    import websockets

    base = f"127.0.0.1:{config.port}"
    if path == "live":
        url = f"ws://{base}/ws/live/?lang=pl"
        # The Polish boards' group: of every team ("all") since teams, before them per language.
        teams = (config.tree / "dashboard" / "teams.py").exists()
        group = "board-all-pl" if teams else "board-pl"
        headers = {"Cookie": config.cookie}
    else:
        url, group, headers = f"ws://{base}/ws/wallboard/{config.token}/", "", {}
        group = config.wallboard_group
    failures: dict[str, int] = {}

    async def connect(failures: dict):
        started = time.perf_counter()
        try:
            ws = await websockets.connect(
                url, origin=f"http://{base}", additional_headers=headers, open_timeout=60,
                max_size=None, ping_interval=None,
            )  # fmt: skip
        except Exception as error:  # noqa: BLE001
            status = getattr(getattr(error, "response", None), "status_code", None)
            key = f"HTTP {status}" if status else type(error).__name__
            failures[key] = failures.get(key, 0) + 1
            return None, None
        try:
            await asyncio.wait_for(ws.recv(), timeout=60)  # the snapshot
        except Exception as error:  # noqa: BLE001
            key = f"no snapshot ({type(error).__name__})"
            failures[key] = failures.get(key, 0) + 1
            await ws.close()
            return None, None
        return ws, time.perf_counter() - started

    cpu = group_cpu_seconds(config.daphne.pid)
    began = time.perf_counter()
    opened = await asyncio.gather(*(connect(failures) for _ in range(sockets)))
    connect_wall = time.perf_counter() - began
    connect_cpu = group_cpu_seconds(config.daphne.pid) - cpu
    live = [ws for ws, _ in opened if ws is not None]
    snapshot_times = [t for _, t in opened if t is not None]
    first_try = len(live)

    # The refused ones come back as a browser would, a few at a time (at most 3 tries each),
    # so that every configuration's push is measured with all the sockets open.
    gate, retry_failures = asyncio.Semaphore(25), {}

    async def again():
        async with gate:
            for _ in range(3):
                ws, _ = await connect(retry_failures)
                if ws is not None:
                    return ws
                await asyncio.sleep(0.5)

    live += [
        ws for ws in await asyncio.gather(*(again() for _ in range(sockets - first_try))) if ws
    ]
    await asyncio.to_thread(wait_idle, config)
    joined = members(config, group)

    latencies, missed = [], 0
    cpu = group_cpu_seconds(config.daphne.pid)
    for n in range(pushes):
        marker = f'data-push="{config.name}-{n}"'

        async def wait(ws, marker=marker):
            while True:
                if marker in await ws.recv():
                    return time.perf_counter()

        waiters = [asyncio.ensure_future(asyncio.wait_for(wait(ws), 10)) for ws in live]
        await asyncio.sleep(0)
        started = time.perf_counter()
        config.publisher.stdin.write(f"{group} {config.name}-{n}\n")
        config.publisher.stdin.flush()
        await asyncio.to_thread(config.publisher.stdout.readline)
        for result in await asyncio.gather(*waiters, return_exceptions=True):
            if isinstance(result, float):
                latencies.append(1000 * (result - started))
            else:
                missed += 1
        await asyncio.sleep(0.3)
    push_cpu = (group_cpu_seconds(config.daphne.pid) - cpu) / max(1, pushes)

    await asyncio.gather(*(ws.close() for ws in live), return_exceptions=True)
    await asyncio.to_thread(wait_idle, config)  # every disconnect() has run
    left = members(config, group)
    return {
        "path": path,
        "sockets": sockets,
        "connected": first_try,
        "failures": failures,
        "connected_after_retries": len(live),
        "retry_failures": retry_failures,
        "connect_all_s": round(connect_wall, 2),
        "snapshot_p50_ms": round(1000 * pct(snapshot_times, 50), 1) if snapshot_times else None,
        "snapshot_p99_ms": round(1000 * pct(snapshot_times, 99), 1) if snapshot_times else None,
        "daphne_cpu_connect_s": round(connect_cpu, 2),
        "in_redis_when_open": joined,
        "pushes": pushes,
        "push_p50_ms": round(pct(latencies, 50), 1) if latencies else None,
        "push_p99_ms": round(pct(latencies, 99), 1) if latencies else None,
        "push_max_ms": round(max(latencies), 1) if latencies else None,
        "push_missed": missed,
        "daphne_cpu_per_push_s": round(push_cpu, 3),
        "in_redis_after_close": left,
    }


def wait_idle(config: Config, timeout: float = 60) -> None:
    """Until daphne uses under 5% of a core over half a second (work queued for sockets that
    are gone would otherwise land in the next configuration's round)."""
    deadline = time.monotonic() + timeout
    time.sleep(1)
    while time.monotonic() < deadline:
        before = group_cpu_seconds(config.daphne.pid)
        time.sleep(0.5)
        if group_cpu_seconds(config.daphne.pid) - before < 0.025:
            return


def tracebacks(config: Config) -> int:
    return config.log.read_text(errors="replace").count("Traceback")


def line(name: str, r: dict) -> str:
    fails = ", ".join(f"{v} {k}" for k, v in r["failures"].items()) or "none"
    return (
        f"{name:>10} {r['path']:>9}: {r['connected']}/{r['sockets']} connected in "
        f"{r['connect_all_s']} s (failures: {fails}; snapshot p50 {r['snapshot_p50_ms']} ms, "
        f"p99 {r['snapshot_p99_ms']} ms; daphne CPU {r['daphne_cpu_connect_s']} s); "
        f"{r['connected_after_retries']} after retries; push to them p50 "
        f"{r['push_p50_ms']} ms, p99 {r['push_p99_ms']} ms, max {r['push_max_ms']} ms, missed "
        f"{r['push_missed']}; daphne CPU {r['daphne_cpu_per_push_s']} s/push; in Redis while "
        f"open {r['in_redis_when_open']}, after close {r['in_redis_after_close']}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=1000, help="boards (/ws/live/)")
    parser.add_argument("--wallboard-sockets", type=int, default=300, help="screens of one link")
    parser.add_argument("--pushes", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--configs", default="before,after,core-sized")
    parser.add_argument("--paths", default="live", help="live, wallboard or live,wallboard")
    parser.add_argument("--before", default=BEFORE, help="git ref of the 'before' code")
    args = parser.parse_args()
    _more_files()
    names = args.configs.split(",")
    with Children() as kids, tempfile.TemporaryDirectory(prefix="bench-ws-") as tmp:
        url = processes.valkey(kids)
        configs = [
            prepare(kids, name, url, db, Path(tmp) / name, args.before)
            for db, name in enumerate(names, start=1)
        ]
        time.sleep(1)
        for number in range(1, args.rounds + 1):
            for path in args.paths.split(","):
                sockets = args.sockets if path == "live" else args.wallboard_sockets
                for config in configs:
                    result = asyncio.run(one_round(config, path, sockets, args.pushes))
                    config.rounds.append(result)
                    print(f"round {number} {line(config.name, result)}", flush=True)
        for config in configs:
            print(f"{config.name}: {tracebacks(config)} tracebacks in daphne's log")
        results = {
            c.name: {"rounds": c.rounds, "daphne_tracebacks": tracebacks(c)} for c in configs
        }
    write_result(
        "bench_websockets",
        {"args": {**vars(args), "before": args.before}, "configs": results},
    )


if __name__ == "__main__":
    main()
