"""The apply stage: every stored event applied exactly once, in order, whatever crashes when;
a failing event is kept with its error and retried while the rest go on."""

import os
import re
import signal
import subprocess
import time
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from crm_bridge import pipeline, receiver
from crm_bridge.models import Agent, WebhookEvent
from crm_bridge.parse import format_local
from dashboard.models import QueueCall
from scripts.processes import PY, ROOT
from tests._env import HOOK_PASSWORD, HOOK_USER
from tests.conftest import basic_auth, database_url, make_user, query

AUTH = {"HTTP_AUTHORIZATION": basic_auth(HOOK_USER, HOOK_PASSWORD)}
State = WebhookEvent.State


def call(n: int, start) -> list[dict]:
    """One answered call: 5 events, one AGENT_COMPLETED of 60 s."""
    cid, agent = f"call.{n}", f"agent{n % 7}"

    def at(seconds):
        return format_local(start + timedelta(seconds=n + seconds))

    base = {"connection_id": cid, "queue_id": "155"}
    return [
        {"action": "ENTER_QUEUE", **base, "date": at(0)},
        {"action": "AGENT_RINGING", **base, "agent_login": agent, "date": at(2)},
        {"action": "AGENT_CONNECTED", **base, "agent_login": agent, "date": at(4)},
        {"action": "EXIT_QUEUE", **base, "date": at(4)},
        {"action": "AGENT_COMPLETED", **base, "agent_login": agent, "duration": "60",
         "date": at(64)},
    ]  # fmt: skip


def store(events: list[dict]) -> None:
    form = "application/x-www-form-urlencoded"
    receiver.store([receiver.to_event(urlencode(e).encode(), form) for e in events])


def assert_each_call_counted_once(calls: int) -> None:
    rows = QueueCall.objects.all()
    assert rows.count() == calls
    assert {(r.connected_legs, r.completions, r.handle_seconds) for r in rows} == {(1, 1, 60)}


def test_a_processor_killed_mid_batch_loses_and_doubles_nothing(tmp_path):
    """The real process_events on a database of its own, SIGKILLed again and again while it
    applies 2,000 events (400 calls); then every call is counted exactly once."""
    env = {**os.environ, "DATABASE_URL": database_url(tmp_path)}

    def manage(*args, **kw):
        return subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True, **kw)

    def count(sql):
        return query(env["DATABASE_URL"], sql)[0][0]

    manage("migrate", "-v", "0")
    script = (
        "from tests.test_pipeline import call, store; from django.utils import timezone;"
        "from datetime import timedelta; start = timezone.now() - timedelta(hours=2);"
        "store([e for n in range(400) for e in call(n, start)])"
    )
    manage("shell", "-c", script)
    applied = "SELECT COUNT(*) FROM crm_bridge_webhookevent WHERE state = 'applied'"
    kills = 0
    while count(applied) < 2000 and kills < 5:
        before = count(applied)
        proc = subprocess.Popen(
            [PY, "manage.py", "process_events"], cwd=ROOT, env=env, start_new_session=True
        )
        deadline = time.monotonic() + 30
        while count(applied) == before:
            assert time.monotonic() < deadline, "the processor applied nothing"
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)  # somewhere in the middle of its work
        proc.wait()
        kills += 1
    assert kills >= 2, "the processor was never caught mid-way"
    manage("process_events", "--once", capture_output=True)
    assert count(applied) == 2000
    assert count("SELECT COUNT(*) FROM dashboard_queuecall") == 400
    once = "connected_legs = 1 AND completions = 1 AND handle_seconds = 60"
    assert count(f"SELECT COUNT(*) FROM dashboard_queuecall WHERE {once}") == 400


