"""Call control through an agent (Thulium Softphone) and an agent's last queue call: the
client against the simulator, as the document says, and the document's own example parsed."""

import time

import pytest

from crm_bridge import client
from crm_bridge.client import LastQueueCall, ThuliumAPIError
from tests.test_doc_examples import example


def sim_agents(simulator) -> dict:
    return {a["login"]: a for a in simulator.state()["agents"]}


def free_agent(simulator, softphone=True, exclude=()) -> dict:
    for a in simulator.state()["agents"]:
        if a["status"] == "FREE" and a["softphone"] == softphone and a["login"] not in exclude:
            return a
    raise AssertionError("no FREE agent")


def on_a_call(simulator, softphone=True) -> str:
    """A free agent of the given kind, now on a connected call placed through them."""
    login = free_agent(simulator, softphone)["login"]
    client.call(login, "600100200")
    simulator.control("softphone", {"agent_login": login, "softphone": True})
    client.answer(login)  # picked up at once, not after the simulated ring
    simulator.control("softphone", {"agent_login": login, "softphone": softphone})
    assert sim_agents(simulator)[login]["status"] == "CALL"
    return login


def refused(call, *args) -> ThuliumAPIError:
    with pytest.raises(ThuliumAPIError) as caught:
        call(*args)
    assert caught.value.status == 400 and len(caught.value.request_id) == 13
    return caught.value


@pytest.fixture
def hang_up_after(simulator):
    logins = []
    yield logins
    for login in logins:
        if sim_agents(simulator)[login]["activity"]:
            client.hangup(login)


def test_last_queue_call_from_the_documents_example():
    call = LastQueueCall.from_api(example("get_agents__login__last_queue_call.txt"))
    assert call.connection_id == "1563281993.1" and call.phone_number == "666555444"
    assert call.start_date.strftime("%H:%M:%S") == "14:59:54"
    assert call.answered_date.strftime("%H:%M:%S") == "14:59:59"
    assert call.end_date.strftime("%Y-%m-%d %H:%M:%S") == "2019-07-16 15:00:20"
    assert (call.customer_id, call.customer_identifier) == (123, "some_company")


def test_hold_and_mute_keep_the_call_the_agents(simulator, hang_up_after):
    login = on_a_call(simulator)
    hang_up_after.append(login)
    client.hold(login)
    held = sim_agents(simulator)[login]
    assert held["status"] == "CALL" and held["call"]["held"]  # a held call is still a call
    assert client.get_agent_status(login).status == "CALL"
    client.unhold(login)
    client.mute(login)
    muted = sim_agents(simulator)[login]["call"]
    assert muted["muted"] and not muted["held"]
    client.unmute(login)
    client.stop_recording(login)
    call = sim_agents(simulator)[login]["call"]
    assert not call["muted"] and not call["recording"]
    assert client.get_agent_status(login).status == "CALL"


def test_without_the_softphone_thulium_refuses(simulator, hang_up_after):
    login = on_a_call(simulator, softphone=False)
    hang_up_after.append(login)
    for action in (client.hold, client.unhold, client.mute, client.unmute):
        assert refused(action, login).message == "Agent does not use Thulium Softphone."
    error = refused(client.transfer, login, "999888777")
    assert error.message == "Agent does not use Thulium Softphone."
    client.stop_recording(login)  # the document does not ask for the softphone here
    assert sim_agents(simulator)[login]["status"] == "CALL"


def test_no_call_no_control(simulator):
    login = free_agent(simulator)["login"]
    for action in (client.hold, client.mute, client.stop_recording):
        assert refused(action, login).message == "Agent has no active call."
    assert refused(client.answer, login).message == "Agent's phone is not ringing."
    assert refused(client.call_preview, login).message == "Agent has no preview record."
    assert refused(client.transfer, login, "999888777").message == "Agent has no active call."
    with client.speaking("pl"):
        assert refused(client.hold, login).message == "Agent nie prowadzi rozmowy."
    with pytest.raises(ThuliumAPIError) as caught:
        client.hold("nobody-here")
    assert caught.value.status == 404


