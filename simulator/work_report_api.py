"""`GET agents_work_report` (document section "Agenci"): the agents' work per period, from
each agent's history (work_history.py).

Parameters as the document lists them: `agent_logins[]` and/or `agent_group_ids[]` (one of
them required), `date_from` and `date_to` (required; `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD
HH:MM` or a date; `date_to` includes the second, minute or day it names), `aggregate_by`
(hour_of_day, minute, hour, day, week, month, year; default month), `queues_ids[]` (inbound
calls of these queues only), `outbound_threshold` (s, default 0: a campaign call longer than
this is "above"), `limit` (1-100, default 100) and `offset`. A plain list, one row per agent
and period with any work, shaped as the document's example (durations "HH:MM:SS", `wait_sum`
in seconds, pauses "all", "free" and one per pause id). The document's heading says GET and
its footer POST: both are answered.
"""

import datetime

from .centre import PAUSES
from .server import ApiError, route

AGGREGATIONS = ("hour_of_day", "minute", "hour", "day", "week", "month", "year")
_KEYS = {
    "minute": "%Y-%m-%d %H:%M",
    "hour": "%Y-%m-%d %H:00",
    "day": "%Y-%m-%d",
    "month": "%Y-%m",
    "year": "%Y",
    "hour_of_day": "%H",
}


