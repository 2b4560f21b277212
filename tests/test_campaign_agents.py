"""The agent list editor through the views: preview, then add, remove or set, per-agent result."""

import itertools

import pytest

from crm_bridge import campaign_sync, outbounds, sync
from crm_bridge.models import ActionLog, Agent, Campaign

pytestmark = pytest.mark.django_db
_ids = itertools.count(1)


@pytest.fixture
def admin(client, django_user_model):
    user = django_user_model.objects.create_superuser("admin", password="pw-123456")
    client.force_login(user)
    return user


@pytest.fixture
def campaign():
    campaign_id = f"A{next(_ids):04d}"
    outbounds.create_campaign(
        {"id": campaign_id, "name": "Editor test", "dialer": "progressive", "crm": False}
    )
    sync.poll_directory()
    campaign_sync.poll_list()
    return Campaign.objects.get(campaign_id=campaign_id)


def _logins(n):
    return list(Agent.objects.filter(active=True).values_list("login", flat=True)[:n])


def _thulium_agents(campaign):
    return {a.login for a in outbounds.get_campaign_agents(campaign.campaign_id)}


def test_preview_shows_who_will_be_added_and_sends_nothing(client, admin, campaign):
    logins = _logins(2)
    response = client.post(
        f"/campaigns/{campaign.campaign_id}/agents/preview/", {"action": "add", "logins": logins}
    )
    page = response.content.decode()
    assert all(f'data-will-add="{login}"' in page for login in logins)
    assert _thulium_agents(campaign) == set()


def test_it_adds_by_name_and_by_group(client, admin, campaign):
    agent = Agent.objects.filter(active=True, group_id__isnull=False).first()
    group_members = set(
        Agent.objects.filter(active=True, group_id=agent.group_id).values_list("login", flat=True)
    )
    extra = Agent.objects.filter(active=True).exclude(group_id=agent.group_id).first()
    response = client.post(
        f"/campaigns/{campaign.campaign_id}/agents/",
        {"action": "add", "groups": [agent.group_id], "logins": [extra.login]},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert _thulium_agents(campaign) == group_members | {extra.login}
    page = response.content.decode()
    assert f'data-result="{extra.login}"' in page and "result-ok" in page
    campaign.refresh_from_db()
    assert set(campaign.logins) == group_members | {extra.login}
    entry = ActionLog.objects.get(target=campaign.campaign_id)
    assert entry.action == "add_agents" and entry.ok and entry.user == admin


def test_it_removes_and_sets_exactly(client, admin, campaign):
    logins = _logins(4)
    outbounds.add_agents(campaign.campaign_id, logins[:3])
    campaign_sync.refresh_campaign(campaign.campaign_id)
    client.post(
        f"/campaigns/{campaign.campaign_id}/agents/", {"action": "remove", "logins": logins[:1]}
    )
    assert _thulium_agents(campaign) == set(logins[1:3])
    preview = client.post(
        f"/campaigns/{campaign.campaign_id}/agents/preview/",
        {"action": "set", "logins": [logins[2], logins[3]]},
    ).content.decode()
    assert f'data-will-add="{logins[3]}"' in preview
    assert f'data-will-remove="{logins[1]}"' in preview
    client.post(
        f"/campaigns/{campaign.campaign_id}/agents/",
        {"action": "set", "logins": [logins[2], logins[3]]},
    )
    assert _thulium_agents(campaign) == {logins[2], logins[3]}


def test_picking_nobody_is_refused_before_thulium(client, admin, campaign):
    response = client.post(f"/campaigns/{campaign.campaign_id}/agents/preview/", {"action": "add"})
    assert "Pick at least one agent or group" in response.content.decode()


def test_thulium_refusal_is_shown_with_its_request_id(client, admin, campaign):
    # An agent Thulium does not know (deleted since the last directory poll).
    Agent.objects.create(login="ghost", name="Ghost", active=True)
    response = client.post(
        f"/campaigns/{campaign.campaign_id}/agents/",
        {"action": "add", "logins": ["ghost"]},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert "Agent ghost not found" in page and "request_id" in page
    entry = ActionLog.objects.get(target=campaign.campaign_id)
    assert not entry.ok and entry.http_status == 400 and entry.request_id
