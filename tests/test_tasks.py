"""The Celery tasks: a poll never overlaps the one still running; errors don't escape."""

from django.core.cache import cache

from crm_bridge import sync, tasks
from crm_bridge.models import Agent, PollState


def test_a_poll_is_dropped_while_the_previous_one_runs(db):
    cache.set(f"lock:{sync.STATUSES}", "1", timeout=30)  # the previous run holds the lock
    try:
        tasks.poll_agent_statuses()
        assert not PollState.objects.filter(name=sync.STATUSES).exists()
        assert not Agent.objects.exists()
    finally:
        cache.delete(f"lock:{sync.STATUSES}")
    tasks.poll_agent_statuses()
    assert PollState.objects.get(name=sync.STATUSES).last_ok is not None
    assert Agent.objects.exists()
    assert cache.get(f"lock:{sync.STATUSES}") is None  # released for the next beat


def test_thuliums_error_is_recorded_not_raised(db, settings):
    settings.THULIUM_API_PASSWORD = "wrong"
    tasks.poll_agent_statuses()
    state = PollState.objects.get(name=sync.STATUSES)
    assert state.failing and state.last_error and state.last_request_id
    assert cache.get(f"lock:{sync.STATUSES}") is None


def test_the_beat_schedule_drops_missed_polls(settings):
    schedule = settings.CELERY_BEAT_SCHEDULE["poll-agent-statuses"]
    assert schedule["schedule"] == settings.THULIUM_POLL_SECONDS
    assert schedule["options"]["expires"] == settings.THULIUM_POLL_SECONDS