@route("GET", r"agents_work_report")
@route("POST", r"agents_work_report")
def agents_work_report(c, req):
    q = _validated(c, req)
    history = c.history
    tz, now = c.clock.tz, history.now()
    step = 60 if q["aggregate_by"] == "minute" else 3600

    keys: dict[int, str] = {}  # each minute (hour) is named once

    def key(t: float) -> str:
        slot = int(t // step)
        if slot not in keys:
            moment = datetime.datetime.fromtimestamp(slot * step, tz)
            if q["aggregate_by"] == "week":
                year, week, _ = moment.isocalendar()
                keys[slot] = f"{year}-W{week:02d}"
            else:
                keys[slot] = moment.strftime(_KEYS[q["aggregate_by"]])
        return keys[slot]

    rows = []
    for a in q["agents"]:
        h = history.of(a.login)
        periods: dict[str, dict] = {}

        def bucket(t: float, periods=periods) -> dict:
            return periods.setdefault(key(t), _empty())

        for start, end, pause_id in h.segments:
            lo, hi = max(start, q["from"]), min(now if end is None else end, q["to"])
            if hi <= lo:
                continue
            name = "free" if pause_id is None else pause_id
            bucket(lo)["pauses"].setdefault(name, [0, 0.0])[0] += 1
            while lo < hi:  # split at hour (minute) boundaries: hours, days, weeks ... follow
                cut = min(hi, (lo // step + 1) * step)
                bucket(lo)["pauses"].setdefault(name, [0, 0.0])[1] += cut - lo
                lo = cut
        for login_t, logout_t in h.sessions:
            if q["from"] <= login_t < q["to"]:
                b = bucket(login_t)
                b["login"] = min(b["login"] or login_t, login_t)
            if logout_t is not None and q["from"] <= logout_t < q["to"]:
                b = bucket(logout_t)
                b["logout"] = max(b["logout"] or logout_t, logout_t)
        for call in h.calls:
            if not q["from"] <= call["t"] < q["to"]:
                continue
            if call["kind"] == "inbound":
                if q["queues"] and call["queue_id"] not in q["queues"]:
                    continue
                b = bucket(call["t"])["inbound"]
                b["count"] += 1
                b["answered" if call["answered"] else "missed"] += 1
                b["talk"] += call["talk"]
                b["wait"] += call["wait"]
            else:
                side = "above" if call["talk"] > q["threshold"] else "below"
                b = bucket(call["t"])[side]
                b["count"] += 1
                b["talk"] += call["talk"]
        rows += [(a, period, periods[period]) for period in sorted(periods)]
    page = rows[q["offset"] : q["offset"] + q["limit"]]
    return 200, [_row(a, period, b, c) for a, period, b in page]


def _empty() -> dict:
    return {
        "pauses": {},
        "login": None,
        "logout": None,
        "inbound": {"count": 0, "answered": 0, "missed": 0, "talk": 0, "wait": 0},
        "above": {"count": 0, "talk": 0},
        "below": {"count": 0, "talk": 0},
    }


def hms(seconds: float) -> str:
    seconds = int(round(seconds))
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def _avg(total: float, count: int) -> str:
    return hms(total / count if count else 0)


def _row(a, period: str, b: dict, c) -> dict:
    inbound, pauses = b["inbound"], b["pauses"]
    paused = [v for k, v in pauses.items() if k != "free"]
    all_count, all_sum = sum(v[0] for v in paused), sum(v[1] for v in paused)
    free_count, free_sum = pauses.get("free", [0, 0.0])
    logged_in_hours = (all_sum + free_sum) / 3600
    pause_rows = [_stat("all", all_count, all_sum), _stat("free", free_count, free_sum)]
    for pause_id in PAUSES:
        pause_rows.append(_stat(pause_id, *pauses.get(pause_id, [0, 0.0])))
    return {
        "agent": {"login": a.login, "name": a.name, "surname": a.surname},
        "period": period,
        "inbound": {
            "count": inbound["count"],
            "answered_count": inbound["answered"],
            "not_answered_count": inbound["missed"],
            "transferred_count": 0,
            "sum": hms(inbound["talk"]),
            "average": _avg(inbound["talk"], inbound["answered"]),
            "wait_sum": inbound["wait"],
            "wait_average": _avg(inbound["wait"], inbound["answered"]),
            "calls_per_hour": round(inbound["answered"] / logged_in_hours, 2)
            if logged_in_hours
            else 0,
        },
        "chat": {"closed": 0, "responded": 0},
        "ticket": {"closed": 0, "responded": 0, "total_responded": 0},
        "outbound_above_threshold": _outbound(b["above"]),
        "outbound_below_threshold": _outbound(b["below"]),
        "login_date": _local(b["login"], c),
        "logout_date": _local(b["logout"], c),
        "pauses": pause_rows,
    }


def _local(t: float | None, c) -> str | None:
    if t is None:
        return None
    return datetime.datetime.fromtimestamp(t, c.clock.tz).strftime("%Y-%m-%d %H:%M:%S")


def _stat(pause_id, count: int, total: float) -> dict:
    return {"id": pause_id, "count": count, "sum": hms(total), "average": _avg(total, count)}


def _outbound(side: dict) -> dict:
    return {
        "count": side["count"],
        "sum": hms(side["talk"]),
        "average": _avg(side["talk"], side["count"]),
    }


# ---- parameters -----------------------------------------------------------------------------


def _invalid(field: str, en: str, pl: str) -> tuple:
    return (f"Field {field}: {en}", f"Pole {field}: {pl}", 10400)


def _validated(c, req) -> dict:
    errors, tz = [], c.clock.tz
    logins, groups = req.get_list("agent_logins"), req.get_list("agent_group_ids")
    agents = []
    if not logins and not groups:
        errors.append(
            (
                "Parameter agent_logins or agent_group_ids is required.",
                "Wymagany jest parametr agent_logins lub agent_group_ids.",
                10400,
            )
        )
    for login in logins or []:
        a = c.agent(str(login))
        if a is None:
            errors.append(
                _invalid(
                    "agent_logins", f"agent {login} does not exist.", f"agent {login} nie istnieje."
                )
            )
        elif a not in agents:
            agents.append(a)
    known_groups = {g["group_id"] for g in c.groups}
    for raw in groups or []:
        group_id = _as_int(raw)
        if group_id not in known_groups:
            errors.append(
                _invalid(
                    "agent_group_ids", f"group {raw} does not exist.", f"grupa {raw} nie istnieje."
                )
            )
            continue
        agents += [a for a in c.real_agents() if a.group_id == group_id and a not in agents]
    bounds = date_bounds(req, tz, errors)
    aggregate_by = str(req.get("aggregate_by") or "month")
    if aggregate_by not in AGGREGATIONS:
        errors.append(
            _invalid(
                "aggregate_by",
                "one of " + ", ".join(AGGREGATIONS) + ".",
                "jedna z wartości " + ", ".join(AGGREGATIONS) + ".",
            )
        )
    limit, offset = _as_int(req.get("limit", 100)), _as_int(req.get("offset", 0))
    if limit is None or not 1 <= limit <= 100:
        errors.append(_invalid("limit", "between 1 and 100.", "od 1 do 100."))
    if offset is None or offset < 0:
        errors.append(_invalid("offset", "0 or more.", "0 lub więcej."))
    threshold = _as_int(req.get("outbound_threshold", 0))
    if threshold is None or threshold < 0:
        errors.append(
            _invalid("outbound_threshold", "seconds, 0 or more.", "sekundy, 0 lub więcej.")
        )
    known_queues = {q["queue_id"] for q in c.queues}
    queues = set()
    for raw in req.get_list("queues_ids") or []:
        queue_id = _as_int(raw)
        if queue_id not in known_queues:
            errors.append(
                _invalid(
                    "queues_ids", f"queue {raw} does not exist.", f"kolejka {raw} nie istnieje."
                )
            )
        queues.add(queue_id)
    if errors:
        raise ApiError(400, errors[0][0], errors=errors)
    return {
        "agents": agents,
        "from": bounds["date_from"],
        "to": bounds["date_to"],
        "aggregate_by": aggregate_by,
        "limit": limit,
        "offset": offset,
        "threshold": threshold,
        "queues": queues,
    }


def _as_int(value):
    if isinstance(value, bool):
        return None
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


_UNIT = {
    "%Y-%m-%d %H:%M:%S": datetime.timedelta(seconds=1),
    "%Y-%m-%d %H:%M": datetime.timedelta(minutes=1),
    "%Y-%m-%d": datetime.timedelta(days=1),
}


def date_bounds(req, tz, errors: list) -> dict:
    """date_from and date_to (required; date_to includes what it names), or None each with an
    error per field."""
    bounds = {}
    for name in ("date_from", "date_to"):
        raw = req.get(name)
        parsed = _date(raw, tz, end=name == "date_to")
        if raw in (None, ""):
            errors.append(_invalid(name, "is required.", "jest wymagane."))
        elif parsed is None:
            errors.append(
                _invalid(name, "expected YYYY-MM-DD HH:MM:SS.", "oczekiwano RRRR-MM-DD GG:MM:SS.")
            )
        bounds[name] = parsed
    if bounds["date_from"] and bounds["date_to"] and bounds["date_to"] < bounds["date_from"]:
        errors.append(
            _invalid("date_to", "is before date_from.", "jest wcześniejsza niż date_from.")
        )
    return bounds


def _date(value, tz, end: bool) -> float | None:
    """Seconds since the epoch; a date alone is its day's start (its end for date_to)."""
    text = str(value or "").strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            moment = datetime.datetime.strptime(text, fmt)
        except ValueError:
            continue
        if end:  # date_to names its last day, minute or second: all of it is in
            moment += _UNIT[fmt]
        return moment.replace(tzinfo=tz).timestamp()
    return None
