"""Webhook events moving agents' live state at once (the polls reconcile: crm_bridge/sync.py).

- An event dated before the agent's current state does not move it back.
- A pause or unpause during a call keeps the call and is pending until the call ends; a call
  made from a pause returns to it.
- A call ends (AGENT_COMPLETED, AGENT_NOT_ANSWERED, OUTBOUND_COMPLETED or any other outbound
  outcome) only when it is the agent's current call; the agent then takes the pending state.
- AGENT_PHONE_CONNECTED records the agent's phone; a logout makes it "not connected".
"""

from django.utils import timezone

from . import rows
from .campaign_events import FAILED_OUTCOMES
from .models import Agent, WebhookEvent
from .models.agents import ON_CALL, AgentStatus
from .parse import to_int, to_str
from .signals import notify_agents_changed

INT_MAX = 2_147_483_647  # an IntegerField's largest value

# Outbound events carry agent_login only once an agent is on the call (not for a predictive
# dial still looking for one), so they move an agent when they name one.
OUTBOUND_AGENT_ACTIONS = {
    "OUTBOUND_CONNECTING",
    "OUTBOUND_CUSTOMER_CONNECTED",
    "PREDICTIVE_AGENT_ANSWER",
    "PREVIEW_RECORD",
    "OUTBOUND_COMPLETED",
} | FAILED_OUTCOMES

AGENT_ACTIONS = {
    "AGENT_LOGGED_IN",
    "AGENT_LOGGED_OUT",
    "AGENT_STATUS_CHANGED",
    "AGENT_PHONE_CONNECTED",
    "AGENT_RINGING",
    "AGENT_CONNECTED",
    "AGENT_COMPLETED",
    "AGENT_NOT_ANSWERED",
}

# The status each agent event leads to, whatever state the agent was in. Pauses during a
# call and call ends depend on that state: see _move.
STATUS_AFTER = {
    "AGENT_LOGGED_IN": AgentStatus.FREE,
    "AGENT_LOGGED_OUT": AgentStatus.OFF,
    "AGENT_RINGING": AgentStatus.RINGING,
    "AGENT_CONNECTED": AgentStatus.INBOUND_CALL,
    "OUTBOUND_CONNECTING": AgentStatus.OUTBOUND_CALL,
    "OUTBOUND_CUSTOMER_CONNECTED": AgentStatus.OUTBOUND_CALL,
    "PREDICTIVE_AGENT_ANSWER": AgentStatus.OUTBOUND_CALL,
    "PREVIEW_RECORD": AgentStatus.OUTBOUND_PREVIEW,
    "AGENT_NOT_ANSWERED": AgentStatus.FREE,
    "AGENT_COMPLETED": AgentStatus.FREE,
    "OUTBOUND_COMPLETED": AgentStatus.FREE,
    **dict.fromkeys(FAILED_OUTCOMES, AgentStatus.FREE),
}
OUTBOUND_ENDS = FAILED_OUTCOMES | {"OUTBOUND_COMPLETED"}
CALL_ENDS = OUTBOUND_ENDS | {"AGENT_COMPLETED", "AGENT_NOT_ANSWERED"}
# Where an outbound call may be when the events did not say which call the agent is on.
OUTBOUND_STATES = {
    AgentStatus.OUTBOUND_CALL,
    AgentStatus.OUTBOUND_PREVIEW,
    AgentStatus.CALL,
    AgentStatus.RINGING,
}


def apply_agent_event(event: WebhookEvent) -> bool:
    """Move the agent's live state for one event; returns whether the board changed."""
    if event.action not in AGENT_ACTIONS | OUTBOUND_AGENT_ACTIONS or not event.agent_login:
        return False
    agent = rows.get_or_create(Agent, login=event.agent_login)
    data, when = event.data or {}, event.event_date
    if event.action == "AGENT_PHONE_CONNECTED":
        # Only a logout after it makes it stale (a call since then does not).
        off = agent.status == AgentStatus.OFF
        if off and agent.status_since and when and when < agent.status_since:
            return False
        changed = agent.set_phone(to_str(data.get("phone_number"))[:50])
    else:
        if agent.status_since and when and when < agent.status_since:
            return False
        changed = _move(agent, event.action, data, when)
    if not changed:
        return False
    rows.save(agent)
    notify_agents_changed([agent.login])
    return True


def _move(agent: Agent, action: str, data: dict, when) -> bool:
    now = timezone.now()
    before = (agent.status, agent.pause_id)
    if action == "AGENT_STATUS_CHANGED":
        changed = agent.set_presence(_id(data.get("pause_id")), when, now)
    elif action in CALL_ENDS:
        changed = _ends_current_call(agent, action, data) and agent.end_call(when, now)
    else:
        after = STATUS_AFTER[action]
        call = _call_of(data, outbound=action in OUTBOUND_AGENT_ACTIONS)
        changed = agent.apply_status(after, None, when, call=call, now=now)
    if (agent.status, agent.pause_id) != before:
        # The poll may have been answered before this: it corrects only at the second poll.
        agent.webhook_at, agent.poll_disagreements = now, 0
    return changed


def status_after(action: str, data: dict) -> tuple[str, int | None] | None:
    """(status, pause_id) an agent event leads to when the agent is not on a call."""
    if action == "AGENT_STATUS_CHANGED":
        pause_id = _id(data.get("pause_id"))
        return (AgentStatus.FREE, None) if pause_id is None else (AgentStatus.PAUSED, pause_id)
    status = STATUS_AFTER.get(action)
    return None if status is None else (status, None)


def _id(value) -> int | None:
    """A pause or queue id that fits the column, else None."""
    number = to_int(value)
    return number if number is not None and 0 <= number <= INT_MAX else None


def _call_of(data: dict, outbound: bool = False) -> dict:
    return {
        "number": (to_str(data.get("source_number")) or to_str(data.get("phone_number")))[:50],
        "queue_id": None if outbound else _id(data.get("queue_id")),
        "connection_id": to_str(data.get("connection_id"))[:64],
        "campaign_id": to_str(data.get("id"))[:5] if outbound else "",
    }


def _ends_current_call(agent: Agent, action: str, data: dict) -> bool:
    """Whether this call end is for the call the agent is on."""
    if agent.status not in ON_CALL:
        return False
    if action == "AGENT_NOT_ANSWERED" and agent.status != AgentStatus.RINGING:
        return False
    connection_id = to_str(data.get("connection_id"))
    if connection_id and agent.call_connection_id:
        return connection_id == agent.call_connection_id
    if action in OUTBOUND_ENDS:
        # Either side does not say which call: the agent must be on an outbound call (or one
        # we know nothing of) of that campaign.
        campaign_id = to_str(data.get("id"))[:5]
        return (
            agent.status in OUTBOUND_STATES
            and agent.call_queue_id is None
            and agent.call_campaign_id in ("", campaign_id)
        )
    return True
