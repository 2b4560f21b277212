"""The Thulium client against the running simulator, over real HTTP."""

import socket
import threading

import pytest

from crm_bridge import client
from crm_bridge.client import ThuliumAPIError, ThuliumTimeout, ThuliumUnavailable
from crm_bridge.models import AgentStatus


def _a_free_agent(simulator) -> str:
    statuses = {s.login: s for s in client.get_agent_statuses()}
    for login, info in statuses.items():
        if info.status == "FREE":
            return login
    client.free(next(iter(statuses)))
    return next(iter(statuses))


def test_it_lists_agents_without_the_nameless_system_agent():
    agents = client.get_agents()
    assert len(agents) == 40
    assert all(a.login for a in agents)
    first = agents[0]
    assert first.name and first.surname and isinstance(first.group_id, int)


def test_it_reads_one_agent_and_its_status():
    login = client.get_agents()[0].login
    agent = client.get_agent(login)
    assert agent.login == login
    status = client.get_agent_status(login)
    assert status.login == login
    assert status.status in AgentStatus.values  # one of the document's eight


def test_logged_off_agents_are_listed_only_when_asked(simulator):
    login = _a_free_agent(simulator)
    client.logout(login)
    try:
        assert client.get_agent_status(login).status == "OFF"
        with_off = {s.login for s in client.get_agent_statuses(include_logged_off=True)}
        without_off = {s.login for s in client.get_agent_statuses(include_logged_off=False)}
        assert login in with_off
        assert login not in without_off
    finally:
        client.login(login)
    assert client.get_agent_status(login).status != "OFF"


def test_it_reads_groups():
    groups = client.get_agent_groups()
    assert len(groups) == 4
    assert all(g.name for g in groups)


def test_it_pauses_and_frees_an_agent(simulator):
    login = _a_free_agent(simulator)
    client.pause(login, 3)
    status = client.get_agent_status(login)
    assert (status.status, status.pause_id) == ("PAUSED", 3)
    assert status.last_change is not None and status.last_change.tzinfo is not None
    client.free(login)
    assert client.get_agent_status(login).status == "FREE"


def test_it_calls_a_number_and_hangs_up(simulator):
    login = _a_free_agent(simulator)
    client.call(login, "600100200")
    assert client.get_agent_status(login).status in {"RINGING", "CALL", "OUTBOUND_CALL"}
    client.hangup(login)
    assert client.get_agent_status(login).status not in {"RINGING", "CALL", "OUTBOUND_CALL"}


def test_hangup_without_a_call_is_refused_with_thuliums_message(simulator):
    login = _a_free_agent(simulator)
    with pytest.raises(ThuliumAPIError) as error:
        client.hangup(login)
    assert error.value.status == 400
    assert error.value.request_id
    assert error.value.message
    assert not error.value.transient


def test_unknown_login_is_404_with_request_id():
    with pytest.raises(ThuliumAPIError) as error:
        client.get_agent_status("nobody-here")
    assert error.value.status == 404
    assert len(error.value.request_id) >= 8
    assert error.value.errors and error.value.errors[0]["message"]


def test_pause_without_reason_is_400():
    login = client.get_agents()[0].login
    with pytest.raises(ThuliumAPIError) as error:
        client.request("POST", f"agents/{login}/pause", json={})
    assert error.value.status == 400
    assert "pause" in error.value.message.lower()


def test_wrong_credentials_are_401_with_the_error_body(settings):
    settings.THULIUM_API_PASSWORD = "wrong"
    with pytest.raises(ThuliumAPIError) as error:
        client.get_agents()
    assert error.value.status == 401
    assert error.value.request_id
    assert error.value.message


def test_thulium_answers_in_the_users_language():
    """Accept-Language follows the user's language (dashboard/language.py sets it per request);
    work no user asked for uses THULIUM_LANGUAGE."""
    with client.speaking("en"), pytest.raises(ThuliumAPIError) as english:
        client.get_agent("nobody-here")
    with client.speaking("pl"), pytest.raises(ThuliumAPIError) as polish:
        client.get_agent("nobody-here")
    assert english.value.message == "Agent not found."
    assert polish.value.message == "Nie znaleziono agenta."


def test_polls_ask_in_thulium_language(settings):
    settings.THULIUM_LANGUAGE = "pl"
    with pytest.raises(ThuliumAPIError) as polish:
        client.get_agent("nobody-here")
    assert polish.value.message == "Nie znaleziono agenta."


def test_a_refused_connection_is_its_own_error(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.THULIUM_API_URL = f"http://127.0.0.1:{port}/api/"
    with pytest.raises(ThuliumUnavailable):
        client.get_agents()


def test_a_silent_server_is_a_timeout(settings):
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted = []
    thread = threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True)
    thread.start()
    settings.THULIUM_API_URL = f"http://127.0.0.1:{server.getsockname()[1]}/api/"
    settings.THULIUM_TIMEOUT_SECONDS = 0.5
    try:
        with pytest.raises(ThuliumTimeout) as error:
            client.get_agents()
        assert error.value.transient
    finally:
        server.close()


def test_a_thulium_outage_is_a_transient_error_with_its_request_id(simulator):
    simulator.control("outage", {"seconds": 30})
    try:
        with pytest.raises(ThuliumAPIError) as error:
            client.get_agent_statuses()
    finally:
        simulator.control("outage", {"seconds": 0})
    assert error.value.status == 503
    assert error.value.transient
    assert error.value.request_id and "unavailable" in error.value.message
    assert client.get_agent_statuses()  # and back
