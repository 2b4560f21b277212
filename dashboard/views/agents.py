"""The live agent board and the actions a supervisor takes on an agent."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy
from django.views.decorators.http import require_POST

from crm_bridge import client, sync
from crm_bridge.client import ThuliumError
from crm_bridge.models import ActionLog, Agent

from ..agent_day import agent_day
from ..board import SORT_COLUMNS, board_context, matches, sort_agents
from ..forms import CallForm, PauseForm
from ..teams import ACT, may_act_on, scope_of

ACTIONS = {
    "pause": (pgettext_lazy("action", "Pause"), PauseForm),
    "free": (pgettext_lazy("action", "Unpause"), None),
    "login": (pgettext_lazy("action", "Log in"), None),
    "logout": (pgettext_lazy("action", "Log out"), None),
    "call": (pgettext_lazy("action", "Call"), CallForm),
    "hangup": (pgettext_lazy("action", "Hang up"), None),
}


@login_required
def board(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if scope is None:  # no team, and may not see every agent
        return render(request, "dashboard/no_team.html", status=403)
    context = board_context(scope)
    chosen = {k: request.GET.get(k, "").strip() for k in ("group", "status", "q", "sort")}
    for agent in context["agents"]:
        agent.hidden = not matches(agent, chosen["group"], chosen["status"], chosen["q"])
    context["agents"] = sort_agents(context["agents"], chosen["sort"])
    context["chosen"] = chosen
    context["sort_columns"] = SORT_COLUMNS
    context["may_act"] = request.user.has_perm(ACT)
    return render(request, "dashboard/board.html", context)


@login_required
def agent_today(request: HttpRequest, login: str) -> HttpResponse:
    """An agent's day so far: time per status, calls, timeline, supervisors' actions."""
    agent = _in_scope(request, login)
    return render(request, "dashboard/board.html#agent-day", agent_day(agent))


@login_required
def action_form(request: HttpRequest, login: str, action: str) -> HttpResponse:
    """The dialog for actions that need input (pause reason, number to call)."""
    agent = _may_act_on(request, login)
    title, form_class = _action(action)
    if form_class is None:
        raise Http404(_("This action takes no input"))
    context = {"agent": agent, "action": action, "title": title, "form": form_class()}
    return render(request, "dashboard/board.html#action-form", context)


@login_required
@require_POST
def agent_action(request: HttpRequest, login: str, action: str) -> HttpResponse:
    agent = _may_act_on(request, login)  # before anything reaches Thulium
    title, form_class = _action(action)
    params = {}
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            context = {"agent": agent, "action": action, "title": title, "form": form}
            return render(request, "dashboard/board.html#action-form", context)
        params = {k: v for k, v in form.cleaned_data.items() if v not in ("", None)}
    entry = ActionLog(user=request.user, target=login, action=action, params=params, ok=True)
    try:
        _call_thulium(action, login, params)
    except ThuliumError as exc:
        entry.ok, entry.http_status, entry.request_id = False, exc.status, exc.request_id
        entry.message = exc.message
        suffix = f" (request_id {exc.request_id})" if exc.request_id else ""
        failed = _("%(action)s %(agent)s failed: %(message)s") % {
            "action": title,
            "agent": agent,
            "message": exc.message,
        }
        messages.error(request, failed + suffix)
    else:
        messages.success(
            request, _("%(action)s: %(agent)s — done.") % {"action": title, "agent": agent}
        )
        sync.refresh_agent(login)
    entry.save()
    if not request.htmx:
        return redirect("board")
    response = HttpResponse("")
    if entry.ok:
        response["HX-Trigger"] = "action-done"
    return response


def _in_scope(request: HttpRequest, login: str) -> Agent:
    agent = get_object_or_404(Agent, login=login)
    scope = scope_of(request.user)
    if scope is None or not scope.has(agent.group_id):
        raise PermissionDenied(_("This agent is not in your teams."))
    return agent


def _may_act_on(request: HttpRequest, login: str) -> Agent:
    agent = _in_scope(request, login)
    if not may_act_on(request.user, agent):
        raise PermissionDenied(_("Your role does not allow acting on agents."))
    return agent


def _action(action: str):
    if action not in ACTIONS:
        raise Http404(_("Unknown action"))
    return ACTIONS[action]


def _call_thulium(action: str, login: str, params: dict) -> None:
    if action == "pause":
        client.pause(login, params["pause_id"])
    elif action == "call":
        client.call(login, params["phone_number"], outbound_id=params.get("outbound_id", ""))
    else:
        getattr(client, action)(login)
