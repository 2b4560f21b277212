"""docker-compose.yml and the Dockerfile describe the topology `make cluster` runs
(scripts/cluster.py TOPOLOGY): the same processes with the same commands and settings, so the
two cannot drift apart. No Docker engine here: `docker-compose config` checks the file."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from scripts import cluster
from scripts.processes import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
# What the image's paths and ports are, where make cluster has its own.
IN_THE_IMAGE = {"bind": "0.0.0.0", "port": "8000", "schedule": "/app/var/celerybeat-schedule"}


def _documented() -> set[str]:
    text = (ROOT / ".env.example").read_text()
    return set(re.findall(r"^([A-Z_]+)=", text, re.MULTILINE))


def test_compose_runs_the_processes_make_cluster_runs_with_the_same_commands():
    assert set(SERVICES) == set(cluster.TOPOLOGY) | {"nginx", "redis", "db"}
    for name, args in cluster.TOPOLOGY.items():
        expected = [arg.format(name=name, **IN_THE_IMAGE) for arg in args]
        assert SERVICES[name]["command"] == expected, name
    # One beat and one event processor; two of each web and worker.
    assert [n for n in SERVICES if "beat" in SERVICES[n].get("command", [])] == ["beat"]
    assert [n for n in SERVICES if "process_events" in SERVICES[n].get("command", [])] == ["events"]


def test_every_process_gets_the_settings_and_starts_after_migrate():
    documented = _documented()
    for name in cluster.TOPOLOGY:
        service = SERVICES[name]
        assert service["env_file"] == ".env"
        for variable in cluster.ENVIRONMENT:
            assert variable in service["environment"] or variable in documented, (name, variable)
        assert service["environment"]["DJANGO_DEBUG"] == "false"
        if name != "migrate":
            assert service["depends_on"]["migrate"] == {
                "condition": "service_completed_successfully"
            }
    assert SERVICES["migrate"]["restart"] == "no"
    assert SERVICES["migrate"]["depends_on"]["db"] == {"condition": "service_healthy"}


def test_no_secret_is_written_in_compose_and_each_variable_it_needs_is_documented():
    text = (ROOT / "docker-compose.yml").read_text()
    for service in SERVICES.values():
        for key, value in (service.get("environment") or {}).items():
            if "PASSWORD" in key or "SECRET" in key:
                assert str(value).startswith("${"), key
    for url in re.findall(r"postgres://\S+", text):
        assert re.match(r"postgres://\w+:\$\{POSTGRES_PASSWORD", url), url
    needed = set(re.findall(r"\$\{(\w+)", text))
    assert needed >= {"POSTGRES_PASSWORD", "DJANGO_SECRET_KEY"}
    assert needed <= _documented()


def test_the_proxy_is_nginx_with_the_repositorys_config_in_front_of_both_webs():
    nginx = SERVICES["nginx"]
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in nginx["volumes"]
    site = (ROOT / "deploy" / "nginx.conf").read_text()
    upstreams = re.findall(r"^\s*server (\S+?)(?: |;)", site, re.MULTILINE)
    assert sorted(upstreams) == ["web1:8000", "web2:8000"]
    assert "proxy_next_upstream error timeout non_idempotent;" in site
    assert "proxy_set_header Upgrade $http_upgrade;" in site
    # Its address is the one the apps believe X-Forwarded-For from.
    address = nginx["networks"]["backend"]["ipv4_address"]
    for name in cluster.TOPOLOGY:
        assert SERVICES[name]["environment"]["TRUSTED_PROXIES"] == address


def test_health_checks_ask_the_web_for_healthz_and_the_proxy_for_readyz():
    for web in ("web1", "web2"):
        assert "http://127.0.0.1:8000/healthz" in " ".join(SERVICES[web]["healthcheck"]["test"])
        assert SERVICES["nginx"]["depends_on"][web] == {"condition": "service_healthy"}
    assert "http://127.0.0.1/readyz" in SERVICES["nginx"]["healthcheck"]["test"]
    for name in ("db", "redis", "worker1", "worker2"):
        assert SERVICES[name]["healthcheck"]["test"]


def test_the_image_runs_as_a_user_and_leaves_secrets_and_local_data_out():
    dockerfile = (ROOT / "Dockerfile").read_text()
    users = re.findall(r"^USER (\S+)", dockerfile, re.MULTILINE)
    assert users and users[-1] not in ("root", "0")
    ignored = (ROOT / ".dockerignore").read_text().split()
    for path in (".env", "var/", ".venv/", ".git/"):
        assert path in ignored


def _compose_config(folder: Path) -> subprocess.CompletedProcess:
    if binary := shutil.which("docker-compose"):
        args = [binary, "config", "-q"]
    elif subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        args = ["docker", "compose", "config", "-q"]
    else:
        pytest.fail("No docker compose here: `make test` installs Debian's docker-compose.")
    return subprocess.run(args, cwd=folder, capture_output=True, text=True, timeout=60)


def test_docker_compose_accepts_the_file_and_refuses_to_start_without_the_secrets(tmp_path):
    shutil.copy(ROOT / "docker-compose.yml", tmp_path)
    shutil.copytree(ROOT / "deploy", tmp_path / "deploy")
    example = (ROOT / ".env.example").read_text()
    (tmp_path / ".env").write_text(example)  # as copied, secrets still empty
    refused = _compose_config(tmp_path)
    assert refused.returncode != 0
    assert "set POSTGRES_PASSWORD in .env" in refused.stderr + refused.stdout
    filled = example.replace("POSTGRES_PASSWORD=\n", "POSTGRES_PASSWORD=pw123\n").replace(
        "DJANGO_SECRET_KEY=\n", "DJANGO_SECRET_KEY=a-long-random-key\n"
    )
    (tmp_path / ".env").write_text(filled)
    done = _compose_config(tmp_path)
    assert done.returncode == 0, done.stderr
