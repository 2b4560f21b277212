"""The agents_statuses poll is the authority on status: a webhook-set status the poll
contradicts twice in a row is corrected, a wrong clock cannot freeze an agent, and a call whose
end never arrived stops "talking" once the poll shows its agent free. Against the simulator."""

import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm_bridge import client, sync
from crm_bridge.events import apply_agent_event
from crm_bridge.models import Agent, Campaign, WebhookEvent
from crm_bridge.queue_events import track
from crm_bridge.signals import queues_changed
from dashboard.models import QueueCall
from dashboard.queues import queue_stats

pytestmark = pytest.mark.django_db


@pytest.fixture
def free_agent(db) -> str:
    sync.poll_directory()
    sync.poll_statuses()
    login = Agent.objects.filter(status="FREE").values_list("login", flat=True).first()
    assert login, "the simulator starts with free agents"
    return login


def fold(login: str, action: str, date: datetime | None = None, **data) -> WebhookEvent:
    """One stored event applied to the agent and the queues, as the pipeline does."""
    stored = WebhookEvent.objects.create(
        action=action,
        agent_login=login,
        data={"action": action, "agent_login": login, **data},
        event_date=date or timezone.now(),
        connection_id=data.get("connection_id", ""),
        dedup_key=uuid.uuid4().hex,
    )
    apply_agent_event(stored)
    track(stored)
    return stored


def status(login: str) -> tuple[str, int | None]:
    agent = Agent.objects.get(login=login)
    return agent.status, agent.pause_id


def test_one_contradicting_poll_right_after_a_webhook_waits_for_the_next(free_agent):
    fold(free_agent, "AGENT_STATUS_CHANGED", pause_id=3)  # Thulium never paused them
    assert status(free_agent) == ("PAUSED", 3)
    assert sync.poll_statuses() == []  # may have been answered before the event
    assert status(free_agent) == ("PAUSED", 3)
    assert sync.poll_statuses() == [free_agent]
    assert status(free_agent) == ("FREE", None)


def test_two_polls_correct_a_wrong_webhook_status_but_not_a_right_one(free_agent):
    other = Agent.objects.filter(status="FREE").exclude(login=free_agent).first().login
    client.pause(other, 2)  # really paused, and the webhook says so
    try:
        fold(other, "AGENT_STATUS_CHANGED", pause_id=2)
        fold(free_agent, "AGENT_STATUS_CHANGED", pause_id=3)
        sync.poll_statuses()
        sync.poll_statuses()
        assert status(other) == ("PAUSED", 2)
        assert status(free_agent) == ("FREE", None)
    finally:
        client.free(other)


def test_a_webhook_the_poll_catches_up_with_is_not_pushed_a_second_time(free_agent):
    fold(free_agent, "AGENT_STATUS_CHANGED", pause_id=3)  # the webhook first
    assert sync.poll_statuses() == []  # Thulium's answer may predate it: wait
    client.pause(free_agent, 3)  # now Thulium says so too, a moment later
    try:
        assert sync.poll_statuses() == []  # the same change: no row to push again
        assert status(free_agent) == ("PAUSED", 3)
    finally:
        client.free(free_agent)


def test_a_poll_set_status_follows_the_next_poll_at_once(free_agent):
    client.pause(free_agent, 4)  # no webhook: only the poll knows
    try:
        assert sync.poll_statuses() == [free_agent]
        assert status(free_agent) == ("PAUSED", 4)
    finally:
        client.free(free_agent)


