from .agents import Agent, AgentGroup, AgentStatus, PauseReason
from .campaigns import Campaign, CampaignDay, CampaignSample, Dialer
from .events import ActionLog, PollState, WebhookEvent
from .intervals import QueueInterval

__all__ = [
    "ActionLog",
    "Agent",
    "AgentGroup",
    "AgentStatus",
    "Campaign",
    "CampaignDay",
    "CampaignSample",
    "Dialer",
    "PauseReason",
    "PollState",
    "QueueInterval",
    "WebhookEvent",
]
