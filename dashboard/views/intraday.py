"""Intraday: one queue's chosen day in 15- or 30-minute intervals, as a chart and a table,
beside the same weekday a week before (dashboard/intraday.py), and the agents (of the user's
teams) by status over that day (dashboard/intraday_agents.py)."""

from datetime import date, timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from crm_bridge.parse import tenant_tz

from .. import intraday_agents
from ..intraday import SIZES, chart_data, intraday, total
from ..models import Queue
from ..queues import queue_stats
from ..teams import scope_of


def _day(value: str) -> date:
    """The chosen day (YYYY-MM-DD), else today in THULIUM_TIMEZONE."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        return timezone.now().astimezone(tenant_tz()).date()


def _minutes(value: str) -> int:
    return int(value) if value in {str(size) for size in SIZES} else SIZES[0]


@login_required
def intraday_page(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if scope is None:  # no team, and may not see every queue
        return render(request, "dashboard/no_team.html", status=403)
    if scope.everyone:
        queues = list(Queue.objects.filter(hidden=False))
    else:  # the queues the user's teams serve, as on the board
        queues = [s.queue for s in scope.queues(queue_stats())]
    wanted = request.GET.get("queue", "")
    queue = next((q for q in queues if q.key == wanted), queues[0] if queues else None)
    day, minutes = _day(request.GET.get("day", "")), _minutes(request.GET.get("minutes", ""))
    today = timezone.now().astimezone(tenant_tz()).date()
    rows = intraday(queue, day, minutes) if queue else []
    by_status = intraday_agents.agents_by_status(day, minutes, scope)
    context = {
        "nav": "intraday",
        "queues": queues,
        "queue": queue,
        "day": day,
        "is_today": day == today,
        "last_week": day - timedelta(days=7),
        "previous_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1),
        "minutes": minutes,
        "sizes": SIZES,
        "rows": rows,
        "total": total(rows),
        "total_last_week": total(rows, "last_week"),
        "chart": chart_data(rows, minutes),
        "status_rows": by_status,
        "status_labels": intraday_agents.labels(),
        "status_chart": intraday_agents.chart_data(by_status, minutes),
    }
    template = "dashboard/intraday.html" + ("#intraday-body" if request.htmx else "")
    return render(request, template, context)
