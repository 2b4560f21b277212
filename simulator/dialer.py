"""Campaign dialer: preview, progressive and predictive campaigns dial their records for FREE
assigned agents; OUTBOUND_* webhooks; OUTBOUND_RECORD_SAVED moves the record's status."""

from . import calls
from .campaigns import set_status
from .centre import Call

OUTCOMES = [
    ("CONNECTED", 45),
    ("OUTBOUND_NO_ANSWER", 25),
    ("OUTBOUND_BUSY", 10),
    ("OUTBOUND_VOICE_MAIL", 8),
    ("OUTBOUND_FAILURE", 3),
    ("OUTBOUND_WRONG_NUMBER", 3),
    ("OUTBOUND_CONNECTION_PROBLEM", 2),
    ("OUTBOUND_FAX", 1),
    ("OUTBOUND_BLACKLIST", 1),
    ("OUTBOUND_AGENT_FAILED", 2),
]
TICK = (3.0, 6.0)


def offer(c, a):
    return False  # campaigns are served by the periodic tick (inbound has priority)


def inbound_waiting_for(c, a):
    return any(q["waiting"] and a.group_id in q["groups"] for q in c.queues)


def free_agents(c, camp):
    out = []
    for login, on in camp.agents.items():
        a = c.by_login.get(login)
        if a is not None and on and a.is_free() and not inbound_waiting_for(c, a):
            out.append(a)
    return out


def pick_record(c, camp, login=None):
    best = None
    for r in camp.records:
        if r.busy:
            continue
        s = r.system_status
        if s == "MY_RECORD":
            if login and r.agent_login == login and (r.next_call_date or 0) <= c.t:
                return r
            continue
        if s == "CALL_NO_SOONER_THAN" and (r.next_call_date or 0) > c.t:
            continue
        if s == "CALL_PROGRESSIVE":
            return r
        if s in ("TO_CALL", "CALL", "CALL_NO_SOONER_THAN") and best is None:
            best = r
    return best


def tick(c):
    rng = c.rng
    c.schedule(rng.uniform(*TICK), tick, c)
    if not c.running:
        return
    for camp in list(c.campaigns.values()):
        if not camp.active or camp.removed or not camp.agents:
            continue
        agents = free_agents(c, camp)
        if not agents:
            continue
        if camp.dialer == "predictive":
            ratio = rng.uniform(
                float(camp.parameters.get("predictive_min_calls", 1)),
                float(camp.parameters.get("predictive_max_calls", 2)),
            )
            n = int(len(agents) * ratio * 0.3 + rng.random()) - camp.in_flight
            for _ in range(max(0, n)):
                r = pick_record(c, camp)
                if r is None:
                    break
                dial(c, camp, r, None, rng)
        else:
            for a in agents:
                if rng.random() < 0.3 and a.is_free():
                    r = pick_record(c, camp, a.login)
                    if r is None:
                        break
                    if camp.dialer == "preview":
                        preview(c, camp, r, a, rng)
                    else:
                        dial(c, camp, r, a, rng)


def new_call(c, camp, r, a):
    call = Call(
        "outbound",
        c.new_connection_id(),
        campaign=camp,
        outbound_id=camp.id,
        record=r,
        phone_number=r.phone_number,
        customer_id=r.customer_id,
        caller_id=None,
        custom_data=None,
        leg=1,
    )
    call.agent = a
    call.dialer_end = hangup
    r.busy = True
    r.prev_status = r.status_id
    set_status(camp, r, "IN_PROGRESS")
    camp.in_flight += 1
    return call


def preview(c, camp, r, a, rng):
    call = new_call(c, camp, r, a)
    call.state = "preview"
    call.preview_dial = lambda c_, call_: dial_call(c_, call_, rng)
    c.set_activity(a, "OUTBOUND_PREVIEW", call)
    c.emit(
        "PREVIEW_RECORD",
        id=camp.id,
        name=camp.name,
        record_id=r.record_id,
        customer_id=r.customer_id,
        phone_number=r.phone_number,
        agent_login=a.login,
    )
    timeout = float(camp.parameters.get("preview_timeout", 30))
    c.schedule(
        rng.uniform(3, max(4, timeout)), lambda: call.state == "preview" and dial_call(c, call, rng)
    )


def dial(c, camp, r, a, rng):
    dial_call(c, new_call(c, camp, r, a), rng)


def dial_call(c, call, rng):
    if call.ended:
        return
    r = call.record
    r.attempts += 1
    r.call_date = c.t
    call.state, call.t_ring = "dialing", c.t
    if call.agent is not None:
        if not call.agent.logged_in or rng.random() < 0.01:
            return finish(c, call, "OUTBOUND_AGENT_FAILED", rng)
        c.set_activity(call.agent, "OUTBOUND_CALL", call)
    calls.campaign_event(c, "OUTBOUND_CONNECTING", call, attempt=r.attempts)
    c.schedule(rng.uniform(5, 25), outcome, c, call, rng)


