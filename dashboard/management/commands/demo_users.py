import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

PASSWORD_FILE = settings.BASE_DIR / "var" / "demo-password"


class Command(BaseCommand):
    help = (
        "Create the demo users 'supervisor', 'campaigns' (campaign admin) and 'admin' "
        "(superuser). The password is DEMO_PASSWORD when set, otherwise generated once and "
        "kept in var/demo-password (readable by its owner only)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--password", default="")

    def handle(self, *args, password="", **options):
        given = password
        password = password or _demo_password()
        User = get_user_model()
        campaign_admins, _ = Group.objects.get_or_create(name="campaign admin")
        for username, is_admin in (("supervisor", False), ("campaigns", False), ("admin", True)):
            user, _ = User.objects.get_or_create(username=username)
            user.is_staff = user.is_superuser = is_admin
            user.set_password(password)
            user.save()
            if username == "campaigns":
                user.groups.add(campaign_admins)
        # Never the password itself: this line ends up in logs.
        where = "--password" if given else _where_the_password_is()
        self.stdout.write(
            f"Log in as supervisor, campaigns (campaign admin) or admin; password: {where}"
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
