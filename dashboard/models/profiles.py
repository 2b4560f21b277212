"""A user's own settings: the language the UI speaks to them (README "Languages") and the
teams they are responsible for: agent groups, and through them queues (dashboard/teams.py)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    language = models.CharField(
        _("language"),
        max_length=8,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_("Empty: the browser's language."),
    )
    agent_groups = models.ManyToManyField(
        "crm_bridge.AgentGroup",
        blank=True,
        related_name="+",
        verbose_name=_("teams"),
        help_text=_(
            "The agent groups this user is responsible for: their agents, and the queues those "
            "groups serve. Users with the permission to see all agents see every team."
        ),
    )

    class Meta:
        verbose_name = _("user profile")
        verbose_name_plural = _("user profiles")
        permissions = [
            ("see_all_agents", _("Sees every agent and queue, whatever their teams")),
            ("act_on_agents", _("Acts on the agents of their teams (pause, log out, call…)")),
        ]

    def __str__(self) -> str:
        return str(self.user)

    @classmethod
    def language_of(cls, user) -> str:
        """The language this user chose, or "" (then the browser's language is used)."""
        if not user.is_authenticated:
            return ""
        return cls.objects.filter(user=user).values_list("language", flat=True).first() or ""

    @classmethod
    def choose(cls, user, language: str) -> None:
        cls.objects.update_or_create(user=user, defaults={"language": language})
