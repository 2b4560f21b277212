"""Call flows: inbound queue calls and agent-placed calls (POST agents/:login/call).
All functions run under centre.lock (engine thread or API handler)."""

import random

from .centre import WRAP_UP, Call
from .customers_api import directory
from .population import ascii_fold, phone


def release(c, a):
    """Agent leaves its call; if it is now free, let the engine offer it work."""
    c.set_activity(a, None)
    if a.is_free():
        c.agent_became_free(a)


def weighted_choice(rng, pairs):
    r = rng.uniform(0, sum(w for _, w in pairs))
    for v, w in pairs:
        r -= w
        if r <= 0:
            return v
    return pairs[-1][0]


def talk_time(rng):
    return rng.triangular(60, 360, 150)


def after_call_work(c, a, rng, prob=0.7):
    """Wrap-up pause (pause_id 1) after a call, then free again."""
    if a.logged_in and a.pause_id is None and rng.random() < prob:
        c.set_pause(a, WRAP_UP)
        c.schedule(rng.uniform(10, 60), end_wrap_up, c, a)


def end_wrap_up(c, a):
    if a.logged_in and a.pause_id == WRAP_UP:
        c.set_pause(a, None)


def recording_name(c, folder, connection_id):
    day = c.clock.day(c.t)
    hms = c.fmt()[11:].replace(":", "")
    return f"{folder}/{day}/{day}_{hms}_{connection_id}.wav"


# ---- inbound -------------------------------------------------------------------
def inbound_arrival(c, queue, rng, source_number=None):
    number = phone(rng) if source_number is None else source_number
    customer_id = rng.randint(100, 9999) if rng.random() < 0.4 else None
    rng.choice(range(6))  # (kept: the traffic after it stays what it was for a seed)
    connection_id = c.new_connection_id()
    # Who calls: a customer of the CRM (customers_api.py) two times in three, and then Thulium
    # knows their customer_id on AGENT_CONNECTED seven times in ten and gives a `source_name`
    # (queue: surname) to ENTER_QUEUE one time in three; or a stranger with nothing of these.
    who = random.Random(connection_id)
    known = directory(c).caller(who) if source_number is None else None
    name = None
    if known is not None:
        number, customer_id = known[0], known[1] if who.random() < 0.7 else None
        if who.random() < 1 / 3:
            name = "{}: {}".format(queue["name"], directory(c).customers[known[1]]["surname"])
    else:
        customer_id = None
    call = Call(
        "inbound",
        connection_id,
        queue=queue,
        queue_id=queue["queue_id"],
        source_number=source_number or number,
        tried=set(),
        leg=0,
        customer_id=customer_id,
        source_name=name,
    )
    call.state = "ivr"
    c.emit(
        "ENTER_IVR",
        connection_id=call.connection_id,
        source_number=call.source_number,
        destination_number=queue["did"],
    )
    c.schedule(rng.uniform(3, 15), enter_queue, c, call, rng)
    return call


def enter_queue(c, call, rng):
    q = call.queue
    call.state, call.t_enter = "waiting", c.t
    c.emit(
        "ENTER_QUEUE",
        connection_id=call.connection_id,
        queue_id=q["queue_id"],
        source_number=call.source_number,
        **({"source_name": call.source_name} if call.source_name else {}),
    )
    q["waiting"].append(call)
    r = rng.random()
    patience = rng.uniform(1, 5) if r < 0.06 else rng.expovariate(1 / 90.0) + 5
    c.schedule(patience, abandon, c, call)
    dispatch(c, q, rng)


def agent_event(c, action, call, a, **extra):
    """An inbound call's event at an agent: the fields the document lists for all of them."""
    c.emit(
        action,
        connection_id=call.connection_id,
        queue_id=call.queue["queue_id"],
        agent_login=a.login,
        source_number=call.source_number,
        destination_number=a.number,
        **extra,
    )


