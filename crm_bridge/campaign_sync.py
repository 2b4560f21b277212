"""Campaign polling: outbounds/stats often, the campaign list and agent lists less often.

Like crm_bridge.sync: constant queries when nothing changed, bulk writes of the changed rows
only, and campaigns_changed sent after the commit. Poll health lands in PollState.
"""

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from . import outbounds
from .client import ThuliumAPIError, ThuliumBadBody, ThuliumError
from .models import Campaign, CampaignSample, PollState
from .parse import tenant_tz
from .signals import notify_campaigns_changed
from .sync import _health

log = logging.getLogger(__name__)

STATS = "campaign-stats"
LIST = "campaign-list"
# + a campaign id: that campaign's GET outbounds/:id/agents failed; the row goes on the next
# good answer. What Thulium said shows on the campaign.
AGENTS = "campaign-agents:"
KEEP_SAMPLES = timedelta(days=2)
STATS_FIELDS = ["records_count", "completion_percent", "active", "sampled_at"]
LIST_FIELDS = ["name", "crm", "order", "parity", "agents", "gone"]
OPTIONAL_FIELDS = ["dialer", "active", "start_date", "end_date", "group_id", "parameters"]


def today_start() -> datetime:
    """00:00 today in THULIUM_TIMEZONE, the start of every "today" figure."""
    now = timezone.now().astimezone(tenant_tz())
    return datetime.combine(now.date(), time.min, tzinfo=tenant_tz())


def poll_stats() -> list[str]:
    """One outbounds/stats cycle. Returns the ids whose figures changed.

    Completion is sampled (at most every THULIUM_CAMPAIGN_SAMPLE_SECONDS per campaign, and only
    when it moved) for today's sparkline.
    """
    with _health(STATS):
        stats = {s.campaign_id: s for s in outbounds.get_all_stats()}
    campaigns = {c.campaign_id: c for c in Campaign.objects.only("campaign_id", *STATS_FIELDS)}
    now = timezone.now()
    every = timedelta(seconds=settings.THULIUM_CAMPAIGN_SAMPLE_SECONDS)
    changed, created, samples = [], [], []
    for campaign_id, info in stats.items():
        campaign = campaigns.get(campaign_id)
        new = campaign is None
        if new:
            campaign = Campaign(campaign_id=campaign_id, name=campaign_id)
        if not campaign.apply_stats(info.records_count, info.completion_percent) and not new:
            continue
        if campaign.sampled_at is None or now - campaign.sampled_at >= every:
            campaign.sampled_at = now
            samples.append(
                CampaignSample(
                    campaign_id=campaign_id,
                    at=now,
                    completion_percent=info.completion_percent or 0,
                    records_count=info.records_count or 0,
                )
            )
        (created if new else changed).append(campaign)
    for campaign_id, campaign in campaigns.items():
        if campaign_id not in stats and campaign.active:
            campaign.active = False  # stats list active campaigns only
            changed.append(campaign)
    if not (created or changed):
        return []
    with transaction.atomic():
        if created:
            Campaign.objects.bulk_create(created, ignore_conflicts=True)
        if changed:
            Campaign.objects.bulk_update(changed, STATS_FIELDS)
        if samples:
            CampaignSample.objects.bulk_create(samples)
        notify_campaigns_changed([c.campaign_id for c in changed + created])
    return [c.campaign_id for c in changed + created]


def _agents_of(campaign_id: str) -> list[dict] | None:
    try:
        agents = outbounds.get_campaign_agents(campaign_id)
    except ThuliumAPIError as exc:
        if exc.status == 404:
            return None  # removed between the two calls
        raise
    return sorted(
        ({"login": a.login, "active_in_outbound": a.active_in_outbound} for a in agents),
        key=lambda a: a["login"],
    )


def _all_agents(infos: list[outbounds.CampaignInfo]) -> tuple[dict, dict]:
    """({id: agents or None}, {id: the error}) for every listed campaign.

    A campaign Thulium answers with an error (403, 410, 5xx, a body that cannot be read) keeps
    its last known agents and carries the error; the others go on. No answer at all (timeout,
    refused connection) stops the poll: that is Thulium as a whole, not one campaign.
    """
    agents, errors = {}, {}
    for info in infos:
        try:
            agents[info.campaign_id] = _agents_of(info.campaign_id)
        except (ThuliumAPIError, ThuliumBadBody) as exc:
            agents[info.campaign_id], errors[info.campaign_id] = None, exc
            log.warning(
                "Thulium refused campaign %s's agents: %s (request_id=%s)",
                info.campaign_id,
                exc,
                exc.request_id,
            )
    return agents, errors


