"""The agent's-day dialog takes the day's totals from Thulium's work report, and says which
source each number comes from: after a restart the stored events miss the morning."""

import re
from datetime import date

import pytest
from django.urls import reverse

from crm_bridge.models import Agent, WebhookEvent
from crm_bridge.work_report import fetch


@pytest.fixture
def logged_in_agent(simulator, db):
    login = next(a["login"] for a in simulator.state()["agents"] if a["status"] != "OFF")
    return Agent.objects.create(login=login, name="Jan", surname="Kowalski")


def _dialog(client, django_user_model, login) -> str:
    # a superuser sees every agent (whatever teams a plain supervisor is limited to)
    client.force_login(django_user_model.objects.create_superuser("sup", password="pw-123456"))
    return client.get(reverse("agent-today", args=[login])).content.decode()


def _total(html: str, name: str) -> str:
    return re.search(rf'data-total="{name}">([^<]*)<', html).group(1)


def test_after_a_restart_the_dialog_has_the_whole_day_from_thuliums_report(
    logged_in_agent, client, django_user_model
):
    assert not WebhookEvent.objects.exists()  # nothing stored: as after a restart
    (row,) = fetch(date.today(), date.today(), logins=[logged_in_agent.login])
    assert row.logged_in > 0
    html = _dialog(client, django_user_model, logged_in_agent.login)
    assert "Today in Thulium's work report" in html
    assert _total(html, "answered") == str(row.answered)
    assert _total(html, "logged-in") != "0:00"
    assert "No webhook events stored here today." in html  # the other source, said so


def test_when_thulium_refuses_the_dialog_says_so_and_keeps_the_stored_events(
    logged_in_agent, client, django_user_model, simulator
):
    simulator.control(
        "fault",
        {"method": "GET", "path": "agents_work_report", "status": 500, "message": "Boom."},
    )
    try:
        html = _dialog(client, django_user_model, logged_in_agent.login)
    finally:
        simulator.control("fault", {})
    assert "Thulium did not give the report: Boom. (request_id " in html
    assert "The numbers below come from the events stored here only." in html
    assert "Time by status" in html