def abandon(c, call):
    q = call.queue
    if call.state == "ringing" and call.agent is not None:
        a = call.agent
        agent_event(c, "AGENT_NOT_ANSWERED", call, a)
        call.agent = None
        release(c, a)
    elif call.state != "waiting":
        return
    if call in q["waiting"]:
        q["waiting"].remove(call)
    call.state, call.ended = "abandoned", True
    c.emit(
        "ABANDONED",
        connection_id=call.connection_id,
        queue_id=q["queue_id"],
        source_number=call.source_number,
        hold_time=int(round(c.t - call.t_enter)),
    )
    c.emit("EXIT_QUEUE", connection_id=call.connection_id, queue_id=q["queue_id"])


def pick_agent(c, groups, exclude=()):
    best = None
    for a in c.agents[1:]:
        if a.group_id in groups and a.is_free() and a.login not in exclude:
            if best is None or a.last_change < best.last_change:
                best = a
    return best


def dispatch(c, q, rng):
    while q["waiting"]:
        call = q["waiting"][0]
        a = pick_agent(c, q["groups"], call.tried)
        if a is None:
            return
        q["waiting"].pop(0)
        ring(c, call, a, rng)


def ring(c, call, a, rng):
    call.state, call.agent, call.t_ring = "ringing", a, c.t
    call.tried.add(a.login)
    call.leg += 1
    c.set_activity(a, "RINGING", call)
    agent_event(c, "AGENT_RINGING", call, a)
    c.schedule(rng.uniform(2, 12), ring_outcome, c, call, call.leg, rng)


def not_answered(c, call):
    a, q = call.agent, call.queue
    agent_event(c, "AGENT_NOT_ANSWERED", call, a)
    call.agent, call.state = None, "waiting"
    q["waiting"].insert(0, call)
    release(c, a)


def ring_outcome(c, call, leg, rng):
    if call.ended or call.state != "ringing" or call.leg != leg:
        return
    if rng.random() < 0.08:
        not_answered(c, call)
        dispatch(c, call.queue, rng)
        return
    connect(c, call, rng)


def connect(c, call, rng):
    a, q = call.agent, call.queue
    call.state, call.t_answer = "connected", c.t
    c.set_activity(a, "INBOUND_CALL", call)
    agent_event(c, "AGENT_CONNECTED", call, a, customer_id=call.customer_id)
    if not getattr(call, "exited", False):
        call.exited = True
        c.emit("EXIT_QUEUE", connection_id=call.connection_id, queue_id=q["queue_id"])
    talk = talk_time(rng)
    if rng.random() < 0.04:
        c.schedule(talk * rng.uniform(0.3, 0.7), transfer, c, call, call.leg, rng)
    else:
        c.schedule(talk, complete_inbound, c, call, call.leg, None, rng)


def transfer(c, call, leg, rng):
    if call.ended or call.leg != leg:
        return
    target = pick_agent(c, [g["group_id"] for g in c.groups], {call.agent.login})
    if target is None:
        c.schedule(talk_time(rng) / 2, complete_inbound, c, call, leg, None, rng)
        return
    transfer_to(c, call, target, "attended" if rng.random() < 0.6 else "blind", rng)


def transfer_to(c, call, target, kind, rng):
    """A connected call moves to another agent: the first agent's leg completes, the target's
    connects (QUEUE_TRANSFERRED_TO_AGENT for a queue call, as Thulium reports it)."""
    if call.kind == "inbound":
        c.emit(
            "QUEUE_TRANSFERRED_TO_AGENT",
            connection_id=call.connection_id,
            type=kind,
            queue_id=call.queue["queue_id"],
            agent_login=target.login,
            destination_number=target.number,
        )
        complete_inbound(c, call, call.leg, "agent", rng, final=False)
        call.agent, call.leg, call.t_ring = target, call.leg + 1, c.t
        call.ended = False
        call.held = call.muted = False
        connect(c, call, rng)
        return
    # an agent-placed call: the same call, now the target's (end_agent_call releases them)
    first, activity = call.agent, call.agent.activity
    call.agent, call.held, call.muted = target, False, False
    c.set_activity(target, activity, call)
    release(c, first)


