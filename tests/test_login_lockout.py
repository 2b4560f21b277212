"""Login throttling (django-axes): after LOGIN_FAILURE_LIMIT wrong passwords for one user from
one address, even the right password is refused with a plain message; other users, and the
same user elsewhere, are not. X-Forwarded-For counts only from a trusted proxy."""

from ipaddress import ip_network

import pytest

from tests.conftest import make_user

pytestmark = pytest.mark.django_db
PASSWORD = "right-password-1"


@pytest.fixture(autouse=True)
def users(db, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast
    for username in ("ola", "ewa"):
        make_user(username, password=PASSWORD)  # supervisors of every team: they see the board


def _log_in(client, username: str, password: str, forwarded_for: str = ""):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for else {}
    return client.post("/login/", {"username": username, "password": password}, **headers)


def _fail_until_locked(client, settings, username: str, forwarded_for: str = "") -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _log_in(client, username, "wrong", forwarded_for)
        assert response.status_code == 200
        assert "Wrong username or password" in response.content.decode()
    assert _log_in(client, username, "wrong", forwarded_for).status_code == 429


def test_after_too_many_wrong_passwords_the_right_one_is_refused(client, settings):
    _fail_until_locked(client, settings, "ola")
    response = _log_in(client, "ola", PASSWORD)
    assert response.status_code == 429
    text = " ".join(response.content.decode().split())
    assert "Too many wrong passwords for “ola”" in text
    assert f"locked for {settings.AXES_COOLOFF_TIME.seconds // 60} minutes" in text
    assert client.get("/").status_code == 302  # not logged in

    assert _log_in(client, "ewa", PASSWORD).status_code == 302  # another user logs in
    assert client.get("/").status_code == 200


def test_a_right_password_in_time_resets_the_count(client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _log_in(client, "ola", "wrong")
    assert _log_in(client, "ola", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _log_in(client, "ola", "wrong")
    assert _log_in(client, "ola", PASSWORD).status_code == 302


def test_a_forged_x_forwarded_for_does_not_escape_the_lockout(client, settings):
    settings.TRUSTED_PROXIES = []
    _fail_until_locked(client, settings, "ola", forwarded_for="203.0.113.5")
    assert _log_in(client, "ola", PASSWORD, forwarded_for="198.51.100.9").status_code == 429


def test_behind_a_trusted_proxy_each_client_address_counts_apart(client, settings):
    settings.TRUSTED_PROXIES = [ip_network("127.0.0.1/32")]  # the test client's address
    _fail_until_locked(client, settings, "ola", forwarded_for="203.0.113.5")
    assert _log_in(client, "ola", PASSWORD, forwarded_for="203.0.113.5").status_code == 429
    # The same user from another office behind the same proxy is not locked out.
    assert _log_in(client, "ola", PASSWORD, forwarded_for="198.51.100.9").status_code == 302
