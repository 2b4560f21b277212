"""The agent list editor: preview who will be added and removed, then send it to Thulium."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm_bridge import campaign_sync, outbounds
from crm_bridge.client import ThuliumError
from crm_bridge.models import Agent, Campaign

from ..campaign_forms import AgentListForm
from .campaigns import campaign_admin_required, editor_context, log_change, thulium_failure

TEMPLATE = "dashboard/campaign_detail.html"


def _names(logins: list[str]) -> list[Agent]:
    known = {a.login: a for a in Agent.objects.filter(login__in=logins)}
    return [known.get(login) or Agent(login=login) for login in logins]


@login_required
@campaign_admin_required
@require_POST
def agents_preview(request: HttpRequest, campaign_id: str) -> HttpResponse:
    """Who would be added and removed; nothing is sent yet."""
    campaign = get_object_or_404(Campaign, campaign_id=campaign_id, gone=False)
    form = AgentListForm(request.POST)
    context = {"campaign": campaign, "agent_form": form, "can_manage": True}
    if not form.is_valid():
        return render(request, f"{TEMPLATE}#agent-preview", context)
    to_add, to_remove = form.plan(campaign.logins)
    context.update(
        action=form.cleaned_data["action"],
        action_label=dict(form.fields["action"].choices)[form.cleaned_data["action"]],
        chosen=form.cleaned_data["chosen"],
        to_add=_names(to_add),
        to_remove=_names(to_remove),
    )
    return render(request, f"{TEMPLATE}#agent-preview", context)


@login_required
@campaign_admin_required
@require_POST
def agents_apply(request: HttpRequest, campaign_id: str) -> HttpResponse:
    """Send add_agents, remove_agents or set_agents; show the result per agent."""
    campaign = get_object_or_404(Campaign, campaign_id=campaign_id, gone=False)
    form = AgentListForm(request.POST)
    if not form.is_valid():
        context = {"campaign": campaign, "agent_form": form, "can_manage": True}
        return render(request, f"{TEMPLATE}#agent-preview", context)
    action, chosen = form.cleaned_data["action"], form.cleaned_data["chosen"]
    to_add, to_remove = form.plan(campaign.logins)
    call = {
        "add": outbounds.add_agents,
        "remove": outbounds.remove_agents,
        "set": outbounds.set_agents,
    }[action]
    error = None
    try:
        call(campaign_id, chosen)
    except ThuliumError as exc:
        error = exc
    log_change(request, campaign_id, f"{action}_agents", {"logins": chosen}, error)
    campaign_sync.refresh_campaign(campaign_id)
    campaign.refresh_from_db()
    now = set(campaign.logins)
    added, removed = _("added"), _("removed")
    results = [{"agent": a, "change": added, "ok": a.login in now} for a in _names(to_add)] + [
        {"agent": a, "change": removed, "ok": a.login not in now} for a in _names(to_remove)
    ]
    if error is not None:
        messages.error(
            request,
            _("Changing the agents of %(campaign)s failed: %(error)s")
            % {"campaign": campaign, "error": thulium_failure(error)},
        )
    else:
        messages.success(
            request, f"{campaign}: {len(to_add)} agent(s) added, {len(to_remove)} removed."
        )
    if not request.htmx:
        return redirect("campaign-detail", campaign_id)
    context = {**editor_context(campaign), "results": results, "can_manage": True}
    context["agent_form"] = AgentListForm()
    return render(request, f"{TEMPLATE}#agent-editor", context)
