"""Only campaign admins change campaigns: every changing URL refuses supervisors (403)."""

import pytest
from django.contrib.auth.models import Group

from crm_bridge.models import ActionLog, Campaign

pytestmark = pytest.mark.django_db

CHANGING = [
    ("get", "/campaigns/new/"),
    ("post", "/campaigns/new/"),
    ("get", "/campaigns/00001/edit/"),
    ("post", "/campaigns/00001/edit/"),
    ("get", "/campaigns/00001/clone/"),
    ("post", "/campaigns/00001/clone/"),
    ("get", "/campaigns/delete/?ids=00001"),
    ("post", "/campaigns/delete/"),
    ("post", "/campaigns/00001/agents/preview/"),
    ("post", "/campaigns/00001/agents/"),
]
POSTS = {"ids": ["00001"], "confirm": "1", "action": "set", "logins": ["x"], "name": "Hacked"}


@pytest.fixture(autouse=True)
def campaign():
    return Campaign.objects.create(campaign_id="00001", name="Sprzedaż OZE wiosna", crm=True)


@pytest.mark.parametrize(("method", "url"), CHANGING)
def test_supervisors_cannot_change_campaigns(client, django_user_model, method, url):
    user = django_user_model.objects.create_user("supervisor", password="pw-123456")
    client.force_login(user)
    response = getattr(client, method)(url, POSTS if method == "post" else None)
    assert response.status_code == 403
    assert not ActionLog.objects.exists()


@pytest.mark.parametrize(("method", "url"), CHANGING)
def test_it_requires_login(client, method, url):
    response = getattr(client, method)(url, POSTS if method == "post" else None)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_campaign_admin_role_exists_and_grants_access(client, django_user_model):
    user = django_user_model.objects.create_user("ca", password="pw-123456")
    user.groups.add(Group.objects.get(name="campaign admin"))
    client.force_login(user)
    assert client.get("/campaigns/new/").status_code == 200
    assert client.get("/campaigns/00001/edit/").status_code == 200


def test_supervisors_read_campaigns_without_change_buttons(client, django_user_model):
    client.force_login(django_user_model.objects.create_user("sup", password="pw-123456"))
    page = client.get("/campaigns/").content.decode()
    assert 'id="campaign-00001"' in page and "New campaign" not in page
    detail = client.get("/campaigns/00001/").content.decode()
    assert "Sprzedaż OZE wiosna" in detail and "Preview changes" not in detail
    assert "/edit/" not in detail
