"""One campaign whose agents Thulium refuses does not stop the campaign-list poll; the campaign
says what Thulium answered until a good answer; bodies that are not strict JSON are read, and
those that cannot be read are said (the simulator's /_sim/fault makes one call misbehave)."""

from pathlib import Path

import pytest

from crm_bridge import campaign_sync, sync
from crm_bridge.client import ThuliumBadBody
from crm_bridge.models import Campaign, PollState
from crm_bridge.sync import data_health

pytestmark = pytest.mark.django_db
DOC = Path(__file__).parent / "fixtures" / "thulium_doc"


@pytest.fixture
def fault(simulator):
    """fault(path, status, message=..., body=...): that GET answers so until the test ends."""

    def make(path, status, **answer):
        simulator.control("fault", {"method": "GET", "path": path, "status": status, **answer})

    yield make
    simulator.control("fault", {})


@pytest.fixture
def supervisor(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("sup", password="pw-123456"))
    return client


def test_a_refused_campaign_does_not_stop_the_others_and_says_what_thulium_answered(
    fault, supervisor
):
    campaign_sync.poll_list()
    before = Campaign.objects.get(campaign_id="00003").agents
    Campaign.objects.filter(campaign_id="00005").update(agents=[])
    fault("outbounds/00003/agents", 410, message="Outbound was removed.")
    fault("outbounds/00004/agents", 403, message="No permission for this outbound.")
    fault("outbounds/00006/agents", 500, message="Internal server error.")

    assert campaign_sync.poll_list() >= 6
    assert PollState.objects.get(name=campaign_sync.LIST).failing_since is None
    assert Campaign.objects.get(campaign_id="00005").agents  # later campaigns still polled
    assert Campaign.objects.get(campaign_id="00003").agents == before  # last known kept
    errors = campaign_sync.agent_errors(["00003", "00004", "00005", "00006"])
    assert set(errors) == {"00003", "00004", "00006"}
    assert errors["00003"].last_error == "Thulium answered HTTP 410: Outbound was removed."
    request_id = errors["00003"].last_request_id
    assert len(request_id) == 13

    page = supervisor.get("/campaigns/").content.decode()
    assert "Thulium answered HTTP 410: Outbound was removed." in page
    assert f"request_id {request_id}" in page and "No permission for this outbound." in page
    detail = supervisor.get("/campaigns/00003/").content.decode()
    assert "Thulium answered HTTP 410: Outbound was removed." in detail
    assert "Thulium answered" not in supervisor.get("/campaigns/00005/").content.decode()

    fault("outbounds/00003/agents", None)  # Thulium answers well again
    campaign_sync.poll_list()
    assert set(campaign_sync.agent_errors(["00003", "00004", "00006"])) == {"00004", "00006"}
    assert "Outbound was removed." not in supervisor.get("/campaigns/").content.decode()
    assert "Thulium answered" not in supervisor.get("/campaigns/00003/").content.decode()


def test_the_error_is_pushed_to_open_campaign_lists_and_its_clearing_too(
    fault, django_capture_on_commit_callbacks
):
    from crm_bridge.signals import campaigns_changed
    from dashboard.live import campaigns_update

    campaign_sync.poll_list()
    pushed = []

    def listen(sender, ids, **kwargs):
        pushed.append(ids)

    campaigns_changed.connect(listen)
    try:
        fault("outbounds/00003/agents", 503, message="Try again later.")
        with django_capture_on_commit_callbacks(execute=True):
            campaign_sync.poll_list()
        assert pushed and "00003" in pushed[-1]
        assert "Thulium answered HTTP 503: Try again later." in campaigns_update(["00003"])
        pushed.clear()
        fault("outbounds/00003/agents", None)
        with django_capture_on_commit_callbacks(execute=True):
            campaign_sync.poll_list()
        assert pushed and "00003" in pushed[-1]
        assert "Thulium answered" not in campaigns_update(["00003"])
    finally:
        campaigns_changed.disconnect(listen)


def test_the_documents_agents_example_as_the_answer_is_read(fault):
    fault("outbounds/00002/agents", 200, body=(DOC / "get_outbounds__id__agents.txt").read_text())
    campaign_sync.poll_list()
    agents = Campaign.objects.get(campaign_id="00002").agents
    assert agents == [
        {"login": "anowak", "active_in_outbound": False},
        {"login": "jkowalski", "active_in_outbound": True},
    ]
    assert campaign_sync.agent_errors(["00002"]) == {}


def test_an_unreadable_campaign_answer_is_said_on_that_campaign(fault, supervisor):
    fault("outbounds/00002/agents", 200, body='[{"login": "a", "number": "31')
    campaign_sync.poll_list()
    error = campaign_sync.agent_errors(["00002"])["00002"].last_error
    assert "outbounds/00002/agents is not readable" in error and "line 1" in error
    page = supervisor.get("/campaigns/00002/").content.decode()
    assert "Agents not updated since" in page and "agents is not readable: the body ends" in page


def test_an_unreadable_campaign_list_is_shown_on_the_campaigns_page(fault, supervisor):
    fault("outbounds", 200, body='[{"id": "00001", "name": "A"},\n{"id": "00002", "na')
    with pytest.raises(ThuliumBadBody):
        campaign_sync.poll_list()
    page = supervisor.get("/campaigns/").content.decode()
    assert "The campaign list has not been updated since" in page
    assert "GET outbounds is not readable" in page and "line 2" in page


def test_an_unreadable_status_poll_is_in_the_data_health(fault):
    fault("agents_statuses", 200, body='[{"login": "jkowalski", "status": "FREE"}, <html>')
    with pytest.raises(ThuliumBadBody):
        sync.poll_statuses()
    health = data_health()
    assert health["stale"] and "GET agents_statuses is not readable" in health["error"]


def test_a_status_answer_with_a_trailing_comma_is_applied(fault, simulator):
    login = next(a["login"] for a in simulator.state()["agents"] if a["login"])
    body = '[{"login": "%s", "status": "PAUSED", "pause_id": 3, "last_change": ' % login
    fault("agents_statuses", 200, body=body + '"2026-11-27 09:00:00",},]')
    sync.poll_statuses()
    assert not data_health()["error"]
    from crm_bridge.models import Agent

    agent = Agent.objects.get(login=login)
    assert (agent.status, agent.pause_id) == ("PAUSED", 3)


def test_a_good_answer_after_a_change_clears_the_error_too(fault):
    fault("outbounds/00004/agents", 502, message="Bad gateway.")
    campaign_sync.poll_list()
    assert "00004" in campaign_sync.agent_errors(["00004"])
    fault("outbounds/00004/agents", None)
    assert campaign_sync.refresh_campaign("00004")
    assert campaign_sync.agent_errors(["00004"]) == {}