def outcome(c, call, rng):
    if call.ended or call.state != "dialing":
        return
    res = calls.weighted_choice(rng, OUTCOMES if call.agent else OUTCOMES[:-1])
    if res != "CONNECTED":
        return finish(c, call, res, rng)
    camp = call.campaign
    if call.agent is None:  # predictive: find an agent now
        cands = free_agents(c, camp)
        if not cands:
            return finish(c, call, "OUTBOUND_DROP", rng)
        call.agent = min(cands, key=lambda x: x.last_change)
        c.set_activity(call.agent, "OUTBOUND_CALL", call)
        calls.campaign_event(c, "PREDICTIVE_AGENT_ANSWER", call)
    call.state, call.t_answer = "connected", c.t
    c.set_activity(call.agent, "OUTBOUND_CALL", call)
    calls.campaign_event(c, "OUTBOUND_CUSTOMER_CONNECTED", call)
    c.schedule(calls.talk_time(rng), complete, c, call, rng)


def complete(c, call, rng):
    if call.ended:
        return
    camp, a = call.campaign, call.agent
    calls.campaign_event(
        c,
        "OUTBOUND_COMPLETED",
        call,
        duration=int(round(c.t - call.t_ring)),
        billsec=int(round(c.t - call.t_answer)),
        filename=calls.recording_name(c, camp.id, call.connection_id),
    )
    call.ended, call.state = True, "completed"
    camp.in_flight -= 1
    c.set_activity(a, None)
    calls.after_call_work(c, a, rng, 0.8)
    if a.is_free():
        c.agent_became_free(a)
    x = rng.random()
    if x < 0.6:
        save = ("NO_CALL", rng.choice(["Sprzedaż", "Niezainteresowany", "Nie dzwonić"]), None)
    elif x < 0.75:
        save = ("MY_RECORD", None, c.t + rng.uniform(86400, 3 * 86400))
    elif x < 0.9:
        save = ("CALL_NO_SOONER_THAN", None, c.t + rng.uniform(7200, 2 * 86400))
    else:
        save = ("CALL", None, None)
    c.schedule(rng.uniform(3, 20), record_saved, c, call, save, a.login)


def finish(c, call, action, rng):
    """Unanswered/failed attempt: webhook, release the agent, record back to the pool."""
    camp, r, a = call.campaign, call.record, call.agent
    calls.campaign_event(c, action, call)
    call.ended, call.state = True, "failed"
    camp.in_flight -= 1
    if a is not None:
        calls.release(c, a)
    if action in ("OUTBOUND_WRONG_NUMBER", "OUTBOUND_BLACKLIST", "OUTBOUND_FAX"):
        save = ("NO_CALL", "Nie dzwonić", None)
    elif action == "OUTBOUND_DROP":
        save = ("CALL_PROGRESSIVE", None, None)
    elif r.attempts >= 3:
        save = ("ABANDONED_AFTER_N_TRIES", None, None)
    else:
        save = ("CALL_NO_SOONER_THAN", None, c.t + rng.uniform(1800, 4 * 3600))
    record_saved(c, call, save, None)


def record_saved(c, call, save, login):
    camp, r = call.campaign, call.record
    system_status, name, next_date = save
    prev = getattr(r, "prev_status", None)
    set_status(camp, r, system_status, None, name)
    r.next_call_date = next_date
    r.agent_login = login if system_status == "MY_RECORD" else None
    r.busy = False
    if login:
        r.last_note = {
            "NO_CALL": "Rozmowa zakończona",
            "MY_RECORD": "Umówiony ponowny kontakt",
            "CALL_NO_SOONER_THAN": "Prosi o kontakt później",
        }.get(system_status, "")
    c.emit(
        "OUTBOUND_RECORD_SAVED",
        id=camp.id,
        name=camp.name,
        record_id=r.record_id,
        phone_number=r.phone_number,
        agent_login=login,
        system_status=system_status,
        status_id=r.status_id,
        connection_id=call.connection_id,
        next_call_date=c.fmt(next_date) if next_date else None,
        assigned_agent_login=r.agent_login,
        previous_status_id=prev,
    )


def hangup(c, call):
    """POST agents/:login/hangup on a dialer call."""
    if call.state == "connected":
        complete(c, call, c.api_rng)
    elif call.state == "dialing":
        finish(c, call, "OUTBOUND_NO_ANSWER", c.api_rng)
