"""What came in from Thulium (webhook events, poll health) and what we asked of it (actions)."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.Model):
    """Every authenticated webhook delivery, stored with its raw body before it is answered;
    a malformed one too, with the reason it was refused in `error` and no action.

    `state` is where the event is in the pipeline (crm_bridge/pipeline.py): stored as
    `pending`, then `applied` exactly once by the processor, or `failed` with the error
    (retried, never dropped); a refused delivery is `refused` and never applied.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPLIED = "applied", _("Applied")
        FAILED = "failed", _("Failed")
        REFUSED = "refused", _("Refused")

    received_at = models.DateTimeField(auto_now_add=True, db_index=True)
    action = models.CharField(max_length=64, db_index=True)
    content_type = models.CharField(max_length=100, blank=True)
    body = models.TextField()
    data = models.JSONField(default=dict)
    event_date = models.DateTimeField(null=True, blank=True, db_index=True)
    agent_login = models.CharField(max_length=100, blank=True, db_index=True)
    connection_id = models.CharField(max_length=64, blank=True, db_index=True)
    dedup_key = models.CharField(max_length=64, unique=True)
    duplicates = models.PositiveIntegerField(default=0)
    # Why a delivery was refused (answered 400), or why applying it failed.
    error = models.CharField(max_length=300, blank=True)
    state = models.CharField(max_length=8, choices=State, default=State.PENDING)
    applied_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # What the receiver corrected, e.g. a date from the future clamped to the receive time.
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["state", "id"], name="webhookevent_state_id")]

    def __str__(self) -> str:
        return f"{self.action} {self.agent_login or self.connection_id} @ {self.event_date}"

    @classmethod
    def ingest_lag(cls) -> float:
        """Seconds the oldest event waiting for its first apply has waited (0: none waits)."""
        oldest = (
            cls.objects.filter(state=cls.State.PENDING, attempts=0)
            .order_by("id")
            .values_list("received_at", flat=True)
            .first()
        )
        return 0.0 if oldest is None else max(0.0, (timezone.now() - oldest).total_seconds())


class PollState(models.Model):
    """Health of one polling job, so every screen can say plainly when its data is stale."""

    name = models.CharField(max_length=50, primary_key=True)
    last_ok = models.DateTimeField(null=True, blank=True)
    last_attempt = models.DateTimeField(null=True, blank=True)
    failing_since = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    last_request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("poll state")
        verbose_name_plural = _("poll states")

    def __str__(self) -> str:
        return self.name

    @property
    def failing(self) -> bool:
        return self.failing_since is not None


class ActionLog(models.Model):
    """Every action a user asked Thulium to take, with its outcome."""

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    target = models.CharField(max_length=100, db_index=True)  # agent login or campaign id
    action = models.CharField(max_length=50)
    params = models.JSONField(default=dict, blank=True)
    ok = models.BooleanField()
    http_status = models.IntegerField(null=True, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    message = models.TextField(blank=True)

    class Meta:
        verbose_name = _("action log entry")
        verbose_name_plural = _("action log")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.action} {self.target}: {'ok' if self.ok else 'failed'}"
