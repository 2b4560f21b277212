"""Wallboard links: no login, a wrong or revoked token is a 404, only admins manage them."""

import pytest
from django.contrib.auth import get_user_model

from dashboard.models import Queue, Wallboard
from tests.test_queue_metrics import post

pytestmark = pytest.mark.django_db


@pytest.fixture
def board():
    return Wallboard.objects.create(name="Floor 2", kind=Wallboard.Kind.QUEUES, language="en")


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_user("boss", password="pw-123456", is_staff=True)
    client.force_login(user)
    return client


def test_it_shows_a_wallboard_without_login(client, board):
    response = client.get(f"/wallboard/{board.token}/")
    assert response.status_code == 200
    assert b"Floor 2" in response.content
    assert response["Cache-Control"] == "no-store"
    assert response["Referrer-Policy"] == "no-referrer"
    assert f'ws-connect="/ws/wallboard/{board.token}/"'.encode() in response.content


def test_a_wrong_token_is_a_404(client, board):
    assert client.get(f"/wallboard/{board.token[:-1]}x/").status_code == 404
    assert client.get("/wallboard/nope/").status_code == 404


def test_a_revoked_token_is_a_404(client, board):
    board.revoke()
    assert client.get(f"/wallboard/{board.token}/").status_code == 404


def test_it_shows_only_the_chosen_queues_and_no_actions(client, board):
    post(client, "ENTER_QUEUE", connection_id="w1", queue_id=155, date="2025-03-10 11:00:00")
    post(client, "ENTER_QUEUE", connection_id="w2", queue_id=156, date="2025-03-10 11:00:00")
    Queue.objects.filter(number=155).update(name="Sprzedaż")
    Queue.objects.filter(number=156).update(name="Reklamacje")
    board.queues.add(Queue.objects.get(number=155))
    html = client.get(f"/wallboard/{board.token}/").content.decode()
    assert 'id="queue-155"' in html and "Sprzedaż" in html
    assert "queue-156" not in html and "Reklamacje" not in html
    assert "<form" not in html and "<button" not in html and "hx-post" not in html
    assert "/admin/" not in html


def test_it_speaks_polish(client):
    board = Wallboard.objects.create(name="Sala", language="pl", kind=Wallboard.Kind.ALL)
    html = client.get(f"/wallboard/{board.token}/").content.decode()
    assert 'lang="pl"' in html
    assert "Brak kolejek" in html  # the empty state
    assert "Dane nieaktualne od" in html


def test_only_staff_manage_wallboards(client, board):
    assert client.get("/wallboards/").status_code == 302  # to the login page
    user = get_user_model().objects.create_user("sup", password="pw-123456")
    client.force_login(user)
    assert client.get("/wallboards/").status_code == 403
    assert client.post(f"/wallboards/{board.pk}/revoke/").status_code == 403
    assert client.post(f"/wallboards/{board.pk}/new-link/").status_code == 403
    old_token = board.token
    board.refresh_from_db()
    assert board.active and board.token == old_token


def test_a_new_link_retires_the_old_one(admin_client, board):
    old = board.get_absolute_url()
    response = admin_client.post(f"/wallboards/{board.pk}/new-link/", follow=True)
    assert "has a new link" in response.content.decode()
    board.refresh_from_db()
    assert board.get_absolute_url() != old
    assert admin_client.get(old).status_code == 404
    assert admin_client.get(board.get_absolute_url()).status_code == 200
    assert board.get_absolute_url() in response.content.decode()


def test_an_admin_creates_edits_and_revokes_a_wallboard(admin_client):
    post(admin_client, "ENTER_QUEUE", connection_id="w1", queue_id=155, date="2025-03-10 11:00:00")
    queue = Queue.objects.get(number=155)
    form = {
        "name": "Hala A",
        "kind": "queues_agents",
        "queues": [queue.pk],
        "theme": "light",
        "language": "pl",
        "font_scale": "1.5",
        "waiting_amber": 2,
        "waiting_red": 4,
        "longest_wait_amber": 30,
        "longest_wait_red": 60,
        "service_level_amber": 80,
        "service_level_red": 60,
        "abandon_rate_amber": 5,
        "abandon_rate_red": 10,
        "asa_amber": 20,
        "asa_red": 40,
    }
    response = admin_client.post("/wallboards/new/", form)
    assert response.status_code == 302
    board = Wallboard.objects.get(name="Hala A")
    assert board.threshold("waiting") == (2, 4)
    assert list(board.queues.all()) == [queue]

    listing = admin_client.get("/wallboards/").content.decode()
    assert f"http://testserver/wallboard/{board.token}/" in listing  # the link to copy

    bad = admin_client.post(f"/wallboards/{board.pk}/edit/", {**form, "service_level_red": 90})
    assert "Red must be below amber" in bad.content.decode()
    admin_client.post(f"/wallboards/{board.pk}/edit/", {**form, "name": "Hala B"})
    board.refresh_from_db()
    assert board.name == "Hala B"

    admin_client.post(f"/wallboards/{board.pk}/revoke/")
    assert admin_client.get(board.get_absolute_url()).status_code == 404


def test_levels_follow_the_thresholds():
    board = Wallboard(thresholds={"waiting": {"amber": 2, "red": 5}})
    assert [board.level("waiting", n) for n in (0, 2, 4, 5)] == ["", "amber", "amber", "red"]
    assert board.level("service_level", 85) == ""
    assert board.level("service_level", 70) == "amber"
    assert board.level("service_level", 59.9) == "red"
    assert board.level("service_level", None) == ""


def test_a_campaign_wallboard_shows_the_chosen_campaigns(client):
    from crm_bridge.models.campaigns import Campaign

    Campaign.objects.create(campaign_id="00001", name="Odnowienia", completion_percent=42.4)
    Campaign.objects.create(campaign_id="00002", name="Ankieta")
    board = Wallboard.objects.create(
        name="Outbound", kind=Wallboard.Kind.CAMPAIGNS, language="pl", campaign_ids=["00001"]
    )
    html = client.get(f"/wallboard/{board.token}/").content.decode()
    assert "Odnowienia" in html and "42%" in html and "ukończone" in html
    assert "Ankieta" not in html
