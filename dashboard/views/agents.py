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
from ..forms import CallForm, PauseForm, TransferForm
from ..teams import ACT, may_act_on, scope_of

HIDE_OFF_COOKIE = "thulium-hide-off"  # "1": the board's "Hide logged off" is on (live.js)

ACTIONS = {
    "pause": (pgettext_lazy("action", "Pause"), PauseForm),
    "free": (pgettext_lazy("action", "Unpause"), None),
    "login": (pgettext_lazy("action", "Log in"), None),
    "logout": (pgettext_lazy("action", "Log out"), None),
    "call": (pgettext_lazy("action", "Call"), CallForm),
    "hangup": (pgettext_lazy("action", "Hang up"), None),
    # call control (Thulium Softphone; stop_recording and call_preview work without it)
    "answer": (pgettext_lazy("action", "Answer"), None),
    "transfer": (pgettext_lazy("action", "Transfer"), TransferForm),
    "hold": (pgettext_lazy("action", "Hold"), None),
    "unhold": (pgettext_lazy("action", "Unhold"), None),
    "mute": (pgettext_lazy("action", "Mute"), None),
    "unmute": (pgettext_lazy("action", "Unmute"), None),
    "stop_recording": (pgettext_lazy("action", "Stop recording"), None),
    "call_preview": (pgettext_lazy("action", "Call preview record"), None),
}
LAST_CALL = "last_call"  # a read, shown in the action dialog: not an action


@login_required
def board(request: HttpRequest) -> HttpResponse:
    scope = scope_of(request.user)
    if scope is None:  # no team, and may not see every agent
        return render(request, "dashboard/no_team.html", status=403)
    context = board_context(scope)
    filters = ("group", "status", "q", "sort", "queue")
    chosen = {k: request.GET.get(k, "").strip() for k in filters}
    # As live.js will filter: hidden from the first paint, not a moment after it.
    hide_off = request.COOKIES.get(HIDE_OFF_COOKIE) == "1"
    groups = next((s.groups for s in context["queue_stats"] if s.key == chosen["queue"]), None)
    for agent in context["agents"]:
        agent.hidden = not matches(
            agent, chosen["group"], chosen["status"], chosen["q"], hide_off, groups
        )
    context["agents"] = sort_agents(context["agents"], chosen["sort"])
    context["chosen"], context["hide_off"] = chosen, hide_off
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
    if action == LAST_CALL:
        return last_queue_call(request, login)
    agent = _may_act_on(request, login)
    title, form_class = _action(action)
    if form_class is None:
        raise Http404(_("This action takes no input"))
    form = form_class(**_form_context(request, form_class, agent))
    context = {"agent": agent, "action": action, "title": title, "form": form}
    return render(request, "dashboard/board.html#action-form", context)


@login_required
@require_POST
def agent_action(request: HttpRequest, login: str, action: str) -> HttpResponse:
    agent = _may_act_on(request, login)  # before anything reaches Thulium
    title, form_class = _action(action)
    params = {}
    if form_class is not None:
        form = form_class(request.POST, **_form_context(request, form_class, agent))
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
        if params.get("to_agent"):  # a transfer: the call is now theirs
            sync.refresh_agent(params["to_agent"])
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
    elif action == "transfer":
        client.transfer(login, params["destination"])
    elif action == "call":
        client.call(
            login,
            params.get("phone_number", ""),
            outbound_id=params.get("outbound_id", ""),
            customer_id=params.get("customer_id"),
        )
    else:
        getattr(client, action)(login)


def _form_context(request: HttpRequest, form_class, agent: Agent) -> dict:
    """A transfer offers the agents this user may act on (their team's)."""
    if form_class is not TransferForm:
        return {}
    agents = scope_of(request.user).agents(Agent.objects.filter(active=True))
    return {"agent": agent, "agents": agents}


@login_required
def last_queue_call(request: HttpRequest, login: str) -> HttpResponse:
    """The agent's last queue call of the last 24 hours, asked of Thulium when a supervisor
    opens it (GET agents/:login/last_queue_call); never on the live path."""
    agent = _in_scope(request, login)
    context = {"agent": agent, "last_call": None, "error": None}
    try:
        context["last_call"] = client.get_last_queue_call(login)
    except ThuliumError as exc:
        context["error"] = exc
    return render(request, "dashboard/board.html#last-call", context)
