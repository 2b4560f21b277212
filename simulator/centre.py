"""Contact-centre state: agents, groups, queues, calls, campaigns, the simulated clock,
the event scheduler and webhook emission. Everything is guarded by one lock (``centre.lock``).

Time: the simulated clock starts at the real wall-clock time and runs ``speed`` times faster.
Every date the simulator reports (REST and webhooks) is simulated time in --timezone.
Scheduled events carry their own simulated timestamp, so for a given seed and speed the
traffic sequence does not depend on thread timing.
"""

import collections
import datetime
import heapq
import itertools
import logging
import random
import threading
import time
from zoneinfo import ZoneInfo

log = logging.getLogger("simulator")

STATUSES = (
    "OFF",
    "FREE",
    "PAUSED",
    "INBOUND_CALL",
    "OUTBOUND_CALL",
    "OUTBOUND_PREVIEW",
    "CALL",
    "RINGING",
)
PAUSES = {
    1: "wrap-up",
    2: "administracyjna",
    3: "przerwa",
    4: "zad. służbowe",
    5: "callback progress",
}
WRAP_UP = 1


class Clock:
    def __init__(self, speed=1.0, tz="Europe/Warsaw"):
        self.speed = float(speed) if speed and float(speed) > 0 else 1.0
        self.tz = ZoneInfo(tz)
        self.real0 = time.time()
        self.mono0 = time.monotonic()

    def now(self):
        return self.real0 + (time.monotonic() - self.mono0) * self.speed

    def wall_delay(self, sim_t):
        return max(0.0, (sim_t - self.now()) / self.speed)

    def wall(self, t):
        """The wall-clock moment of simulated time t: dates are always reported on the wall
        clock, as a real Thulium would, so at --speed 10 a 3-minute call spans 18 s of dates
        (its duration field still says 180 s)."""
        return self.real0 + (t - self.real0) / self.speed

    def fmt(self, t):
        if t is None:
            return None
        return datetime.datetime.fromtimestamp(self.wall(t), self.tz).strftime("%Y-%m-%d %H:%M:%S")

    def fmt_minute(self, t):
        if t is None:
            return ""
        return datetime.datetime.fromtimestamp(self.wall(t), self.tz).strftime("%Y-%m-%d %H:%M")

    def day(self, t):
        return datetime.datetime.fromtimestamp(self.wall(t), self.tz).strftime("%Y-%m-%d")


class Agent:
    def __init__(
        self,
        agent_id,
        login,
        name,
        surname,
        email,
        number,
        group_id,
        active=True,
        outbound_mode="manual",
    ):
        self.agent_id, self.login, self.name, self.surname = agent_id, login, name, surname
        self.email, self.number, self.group_id, self.active = email, number, group_id, active
        self.outbound_mode = outbound_mode
        self.logged_in = False
        self.pause_id = None  # presence: None = free, int = pause reason
        self.activity = None  # None or RINGING/INBOUND_CALL/CALL/OUTBOUND_CALL/OUTBOUND_PREVIEW
        self.call = None  # current Call object
        self.last_change = 0.0
        self.chats = set()
        self.last_queue_call = None
        # Thulium Softphone: answer/hold/mute/transfer through the API work only with it
        self.softphone = agent_id % 5 != 0

    def status(self):
        if not self.logged_in:
            return "OFF"
        if self.activity:
            return self.activity
        return "PAUSED" if self.pause_id else "FREE"

    def view(self):
        st = self.status()
        return st, (self.pause_id if st == "PAUSED" else None)

    def record(self):
        return {
            "agent_id": self.agent_id,
            "login": self.login,
            "name": self.name,
            "surname": self.surname,
            "email": self.email,
            "active": self.active,
            "number": self.number,
            "outbound_mode": self.outbound_mode,
            "group_id": self.group_id,
        }

    def is_free(self):
        return self.logged_in and self.active and not self.activity and not self.pause_id


class Call:
    """One call leg bound to (at most) one agent. ``ended`` invalidates scheduled events."""

    _ids = itertools.count(1)

    def __init__(self, kind, connection_id, **kw):
        self.uid = next(Call._ids)
        self.kind = kind  # inbound | manual | outbound
        self.connection_id = connection_id
        self.ended = False
        self.agent = None
        self.state = "new"
        self.__dict__.update(kw)


