"""Create, edit, clone and delete through the views: checked first, Thulium's errors per field."""

import pytest

from crm_bridge import campaign_sync, outbounds
from crm_bridge.models import ActionLog, Campaign

pytestmark = pytest.mark.django_db

VALID = {
    "name": "Jesień 2026",
    "dialer": "predictive",
    "crm": "true",
    "active": "on",
    "start_date": "2026-10-01",
    "end_date": "2026-12-31",
    "order": "20",
    "parity": "60",
    "caller_id": "221234567",
    "predictive_min_calls": "1.0",
    "predictive_max_calls": "2.5",
}


@pytest.fixture
def admin(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("admin", password="pw-123456"))


def _listed(campaign_id):
    return {c.campaign_id: c for c in outbounds.get_campaigns()}.get(campaign_id)


def test_it_creates_a_campaign(client, admin):
    response = client.post("/campaigns/new/", {**VALID, "campaign_id": "C0001"})
    assert response.status_code == 302 and response["Location"] == "/campaigns/C0001/"
    assert _listed("C0001").order == 20
    campaign = Campaign.objects.get(campaign_id="C0001")
    assert campaign.dialer == "predictive" and str(campaign.end_date) == "2026-12-31"
    assert campaign.parameters["caller_id"] == "221234567"
    entry = ActionLog.objects.get(target="C0001")
    assert entry.action == "create" and entry.ok and entry.params["dialer"] == "predictive"
    assert "Jesień 2026" in client.get("/campaigns/C0001/").content.decode()


@pytest.mark.parametrize(
    ("change", "field", "text"),
    [
        ({"campaign_id": "12"}, "campaign_id", "exactly five"),
        ({"order": "0"}, "order", "greater than or equal to 1"),
        ({"parity": "101"}, "parity", "less than or equal to 100"),
        ({"end_date": "2026-09-01"}, "end_date", "before the start date"),
        ({"predictive_min_calls": "3"}, "predictive_min_calls", "cannot exceed"),
        ({"caller_id": "abc"}, "caller_id", "digits"),
        ({"dialer": "robot"}, "dialer", "valid choice"),
        ({"name": ""}, "name", "required"),
    ],
)
def test_the_form_checks_fields_before_thulium(client, admin, change, field, text):
    response = client.post("/campaigns/new/", {**VALID, **change})
    assert response.status_code == 200
    assert text in " ".join(response.context["form"].errors[field])
    assert not ActionLog.objects.exists()


def test_thulium_errors_land_on_their_field(client, admin):
    client.post("/campaigns/new/", {**VALID, "campaign_id": "C0002"})
    response = client.post("/campaigns/new/", {**VALID, "campaign_id": "C0002"})
    errors = response.context["form"].errors["campaign_id"]
    assert "Thulium: Outbound with id C0002 already exists." in errors[0]
    assert "request_id" in errors[0]
    failed = ActionLog.objects.filter(ok=False).get()
    assert failed.http_status == 400 and failed.request_id


def test_it_edits(client, admin):
    client.post("/campaigns/new/", {**VALID, "campaign_id": "C0003"})
    edit = {**VALID, "name": "Renamed", "order": "33", "dialer": "progressive"}
    response = client.post("/campaigns/C0003/edit/", edit)
    assert response.status_code == 302
    assert _listed("C0003").name == "Renamed" and _listed("C0003").order == 33
    assert Campaign.objects.get(campaign_id="C0003").dialer == "progressive"


def test_it_clones(client, admin):
    client.post("/campaigns/new/", {**VALID, "campaign_id": "C0004"})
    response = client.post("/campaigns/C0004/clone/", {"new_id": "C0005", "name": "The copy"})
    assert response["Location"] == "/campaigns/C0005/"
    assert _listed("C0005").name == "The copy"
    assert Campaign.objects.get(campaign_id="C0005").dialer == "predictive"


def test_delete_asks_first_then_deletes_one(client, admin):
    client.post("/campaigns/new/", {**VALID, "campaign_id": "C0006"})
    confirm = client.get("/campaigns/delete/?ids=C0006").content.decode()
    assert "Delete 1 campaign?" in confirm and _listed("C0006")
    page = client.post(
        "/campaigns/delete/", {"ids": ["C0006"], "confirm": "1", "delete_recordings": "on"}
    ).content.decode()
    assert 'data-delete-result="C0006"' in page and "REMOVAL_QUEUED" in page
    assert _listed("C0006") is None and Campaign.objects.get(campaign_id="C0006").gone
    assert 'id="campaign-C0006"' not in client.get("/campaigns/").content.decode()


def test_batch_delete_shows_the_result_per_campaign(client, admin):
    for campaign_id in ("C0007", "C0008"):
        client.post("/campaigns/new/", {**VALID, "campaign_id": campaign_id})
    outbounds.delete_campaign("C0008")  # deleted elsewhere meanwhile: ALREADY_QUEUED
    page = client.post(
        "/campaigns/delete/", {"ids": ["C0007", "C0008"], "confirm": "1"}
    ).content.decode()
    assert "REMOVAL_QUEUED" in page and "ALREADY_QUEUED" in page
    entries = {e.target: e for e in ActionLog.objects.filter(action="delete")}
    assert entries["C0007"].ok and not entries["C0008"].ok


def test_the_list_shows_live_progress(client, admin):
    campaign_sync.poll_list()
    campaign_sync.poll_stats()
    page = client.get("/campaigns/").content.decode()
    assert 'id="campaign-00001"' in page and "assigned" in page and "%" in page
