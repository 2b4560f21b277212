"""The production topology (`make cluster`): two daphne behind nginx, two Celery workers, one
beat, one event processor. Boards on either daphne see every webhook posted through the proxy;
a daphne killed mid-traffic loses no answered webhook (nginx sends it to the other one) and its
boards reconnect through the proxy and catch up; a second beat sends nothing."""

import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests
from playwright.sync_api import expect

from scripts import cluster as topology
from scripts import processes
from scripts.processes import ROOT, Processes, free_port
from tests._cluster import start_cluster
from tests._env import HOOK_PASSWORD, HOOK_USER
from tests.conftest import DEMO_PASSWORD, Simulator, database_url, query

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cluster")
    with Processes() as procs:
        redis = processes.valkey(procs)
        sim_port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": database_url(folder),
            "REDIS_URL": f"{redis}/0",
            "SIM_PORT": str(sim_port),
            "SIM_ARGS": "--no-traffic",
            "THULIUM_POLL_SECONDS": "1",
            "DEMO_PASSWORD": DEMO_PASSWORD,
        }
        for test_only in ("DJANGO_ALLOW_ASYNC_UNSAFE", "QUEUE_PUSH_DELAY_MS", "THULIUM_API_URL"):
            env.pop(test_only, None)
        running = start_cluster(folder, env)
        running.sim = Simulator(f"http://127.0.0.1:{sim_port}")
        try:
            yield running
        finally:
            code = running.stop()
        assert code == 0 and "Stopping…" in "".join(running.output)
        for name, pid in running.pids.items():  # nothing left behind
            assert not _alive(pid), f"{name} ({pid}) still runs after the cluster stopped"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is not running
        return stat.read().split(") ")[1][0] != "Z"


def _connects(cluster) -> dict[str, int]:
    """How many board sockets each daphne has accepted so far (from its own log)."""
    return {web: cluster.log(web).count('"WSCONNECT /ws/live/"') for web in ("web1", "web2")}


def _socket_went_to(cluster, before: dict[str, int]) -> str:
    """The daphne that accepted the one board socket opened since `before`."""
    new = _wait(lambda: [web for web, n in _connects(cluster).items() if n > before[web]], 15)
    assert len(new) == 1, new
    return new[0]


def _board(browser, cluster):
    """A logged-in board through the proxy, and the daphne its websocket went to."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")
    context.set_default_timeout(10_000)
    page = context.new_page()
    before = _connects(cluster)
    page.goto(f"{cluster.url}/login/")
    page.fill("input[name=username]", "supervisor")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{cluster.url}/")
    expect(page.locator("tr.agent").first).to_be_visible(timeout=15_000)
    return page, _socket_went_to(cluster, before)


def _wait(condition, timeout: float):
    deadline = time.monotonic() + timeout
    while not (result := condition()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return result


class Sender(threading.Thread):
    """Posts a new webhook through the proxy every 20 ms, as Thulium would, until stopped;
    keeps each answer's status, the daphne(s) nginx tried, and the call it was about."""

    def __init__(self, url: str):
        super().__init__(daemon=True)
        self.url, self.answers, self.stopped = url, [], threading.Event()

    def run(self):
        session = requests.Session()
        n = 0
        while not self.stopped.is_set():
            n += 1
            self.answers.append(_post(session, self.url, f"cluster.{n}"))
            time.sleep(0.02)


def _post(session, url: str, connection_id: str) -> tuple[int, str, str]:
    """One new call's webhook through the proxy: (status, the daphne(s) nginx tried, the call)."""
    now = time.strftime("%Y-%m-%d %H:%M:%S")
    event = {"action": "ENTER_QUEUE", "connection_id": connection_id, "queue_id": "155",
             "source_number": "500100200", "date": now}  # fmt: skip
    try:
        response = session.post(f"{url}/webhooks/thulium/", data=event,
                                auth=(HOOK_USER, HOOK_PASSWORD), timeout=10)  # fmt: skip
    except requests.RequestException as exc:
        return (0, str(exc), connection_id)
    return (response.status_code, response.headers.get("X-Upstream", ""), connection_id)


