"""Control endpoints under /_sim/ (no auth): for tests and benchmarks."""

import itertools
import time

from . import calls
from .server import ApiError, route


def _events_since(c, seq):
    """The events after `seq`, oldest first: read from the newest back (a call made a few;
    the log keeps thousands)."""
    newer = itertools.takewhile(lambda item: item[0] > seq, reversed(c.events))
    return [dict(ev, _seq=s) for s, ev in reversed(list(newer))]


@route("GET", r"_sim/state", auth=False)
def state(c, req):
    return 200, {
        "now": c.fmt(c.t),
        "seed": c.seed,
        "speed": c.clock.speed,
        "traffic_running": c.running,
        "agents": c.state(),
        "queues": [
            {
                "queue_id": q["queue_id"],
                "name": q["name"],
                "groups": q["groups"],
                "waiting": [x.connection_id for x in q["waiting"]],
            }
            for q in c.queues
        ],
        "chat_queues": [
            {"chat_queue_id": q["chat_queue_id"], "name": q["name"], "groups": q["groups"]}
            for q in c.chat_queues
        ],
        "chats": list(c.chats.values()),
        "campaigns": [camp.summary(c) for camp in c.campaigns.values()],
        "campaign_groups": list(c.campaign_groups),
        "webhook": {"url": c.webhook["url"], "user": c.webhook["user"]},
        "webhook_stats": dict(c.webhook_stats),
        "event_counts": dict(c.stats),
        "api_counts": dict(c.api_counts),
        "last_event_seq": c.events[-1][0] if c.events else 0,
    }


@route("GET", r"_sim/events", auth=False)
def events(c, req):
    try:
        since = int(req.get("since") or 0)
    except ValueError:
        since = 0
    return 200, _events_since(c, since)


@route("POST", r"_sim/webhook", auth=False)
def webhook(c, req):
    for k in ("url", "user", "password"):
        if k in req.params:
            c.webhook[k] = str(req.params[k] or "")
    return 200, {"url": c.webhook["url"], "user": c.webhook["user"]}


@route("POST", r"_sim/outage", auth=False)
def outage(c, req):
    """Every API call answers 503 (with Thulium's error body) for the next `seconds`."""
    try:
        seconds = float(req.get("seconds") or 0)
    except ValueError:
        raise ApiError(400, "seconds must be a number.", "seconds musi być liczbą.") from None
    c.outage_until = time.monotonic() + max(0.0, seconds)
    return 200, {"seconds": seconds}


@route("POST", r"_sim/fault", auth=False)
def fault(c, req):
    """One API call answers as told until cleared: {"method", "path", "status", "message"}
    (Thulium's error body with a request_id) or {"method", "path", "status", "body"} (that text
    as it is). Without "status" the call's fault is cleared; {} clears every fault."""
    method, path = str(req.get("method") or "GET").upper(), str(req.get("path") or "").strip("/")
    if not path:
        c.faults.clear()
    elif req.get("status") in (None, ""):
        c.faults.pop((method, path), None)
    else:
        answer = {"status": int(req.get("status"))}
        if req.get("body") is not None:
            answer["body"] = str(req.get("body"))
        else:
            answer["message"] = str(req.get("message") or f"HTTP {answer['status']}")
        c.faults[(method, path)] = answer
    return 200, {"faults": [f"{m} {p}" for m, p in c.faults]}


@route("POST", r"_sim/traffic", auth=False)
def traffic(c, req):
    v = req.get("running")
    if v is not None:
        c.running = v is True or str(v).lower() in ("1", "true", "yes", "on")
    return 200, {"running": c.running}


@route("POST", r"_sim/event", auth=False)
def event(c, req):
    """One event made to happen (its fields as parameters), or several in order: a JSON list
    of them as the body (a benchmark keeping the simulator in step with its own webhooks)."""
    before = c.events[-1][0] if c.events else 0
    batch = req.body.get("_list") if isinstance(req.body, dict) else None  # a JSON list
    batch = batch if isinstance(batch, list) else [req.params]
    if not all(isinstance(params, dict) for params in batch):  # checked before any happens
        raise ApiError(400, "Each event must be an object.", "Każde zdarzenie musi być obiektem.")
    for params in batch:
        _happen(c, params)
    return 201, {"events": _events_since(c, before)}


def _happen(c, params):
    p = dict(params)
    action = str(p.pop("action", "") or "").upper()
    if not action:
        raise ApiError(400, "Parameter action is required.", "Parametr action jest wymagany.")
    login = p.get("agent_login")
    a = c.agent(str(login)) if login not in (None, "") else None
    if action.startswith("AGENT_") and action != "AGENT_COMPLETED" and a is None:
        raise ApiError(404, "Agent not found.", "Nie znaleziono agenta.", 20404)
    if action == "AGENT_STATUS_CHANGED":
        pid = p.get("pause_id")
        pid = None if pid in (None, "", "null", "NULL") else int(pid)
        if not a.logged_in:
            c.log_in(a)
        if not c.set_pause(a, pid):
            c.emit(action, agent_login=a.login, pause_id=pid, previous_pause_id=a.pause_id)
    elif action == "AGENT_LOGGED_IN":
        if not c.log_in(a):
            c.emit(action, agent_login=a.login)
    elif action == "AGENT_LOGGED_OUT":
        if a.call is not None:
            calls.hangup(c, a, c.api_rng)
        if not c.log_out(a):
            c.emit(action, agent_login=a.login)
    elif action == "AGENT_PHONE_CONNECTED":
        c.emit(action, agent_login=a.login, phone_number=p.get("phone_number", a.number))
    elif action in ("INBOUND_CALL", "ENTER_IVR"):
        qid = str(p.get("queue_id") or c.queues[0]["queue_id"])
        q = next((q for q in c.queues if str(q["queue_id"]) == qid), None)
        if q is None:
            raise ApiError(404, "Queue not found.", "Nie znaleziono kolejki.")
        calls.inbound_arrival(c, q, c.api_rng, p.get("source_number"))
    elif action == "HANGUP":
        if a is None or not calls.hangup(c, a, c.api_rng):
            raise ApiError(400, "Agent has no active call.", "Agent nie prowadzi rozmowy.")
    else:  # raw event: sent as given, no state change
        c.emit(action, **p)


@route("POST", r"_sim/softphone", auth=False)
def softphone(c, req):
    """Whether an agent uses Thulium Softphone (the API's answer/hold/mute/transfer need it)."""
    a = c.agent(str(req.get("agent_login") or ""))
    if a is None:
        raise ApiError(404, "Agent not found.", "Nie znaleziono agenta.", 20404)
    v = req.get("softphone", True)
    a.softphone = v is True or str(v).lower() in ("1", "true", "yes", "on")
    return 200, {"agent_login": a.login, "softphone": a.softphone}
