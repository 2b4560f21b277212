"""Each agent's work history, what `GET agents_work_report` answers from: presence segments
(logged in, free or paused by reason), logins and logouts, and calls (inbound answered or
missed, with talk and wait; campaign calls with talk).

Kept on the wall clock (the dates Thulium reports), durations of calls as their `billsec`.
The past is seeded from the seed (the 13 days before the start, and today until the start for
the agents logged in then), so a report over a past week has numbers; from the start on it is
recorded from the events the centre emits, so it agrees with the webhooks.
"""

import datetime
import random
from dataclasses import dataclass, field

PAST_DAYS = 13


@dataclass
class AgentHistory:
    segments: list = field(default_factory=list)  # [start, end | None, pause_id | None]
    sessions: list = field(default_factory=list)  # [login, logout | None]
    calls: list = field(default_factory=list)  # dicts: t, kind, answered, talk, wait, queue_id


class History:
    def __init__(self, centre):
        self.centre = centre
        self.agents: dict[str, AgentHistory] = {}

    def of(self, login: str) -> AgentHistory:
        return self.agents.setdefault(login, AgentHistory())

    def now(self) -> float:
        return self.centre.clock.wall(self.centre.t)

    # ---- the live part ---------------------------------------------------------
    def presence(self, a, at: float) -> None:
        """Close the open segment and open one for the agent's presence now, if it changed."""
        h = self.of(a.login)
        open_seg = h.segments[-1] if h.segments and h.segments[-1][1] is None else None
        state = a.pause_id if a.logged_in else "off"
        if open_seg is not None and open_seg[2] == state:
            return
        if open_seg is not None:
            open_seg[1] = at
        if a.logged_in:
            h.segments.append([at, None, a.pause_id])
            if not h.sessions or h.sessions[-1][1] is not None:
                h.sessions.append([at, None])
        elif h.sessions and h.sessions[-1][1] is None:
            h.sessions[-1][1] = at

    def observe(self, ev: dict) -> None:
        a = self.centre.agent(str(ev.get("agent_login") or ""))
        if a is None:
            return
        at, action = self.now(), ev["action"]
        self.presence(a, at)
        h = self.of(a.login)
        if action == "AGENT_CONNECTED":
            h.calls.append(_call(at, "inbound", True, 0, ev))
        elif action == "AGENT_NOT_ANSWERED":
            h.calls.append(_call(at, "inbound", False, 0, ev))
        elif action == "AGENT_COMPLETED":
            done = next(
                (
                    c
                    for c in reversed(h.calls)
                    if c["kind"] == "inbound" and c["answered"] and c.get("open")
                ),
                None,
            )
            if done is not None:
                done["talk"], done["open"] = _int(ev.get("billsec")), False
        elif action in ("OUTBOUND_COMPLETED", "OUTBOUND_NO_ANSWER", "OUTBOUND_BUSY"):
            h.calls.append(_call(at, "outbound", True, _int(ev.get("billsec")), ev))

    # ---- the seeded past -------------------------------------------------------------
    def seed(self, seed: int) -> None:
        c, start = self.centre, self.now()
        tz = c.clock.tz
        today = datetime.datetime.fromtimestamp(start, tz).date()
        for a in c.real_agents():
            if not a.active:
                continue
            queues = [q["queue_id"] for q in c.queues if a.group_id in q["groups"]] or [
                c.queues[0]["queue_id"]
            ]
            for back in range(PAST_DAYS, -1, -1):
                day = today - datetime.timedelta(days=back)
                rng = random.Random(f"{seed}:{a.login}:{day.isoformat()}")
                midnight = datetime.datetime.combine(day, datetime.time(), tz).timestamp()
                login_t = midnight + rng.uniform(7.5, 9.5) * 3600
                if back == 0:  # today: only those logged in now, until now
                    if not a.logged_in:
                        continue
                    login_t = min(login_t, start - rng.uniform(0.5, 3) * 3600)
                    login_t = max(login_t, midnight)
                    self._walk(a.login, rng, login_t, start, queues, keep_open=True)
                elif rng.random() < (0.6 if day.weekday() >= 5 else 0.9):
                    end = login_t + rng.uniform(6, 8.5) * 3600
                    self._walk(a.login, rng, login_t, end, queues)
            if a.logged_in:  # the live part goes on from the agent's presence now
                h = self.of(a.login)
                if not h.sessions or h.sessions[-1][1] is not None:
                    h.sessions.append([start, None])
                h.segments.append([start, None, a.pause_id])

    def _walk(self, login, rng, t, end, queues, keep_open=False):
        h = self.of(login)
        h.sessions.append([t, None if keep_open else end])
        next_break = t + rng.uniform(45, 110) * 60
        while t < end:
            if t >= next_break:
                length = rng.uniform(3, 20) * 60
                t = _segment(h, t, min(end, t + length), rng.choice([2, 3, 3, 4, 5]))
                next_break = t + rng.uniform(45, 110) * 60
                continue
            gap = rng.expovariate(1 / 300.0)
            free_until = min(end, t + gap)
            kind = "outbound" if rng.random() < 0.15 else "inbound"
            if free_until >= end:
                _segment(h, t, end, None)
                break
            call_t = free_until
            if kind == "inbound" and rng.random() < 0.08:
                h.calls.append(
                    {"t": call_t, "kind": kind, "answered": False, "talk": 0, "wait": 0,
                     "queue_id": rng.choice(queues)}
                )  # fmt: skip
                t = _segment(h, t, min(end, call_t + rng.uniform(5, 12)), None)
                continue
            talk = int(rng.triangular(60, 360, 150)) if rng.random() < 0.9 else 0
            h.calls.append(
                {"t": call_t, "kind": kind, "answered": True, "talk": talk,
                 "wait": int(rng.expovariate(1 / 25.0)), "queue_id": rng.choice(queues)}
            )  # fmt: skip
            t = _segment(h, t, min(end, call_t + talk), None)
            if rng.random() < 0.7 and t < end:
                t = _segment(h, t, min(end, t + rng.uniform(10, 60)), 1)  # wrap-up


def _segment(h: AgentHistory, start: float, end: float, pause_id) -> float:
    """A presence segment, merged with the previous one when it goes on in the same state."""
    last = h.segments[-1] if h.segments else None
    if last is not None and last[1] == start and last[2] == pause_id:
        last[1] = end
    elif end > start:
        h.segments.append([start, end, pause_id])
    return end


def _call(at, kind, answered, talk, ev) -> dict:
    return {
        "t": at,
        "kind": kind,
        "answered": answered,
        "talk": talk,
        "wait": 0,
        "queue_id": _int(ev.get("queue_id")),
        "open": answered and kind == "inbound",
    }


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def attach(centre) -> History:
    """Give the centre a history: the seeded past, then every event it emits from now on."""
    history = History(centre)
    with centre.lock:
        history.seed(centre.seed)
        emit = centre.emit

        def recorded(action, **fields):
            ev = emit(action, **fields)
            history.observe(ev)
            return ev

        centre.emit = recorded
        centre.history = history
    return history