def test_a_2099_dated_pause_does_not_freeze_the_agent(free_agent):
    future = datetime(2099, 1, 1, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    fold(free_agent, "AGENT_STATUS_CHANGED", future, pause_id=3)  # past the receiver's clamp
    agent = Agent.objects.get(login=free_agent)
    assert agent.status == "PAUSED" and agent.status_since <= timezone.now()
    fold(free_agent, "AGENT_STATUS_CHANGED", timezone.now() + timedelta(seconds=1), pause_id=None)
    assert status(free_agent) == ("FREE", None)  # a later real event is not "older"


def test_two_polls_bring_back_an_agent_paused_by_a_2099_event(free_agent):
    future = datetime(2099, 1, 1, 12, 0, tzinfo=ZoneInfo("Europe/Warsaw"))
    fold(free_agent, "AGENT_STATUS_CHANGED", future, pause_id=3)
    sync.poll_statuses()
    sync.poll_statuses()
    assert status(free_agent) == ("FREE", None)


def _lost_call(login: str, minutes_ago: int = 10) -> QueueCall:
    """A call answered by `login` whose AGENT_COMPLETED never arrived."""
    started = timezone.now() - timedelta(minutes=minutes_ago)
    call = {"connection_id": f"lost.{uuid.uuid4().hex[:8]}", "queue_id": 155}
    Agent.objects.filter(login=login).update(status_since=started - timedelta(minutes=1))
    fold(login, "ENTER_QUEUE", started, source_number="523993855", **call)
    fold(login, "AGENT_CONNECTED", started + timedelta(seconds=20), **call)
    return QueueCall.objects.get(contact_id=call["connection_id"])


def _received(minutes_ago: int) -> None:
    WebhookEvent.objects.update(received_at=timezone.now() - timedelta(minutes=minutes_ago))


def test_a_lost_call_end_is_closed_when_the_poll_shows_the_agent_free(
    free_agent, django_capture_on_commit_callbacks, a_day_begun_hours_ago
):
    call = _lost_call(free_agent)
    Campaign.objects.create(campaign_id="00003", name="Ankieta", on_call={free_agent: "o.1"})
    _received(minutes_ago=10)
    Agent.objects.filter(login=free_agent).update(webhook_at=timezone.now() - timedelta(minutes=9))
    (tile,) = queue_stats([call.queue_id])
    assert tile.in_progress == 1 and status(free_agent)[0] == "INBOUND_CALL"
    pushed = []
    queues_changed.connect(
        lambda sender, pks, **kw: pushed.append(pks), weak=False, dispatch_uid="t"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            assert sync.poll_statuses() == [free_agent]
    finally:
        queues_changed.disconnect(dispatch_uid="t")
    call.refresh_from_db()
    assert call.completions == call.connected_legs == 1 and call.completed_at is not None
    (tile,) = queue_stats([call.queue_id])
    assert tile.in_progress == 0 and tile.today.answered == 1
    assert Campaign.objects.get(campaign_id="00003").on_call == {}
    assert pushed == [[call.queue_id]]


def test_a_call_whose_events_just_arrived_is_left_for_the_next_poll(free_agent):
    call = _lost_call(free_agent, minutes_ago=0)  # the poll may predate it
    Agent.objects.filter(login=free_agent).update(status="FREE", webhook_at=None)
    other = Agent.objects.filter(status="FREE").exclude(login=free_agent).first().login
    client.pause(other, 2)  # some change, so the poll looks for lost calls
    try:
        sync.poll_statuses()
        call.refresh_from_db()
        assert call.completions == 0
        _received(minutes_ago=1)
        client.free(other)
        sync.poll_statuses()
        call.refresh_from_db()
        assert call.completions == 1
    finally:
        client.free(other)


def test_a_cycle_with_changes_costs_the_same_queries_for_one_or_many(free_agent):
    logins = list(Agent.objects.filter(status="FREE").values_list("login", flat=True)[:4])
    try:
        client.pause(logins[0], 2)
        with CaptureQueriesContext(connection) as one:
            assert len(sync.poll_statuses()) == 1
        for login in logins[1:]:
            client.pause(login, 3)
        with CaptureQueriesContext(connection) as many:
            assert len(sync.poll_statuses()) == 3
        assert len(one) == len(many)
    finally:
        for login in logins:
            client.free(login)


def test_an_event_applied_while_the_poll_runs_is_not_written_over(free_agent, monkeypatch):
    """Thulium pauses an agent; its webhook is applied by the event processor while a poll is
    between reading the agents and writing its own changes. The poll must not write back the
    free status it read: the board would show free until later polls, though Thulium says
    paused (the event → DOM bench saw such rows shown 5 s late, a few per poll)."""
    from dashboard.board import board_context

    other = Agent.objects.filter(status="FREE").exclude(login=free_agent).first().login
    fold(free_agent, "AGENT_STATUS_CHANGED", pause_id=2)  # webhooks a moment ago: a short
    fold(free_agent, "AGENT_STATUS_CHANGED", pause_id=None)  # pause, then free again
    client.pause(free_agent, 3)  # Thulium pauses them; the webhook is on its way
    client.pause(other, 2)  # a change the poll writes itself (no webhook for it)
    reconcile = sync._reconcile

    def processor_applies_the_pause_meanwhile(agent, *args):
        if agent.login == free_agent:
            fold(free_agent, "AGENT_STATUS_CHANGED", pause_id=3)
        return reconcile(agent, *args)

    monkeypatch.setattr(sync, "_reconcile", processor_applies_the_pause_meanwhile)
    try:
        assert sync.poll_statuses() == [other]
        monkeypatch.undo()
        assert status(free_agent) == ("PAUSED", 3)
        assert status(other) == ("PAUSED", 2)
        shown = {a.login: a.status for a in board_context()["agents"]}
        assert shown[free_agent] == shown[other] == "PAUSED"
        assert sync.poll_statuses() == []  # and the next poll agrees with the event
        assert status(free_agent) == ("PAUSED", 3)
    finally:
        client.free(free_agent)
        client.free(other)
