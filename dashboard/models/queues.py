"""Queues learned from the webhook feed, and every call or chat tracked through its life.

Each QueueCall row is a fold of the stored webhook events for one connection_id (calls) or
conversation_id (chats). The fold is order-independent (first/last timestamps, counters of
non-duplicate events), so out-of-order delivery gives the same row, and because rows are
written in the transaction that stores the event, a restart loses nothing. `manage.py
queue_rebuild` replays crm_bridge.WebhookEvent to rebuild them from scratch.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm_bridge.models import AgentGroup
from crm_bridge.parse import to_int, to_str


def _default_sl_seconds() -> int:
    return settings.QUEUE_SL_SECONDS


class Queue(models.Model):
    """An inbound call queue or a chat queue. Thulium's API has no queue list: rows appear
    with the first event that names them and are named in Django admin."""

    class Kind(models.TextChoices):
        CALL = "call", _("Call queue")
        CHAT = "chat", _("Chat queue")

    kind = models.CharField(_("kind"), max_length=4, choices=Kind, default=Kind.CALL)
    number = models.IntegerField(_("number"), help_text=_("Thulium's queue_id (or chat_queue_id)."))
    name = models.CharField(_("name"), max_length=100, blank=True)
    sl_threshold_seconds = models.PositiveIntegerField(
        _("service-level threshold (s)"),
        default=_default_sl_seconds,
        help_text=_("Answered within this many seconds counts towards the service level."),
    )
    sl_target_percent = models.PositiveSmallIntegerField(_("service-level target (%)"), default=80)
    agent_groups = models.ManyToManyField(
        AgentGroup,
        blank=True,
        related_name="+",
        help_text=_(
            "Groups serving this queue, for its free/busy/paused agent counts. Empty: "
            "learned from the agents who took its calls today."
        ),
    )
    hidden = models.BooleanField(
        _("hidden"), default=False, help_text=_("Leave out of the dashboard.")
    )
    first_seen = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("queue")
        verbose_name_plural = _("queues")
        ordering = ["kind", "name", "number"]
        constraints = [models.UniqueConstraint(fields=["kind", "number"], name="queue_kind_number")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def key(self) -> str:
        """The id in the page: queue-155 for call queue 155, queue-chat-1 for chat queue 1."""
        return str(self.number) if self.kind == self.Kind.CALL else f"chat-{self.number}"

    @property
    def display_name(self) -> str:
        if self.name:
            return self.name
        return f"Queue {self.number}" if self.kind == self.Kind.CALL else f"Chat {self.number}"


class Outcome(models.TextChoices):
    IVR = "ivr", _("In IVR")
    WAITING = "waiting", _("Waiting")
    ANSWERED = "answered", _("Answered")
    ABANDONED = "abandoned", _("Abandoned")
    LEFT = "left", _("Left the queue unanswered")


CALL_ACTIONS = {
    "ENTER_IVR",
    "ENTER_QUEUE",
    "EXIT_QUEUE",
    "ABANDONED",
    "AGENT_RINGING",
    "AGENT_NOT_ANSWERED",
    "AGENT_CONNECTED",
    "AGENT_COMPLETED",
    "QUEUE_TRANSFERRED_TO_AGENT",
    "RECORDING_READY",
}
CHAT_ACTIONS = {"CHAT_CONVERSATION_CREATED", "CHAT_AGENT_ASSIGNED", "CHAT_CONVERSATION_CLOSED"}


def _earliest(current: datetime | None, new: datetime) -> datetime:
    return new if current is None or new < current else current


def _latest(current: datetime | None, new: datetime) -> datetime:
    return new if current is None or new > current else current


class QueueCall(models.Model):
    """One call (by connection_id) or chat (by conversation_id) through its life."""

    kind = models.CharField(max_length=4, choices=Queue.Kind, default=Queue.Kind.CALL)
    contact_id = models.CharField(max_length=64)
    queue = models.ForeignKey(Queue, null=True, on_delete=models.CASCADE, related_name="calls")
    ivr_at = models.DateTimeField(null=True)
    entered_at = models.DateTimeField(null=True)
    answered_at = models.DateTimeField(null=True)
    answered_estimated = models.BooleanField(default=False)
    abandoned_at = models.DateTimeField(null=True)
    exited_at = models.DateTimeField(null=True)
    completed_at = models.DateTimeField(null=True)
    last_event_at = models.DateTimeField(null=True)
    hold_time = models.IntegerField(null=True)
    connected_legs = models.PositiveSmallIntegerField(default=0)
    completions = models.PositiveSmallIntegerField(default=0)
    handle_seconds = models.PositiveIntegerField(default=0)
    transfers = models.PositiveSmallIntegerField(default=0)
    not_answered = models.PositiveSmallIntegerField(default=0)
    agent_login = models.CharField(max_length=100, blank=True)
    recording = models.CharField(max_length=255, blank=True)
    # Who: the caller's number and the name Thulium gives (ENTER_QUEUE source_name, a chat's
    # client_name); the CRM's name for the number comes from crm_bridge/customers.py.
    caller_number = models.CharField(max_length=50, blank=True)
    caller_name = models.CharField(max_length=200, blank=True)
    # Settled from the above by settle(): what the metrics read.
    outcome = models.CharField(max_length=10, choices=Outcome, default=Outcome.IVR)
    wait_seconds = models.IntegerField(null=True)
    short_abandon = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("queue call")
        verbose_name_plural = _("queue calls")
        constraints = [
            models.UniqueConstraint(fields=["kind", "contact_id"], name="queuecall_contact")
        ]
        indexes = [
            models.Index(fields=["entered_at"]),
            models.Index(fields=["outcome", "last_event_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.contact_id} ({self.outcome})"

    def apply(self, action: str, data: dict, when: datetime) -> None:
        """Fold one (non-duplicate) event in. Any order of the same events gives the same row."""
        self.last_event_at = _latest(self.last_event_at, when)
        self.caller_number = self.caller_number or to_str(data.get("source_number"))[:50]
        name = to_str(data.get("source_name") or data.get("client_name"))
        self.caller_name = self.caller_name or name[:200]
        if action in ("ENTER_IVR",):
            self.ivr_at = _earliest(self.ivr_at, when)
        elif action in ("ENTER_QUEUE", "CHAT_CONVERSATION_CREATED"):
            self.entered_at = _earliest(self.entered_at, when)
        elif action == "EXIT_QUEUE":
            self.exited_at = _latest(self.exited_at, when)
        elif action == "ABANDONED":
            self.abandoned_at = _earliest(self.abandoned_at, when)
            self.hold_time = to_int(data.get("hold_time"))
        elif action == "AGENT_NOT_ANSWERED":
            self.not_answered += 1
        elif action in ("AGENT_CONNECTED", "CHAT_AGENT_ASSIGNED"):
            self.connected_legs += 1
            if self.answered_estimated or self.answered_at is None or when < self.answered_at:
                self.answered_at, self.answered_estimated = when, False
                self.agent_login = to_str(data.get("agent_login"))[:100]
        elif action == "AGENT_COMPLETED":
            duration = max(0, to_int(data.get("duration")) or 0)
            self.completions += 1
            self.handle_seconds += duration
            self.completed_at = _latest(self.completed_at, when)
            if self.answered_at is None:  # AGENT_CONNECTED lost or late: estimate from billsec
                billsec = to_int(data.get("billsec"))
                self.answered_at = when - timedelta(seconds=billsec if billsec else duration)
                self.answered_estimated = True
                self.agent_login = to_str(data.get("agent_login"))[:100]
            self.recording = to_str(data.get("filename"))[:255] or self.recording
        elif action == "CHAT_CONVERSATION_CLOSED":
            self.completed_at = _latest(self.completed_at, when)
        elif action == "QUEUE_TRANSFERRED_TO_AGENT":
            self.transfers += 1
        elif action == "RECORDING_READY":
            self.recording = to_str(data.get("filename"))[:255]
        self.settle()

    def settle(self) -> None:
        """Outcome, wait and short-abandon flag from the timestamps (also for chats)."""
        entered = self.entered_at
        if self.kind == Queue.Kind.CHAT:
            if self.answered_at and self.completed_at:
                self.handle_seconds = _seconds(self.answered_at, self.completed_at)
                self.completions = self.connected_legs
            elif self.completed_at and not self.answered_at:
                self.abandoned_at = self.completed_at  # closed while still in the queue
        self.short_abandon = False
        if self.answered_at:
            self.outcome = Outcome.ANSWERED
            self.wait_seconds = _seconds(entered, self.answered_at)
        elif self.abandoned_at:
            self.outcome = Outcome.ABANDONED
            waited = _seconds(entered, self.abandoned_at)
            self.wait_seconds = self.hold_time if self.hold_time is not None else waited
            self.short_abandon = self.wait_seconds < settings.QUEUE_SHORT_ABANDON_SECONDS
        elif self.exited_at:
            self.outcome = Outcome.LEFT
            self.wait_seconds = _seconds(entered, self.exited_at)
        elif entered:
            self.outcome, self.wait_seconds = Outcome.WAITING, None
        else:
            self.outcome, self.wait_seconds = Outcome.IVR, None


def _seconds(start: datetime | None, end: datetime) -> int:
    if start is None:
        return 0
    return max(0, round((end - start).total_seconds()))
