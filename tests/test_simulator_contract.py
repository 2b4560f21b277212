"""Contract tests for the Thulium simulator (plain pytest, no Django, no db).

Run: python -m pytest tests/test_simulator_contract.py -p no:django -q
"""

import base64
import json
import os
import queue
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from scripts import processes
from scripts.processes import Processes

pytestmark = []

AUTH = ("api", "api-secret")


@pytest.fixture(scope="module")
def sim():
    """A simulator of its own, with its API credentials from the environment."""
    env = dict(os.environ, THULIUM_API_USER="api", THULIUM_API_PASSWORD="api-secret")
    with Processes() as procs:
        yield processes.simulator(procs, None, "--no-traffic", "--seed", "1", env=env)


def api(sim, method, path, **kw):
    kw.setdefault("auth", AUTH)
    return requests.request(method, sim + "/api/" + path, timeout=5, **kw)


def assert_error(r, status):
    assert r.status_code == status, r.text
    body = r.json()
    assert len(body["request_id"]) == 13 and int(body["request_id"], 16) >= 0
    assert body["errors"] and isinstance(body["errors"][0]["message"], str)
    assert isinstance(body["errors"][0]["code"], int)
    return body


def free_agent(sim, exclude=()):
    for s in api(sim, "GET", "agents_statuses").json():
        if s["status"] == "FREE" and s["login"] not in exclude:
            return s["login"]
    raise AssertionError("no FREE agent")


def status(sim, login):
    return api(sim, "GET", f"agents/{login}/status").json()


def test_bad_credentials_401(sim):
    body = assert_error(api(sim, "GET", "agents", auth=("api", "wrong")), 401)
    assert body["errors"][0]["message"]
    assert_error(requests.get(sim + "/api/agents", timeout=5), 401)


def test_agents_list_shape(sim):
    agents = api(sim, "GET", "agents").json()
    assert agents[0]["login"] == "" and agents[0]["name"] == "Automat"
    assert len(agents) == 41
    a = agents[1]
    assert set(a) == {
        "agent_id",
        "login",
        "name",
        "surname",
        "email",
        "active",
        "number",
        "outbound_mode",
        "group_id",
    }
    assert isinstance(a["number"], int) and a["outbound_mode"] in ("manual", "automatic")
    assert len({x["login"] for x in agents}) == len(agents)
    groups = api(sim, "GET", "agents_groups").json()
    assert {"group_id", "name"} == set(groups[0]) and len(groups) == 4
    detail = api(sim, "GET", "agents/" + a["login"])
    assert detail.status_code == 200 and detail.json() == a


def test_unknown_login_and_path_404(sim):
    assert_error(api(sim, "GET", "agents/nobody/status"), 404)
    assert_error(api(sim, "POST", "agents/nobody/pause", json={"pause_id": 1}), 404)
    assert_error(api(sim, "GET", "no/such/path"), 404)


def test_polish_messages(sim):
    en = assert_error(api(sim, "GET", "agents/nobody"), 404)["errors"][0]["message"]
    pl = assert_error(api(sim, "GET", "agents/nobody", headers={"Accept-Language": "pl"}), 404)
    assert pl["errors"][0]["message"] != en
    assert "agenta" in pl["errors"][0]["message"]


def test_pause_requires_valid_pause_id(sim):
    login = free_agent(sim)
    assert_error(api(sim, "POST", f"agents/{login}/pause", json={}), 400)
    assert_error(api(sim, "POST", f"agents/{login}/pause", json={"pause_id": 99}), 400)
    assert status(sim, login)["status"] == "FREE"


def test_pause_free_cycle_json_form_and_query(sim):
    login = free_agent(sim)
    r = api(sim, "POST", f"agents/{login}/pause", json={"pause_id": "3"})
    assert r.status_code == 201 and r.content == b""
    st = status(sim, login)
    assert st["status"] == "PAUSED" and st["pause_id"] == 3 and len(st["last_change"]) == 19
    r = api(sim, "POST", f"agents/{login}/pause", data={"pause_id": "2"})
    assert r.status_code == 201 and status(sim, login)["pause_id"] == 2
    r = api(sim, "POST", f"agents/{login}/pause?pause_id=4")
    assert r.status_code == 201 and status(sim, login)["pause_id"] == 4
    assert api(sim, "POST", f"agents/{login}/free").status_code == 201
    st = status(sim, login)
    assert st["status"] == "FREE" and st["pause_id"] is None