def _record_agent_errors(errors: dict, now) -> list[str]:
    """Keep each failing campaign's error in PollState, drop those that answered well this
    time. Returns the ids whose shown error changed. One read when nothing changed."""
    states = {s.name[len(AGENTS) :]: s for s in PollState.objects.filter(name__startswith=AGENTS)}
    changed = [cid for cid in states if cid not in errors]
    if changed:
        PollState.objects.filter(name__in=[AGENTS + cid for cid in changed]).delete()
    for cid, exc in errors.items():
        state = states.get(cid) or PollState(name=AGENTS + cid, failing_since=now)
        text = f"Thulium answered HTTP {exc.status}: {exc.message}" if exc.status else exc.message
        if (state.last_error, state.last_request_id) != (text, exc.request_id):
            changed.append(cid)
        state.last_error, state.last_request_id, state.last_attempt = text, exc.request_id, now
        state.save()
    return changed


def agent_errors(campaign_ids: list[str]) -> dict[str, PollState]:
    """{id: PollState} for the campaigns whose agents Thulium last refused."""
    names = [AGENTS + cid for cid in campaign_ids]
    return {s.name[len(AGENTS) :]: s for s in PollState.objects.filter(name__in=names)}


def _apply_info(campaign: Campaign, info: outbounds.CampaignInfo, agents: list | None) -> bool:
    values = {"name": info.name, "crm": info.crm, "gone": False}
    if info.order is not None:
        values["order"] = info.order
    if info.parity is not None:
        values["parity"] = info.parity
    if agents is not None:
        values["agents"] = agents
    for name in OPTIONAL_FIELDS:  # only when this Thulium sends them
        value = getattr(info, name)
        if value not in (None, ""):
            values[name] = value
    dirty = any(getattr(campaign, k) != v for k, v in values.items())
    for key, value in values.items():
        setattr(campaign, key, value)
    return dirty


def poll_list() -> int:
    """GET outbounds plus each campaign's agents (every minute). Returns campaigns seen.

    One campaign whose agents Thulium refuses does not stop the others (_all_agents).
    """
    with _health(LIST):
        infos = outbounds.get_campaigns()
        agents, errors = _all_agents(infos)
    existing = {c.campaign_id: c for c in Campaign.objects.all()}
    changed, created = [], []
    for info in infos:
        campaign = existing.get(info.campaign_id)
        if campaign is None:
            campaign = Campaign(campaign_id=info.campaign_id)
            _apply_info(campaign, info, agents[info.campaign_id])
            created.append(campaign)
        elif _apply_info(campaign, info, agents[info.campaign_id]):
            changed.append(campaign)
    seen = {info.campaign_id for info in infos}
    for campaign_id, campaign in existing.items():
        if campaign_id not in seen and not campaign.gone:
            campaign.gone, campaign.active = True, False
            changed.append(campaign)
    with transaction.atomic():
        if created:
            Campaign.objects.bulk_create(created, ignore_conflicts=True)
        if changed:
            Campaign.objects.bulk_update(changed, LIST_FIELDS + OPTIONAL_FIELDS)
        CampaignSample.objects.filter(at__lt=timezone.now() - KEEP_SAMPLES).delete()
        shown = _record_agent_errors(errors, timezone.now())
        notify_campaigns_changed(sorted({c.campaign_id for c in changed + created} | set(shown)))
    return len(infos)


def remember_sent(campaign_id: str, data: dict) -> None:
    """Keep what the dashboard itself sent (create, edit, clone): the document's GET outbounds
    does not return dialer, dates, group or parameters."""
    campaign, _ = Campaign.objects.get_or_create(
        campaign_id=campaign_id, defaults={"name": data.get("name") or campaign_id}
    )
    for key in ("name", "dialer", "active", "crm", "order", "parity", "group_id"):
        if data.get(key) not in (None, ""):
            setattr(campaign, key, data[key])
    for key in ("start_date", "end_date"):
        if data.get(key):
            setattr(campaign, key, data[key])
    if data.get("parameters"):
        campaign.parameters = {**campaign.parameters, **data["parameters"]}
    campaign.gone = False
    campaign.save()


def refresh_campaign(campaign_id: str) -> bool:
    """Fetch one campaign's agents and stats now (after a change) and push it.

    Returns False when Thulium could not be asked; a campaign Thulium no longer knows is marked
    gone.
    """
    try:
        agents = _agents_of(campaign_id)
        stats = outbounds.get_stats(campaign_id) if agents is not None else None
    except ThuliumError as exc:
        log.info("Could not refresh campaign %s after a change: %s", campaign_id, exc)
        return False
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().filter(campaign_id=campaign_id).first()
        if campaign is None:
            return True
        if agents is None:
            campaign.gone, campaign.active = True, False
        else:
            campaign.agents = agents
            campaign.records_count = stats.records_count
            campaign.completion_percent = stats.completion_percent
            PollState.objects.filter(name=AGENTS + campaign_id).delete()  # a good answer
        campaign.save()
        notify_campaigns_changed([campaign_id])
    return True


def mark_gone(campaign_ids: list[str]) -> None:
    """Deleted campaigns leave the screens at once (Thulium removes them in the background)."""
    with transaction.atomic():
        Campaign.objects.filter(campaign_id__in=campaign_ids).update(gone=True, active=False)
        notify_campaigns_changed(campaign_ids)
