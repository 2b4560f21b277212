"""History that survives: the beat's prune task deletes raw webhook events and per-call rows
older than EVENT_RETENTION_DAYS, never an event still pending or failed, and never the
aggregates: an old day's intraday numbers and campaign days read the same after it."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from config.celery import app
from crm_bridge import retention, tasks
from crm_bridge.models import CampaignDay, QueueInterval, WebhookEvent
from crm_bridge.parse import tenant_tz
from crm_bridge.queue_events import recount_queue
from dashboard.models import Queue, QueueCall

from .test_intraday import abandoned, answered, deliver, table

pytestmark = pytest.mark.django_db


def _local_day(days_ago: int):
    return timezone.now().astimezone(tenant_tz()).date() - timedelta(days=days_ago)


def _received(day, hms: str = "08:10"):
    return datetime.combine(day, time.fromisoformat(hms), tenant_tz())


def _aggregates() -> tuple[list, list]:
    fields = ("queue_id", "start", "max_wait", *QueueInterval.COUNTERS)
    intervals = list(QueueInterval.objects.order_by("queue_id", "start").values_list(*fields))
    days = list(CampaignDay.objects.order_by("pk").values_list())
    return intervals, days


@pytest.fixture
def history(settings):
    """A morning 40 days ago and one 2 days ago (each received on its day), with a campaign
    day for each; EVENT_RETENTION_DAYS is 35."""
    settings.EVENT_RETENTION_DAYS = 35
    old, recent = _local_day(40), _local_day(2)
    for day, prefix in ((old, "old"), (recent, "new")):
        events = [
            *answered(f"{prefix}1", day, "08:02:00", "08:02:10", 10, 120),
            *answered(f"{prefix}2", day, "08:05:00", "08:05:40", 40, 200),
            *abandoned(f"{prefix}3", day, "08:20:00", "08:20:30", 30),
        ]
        first = WebhookEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        deliver(events)
        WebhookEvent.objects.filter(pk__gt=first).update(received_at=_received(day))
        CampaignDay.objects.create(campaign_id="7", day=day, attempts=30, connected=12)
    return old, recent


def _stuck(state: str, day) -> WebhookEvent:
    """An old event the processor has not done with: it waits, or failed with its error."""
    event = WebhookEvent.objects.create(
        action="AGENT_RINGING", body="x", dedup_key=f"stuck-{state}", state=state, error="boom"
    )
    WebhookEvent.objects.filter(pk=event.pk).update(received_at=_received(day))
    return event


def test_the_prune_task_deletes_old_raw_rows_and_keeps_the_aggregates(client, admin_user, history):
    old, recent = history
    pending, failed = (
        _stuck(WebhookEvent.State.PENDING, old),
        _stuck(WebhookEvent.State.FAILED, old),
    )
    client.force_login(admin_user)
    page = {"queue": "155", "day": old.isoformat()}
    before = client.get("/intraday/", page)
    numbers = table(before.content.decode())
    assert numbers["08:00"]["offered"] == "2"  # old1, old2
    assert numbers["total"]["sl"] == "33%"  # 1 of 3: old1 within 20 s; old2 40 s, old3 gone
    aggregates = _aggregates()
    assert QueueCall.objects.filter(entered_at__date__lte=old).count() == 3

    tasks.prune_history()  # what the beat runs

    assert not QueueCall.objects.filter(contact_id__startswith="old").exists()
    assert QueueCall.objects.filter(contact_id__startswith="new").count() == 3
    recent_start = _received(recent, "00:00")
    assert not WebhookEvent.objects.filter(
        received_at__lt=recent_start, state=WebhookEvent.State.APPLIED
    ).exists()
    assert WebhookEvent.objects.filter(received_at__gte=recent_start).count() == 10
    kept = set(WebhookEvent.objects.filter(received_at__lt=recent_start).values_list("pk", "error"))
    assert kept == {(pending.pk, "boom"), (failed.pk, "boom")}  # still to be seen to
    assert _aggregates() == aggregates
    after = client.get("/intraday/", page)
    assert table(after.content.decode()) == numbers
    assert after.context["chart"] == before.context["chart"]


def test_a_threshold_changed_after_pruning_leaves_the_old_days_numbers(client, admin_user, history):
    old, recent = history
    client.force_login(admin_user)
    retention.prune()
    queue = Queue.objects.get(number=155)
    queue.sl_threshold_seconds = 60
    queue.save()
    recount_queue(queue.pk)  # what admin does when the threshold changes
    rows = {d: client.get("/intraday/", {"queue": "155", "day": d.isoformat()}) for d in history}
    # The old day's calls are gone: its service level stays as counted with 20 s (1 of 2).
    assert rows[old].context["total"].answered_in_sl == 1
    # The recent day's calls are kept: recounted with 60 s (both answered within it).
    assert rows[recent].context["total"].answered_in_sl == 2
    assert rows[recent].context["total"].offered == rows[old].context["total"].offered == 3


def test_it_deletes_in_chunks_and_a_run_out_of_time_leaves_the_rest_for_the_next(history):
    old, _ = history
    assert retention.prune(budget=0) == {"events": 0, "calls": 0, "done": False}
    assert retention.prune(chunk=2) == {"events": 10, "calls": 3, "done": True}
    assert retention.prune() == {"events": 0, "calls": 0, "done": True}


def test_whole_local_days_are_kept(settings):
    settings.EVENT_RETENTION_DAYS = 35
    cutoff = retention.cutoff()
    assert cutoff.astimezone(tenant_tz()).time() == time(0)
    assert cutoff.astimezone(tenant_tz()).date() == _local_day(35)


def test_the_beat_runs_the_prune_task(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["prune-history"]
    assert entry["task"] == "crm_bridge.tasks.prune_history"
    assert entry["task"] in app.tasks  # the worker knows it
    assert entry["options"]["expires"] == entry["schedule"]  # a missed run is not piled up
