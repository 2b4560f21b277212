"""The action log: who did what to which agent or campaign, when, and what Thulium answered
(its message and request_id), filtered by agent, user and day. Read-only; a supervisor sees
the actions on the agents of their teams (dashboard/teams.py)."""

from datetime import date, datetime, time, timedelta

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from crm_bridge.models import ActionLog, Agent
from crm_bridge.parse import tenant_tz

from ..teams import scope_of

PER_PAGE = 50


@login_required
def action_log(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if scope is None:
        return render(request, "dashboard/no_team.html", status=403)
    chosen = {k: request.GET.get(k, "").strip() for k in ("agent", "user", "day")}
    entries = ActionLog.objects.select_related("user")
    if not scope.everyone:  # actions on the team's agents only (campaign ids are no agents)
        entries = entries.filter(target__in=scope.agents(Agent.objects).values("login"))
    if chosen["agent"]:
        entries = entries.filter(target__icontains=chosen["agent"])
    if chosen["user"]:
        entries = entries.filter(Q(user__username__icontains=chosen["user"]))
    day = _day(chosen["day"])
    if day:
        start = datetime.combine(day, time(), tenant_tz())
        entries = entries.filter(created_at__gte=start, created_at__lt=start + timedelta(days=1))
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    context = {"nav": "actions", "page": page, "chosen": chosen}
    return render(request, "dashboard/action_log.html", context)


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
