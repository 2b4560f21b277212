"""Campaign screens a supervisor reads: the live list, one campaign's detail, its records."""

from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from crm_bridge import outbounds
from crm_bridge.client import ThuliumError
from crm_bridge.models import ActionLog, Agent, AgentGroup, Campaign
from crm_bridge.sync import data_health

from ..campaign_board import campaigns_context, decorate
from ..campaign_forms import AgentListForm

RECORDS_PER_PAGE = 25
MANAGE = "crm_bridge.manage_campaigns"
# Every URL that changes a campaign or its agents carries this (403 for supervisors).
campaign_admin_required = permission_required(MANAGE, raise_exception=True)


def thulium_failure(exc: ThuliumError) -> str:
    suffix = f" (request_id {exc.request_id})" if exc.request_id else ""
    return f"{exc.message}{suffix}"


def log_change(request, target: str, action: str, params: dict, exc=None) -> ActionLog:
    """Record who changed what, and how Thulium answered."""
    return ActionLog.objects.create(
        user=request.user,
        target=target,
        action=action,
        params=params,
        ok=exc is None,
        http_status=getattr(exc, "status", None),
        request_id=getattr(exc, "request_id", "") or "",
        message=exc.message if exc is not None else "",
    )


@login_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    context = campaigns_context()
    context.update(nav="campaigns", health=data_health(), can_manage=request.user.has_perm(MANAGE))
    return render(request, "dashboard/campaigns.html", context)


@login_required
def campaign_detail(request: HttpRequest, campaign_id: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, campaign_id=campaign_id, gone=False)
    decorate([campaign])
    statuses, statuses_error = [], ""
    try:
        statuses = outbounds.get_campaign_statuses(campaign_id)
    except ThuliumError as exc:
        statuses_error = thulium_failure(exc)
    context = {
        "nav": "campaigns",
        "campaign": campaign,
        "statuses": statuses,
        "statuses_error": statuses_error,
        "can_manage": request.user.has_perm(MANAGE),
        "agent_form": AgentListForm(),
        "groups": AgentGroup.objects.all(),
        "system_statuses": outbounds.SYSTEM_STATUSES,
        "history": ActionLog.objects.filter(target=campaign_id).select_related("user")[:10],
        **records_context(request, campaign),
        **editor_context(campaign),
    }
    return render(request, "dashboard/campaign_detail.html", context)


def editor_context(campaign: Campaign) -> dict:
    """The agent list editor: current agents with live status, and everyone to pick from."""
    if not hasattr(campaign, "members"):
        decorate([campaign])
    current = set(campaign.logins)
    candidates = [a for a in Agent.objects.filter(active=True) if a.login not in current]
    return {"campaign": campaign, "candidates": candidates}


def records_context(request: HttpRequest, campaign: Campaign) -> dict:
    chosen = request.GET.get("system_status", "")
    page = int(request.GET["page"]) if request.GET.get("page", "").isdigit() else 1
    page = max(page, 1)
    context = {"records_status": chosen, "records_page": page, "records_error": ""}
    try:
        result = outbounds.get_records(
            campaign.campaign_id,
            crm=campaign.crm,
            limit=RECORDS_PER_PAGE,
            offset=(page - 1) * RECORDS_PER_PAGE,
            system_statuses=[chosen] if chosen else None,
        )
    except ThuliumError as exc:
        context["records_error"] = thulium_failure(exc)
        return context
    pages = max((result.count + RECORDS_PER_PAGE - 1) // RECORDS_PER_PAGE, 1)
    context.update(
        records=result.records,
        records_count=result.count,
        records_pages=pages,
        records_prev=page - 1 if page > 1 else None,
        records_next=page + 1 if page < pages else None,
    )
    return context


@login_required
def campaign_records(request: HttpRequest, campaign_id: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, campaign_id=campaign_id)
    context = {
        "campaign": campaign,
        "system_statuses": outbounds.SYSTEM_STATUSES,
        **records_context(request, campaign),
    }
    return render(request, "dashboard/campaign_detail.html#records", context)
