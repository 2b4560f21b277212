"""The local mirror of Thulium's agents: directory data plus live state."""

from datetime import datetime

from django.db import models


class AgentStatus(models.TextChoices):
    OFF = "OFF", "Logged off"
    FREE = "FREE", "Free"
    PAUSED = "PAUSED", "Paused"
    RINGING = "RINGING", "Ringing"
    INBOUND_CALL = "INBOUND_CALL", "Inbound call"
    OUTBOUND_CALL = "OUTBOUND_CALL", "Outbound call"
    OUTBOUND_PREVIEW = "OUTBOUND_PREVIEW", "Outbound preview"
    CALL = "CALL", "Call"


ON_CALL = {
    AgentStatus.RINGING,
    AgentStatus.INBOUND_CALL,
    AgentStatus.OUTBOUND_CALL,
    AgentStatus.OUTBOUND_PREVIEW,
    AgentStatus.CALL,
}


class AgentGroup(models.Model):
    group_id = models.IntegerField(primary_key=True)
    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PauseReason(models.Model):
    """Pause names: Thulium's API has only pause ids, so names are kept here (Django admin)."""

    pause_id = models.IntegerField(primary_key=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["pause_id"]

    def __str__(self) -> str:
        return f"{self.pause_id}: {self.name}"

    @staticmethod
    def label(pause_id: int | None, names: dict[int, str]) -> str:
        if pause_id is None:
            return ""
        return names.get(pause_id) or f"Pause #{pause_id}"


# Fields that make up an agent's live state: what the board shows and what a change pushes.
LIVE_FIELDS = (
    "status",
    "pause_id",
    "status_since",
    "call_number",
    "call_queue_id",
    "call_connection_id",
    "call_campaign_id",
)


class Agent(models.Model):
    login = models.CharField(max_length=100, unique=True)
    agent_id = models.IntegerField(null=True, blank=True)
    name = models.CharField(max_length=100, blank=True)
    surname = models.CharField(max_length=100, blank=True)
    email = models.CharField(max_length=200, blank=True)
    number = models.CharField(max_length=50, blank=True)
    active = models.BooleanField(default=True)
    outbound_mode = models.CharField(max_length=20, blank=True)
    group_id = models.IntegerField(null=True, blank=True, db_index=True)

    status = models.CharField(max_length=20, choices=AgentStatus, default=AgentStatus.OFF)
    pause_id = models.IntegerField(null=True, blank=True)
    status_since = models.DateTimeField(null=True, blank=True)
    call_number = models.CharField(max_length=50, blank=True)
    call_queue_id = models.IntegerField(null=True, blank=True)
    call_connection_id = models.CharField(max_length=64, blank=True)
    call_campaign_id = models.CharField(max_length=5, blank=True)  # an outbound campaign's call
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["surname", "name", "login"]

    def __str__(self) -> str:
        return self.full_name or self.login

    @property
    def full_name(self) -> str:
        return f"{self.name} {self.surname}".strip()

    @property
    def on_call(self) -> bool:
        return self.status in ON_CALL

    def live_state(self) -> tuple:
        return tuple(getattr(self, f) for f in LIVE_FIELDS)

    def apply_status(
        self,
        status: str,
        pause_id: int | None,
        since: datetime | None,
        *,
        call: dict | None = None,
    ) -> bool:
        """Move to a new live state; returns whether anything the board shows changed.

        `call` is {"number", "queue_id", "connection_id", "campaign_id"} while on a call;
        leaving a call state clears it, and a call state reported without details keeps what
        is known.
        """
        before = self.live_state()
        self.status = status
        self.pause_id = pause_id if status == AgentStatus.PAUSED else None
        if since is not None:
            self.status_since = since
        if call is not None:
            self.call_number = call.get("number") or ""
            self.call_queue_id = call.get("queue_id")
            self.call_connection_id = call.get("connection_id") or ""
            self.call_campaign_id = call.get("campaign_id") or ""
        elif status not in ON_CALL:
            self.call_number, self.call_queue_id = "", None
            self.call_connection_id, self.call_campaign_id = "", ""
        return self.live_state() != before
