"""The action log in the UI: who did what to whom and what Thulium answered, filtered by
agent, user and day; a team's supervisor sees the actions on their team's agents only; in
Django admin it can be read, not written or removed."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm_bridge.models import ActionLog, Agent, AgentGroup
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def log():
    AgentGroup.objects.bulk_create(
        [AgentGroup(group_id=1, name="A"), AgentGroup(group_id=2, name="B")]
    )
    Agent.objects.create(login="ours", group_id=1)
    Agent.objects.create(login="theirs", group_id=2)
    boss = make_user("boss")
    ActionLog.objects.create(user=boss, target="ours", action="pause", ok=True, request_id="r1")
    ActionLog.objects.create(user=boss, target="theirs", action="logout", ok=False,
                             http_status=400, message="Agent is not logged in.",
                             request_id="r2")  # fmt: skip
    old = ActionLog.objects.create(user=boss, target="ours", action="login", ok=True)
    ActionLog.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))


def _rows(html: str) -> int:
    return html.count("data-entry=")


def test_a_supervisor_reads_who_did_what_and_what_thulium_said(client, log):
    client.force_login(make_user("sup"))
    html = client.get(reverse("action-log")).content.decode()
    assert _rows(html) == 3
    assert "Agent is not logged in." in html and "r2" in html and "refused (400)" in html
    assert _rows(client.get(reverse("action-log"), {"agent": "theirs"}).content.decode()) == 1
    today = timezone.localdate().isoformat()
    assert _rows(client.get(reverse("action-log"), {"day": today}).content.decode()) == 2
    assert _rows(client.get(reverse("action-log"), {"user": "nobody"}).content.decode()) == 0


def test_a_team_sees_the_actions_on_its_own_agents(client, log):
    client.force_login(make_user("anna", groups=[1]))
    html = client.get(reverse("action-log")).content.decode()
    assert _rows(html) == 2 and "theirs" not in html


def test_admin_reads_the_log_but_cannot_write_or_delete_it(admin_client, log):
    entry = ActionLog.objects.first()
    assert admin_client.get("/admin/crm_bridge/actionlog/").status_code == 200
    assert admin_client.get("/admin/crm_bridge/actionlog/add/").status_code == 403
    assert (
        admin_client.post(
            f"/admin/crm_bridge/actionlog/{entry.pk}/delete/", {"post": "yes"}
        ).status_code
        == 403
    )
    assert ActionLog.objects.filter(pk=entry.pk).exists()
