"""Every chat of the day, what `GET chats/reports/summary` answers from.

Kept on the wall clock (the dates Thulium reports). Today until the start is seeded from the
seed (chats at the traffic's rate from 8 to 20, a tenth of it at night, answered by agents of
the queue's groups); from the start on each chat is recorded from the CHAT_* events the
centre emits, so the summary agrees with the webhooks.
"""

import datetime
import random
import zlib
from dataclasses import dataclass


@dataclass
class Chat:
    queue_id: int
    created: float
    agent_login: str = ""
    assigned: float | None = None  # the agent's first response
    closed: float | None = None
    empty: bool = False  # the client wrote nothing: only in incoming_including_empty
    rating: str = ""  # "", sad, neutral, happy


class ChatLog:
    def __init__(self, centre):
        self.centre = centre
        self.chats: list[Chat] = []
        self.live: dict[str, Chat] = {}  # conversation_id -> chat

    def now(self) -> float:
        return self.centre.clock.wall(self.centre.t)

    def observe(self, ev: dict) -> None:
        action = ev.get("action", "")
        if not action.startswith("CHAT_"):
            return
        conv, at = str(ev.get("conversation_id") or ""), self.now()
        if action == "CHAT_CONVERSATION_CREATED":
            # One in 25 is empty, told by its id: the same conversation always is.
            empty = zlib.crc32(conv.encode()) % 25 == 0
            chat = Chat(int(ev.get("chat_queue_id") or 0), at, empty=empty)
            self.live[conv] = chat
            self.chats.append(chat)
        elif (chat := self.live.get(conv)) is None:
            return
        elif action == "CHAT_AGENT_ASSIGNED":
            chat.agent_login, chat.assigned = str(ev.get("agent_login") or ""), at
        elif action == "CHAT_CONVERSATION_CLOSED":
            chat.closed = at
            if chat.assigned is not None:
                chat.rating = _rating(self.centre.api_rng)
            del self.live[conv]

    def seed(self, seed: int) -> None:
        """Today's chats until the start (a tenth as many outside 8-20), answered by agents of
        the queue's groups."""
        c, start = self.centre, self.now()
        tz = c.clock.tz
        day = datetime.datetime.fromtimestamp(start, tz).date()
        midnight = datetime.datetime.combine(day, datetime.time(), tz).timestamp()
        rng = random.Random(f"{seed}:chats:{day.isoformat()}")
        rate = max(len(c.agents) * 0.0005, 1 / 300.0)  # traffic.py's chat arrival rate
        t = midnight
        while True:
            t += rng.expovariate(rate)
            if t >= start - 600:  # the last ten minutes' chats would still be open
                break
            if not 8 <= (t - midnight) / 3600 < 20 and rng.random() > 0.1:
                continue  # a tenth as many at night
            q = rng.choice(c.chat_queues)
            chat = Chat(q["chat_queue_id"], t, empty=rng.random() < 0.04)
            agents = [a for a in c.real_agents() if a.active and a.group_id in q["groups"]]
            if agents and rng.random() < 0.93:
                chat.agent_login = rng.choice(agents).login
                chat.assigned = t + rng.uniform(3, 40)
                chat.closed = chat.assigned + rng.uniform(120, 600)
                chat.rating = _rating(rng)
            else:  # nobody took it: the client left
                chat.closed = t + rng.uniform(30, 150)
            self.chats.append(chat)


def _rating(rng) -> str:
    if rng.random() >= 0.4:
        return ""
    return rng.choices(["happy", "neutral", "sad"], weights=[7, 2, 1])[0]


def attach(centre) -> ChatLog:
    """Give the centre a chat log: today's seeded chats, then every chat it emits."""
    log = ChatLog(centre)
    with centre.lock:
        log.seed(centre.seed)
        emit = centre.emit

        def recorded(action, **fields):
            ev = emit(action, **fields)
            log.observe(ev)
            return ev

        centre.emit = recorded
        centre.chat_log = log
    return log
