"""A queue's day in 15- or 30-minute intervals, from the interval counters the queue fold
keeps (crm_bridge.models.QueueInterval), beside the same intervals of the same weekday a week
before. The counters outlive the pruned calls, so any past day can be shown. The formulas
are dashboard/queues.py's Period; definitions: docs/metrics.md ("Intraday")."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from crm_bridge.models import QueueInterval
from crm_bridge.parse import tenant_tz

from .models import Queue
from .queues import Period

SIZES = (15, 30)


@dataclass
class Row:
    start: datetime  # local time
    day: Period
    last_week: Period

    @property
    def label(self) -> str:
        return f"{self.start:%H:%M}"


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """A local calendar day, midnight to midnight (23 or 25 hours when the clocks change)."""
    tz, after = tenant_tz(), day + timedelta(days=1)
    return datetime.combine(day, time(0), tz), datetime.combine(after, time(0), tz)


def _periods(queue: Queue, day: date, minutes: int) -> dict[str, Period]:
    """The day's intervals that had calls, summed into `minutes`-long ones, by local "HH:MM"."""
    start, end = day_bounds(day)
    found = QueueInterval.objects.filter(queue=queue, start__gte=start, start__lt=end)
    periods: dict[str, Period] = {}
    for row in found.order_by("start").values("start", "max_wait", *QueueInterval.COUNTERS):
        local = row["start"].astimezone(tenant_tz())
        key = f"{local.hour:02d}:{local.minute // minutes * minutes:02d}"
        period = periods.setdefault(key, Period())
        for name in QueueInterval.COUNTERS:
            setattr(period, name, getattr(period, name) + row[name])
        if row["max_wait"] is not None:
            period.max_wait = max(period.max_wait or 0, row["max_wait"])
    return periods


def intraday(queue: Queue, day: date, minutes: int = 15, now: datetime | None = None) -> list[Row]:
    """The day's intervals from the first to the last with calls on the day or a week
    before (today: to the interval now is in), each with the same local time a week before."""
    on_day, before = (
        _periods(queue, day, minutes),
        _periods(queue, day - timedelta(days=7), minutes),
    )
    if not (on_day or before):
        return []
    first, last = min([*on_day, *before]), max([*on_day, *before])
    local_now = (now or timezone.now()).astimezone(tenant_tz())
    if local_now.date() == day:
        last = max(last, f"{local_now.hour:02d}:{local_now.minute // minutes * minutes:02d}")
    start, end = day_bounds(day)
    rows, at = [], start
    while at < end:
        local = at.astimezone(tenant_tz())
        key = f"{local:%H:%M}"
        if first <= key <= last and (not rows or rows[-1].label != key):  # clocks back: once
            rows.append(Row(local, on_day.get(key, Period()), before.get(key, Period())))
        at += timedelta(minutes=minutes)
    return rows


def total(rows: list[Row], which: str = "day") -> Period:
    """The whole day's numbers (or the week before's), from its intervals."""
    summed = Period()
    for row in rows:
        period = getattr(row, which)
        for name in QueueInterval.COUNTERS:
            setattr(summed, name, getattr(summed, name) + getattr(period, name))
        if period.max_wait is not None:
            summed.max_wait = max(summed.max_wait or 0, period.max_wait)
    return summed


def chart_data(rows: list[Row], minutes: int) -> dict:
    """What static/dashboard/intraday.js draws: x in hours after midnight, one list per line
    (None where a number has nothing to divide by)."""

    def hours(row: Row) -> float:
        return row.start.hour + row.start.minute / 60

    def rounded(value):
        return None if value is None else round(value, 1)

    return {
        "step": minutes / 60,
        "x": [hours(r) for r in rows],
        "offered": [r.day.offered for r in rows],
        "answered": [r.day.answered for r in rows],
        "abandoned": [r.day.abandoned for r in rows],
        "service_level": [rounded(r.day.service_level) for r in rows],
        "offered_last_week": [r.last_week.offered for r in rows],
        "service_level_last_week": [rounded(r.last_week.service_level) for r in rows],
    }


def today(queue: Queue, now: datetime | None = None) -> dict:
    """A wallboard's intraday chart: the queue's day so far, in 15-minute intervals."""
    now = now or timezone.now()
    rows = intraday(queue, now.astimezone(tenant_tz()).date(), SIZES[0], now)
    return {"queue": queue, "rows": rows, "chart": chart_data(rows, SIZES[0])}
