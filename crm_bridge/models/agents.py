"""The local mirror of Thulium's agents: directory data plus live state."""

from datetime import datetime

from django.db import models
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from crm_bridge import rows

# Each Polish letter sorts right after its base letter ("~" is after every ASCII letter).
_POLISH_ORDER = str.maketrans(
    {"ą": "a~", "ć": "c~", "ę": "e~", "ł": "l~", "ń": "n~", "ó": "o~", "ś": "s~", "ź": "z~",
     "ż": "z~~"}
)  # fmt: skip


def collation_key(text: str) -> str:
    return text.casefold().strip().translate(_POLISH_ORDER)


class AgentStatus(models.TextChoices):
    OFF = "OFF", _("Logged off")
    FREE = "FREE", _("Free")
    PAUSED = "PAUSED", _("Paused")
    RINGING = "RINGING", _("Ringing")
    INBOUND_CALL = "INBOUND_CALL", _("Inbound call")
    OUTBOUND_CALL = "OUTBOUND_CALL", _("Outbound call")
    OUTBOUND_PREVIEW = "OUTBOUND_PREVIEW", _("Outbound preview")
    CALL = "CALL", _("Call")


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
        verbose_name = _("agent group")
        verbose_name_plural = _("agent groups")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PauseReason(models.Model):
    """Pause names: Thulium's API has only pause ids, so names are kept here (Django admin)."""

    pause_id = models.IntegerField(primary_key=True)
    name = models.CharField(max_length=100)

    class Meta:
        verbose_name = _("pause reason")
        verbose_name_plural = _("pause reasons")
        ordering = ["pause_id"]

    def __str__(self) -> str:
        return f"{self.pause_id}: {self.name}"

    @staticmethod
    def label(pause_id: int | None, names: dict[int, str]) -> str:
        if pause_id is None:
            return ""
        return names.get(pause_id) or format_lazy(_("Pause #{id}"), id=pause_id)


# Fields that make up an agent's live state: what the board shows and what a change pushes.
LIVE_FIELDS = (
    "status",
    "pause_id",
    "status_since",
    "call_number",
    "call_queue_id",
    "call_connection_id",
    "call_campaign_id",
    "pending_status",
    "pending_pause_id",
    "phone_connected",
    "phone_number",
)
# Who last moved the agent, for the poll's reconciliation (crm_bridge/sync.py); not shown.
RECONCILE_FIELDS = ("webhook_at", "poll_disagreements")


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
    # Where the agent goes when the call ends: a pause (or unpause) asked for during the call,
    # or the pause the call was made from. "" = nothing pending (free after the call).
    pending_status = models.CharField(max_length=20, choices=AgentStatus, blank=True)
    pending_pause_id = models.IntegerField(null=True, blank=True)
    # AGENT_PHONE_CONNECTED: the phone is registered, at this number. None = never heard of;
    # a logout makes a known phone "not connected" until the next AGENT_PHONE_CONNECTED.
    phone_connected = models.BooleanField(null=True, blank=True)
    phone_number = models.CharField(max_length=50, blank=True)
    # When a webhook last moved the status (wall clock), and how many polls in a row have
    # contradicted it since: the poll corrects it at the second (crm_bridge/sync.py).
    webhook_at = models.DateTimeField(null=True, blank=True)
    poll_disagreements = models.PositiveSmallIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        ordering = ["surname", "name", "login"]

    def __str__(self) -> str:
        return self.full_name or self.login

    @property
    def sort_key(self) -> str:
        """Surname, name, login in Polish alphabetical order, as one string that sorts the
        same in Python and in a browser (plain comparison): Ł after L, Ś after S."""
        return collation_key(f"{self.surname} {self.name} {self.login}")

    @property
    def full_name(self) -> str:
        return f"{self.name} {self.surname}".strip()

    @property
    def on_call(self) -> bool:
        return self.status in ON_CALL

    @classmethod
    def write_fields(cls, agents: list["Agent"], names) -> None:
        """Save these fields of these agents: one UPDATE run once per agent (executemany).
        Django's bulk_update builds a CASE per field per row, which for a poll's hundreds of
        changed agents cost more than the rest of the poll."""
        rows.write(cls, agents, names)

    def live_state(self) -> tuple:
        return tuple(getattr(self, f) for f in LIVE_FIELDS)

    def apply_status(
        self,
        status: str,
        pause_id: int | None,
        since: datetime | None,
        *,
        call: dict | None = None,
        now: datetime | None = None,
    ) -> bool:
        """Move to a new live state; returns whether anything the board shows changed.

        `call` is {"number", "queue_id", "connection_id", "campaign_id"} while on a call;
        leaving a call state clears it, and a call state reported without details keeps what
        is known. A call made from a pause returns to it (pending); leaving a call clears what
        was pending. `since` from a clock ahead of ours counts from now: an event dated in the
        future must not make every later one look older.
        """
        before = self.live_state()
        if status in ON_CALL and not self.on_call:
            paused = self.status == AgentStatus.PAUSED
            self.pending_status = AgentStatus.PAUSED if paused else ""
            self.pending_pause_id = self.pause_id if paused else None
        elif status not in ON_CALL:
            self.pending_status, self.pending_pause_id = "", None
        if status == AgentStatus.OFF and self.phone_connected:
            self.phone_connected = False
        self.status = status
        self.pause_id = pause_id if status == AgentStatus.PAUSED else None
        if since is not None:
            self.status_since = not_after_now(since, now)
        if call is not None:
            self.call_number = call.get("number") or ""
            self.call_queue_id = call.get("queue_id")
            self.call_connection_id = call.get("connection_id") or ""
            self.call_campaign_id = call.get("campaign_id") or ""
        elif status not in ON_CALL:
            self.call_number, self.call_queue_id = "", None
            self.call_connection_id, self.call_campaign_id = "", ""
        return self.live_state() != before

    def set_presence(
        self, pause_id: int | None, since: datetime | None, now: datetime | None = None
    ) -> bool:
        """Pause (with this reason) or free (None): now, or when the call ends if on one."""
        if not self.on_call:
            status = AgentStatus.FREE if pause_id is None else AgentStatus.PAUSED
            return self.apply_status(status, pause_id, since, now=now)
        before = (self.pending_status, self.pending_pause_id)
        if pause_id is None:
            self.pending_status, self.pending_pause_id = AgentStatus.FREE, None
        else:
            self.pending_status, self.pending_pause_id = AgentStatus.PAUSED, pause_id
        return (self.pending_status, self.pending_pause_id) != before

    def end_call(self, since: datetime | None, now: datetime | None = None) -> bool:
        """The call ended: to the pause pending, else free."""
        if self.pending_status == AgentStatus.PAUSED:
            return self.apply_status(AgentStatus.PAUSED, self.pending_pause_id, since, now=now)
        return self.apply_status(AgentStatus.FREE, None, since, now=now)

    def set_phone(self, number: str) -> bool:
        """AGENT_PHONE_CONNECTED: the agent's phone is registered, at `number`."""
        before = (self.phone_connected, self.phone_number)
        self.phone_connected, self.phone_number = True, number or self.phone_number
        return (self.phone_connected, self.phone_number) != before


def not_after_now(moment: datetime, now: datetime | None = None) -> datetime:
    """`moment`, or now (whole seconds, as Thulium dates are) when it is later than now."""
    now = now or timezone.now()
    return moment if moment <= now else now.replace(microsecond=0)
