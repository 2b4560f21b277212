"""What the campaign screens show, shared by the pages and the live push (constant queries)."""

from django.utils import timezone

from crm_bridge import campaign_sync
from crm_bridge.campaign_events import OUTCOME_LABELS
from crm_bridge.campaign_sync import today_start
from crm_bridge.models import Agent, AgentStatus, Campaign, CampaignDay, CampaignSample, PollState

SPARK_W, SPARK_H = 120, 24


def visible():
    return Campaign.objects.filter(gone=False)


def decorate(campaigns: list[Campaign]) -> list[Campaign]:
    """Add today's outcomes, the agents' live state, the sparkline and what Thulium last said
    when it refused the campaign's agents (`agents_error`): four queries in all."""
    ids = [c.campaign_id for c in campaigns]
    start = today_start()
    days = {
        d.campaign_id: d for d in CampaignDay.objects.filter(campaign_id__in=ids, day=start.date())
    }
    logins = {login for c in campaigns for login in c.logins}
    agents = {a.login: a for a in Agent.objects.filter(login__in=logins)}
    samples: dict[str, list] = {}
    for s in CampaignSample.objects.filter(campaign_id__in=ids, at__gte=start).only(
        "campaign_id", "at", "completion_percent"
    ):
        samples.setdefault(s.campaign_id, []).append((s.at, s.completion_percent))
    errors = campaign_sync.agent_errors(ids)
    now = timezone.now()
    for campaign in campaigns:
        campaign.today = days.get(campaign.campaign_id) or CampaignDay(
            campaign_id=campaign.campaign_id, day=start.date()
        )
        campaign.outcome_mix = [
            (OUTCOME_LABELS.get(k, k.title()), n) for k, n in campaign.today.outcome_mix
        ]
        members = []
        for entry in campaign.agents:
            agent = agents.get(entry["login"]) or Agent(login=entry["login"])
            agent.active_in_outbound = entry.get("active_in_outbound", True)
            agent.campaign_call = entry["login"] in campaign.on_call
            members.append(agent)
        campaign.members = members
        campaign.free_now = sum(
            1 for a in members if a.status == AgentStatus.FREE and a.active_in_outbound
        )
        campaign.talking = sorted(campaign.on_call)
        campaign.agents_error = errors.get(campaign.campaign_id)
        campaign.spark = sparkline(samples.get(campaign.campaign_id, []), campaign, start, now)
    return campaigns


def sparkline(points: list, campaign: Campaign, start, now) -> str:
    """SVG polyline points for today's completion, carried on to now at the current value."""
    if campaign.completion_percent is not None:
        points = [*points, (now, campaign.completion_percent)]
    if len(points) < 2:
        return ""
    span = max((now - start).total_seconds(), 1)
    return " ".join(
        f"{SPARK_W * (at - start).total_seconds() / span:.1f},"
        f"{SPARK_H - SPARK_H * min(max(value, 0), 100) / 100:.1f}"
        for at, value in points
    )


def campaigns_context(ids: list[str] | None = None) -> dict:
    """The rows; for the whole list also the campaign polls that are failing now."""
    campaigns = visible() if ids is None else Campaign.objects.filter(campaign_id__in=ids)
    context = {"campaigns": decorate(list(campaigns)), "spark_w": SPARK_W, "spark_h": SPARK_H}
    if ids is None:
        context["poll_problems"] = PollState.objects.filter(
            name__in=[campaign_sync.LIST, campaign_sync.STATS], failing_since__isnull=False
        ).order_by("name")
    return context


def campaigns_with(logins: list[str]) -> list[str]:
    """Ids of the visible campaigns any of these agents work (for pushing free-now counts)."""
    wanted = set(logins)
    return [
        c.campaign_id
        for c in visible().only("campaign_id", "agents")
        if wanted.intersection(c.logins)
    ]
