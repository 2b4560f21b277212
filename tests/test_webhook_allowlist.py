"""THULIUM_WEBHOOK_ALLOWED_IPS over real HTTP: daphne with the receiver's ASGI door, directly and
as if behind a trusted proxy (TRUSTED_PROXIES); and the same rule in the Django view. A refused
source gets 403 saying why and nothing of it is stored."""

import os
from ipaddress import ip_network
from urllib.parse import urlencode

import pytest
import requests

from crm_bridge.models import WebhookEvent
from scripts import processes
from scripts.processes import PY, Processes, free_port, wait_for_port
from tests._env import HOOK_PASSWORD, HOOK_USER, VALKEY
from tests.conftest import basic_auth, database_url, query

ALLOWED = "192.0.2.0/24, 2001:db8::/32"
BODY = urlencode({"action": "AGENT_LOGGED_IN", "agent_login": "allow-ola"})


@pytest.fixture(scope="module")
def daphnes(tmp_path_factory):
    """Two daphne processes on one database, both allowing only ALLOWED: one reached
    directly, one that trusts 127.0.0.1 as its proxy. Yields (db url, {name: base url})."""
    folder = tmp_path_factory.mktemp("allowlist")
    env = {**os.environ, "DATABASE_URL": database_url(folder), "REDIS_URL": f"{VALKEY}/5"}
    env.update(THULIUM_WEBHOOK_ALLOWED_IPS=ALLOWED, LOG_LEVEL="WARNING")
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    migrated = processes.manage(env, "migrate", "--noinput", "-v", "0")
    assert migrated.returncode == 0, migrated.stderr
    urls = {}
    with Processes() as procs:
        for name, extra in (("direct", {}), ("proxied", {"TRUSTED_PROXIES": "127.0.0.1"})):
            port = free_port()
            args = [PY, "-m", "daphne", "-v", "0", "-b", "127.0.0.1", "-p", str(port)]
            web = procs.spawn(name, [*args, "config.asgi:application"], {**env, **extra})
            wait_for_port(port, web, name)
            urls[name] = f"http://127.0.0.1:{port}"
        yield env["DATABASE_URL"], urls


def _post(url: str, forwarded_for: str = "") -> requests.Response:
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    return requests.post(
        f"{url}/webhooks/thulium/", data=BODY, headers=headers, auth=(HOOK_USER, HOOK_PASSWORD),
        timeout=10,
    )  # fmt: skip


def _stored(db: str) -> int:
    return query(db, "SELECT count(*) FROM crm_bridge_webhookevent")[0][0]


def test_a_source_outside_the_allow_list_gets_403_and_nothing_is_stored(daphnes):
    db, urls = daphnes
    before = _stored(db)
    response = _post(urls["direct"])
    assert response.status_code == 403
    assert response.json()["error"] == (
        "Source address 127.0.0.1 is not in THULIUM_WEBHOOK_ALLOWED_IPS"
    )
    # X-Forwarded-For from a peer that is no trusted proxy is not believed.
    response = _post(urls["direct"], forwarded_for="192.0.2.7")
    assert response.status_code == 403
    assert _stored(db) == before


def test_behind_a_trusted_proxy_the_forwarded_client_is_checked(daphnes):
    db, urls = daphnes
    before = _stored(db)
    response = _post(urls["proxied"], forwarded_for="192.0.2.7")
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "ok"
    assert _stored(db) == before + 1

    refused = _post(urls["proxied"], forwarded_for="198.51.100.1")
    assert refused.status_code == 403
    assert "198.51.100.1 is not in THULIUM_WEBHOOK_ALLOWED_IPS" in refused.json()["error"]
    # An allowed address the client put in front of the chain does not help: the proxy
    # appended the real one (the right-most hop that is not a trusted proxy).
    assert _post(urls["proxied"], forwarded_for="192.0.2.7, 198.51.100.1").status_code == 403
    assert _stored(db) == before + 1


@pytest.mark.django_db
def test_the_django_view_applies_the_same_allow_list(client, settings):
    settings.THULIUM_WEBHOOK_ALLOWED_IPS = [ip_network("192.0.2.0/24")]
    auth = {"HTTP_AUTHORIZATION": basic_auth(HOOK_USER, HOOK_PASSWORD)}
    form = "application/x-www-form-urlencoded"
    refused = client.post("/webhooks/thulium/", BODY, content_type=form, **auth)
    assert refused.status_code == 403
    assert "127.0.0.1 is not in THULIUM_WEBHOOK_ALLOWED_IPS" in refused.json()["error"]
    assert not WebhookEvent.objects.exists()

    allowed = client.post(
        "/webhooks/thulium/", BODY, content_type=form, REMOTE_ADDR="192.0.2.9", **auth
    )
    assert allowed.status_code == 200
    assert WebhookEvent.objects.count() == 1
