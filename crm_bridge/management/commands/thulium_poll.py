from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from crm_bridge import sync
from crm_bridge.client import ThuliumError
from crm_bridge.models import Agent


class Command(BaseCommand):
    help = "Run one full Thulium poll now (directory, then statuses) and say what was found."

    def handle(self, *args, **options):
        try:
            agents, groups = sync.poll_directory()
            changed = sync.poll_statuses()
        except ThuliumError as exc:
            detail = f" (HTTP {exc.status}, request_id {exc.request_id})" if exc.status else ""
            raise CommandError(f"Thulium said: {exc.message}{detail}") from exc
        counts = Counter(Agent.objects.filter(active=True).values_list("status", flat=True))
        summary = ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))
        self.stdout.write(
            f"Thulium answered: {agents} agents in {groups} groups; "
            f"{len(changed)} changed this cycle. Now: {summary or 'no agents'}."
        )
