from datetime import timedelta

from django.core.management.base import BaseCommand

from crm_bridge.queue_events import rebuild
from dashboard.queues import day_start


class Command(BaseCommand):
    help = (
        "Rebuild the tracked calls and chats from the stored webhook events (since a day before "
        "today's reset, or --days back). Safe to run at any time; the numbers come out the same."
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=1)

    def handle(self, *args, days=1, **options):
        count = rebuild(day_start() - timedelta(days=days))
        self.stdout.write(f"Replayed {count} events.")
