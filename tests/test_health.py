"""/readyz, /metrics and the logs, as an administrator or a monitoring system meets them."""

import json
import os
import time

import pytest
import requests
from django.core.cache import cache
from django.urls import reverse

from crm_bridge import heartbeats
from crm_bridge.models import PollState, WebhookEvent
from scripts import processes
from tests._env import HOOK_PASSWORD, HOOK_USER
from tests.conftest import basic_auth


def _beating(**ages):
    for name in (heartbeats.WORKER, heartbeats.BEAT):
        cache.set(f"heartbeat:{name}", time.time() - ages.get(name, 1), timeout=60)


@pytest.fixture
def polled(db):
    from django.utils import timezone

    PollState.objects.create(name="agent-statuses", last_ok=timezone.now())


def test_readyz_is_200_when_everything_runs(client, polled):
    _beating()
    answer = client.get("/readyz")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ready" and body["failing"] == []
    assert set(body["checks"]) == {"database", "redis", "worker", "beat", "poll", "ingest_lag"}
    assert all(check["ok"] for check in body["checks"].values())


def test_readyz_names_a_stopped_beat_and_a_late_event_pipeline(client, polled):
    from django.utils import timezone

    _beating(beat=60)
    old = timezone.now() - timezone.timedelta(seconds=120)
    event = WebhookEvent.objects.create(action="AGENT_LOGIN", dedup_key="late", received_at=old)
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=old)
    answer = client.get("/readyz")
    assert answer.status_code == 503
    body = answer.json()
    assert body["status"] == "not ready"
    assert body["failing"] == ["beat", "ingest_lag"]
    assert "stopped" in body["checks"]["beat"]["error"]
    assert body["checks"]["ingest_lag"]["seconds"] >= 119
    # A proxy that asks only whether this web process can serve is told it can.
    assert client.get("/readyz?checks=database,redis").status_code == 200
    assert client.get("/readyz?checks=nonsense").status_code == 400


def test_readyz_says_when_thulium_was_never_polled(client, db):
    _beating()
    body = client.get("/readyz").json()
    assert body["failing"] == ["poll"]
    assert body["checks"]["poll"]["error"] == "no successful poll yet"


def test_the_board_banner_says_the_scheduler_stopped(admin_client, polled):
    _beating(beat=60)
    page = admin_client.get(reverse("board")).content.decode()
    assert "Scheduler (Celery beat) stopped" in page
    assert "agent statuses not refreshed since" in page


def test_readyz_and_metrics_from_the_running_product(stack):
    deadline = time.monotonic() + 30
    while (answer := requests.get(f"{stack.url}/readyz", timeout=10)).status_code != 200:
        assert time.monotonic() < deadline, answer.json()
        time.sleep(0.5)
    delivered = stack.webhook({"action": "AGENT_LOGIN", "agent_login": "nobody-here"})
    refused = stack.webhook({"action": "AGENT_LOGIN"}, auth=(HOOK_USER, "wrong"))
    assert (delivered.status_code, refused.status_code) == (200, 401)
    deadline = time.monotonic() + 15
    while True:
        metrics = requests.get(f"{stack.url}/metrics", timeout=10)
        assert metrics.status_code == 200
        text = metrics.text
        if "thulium_live_ingest_lag_seconds_count" in text:
            break
        assert time.monotonic() < deadline, text
        time.sleep(0.5)
    assert 'thulium_live_webhooks_refused_total{reason="unauthorised"}' in text
    assert "thulium_live_webhooks_received_total{status=" in text
    # the Celery worker's polls, the processor's folds, daphne's websockets: one page
    assert 'endpoint="agents_statuses",method="GET",status="200"' in text
    assert "thulium_live_fold_seconds_count" in text
    assert 'thulium_live_poll_age_seconds{poll="agent-statuses"}' in text
    assert 'thulium_live_heartbeat_age_seconds{process="worker"}' in text
    # Through a proxy, without the token: refused.
    proxied = requests.get(
        f"{stack.url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10
    )
    assert proxied.status_code == 403


