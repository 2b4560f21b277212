"""Webhook events moving agents' live state at once (the next poll reconciles)."""

from .models import Agent, WebhookEvent
from .models.agents import AgentStatus
from .parse import to_int, to_str
from .signals import notify_agents_changed

# Outbound events carry agent_login only once an agent is on the call (not for a predictive
# dial still looking for one), so they move an agent when they name one.
OUTBOUND_AGENT_ACTIONS = {
    "OUTBOUND_CUSTOMER_CONNECTED",
    "PREDICTIVE_AGENT_ANSWER",
    "PREVIEW_RECORD",
    "OUTBOUND_COMPLETED",
}

AGENT_ACTIONS = {
    "AGENT_LOGGED_IN",
    "AGENT_LOGGED_OUT",
    "AGENT_STATUS_CHANGED",
    "AGENT_RINGING",
    "AGENT_CONNECTED",
    "AGENT_COMPLETED",
    "AGENT_NOT_ANSWERED",
}


def apply_agent_event(event: WebhookEvent) -> bool:
    """Move the agent's live state for one event; returns whether the board changed.

    An event dated before the agent's current state does not move it back.
    """
    if event.action not in AGENT_ACTIONS | OUTBOUND_AGENT_ACTIONS or not event.agent_login:
        return False
    agent, _ = Agent.objects.get_or_create(login=event.agent_login)
    if agent.status_since and event.event_date and event.event_date < agent.status_since:
        return False
    target = _target_state(agent, event.action, event.data)
    if target is None:
        return False
    status, pause_id, call = target
    if not agent.apply_status(status, pause_id, event.event_date, call=call):
        return False
    agent.save()
    notify_agents_changed([agent.login])
    return True


def _call_of(data: dict, campaign: bool = False) -> dict:
    return {
        "number": to_str(data.get("source_number")) or to_str(data.get("phone_number")),
        "queue_id": to_int(data.get("queue_id")),
        "connection_id": to_str(data.get("connection_id")),
        "campaign_id": to_str(data.get("id"))[:5] if campaign else "",
    }


def _same_call(agent: Agent, data: dict) -> bool:
    connection_id = to_str(data.get("connection_id"))
    return (
        not agent.call_connection_id
        or not connection_id
        or (agent.call_connection_id == connection_id)
    )


# The status each agent event leads to. Ending a call (the last three) only applies to the
# call the agent is on; see _target_state.
STATUS_AFTER = {
    "AGENT_LOGGED_IN": AgentStatus.FREE,
    "AGENT_LOGGED_OUT": AgentStatus.OFF,
    "AGENT_RINGING": AgentStatus.RINGING,
    "AGENT_CONNECTED": AgentStatus.INBOUND_CALL,
    "OUTBOUND_CUSTOMER_CONNECTED": AgentStatus.OUTBOUND_CALL,
    "PREDICTIVE_AGENT_ANSWER": AgentStatus.OUTBOUND_CALL,
    "PREVIEW_RECORD": AgentStatus.OUTBOUND_PREVIEW,
    "AGENT_NOT_ANSWERED": AgentStatus.FREE,
    "AGENT_COMPLETED": AgentStatus.FREE,
    "OUTBOUND_COMPLETED": AgentStatus.FREE,
}
CALL_STARTS = {"AGENT_RINGING", "AGENT_CONNECTED"}
OUTBOUND_CALL_STARTS = {"OUTBOUND_CUSTOMER_CONNECTED", "PREDICTIVE_AGENT_ANSWER", "PREVIEW_RECORD"}


def status_after(action: str, data: dict) -> tuple[str, int | None] | None:
    """(status, pause_id) an agent event leads to, whatever state the agent was in."""
    if action == "AGENT_STATUS_CHANGED":
        pause_id = to_int(data.get("pause_id"))
        return (AgentStatus.FREE, None) if pause_id is None else (AgentStatus.PAUSED, pause_id)
    status = STATUS_AFTER.get(action)
    return None if status is None else (status, None)


def _target_state(agent: Agent, action: str, data: dict):
    """(status, pause_id, call) the event leads to, or None when it should not move the agent."""
    after = status_after(action, data)
    if after is None:
        return None
    status, pause_id = after
    if action == "AGENT_NOT_ANSWERED" and agent.status != AgentStatus.RINGING:
        return None
    if action in ("AGENT_NOT_ANSWERED", "AGENT_COMPLETED", "OUTBOUND_COMPLETED"):
        if not (agent.on_call and _same_call(agent, data)):
            return None
    if action in CALL_STARTS:
        return status, pause_id, _call_of(data)
    if action in OUTBOUND_CALL_STARTS:
        return status, pause_id, _call_of(data, campaign=True)
    return status, pause_id, None