def test_logout_login(sim):
    login = free_agent(sim)
    assert api(sim, "POST", f"agents/{login}/logout").status_code == 201
    assert status(sim, login)["status"] == "OFF"
    logins = [s["login"] for s in api(sim, "GET", "agents_statuses").json()]
    assert login not in logins
    for flag in ("true", "1"):
        all_ = api(sim, "GET", "agents_statuses", params={"include_logged_off": flag}).json()
        assert any(s["login"] == login and s["status"] == "OFF" for s in all_)
    body = assert_error(api(sim, "POST", f"agents/{login}/pause", json={"pause_id": 1}), 400)
    assert "not logged in" in body["errors"][0]["message"]
    assert api(sim, "POST", f"agents/{login}/login").status_code == 201
    assert status(sim, login)["status"] == "FREE"
    assert api(sim, "POST", f"agents/{login}/login").status_code == 201  # idempotent


def test_call_and_hangup(sim):
    login = free_agent(sim)
    assert_error(api(sim, "POST", f"agents/{login}/call", json={}), 400)
    r = api(sim, "POST", f"agents/{login}/call", json={"phone_number": "111222333"})
    assert r.status_code == 201 and r.content == b""
    assert status(sim, login)["status"] in ("RINGING", "CALL")
    assert_error(api(sim, "POST", f"agents/{login}/call", json={"phone_number": "1"}), 400)
    assert api(sim, "POST", f"agents/{login}/hangup").status_code == 201
    assert status(sim, login)["status"] == "FREE"
    assert_error(api(sim, "POST", f"agents/{login}/hangup"), 400)


class Receiver:
    def __init__(self):
        self.events = queue.Queue()
        recv = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n).decode()
                recv.events.put(
                    (
                        self.headers.get("Content-Type"),
                        self.headers.get("Authorization"),
                        dict(urllib.parse.parse_qsl(body, keep_blank_values=True)),
                    )
                )
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *a):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.url = "http://127.0.0.1:%d/webhooks/thulium/" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, pred, timeout=5):
        end = time.time() + timeout
        while time.time() < end:
            try:
                item = self.events.get(timeout=0.2)
            except queue.Empty:
                continue
            if pred(item[2]):
                return item
        raise AssertionError("webhook not received")


def test_webhook_delivery_after_pause(sim):
    rcv = Receiver()
    try:
        r = requests.post(
            sim + "/_sim/webhook", json={"url": rcv.url, "user": "hook", "password": "pw"}
        )
        assert r.status_code == 200
        login = free_agent(sim)
        assert api(sim, "POST", f"agents/{login}/pause", json={"pause_id": 2}).status_code == 201
        ctype, auth, ev = rcv.wait_for(
            lambda e: e.get("action") == "AGENT_STATUS_CHANGED" and e.get("agent_login") == login
        )
        assert ctype.startswith("application/x-www-form-urlencoded")
        assert auth == "Basic " + base64.b64encode(b"hook:pw").decode()
        assert ev["pause_id"] == "2" and ev["previous_pause_id"] == "null"
        assert len(ev["date"]) == 19
        api(sim, "POST", f"agents/{login}/free")
        _, _, ev = rcv.wait_for(lambda e: e.get("agent_login") == login and e["pause_id"] == "null")
        assert ev["previous_pause_id"] == "2"
        # forced event through the control API: applied to state and sent
        r = requests.post(
            sim + "/_sim/event", json={"action": "AGENT_LOGGED_OUT", "agent_login": login}
        )
        assert r.status_code == 201
        rcv.wait_for(
            lambda e: e.get("action") == "AGENT_LOGGED_OUT" and e.get("agent_login") == login
        )
        assert status(sim, login)["status"] == "OFF"
        requests.post(sim + "/_sim/event", json={"action": "AGENT_LOGGED_IN", "agent_login": login})
        rcv.wait_for(lambda e: e.get("action") == "AGENT_PHONE_CONNECTED")
    finally:
        requests.post(sim + "/_sim/webhook", json={"url": ""})
        rcv.server.shutdown()