def test_transfer_needs_a_destination(simulator, hang_up_after):
    login = on_a_call(simulator)
    hang_up_after.append(login)
    response = simulator.api("POST", f"agents/{login}/transfer", json={})
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == "Parameter destination is required."
    assert refused(client.transfer, login, "call me").message == "Wrong format of phone number."


def test_transfer_to_a_number_ends_the_agents_part(simulator):
    login = on_a_call(simulator)
    client.transfer(login, "999888777")
    assert sim_agents(simulator)[login]["status"] == "FREE"


def test_transfer_to_another_agent_moves_the_call(simulator, hang_up_after):
    login = on_a_call(simulator)
    target = free_agent(simulator, exclude={login})
    hang_up_after.extend([login, target["login"]])
    connection_id = sim_agents(simulator)[login]["call"]["connection_id"]
    client.transfer(login, str(target["number"]))
    agents = sim_agents(simulator)
    assert agents[login]["status"] == "FREE" and "call" not in agents[login]
    assert agents[target["login"]]["status"] == "CALL"
    assert agents[target["login"]]["call"]["connection_id"] == connection_id
    busy = free_agent(simulator, exclude={login, target["login"]})
    assert refused(client.transfer, target["login"], str(target["number"])).message == (
        "Destination agent is not available."
    )
    client.pause(busy["login"], 2)
    assert refused(client.transfer, target["login"], str(busy["number"])).message == (
        "Destination agent is not available."
    )
    client.free(busy["login"])


def wait_for(predicate, timeout=30.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        found = predicate()
        if found:
            return found
        time.sleep(0.2)
    raise AssertionError("not in time")


def queue_call_answered(simulator) -> tuple[str, str]:
    """A queue call comes in, rings an agent, who answers it (through the softphone)."""
    simulator.control("event", {"action": "INBOUND_CALL"})

    def ringing():
        for a in simulator.state()["agents"]:
            if a["status"] == "RINGING" and a.get("call", {}).get("kind") == "inbound":
                return a

    agent = wait_for(ringing)
    login, connection_id = agent["login"], agent["call"]["connection_id"]
    simulator.control("softphone", {"agent_login": login, "softphone": True})
    client.answer(login)
    return login, connection_id


def test_a_queue_call_transferred_fires_thuliums_webhooks(simulator, hang_up_after):
    seq = simulator.state()["last_event_seq"]
    login, connection_id = queue_call_answered(simulator)
    target = free_agent(simulator, exclude={login})
    hang_up_after.extend([login, target["login"]])
    client.transfer(login, str(target["number"]))
    agents = sim_agents(simulator)
    assert agents[login]["status"] != "INBOUND_CALL"
    assert agents[target["login"]]["status"] == "INBOUND_CALL"
    events = simulator.api("GET", "../_sim/events", params={"since": seq}).json()
    mine = [e for e in events if e.get("connection_id") == connection_id and e.get("agent_login")]
    actions = [(e["action"], e.get("agent_login")) for e in mine]
    assert actions[-4:] == [
        ("AGENT_CONNECTED", login),
        ("QUEUE_TRANSFERRED_TO_AGENT", target["login"]),
        ("AGENT_COMPLETED", login),
        ("AGENT_CONNECTED", target["login"]),
    ]
    transferred = mine[-3]
    assert transferred["type"] == "blind" and transferred["destination_number"] == target["number"]
    assert mine[-2]["reason"] == "agent"


def test_last_queue_call_after_a_queue_call(simulator):
    logins = [a["login"] for a in simulator.state()["agents"]]
    found = [c for c in (_last(login) for login in logins) if c]
    assert found, "the queue call of the previous test ended at some agent"
    assert all(c.connection_id and c.answered_date and c.end_date for c in found)


def _last(login):
    try:
        return client.get_last_queue_call(login)
    except ThuliumAPIError as exc:
        assert exc.status == 404 and exc.message == "No queue call in the last 24 hours."
        return None
