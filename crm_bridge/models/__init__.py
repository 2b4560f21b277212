from .agents import Agent, AgentGroup, AgentStatus, PauseReason
from .events import ActionLog, PollState, WebhookEvent

__all__ = [
    "ActionLog",
    "Agent",
    "AgentGroup",
    "AgentStatus",
    "PauseReason",
    "PollState",
    "WebhookEvent",
]
