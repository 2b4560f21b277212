"""Acknowledging an alert: a supervisor silences an agent's breach (dashboard/alerts.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_bridge.models import ActionLog
from crm_bridge.signals import notify_agents_changed

from .. import alerts
from .agents import _may_act_on


@login_required
@require_POST
def acknowledge(request: HttpRequest, login: str) -> HttpResponse:
    """Silence the agent's current breach on every board (the same supervisors' right as
    acting on the agent: their team, their role); recorded in the action log."""
    agent = _may_act_on(request, login)
    alert = alerts.acknowledge(agent, request.user)
    if not alert.level:
        messages.error(request, _("%(agent)s: nothing to acknowledge.") % {"agent": agent})
    else:
        ActionLog.objects.create(
            user=request.user,
            target=login,
            action="acknowledge",
            params={"level": alert.level, "what": alert.text},
            ok=True,
        )
        messages.success(request, _("%(agent)s: alert acknowledged.") % {"agent": agent})
        notify_agents_changed([login])  # every board shows it silenced
    return redirect("board") if not request.htmx else HttpResponse("")
