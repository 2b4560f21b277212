"""Outbound webhooks counted per campaign today, and who is on a campaign call now."""

import pytest
from django.utils import timezone

from crm_bridge.models import Campaign, CampaignDay
from crm_bridge.parse import format_local, tenant_tz
from crm_bridge.pipeline import process_pending
from tests.conftest import HOOK_PASSWORD, HOOK_USER, basic_auth

pytestmark = pytest.mark.django_db


def _post(client, action, **fields):
    data = {
        "action": action,
        "id": "00003",
        "name": "Ankieta satysfakcji",
        "record_id": "162",
        "phone_number": "523993855",
        "connection_id": fields.pop("connection_id", "1416225570.341"),
        "agent_login": fields.pop("agent_login", "jkowalski"),
        "date": format_local(timezone.now()),
        **fields,
    }
    response = client.post(
        "/webhooks/thulium/", data, HTTP_AUTHORIZATION=basic_auth(HOOK_USER, HOOK_PASSWORD)
    )
    assert response.status_code == 200, response.content
    process_pending()
    return response


def _today():
    return CampaignDay.objects.get(
        campaign_id="00003", day=timezone.now().astimezone(tenant_tz()).date()
    )


def test_it_counts_a_conversation(client):
    _post(client, "OUTBOUND_CONNECTING", attempt="1")
    _post(client, "OUTBOUND_CUSTOMER_CONNECTED")
    assert Campaign.objects.get(campaign_id="00003").on_call == {"jkowalski": "1416225570.341"}
    _post(client, "OUTBOUND_COMPLETED", duration="69", billsec="67")
    day = _today()
    assert (day.attempts, day.connected, day.talk_seconds) == (1, 1, 67)
    assert day.outcomes == {"COMPLETED": 1} and day.contact_rate == 100.0
    assert Campaign.objects.get(campaign_id="00003").on_call == {}


def test_it_counts_failed_attempts_and_drops(client):
    for n, action in enumerate(["OUTBOUND_BUSY", "OUTBOUND_NO_ANSWER", "OUTBOUND_DROP"]):
        _post(client, "OUTBOUND_CONNECTING", connection_id=f"c{n}", attempt="1")
        _post(client, action, connection_id=f"c{n}", agent_login="null")
    day = _today()
    assert day.attempts == 3 and day.connected == 0 and day.drops == 1
    assert day.outcomes == {"BUSY": 1, "NO_ANSWER": 1, "DROP": 1}
    assert day.contact_rate == 0.0


def test_a_duplicate_delivery_counts_once(client):
    date = format_local(timezone.now())  # the same event twice, whatever the clock does
    _post(client, "OUTBOUND_CONNECTING", connection_id="dup", attempt="1", date=date)
    again = _post(client, "OUTBOUND_CONNECTING", connection_id="dup", attempt="1", date=date)
    assert again.json()["status"] == "duplicate"
    assert _today().attempts == 1


def test_an_old_call_ending_does_not_end_the_current_one(client):
    _post(client, "OUTBOUND_CUSTOMER_CONNECTED", connection_id="new")
    _post(client, "OUTBOUND_COMPLETED", connection_id="old", billsec="5")
    assert Campaign.objects.get(campaign_id="00003").on_call == {"jkowalski": "new"}


def test_record_saved_and_preview_are_counted(client):
    _post(client, "OUTBOUND_RECORD_SAVED", system_status="NO_CALL", status_id="8")
    _post(client, "PREVIEW_RECORD", customer_id="154")
    day = _today()
    assert day.records_saved == 1 and day.previews == 1 and day.outcomes == {}