@pytest.mark.django_db
def test_a_failing_event_is_kept_with_its_error_and_the_rest_go_on(monkeypatch):
    start = timezone.now() - timedelta(hours=1)
    store(call(1, start) + call(2, start))
    broken = call(2, start)[4]

    def fold_that_fails_on_call_2(event):
        if event.connection_id == "call.2" and event.action == "AGENT_COMPLETED":
            raise ValueError("a bug in a fold")
        original(event)

    original = pipeline.FOLDS[1][2]
    monkeypatch.setattr(
        pipeline, "FOLDS", (*pipeline.FOLDS[:1], ("queues", pipeline.FOLDS[1][1],
                                                  fold_that_fails_on_call_2), *pipeline.FOLDS[2:])
    )  # fmt: skip
    pipeline.process_pending()
    failed = WebhookEvent.objects.get(state=State.FAILED)
    assert (failed.action, failed.connection_id) == ("AGENT_COMPLETED", "call.2")
    assert failed.error == "ValueError: a bug in a fold"
    assert WebhookEvent.objects.filter(state=State.APPLIED).count() == 9
    # Thulium delivers it again: it is retried, not called a duplicate.
    monkeypatch.undo()
    form = "application/x-www-form-urlencoded"
    answer = receiver.store([receiver.to_event(urlencode(broken).encode(), form)])[0]
    assert answer == (200, {"status": "retrying", "id": failed.pk})
    pipeline.process_pending()
    assert_each_call_counted_once(2)
    assert not WebhookEvent.objects.exclude(state=State.APPLIED).exists()


@pytest.mark.django_db
def test_failed_events_are_retried_by_the_processor(monkeypatch):
    store(call(1, timezone.now() - timedelta(hours=1)))
    WebhookEvent.objects.filter(action="AGENT_COMPLETED").update(state=State.FAILED, attempts=1)
    assert pipeline.retry_failed() == 1
    pipeline.process_pending()
    assert_each_call_counted_once(1)
    WebhookEvent.objects.update(state=State.FAILED, attempts=pipeline.MAX_ATTEMPTS)
    assert pipeline.retry_failed() == 0  # given up on: left for a person (Django admin)


@pytest.mark.django_db
def test_events_are_applied_in_the_order_they_arrived():
    """A status change and the next one for the same agent, both in one batch."""
    now = timezone.now()
    store(
        [
            {"action": "AGENT_LOGGED_IN", "agent_login": "ola", "date": format_local(now)},
            {
                "action": "AGENT_STATUS_CHANGED",
                "agent_login": "ola",
                "pause_id": "3",
                "date": format_local(now + timedelta(seconds=1)),
            },
        ]  # fmt: skip
    )
    assert pipeline.process_pending() == 2
    agent = Agent.objects.get(login="ola")
    assert (agent.status, agent.pause_id) == ("PAUSED", 3)


@pytest.mark.django_db
def test_a_date_from_the_future_is_clamped_and_does_not_freeze_the_agent(client):
    wrong = {"action": "AGENT_STATUS_CHANGED", "agent_login": "ola", "pause_id": "2",
             "date": "2099-01-01 12:00:00"}  # fmt: skip
    answer = client.post("/webhooks/thulium/", wrong, **AUTH).json()
    assert "in the future: clamped to the receive time" in answer["note"]
    pipeline.process_pending()
    later = format_local(timezone.now() + timedelta(seconds=2))
    client.post(
        "/webhooks/thulium/",
        {"action": "AGENT_STATUS_CHANGED", "agent_login": "ola", "pause_id": "", "date": later},
        **AUTH,
    )
    pipeline.process_pending()
    assert Agent.objects.get(login="ola").status == "FREE"
    event = WebhookEvent.objects.get(data__date="2099-01-01 12:00:00")
    assert event.event_date.year == timezone.now().year and event.note


@pytest.mark.django_db
def test_the_board_says_when_events_are_late(client, django_user_model):
    store(call(1, timezone.now() - timedelta(hours=1)))
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(seconds=42))
    client.force_login(make_user("sup", password="x"))
    page = client.get("/").content.decode()
    behind = re.search(r"Thulium's events are (\d+) s behind", page)
    assert behind and 42 <= int(behind.group(1)) < 60  # 42 s, and however long this took
    pipeline.process_pending()
    assert "behind" not in client.get("/").content.decode()
