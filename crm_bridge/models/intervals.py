"""Each queue's numbers per 15-minute interval, kept as running counters by the queue fold
(crm_bridge/queue_events.py): what "today" on the queue tiles adds up instead of going
through every call of the day on each push, and the history that outlives pruned calls.
A call counts in the interval it entered the queue; definitions: docs/metrics.md."""

from datetime import UTC, datetime

from django.db import models

MINUTES = 15


def interval_start(when: datetime) -> datetime:
    """The start of the 15-minute interval `when` falls in (every time zone's offset from UTC
    is a whole number of quarter hours, so this is a local quarter hour too)."""
    seconds = int(when.timestamp()) // (MINUTES * 60) * (MINUTES * 60)
    return datetime.fromtimestamp(seconds, UTC)


class QueueInterval(models.Model):
    queue = models.ForeignKey("dashboard.Queue", on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    offered = models.PositiveIntegerField(default=0)
    answered = models.PositiveIntegerField(default=0)
    answered_in_sl = models.PositiveIntegerField(default=0)
    abandoned = models.PositiveIntegerField(default=0)  # including short abandons
    short_abandons = models.PositiveIntegerField(default=0)
    wait_sum = models.BigIntegerField(default=0)  # of answered calls
    max_wait = models.IntegerField(null=True)  # of answered and abandoned calls
    handled = models.PositiveIntegerField(default=0)
    handle_sum = models.BigIntegerField(default=0)

    COUNTERS = (
        "offered",
        "answered",
        "answered_in_sl",
        "abandoned",
        "short_abandons",
        "wait_sum",
        "handled",
        "handle_sum",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["queue", "start"], name="queueinterval_queue_start")
        ]

    def __str__(self) -> str:
        return f"{self.queue_id} @ {self.start:%Y-%m-%d %H:%M}"