def complete_inbound(c, call, leg, reason, rng, final=True):
    if call.ended or call.leg != leg:
        return
    a, q = call.agent, call.queue
    folder = ascii_fold(q["name"]).upper().replace(" ", "-")
    filename = recording_name(c, folder, call.connection_id)
    agent_event(
        c,
        "AGENT_COMPLETED",
        call,
        a,
        customer_id=call.customer_id,
        duration=int(round(c.t - call.t_ring)),
        billsec=int(round(c.t - call.t_answer)),
        filename=filename,
        reason=reason or ("agent" if rng.random() < 0.45 else "caller"),
    )
    call.ended, call.state = True, "completed"
    a.last_queue_call = {
        "connection_id": call.connection_id,
        "phone_number": call.source_number,
        "start_date": c.fmt(getattr(call, "t_enter", call.t_ring)),
        "answered_date": c.fmt(call.t_answer),
        "end_date": c.fmt(),
        "customer_id": call.customer_id,
        "customer_identifier": None,
    }
    c.set_activity(a, None)
    after_call_work(c, a, rng)
    if a.is_free():
        c.agent_became_free(a)
    c.schedule(
        rng.uniform(2, 10),
        lambda: c.emit("RECORDING_READY", connection_id=call.connection_id, filename=filename),
    )


# ---- calls placed through the API ------------------------------------------------
def agent_call(
    c, a, rng, phone_number, campaign=None, customer_id=None, caller_id=None, custom_data=None
):
    call = Call(
        "outbound" if campaign else "manual",
        c.new_connection_id(),
        phone_number=phone_number,
        customer_id=customer_id,
        caller_id=caller_id,
        custom_data=custom_data,
        campaign=campaign,
        outbound_id=campaign.id if campaign else None,
        record=None,
        leg=1,
    )
    call.state, call.agent, call.t_ring = "ringing", a, c.t
    c.set_activity(a, "RINGING", call)
    if campaign:
        campaign_event(c, "OUTBOUND_CONNECTING", call, attempt=1)
    c.schedule(rng.uniform(3, 9), agent_call_answer, c, call, rng)
    return call


def campaign_event(c, action, call, **extra):
    camp = call.campaign
    fields = dict(
        id=camp.id,
        name=camp.name,
        record_id=getattr(call.record, "record_id", None),
        phone_number=call.phone_number,
        connection_id=call.connection_id,
        customer_id=call.customer_id,
        agent_login=call.agent.login if call.agent else None,
        caller_id=call.caller_id or camp.parameters.get("caller_id"),
    )
    fields.update(extra)
    if call.custom_data not in (None, ""):
        fields["custom_data"] = call.custom_data
    c.emit(action, **fields)


def agent_call_answer(c, call, rng, answered=False):
    if call.ended or call.state != "ringing":
        return
    if not answered and rng.random() < 0.15:
        return end_agent_call(c, call, "OUTBOUND_NO_ANSWER")
    call.state, call.t_answer = "connected", c.t
    c.set_activity(call.agent, "OUTBOUND_CALL" if call.campaign else "CALL", call)
    if call.campaign:
        campaign_event(c, "OUTBOUND_CUSTOMER_CONNECTED", call)
    c.schedule(talk_time(rng), end_agent_call, c, call, None)


def end_agent_call(c, call, failure=None):
    if call.ended:
        return
    call.ended = True
    a = call.agent
    if call.campaign:
        if call.state == "connected":
            camp = call.campaign
            campaign_event(
                c,
                "OUTBOUND_COMPLETED",
                call,
                duration=int(round(c.t - call.t_ring)),
                billsec=int(round(c.t - call.t_answer)),
                filename=recording_name(c, camp.id, call.connection_id),
            )
        else:
            campaign_event(c, failure or "OUTBOUND_NO_ANSWER", call)
    call.state = "completed"
    release(c, a)


def hangup(c, a, rng):
    """Returns False when the agent has no call to hang up."""
    call = a.call
    if call is None or a.activity not in ("RINGING", "INBOUND_CALL", "CALL", "OUTBOUND_CALL"):
        return False
    if call.kind == "inbound":
        if call.state == "ringing":
            not_answered(c, call)
            from .traffic import engine_rng

            dispatch(c, call.queue, engine_rng(c))
        else:
            complete_inbound(c, call, call.leg, "agent", rng)
    elif hasattr(call, "dialer_end"):
        call.dialer_end(c, call)
    else:
        end_agent_call(c, call, "OUTBOUND_NO_ANSWER")
    return True
