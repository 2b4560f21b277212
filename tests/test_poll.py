"""The agents_statuses poll against the simulator: only changes are written and pushed."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from crm_bridge import client, outbounds, sync
from crm_bridge.models import Agent, AgentGroup, PollState
from crm_bridge.signals import agents_changed


@pytest.fixture
def pushed():
    seen = []

    def receiver(sender, logins, **kwargs):
        seen.append(list(logins))

    agents_changed.connect(receiver)
    yield seen
    agents_changed.disconnect(receiver)


@pytest.fixture
def mirrored(db):
    sync.poll_directory()
    sync.poll_statuses()


def test_the_first_poll_mirrors_every_agent(db, simulator):
    agents, groups = sync.poll_directory()
    sync.poll_statuses()
    assert (agents, groups) == (40, 4)
    assert Agent.objects.count() == 40
    assert AgentGroup.objects.count() == 4
    live = {s.login: s.status for s in client.get_agent_statuses()}
    assert dict(Agent.objects.values_list("login", "status")) == live


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_cycle_with_no_change_pushes_nothing_in_constant_queries(mirrored, pushed):
    with CaptureQueriesContext(connection) as few:
        assert sync.poll_statuses() == []
    # Many more agents (logged off, unknown to this Thulium): still the same queries.
    Agent.objects.bulk_create([Agent(login=f"extra{i}", status="OFF") for i in range(300)])
    with CaptureQueriesContext(connection) as many:
        assert sync.poll_statuses() == []
    assert pushed == []
    assert len(few) == len(many) <= 3  # read every agent once, read and write poll health


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_only_the_changed_agent_is_written_and_pushed(mirrored, pushed):
    login = Agent.objects.filter(status="FREE").values_list("login", flat=True).first()
    client.pause(login, 2)
    try:
        assert sync.poll_statuses() == [login]
        assert pushed == [[login]]
        agent = Agent.objects.get(login=login)
        assert (agent.status, agent.pause_id) == ("PAUSED", 2)
    finally:
        client.free(login)


def test_a_change_the_webhook_already_showed_is_not_pushed_again(mirrored, pushed):
    """Thulium's last_change a second off the webhook's date is the same change."""
    login = Agent.objects.filter(status="FREE").values_list("login", flat=True).first()
    client.pause(login, 2)
    try:
        thulium_since = client.get_agent_status(login).last_change
        Agent.objects.filter(login=login).update(
            status="PAUSED", pause_id=2, status_since=thulium_since - timedelta(seconds=1)
        )  # as the webhook left it
        assert sync.poll_statuses() == []
        assert pushed == []
    finally:
        client.free(login)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_failing_poll_is_recorded_with_thuliums_message(mirrored, settings):
    settings.THULIUM_API_PASSWORD = "wrong"
    with pytest.raises(client.ThuliumAPIError):
        sync.poll_statuses()
    state = PollState.objects.get(name=sync.STATUSES)
    assert state.failing and state.last_request_id and state.last_error
    health = sync.data_health()
    assert health["stale"] and health["request_id"] == state.last_request_id
    settings.THULIUM_API_PASSWORD = client.settings.THULIUM_API_PASSWORD = "test-api-secret"
    sync.poll_statuses()
    assert not sync.data_health()["stale"]


def test_the_poll_command_prints_what_it_found(db, capsys):
    call_command("thulium_poll")
    out = capsys.readouterr().out
    campaigns = len(outbounds.get_campaigns())  # other tests may have added some
    assert f"40 agents in 4 groups, {campaigns} campaigns" in out
    assert "FREE" in out


def test_the_poll_command_prints_thuliums_error(db, settings):
    settings.THULIUM_API_PASSWORD = "wrong"
    with pytest.raises(Exception) as error:
        call_command("thulium_poll")
    assert "request_id" in str(error.value)
    assert "401" in str(error.value)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_board_is_told_when_data_goes_stale_without_a_failing_poll(mirrored):
    from django.core.cache import cache

    from crm_bridge.signals import poll_health_changed

    told = []

    def receiver(sender, name, **kwargs):
        told.append(name)

    poll_health_changed.connect(receiver)
    cache.delete("health:stale")
    assert sync.watch_health() is False
    # The polls stop (a dead worker): nothing fails, the data just gets old.
    PollState.objects.filter(name=sync.STATUSES).update(
        last_ok=timezone.now() - timedelta(minutes=5)
    )
    assert sync.watch_health() is True
    assert sync.watch_health() is True  # told once, not on every check
    poll_health_changed.disconnect(receiver)
    assert told == [sync.STATUSES, sync.STATUSES]
