"""The local mirror of Thulium's outbound campaigns, their completion samples and today's
outcomes as counted from the webhook feed."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Dialer(models.TextChoices):
    PREVIEW = "preview", _("Preview")
    PROGRESSIVE = "progressive", _("Progressive")
    PREDICTIVE = "predictive", _("Predictive")


class Campaign(models.Model):
    """One outbound campaign ("outbound"), keyed by Thulium's five-character id.

    The document's GET outbounds lists only id, name, crm, order and parity: dialer, dates,
    group and parameters are read when Thulium sends them and otherwise kept from what this
    dashboard sent. `active` means "listed by GET outbounds/stats" (active campaigns only).
    """

    campaign_id = models.CharField(max_length=5, primary_key=True)
    name = models.CharField(max_length=255)
    crm = models.BooleanField(default=False)
    order = models.IntegerField(default=50)
    parity = models.IntegerField(default=50)
    dialer = models.CharField(max_length=20, choices=Dialer, blank=True)
    active = models.BooleanField(default=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    group_id = models.IntegerField(null=True, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    records_count = models.IntegerField(null=True, blank=True)
    completion_percent = models.FloatField(null=True, blank=True)
    # [{"login", "active_in_outbound"}] as GET outbounds/:id/agents last said.
    agents = models.JSONField(default=list, blank=True)
    # {login: connection_id} while an agent talks to one of the campaign's customers.
    on_call = models.JSONField(default=dict, blank=True)
    gone = models.BooleanField(default=False)  # no longer listed by Thulium
    sampled_at = models.DateTimeField(null=True, blank=True)  # last CampaignSample taken
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["campaign_id"]
        permissions = [("manage_campaigns", "Can change campaigns and their agent lists")]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.name}"

    @property
    def logins(self) -> list[str]:
        return [a["login"] for a in self.agents]

    def apply_stats(self, records_count: int | None, completion: float | None) -> bool:
        before = (self.records_count, self.completion_percent, self.active)
        self.records_count, self.completion_percent, self.active = records_count, completion, True
        return before != (self.records_count, self.completion_percent, self.active)


class CampaignSample(models.Model):
    """Completion at one moment, for today's sparkline."""

    campaign_id = models.CharField(max_length=5, db_index=True)
    at = models.DateTimeField(db_index=True)
    completion_percent = models.FloatField()
    records_count = models.IntegerField()

    class Meta:
        verbose_name = _("campaign completion sample")
        verbose_name_plural = _("campaign completion samples")
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.completion_percent}% @ {self.at}"


class CampaignDay(models.Model):
    """One campaign's outbound results on one day (tenant time), counted from webhooks."""

    campaign_id = models.CharField(max_length=5)
    day = models.DateField()
    attempts = models.IntegerField(default=0)
    connected = models.IntegerField(default=0)
    drops = models.IntegerField(default=0)
    talk_seconds = models.IntegerField(default=0)
    outcomes = models.JSONField(default=dict, blank=True)  # {"BUSY": 3, "NO_ANSWER": 5, ...}
    records_saved = models.IntegerField(default=0)
    previews = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("campaign day")
        verbose_name_plural = _("campaign days")
        constraints = [
            models.UniqueConstraint(fields=["campaign_id", "day"], name="campaign_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} on {self.day}"

    @property
    def contact_rate(self) -> float | None:
        return round(100.0 * self.connected / self.attempts, 1) if self.attempts else None

    @property
    def outcome_mix(self) -> list[tuple[str, int]]:
        return sorted(self.outcomes.items(), key=lambda item: -item[1])
