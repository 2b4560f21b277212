"""Wallboards: read-only full-screen pages for a TV on the floor, reached by a secret link."""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm_bridge.models import AgentGroup

from .queues import Queue

# metric -> (amber, red) defaults when the shared thresholds (models/alerts.py) have none;
# "down" metrics are bad when they fall (service level).
METRICS = {
    "waiting": {"direction": "up", "amber": 3, "red": 6},
    "longest_wait": {"direction": "up", "amber": 30, "red": 60},
    "service_level": {"direction": "down", "amber": 80, "red": 60},
    "abandon_rate": {"direction": "up", "amber": 5, "red": 10},
    "asa": {"direction": "up", "amber": 20, "red": 40},
}


def new_token() -> str:
    return secrets.token_urlsafe(24)


class Wallboard(models.Model):
    class Kind(models.TextChoices):
        QUEUES = "queues", _("Queues")
        AGENTS = "agents", _("Agents")
        CAMPAIGNS = "campaigns", _("Campaigns")
        QUEUES_AGENTS = "queues_agents", _("Queues and agents")
        ALL = "all", _("All channels")

    class Theme(models.TextChoices):
        DARK = "dark", _("Dark")
        LIGHT = "light", _("Light")

    class Language(models.TextChoices):
        PL = "pl", "Polski"
        EN = "en", "English"

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("shows"), max_length=20, choices=Kind, default=Kind.QUEUES_AGENTS)
    queues = models.ManyToManyField(
        Queue,
        verbose_name=_("queues"),
        blank=True,
        related_name="wallboards",
        help_text=_("None chosen: every queue."),
    )
    agent_groups = models.ManyToManyField(
        AgentGroup,
        verbose_name=_("agent groups"),
        blank=True,
        related_name="+",
        help_text=_("None chosen: every agent."),
    )
    campaign_ids = models.JSONField(
        default=list, blank=True, help_text=_("Campaign ids (campaign tiles come with issue #4).")
    )
    intraday_queue = models.ForeignKey(
        Queue,
        verbose_name=_("intraday chart"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Also show this queue's day in 15-minute intervals, beside a week before."),
    )
    theme = models.CharField(_("theme"), max_length=5, choices=Theme, default=Theme.DARK)
    language = models.CharField(_("language"), max_length=2, choices=Language, default=Language.PL)
    font_scale = models.DecimalField(_("font scale"), max_digits=3, decimal_places=2, default=1)
    thresholds = models.JSONField(default=dict, blank=True)
    sound = models.BooleanField(
        _("sound"), default=False, help_text=_("Beep when a tile turns red.")
    )
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("wallboard")
        verbose_name_plural = _("wallboards")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("wallboard", args=[self.token])

    @property
    def group(self) -> str:
        """The channel-layer group its open pages listen on."""
        return f"wallboard-{self.pk}"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def shows_queues(self) -> bool:
        return self.kind in (self.Kind.QUEUES, self.Kind.QUEUES_AGENTS, self.Kind.ALL)

    @property
    def shows_agents(self) -> bool:
        return self.kind in (self.Kind.AGENTS, self.Kind.QUEUES_AGENTS, self.Kind.ALL)

    @property
    def shows_campaigns(self) -> bool:
        return self.kind in (self.Kind.CAMPAIGNS, self.Kind.ALL)

    @property
    def shows_channels(self) -> bool:
        """Chats and e-mail today (Thulium's chat summary and ticket numbers)."""
        return self.kind == self.Kind.ALL

    def new_link(self) -> None:
        """A fresh secret: the old link stops working at once (a leaked link, a moved TV)."""
        self.token = new_token()
        self.save(update_fields=["token", "updated_at"])

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at", "updated_at"])

    def threshold(self, metric: str, queue: Queue | None = None) -> tuple[float, float]:
        """(amber, red) for a metric on this wallboard: its own, if it overrides them, else
        the shared thresholds (Admin → Thresholds, dashboard/alerts.py: the queue's own, else
        every queue's), as on the board. A service level with no amber set there is amber
        below the queue's own target."""
        chosen = self.thresholds.get(metric) or {}
        shared = self.shared_threshold(metric, queue)
        return chosen.get("amber", shared[0]), chosen.get("red", shared[1])

    @staticmethod
    def shared_threshold(metric: str, queue: Queue | None = None) -> tuple[float, float]:
        from ..alerts import thresholds

        default = METRICS[metric]
        row = thresholds().get(metric, queue.pk if queue is not None else None)
        amber = row.amber if row is not None else default["amber"]
        if amber is None:  # service level: the queue's own target
            amber = queue.sl_target_percent if queue is not None else default["amber"]
        red = row.red if row is not None and row.red is not None else default["red"]
        return amber, red

    def level(self, metric: str, value, queue: Queue | None = None) -> str:
        """ "", "amber" or "red" for a metric's value on this wallboard."""
        if value is None or metric not in METRICS:
            return ""
        amber, red = self.threshold(metric, queue)
        if METRICS[metric]["direction"] == "down":
            return "red" if value < red else "amber" if value < amber else ""
        return "red" if value >= red else "amber" if value >= amber else ""
