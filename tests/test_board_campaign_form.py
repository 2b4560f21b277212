"""The campaign form's predictive-only fields (the over-dialling ratio, per Thulium's document):
marked for the browser to show with the predictive dialer only, and never sent for another."""

import pytest

from crm_bridge.models import ActionLog, Campaign
from tests.test_campaign_admin import VALID

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client, django_user_model):
    client.force_login(django_user_model.objects.create_superuser("admin", password="pw-123456"))


def test_the_page_marks_the_predictive_only_fields_and_loads_no_inline_script(client, admin):
    html = client.get("/campaigns/new/").content.decode()
    assert html.count('data-dialer-only="predictive"') == 2
    for name in ("predictive_min_calls", "predictive_max_calls"):
        field = html[html.index(f'name="{name}"') - 200 : html.index(f'name="{name}"') + 200]
        assert 'data-dialer-only="predictive"' in field
    assert "<script>" not in html and "onchange" not in html  # the CSP allows files only


def test_another_dialer_sends_none_of_them_even_if_they_were_left_filled(client, admin):
    left = {**VALID, "campaign_id": "C0101", "dialer": "progressive"}
    left.update(predictive_min_calls="0", predictive_max_calls="abc")  # invalid, but hidden
    response = client.post("/campaigns/new/", left)
    assert response.status_code == 302, response.content.decode()[:2000]
    sent = ActionLog.objects.get(target="C0101").params
    assert sent["dialer"] == "progressive"
    parameters = sent.get("parameters", {})
    assert parameters.get("caller_id") == "221234567"
    assert "predictive_min_calls" not in parameters and "predictive_max_calls" not in parameters


def test_the_predictive_dialer_sends_and_checks_them(client, admin):
    bad = {**VALID, "campaign_id": "C0102", "predictive_min_calls": "3"}
    response = client.post("/campaigns/new/", bad)
    assert response.status_code == 200 and "cannot exceed" in response.content.decode()
    response = client.post("/campaigns/new/", {**VALID, "campaign_id": "C0102"})
    assert response.status_code == 302
    sent = ActionLog.objects.get(target="C0102").params["parameters"]
    assert sent["predictive_min_calls"] == "1.0" and sent["predictive_max_calls"] == "2.5"
    assert Campaign.objects.get(campaign_id="C0102").dialer == "predictive"
