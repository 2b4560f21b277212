"""A campaign's group_id is a campaign group ("Id grupy kampanii"), not an agent group: the form
asks for an id (suggesting those already seen), the simulator knows its own campaign groups."""

import re

import pytest

from crm_bridge.models import AgentGroup, Campaign

from .test_campaign_admin import VALID

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("admin", password="pw-123456"))
    return client


def _group_field(page: str) -> str:
    return re.search(r'<[^>]*name="group_id"[^>]*>', page).group()


def test_the_form_asks_for_a_campaign_group_id_not_an_agent_group(admin):
    AgentGroup.objects.create(group_id=2, name="Sprzedaż agenci")
    Campaign.objects.create(campaign_id="G0001", name="Seen", group_id=16)
    page = admin.get("/campaigns/new/").content.decode()
    field = _group_field(page)
    assert field.startswith("<input") and 'type="number"' in field
    assert 'list="campaign-group-ids"' in field
    assert "Id grupy kampanii" in page and "Sprzedaż agenci" not in page
    assert re.search(r'<datalist id="campaign-group-ids"><option value="16">', page)


def test_a_known_campaign_group_is_saved_and_then_suggested(admin, simulator):
    group_id = simulator.state()["campaign_groups"][0]["group_id"]
    response = admin.post(
        "/campaigns/new/", {**VALID, "campaign_id": "G0002", "group_id": group_id}
    )
    assert response.status_code == 302
    assert Campaign.objects.get(campaign_id="G0002").group_id == group_id
    page = admin.get("/campaigns/G0002/edit/").content.decode()
    assert f'<option value="{group_id}">' in page and f'value="{group_id}"' in _group_field(page)


def test_an_agent_group_id_is_refused_by_thulium_on_the_field(admin, simulator):
    known = {g["group_id"] for g in simulator.state()["campaign_groups"]}
    agent_group = next(g for g in range(1, 10) if g not in known)
    response = admin.post(
        "/campaigns/new/", {**VALID, "campaign_id": "G0003", "group_id": agent_group}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors["group_id"]
    assert f"campaign group {agent_group} does not exist" in errors[0]
    assert "request_id" in errors[0]
    assert not Campaign.objects.filter(campaign_id="G0003").exists()


def test_the_simulator_checks_group_id_against_its_campaign_groups(simulator):
    known = simulator.state()["campaign_groups"][1]["group_id"]
    response = simulator.api("PUT", "outbounds/00001", json={"group_id": 999})
    body = response.json()
    assert response.status_code == 400 and len(body["request_id"]) == 13
    assert body["errors"] == [
        {"message": "Field group_id: campaign group 999 does not exist.", "code": 30119}
    ]
    polish = simulator.api(
        "POST",
        "outbounds",
        json={"name": "X", "dialer": "preview", "crm": True, "group_id": 999, "order": 0},
        headers={"Accept-Language": "pl"},
    ).json()
    assert [e["code"] for e in polish["errors"]] == [30110, 30119]  # every invalid field
    assert "grupa kampanii 999 nie istnieje" in polish["errors"][1]["message"]
    assert simulator.api("PUT", "outbounds/00001", json={"group_id": str(known)}).status_code == 204
    camp = next(c for c in simulator.state()["campaigns"] if c["id"] == "00001")
    assert camp["group_id"] == known
