from django.core.management.base import BaseCommand, CommandError

from dashboard.live_queues import tell_wallboard
from dashboard.models import Queue, Wallboard


class Command(BaseCommand):
    help = "Create a wallboard and print its token (for scripts and the browser tests)."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--kind", default=Wallboard.Kind.QUEUES_AGENTS, choices=Wallboard.Kind)
        parser.add_argument("--language", default="en", choices=Wallboard.Language)
        parser.add_argument("--theme", default="dark", choices=Wallboard.Theme)
        parser.add_argument("--queue", type=int, action="append", default=[], help="queue_id")
        parser.add_argument("--revoke", action="store_true", help="revoke the wallboard NAME")

    def handle(self, *args, name, kind, language, theme, queue, revoke, **options):
        if revoke:
            boards = Wallboard.objects.filter(name=name, revoked_at__isnull=True)
            if not boards:
                raise CommandError(f"No active wallboard named {name!r}")
            for board in boards:
                board.revoke()
                tell_wallboard(board, "wallboard.closed")
            return
        board = Wallboard.objects.create(name=name, kind=kind, language=language, theme=theme)
        for number in queue:
            q, _ = Queue.objects.get_or_create(kind=Queue.Kind.CALL, number=number)
            board.queues.add(q)
        self.stdout.write(board.token)
