"""Traffic engine: spontaneous inbound calls, agent breaks/logins, chats, campaign dialing.

Everything is a scheduled event on the centre's simulated clock (see centre.run_scheduler), so
--speed only changes how fast simulated time passes; the sequence is the same for a given seed.
"""

import math
import random
import uuid

from . import calls
from .centre import Call

# reason -> (min, max) seconds of a break
PAUSE_LENGTH = {2: (120, 600), 3: (300, 900), 4: (300, 1200), 5: (60, 300)}
PAUSE_WEIGHTS = [(2, 25), (3, 45), (4, 20), (5, 10)]
CLIENTS = [
    ("Jan", "Nowak"),
    ("Anna", "Zielińska"),
    ("John", "Smith"),
    ("Ewa", "Kaczmarek"),
    ("Piotr", "Lis"),
    ("Marta", "Wojciechowska"),
    ("Tomasz", "Bielecki"),
    ("Olga", "Czerwińska"),
]


def engine_rng(c):
    return c.rng


def install(c, traffic=True):
    """Hook the engine into the centre; seed the initial calls; start generators if traffic."""
    c.on_free = lambda a: c.schedule(1.0, offer_work, c, a)
    bootstrap(c, random.Random(c.seed * 13 + 5))
    if traffic:
        start_generators(c)


def offer_work(c, a):
    if not a.is_free():
        return
    for q in c.queues:
        if q["waiting"] and a.group_id in q["groups"]:
            calls.dispatch(c, q, c.rng)
            if not a.is_free():
                return
    from . import dialer

    dialer.offer(c, a)


def bootstrap(c, rng):
    """A few agents are already talking when the simulator starts (no webhooks for the past)."""
    for a in c.real_agents():
        if a.is_free() and rng.random() < 0.1:
            q = rng.choice([q for q in c.queues if a.group_id in q["groups"]] or c.queues)
            call = Call(
                "inbound",
                c.new_connection_id(),
                queue=q,
                queue_id=q["queue_id"],
                source_number=calls.phone(rng),
                tried={a.login},
                leg=1,
                customer_id=None,
                source_name="{}: Klient".format(q["name"]),
                exited=True,
            )
            call.state, call.agent = "connected", a
            call.t_enter = c.t - rng.uniform(40, 200)
            call.t_ring = call.t_enter + rng.uniform(1, 20)
            call.t_answer = call.t_ring + rng.uniform(2, 8)
            c.set_activity(a, "INBOUND_CALL", call)
            a.last_change = call.t_answer
            c.schedule(rng.uniform(20, 240), calls.complete_inbound, c, call, 1, None, c.rng)


def start_generators(c):
    rng = c.rng
    n = max(1, len(c.agents) - 1)
    total_w = sum(q["weight"] for q in c.queues)
    for q in c.queues:
        rate = n * 0.0021 * q["weight"] / total_w
        c.schedule(rng.expovariate(rate), arrival, c, q, rate)
    c.schedule(rng.uniform(1, 5), behaviour, c, n / 600.0)
    c.schedule(rng.uniform(2, 10), chat_arrival, c, max(n * 0.0005, 1 / 300.0))
    from . import dialer

    c.schedule(rng.uniform(2, 5), dialer.tick, c)


def wave(c):
    """Slow load variation (half-hour waves) so queues sometimes build up."""
    return 1.0 + 0.4 * math.sin(2 * math.pi * (c.t % 1800) / 1800.0)


def arrival(c, q, rate):
    rng = c.rng
    if c.running:
        calls.inbound_arrival(c, q, rng)
    c.schedule(rng.expovariate(rate * wave(c)), arrival, c, q, rate)


weighted = calls.weighted_choice


def behaviour(c, rate):
    rng = c.rng
    c.schedule(rng.expovariate(rate), behaviour, c, rate)
    if not c.running:
        return
    a = rng.choice(c.agents[1:])
    if not a.active:
        return
    if not a.logged_in:
        if rng.random() < 0.5:
            c.log_in(a)
        return
    if a.activity or a.call is not None:
        return
    r = rng.random()
    if a.pause_id is None:
        if r < 0.06:
            c.log_out(a)
            c.schedule(rng.uniform(120, 1200), relogin, c, a)
        elif r < 0.7:
            reason = weighted(rng, PAUSE_WEIGHTS)
            c.set_pause(a, reason)
            lo, hi = PAUSE_LENGTH[reason]
            c.schedule(rng.uniform(lo, hi), end_pause, c, a, reason)
    elif a.pause_id != 1 and r < 0.15:
        # switch from one pause reason to another (previous_pause_id set)
        reason = weighted(rng, PAUSE_WEIGHTS)
        if reason != a.pause_id:
            c.set_pause(a, reason)
            lo, hi = PAUSE_LENGTH[reason]
            c.schedule(rng.uniform(lo, hi), end_pause, c, a, reason)


def end_pause(c, a, reason):
    if a.logged_in and a.pause_id == reason:
        c.set_pause(a, None)


def relogin(c, a):
    if not a.logged_in and c.running:
        c.log_in(a)


# ---- chats ---------------------------------------------------------------------------
def chat_arrival(c, rate):
    rng = c.rng
    c.schedule(rng.expovariate(rate * wave(c)), chat_arrival, c, rate)
    if not c.running:
        return
    q = rng.choice(c.chat_queues)
    conv = str(uuid.UUID(int=rng.getrandbits(128), version=4))
    first, last = rng.choice(CLIENTS)
    c.chats[conv] = {
        "conversation_id": conv,
        "chat_queue_id": q["chat_queue_id"],
        "agent_login": None,
    }
    from .population import ascii_fold

    c.emit(
        "CHAT_CONVERSATION_CREATED",
        conversation_id=conv,
        client_name=f"{first} {last}",
        client_email="{}.{}@{}".format(
            ascii_fold(first).lower(),
            ascii_fold(last).lower(),
            rng.choice(["gmail.com", "wp.pl", "onet.pl", "o2.pl"]),
        ),
        chat_queue_id=q["chat_queue_id"],
    )
    c.schedule(rng.uniform(3, 40), chat_assign, c, conv, q, 0)


def chat_assign(c, conv, q, tries):
    rng = c.rng
    chat = c.chats.get(conv)
    if chat is None:
        return
    cands = [
        a
        for a in c.agents[1:]
        if a.logged_in
        and a.group_id in q["groups"]
        and len(a.chats) < 2
        and a.pause_id in (None, 1)
    ]
    if not cands:
        if tries >= 3:
            c.close_chat(conv)
        else:
            c.schedule(rng.uniform(10, 40), chat_assign, c, conv, q, tries + 1)
        return
    a = min(cands, key=lambda x: (len(x.chats), x.agent_id * 7919 % 101))
    chat["agent_login"] = a.login
    a.chats.add(conv)
    c.emit(
        "CHAT_AGENT_ASSIGNED",
        conversation_id=conv,
        agent_login=a.login,
        chat_queue_id=q["chat_queue_id"],
    )
    c.schedule(rng.uniform(120, 600), lambda: c.close_chat(conv))
