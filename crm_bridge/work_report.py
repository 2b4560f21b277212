"""Thulium's agent work report (`GET agents_work_report`), read leniently.

The document's own example is loose: `"login": jkowalski` unquoted, durations as "HH:MM:SS"
strings beside `wait_sum` as a bare number, pause ids "all", "free" and numbers (some entries
without "average"). Everything here takes either form: a duration as seconds (3, "3", 3.0) or
"[D days ]H:MM:SS" / "MM:SS"; a count as an int or its string; a missing part as zero.

Thulium gives no logged-in total: it is the time free plus the time paused (the pauses "all"
and "free"), which is what an agent can be in while logged in; calls happen while free or
paused. `login_date` / `logout_date` are the first login and last logout in the period.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from .parse import format_local, to_datetime, to_int, to_str

AGGREGATIONS = ("day", "week", "month", "year", "hour", "hour_of_day", "minute")
PAGE = 100  # the document's maximum limit
MAX_PAGES = 50  # 5,000 rows: a minute-by-minute month is refused rather than fetched for ever
_HMS = re.compile(r"^(?:(\d+)\s*days?,?\s*)?(?:(\d+):)?(\d{1,2}):(\d{1,2}(?:\.\d+)?)$")


def to_seconds(value) -> int:
    """Seconds from 75, "75", 75.0, "00:01:15", "1:15", "123:00:00" or "1 day, 02:00:00"."""
    number = to_int(value)
    if number is not None:
        return max(number, 0)
    text = to_str(value)
    match = _HMS.match(text)
    if not match:
        return 0
    days, hours, minutes, seconds = match.groups()
    total = int(days or 0) * 86400 + int(hours or 0) * 3600 + int(minutes) * 60
    return total + int(float(seconds))


def _part(row: dict, name: str) -> dict:
    part = row.get(name)
    return part if isinstance(part, dict) else {}


@dataclass(frozen=True)
class WorkRow:
    """One agent in one period."""

    login: str
    name: str
    period: str
    answered: int = 0
    missed: int = 0
    inbound_talk: int = 0
    outbound_calls: int = 0
    outbound_talk: int = 0
    paused: int = 0
    free: int = 0
    pauses: dict = field(default_factory=dict)  # pause id -> seconds
    login_date: datetime | None = None
    logout_date: datetime | None = None

    @property
    def logged_in(self) -> int:
        return self.paused + self.free

    @property
    def talk(self) -> int:
        return self.inbound_talk + self.outbound_talk

    @classmethod
    def from_api(cls, row: dict) -> "WorkRow | None":
        agent = _part(row, "agent") or row  # a flat row with "login" is read too
        login = to_str(agent.get("login"))
        if not login:
            return None
        inbound = _part(row, "inbound")
        above, below = (
            _part(row, "outbound_above_threshold"),
            _part(row, "outbound_below_threshold"),
        )
        pauses, paused, free = {}, None, 0
        entries = row.get("pauses") or []
        if isinstance(entries, dict):  # {"all": {...}, "1": {...}}
            entries = [{"id": k, **v} for k, v in entries.items() if isinstance(v, dict)]
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            key, seconds = to_str(entry.get("id")).lower(), to_seconds(entry.get("sum"))
            if key == "all":
                paused = seconds
            elif key == "free":
                free = seconds
            elif (pause_id := to_int(key)) is not None:
                pauses[pause_id] = pauses.get(pause_id, 0) + seconds
        full_name = " ".join(
            n for n in (to_str(agent.get("name")), to_str(agent.get("surname"))) if n
        )
        return cls(
            login=login,
            name=full_name or login,
            period=to_str(row.get("period")),
            answered=to_int(inbound.get("answered_count")) or 0,
            missed=to_int(inbound.get("not_answered_count")) or 0,
            inbound_talk=to_seconds(inbound.get("sum")),
            outbound_calls=(to_int(above.get("count")) or 0) + (to_int(below.get("count")) or 0),
            outbound_talk=to_seconds(above.get("sum")) + to_seconds(below.get("sum")),
            paused=sum(pauses.values()) if paused is None else paused,
            free=free,
            pauses=pauses,
            login_date=to_datetime(row.get("login_date")),
            logout_date=to_datetime(row.get("logout_date")),
        )


class TooManyRows(Exception):
    """More rows than MAX_PAGES pages: a shorter range or a coarser aggregation is needed."""


def fetch(
    date_from: date | datetime,
    date_to: date | datetime,
    *,
    logins=(),
    group_ids=(),
    aggregate_by: str = "day",
) -> list[WorkRow]:
    """Every row of the report, page by page (limit 100, offset), in Thulium's order."""
    from . import client

    rows: list[WorkRow] = []
    for page in range(MAX_PAGES):
        batch = client.get_agents_work_report(
            _when(date_from),
            _when(date_to, end=True),
            agent_logins=logins,
            agent_group_ids=group_ids,
            aggregate_by=aggregate_by,
            limit=PAGE,
            offset=page * PAGE,
        )
        rows += [row for row in map(WorkRow.from_api, batch) if row]
        if len(batch) < PAGE:
            return rows
    raise TooManyRows(f"more than {MAX_PAGES * PAGE} rows")


def _when(moment: date | datetime, end: bool = False) -> str:
    """Thulium's "YYYY-MM-DD HH:MM:SS" in the tenant's time; a date is its first second (its
    last for date_to), so the range says exactly what it means."""
    if isinstance(moment, datetime):
        return format_local(moment)
    return f"{moment.isoformat()} {'23:59:59' if end else '00:00:00'}"
