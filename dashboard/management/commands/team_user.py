from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from dashboard.teams import ROLES, give_role, set_teams


class Command(BaseCommand):
    help = (
        "Create or update a user with a role (viewer, supervisor, campaign-admin) and the agent "
        "groups they are responsible for (their teams): e.g. `team_user anowak --role "
        "supervisor --group 3 --group 7 --password ...`. Without --password an existing "
        "user keeps theirs and a new one cannot log in until an admin sets one."
    )

    def add_arguments(self, parser):
        parser.add_argument("login")
        roles = [role for role in ROLES if role != "admin"]
        parser.add_argument("--role", required=True, choices=roles)
        parser.add_argument("--group", type=int, action="append", default=[], metavar="GROUP_ID")
        parser.add_argument("--password", default="")

    def handle(self, *args, login, role, group, password, **options):
        if not group:
            raise CommandError("Give at least one --group GROUP_ID: the user's team.")
        user, created = get_user_model().objects.get_or_create(username=login)
        if password:
            user.set_password(password)
        elif created:
            user.set_unusable_password()
        user.save()
        give_role(user, role)
        set_teams(user, group)
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} {login}: {role} of agent groups {', '.join(map(str, group))}")