def test_boards_on_either_daphne_see_every_webhook_and_a_dead_daphne_loses_none(browser, cluster):
    sim, url = cluster.sim, cluster.url
    (page_a, web_a), (page_b, web_b) = _board(browser, cluster), _board(browser, cluster)
    for _ in range(6):  # round robin: one more request, a reload, and B is on the other daphne
        if web_a != web_b:
            break
        requests.get(f"{url}/healthz", timeout=5)
        before = _connects(cluster)
        page_b.reload()
        web_b = _socket_went_to(cluster, before)
    assert {web_a, web_b} == {"web1", "web2"}

    # Thulium's panel pauses an agent: the webhook goes through the proxy to one daphne, the
    # processor applies it, and both boards show it.
    agents = [a["login"] for a in sim.state()["agents"] if a["status"] == "FREE"]
    first, second = agents[0], agents[1]
    assert sim.api("POST", f"agents/{first}/pause", data={"pause_id": "3"}).status_code == 201
    for page in (page_a, page_b):
        expect(page.locator(f"#agent-{first}")).to_have_attribute(
            "data-status", "PAUSED", timeout=10_000
        )

    # B's daphne is killed while webhooks keep coming through the proxy.
    doomed, before = web_b, _connects(cluster)
    sender = Sender(url)
    sender.start()
    time.sleep(1)
    os.kill(cluster.pids[doomed], signal.SIGKILL)
    # Three more at once, well before the supervisor starts it again (1 s): round robin gives
    # one of them to the dead daphne whatever the sender's timing on a busy machine.
    time.sleep(0.1)
    with requests.Session() as session:
        now = [_post(session, url, f"cluster.dead.{n}") for n in range(3)]
    cluster.wait_for(f"{doomed} exited with code -9 (SIGKILL)", 10)
    assert sim.api("POST", f"agents/{second}/pause", data={"pause_id": "3"}).status_code == 201
    expect(page_a.locator(f"#agent-{second}")).to_have_attribute(
        "data-status", "PAUSED", timeout=10_000
    )
    # B reconnects through the proxy (to whichever daphne answers) and catches up.
    expect(page_b.locator(f"#agent-{second}")).to_have_attribute(
        "data-status", "PAUSED", timeout=30_000
    )
    assert sum(_connects(cluster).values()) > sum(before.values())  # a new socket
    assert page_b.evaluate("performance.getEntriesByType('navigation').length") == 1  # no reload
    cluster.wait_for(f"{doomed} restarted", 15)
    time.sleep(2)
    sender.stopped.set()
    sender.join(15)

    answers = sender.answers + now
    assert len(answers) > 50
    assert [a for a in answers if a[0] != 200] == []  # every one answered 2xx, none refused
    # nginx tried the dead daphne, then gave the same request to the other one
    assert any("," in upstream for _, upstream, _ in answers), answers
    answered = {connection_id for _, _, connection_id in answers}

    def applied():
        rows = query(
            cluster.env["DATABASE_URL"],
            "SELECT DISTINCT connection_id FROM crm_bridge_webhookevent "
            "WHERE connection_id LIKE 'cluster.%%' AND state = 'applied'",
        )
        return {row[0] for row in rows}

    assert _wait(lambda: applied() >= answered, 15)
    assert applied() == answered  # every answered one applied; none invented
    for page in (page_a, page_b):
        page.context.close()


def test_a_second_beat_sends_nothing_while_the_first_runs(cluster, tmp_path):
    """Started by mistake beside the cluster's: it says so, waits and sends no task."""
    env = {
        **cluster.env,
        "DJANGO_SECRET_KEY": cluster.env.get("DJANGO_SECRET_KEY")
        or (cluster.folder / "secret-key").read_text().strip(),
        "PYTHONWARNINGS": "ignore::UserWarning:celery.platforms",
    }
    before = cluster.log("beat").count("Sending due task")
    second = subprocess.Popen(
        topology.command("beat", schedule=str(tmp_path / "schedule")), cwd=ROOT, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        time.sleep(8)
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        output = second.communicate(timeout=20)[0]
    assert "Another Celery beat is running" in output
    assert "Sending due task" not in output
    assert cluster.log("beat").count("Sending due task") > before  # the first one went on


def test_the_cluster_runs_the_processes_compose_describes(cluster):
    """What runs is scripts/cluster.py's TOPOLOGY (tests/test_compose.py holds compose to it):
    each process's command line and the settings it was given, read from /proc."""
    children = {}
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and _parent(entry) == cluster.proc.pid:
                children[int(entry.name)] = (entry / "cmdline").read_bytes().split(b"\0")[:-1]
        except OSError:  # it ended meanwhile
            continue
    running = [[arg.decode(errors="replace") for arg in args] for args in children.values()]
    ports = dict(zip(("web1", "web2"), map(str, cluster.webs), strict=True))
    for name in set(topology.TOPOLOGY) - {"migrate"}:
        values = {"bind": "127.0.0.1", "port": ports.get(name, ""),
                  "schedule": str(cluster.folder / "celerybeat-schedule")}  # fmt: skip
        expected = topology.command(name, **values)
        pids = [pid for pid, args in children.items() if [a.decode() for a in args] == expected]
        assert len(pids) == 1, (name, expected, running)
        pid = pids[0]
        environ = dict(
            line.split(b"=", 1) for line in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            if b"=" in line
        )  # fmt: skip
        for variable in topology.ENVIRONMENT:
            assert environ.get(variable.encode()), (name, variable)
        assert environ[b"DJANGO_DEBUG"] == b"false"
    assert sum("nginx: master process" in args[0] for args in running) == 1


def _parent(entry: Path) -> int:
    return int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
