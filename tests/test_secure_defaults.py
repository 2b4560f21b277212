"""Secure by default: no start on a public or empty SECRET_KEY with DEBUG off, `make run`'s
generated secrets readable by their owner only and never printed, and Django's deployment
check clean under the production settings README.md documents."""

import os
import re
import secrets
import stat
import subprocess

import pytest

from scripts.processes import PY, ROOT, free_port, manage
from scripts.run_stack import secret_key
from tests.conftest import database_url

DEVELOPMENT_KEY = "dev-only-insecure-key-change-me"


def _env(**changes: str | None) -> dict:
    env = {**os.environ, "DJANGO_DEBUG": "false"}
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    return env


@pytest.mark.parametrize("key", [None, "", "  ", DEVELOPMENT_KEY])
def test_the_server_refuses_to_start_without_a_secret_key_of_its_own(key):
    port = str(free_port())
    daphne = [PY, "-m", "daphne", "-b", "127.0.0.1", "-p", port, "config.asgi:application"]
    done = subprocess.run(
        daphne, cwd=ROOT, env=_env(DJANGO_SECRET_KEY=key), capture_output=True, text=True,
        timeout=60,
    )  # fmt: skip
    assert done.returncode != 0
    assert "ImproperlyConfigured: DJANGO_SECRET_KEY is not set" in done.stderr
    assert "set it to a long random string" in done.stderr


def test_a_developer_with_debug_on_needs_no_key():
    done = manage(_env(DJANGO_DEBUG="true", DJANGO_SECRET_KEY=None), "check")
    assert done.returncode == 0, done.stderr


def test_make_run_generates_its_key_once_readable_by_its_owner_only(tmp_path):
    path = tmp_path / "secret-key"
    key = secret_key(path)
    assert len(key) >= 50
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert secret_key(path) == key  # the same on the next start: sessions survive
    path.chmod(0o644)  # as an older version left it
    assert secret_key(path) == key
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_demo_password_file_is_owner_only_and_the_password_never_printed(tmp_path):
    env = _env(DATABASE_URL=database_url(tmp_path), DEMO_PASSWORD=None)
    assert manage(env, "migrate", "--noinput", "-v", "0").returncode == 0
    done = manage(env, "demo_users")  # makes var/demo-password if there is none
    assert done.returncode == 0, done.stderr
    password_file = ROOT / "var" / "demo-password"
    assert stat.S_IMODE(password_file.stat().st_mode) == 0o600
    password = password_file.read_text().strip()
    assert password not in done.stdout + done.stderr
    assert "password: in var/demo-password" in done.stdout


def _documented_production_env() -> dict[str, str]:
    """The variables README.md's Security section tells an administrator to set."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Security", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S).group(1)
    return dict(line.split("=", 1) for line in block.splitlines() if "=" in line)


def test_the_deployment_check_is_clean_with_the_documented_production_settings():
    production = _documented_production_env()
    assert {"DJANGO_HTTPS", "DJANGO_PROXY_SSL_HEADER", "TRUSTED_PROXIES"} <= set(production)
    production["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "SECURE_"))}
    done = manage({**env, **production}, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


@pytest.mark.django_db
def test_behind_the_tls_proxy_pages_go_https_with_hsts_and_secure_cookies(client, settings):
    # What DJANGO_HTTPS=true and DJANGO_PROXY_SSL_HEADER=X-Forwarded-Proto set.
    settings.SECURE_SSL_REDIRECT = settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    plain = client.get("/login/")
    assert plain.status_code == 301
    assert plain["Location"] == "https://testserver/login/"
    assert client.get("/healthz").status_code != 301  # the proxy's plain health check

    page = client.get("/login/", HTTP_X_FORWARDED_PROTO="https")
    assert page.status_code == 200
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert page.cookies["csrftoken"]["secure"]
