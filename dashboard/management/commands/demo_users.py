import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand

from crm_bridge.models import AgentGroup
from dashboard.teams import give_role, set_teams

PASSWORD_FILE = settings.BASE_DIR / "var" / "demo-password"


class Command(BaseCommand):
    help = (
        "Create the demo users 'supervisor' (every team), 'team' (a supervisor of the first "
        "agent group only), 'campaigns' (campaign admin) and 'admin' (superuser). The "
        "password is DEMO_PASSWORD when set, otherwise generated once and kept in "
        "var/demo-password (readable by its owner only)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", default="")

    def handle(self, *args, password="", **options):
        given = password
        password = password or _demo_password()
        User = get_user_model()
        for username, role in (("supervisor", "supervisor"), ("campaigns", "campaign-admin"),
                               ("admin", None), ("team", "supervisor")):  # fmt: skip
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff = user.is_superuser = role is None
            user.set_password(password)
            user.save()
            if role:
                give_role(user, role)
            if username in ("supervisor", "campaigns"):  # every team
                user.user_permissions.add(Permission.objects.get(codename="see_all_agents"))
        team = AgentGroup.objects.order_by("group_id").first()
        set_teams(User.objects.get(username="team"), [team.group_id if team else 1])
        # Never the password itself: this line ends up in logs.
        where = "--password" if given else _where_the_password_is()
        self.stdout.write(
            "Log in as supervisor (every team), team (a supervisor of one agent group), "
            f"campaigns (campaign admin) or admin; password: {where}"
        )


def _where_the_password_is() -> str:
    if os.environ.get("DEMO_PASSWORD"):
        return "DEMO_PASSWORD"
    try:
        return f"in {PASSWORD_FILE.relative_to(Path.cwd())}"
    except ValueError:
        return f"in {PASSWORD_FILE}"


def _demo_password() -> str:
    if os.environ.get("DEMO_PASSWORD"):
        return os.environ["DEMO_PASSWORD"]
    if PASSWORD_FILE.exists():
        PASSWORD_FILE.chmod(0o600)  # also one an older version left readable by others
        return PASSWORD_FILE.read_text().strip()
    PASSWORD_FILE.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(9)
    fd = os.open(PASSWORD_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # owner only
    with os.fdopen(fd, "w") as file:
        file.write(password + "\n")
    return password