def test_metrics_need_the_token_when_one_is_set(client, settings, db):
    settings.METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 403
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 403
    right = client.get("/metrics", headers={"Authorization": "Bearer s3cret-token"})
    assert right.status_code == 200 and b"thulium_live_" in right.content


def test_metrics_from_elsewhere_are_refused_without_a_token(client, db):
    assert client.get("/metrics", REMOTE_ADDR="198.51.100.7").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="127.0.0.1").status_code == 200


def test_a_thulium_call_is_logged_as_json_with_its_request_id(simulator, tmp_path):
    simulator.control("outage", {"seconds": 30})
    try:
        env = {
            **os.environ,
            "LOG_FORMAT": "json",
            "THULIUM_API_URL": simulator.api_url,
            "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        }
        assert processes.manage(env, "migrate", "--noinput", "-v", "0").returncode == 0
        done = processes.manage(env, "thulium_poll")
    finally:
        simulator.control("outage", {"seconds": 0})
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    calls = [line for line in lines if line["logger"] == "thulium_live.thulium"]
    assert calls, done.stderr
    call = calls[0]
    assert call["endpoint"] == "agents_groups" and call["method"] == "GET"
    assert call["status"] == "503" and call["duration_ms"] >= 0
    assert len(call["request_id"]) >= 8  # Thulium's, from its error body


def test_an_expected_403_is_logged_without_a_traceback(client, django_user_model, caplog):
    user = django_user_model.objects.create_user("plain", password="x")
    client.force_login(user)
    with caplog.at_level("WARNING", logger="django.request"):
        answer = client.get(reverse("wallboards"))
    assert answer.status_code == 403
    forbidden = [r for r in caplog.records if r.name == "django.request"]
    assert forbidden and all(r.exc_info is None for r in forbidden)
    assert "Traceback" not in caplog.text


@pytest.fixture
def json_lines():
    """What the "thulium_live.*" loggers write with LOG_FORMAT=json, one parsed line each."""
    import io
    import logging

    from config.logs import JsonFormatter

    stream, handler = io.StringIO(), logging.StreamHandler()
    handler.stream = stream
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("thulium_live")
    level, logger.level = logger.level, logging.INFO
    logger.addHandler(handler)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_each_request_is_one_json_line_with_its_user(admin_client, admin_user, json_lines):
    admin_client.get(reverse("wallboards"))
    (line,) = [line for line in json_lines() if line["logger"] == "thulium_live.request"]
    assert line["method"] == "GET" and line["path"] == "/wallboards/"
    assert line["status"] == 200 and line["user"] == admin_user.username
    assert line["duration_ms"] > 0 and line["level"] == "INFO"


def test_each_webhook_delivery_is_one_json_line(client, db, json_lines):
    auth = {"HTTP_AUTHORIZATION": basic_auth(HOOK_USER, HOOK_PASSWORD)}
    client.post("/webhooks/thulium/", {"action": "AGENT_LOGIN", "agent_login": "jan"}, **auth)
    client.post("/webhooks/thulium/", {"action": "AGENT_LOGIN"}, HTTP_AUTHORIZATION="Basic eDp5")
    first, second = [line for line in json_lines() if line["logger"] == "thulium_live.webhook"]
    assert (first["status"], first["action"]) == (200, "AGENT_LOGIN") and first["event_id"]
    assert (second["status"], second["outcome"]) == (401, "unauthorised")


def test_the_beat_scheduler_beats_on_each_tick_and_ticks_often(tmp_path):
    from config.celery import app

    cache.delete("heartbeat:beat")
    scheduler = heartbeats.Scheduler(app=app, schedule_filename=str(tmp_path / "schedule"))
    try:
        assert scheduler.tick() <= heartbeats.EVERY
        assert heartbeats.age(heartbeats.last_seen()["beat"]) < 5
    finally:
        scheduler.close()
