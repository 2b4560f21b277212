"""Chats as the document gives them: `GET chats/queues` and `GET chats/reports/summary`."""

import datetime

from .chat_history import Chat
from .server import ApiError, route
from .work_report_api import _KEYS, AGGREGATIONS, _as_int, _invalid, date_bounds, hms


@route("GET", r"chats/queues")
def chat_queues(c, req):
    # The document's example: a display_name or null beside each queue's name.
    return 200, [
        {"chat_queue_id": q["chat_queue_id"], "name": q["name"], "display_name": None}
        for q in c.chat_queues
    ]


# ---- GET chats/reports/summary --------------------------------------------------------------
# Parameters as the document lists them: date_from and date_to (required; "YYYY-MM-DD
# HH:MM:SS", "YYYY-MM-DD HH:MM" or a date as in its example request; date_to includes the
# second, minute or day it names), user_logins[], chat_queue_ids[], sum_users (default false),
# aggregate_by (hour_of_day, minute, hour, day, week, month, year; default month),
# response_threshold (s, default 20), limit (1-100, default 100) and offset. Its heading says
# GET and its footer POST: both are answered. Rows shaped as its example.
#
# Our reading where the document is silent: a chat counts in the period it was created in. A
# row per user counts the chats that user answered; with sum_users=true one row per period
# counts every chat (user_name null), and only then are chats nobody took "abandoned". A chat
# the client wrote nothing in is in incoming_including_empty only. service_level_percent:
# answered within response_threshold / answered; sla_percent: the same / incoming.
# wait_time: created to the agent's first response; chat_time: that to the close. No bot: the
# bot counters are 0.


@route("GET", r"chats/reports/summary")
@route("POST", r"chats/reports/summary")
def chats_summary(c, req):
    q = _summary_params(c, req)
    tz, now = c.clock.tz, c.chat_log.now()
    groups: dict[tuple, list[Chat]] = {}
    for chat in c.chat_log.chats:
        if not q["from"] <= chat.created < q["to"] or chat.created > now:
            continue
        if q["queues"] and chat.queue_id not in q["queues"]:
            continue
        if q["sum_users"]:
            user = ""
        elif chat.agent_login and (not q["logins"] or chat.agent_login in q["logins"]):
            user = chat.agent_login
        else:
            continue
        groups.setdefault((user, _series(chat.created, tz, q["aggregate_by"])), []).append(chat)
    keys = sorted(groups, key=lambda k: (k[1], k[0]))
    page = keys[q["offset"] : q["offset"] + q["limit"]]
    return 200, [_summary_row(c, u, series, groups[u, series], q, now) for u, series in page]


def _series(t: float, tz, aggregate_by: str) -> str:
    moment = datetime.datetime.fromtimestamp(t, tz)
    if aggregate_by == "week":
        year, week, _ = moment.isocalendar()
        return f"{year}-W{week:02d}"
    return moment.strftime(_KEYS[aggregate_by])


def _times(values: list[float]) -> dict:
    if not values:
        return {"min": hms(0), "max": hms(0), "sum": hms(0), "avg": hms(0)}
    total = sum(values)
    return {
        "min": hms(min(values)),
        "max": hms(max(values)),
        "sum": hms(total),
        "avg": hms(total / len(values)),
    }


def _pct(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def _summary_row(c, user: str, series: str, chats: list[Chat], q: dict, now: float) -> dict:
    counted = [ch for ch in chats if not ch.empty]
    answered = [ch for ch in counted if ch.assigned is not None and ch.assigned <= now]
    abandoned = [ch for ch in counted if ch.assigned is None and ch.closed is not None]
    waits = [ch.assigned - ch.created for ch in answered]
    talks = [min(ch.closed or now, now) - ch.assigned for ch in answered]
    in_time = sum(1 for w in waits if w <= q["threshold"])
    rates = {"sad": 0, "neutral": 0, "happy": 0}
    for ch in answered:
        if ch.rating and (ch.closed or now) <= now:
            rates[ch.rating] += 1
    rated = sum(rates.values())
    agent = c.agent(user) if user else None
    return {
        "series": series,
        "user_name": f"{agent.name} {agent.surname}" if agent else None,
        "incoming": len(counted),
        "incoming_to_agent": len(answered),
        "incoming_including_empty": len(chats),
        "abandoned": len(abandoned),
        "answered": len(answered),
        "incoming_to_bot": 0,
        "transferred_by_bot": 0,
        "finished_by_bot": 0,
        "service_level_percent": _pct(in_time, len(answered)),
        "chat_time": _times(talks),
        "wait_time": _times(waits),
        "sla_percent": _pct(in_time, len(counted)),
        "rating": {
            "rate": rates,
            "satisfaction_percent": _pct(rates["happy"], rated),
            "rated_percent": _pct(rated, len(answered)),
        },
    }


def _summary_params(c, req) -> dict:
    errors, tz = [], c.clock.tz
    bounds = date_bounds(req, tz, errors)
    logins = set()
    for login in req.get_list("user_logins") or []:
        if c.agent(str(login)) is None:
            errors.append(
                _invalid(
                    "user_logins",
                    f"user {login} does not exist.",
                    f"użytkownik {login} nie istnieje.",
                )
            )
        logins.add(str(login))
    known = {q["chat_queue_id"] for q in c.chat_queues}
    queues = set()
    for raw in req.get_list("chat_queue_ids") or []:
        queue_id = _as_int(raw)
        if queue_id not in known:
            errors.append(
                _invalid(
                    "chat_queue_ids",
                    f"chat queue {raw} does not exist.",
                    f"kolejka czatu {raw} nie istnieje.",
                )
            )
        queues.add(queue_id)
    aggregate_by = str(req.get("aggregate_by") or "month")
    if aggregate_by not in AGGREGATIONS:
        errors.append(
            _invalid(
                "aggregate_by",
                "one of " + ", ".join(AGGREGATIONS) + ".",
                "jedna z wartości " + ", ".join(AGGREGATIONS) + ".",
            )
        )
    sum_users = str(req.get("sum_users", "false")).strip().lower()
    if sum_users not in ("true", "false", "1", "0"):
        errors.append(_invalid("sum_users", "true or false.", "true lub false."))
    threshold = _as_int(req.get("response_threshold", 20))
    if threshold is None or threshold < 0:
        errors.append(
            _invalid("response_threshold", "seconds, 0 or more.", "sekundy, 0 lub więcej.")
        )
    limit, offset = _as_int(req.get("limit", 100)), _as_int(req.get("offset", 0))
    if limit is None or not 1 <= limit <= 100:
        errors.append(_invalid("limit", "between 1 and 100.", "od 1 do 100."))
    if offset is None or offset < 0:
        errors.append(_invalid("offset", "0 or more.", "0 lub więcej."))
    if errors:
        raise ApiError(400, errors[0][0], errors=errors)
    return {
        "from": bounds["date_from"],
        "to": bounds["date_to"],
        "logins": logins,
        "queues": queues,
        "aggregate_by": aggregate_by,
        "sum_users": sum_users in ("true", "1"),
        "threshold": threshold,
        "limit": limit,
        "offset": offset,
    }
