from django.core.management.base import BaseCommand

from dashboard.models import Wallboard


class Command(BaseCommand):
    help = "Print the link of every active wallboard (base URL from --base, default local)."

    def add_arguments(self, parser):
        parser.add_argument("--base", default="http://127.0.0.1:8000")

    def handle(self, *args, base="", **options):
        boards = Wallboard.objects.filter(revoked_at__isnull=True)
        if not boards:
            self.stdout.write("No wallboards: an admin creates them under Wallboards.")
        for board in boards:
            self.stdout.write(
                f"Wallboard “{board.name}”: {base.rstrip('/')}{board.get_absolute_url()}"
            )
