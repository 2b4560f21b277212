"""Campaign polling against the simulator: mirror, samples, only changes pushed, constant SQL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm_bridge import campaign_sync, outbounds
from crm_bridge.client import ThuliumUnavailable
from crm_bridge.models import Campaign, CampaignSample, PollState
from crm_bridge.signals import campaigns_changed

pytestmark = pytest.mark.django_db


class PushLog(list):
    run = None


@pytest.fixture
def pushed(django_capture_on_commit_callbacks):
    """The ids sent with campaigns_changed (on commit: the callbacks are run here)."""
    got = PushLog()

    def listen(sender, ids, **kwargs):
        got.append(ids)

    def run(poll):
        with django_capture_on_commit_callbacks(execute=True):
            return poll()

    got.run = run
    campaigns_changed.connect(listen)
    yield got
    campaigns_changed.disconnect(listen)


def test_it_mirrors_the_list_with_agents(pushed):
    seen = pushed.run(campaign_sync.poll_list)
    assert seen == Campaign.objects.filter(gone=False).count() >= 6
    first = Campaign.objects.get(campaign_id="00001")
    assert first.name and first.agents and {"login", "active_in_outbound"} <= set(first.agents[0])
    assert pushed and "00001" in pushed[-1]
    assert PollState.objects.get(name=campaign_sync.LIST).last_ok


def test_stats_mark_active_campaigns_and_sample_completion(pushed):
    campaign_sync.poll_list()
    changed = campaign_sync.poll_stats()
    active = {s.campaign_id for s in outbounds.get_all_stats()}
    assert set(changed) >= active
    assert set(Campaign.objects.filter(active=True).values_list("campaign_id", flat=True)) == active
    assert CampaignSample.objects.filter(campaign_id__in=active).count() == len(active)
    assert Campaign.objects.get(campaign_id="00001").completion_percent is not None


def test_nothing_changed_means_no_push_and_constant_queries(pushed):
    campaign_sync.poll_list()
    campaign_sync.poll_stats()
    pushed.clear()
    with CaptureQueriesContext(connection) as stats_queries:
        assert pushed.run(campaign_sync.poll_stats) == []
    with CaptureQueriesContext(connection) as list_queries:
        pushed.run(campaign_sync.poll_list)
    assert pushed == []
    # One read of the campaigns plus the poll-health bookkeeping, whatever the count.
    assert len(stats_queries) == 3
    # + the daily prune of old samples and one read of the campaigns' agent errors
    assert len(list_queries) <= 7


def test_a_removed_campaign_is_marked_gone(pushed):
    outbounds.create_campaign(
        {"id": "S0001", "name": "Short-lived", "dialer": "preview", "crm": False}
    )
    campaign_sync.poll_list()
    outbounds.delete_campaign("S0001")
    pushed.clear()
    pushed.run(campaign_sync.poll_list)
    assert Campaign.objects.get(campaign_id="S0001").gone
    assert ["S0001"] in pushed


def test_a_failing_poll_is_recorded(settings):
    settings.THULIUM_API_URL = "http://127.0.0.1:9/api/"
    with pytest.raises(ThuliumUnavailable):
        campaign_sync.poll_stats()
    state = PollState.objects.get(name=campaign_sync.STATS)
    assert state.failing and "Cannot connect" in state.last_error
