"""Alert thresholds: when an agent's state or a queue's number turns amber or red.

One definition, used by the board (agent rows, queue tiles, the attention strip) and by the
wallboards. A row with no pause reason / queue is the default; a row for one pause reason or
one queue overrides it. Preloaded by a data migration, edited in Django admin → Thresholds.
"""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm_bridge.models import PauseReason

from .queues import Queue


class Metric(models.TextChoices):
    # An agent's time in a status (seconds).
    PAUSE = "pause", _("Pause too long")
    RINGING = "ringing", _("Ringing too long")
    ON_CALL = "on_call", _("On a call too long")
    PHONE = "phone", _("Phone not connected")
    # A queue's numbers.
    WAITING = "waiting", _("Waiting")
    LONGEST_WAIT = "longest_wait", _("Longest wait")
    SERVICE_LEVEL = "service_level", _("Service level")
    ABANDON_RATE = "abandon_rate", _("Abandon rate")
    ASA = "asa", _("ASA")


AGENT_METRICS = (Metric.PAUSE, Metric.RINGING, Metric.ON_CALL, Metric.PHONE)
QUEUE_METRICS = (
    Metric.WAITING,
    Metric.LONGEST_WAIT,
    Metric.SERVICE_LEVEL,
    Metric.ABANDON_RATE,
    Metric.ASA,
)
DOWN = (Metric.SERVICE_LEVEL,)  # bad when it falls
UNITS = {
    Metric.WAITING: _("contacts"),
    Metric.SERVICE_LEVEL: "%",
    Metric.ABANDON_RATE: "%",
}


class Threshold(models.Model):
    metric = models.CharField(_("what"), max_length=20, choices=Metric)
    pause_reason = models.ForeignKey(
        PauseReason,
        verbose_name=_("pause reason"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Only for “Pause too long”; empty: every pause reason without its own."),
    )
    queue = models.ForeignKey(
        Queue,
        verbose_name=_("queue"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Only for queue numbers; empty: every queue without its own."),
    )
    amber = models.FloatField(
        _("amber at"),
        null=True,
        blank=True,
        help_text=_(
            "Seconds for times, a count for waiting, % for rates. Service level: amber below "
            "this; empty: below the queue's own target."
        ),
    )
    red = models.FloatField(_("red at"), null=True, blank=True)

    class Meta:
        verbose_name = _("threshold")
        verbose_name_plural = _("thresholds")
        ordering = ["metric", "pause_reason", "queue"]
        constraints = [
            models.UniqueConstraint(
                fields=["metric"],
                condition=Q(pause_reason__isnull=True, queue__isnull=True),
                name="threshold_default",
            ),
            models.UniqueConstraint(
                fields=["metric", "pause_reason"],
                condition=Q(pause_reason__isnull=False),
                name="threshold_pause",
            ),
            models.UniqueConstraint(
                fields=["metric", "queue"],
                condition=Q(queue__isnull=False),
                name="threshold_queue",
            ),
        ]

    def __str__(self) -> str:
        label = self.get_metric_display()
        if self.pause_reason_id:
            return f"{label}: {self.pause_reason.name}"
        if self.queue_id:
            return f"{label}: {self.queue}"
        return str(label)

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.pause_reason_id and self.metric != Metric.PAUSE:
            raise ValidationError({"pause_reason": _("Only “Pause too long” has a pause reason.")})
        if self.queue_id and self.metric not in QUEUE_METRICS:
            raise ValidationError({"queue": _("Only a queue's numbers have a queue.")})

    @property
    def unit(self) -> str:
        return str(UNITS.get(self.metric, "s"))

    def level(self, value, target: float | None = None) -> str:
        """ "", "amber" or "red" for this value (`target`: the queue's service-level target,
        the amber line of a service level with none set here)."""
        if value is None:
            return ""
        amber = self.amber if self.amber is not None else target
        if self.metric in DOWN:
            if self.red is not None and value < self.red:
                return "red"
            return "amber" if amber is not None and value < amber else ""
        if self.red is not None and value >= self.red:
            return "red"
        return "amber" if amber is not None and value >= amber else ""
