"""Campaign administration: create, edit, clone and delete (campaign admins only)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm_bridge import campaign_sync, outbounds
from crm_bridge.client import ThuliumAPIError, ThuliumError
from crm_bridge.models import Campaign

from ..campaign_forms import CampaignForm, CloneForm, DeleteForm
from .campaigns import campaign_admin_required, log_change, thulium_failure

FORM = "dashboard/campaign_form.html"


def _send(request, form, target: str, action: str, call) -> str | None:
    """Call Thulium with the form's payload; on refusal put its errors on the form."""
    payload = form.payload()
    try:
        result = call(payload)
    except ThuliumError as exc:
        log_change(request, target, action, payload, exc)
        if isinstance(exc, ThuliumAPIError) and exc.status and exc.status < 500:
            form.add_thulium_errors(exc)
        else:
            form.add_error(
                None, _("Thulium did not answer: %(error)s") % {"error": thulium_failure(exc)}
            )
        return None
    target = result or target
    log_change(request, target, action, payload)
    campaign_sync.remember_sent(target, payload)
    campaign_sync.refresh_campaign(target)
    return target


@login_required
@campaign_admin_required
def campaign_create(request: HttpRequest) -> HttpResponse:
    form = CampaignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        new_id = _send(
            request,
            form,
            form.cleaned_data.get("campaign_id") or "(new)",
            "create",
            outbounds.create_campaign,
        )
        if new_id:
            messages.success(
                request,
                _("Campaign %(id)s %(name)s created.")
                % {"id": new_id, "name": form.cleaned_data["name"]},
            )
            return redirect("campaign-detail", new_id)
    context = {"form": form, "title": _("New campaign"), "nav": "campaigns"}
    return render(request, FORM, context)


@login_required
@campaign_admin_required
def campaign_edit(request: HttpRequest, campaign_id: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, campaign_id=campaign_id, gone=False)
    initial = {
        "name": campaign.name,
        "dialer": campaign.dialer,
        "active": campaign.active,
        "start_date": campaign.start_date,
        "end_date": campaign.end_date,
        "order": campaign.order,
        "parity": campaign.parity,
        "group_id": campaign.group_id,
        **campaign.parameters,
    }
    form = CampaignForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():

        def update(payload):
            outbounds.update_campaign(campaign_id, payload)
            return campaign_id

        if _send(request, form, campaign_id, "edit", update):
            messages.success(request, _("Campaign %(id)s saved.") % {"id": campaign_id})
            return redirect("campaign-detail", campaign_id)
    context = {
        "form": form,
        "title": _("Edit %(campaign)s") % {"campaign": campaign},
        "campaign": campaign,
        "nav": "campaigns",
    }
    return render(request, FORM, context)


@login_required
@campaign_admin_required
def campaign_clone(request: HttpRequest, campaign_id: str) -> HttpResponse:
    campaign = get_object_or_404(Campaign, campaign_id=campaign_id, gone=False)
    initial = {"name": _("%(name)s (copy)") % {"name": campaign.name}, **campaign.parameters}
    form = CloneForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():

        def clone(payload):
            return outbounds.clone_campaign(campaign_id, payload)

        new_id = _send(request, form, campaign_id, "clone", clone)
        if new_id:
            campaign_sync.remember_sent(new_id, {"dialer": campaign.dialer, "crm": campaign.crm})
            messages.success(
                request,
                _("Campaign %(id)s cloned as %(new)s.") % {"id": campaign_id, "new": new_id},
            )
            return redirect("campaign-detail", new_id)
    context = {
        "form": form,
        "title": _("Clone %(campaign)s") % {"campaign": campaign},
        "campaign": campaign,
        "nav": "campaigns",
    }
    return render(request, FORM, context)


@login_required
@campaign_admin_required
def campaign_delete(request: HttpRequest) -> HttpResponse:
    """Confirm, then delete one campaign (DELETE outbounds/:id) or several (batch)."""
    campaigns = Campaign.objects.filter(gone=False)
    choices = [(c.campaign_id, str(c)) for c in campaigns]
    data = request.POST if request.POST.get("confirm") else None
    form = DeleteForm(
        data,
        choices=choices,
        initial={"ids": request.POST.getlist("ids") or request.GET.getlist("ids")},
    )
    chosen = [c for c in campaigns if c.campaign_id in (form["ids"].value() or [])]
    context = {"form": form, "chosen": chosen, "nav": "campaigns"}
    if request.method == "POST" and data is not None and form.is_valid():
        ids, recordings = form.cleaned_data["ids"], form.cleaned_data["delete_recordings"]
        context["results"] = _delete(request, ids, recordings)
        campaign_sync.mark_gone(
            [r.campaign_id for r in context["results"] if r.ok or r.status == "NOT_EXIST"]
        )
    return render(request, "dashboard/campaign_delete.html", context)


def _delete(request, ids: list[str], recordings: bool) -> list[outbounds.BatchResult]:
    params = {"ids": ids, "delete_recordings": recordings}
    try:
        if len(ids) == 1:
            outbounds.delete_campaign(ids[0], recordings)
            results = [outbounds.BatchResult(ids[0], 204, "REMOVAL_QUEUED")]
        else:
            results = outbounds.delete_campaigns(ids, recordings)
    except ThuliumError as exc:
        for campaign_id in ids:
            log_change(request, campaign_id, "delete", params, exc)
        messages.error(request, _("Deleting failed: %(error)s") % {"error": thulium_failure(exc)})
        status = "NOT_EXIST" if getattr(exc, "status", None) == 404 else "FAILED"
        return [outbounds.BatchResult(i, exc.status, status) for i in ids]
    for result in results:
        entry = log_change(request, result.campaign_id, "delete", params)
        if not result.ok:
            entry.ok, entry.http_status, entry.message = False, result.http_status, result.status
            entry.save()
    done = sum(r.ok for r in results)
    queued = ngettext(
        "%(done)s of %(n)s campaign queued for removal.",
        "%(done)s of %(n)s campaigns queued for removal.",
        len(results),
    )
    messages.success(request, queued % {"done": done, "n": len(results)})
    return results