def test_several_events_made_to_happen_in_one_control_call_apply_in_order(sim):
    agents = requests.get(sim + "/_sim/state", timeout=5).json()["agents"]
    one, two = [a["login"] for a in agents if a["status"] == "FREE"][:2]
    batch = [
        {"action": "AGENT_STATUS_CHANGED", "agent_login": one, "pause_id": 3},
        {"action": "AGENT_STATUS_CHANGED", "agent_login": two, "pause_id": 4},
        {"action": "AGENT_STATUS_CHANGED", "agent_login": one, "pause_id": None},
    ]
    try:
        r = requests.post(sim + "/_sim/event", json=batch, timeout=5)
        assert r.status_code == 201
        happened = [(e["agent_login"], e["pause_id"]) for e in r.json()["events"]]
        assert happened == [(one, 3), (two, 4), (one, None)]
        assert status(sim, one)["status"] == "FREE"
        assert status(sim, two)["status"] == "PAUSED" and status(sim, two)["pause_id"] == 4
        wrong = requests.post(sim + "/_sim/event", json=[batch[0], "PAUSE"], timeout=5)
        assert wrong.status_code == 400 and "object" in wrong.json()["errors"][0]["message"]
        assert status(sim, one)["status"] == "FREE"  # nothing of a refused batch happened
    finally:
        for login in (one, two):
            requests.post(
                sim + "/_sim/event",
                json={"action": "AGENT_STATUS_CHANGED", "agent_login": login, "pause_id": None},
                timeout=5,
            )


def test_sim_state(sim):
    st = requests.get(sim + "/_sim/state", timeout=5).json()
    assert len(st["agents"]) == 40 and st["seed"] == 1
    assert {"login", "status", "pause_id", "last_change"} <= set(st["agents"][0])


# ---- campaigns ------------------------------------------------------------------------
def test_outbounds_read(sim):
    outs = api(sim, "GET", "outbounds").json()
    assert outs and set(outs[0]) == {"id", "name", "crm", "order", "parity"}
    assert all(len(o["id"]) == 5 for o in outs)
    cid = outs[0]["id"]
    st = api(sim, "GET", f"outbounds/{cid}/stats").json()
    assert set(st) == {"id", "records_count", "completion_percent"}
    assert isinstance(api(sim, "GET", "outbounds/stats").json(), list)
    agents = api(sim, "GET", f"outbounds/{cid}/agents").json()
    assert set(agents[0]) == {"login", "number", "active", "active_in_outbound", "agent_id"}
    statuses = api(sim, "GET", f"outbounds/{cid}/statuses").json()
    assert {s["system_status"] for s in statuses} >= {"TO_CALL", "NO_CALL", "CALL_PROGRESSIVE"}
    assert_error(api(sim, "GET", "outbounds/99999/stats"), 404)


def test_records_listing(sim):
    outs = api(sim, "GET", "outbounds").json()
    crm = next(o for o in outs if o["crm"])
    r = api(sim, "GET", f"crm_outbounds/{crm['id']}/records", params={"limit": 5, "offset": 2})
    body = r.json()
    assert r.status_code == 200 and body["count"] >= 5 and len(body["result"]) == 5
    assert {
        "record_id",
        "phone_number",
        "system_status",
        "status",
        "status_id",
        "call_date",
        "create_date",
        "next_call_date",
        "agent_name",
        "agent_login",
        "customer_id",
        "last_note",
        "order",
    } == set(body["result"][0])
    r = api(
        sim,
        "GET",
        "crm_outbounds/{}/records?system_status[]=NO_CALL&system_status[]=CALL".format(crm["id"]),
    )
    assert all(x["system_status"] in ("NO_CALL", "CALL") for x in r.json()["result"])
    assert_error(
        api(sim, "GET", "crm_outbounds/{}/records".format(crm["id"]), params={"limit": 500}), 400
    )
    plain = next(o for o in outs if not o["crm"])
    assert api(sim, "GET", "outbounds/{}/records".format(plain["id"])).status_code == 200


