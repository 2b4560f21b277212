"""E-mail tickets: `GET ticket_queues` and `GET tickets/today_stats`.

The document lists both in its index only ("Zwraca listę kolejek zgłoszeń", "Zwraca
statystyki zgłoszeń dla obecnego dnia"): no parameters, no example response. The shapes here
are ours, named as the document names tickets elsewhere (`ticket_queue_id` in the ticket
webhooks; "closed" and "responded" in the `ticket` part of agents_work_report):

    GET ticket_queues     -> [{"ticket_queue_id": 1, "name": "BOK e-mail"}, ...]
    GET tickets/today_stats -> {"created": 41, "responded": 30, "closed": 26, "open": 57,
                                "queues": [{"ticket_queue_id": 1, "created": ..., ...}]}

created: tickets that came in today; responded: of today's and older tickets, those an agent
first replied to today; closed: closed today; open: not closed now (any day's).

The day's tickets are drawn from the seed (per queue and day, busier 8-16 on weekdays), with
a backlog of older open tickets, and counted up to the simulated now, so the numbers grow
through the day as a real centre's do.
"""

import datetime
import random

from .server import route

TICKET_QUEUES = [(1, "BOK e-mail"), (2, "Reklamacje"), (3, "Faktury")]
_days: dict[tuple, list] = {}  # (seed, queue, day) -> [(created, responded, closed)]


@route("GET", r"ticket_queues")
def ticket_queues(c, req):
    return 200, [{"ticket_queue_id": qid, "name": name} for qid, name in TICKET_QUEUES]


@route("GET", r"tickets/today_stats")
def today_stats(c, req):
    now = c.clock.wall(c.t)
    tz = c.clock.tz
    today = datetime.datetime.fromtimestamp(now, tz).date()
    midnight = datetime.datetime.combine(today, datetime.time(), tz).timestamp()
    rows, totals = [], {"created": 0, "responded": 0, "closed": 0, "open": 0}
    for qid, _ in TICKET_QUEUES:
        row = {"ticket_queue_id": qid, "created": 0, "responded": 0, "closed": 0, "open": 0}
        for back in range(0, 4):  # older tickets: the backlog still open or closed today
            day = today - datetime.timedelta(days=back)
            for created, responded, closed in _tickets(c.seed, qid, day, tz):
                if created > now:
                    continue
                row["created"] += back == 0
                row["responded"] += midnight <= responded <= now
                row["closed"] += midnight <= closed <= now
                row["open"] += closed > now
        rows.append(row)
        for key in totals:
            totals[key] += row[key]
    return 200, {**totals, "queues": rows}


def _tickets(seed, qid: int, day: datetime.date, tz) -> list:
    key = (seed, qid, day)
    if key not in _days:
        rng = random.Random(f"{seed}:tickets:{qid}:{day.isoformat()}")
        midnight = datetime.datetime.combine(day, datetime.time(), tz).timestamp()
        per_hour = {1: 9.0, 2: 4.0, 3: 2.5}[qid] * (0.4 if day.weekday() >= 5 else 1.0)
        tickets, t = [], midnight
        while True:
            hour = (t - midnight) / 3600
            rate = per_hour * (1.0 if 8 <= hour < 16 else 0.15) / 3600
            t += rng.expovariate(rate)
            if t >= midnight + 86400:
                break
            responded = t + rng.expovariate(1 / 5400)  # first reply: about 1.5 h later
            closed = responded + rng.expovariate(1 / 14400)  # closed some 4 h after that
            tickets.append((t, responded, closed))
        _days[key] = tickets
    return _days[key]