class Centre:
    def __init__(
        self, seed=None, speed=1.0, tz="Europe/Warsaw", n_agents=40, n_groups=4, n_queues=5
    ):
        self.seed = seed if seed is not None else random.randrange(1 << 30)
        self.clock = Clock(speed, tz)
        self.lock = threading.RLock()
        self.cond = threading.Condition(self.lock)
        self.rng = random.Random(self.seed * 7919 + 1)  # traffic randomness
        self.api_rng = random.Random(self.seed * 31 + 7)  # randomness of API-triggered flows
        self.t = self.clock.now()
        self.heap = []
        self._seq = itertools.count()
        self._conn_seq = itertools.count(100)
        self.running = True  # spontaneous traffic on/off
        self.outage_until = 0.0  # monotonic time until which every API call answers 503
        self.faults = {}  # (method, path) -> /_sim/fault's answer for that one call
        self.stopped = False
        self.agents = []  # includes the "Automat" pseudo agent at index 0
        self.by_login = {}
        self.groups = []  # [{"group_id", "name"}]
        # Campaign groups ("Id grupy kampanii"): not agent groups; no endpoint lists them.
        self.campaign_groups = []  # [{"group_id", "name"}]
        self.queues = []  # [{"queue_id", "name", "groups", "did", "waiting": []}]
        self.chat_queues = []
        self.chats = {}
        self.campaigns = {}  # id -> Campaign (see outbounds_api)
        self.events = collections.deque(maxlen=5000)
        self.event_seq = itertools.count(1)
        self.webhook = {"url": "", "user": "", "password": ""}
        self.webhook_stats = {"queued": 0, "sent": 0, "failed": 0, "dropped": 0}
        self.sink = None  # callable(event dict) set by webhooks.Deliverer
        self.stats = collections.Counter()
        self.api_counts = collections.Counter()  # CRM requests answered (customers_api.py)
        self.directory = None  # the CRM's customers (customers_api.py), made when first needed
        from . import population

        population.populate(self, random.Random(self.seed), n_agents, n_groups, n_queues)
        from . import campaigns

        campaigns.seed_campaigns(self, random.Random(self.seed * 17 + 3))

    # ---- time and scheduling -------------------------------------------------
    def fmt(self, t=None):
        return self.clock.fmt(self.t if t is None else t)

    def api_now(self):
        """Called (under the lock) at the start of every API/control request."""
        self.t = max(self.t, self.clock.now())
        return self.t

    def schedule(self, delay, fn, *args):
        heapq.heappush(self.heap, (self.t + max(0.0, delay), next(self._seq), fn, args))
        self.cond.notify_all()

    def run_scheduler(self):
        """Engine loop (its own thread): runs due events in simulated-time order."""
        with self.cond:
            while not self.stopped:
                if self.heap and self.heap[0][0] <= self.clock.now():
                    t, _, fn, args = heapq.heappop(self.heap)
                    self.t = max(self.t, t)
                    try:
                        fn(*args)
                    except Exception:  # never kill the engine
                        log.exception("simulator event %s failed", getattr(fn, "__name__", fn))
                else:
                    wait = self.clock.wall_delay(self.heap[0][0]) if self.heap else 1.0
                    self.cond.wait(min(max(wait, 0.001), 1.0))

    def stop(self):
        with self.cond:
            self.stopped = True
            self.cond.notify_all()

    def new_connection_id(self):
        return "%d.%d" % (int(self.t), next(self._conn_seq))

    # ---- events / webhooks ---------------------------------------------------
    def emit(self, action, **fields):
        ev = {"action": action}
        ev.update(fields)
        ev["date"] = self.fmt()
        self.events.append((next(self.event_seq), ev))
        self.stats[action] += 1
        if self.sink is not None:
            self.sink(ev)
        return ev

    # ---- agent transitions (all fire webhooks) -------------------------------
    def agent(self, login):
        a = self.by_login.get(login)
        return a if a is not None and login != "" else None

    def _changed(self, a, before):
        if a.view() != before:
            a.last_change = self.t

    def set_activity(self, a, activity, call=None):
        before = a.view()
        a.activity = activity
        a.call = call if activity else None
        self._changed(a, before)

    def set_pause(self, a, pause_id):
        """Change presence (free/pause). Fires AGENT_STATUS_CHANGED if it changes."""
        if a.pause_id == pause_id:
            return False
        before, prev = a.view(), a.pause_id
        a.pause_id = pause_id
        self._changed(a, before)
        self.emit(
            "AGENT_STATUS_CHANGED", agent_login=a.login, pause_id=pause_id, previous_pause_id=prev
        )
        if pause_id is None:
            self.agent_became_free(a)
        return True

    def log_in(self, a):
        if a.logged_in:
            return False
        before = a.view()
        a.logged_in, a.pause_id, a.activity, a.call = True, None, None, None
        self._changed(a, before)
        self.emit("AGENT_LOGGED_IN", agent_login=a.login)
        self.emit("AGENT_PHONE_CONNECTED", agent_login=a.login, phone_number=a.number)
        self.agent_became_free(a)
        return True

    def log_out(self, a):
        if not a.logged_in:
            return False
        before = a.view()
        a.logged_in, a.pause_id, a.activity, a.call = False, None, None, None
        self._changed(a, before)
        self.emit("AGENT_LOGGED_OUT", agent_login=a.login)
        for conv in sorted(a.chats):
            self.close_chat(conv)
        return True

    def agent_became_free(self, a):
        """Hook: an agent may now take work (set by traffic engine)."""
        if self.on_free is not None and a.is_free():
            self.on_free(a)

    on_free = None

    def close_chat(self, conv_id):
        c = self.chats.pop(conv_id, None)
        if c is None:
            return
        ag = self.by_login.get(c.get("agent_login") or "")
        if ag is not None:
            ag.chats.discard(conv_id)
        self.emit(
            "CHAT_CONVERSATION_CLOSED", conversation_id=conv_id, chat_queue_id=c["chat_queue_id"]
        )

    # ---- views ----------------------------------------------------------------
    def status_of(self, a):
        st, pid = a.view()
        return {
            "login": a.login,
            "status": st,
            "pause_id": pid,
            "last_change": self.fmt(a.last_change),
        }

    def real_agents(self):
        return self.agents[1:]

    def state(self):
        out = []
        for a in self.real_agents():
            d = self.status_of(a)
            d.update(
                agent_id=a.agent_id,
                group_id=a.group_id,
                active=a.active,
                number=a.number,
                presence_pause_id=a.pause_id,
                activity=a.activity,
                chats=sorted(a.chats),
                softphone=a.softphone,
            )
            c = a.call
            if c is not None:
                d["call"] = {
                    "kind": c.kind,
                    "connection_id": c.connection_id,
                    "state": c.state,
                    "queue_id": getattr(c, "queue_id", None),
                    "outbound_id": getattr(c, "outbound_id", None),
                    "phone_number": getattr(c, "phone_number", None),
                    "source_number": getattr(c, "source_number", None),
                    "held": getattr(c, "held", False),
                    "muted": getattr(c, "muted", False),
                    "recording": getattr(c, "recording", True),
                }
            out.append(d)
        return out