def test_outbound_create_validation(sim):
    r = api(
        sim,
        "POST",
        "outbounds",
        json={
            "id": "123",
            "dialer": "robot",
            "order": 0,
            "parity": 101,
            "parameters": {"caller_id": "abc"},
        },
    )
    body = assert_error(r, 400)
    assert len(body["errors"]) >= 6  # id, name, dialer, crm, order, parity, caller_id


def test_outbound_lifecycle_and_batch_delete(sim):
    r = api(
        sim,
        "POST",
        "outbounds",
        json={
            "id": "09098",
            "name": "API test",
            "dialer": "predictive",
            "crm": True,
            "start_date": "2030-01-01",
            "parameters": {"caller_id": "1234"},
        },
    )
    assert r.status_code == 201 and r.json()["id"] == "09098" and "outbound_id" in r.json()
    assert_error(
        api(
            sim,
            "POST",
            "outbounds",
            json={"id": "09098", "name": "x", "dialer": "preview", "crm": False},
        ),
        400,
    )
    r = api(
        sim, "POST", "outbounds", data={"name": "Form made", "dialer": "preview", "crm": "false"}
    )
    assert r.status_code == 201
    form_id = r.json()["id"]
    assert (
        api(sim, "PUT", "outbounds/09098", json={"name": "Renamed", "order": 7}).status_code == 204
    )
    assert any(
        o["name"] == "Renamed" and o["order"] == 7 for o in api(sim, "GET", "outbounds").json()
    )
    logins = [a["login"] for a in api(sim, "GET", "agents").json()[1:4]]
    assert (
        api(sim, "POST", "outbounds/09098/add_agents", json={"logins": logins}).status_code == 201
    )
    got = {a["login"] for a in api(sim, "GET", "outbounds/09098/agents").json()}
    assert got == set(logins)
    api(sim, "POST", "outbounds/09098/remove_agents", json={"logins": logins[:1]})
    assert {a["login"] for a in api(sim, "GET", "outbounds/09098/agents").json()} == set(logins[1:])
    api(sim, "POST", "outbounds/09098/set_agents", json={"logins": logins[:1]})
    assert {a["login"] for a in api(sim, "GET", "outbounds/09098/agents").json()} == set(logins[:1])
    assert_error(api(sim, "POST", "outbounds/09098/add_agents", json={"logins": ["ghost"]}), 400)
    r = api(sim, "POST", "outbounds/09098/clone", json={"new_id": "77744", "name": "Cloned"})
    assert r.status_code == 201 and r.json() == {"id": "77744"}
    assert api(sim, "DELETE", "outbounds/77744?delete_recordings=true").status_code == 204
    r = api(sim, "DELETE", "batch/outbounds?id[]=09098&id[]=77744&id[]=55555&id[]=" + form_id)
    assert r.status_code == 207
    assert [(x["id"], x["status"], x["http_status"]) for x in r.json()] == [
        ("09098", "REMOVAL_QUEUED", 200),
        ("77744", "ALREADY_QUEUED", 400),
        ("55555", "NOT_EXIST", 404),
        (form_id, "REMOVAL_QUEUED", 200),
    ]
    assert all(o["id"] != "09098" for o in api(sim, "GET", "outbounds").json())


def test_put_validation_and_json_errors(sim):
    cid = api(sim, "GET", "outbounds").json()[0]["id"]
    assert_error(api(sim, "PUT", "outbounds/" + cid, json={"parity": 0}), 400)
    assert_error(
        api(
            sim,
            "PUT",
            "outbounds/" + cid,
            data="{bad json",
            headers={"Content-Type": "application/json"},
        ),
        400,
    )
    json.dumps({})  # keep json import used
