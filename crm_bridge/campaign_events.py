"""Outbound results from the webhook feed: today's attempts, contacts, drops, outcome mix and
talk time per campaign, and which agents are on a call in each campaign right now.

Every finished call was an attempt, and a talked one (OUTBOUND_COMPLETED) was connected,
whatever arrived: a connection counts one attempt at its first OUTBOUND_CONNECTING or
outcome, and is connected at its first OUTBOUND_CUSTOMER_CONNECTED or OUTBOUND_COMPLETED
(the pipeline applies events in id order, so "first" is the smallest stored id). Events with
no connection_id count an attempt at OUTBOUND_CONNECTING and a contact at
OUTBOUND_CUSTOMER_CONNECTED only.
"""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Campaign, CampaignDay, WebhookEvent
from .parse import tenant_tz, to_int, to_str
from .signals import notify_campaigns_changed

# Calls that ended without a conversation: counted in the outcome mix under their short name.
FAILED_OUTCOMES = {
    "OUTBOUND_BUSY",
    "OUTBOUND_NO_ANSWER",
    "OUTBOUND_VOICE_MAIL",
    "OUTBOUND_FAILURE",
    "OUTBOUND_FAX",
    "OUTBOUND_WRONG_NUMBER",
    "OUTBOUND_CONNECTION_PROBLEM",
    "OUTBOUND_BLACKLIST",
    "OUTBOUND_AGENT_FAILED",
    "OUTBOUND_DROP",
}
CALL_STARTS = {"OUTBOUND_CUSTOMER_CONNECTED", "PREDICTIVE_AGENT_ANSWER"}
CALL_ENDS = FAILED_OUTCOMES | {"OUTBOUND_COMPLETED"}
ATTEMPT = CALL_ENDS | {"OUTBOUND_CONNECTING"}  # the first of these counts a connection's attempt
CONNECTED = {"OUTBOUND_CUSTOMER_CONNECTED", "OUTBOUND_COMPLETED"}  # ... and its contact
INT_MAX = 2_147_483_647  # an IntegerField's largest value
OUTBOUND_ACTIONS = (
    CALL_ENDS | CALL_STARTS | {"OUTBOUND_CONNECTING", "OUTBOUND_RECORD_SAVED", "PREVIEW_RECORD"}
)
OUTCOME_LABELS = {
    "COMPLETED": _("Talked"),
    "BUSY": _("Busy"),
    "NO_ANSWER": _("No answer"),
    "VOICE_MAIL": _("Voice mail"),
    "DROP": _("Dropped"),
    "FAILURE": _("Failure"),
    "FAX": _("Fax"),
    "WRONG_NUMBER": _("Wrong number"),
    "CONNECTION_PROBLEM": _("Carrier problem"),
    "BLACKLIST": _("Blacklisted"),
    "AGENT_FAILED": _("Agent phone failed"),
}


def outcome_key(action: str) -> str:
    return action.removeprefix("OUTBOUND_")


def apply_outbound_event(event: WebhookEvent) -> bool:
    """Count one outbound event into its campaign's day; returns whether anything changed.

    Runs inside the pipeline's batch transaction (crm_bridge/pipeline.py).
    """
    campaign_id = to_str(event.data.get("id"))
    if event.action not in OUTBOUND_ACTIONS or not campaign_id:
        return False
    moment = (event.event_date or timezone.now()).astimezone(tenant_tz())
    day, _ = CampaignDay.objects.select_for_update().get_or_create(
        campaign_id=campaign_id[:5], day=moment.date()
    )
    action, data = event.action, event.data
    attempt, connected = _firsts(event)
    day.attempts += attempt
    day.connected += connected
    if action == "OUTBOUND_RECORD_SAVED":
        day.records_saved += 1
    elif action == "PREVIEW_RECORD":
        day.previews += 1
    if action in CALL_ENDS:
        key = outcome_key(action)
        day.outcomes[key] = day.outcomes.get(key, 0) + 1
    if action == "OUTBOUND_DROP":
        day.drops += 1
    if action == "OUTBOUND_COMPLETED":
        seconds = to_int(data.get("billsec")) or to_int(data.get("duration")) or 0
        day.talk_seconds = min(INT_MAX, day.talk_seconds + max(0, min(seconds, INT_MAX)))
    day.save()
    if action in CALL_STARTS or action in CALL_ENDS:
        _track_call(campaign_id[:5], to_str(data.get("name")), event)
    notify_campaigns_changed([campaign_id[:5]])
    return True


def _firsts(event: WebhookEvent) -> tuple[bool, bool]:
    """Whether this event counts its connection's attempt, and its contact."""
    action = event.action
    connection_id = event.connection_id or to_str(event.data.get("connection_id"))[:64]
    if action not in ATTEMPT | CONNECTED:
        return False, False
    if not connection_id:
        return action == "OUTBOUND_CONNECTING", action == "OUTBOUND_CUSTOMER_CONNECTED"
    earlier = WebhookEvent.objects.filter(
        connection_id=connection_id, action__in=ATTEMPT | CONNECTED
    )
    if event.pk is not None:
        earlier = earlier.filter(pk__lt=event.pk)
    seen = set(earlier.values_list("action", flat=True).distinct())
    return (
        action in ATTEMPT and not seen & ATTEMPT,
        action in CONNECTED and not seen & CONNECTED,
    )


def _track_call(campaign_id: str, name: str, event: WebhookEvent) -> None:
    """Who is talking to this campaign's customers now (by agent, keyed by connection)."""
    login = event.agent_login
    if not login:
        return
    campaign, _ = Campaign.objects.select_for_update().get_or_create(
        campaign_id=campaign_id, defaults={"name": name or campaign_id}
    )
    current = campaign.on_call.get(login)
    if event.action in CALL_STARTS:
        campaign.on_call[login] = event.connection_id
    elif current is not None and (
        current == event.connection_id or not (current and event.connection_id)
    ):
        # The call it names, or one side does not say which: the agent's call in it ended.
        del campaign.on_call[login]
    else:
        return
    campaign.save(update_fields=["on_call", "updated_at"])
